/*
 * Guest slots and functions (config/guest_layout.h): places asked for are kept, host
 * slot-mates share a guest slot at their host function numbers, a function > 0 never
 * sits in a slot without a function 0, and failures leave the wants as they were.
 */
#include "config.h"

#include <errno.h>

#include "common/cleanup.h"
#include "config/guest_layout.h"
#include "tap.h"

static struct pt_guest_fn fn(unsigned bus, unsigned dev, unsigned func, int slot, int function)
{
	return (struct pt_guest_fn){ { 0, (uint8_t)bus, (uint8_t)dev, (uint8_t)func }, slot,
				     function };
}

static bool at(const struct pt_guest_fn *f, int slot, int function)
{
	return f->slot == slot && f->function == function;
}

static void test_start(struct tap *t)
{
	struct pt_guest_fn w[] = {
		fn(3, 0, 1, -1, -1), fn(4, 0, 0, -1, -1), fn(3, 0, 0, -1, -1),
		fn(5, 0, 0, 1, -1), fn(6, 0, 2, -1, -1), fn(6, 0, 3, -1, -1),
	};

	tap_is_int(t, pt_guest_layout(NULL, 0, w, ARRAY_SIZE(w), NULL), 0, "start: all placed");
	tap_ok(t, at(&w[3], 1, 0), "a slot asked for (1) is kept, function 0 by default");
	tap_ok(t, at(&w[2], 2, 0) && at(&w[0], 2, 1),
	       "03:00.0 and 03:00.1 share slot 2 as functions 0 and 1 (03:00.1 listed first)");
	tap_ok(t, at(&w[1], 3, 0), "04:00.0 takes the next free slot, 3");
	tap_ok(t, at(&w[4], 4, 0) && at(&w[5], 5, 0),
	       "06:00.2 and 06:00.3 without their function 0: each function 0 of its own slot");
}

static void test_hot(struct tap *t)
{
	const struct pt_guest_fn vm[] = { fn(3, 0, 0, 2, 0), fn(7, 0, 1, 4, 0), fn(8, 0, 1, 6, 1),
					  fn(9, 0, 0, 9, 0) };
	struct pt_guest_fn w;
	size_t bad = 99;

	w = fn(3, 0, 1, -1, -1);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, NULL), 0, "attach 03:00.1");
	tap_ok(t, at(&w, 2, 1), "it joins 03:00.0 in slot 2, as function 1 (%d.%d)", w.slot,
	       w.function);
	w = fn(7, 0, 2, -1, -1);
	pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, NULL);
	tap_ok(t, at(&w, 1, 0), "07:00.2's mate 07:00.1 is function 0 of slot 4, not 1: no "
	       "joining; the lowest free slot, 1 (%d.%d)", w.slot, w.function);
	w = fn(8, 0, 0, -1, -1);
	pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, NULL);
	tap_ok(t, at(&w, 6, 0), "08:00.0 comes back to function 0 of slot 6, where 08:00.1 "
	       "stayed (%d.%d)", w.slot, w.function);
	w = fn(8, 0, 2, -1, -1);
	pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, NULL);
	tap_ok(t, at(&w, 1, 0), "08:00.2 does not join slot 6, which has no function 0 (%d.%d)",
	       w.slot, w.function);
	w = fn(10, 0, 0, 2, 1);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, &bad), 0,
		   "10:00.0 asked for 2.1, beside 03:00.0: taken");
	w = fn(10, 0, 0, 2, 0);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, &bad), -EEXIST,
		   "asked for 2.0, 03:00.0's place: -EEXIST");
	tap_ok(t, bad == 0 && at(&w, 2, 0), "naming want 0, left as it was");
	w = fn(10, 0, 0, 5, 1);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, &bad), -ENXIO,
		   "asked for 5.1 in an empty slot: -ENXIO (no guest would find it)");
	w = fn(10, 0, 0, 9, 8);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, &bad), -EINVAL,
		   "function 8: -EINVAL");
	w = fn(10, 0, 0, 32, 0);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), &w, 1, &bad), -EINVAL,
		   "slot 32: -EINVAL");
}

static void test_full(struct tap *t)
{
	struct pt_guest_fn vm[31], w[2];
	size_t bad = 99;

	for (int i = 0; i < 31; i++)
		vm[i] = fn((unsigned)i + 1, 0, 0, i + 1, 0);
	w[0] = fn(1, 0, 1, -1, -1);
	w[1] = fn(40, 0, 0, -1, -1);
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), w, 2, &bad), -ENOSPC,
		   "31 slots in use: a function with no slot-mate there has no place");
	tap_ok(t, bad == 1 && w[0].slot == -1, "naming want 1; want 0 (which fits) unchanged");
	tap_is_int(t, pt_guest_layout(vm, ARRAY_SIZE(vm), w, 1, NULL), 0,
		   "but 01:00.1 still joins its mate");
	tap_ok(t, at(&w[0], 1, 1), "at 1.1");
}

int main(void)
{
	struct tap t = { 0 };

	test_start(&t);
	test_hot(&t);
	test_full(&t);
	return tap_done(&t);
}
