#include "config.h"

#include "route/describe.h"
#include "route/table_impl.h"

const char *pt_route_type_name(enum pt_route_type type)
{
	switch (type) {
	case PT_ROUTE_IRQCHIP:
		return "irqchip";
	case PT_ROUTE_MSI:
		return "msi";
	case PT_ROUTE_NONE:
		break;
	}
	return "none";
}

const char *pt_route_chip_name(enum pt_route_chip chip)
{
	switch (chip) {
	case PT_CHIP_PIC_MASTER:
		return "pic-master";
	case PT_CHIP_PIC_SLAVE:
		return "pic-slave";
	case PT_CHIP_IOAPIC:
		return "ioapic";
	}
	return "unknown";
}

/* The GSI's owners into own[] (room for PT_ROUTE_PIN_OWNERS_MAX); returns how many. */
static unsigned owners_of(const struct pt_route_table *t, unsigned gsi,
			  struct pt_route_owner_desc *own)
{
	const struct pt_route_slot *s = &t->slots[gsi];
	const struct pt_route_pin_owners *o;

	if (s->type == PT_ROUTE_MSI) {
		own[0] = (struct pt_route_owner_desc){ s->owner, s->owner_vector, s->irqfd,
						       s->resamplefd };
		return 1;
	}
	if (s->type != PT_ROUTE_IRQCHIP || gsi >= PT_ROUTE_IOAPIC_PINS)
		return 0;
	o = &t->pin_owners[gsi];
	for (unsigned i = 0; i < o->nr; i++)
		own[i] = (struct pt_route_owner_desc){ o->share[i].owner, PT_ROUTE_NO_VECTOR,
						       o->share[i].irqfd, o->share[i].resamplefd };
	return o->nr;
}

static int describe_locked(const struct pt_route_table *t, pt_route_desc_fn fn, void *opaque)
{
	struct pt_route_owner_desc own[PT_ROUTE_PIN_OWNERS_MAX];

	for (unsigned gsi = 0; gsi < t->max_entries; gsi++) {
		const struct pt_route_slot *s = &t->slots[gsi];
		struct pt_route_desc d = {
			.gsi = gsi,
			.type = s->type,
			.owner = "default",
			.owner_vector = PT_ROUTE_NO_VECTOR,
			.irqfd = -1,
			.resamplefd = -1,
			.owners = own,
		};
		int r;

		if (s->type == PT_ROUTE_NONE)
			continue;
		d.nr_owners = owners_of(t, gsi, own);
		if (d.nr_owners) {
			d.owner = own[0].name;
			d.owner_vector = own[0].vector;
			d.irqfd = own[0].irqfd;
			d.resamplefd = own[0].resamplefd;
			d.resample = own[0].resamplefd >= 0;
		}
		if (s->type == PT_ROUTE_MSI) {
			d.msg = s->msg;
			pt_msi_decode(&s->msg, &d.msi);
			r = fn(&d, opaque);
			if (r)
				return r;
		} else {
			for (unsigned p = 0; p < s->nr_pins; p++) {
				d.chip = s->pins[p].chip;
				d.pin = s->pins[p].pin;
				r = fn(&d, opaque);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

int pt_route_table_describe(const struct pt_route_table *t, pt_route_desc_fn fn, void *opaque)
{
	int r;

	pt_route_lock(t);
	r = describe_locked(t, fn, opaque);
	pt_route_unlock(t);
	return r;
}
