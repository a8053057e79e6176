#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/mptable.h"

/* Layouts from the MultiProcessor Specification 1.4, chapter 4. */
struct mpf {
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_ptr;
	uint16_t oem_size;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;		/* 0 */
	uint8_t apic_id;
	uint8_t apic_ver;
	uint8_t flags;		/* bit 0 enabled, bit 1 boot processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;		/* 1 */
	uint8_t id;
	char name[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;		/* 2 */
	uint8_t id;
	uint8_t version;
	uint8_t flags;		/* bit 0 enabled */
	uint32_t addr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;		/* 3 = I/O interrupt, 4 = local interrupt */
	uint8_t irqtype;	/* 0 INT, 1 NMI, 2 SMI, 3 ExtINT */
	uint16_t flags;		/* bits 0-1 polarity, 2-3 trigger mode */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf) == 16, "MP floating pointer is 16 bytes");
_Static_assert(sizeof(struct mpc_header) == 44, "MP config header is 44 bytes");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry is 20 bytes");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry is 8 bytes");

#define MP_IRQ_INT 0
#define MP_IRQ_NMI 1
#define MP_IRQ_EXTINT 3
#define MP_FLAGS_CONFORMING 0x0
#define MP_FLAGS_PCI 0xf	/* active low, level triggered */
#define MP_APIC_ALL 0xff
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11

static const unsigned isa_irqs = 16;

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return (uint8_t)-sum;
}

static unsigned n_entries(const struct pt_mptable_desc *d, size_t *bytes)
{
	unsigned n = 0;
	size_t b = 0;

	n += d->n_cpus;
	b += d->n_cpus * sizeof(struct mpc_cpu);
	n += 2;
	b += 2 * sizeof(struct mpc_bus);
	if (d->ioapic_id >= 0) {
		/* ISA IRQ 2 is the PIC cascade and has no pin of its own. */
		n += 1 + (isa_irqs - 1) + d->n_pci_irqs;
		b += sizeof(struct mpc_ioapic) + (isa_irqs - 1 + d->n_pci_irqs) * sizeof(struct mpc_intsrc);
	}
	n += 2;
	b += 2 * sizeof(struct mpc_intsrc);
	*bytes = b;
	return n;
}

size_t pt_mptable_size(const struct pt_mptable_desc *d)
{
	size_t bytes;

	n_entries(d, &bytes);
	return sizeof(struct mpf) + sizeof(struct mpc_header) + bytes;
}

static uint8_t *put(uint8_t *p, const void *entry, size_t n)
{
	memcpy(p, entry, n);
	return p + n;
}

static uint8_t *put_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype, uint16_t flags,
			   uint8_t bus, uint8_t irq, uint8_t apic, uint8_t pin)
{
	struct mpc_intsrc e = {
		.type = type, .irqtype = irqtype, .flags = flags, .src_bus = bus,
		.src_irq = irq, .dst_apic = apic, .dst_pin = pin,
	};

	return put(p, &e, sizeof(e));
}

long pt_mptable_build(void *buf, size_t size, uint32_t gpa, const struct pt_mptable_desc *d)
{
	size_t total = pt_mptable_size(d), bytes;
	struct mpf *mpf = buf;
	struct mpc_header *hdr = (struct mpc_header *)(mpf + 1);
	uint8_t *p = (uint8_t *)(hdr + 1);
	unsigned count = n_entries(d, &bytes);

	if (d->n_cpus == 0 || d->n_cpus > 255 ||
	    (d->ioapic_id >= 0 && (d->ioapic_id < (int)d->n_cpus || d->ioapic_id > 254)))
		return -EINVAL;
	if (total > size || total > 0xffff)
		return -ENOSPC;
	memset(buf, 0, total);

	for (unsigned i = 0; i < d->n_cpus; i++) {
		struct mpc_cpu c = {
			.type = 0, .apic_id = (uint8_t)i, .apic_ver = LAPIC_VERSION,
			.flags = 1 | (i == 0 ? 2 : 0),
			.signature = d->cpu_signature, .features = d->cpu_features,
		};
		p = put(p, &c, sizeof(c));
	}
	p = put(p, &(struct mpc_bus){ 1, PT_MP_BUS_PCI, "PCI   " }, sizeof(struct mpc_bus));
	p = put(p, &(struct mpc_bus){ 1, PT_MP_BUS_ISA, "ISA   " }, sizeof(struct mpc_bus));
	if (d->ioapic_id >= 0) {
		struct mpc_ioapic io = {
			.type = 2, .id = (uint8_t)d->ioapic_id, .version = IOAPIC_VERSION,
			.flags = 1, .addr = d->ioapic_addr,
		};
		p = put(p, &io, sizeof(io));
		/* ISA IRQ n is IOAPIC pin n: KVM's default routing for GSIs 0-15. */
		for (unsigned irq = 0; irq < isa_irqs; irq++) {
			if (irq == 2)
				continue;
			p = put_intsrc(p, 3, MP_IRQ_INT, MP_FLAGS_CONFORMING, PT_MP_BUS_ISA,
				       (uint8_t)irq, (uint8_t)d->ioapic_id, (uint8_t)irq);
		}
		for (size_t i = 0; i < d->n_pci_irqs; i++) {
			const struct pt_mp_pci_irq *q = &d->pci_irqs[i];

			if (q->dev > 31 || q->pin < 1 || q->pin > 4)
				return -EINVAL;
			/* Source bus IRQ for PCI: device number in bits 2-6, pin (0 = INTA) in 0-1. */
			p = put_intsrc(p, 3, MP_IRQ_INT, MP_FLAGS_PCI, PT_MP_BUS_PCI,
				       (uint8_t)(q->dev << 2 | (q->pin - 1)), (uint8_t)d->ioapic_id,
				       q->gsi);
		}
	}
	/* LINT0 takes the PIC's ExtINT, LINT1 the NMI, on every CPU: the PC wiring. */
	p = put_intsrc(p, 4, MP_IRQ_EXTINT, MP_FLAGS_CONFORMING, PT_MP_BUS_ISA, 0, MP_APIC_ALL, 0);
	p = put_intsrc(p, 4, MP_IRQ_NMI, MP_FLAGS_CONFORMING, PT_MP_BUS_ISA, 0, MP_APIC_ALL, 1);

	memcpy(hdr->signature, "PCMP", 4);
	hdr->length = (uint16_t)(p - (uint8_t *)hdr);
	hdr->spec_rev = 4;
	memcpy(hdr->oem, "PASSTHRU", 8);
	memcpy(hdr->product, "PASSTHRU-VMM", 12);
	hdr->count = (uint16_t)count;
	hdr->lapic = d->lapic_addr;
	hdr->checksum = checksum(hdr, hdr->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = gpa + sizeof(*mpf);
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return (long)(p - (uint8_t *)buf);
}
