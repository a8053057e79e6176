/*
 * Address-range dispatch for guest port I/O and MMIO: each device claims
 * [base, base+len) with a handler.
 *
 * Runtime changes (the model device assignment builds on): ranges may be added and
 * removed from any thread at any time, handlers included. A guest moving a BAR is
 * a config write whose handler removes the old range and adds the new one, on a
 * vCPU thread, while other vCPUs keep dispatching. So:
 * - the bus lock is a leaf: it is held only to look a range up or change the list,
 *   never while a handler runs, so a handler may take its own locks (the PCI bus
 *   lock) and call pt_iobus_add/del without a lock-order cycle;
 * - each range is reference-counted: a dispatch holds a reference while its handler
 *   runs, and pt_iobus_del() returns only once no thread is inside that range's
 *   handler, so after it returns the range's ctx may be freed. A handler must
 *   therefore not delete its own range (it would wait for itself): BARs move from
 *   the config-space handler, which is another range. For the same reason a
 *   handler must not wait for a lock that a remover holds while removing: BAR
 *   handlers never take the PCI bus lock, under which bar_update moves ranges.
 */
#ifndef PT_VMM_IOBUS_H
#define PT_VMM_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *val holds the data to write, or receives the data read (size 1, 2, 4 or 8 bytes). */
typedef void (*pt_io_handler)(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val);

struct pt_io_range; /* iobus.c: base, len, handler, references */

struct pt_iobus {
	pthread_rwlock_t lock;
	size_t n, cap;
	struct pt_io_range **ranges;
};

void pt_iobus_init(struct pt_iobus *bus);
void pt_iobus_destroy(struct pt_iobus *bus);

/* -EEXIST if the range overlaps another, -EINVAL if empty or wrapping, -ENOMEM. */
int pt_iobus_add(struct pt_iobus *bus, uint64_t base, uint64_t len, pt_io_handler fn, void *ctx,
		 const char *name);
/*
 * Removes the range that starts at base; -ENOENT if none. Returns once no thread
 * runs its handler (so never call it from that range's own handler).
 */
int pt_iobus_del(struct pt_iobus *bus, uint64_t base);

/* Calls the handler that owns addr; -ENOENT if nothing is there (reads then return all ones). */
int pt_iobus_access(struct pt_iobus *bus, uint64_t addr, unsigned size, bool write, uint64_t *val);

#endif
