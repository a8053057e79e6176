/*
 * Address-range dispatch for guest port I/O and MMIO: each device claims
 * [base, base+len) with a handler. Lookups take a read lock, so devices can be
 * added while vCPUs run; handlers must not add or remove ranges themselves.
 */
#ifndef PT_VMM_IOBUS_H
#define PT_VMM_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *val holds the data to write, or receives the data read (size 1, 2, 4 or 8 bytes). */
typedef void (*pt_io_handler)(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val);

struct pt_io_range {
	uint64_t base, len;
	pt_io_handler fn;
	void *ctx;
	const char *name;
};

struct pt_iobus {
	pthread_rwlock_t lock;
	size_t n, cap;
	struct pt_io_range *ranges;
};

void pt_iobus_init(struct pt_iobus *bus);
void pt_iobus_destroy(struct pt_iobus *bus);

/* -EEXIST if the range overlaps another, -EINVAL if empty or wrapping, -ENOMEM. */
int pt_iobus_add(struct pt_iobus *bus, uint64_t base, uint64_t len, pt_io_handler fn, void *ctx,
		 const char *name);
/* Removes the range that starts at base; -ENOENT if none. */
int pt_iobus_del(struct pt_iobus *bus, uint64_t base);

/* Calls the handler that owns addr; -ENOENT if nothing is there (reads then return all ones). */
int pt_iobus_access(struct pt_iobus *bus, uint64_t addr, unsigned size, bool write, uint64_t *val);

#endif
