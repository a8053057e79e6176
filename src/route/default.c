/*
 * The routes KVM installs when the in-kernel irqchip is created (its default table for
 * x86): GSI 0-15 each drive IOAPIC pin GSI and PIC pin GSI % 8 of the master (0-7) or
 * slave (8-15) PIC; GSI 16-23 drive IOAPIC pins 16-23 only. There is no ISA override:
 * GSI 2 is IOAPIC pin 2 (and PIC master pin 2, the cascade). 40 entries in all.
 * KVM_SET_GSI_ROUTING replaces the table, so ours must carry them too.
 */
#include "config.h"

#include "route/table_impl.h"

unsigned pt_route_default_fill(struct pt_route_slot *slots, enum pt_irqchip mode)
{
	unsigned n = 0;

	if (mode == PT_IRQCHIP_SPLIT)
		return 0; /* the IOAPIC and PIC live in userspace: no IRQCHIP routes */

	for (unsigned gsi = 0; gsi < PT_ROUTE_IOAPIC_PINS; gsi++) {
		struct pt_route_slot *s = &slots[gsi];

		s->type = PT_ROUTE_IRQCHIP;
		s->pins[0] = (struct pt_route_pin){ .chip = PT_CHIP_IOAPIC, .pin = gsi };
		s->nr_pins = 1;
		if (gsi < PT_ROUTE_PIC_IRQS) {
			s->pins[1] = (struct pt_route_pin){
				.chip = gsi < 8 ? PT_CHIP_PIC_MASTER : PT_CHIP_PIC_SLAVE,
				.pin = gsi % 8,
			};
			s->nr_pins = 2;
		}
		n += s->nr_pins;
	}
	return n;
}
