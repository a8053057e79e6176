#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/iobus.h"

void pt_iobus_init(struct pt_iobus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

void pt_iobus_destroy(struct pt_iobus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
}

int pt_iobus_add(struct pt_iobus *bus, uint64_t base, uint64_t len, pt_io_handler fn, void *ctx,
		 const char *name)
{
	int r = 0;

	if (!len || base + len < base || !fn)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		const struct pt_io_range *o = &bus->ranges[i];

		if (base < o->base + o->len && o->base < base + len) {
			r = -EEXIST;
			goto out;
		}
	}
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct pt_io_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	bus->ranges[bus->n++] = (struct pt_io_range){ base, len, fn, ctx, name };
out:
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

int pt_iobus_del(struct pt_iobus *bus, uint64_t base)
{
	int r = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		if (bus->ranges[i].base == base) {
			bus->ranges[i] = bus->ranges[--bus->n];
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

int pt_iobus_access(struct pt_iobus *bus, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	int r = -ENOENT;

	pthread_rwlock_rdlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		const struct pt_io_range *o = &bus->ranges[i];

		if (addr >= o->base && addr - o->base < o->len) {
			o->fn(o->ctx, addr, size, write, val);
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (r < 0 && !write)
		*val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	return r;
}
