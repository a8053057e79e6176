/* Guest slots and functions for a VM's devices: see guest_layout.h for the rules. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/guest_layout.h"

#define SLOTS 32 /* slot 0 is the host bridge's */

/* What sits at each slot.function of the bus (NULL: free). */
struct grid {
	const struct pt_guest_fn *at[SLOTS][PT_GUEST_FUNCTIONS];
};

bool pt_guest_slot_mates(const struct pt_bdf *a, const struct pt_bdf *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

static bool place_valid(int slot, int function)
{
	return slot >= 1 && slot < SLOTS && function >= 0 && function < PT_GUEST_FUNCTIONS;
}

static bool slot_empty(const struct grid *g, int slot)
{
	for (int fn = 0; fn < PT_GUEST_FUNCTIONS; fn++)
		if (g->at[slot][fn])
			return false;
	return true;
}

/*
 * A slot where w can join a host slot-mate at its own host function number: the
 * mate keeps the host's numbering there, w's number is free, and the slot has a
 * function 0 (or w is one). -1: none.
 */
static int mate_slot(const struct grid *g, const struct pt_guest_fn *w)
{
	int h = w->host.func;

	for (int s = 1; s < SLOTS; s++) {
		for (int fn = 0; fn < PT_GUEST_FUNCTIONS; fn++) {
			const struct pt_guest_fn *m = g->at[s][fn];

			if (!m || !pt_guest_slot_mates(&m->host, &w->host) || m->host.func == h ||
			    m->function != m->host.func)
				continue;
			if (h < PT_GUEST_FUNCTIONS && !g->at[s][h] && (h == 0 || g->at[s][0]))
				return s;
		}
	}
	return -1;
}

static int choose(struct grid *g, struct pt_guest_fn *w)
{
	int s = mate_slot(g, w);

	if (s >= 0) {
		w->slot = s;
		w->function = w->host.func;
	} else {
		for (s = 1; s < SLOTS && !slot_empty(g, s); s++)
			;
		if (s == SLOTS)
			return -ENOSPC;
		w->slot = s;
		w->function = 0;
	}
	g->at[w->slot][w->function] = w;
	return 0;
}

/* A want with no place yet that is function 0 of i's host slot, or -1. */
static long fn0_mate(const struct pt_guest_fn *out, size_t n, size_t i)
{
	if (out[i].host.func == 0)
		return -1;
	for (size_t j = 0; j < n; j++)
		if (j != i && out[j].slot < 0 && out[j].host.func == 0 &&
		    pt_guest_slot_mates(&out[j].host, &out[i].host))
			return (long)j;
	return -1;
}

static int lay_out(struct grid *g, struct pt_guest_fn *out, size_t n, size_t *bad)
{
	int r;

	/* The places asked for first, so that no chosen place takes one. */
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (out[i].slot < 0)
			continue;
		if (out[i].function < 0)
			out[i].function = 0;
		if (!place_valid(out[i].slot, out[i].function))
			return -EINVAL;
		if (g->at[out[i].slot][out[i].function])
			return -EEXIST;
		g->at[out[i].slot][out[i].function] = &out[i];
	}
	for (size_t i = 0; i < n; i++) {
		long j = fn0_mate(out, n, i);

		if (out[i].slot >= 0)
			continue;
		*bad = j >= 0 ? (size_t)j : i;
		if (j >= 0 && (r = choose(g, &out[j])) < 0)
			return r;
		*bad = i;
		r = choose(g, &out[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (out[i].function > 0 && !g->at[out[i].slot][0])
			return -ENXIO;
	}
	return 0;
}

int pt_guest_layout(const struct pt_guest_fn *taken, size_t n_taken, struct pt_guest_fn *want,
		    size_t n, size_t *ret_bad)
{
	struct grid *g = calloc(1, sizeof(*g));
	struct pt_guest_fn *out = calloc(n ? n : 1, sizeof(*out));
	size_t bad = 0;
	int r = -ENOMEM;

	if (!g || !out)
		goto done;
	for (size_t i = 0; i < n_taken; i++)
		if (place_valid(taken[i].slot, taken[i].function))
			g->at[taken[i].slot][taken[i].function] = &taken[i];
	memcpy(out, want, n * sizeof(*out));
	r = lay_out(g, out, n, &bad);
	if (r == 0)
		memcpy(want, out, n * sizeof(*out));
	else if (ret_bad)
		*ret_bad = bad;
done:
	free(out);
	free(g);
	return r;
}
