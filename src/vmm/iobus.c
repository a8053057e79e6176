#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/iobus.h"

struct pt_io_range {
	uint64_t base, len;
	pt_io_handler fn;
	void *ctx;
	const char *name;
	atomic_int refs; /* the bus's (while listed) + one per running dispatch */
};

static void range_put(struct pt_io_range *r)
{
	if (atomic_fetch_sub(&r->refs, 1) == 1)
		free(r);
}

void pt_iobus_init(struct pt_iobus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

void pt_iobus_destroy(struct pt_iobus *bus)
{
	for (size_t i = 0; i < bus->n; i++)
		range_put(bus->ranges[i]);
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
}

int pt_iobus_add(struct pt_iobus *bus, uint64_t base, uint64_t len, pt_io_handler fn, void *ctx,
		 const char *name)
{
	struct pt_io_range *r;
	int e = 0;

	if (!len || base + len < base || !fn)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct pt_io_range){ .base = base, .len = len, .fn = fn, .ctx = ctx, .name = name };
	atomic_init(&r->refs, 1);
	pthread_rwlock_wrlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		const struct pt_io_range *o = bus->ranges[i];

		if (base < o->base + o->len && o->base < base + len) {
			e = -EEXIST;
			goto out;
		}
	}
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct pt_io_range **n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			e = -ENOMEM;
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	bus->ranges[bus->n++] = r;
	r = NULL;
out:
	pthread_rwlock_unlock(&bus->lock);
	free(r);
	return e;
}

int pt_iobus_del(struct pt_iobus *bus, uint64_t base)
{
	struct pt_io_range *r = NULL;

	pthread_rwlock_wrlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		if (bus->ranges[i]->base == base) {
			r = bus->ranges[i];
			bus->ranges[i] = bus->ranges[--bus->n];
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!r)
		return -ENOENT;
	/* Unlisted: no new dispatch finds it. Wait for the running ones. */
	while (atomic_load(&r->refs) > 1)
		sched_yield();
	range_put(r);
	return 0;
}

int pt_iobus_access(struct pt_iobus *bus, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct pt_io_range *r = NULL;

	pthread_rwlock_rdlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		struct pt_io_range *o = bus->ranges[i];

		if (addr >= o->base && addr - o->base < o->len) {
			atomic_fetch_add(&o->refs, 1);
			r = o;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!r) {
		if (!write)
			*val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		return -ENOENT;
	}
	r->fn(r->ctx, addr, size, write, val);
	range_put(r);
	return 0;
}
