/*
 * The guest's serial output handed on a line at a time (vmm/serial_out.h), on a VM
 * object with nothing but its serial port's state: a newline or a full buffer hands
 * the bytes on at once, in one piece; a line that has not ended goes out by the
 * thread, without a newline; what is left goes out when the output stops; without
 * the thread, every byte goes out at once. The checks that a line waits give it a
 * minute rather than 10 ms, so that a slow machine cannot fail them.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "vmm/cond.h"
#include "vmm/serial_out.h"
#include "vmm/vm_internal.h"

struct sink {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char out[1024];
	size_t n;
	unsigned pieces;
	size_t last_piece;
};

static void sink_out(void *ctx, const uint8_t *buf, size_t n)
{
	struct sink *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (s->n + n < sizeof(s->out)) {
		memcpy(s->out + s->n, buf, n);
		s->n += n;
	}
	s->pieces++;
	s->last_piece = n;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* The guest writes: what the UART does under the port's lock. */
static void guest_writes(struct pt_vm *vm, const char *text, size_t n)
{
	pthread_mutex_lock(&vm->serial_lock);
	for (size_t i = 0; i < n; i++)
		pt_serial_out_byte(vm, (uint8_t)text[i]);
	pthread_mutex_unlock(&vm->serial_lock);
}

static void sink_get(struct sink *s, size_t *n, unsigned *pieces, size_t *last)
{
	pthread_mutex_lock(&s->lock);
	*n = s->n;
	*pieces = s->pieces;
	if (last)
		*last = s->last_piece;
	pthread_mutex_unlock(&s->lock);
}

/* Waits up to 10 s for the sink to hold n bytes: whether it does. */
static bool sink_wait(struct sink *s, size_t n)
{
	struct timespec until;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&s->lock);
	while (s->n < n && pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
		;
	ok = s->n >= n;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static struct pt_vm *vm_new(struct sink *s)
{
	struct pt_vm *vm = calloc(1, sizeof(*vm));

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pt_cond_init_monotonic(&s->cond);
	if (!vm)
		return NULL;
	pthread_mutex_init(&vm->serial_lock, NULL);
	vm->console_out = sink_out;
	vm->console_ctx = s;
	pt_serial_out_init(vm);
	return vm;
}

static void vm_free(struct pt_vm *vm, struct sink *s)
{
	pt_serial_out_free(vm);
	pthread_mutex_destroy(&vm->serial_lock);
	free(vm);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

int main(void)
{
	struct tap t = { 0 };
	struct sink s;
	struct pt_vm *vm = vm_new(&s);
	char big[300];
	size_t n, last;
	unsigned pieces;

	if (!vm)
		tap_skip_all("out of memory");
	guest_writes(vm, "x", 1);
	sink_get(&s, &n, &pieces, NULL);
	tap_ok(&t, n == 1 && pieces == 1, "before the thread: a byte goes out at once");

	tap_is_int(&t, pt_serial_out_start(vm), 0, "the thread starts");
	vm->serial_out_delay_ms = 60000;
	guest_writes(vm, "TG hello", 8);
	sink_get(&s, &n, &pieces, NULL);
	tap_ok(&t, n == 1 && pieces == 1, "a line being written waits (%zu bytes out)", n);
	guest_writes(vm, " world\n", 7);
	sink_get(&s, &n, &pieces, &last);
	tap_ok(&t, n == 16 && pieces == 2 && last == 15,
	       "its newline hands the whole line on at once, in one piece (%u pieces)", pieces);
	tap_is_str(&t, s.out, "xTG hello world\n", "the bytes, in order");

	vm->serial_out_delay_ms = PT_SERIAL_OUT_DELAY_MS;
	guest_writes(vm, "login: ", 7);
	tap_ok(&t, sink_wait(&s, 23), "a line that does not end goes out by itself");
	sink_get(&s, &n, &pieces, &last);
	tap_ok(&t, pieces == 3 && last == 7, "as one piece, without a newline (%zu bytes)", last);

	vm->serial_out_delay_ms = 60000;
	memset(big, 'a', sizeof(big));
	guest_writes(vm, big, sizeof(big));
	sink_get(&s, &n, &pieces, &last);
	tap_ok(&t, n >= 23 + 256 && last == 256, "a full buffer goes out at once (%zu bytes)", last);

	pt_serial_out_stop(vm);
	sink_get(&s, &n, &pieces, &last);
	tap_is_int(&t, (long long)n, 23 + 300, "the stop hands on what is left");
	guest_writes(vm, "z", 1);
	sink_get(&s, &n, &pieces, NULL);
	tap_is_int(&t, (long long)n, 23 + 301, "after the stop, a byte goes out at once");
	vm_free(vm, &s);
	return tap_done(&t);
}
