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

static int describe_locked(const struct pt_route_table *t, pt_route_desc_fn fn, void *opaque)
{
	for (unsigned gsi = 0; gsi < t->max_entries; gsi++) {
		const struct pt_route_slot *s = &t->slots[gsi];
		struct pt_route_desc d = {
			.gsi = gsi,
			.type = s->type,
			.owner = s->owner[0] ? s->owner : "default",
			.owner_vector = s->owner_vector,
			.irqfd = s->irqfd,
			.resamplefd = s->resamplefd,
			.resample = s->resamplefd >= 0,
		};
		int r;

		if (s->type == PT_ROUTE_MSI) {
			d.msg = s->msg;
			pt_msi_decode(&s->msg, &d.msi);
			r = fn(&d, opaque);
			if (r)
				return r;
		} else if (s->type == PT_ROUTE_IRQCHIP) {
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
