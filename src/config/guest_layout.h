/*
 * Where a VM's devices sit on the guest's PCI bus 0: a slot (1-31) and a function
 * (0-7) for each host function. Pure logic, shared by the definition's validation,
 * the VMM's start and its device-add, so that all three decide alike.
 *
 * A guest looks at functions 1-7 of a slot only through its function 0, so:
 * - a place asked for (guest-slot) is kept as asked; a function > 0 there needs a
 *   function 0 in the same slot, placed or asked for;
 * - a function with no place asked for joins the guest slot of a host slot-mate (a
 *   function of the same host slot: a GPU's audio function) when that mate's guest
 *   slot keeps the host's numbering (its guest function is its host function), at
 *   its own host function number, if that is free and the slot has (or it is) a
 *   function 0; otherwise it takes function 0 of the lowest slot with no function.
 *   A function 0 goes before its slot-mates that have no place asked for either, so
 *   GPU and audio share a slot whatever order they are listed in.
 */
#ifndef PT_CONFIG_GUEST_LAYOUT_H
#define PT_CONFIG_GUEST_LAYOUT_H

#include <stddef.h>

#include "common/bdf.h"

#define PT_GUEST_FUNCTIONS 8

struct pt_guest_fn {
	struct pt_bdf host;
	int slot;       /* 1-31, or -1: to be chosen */
	int function;   /* 0-7 (with a slot), or -1: to be chosen */
};

/*
 * Places want[0..n) on a bus that holds taken[0..n_taken) already (each with its
 * slot and function): fills in the slot and function of each want that has none.
 * 0, or with *ret_bad the index of the want at fault: -EEXIST (its place is taken),
 * -ENXIO (a function > 0 in a slot where no function 0 is or will be), -ENOSPC (no
 * slot left), -EINVAL (a slot or function out of range). want is left as it was on
 * failure.
 */
int pt_guest_layout(const struct pt_guest_fn *taken, size_t n_taken, struct pt_guest_fn *want,
		    size_t n, size_t *ret_bad);

/* Whether a and b are functions of one host slot (domain, bus and device alike). */
bool pt_guest_slot_mates(const struct pt_bdf *a, const struct pt_bdf *b);

#endif
