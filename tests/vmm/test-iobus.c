/* src/vmm/iobus.c: dispatch, and ranges changed while handlers run (no KVM needed). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/iobus.h"

struct mover {
	struct pt_iobus *bus;
	int calls, del_old, add_new;
};

static void nop(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	(void)ctx, (void)addr, (void)size, (void)write;
	*val = 0x55;
}

/* What a config write that moves a BAR does: remove one range, add another. */
static void move_bar(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct mover *m = ctx;

	(void)addr, (void)size, (void)write, (void)val;
	m->calls++;
	m->del_old = pt_iobus_del(m->bus, 0x1000);
	m->add_new = pt_iobus_add(m->bus, 0x2000, 0x10, nop, NULL, "moved BAR");
}

struct slow {
	atomic_int entered, finished;
	int release_fd;
};

static void slow_handler(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct slow *s = ctx;
	char c;

	(void)addr, (void)size, (void)write, (void)val;
	atomic_store(&s->entered, 1);
	if (read(s->release_fd, &c, 1) < 0)
		c = 0;
	atomic_store(&s->finished, 1);
}

struct access_arg {
	struct pt_iobus *bus;
	uint64_t addr;
};

static void *access_thread(void *p)
{
	struct access_arg *a = p;
	uint64_t v = 0;

	pt_iobus_access(a->bus, a->addr, 4, false, &v);
	return NULL;
}

static void *release_later(void *p)
{
	int fd = *(int *)p;

	usleep(200 * 1000);
	if (write(fd, "x", 1) < 0)
		return NULL;
	return NULL;
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_iobus bus;
	struct mover m = { .bus = &bus };
	struct slow s = { 0 };
	struct access_arg a = { .bus = &bus, .addr = 0x3004 };
	pthread_t th, rel;
	uint64_t v = 0;
	int pipefd[2];

	alarm(60); /* a deadlock (the old bus's) ends the test instead of hanging make check */
	pt_iobus_init(&bus);
	tap_is_int(&t, pt_iobus_add(&bus, 0xcf8, 8, move_bar, &m, "config"), 0, "config port added");
	tap_is_int(&t, pt_iobus_add(&bus, 0x1000, 0x10, nop, NULL, "BAR"), 0, "a BAR's range added");
	tap_is_int(&t, pt_iobus_add(&bus, 0x1008, 4, nop, NULL, "x"), -EEXIST, "an overlap is refused");
	v = 0;
	tap_is_int(&t, pt_iobus_access(&bus, 0x1004, 4, false, &v), 0, "the BAR answers");
	tap_is_int(&t, (long long)v, 0x55, "with its handler's value");

	/* On the old bus (a read lock held across the handler) this deadlocked. */
	tap_is_int(&t, pt_iobus_access(&bus, 0xcfc, 4, true, &v), 0,
		   "a handler that moves another range returns");
	tap_ok(&t, m.calls == 1 && m.del_old == 0 && m.add_new == 0,
	       "it removed the old range and added the new one (del %d, add %d)", m.del_old,
	       m.add_new);
	v = 0;
	tap_is_int(&t, pt_iobus_access(&bus, 0x1004, 4, false, &v), -ENOENT, "the old address is gone");
	tap_is_int(&t, (long long)v, 0xffffffff, "and reads all ones");
	tap_is_int(&t, pt_iobus_access(&bus, 0x2004, 4, false, &v), 0, "the new address answers");

	/* Removal waits for a handler running on another thread. */
	if (pipe(pipefd) == 0) {
		s.release_fd = pipefd[0];
		pt_iobus_add(&bus, 0x3000, 0x10, slow_handler, &s, "slow");
		pthread_create(&th, NULL, access_thread, &a);
		while (!atomic_load(&s.entered))
			usleep(1000);
		pthread_create(&rel, NULL, release_later, &pipefd[1]);
		tap_is_int(&t, pt_iobus_del(&bus, 0x3000), 0, "a range is removed while its handler runs");
		tap_ok(&t, atomic_load(&s.finished),
		       "and the removal returned only after that handler had finished");
		pthread_join(th, NULL);
		pthread_join(rel, NULL);
		close(pipefd[0]);
		close(pipefd[1]);
	} else {
		tap_skip(&t, "pipe: cannot test removal during a handler");
	}
	tap_is_int(&t, pt_iobus_del(&bus, 0x3000), -ENOENT, "removing it twice");
	pt_iobus_destroy(&bus);
	return tap_done(&t);
}
