/*
 * Test doubles for the routing table's kernel side: a struct pt_route_ops that records
 * what would have reached KVM, and a way to read what the code logged.
 */
#ifndef PT_TESTS_ROUTE_FAKE_OPS_H
#define PT_TESTS_ROUTE_FAKE_OPS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "route/table.h"

#define FAKE_MAX_ENTRIES 4096
#define FAKE_LOG_MAX 64

struct fake_kvm {
	int routing_calls, irqfd_calls, msi_calls;
	int fail_routing;          /* -errno to return from the next set_gsi_routing */
	int fail_irqfd;            /* -errno to return from the next irqfd */
	unsigned nr;               /* the last table the fake kernel accepted */
	struct kvm_irq_routing_entry entries[FAKE_MAX_ENTRIES];
	struct kvm_irqfd last_irqfd;
	struct kvm_msi last_msi;
	char log[FAKE_LOG_MAX];    /* call order: 'R' routing, 'A' assign, 'D' deassign */
	int nlog;
};

static inline void fake_note(struct fake_kvm *f, char c)
{
	if (f->nlog < FAKE_LOG_MAX - 1)
		f->log[f->nlog++] = c;
}

static inline int fake_set_gsi_routing(void *opaque, const struct kvm_irq_routing *r)
{
	struct fake_kvm *f = opaque;

	f->routing_calls++;
	fake_note(f, 'R');
	if (f->fail_routing) {
		int e = f->fail_routing;

		f->fail_routing = 0;
		return e;
	}
	if (r->nr > FAKE_MAX_ENTRIES)
		return -EINVAL; /* what KVM says above KVM_MAX_IRQ_ROUTES */
	f->nr = r->nr;
	memcpy(f->entries, r->entries, r->nr * sizeof(r->entries[0]));
	return 0;
}

static inline int fake_irqfd(void *opaque, const struct kvm_irqfd *req)
{
	struct fake_kvm *f = opaque;

	f->irqfd_calls++;
	fake_note(f, req->flags & KVM_IRQFD_FLAG_DEASSIGN ? 'D' : 'A');
	if (f->fail_irqfd) {
		int e = f->fail_irqfd;

		f->fail_irqfd = 0;
		return e;
	}
	f->last_irqfd = *req;
	return 0;
}

static inline int fake_signal_msi(void *opaque, const struct kvm_msi *msi)
{
	struct fake_kvm *f = opaque;

	f->msi_calls++;
	f->last_msi = *msi;
	return 1;
}

static const struct pt_route_ops fake_ops = {
	.set_gsi_routing = fake_set_gsi_routing,
	.irqfd = fake_irqfd,
	.signal_msi = fake_signal_msi,
};

/* stderr into a temporary file between capture_begin() and capture_end(). */
struct capture {
	int saved;
	FILE *f;
	char text[1024];
};

static inline void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	c->saved = dup(2);
	if (!c->f || c->saved < 0 || dup2(fileno(c->f), 2) < 0) {
		perror("capture");
		exit(99);
	}
}

static inline const char *capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	/* Show it in the test log too. */
	fputs(c->text, stderr);
	return c->text;
}

#endif
