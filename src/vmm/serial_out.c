#include "config.h"

#include <string.h>
#include <time.h>

#include "vmm/cond.h"
#include "vmm/serial_out.h"
#include "vmm/thread.h"
#include "vmm/vm_internal.h"

void pt_serial_out_init(struct pt_vm *vm)
{
	pt_cond_init_monotonic(&vm->serial_out_cond);
	vm->serial_out_len = 0;
	vm->serial_out_delay_ms = PT_SERIAL_OUT_DELAY_MS;
}

void pt_serial_out_free(struct pt_vm *vm)
{
	pthread_cond_destroy(&vm->serial_out_cond);
}

/* Under serial_lock. */
static void hand_on(struct pt_vm *vm)
{
	if (vm->serial_out_len && vm->console_out)
		vm->console_out(vm->console_ctx, vm->serial_out_buf, vm->serial_out_len);
	vm->serial_out_len = 0;
}

void pt_serial_out_byte(struct pt_vm *vm, uint8_t byte)
{
	if (!vm->console_out)
		return;
	vm->serial_out_buf[vm->serial_out_len++] = byte;
	if (byte == '\n' || vm->serial_out_len == sizeof(vm->serial_out_buf) ||
	    !vm->serial_out_thread_started) {
		hand_on(vm);
		return;
	}
	if (vm->serial_out_len == 1) {
		vm->serial_out_due = pt_cond_deadline_ms(vm->serial_out_delay_ms);
		pthread_cond_signal(&vm->serial_out_cond);
	}
}

/* Hands on a line that has not ended once it is due; ends with the VM. */
static void *serial_out_thread(void *arg)
{
	struct pt_vm *vm = arg;

	pthread_mutex_lock(&vm->serial_lock);
	while (!vm->serial_out_stop) {
		if (!vm->serial_out_len) {
			pthread_cond_wait(&vm->serial_out_cond, &vm->serial_lock);
			continue;
		}
		/* A newline or a full buffer may hand it on first: look again then. */
		if (pthread_cond_timedwait(&vm->serial_out_cond, &vm->serial_lock,
					   &vm->serial_out_due) != 0)
			hand_on(vm);
	}
	hand_on(vm);
	pthread_mutex_unlock(&vm->serial_lock);
	return NULL;
}

int pt_serial_out_start(struct pt_vm *vm)
{
	int r = pt_vmm_thread_create(&vm->serial_out_thread, serial_out_thread, vm);

	if (r)
		return -r; /* every byte is handed on at once, as without the buffer */
	pthread_mutex_lock(&vm->serial_lock);
	vm->serial_out_thread_started = true;
	pthread_mutex_unlock(&vm->serial_lock);
	return 0;
}

void pt_serial_out_stop(struct pt_vm *vm)
{
	bool started;

	pthread_mutex_lock(&vm->serial_lock);
	started = vm->serial_out_thread_started;
	vm->serial_out_stop = true;
	pthread_cond_signal(&vm->serial_out_cond);
	if (!started)
		hand_on(vm);
	pthread_mutex_unlock(&vm->serial_lock);
	if (started) {
		pthread_join(vm->serial_out_thread, NULL);
		pthread_mutex_lock(&vm->serial_lock);
		vm->serial_out_thread_started = false;
		pthread_mutex_unlock(&vm->serial_lock);
	}
}
