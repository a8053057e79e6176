/*
 * The one interface every device-assignment backend implements (VFIO, src/vfio/; the
 * legacy KVM_ASSIGN_* backend, src/assign/legacy.c). passthru-vmm picks a backend per
 * device (pt_assign_backend_get) and then knows only these calls. Ownership, call order
 * and the error contract are in src/assign/README.md; in short:
 *
 *   open -> [map_ram per RAM range] -> config/regions/irq_set/intx_mask/reset, any
 *   order, from one thread at a time -> release.
 *
 * Every call returns 0 or -errno with one logged line that names the device and says
 * why; ret_* out-parameters are written only on success. A failed call leaves the
 * device, the kernel and the VM's routing table as they were before it.
 */
#ifndef PT_ASSIGN_BACKEND_H
#define PT_ASSIGN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bdf.h"
#include "config/vm_def.h"
#include "route/table.h"

struct pt_assign_backend;

/* What the VMM lends a backend for the device's life: nothing here is owned by it. */
struct pt_assign_env {
	int kvm_fd;                    /* /dev/kvm (capability probes) */
	int vm_fd;                     /* the VM: KVM only takes its ioctls from the VMM */
	struct pt_route_table *routes; /* the VM's one routing table (src/route) */
	const char *sysroot;           /* "/" or NULL; a fixture tree in tests */
	/*
	 * The VMM's slot for this backend's per-VM object (VFIO: the container and the
	 * KVM-VFIO device every device of the VM shares), NULL before the backend's first
	 * device of the VM; the backend fills it and empties it again when its last
	 * device is released. NULL instead of a slot: each device has its own.
	 */
	void **vm_state;
};

/* One assigned PCI function. Backends embed it first in their own struct. */
struct pt_assign_dev {
	const struct pt_assign_backend *backend;
	struct pt_bdf bdf;
	char name[PT_BDF_STRLEN]; /* "0000:03:00.0": messages, routing-table owner */
};

/* Regions: BARs 0-5, then the expansion ROM. */
#define PT_ASSIGN_REGION_BARS 6
#define PT_ASSIGN_REGION_ROM 6
#define PT_ASSIGN_REGIONS 7

enum pt_assign_region_flags {
	PT_REGION_MMIO = 1 << 0,     /* memory BAR (else I/O ports) */
	PT_REGION_MEM64 = 1 << 1,    /* 64-bit memory BAR: the next index is its upper half */
	PT_REGION_PREFETCH = 1 << 2,
	PT_REGION_MMAP = 1 << 3,     /* region_mmap works: the VMM can make it a memory slot */
	PT_REGION_RW = 1 << 4,       /* region_rw works: trapped accesses can be forwarded */
};

#define PT_ASSIGN_MMAP_AREAS 4

struct pt_assign_region {
	uint64_t size;  /* 0: the region does not exist */
	uint32_t flags; /* enum pt_assign_region_flags */
	/*
	 * With PT_REGION_MMAP: the parts region_mmap may map (VFIO's sparse mmap; legacy:
	 * the whole region). The VMM still traps the MSI-X table and PBA pages itself.
	 */
	unsigned n_areas;
	struct { uint64_t offset, size; } areas[PT_ASSIGN_MMAP_AREAS];
};

/*
 * Which reset a device got. method: the kernel's reset method as sysfs names it
 * ("flr" (also for af_flr), "pm", "bus", "acpi", "device-specific"), "function" when
 * the kernel does not say which (no reset_method file: before Linux 5.15),
 * "hot-reset" (VFIO_DEVICE_PCI_HOT_RESET: the slot or bus, with every function on
 * it), or "none". detail: for "none" why, for "hot-reset" what else it reset, for a
 * failure what failed; else empty.
 */
struct pt_assign_reset {
	char method[24];
	char detail[240];
};

/* The interrupt mode the guest programmed; one at a time, as in the PCI spec. */
enum pt_assign_irq_kind {
	PT_ASSIGN_IRQ_NONE,
	PT_ASSIGN_IRQ_INTX,
	PT_ASSIGN_IRQ_MSI,
	PT_ASSIGN_IRQ_MSIX,
};

/* One MSI or MSI-X vector as the guest left it (route/table.h: only live ones get GSIs). */
struct pt_assign_vector {
	enum pt_vector_state state;
	struct pt_msi_msg msg;
};

struct pt_assign_irqs {
	enum pt_assign_irq_kind kind;
	unsigned intx_gsi;                   /* INTX: the IOAPIC pin the guest sees */
	unsigned nvec;                       /* MSI, MSI-X: entries of vec[] */
	const struct pt_assign_vector *vec;  /* index = MSI-X table entry or MSI vector */
};

/* open's handed_fd: use the IOMMU group the VM holds already (VFIO). */
#define PT_ASSIGN_FD_HELD (-2)

struct pt_assign_backend {
	const char *name; /* "vfio", "legacy" */
	/*
	 * Takes the device described by bdf. handed_fd is what passthru-ctl opened for it
	 * (VFIO: the group fd; legacy: -1): owned by the device on success, still the
	 * caller's on failure. PT_ASSIGN_FD_HELD (VFIO only): no fd, the device's group is
	 * one the VM holds already through another of its functions (matched by bdf's
	 * IOMMU group number); -ESRCH, said, when the VM holds no function of it.
	 */
	int (*open)(const struct pt_assign_env *env, const struct pt_bdf *bdf, int handed_fd,
		    struct pt_assign_dev **ret);
	/*
	 * Makes guest RAM [gpa, gpa+size) at hva reachable by the device's DMA. NULL when
	 * the kernel interface does it for every memory slot itself (legacy: KVM maps all
	 * slots into the VM's IOMMU domain at assign and as slots are added).
	 */
	int (*map_ram)(struct pt_assign_dev *d, uint64_t gpa, uint64_t size, void *hva);
	/* The device's own config space (the VMM virtualizes it on top). len 1, 2 or 4. */
	int (*config_read)(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret_val);
	int (*config_write)(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val);
	int (*region_info)(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret);
	/* The whole region mapped shared, for a memory slot; the device unmaps at release. */
	int (*region_mmap)(struct pt_assign_dev *d, unsigned index, void **ret_addr);
	/* A trapped access forwarded: len 1, 2, 4 or 8 at off inside the region. */
	int (*region_rw)(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
			 bool write, uint64_t *val);
	/*
	 * Switches the device's interrupts to irqs (NONE: off). Live vectors get MSI routes
	 * on GSIs from env->routes (committed once per call) and the device injects into
	 * them; a vector masked again keeps its GSI and route (guests mask often) but gets
	 * no injection, one masked from the start gets no GSI, a disabled one loses its GSI;
	 * a retarget of a live vector only updates its route. All or nothing: on failure
	 * the previous mode, its GSIs and routes stay.
	 */
	int (*irq_set)(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs);
	/* The guest's INTx disable bit (command register bit 10). */
	int (*intx_mask)(struct pt_assign_dev *d, bool masked);
	/*
	 * Resets the function with the best means the host offers, and says which in
	 * ret->method (struct pt_assign_reset). Having none is no error: 0 with method
	 * "none" and the reason in ret->detail. A reset tried and failed: -errno, with
	 * ret->method the one tried and ret->detail why; nothing logged (the VMM's
	 * pt_assign_reset() says it). The VMM calls it with the device's interrupts off:
	 * right after open, and before release.
	 */
	int (*reset)(struct pt_assign_dev *d, struct pt_assign_reset *ret);
	/* Interrupts off, device given back, everything it owns closed. NULL is fine. */
	void (*release)(struct pt_assign_dev *d);
	/*
	 * An fd that becomes readable when the host asks for the device back (VFIO's
	 * request interrupt); the VMM then detaches the device in order. The device's to
	 * close at release. -ENOTSUP (or a NULL op) when there is none.
	 */
	int (*request_fd)(struct pt_assign_dev *d);
	/*
	 * An fd that becomes readable when the host reports an uncorrectable error of the
	 * device (VFIO's error interrupt, from AER recovery); the VMM then stops the VM.
	 * The device's to close at release. -ENOTSUP (or a NULL op) when there is none.
	 */
	int (*error_fd)(struct pt_assign_dev *d);
};

extern const struct pt_assign_backend pt_assign_legacy;

/*
 * The backend that implements `which` (PT_BACKEND_VFIO or PT_BACKEND_LEGACY; decide
 * AUTO first with pt_assign_select()), or NULL when this build has none for it.
 */
const struct pt_assign_backend *pt_assign_backend_get(enum pt_backend which);

/* Convenience wrappers over d->backend; pt_assign_release(NULL) does nothing. */
int pt_assign_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs);
void pt_assign_release(struct pt_assign_dev *d);

/*
 * The reset op (a backend without one: "none"), said in one log line naming the
 * device, `when` ("at assignment", "before release") and the method: info when one
 * was used, a warning for none, an error for a reset that failed. *ret always filled.
 */
int pt_assign_reset(struct pt_assign_dev *d, const char *when, struct pt_assign_reset *ret);

/*
 * The reset the kernel's pci_reset_function() would use for the function whose sysfs
 * directory is dev_dir (SYSROOT/sys/bus/pci/devices/BDF): the first word of its
 * reset_method as struct pt_assign_reset names it, "function" when that file is
 * absent (Linux before 5.15) or says nothing. Returns buf.
 */
char *pt_assign_reset_method(const char *dev_dir, char *buf, size_t size);

/* The name for the first word of a reset_method file's contents, or "function". */
const char *pt_assign_reset_method_name(const char *reset_method);

/* "none", "intx", "msi", "msix" */
const char *pt_assign_irq_kind_name(enum pt_assign_irq_kind k);

#endif
