/*
 * The simulated Linux 3.17 (fake_kernel.h). Each handler follows what 3.17's
 * virt/kvm/assigned-dev.c does with the struct it copies in, in the same order, so the
 * same misuse gets the same errno and leaves the same state behind, quirks included:
 *  - KVM_ASSIGN_PCI_DEVICE without KVM_DEV_ASSIGN_ENABLE_IOMMU is EINVAL; the device
 *    is reset (pci_reset_function) when assigned and when deassigned;
 *  - KVM_ASSIGN_SET_MSIX_NR stores the count before checking it and may be given once:
 *    only deassigning an MSI-X host interrupt clears it;
 *  - KVM_ASSIGN_SET_MSIX_ENTRY takes the first slot whose entry matches or whose GSI
 *    is 0, and is ENOSPC when none is left (so also before any SET_MSIX_NR);
 *  - KVM_ASSIGN_DEV_IRQ sets one host and/or one guest type; the host half stays when
 *    the guest half fails; MSI-X needs every counted slot filled with distinct entries
 *    below the device's table size (pci_enable_msix_exact).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fake_kernel.h"

void fk_init(struct fake_kernel *k)
{
	*k = (struct fake_kernel){
		.cap_device_assignment = 1, .cap_iommu = 1, .cap_msi = 1, .cap_msix = 1,
		.cap_assign_dev_irq = 1, .cap_pci_2_3 = 1,
		.irqchip_in_kernel = true, .iommu_present = true, .irq_sources_free = 62,
	};
}

struct fk_host_dev *fk_add_host(struct fake_kernel *k, uint32_t seg, uint32_t bus,
				uint32_t devfn, unsigned table_size)
{
	for (unsigned i = 0; i < FK_HOST_DEVS; i++) {
		struct fk_host_dev *h = &k->host[i];

		if (h->present)
			continue;
		*h = (struct fk_host_dev){
			.present = true, .seg = seg, .bus = bus, .devfn = devfn,
			.intx_mask_supported = true, .has_msi = true,
			.msix_table_size = table_size, .host_vectors = 64,
		};
		return h;
	}
	return NULL;
}

struct fk_assigned *fk_find(struct fake_kernel *k, uint32_t id)
{
	for (unsigned i = 0; i < FK_ASSIGNED_MAX; i++)
		if (k->dev[i].used && k->dev[i].id == id)
			return &k->dev[i];
	return NULL;
}

static void note(struct fake_kernel *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct fake_kernel *k, const char *fmt, ...)
{
	va_list ap;

	if (k->nlog >= FK_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(k->log[k->nlog++], FK_LOG_LINE, fmt, ap);
	va_end(ap);
}

static void append_result(struct fake_kernel *k, int r, bool injected)
{
	char *line;
	size_t n;

	if (!k->nlog || k->nlog > FK_LOG_MAX)
		return;
	line = k->log[k->nlog - 1];
	n = strlen(line);
	if (r == 0)
		snprintf(line + n, FK_LOG_LINE - n, " = 0");
	else
		snprintf(line + n, FK_LOG_LINE - n, " = -%s%s",
			 r == -EINVAL ? "EINVAL" : r == -EEXIST ? "EEXIST" : r == -ENODEV ? "ENODEV" :
			 r == -ENOSPC ? "ENOSPC" : r == -ENXIO ? "ENXIO" : r == -EPERM ? "EPERM" :
			 r == -EBUSY ? "EBUSY" : r == -EFAULT ? "EFAULT" : r == -EIO ? "EIO" :
			 r == -ENOTTY ? "ENOTTY" : r == -EOPNOTSUPP ? "EOPNOTSUPP" :
			 r == -ENOMEM ? "ENOMEM" : "E?", injected ? " (injected)" : "");
}

static void lint_zero(struct fake_kernel *k, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i]) {
			k->abi_violations++;
			return;
		}
}

static int popcount(uint32_t v)
{
	return __builtin_popcount(v);
}

/* -- KVM_ASSIGN_PCI_DEVICE / KVM_DEASSIGN_PCI_DEVICE */

static struct fk_host_dev *host_lookup(struct fake_kernel *k, uint32_t seg, uint32_t bus,
				       uint32_t devfn)
{
	/* pci_get_domain_bus_and_slot() takes an int domain, bus 0-255 and devfn 0-255. */
	if (bus > 0xff || devfn > 0xff)
		return NULL;
	for (unsigned i = 0; i < FK_HOST_DEVS; i++) {
		struct fk_host_dev *h = &k->host[i];

		if (h->present && h->seg == seg && h->bus == bus && h->devfn == devfn)
			return h;
	}
	return NULL;
}

static bool host_taken(struct fake_kernel *k, const struct fk_host_dev *h)
{
	for (unsigned i = 0; i < FK_ASSIGNED_MAX; i++)
		if (k->dev[i].used && k->dev[i].host == h)
			return true;
	return false;
}

static int assign_device(struct fake_kernel *k, const struct pt_kvm_assigned_pci_dev *a)
{
	struct fk_assigned *d = NULL;
	struct fk_host_dev *h;

	lint_zero(k, a->reserved, sizeof(a->reserved));
	if (a->flags & ~7u)
		k->abi_violations++;
	if (!(a->flags & PT_KVM_DEV_ASSIGN_ENABLE_IOMMU))
		return -EINVAL;
	if (fk_find(k, a->assigned_dev_id))
		return -EEXIST;
	for (unsigned i = 0; i < FK_ASSIGNED_MAX && !d; i++)
		if (!k->dev[i].used)
			d = &k->dev[i];
	if (!d)
		return -ENOMEM;
	h = host_lookup(k, a->segnr, a->busnr, a->devfn);
	if (!h)
		return -EINVAL; /* "host device not found" */
	if (h->bridge)
		return -EPERM;
	if (h->sysfs_perm_errno)
		return h->sysfs_perm_errno;
	if (h->regions_busy || host_taken(k, h))
		return -EBUSY; /* pci_request_regions(): someone holds them */
	h->resets++;
	if (!k->iommu_domain) {
		if (!k->iommu_present)
			return -ENODEV; /* kvm_iommu_map_guest(): no IOMMU found */
		k->iommu_domain = true;
	}
	*d = (struct fk_assigned){
		.used = true, .id = a->assigned_dev_id, .host = h, .flags = a->flags,
		.irq_source_id = -1,
	};
	if (!h->intx_mask_supported)
		d->flags &= ~PT_KVM_DEV_ASSIGN_PCI_2_3;
	h->enabled = true;
	return 0;
}

static void deassign_host_irq(struct fk_assigned *d)
{
	if (d->irq_requested_type & PT_KVM_DEV_IRQ_HOST_MSIX) {
		d->entries_nr = 0;
		d->entries_alloc = false;
		memset(d->guest_msix, 0, sizeof(d->guest_msix));
		d->host->msix_on = false;
	} else {
		if (d->irq_requested_type & PT_KVM_DEV_IRQ_HOST_MSI)
			d->host->msi_on = false;
		d->host->intx_irq_on = false;
	}
	d->irq_requested_type &= ~PT_KVM_DEV_IRQ_HOST_MASK;
}

static void deassign_guest_irq(struct fake_kernel *k, struct fk_assigned *d)
{
	if (d->irq_source_id != -1)
		k->irq_sources_free++;
	d->irq_source_id = -1;
	d->irq_requested_type &= ~PT_KVM_DEV_IRQ_GUEST_MASK;
}

/* kvm_deassign_irq(): what to take out comes from the caller, not from the device. */
static int deassign_irq(struct fake_kernel *k, struct fk_assigned *d, uint32_t type)
{
	if (!k->irqchip_in_kernel)
		return -EINVAL;
	if (!d->irq_requested_type)
		return -ENXIO;
	if (type & PT_KVM_DEV_IRQ_HOST_MASK)
		deassign_host_irq(d);
	if (type & PT_KVM_DEV_IRQ_GUEST_MASK)
		deassign_guest_irq(k, d);
	return 0;
}

static int deassign_device(struct fake_kernel *k, const struct pt_kvm_assigned_pci_dev *a)
{
	struct fk_assigned *d;

	lint_zero(k, a->reserved, sizeof(a->reserved));
	d = fk_find(k, a->assigned_dev_id);
	if (!d)
		return -EINVAL; /* "device hasn't been assigned before" */
	deassign_irq(k, d, d->irq_requested_type);
	d->host->resets++;
	d->host->enabled = false;
	*d = (struct fk_assigned){ 0 };
	return 0;
}

/* -- KVM_ASSIGN_DEV_IRQ / KVM_DEASSIGN_DEV_IRQ */

static int enable_host_msix(struct fake_kernel *k, struct fk_assigned *d)
{
	struct fk_host_dev *h = d->host;

	if (d->entries_nr == 0)
		return -EINVAL;
	/* pci_enable_msix_exact(dev, host_msix_entries, entries_nr) */
	if (!h->msix_table_size)
		return -EINVAL;
	if (d->entries_nr > h->msix_table_size)
		return -ENOSPC;
	for (unsigned i = 0; i < d->entries_nr; i++) {
		if (d->guest_msix[i].entry >= h->msix_table_size)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (d->guest_msix[j].entry == d->guest_msix[i].entry)
				return -EINVAL; /* duplicate entries (unfilled slots are entry 0) */
	}
	if (d->entries_nr > h->host_vectors)
		return -ENOSPC;
	h->msix_on = true;
	return 0;
}

static int assign_host_irq(struct fake_kernel *k, struct fk_assigned *d, uint32_t type)
{
	int r;

	if (d->irq_requested_type & PT_KVM_DEV_IRQ_HOST_MASK)
		return -EEXIST;
	switch (type) {
	case PT_KVM_DEV_IRQ_HOST_INTX:
		if (d->host->irq_line_busy)
			return -EIO;
		d->host->intx_irq_on = true;
		r = 0;
		break;
	case PT_KVM_DEV_IRQ_HOST_MSI:
		if (!k->cap_msi)
			return -EINVAL;
		if (!d->host->has_msi)
			return -EINVAL; /* pci_enable_msi() */
		d->host->msi_on = true;
		r = 0;
		break;
	case PT_KVM_DEV_IRQ_HOST_MSIX:
		if (!k->cap_msix)
			return -EINVAL;
		r = enable_host_msix(k, d);
		break;
	default:
		r = -EINVAL;
	}
	if (!r)
		d->irq_requested_type |= type;
	return r;
}

static int assign_guest_irq(struct fake_kernel *k, struct fk_assigned *d,
			    const struct pt_kvm_assigned_irq *irq, uint32_t type)
{
	if (d->irq_requested_type & PT_KVM_DEV_IRQ_GUEST_MASK)
		return -EEXIST;
	if (k->irq_sources_free <= 0)
		return -EFAULT; /* kvm_request_irq_source_id(): none left */
	if (type != PT_KVM_DEV_IRQ_GUEST_INTX && type != PT_KVM_DEV_IRQ_GUEST_MSI &&
	    type != PT_KVM_DEV_IRQ_GUEST_MSIX)
		return -EINVAL;
	if ((type == PT_KVM_DEV_IRQ_GUEST_MSI && !k->cap_msi) ||
	    (type == PT_KVM_DEV_IRQ_GUEST_MSIX && !k->cap_msix))
		return -EINVAL;
	k->irq_sources_free--;
	d->irq_source_id = 62 - k->irq_sources_free;
	d->guest_irq = irq->guest_irq;
	d->irq_requested_type |= type;
	return 0;
}

static int assign_irq(struct fake_kernel *k, const struct pt_kvm_assigned_irq *irq)
{
	uint32_t host, guest;
	struct fk_assigned *d;
	int r;

	lint_zero(k, irq->reserved, sizeof(irq->reserved));
	if (irq->host_irq) /* "ignored (legacy field)": 3.17 takes the IRQ from the device */
		k->abi_violations++;
	if (irq->flags & ~(PT_KVM_DEV_IRQ_HOST_MASK | PT_KVM_DEV_IRQ_GUEST_MASK))
		k->abi_violations++;
	if (!k->irqchip_in_kernel)
		return -EINVAL;
	d = fk_find(k, irq->assigned_dev_id);
	if (!d)
		return -ENODEV;
	host = irq->flags & PT_KVM_DEV_IRQ_HOST_MASK;
	guest = irq->flags & PT_KVM_DEV_IRQ_GUEST_MASK;
	if (popcount(host) > 1 || popcount(guest) > 1 || (!host && !guest))
		return -EINVAL; /* one type at a time */
	if (host) {
		r = assign_host_irq(k, d, host);
		if (r)
			return r;
	}
	return guest ? assign_guest_irq(k, d, irq, guest) : 0;
}

static int deassign_dev_irq(struct fake_kernel *k, const struct pt_kvm_assigned_irq *irq)
{
	struct fk_assigned *d;

	lint_zero(k, irq->reserved, sizeof(irq->reserved));
	d = fk_find(k, irq->assigned_dev_id);
	if (!d)
		return -ENODEV;
	return deassign_irq(k, d, irq->flags & (PT_KVM_DEV_IRQ_HOST_MASK | PT_KVM_DEV_IRQ_GUEST_MASK));
}

/* -- MSI-X table and INTx mask */

static int set_msix_nr(struct fake_kernel *k, const struct pt_kvm_assigned_msix_nr *nr)
{
	struct fk_assigned *d;

	if (nr->padding)
		k->abi_violations++;
	d = fk_find(k, nr->assigned_dev_id);
	if (!d)
		return -EINVAL;
	if (d->entries_nr)
		return -EINVAL; /* not allowed twice */
	d->entries_nr = nr->entry_nr; /* stored before it is checked, as 3.17 does */
	if (d->entries_nr == 0 || d->entries_nr > PT_KVM_MAX_MSIX_PER_DEV)
		return -EINVAL;
	d->entries_alloc = true;
	memset(d->guest_msix, 0, sizeof(d->guest_msix));
	return 0;
}

static int set_msix_entry(struct fake_kernel *k, const struct pt_kvm_assigned_msix_entry *e)
{
	struct fk_assigned *d;

	lint_zero(k, e->padding, sizeof(e->padding));
	d = fk_find(k, e->assigned_dev_id);
	if (!d)
		return -EINVAL;
	if (d->entries_nr && !d->entries_alloc) {
		k->abi_violations++; /* 3.17 would dereference its NULL entry arrays here */
		return -EFAULT;
	}
	for (unsigned i = 0; i < d->entries_nr && i < PT_KVM_MAX_MSIX_PER_DEV; i++)
		if (d->guest_msix[i].vector == 0 || d->guest_msix[i].entry == e->entry) {
			d->guest_msix[i].entry = e->entry;
			d->guest_msix[i].vector = e->gsi;
			return 0;
		}
	return -ENOSPC;
}

static int set_intx_mask(struct fake_kernel *k, const struct pt_kvm_assigned_pci_dev *a)
{
	struct fk_assigned *d;

	lint_zero(k, a->reserved, sizeof(a->reserved));
	d = fk_find(k, a->assigned_dev_id);
	if (!d)
		return -ENODEV;
	d->flags = (d->flags & ~PT_KVM_DEV_ASSIGN_MASK_INTX) |
		   (a->flags & PT_KVM_DEV_ASSIGN_MASK_INTX);
	return 0;
}

/* -- the ops */

static int fk_check_extension(void *opaque, unsigned long cap)
{
	struct fake_kernel *k = opaque;

	switch (cap) {
	case PT_KVM_CAP_DEVICE_ASSIGNMENT: return k->cap_device_assignment;
	case PT_KVM_CAP_IOMMU: return k->cap_device_assignment && k->iommu_present ? k->cap_iommu : 0;
	case PT_KVM_CAP_DEVICE_MSI: return k->cap_msi;
	case PT_KVM_CAP_DEVICE_MSIX: return k->cap_msix;
	case PT_KVM_CAP_ASSIGN_DEV_IRQ: return k->cap_assign_dev_irq;
	case PT_KVM_CAP_PCI_2_3: return k->cap_pci_2_3;
	default: return 0;
	}
}

static void log_call(struct fake_kernel *k, unsigned long request, const void *arg)
{
	const char *name = pt_legacy_ioctl_name(request);

	switch (request) {
	case PT_KVM_ASSIGN_PCI_DEVICE:
	case PT_KVM_DEASSIGN_PCI_DEVICE:
	case PT_KVM_ASSIGN_SET_INTX_MASK: {
		const struct pt_kvm_assigned_pci_dev *a = arg;

		note(k, "%s id=0x%x %x:%x:%x flags=0x%x", name + 4, a->assigned_dev_id, a->segnr,
		     a->busnr, a->devfn, a->flags);
		break;
	}
	case PT_KVM_ASSIGN_DEV_IRQ:
	case PT_KVM_DEASSIGN_DEV_IRQ: {
		const struct pt_kvm_assigned_irq *i = arg;

		note(k, "%s id=0x%x guest_irq=%u flags=0x%x", name + 4, i->assigned_dev_id,
		     i->guest_irq, i->flags);
		break;
	}
	case PT_KVM_ASSIGN_SET_MSIX_NR: {
		const struct pt_kvm_assigned_msix_nr *n = arg;

		note(k, "%s id=0x%x nr=%u", name + 4, n->assigned_dev_id, n->entry_nr);
		break;
	}
	case PT_KVM_ASSIGN_SET_MSIX_ENTRY: {
		const struct pt_kvm_assigned_msix_entry *e = arg;

		note(k, "%s id=0x%x entry=%u gsi=%u", name + 4, e->assigned_dev_id, e->entry, e->gsi);
		break;
	}
	default:
		note(k, "ioctl 0x%lx", request);
	}
}

static int fk_vm_ioctl(void *opaque, unsigned long request, void *arg)
{
	struct fake_kernel *k = opaque;
	int r;

	k->calls++;
	log_call(k, request, arg);
	if (k->fail_call && k->calls == k->fail_call) {
		append_result(k, k->fail_errno, true);
		return k->fail_errno;
	}
	if (!k->cap_device_assignment) {
		r = -ENOTTY; /* no CONFIG_KVM_DEVICE_ASSIGNMENT, or Linux >= 4.12 */
	} else {
		switch (request) {
		case PT_KVM_ASSIGN_PCI_DEVICE: r = assign_device(k, arg); break;
		case PT_KVM_ASSIGN_IRQ: r = -EOPNOTSUPP; break;
		case PT_KVM_ASSIGN_DEV_IRQ: r = assign_irq(k, arg); break;
		case PT_KVM_DEASSIGN_DEV_IRQ: r = deassign_dev_irq(k, arg); break;
		case PT_KVM_DEASSIGN_PCI_DEVICE: r = deassign_device(k, arg); break;
		case PT_KVM_ASSIGN_SET_MSIX_NR: r = set_msix_nr(k, arg); break;
		case PT_KVM_ASSIGN_SET_MSIX_ENTRY: r = set_msix_entry(k, arg); break;
		case PT_KVM_ASSIGN_SET_INTX_MASK: r = set_intx_mask(k, arg); break;
		default: r = -ENOTTY;
		}
	}
	append_result(k, r, false);
	return r;
}

const struct pt_legacy_ops fk_ops = {
	.check_extension = fk_check_extension,
	.vm_ioctl = fk_vm_ioctl,
};

const char *fk_log_text(const struct fake_kernel *k, char *buf, unsigned len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < k->nlog && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "\n" : "", k->log[i]);
	return buf;
}

void fk_log_clear(struct fake_kernel *k)
{
	k->nlog = 0;
}

const char *fk_state_text(const struct fake_kernel *k, char *buf, unsigned len)
{
	size_t n = 0;

#define PUT(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	buf[0] = '\0';
	PUT("iommu_domain=%d", k->iommu_domain);
	for (unsigned i = 0; i < FK_ASSIGNED_MAX; i++) {
		const struct fk_assigned *d = &k->dev[i];

		if (!d->used)
			continue;
		PUT(" | dev 0x%x flags=0x%x irq=0x%x", d->id, d->flags, d->irq_requested_type);
		if (d->irq_requested_type & PT_KVM_DEV_IRQ_GUEST_MASK)
			PUT(" guest_irq=%u", d->guest_irq);
		PUT(" msix_nr=%u", d->entries_nr);
		for (unsigned e = 0; e < d->entries_nr && e < PT_KVM_MAX_MSIX_PER_DEV; e++)
			PUT(" %u:%u", d->guest_msix[e].entry, d->guest_msix[e].vector);
	}
	for (unsigned i = 0; i < FK_HOST_DEVS; i++) {
		const struct fk_host_dev *h = &k->host[i];

		if (h->present)
			PUT(" | host %x:%02x:%02x enabled=%d intx=%d msi=%d msix=%d", h->seg, h->bus,
			    h->devfn, h->enabled, h->intx_irq_on, h->msi_on, h->msix_on);
	}
#undef PUT
	return buf;
}
