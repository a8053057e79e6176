/* The table as KVM_SET_GSI_ROUTING takes it: a pure function of the model. */
#include "config.h"

#include <string.h>

#include "route/table_impl.h"

size_t pt_route_encoded_size(unsigned nr)
{
	return sizeof(struct kvm_irq_routing) + (size_t)nr * sizeof(struct kvm_irq_routing_entry);
}

static void encode_slot(const struct pt_route_slot *s, unsigned gsi,
			struct kvm_irq_routing_entry *e, unsigned idx, unsigned cap)
{
	if (s->type == PT_ROUTE_MSI) {
		if (idx >= cap)
			return;
		memset(&e[idx], 0, sizeof(e[idx]));
		e[idx].gsi = gsi;
		e[idx].type = KVM_IRQ_ROUTING_MSI;
		e[idx].flags = s->msg.flags;
		e[idx].u.msi.address_lo = s->msg.address_lo;
		e[idx].u.msi.address_hi = s->msg.address_hi;
		e[idx].u.msi.data = s->msg.data;
		if (s->msg.flags & KVM_MSI_VALID_DEVID)
			e[idx].u.msi.devid = s->msg.devid;
		return;
	}
	for (unsigned p = 0; p < s->nr_pins && idx + p < cap; p++) {
		memset(&e[idx + p], 0, sizeof(e[idx + p]));
		e[idx + p].gsi = gsi;
		e[idx + p].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[idx + p].u.irqchip.irqchip = s->pins[p].chip;
		e[idx + p].u.irqchip.pin = s->pins[p].pin;
	}
}

unsigned pt_route_table_encode(const struct pt_route_table *t, struct kvm_irq_routing *out,
			       unsigned cap)
{
	unsigned n = 0;

	pt_route_lock(t);
	for (unsigned gsi = 0; gsi < t->max_entries; gsi++) {
		const struct pt_route_slot *s = &t->slots[gsi];

		switch (s->type) {
		case PT_ROUTE_MSI:
			encode_slot(s, gsi, out->entries, n, cap);
			n++;
			break;
		case PT_ROUTE_IRQCHIP:
			encode_slot(s, gsi, out->entries, n, cap);
			n += s->nr_pins;
			break;
		default:
			break;
		}
	}
	out->nr = n < cap ? n : cap;
	out->flags = 0;
	pt_route_unlock(t);
	return n;
}
