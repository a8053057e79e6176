/*
 * The host's PCI functions as passthru sees them: identity and names (libpci and
 * pci.ids), driver, IOMMU group and its other members, what the function is used for
 * on the host (boot VGA, mounted filesystems, an existing assignment), and whether it
 * can be handed to a VM, with every reason when it cannot.
 */
#ifndef PT_HOST_INVENTORY_H
#define PT_HOST_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bdf.h"
#include "host/mounts.h"
#include "host/state.h"

enum pt_pci_header {
	PT_PCI_HEADER_UNKNOWN = -1,
	PT_PCI_HEADER_ENDPOINT = 0, /* type 0 */
	PT_PCI_HEADER_BRIDGE = 1,   /* type 1: PCI-to-PCI bridge */
	PT_PCI_HEADER_CARDBUS = 2,  /* type 2: CardBus bridge */
};

/* Another device in the same IOMMU group. */
struct pt_group_member {
	char *name;   /* sysfs name: the canonical BDF for PCI functions */
	char *driver; /* bound driver, NULL when none */
};

/*
 * A host use of this function (host/mounts.h): a mounted filesystem on a block device
 * below it, an active swap, a member of a dm/md device, the default route's interface.
 */
struct pt_mount_use {
	enum pt_host_use kind;
	char *mountpoint;
	char *blockdev; /* the block device: "sda1", "dm-0"; for a virtio share "9p tag TAG" */
};

/* Why a function cannot be assigned; the codes are stable (JSON "code"). */
enum pt_reason_code {
	PT_REASON_ASSIGNED,       /* already assigned to a VM (state record) */
	PT_REASON_STATE,          /* a state record exists but cannot be read */
	PT_REASON_INTERRUPTED,    /* a prepare or release was interrupted: recover */
	PT_REASON_BRIDGE,         /* a bridge, not an endpoint */
	PT_REASON_NO_IOMMU,       /* no iommu_group: no IOMMU translates its DMA */
	PT_REASON_GROUP_SHARED,   /* a group member is bound to a host driver */
	PT_REASON_GROUP_ASSIGNED, /* a group member is assigned to a VM */
	PT_REASON_MULTIFUNCTION,  /* a sibling function outside the group is on a host driver */
	PT_REASON_ROOT_FS,        /* backs the root filesystem */
	PT_REASON_MOUNTED_FS,     /* backs another mounted filesystem */
	PT_REASON_SWAP,           /* backs an active swap */
	PT_REASON_BLOCK_MEMBER,   /* a block device below it is a dm/md/LVM member */
	PT_REASON_BOOT_VGA,       /* the boot VGA device (the console) */
	PT_REASON_DEFAULT_ROUTE,  /* its network interface carries the default route */
};

struct pt_reason {
	enum pt_reason_code code;
	/* For people: "group 5 is shared with 0000:01:00.1 which is bound to host driver e1000e" */
	char *message;
	/* The other function the reason is about (group and multifunction reasons), or "". */
	char subject[PT_BDF_STRLEN];
};

struct pt_pci_dev {
	struct pt_bdf bdf;
	char name[PT_BDF_STRLEN]; /* canonical BDF */
	uint16_t vendor_id, device_id;
	uint16_t class_id;  /* base class << 8 | subclass */
	uint8_t prog_if;
	enum pt_pci_header header;
	bool multifunction;
	char *vendor_name;  /* pci.ids; NULL when unknown there */
	char *device_name;
	char *class_name;
	char *driver;       /* NULL when no driver is bound */
	int iommu_group;    /* -1 when the function has none */
	size_t n_group_peers;
	struct pt_group_member *group_peers; /* the group's other members, sorted by name */
	bool boot_vga;
	size_t n_mounts;
	struct pt_mount_use *mounts;
	bool has_record;    /* passthru's state record exists and was read (host/state.h) */
	enum pt_state_phase phase;  /* its phase, when has_record */
	char *original_driver;      /* from the record: the driver release rebinds */
	char *assigned_vm;  /* from the state record, NULL when not assigned */
	bool assignable;
	size_t n_reasons;
	struct pt_reason *reasons; /* empty when assignable, in enum order otherwise */
};

struct pt_inventory {
	char *sysroot;
	size_t n_devs;
	struct pt_pci_dev *devs; /* sorted by BDF */
};

/* pt_inventory_load: look the vendor, device and class names up in pci.ids. */
#define PT_INVENTORY_NAMES 1u

/*
 * Scans every PCI function under SYSROOT/sys/bus/pci through libpci (names from
 * pci.ids with PT_INVENTORY_NAMES, else NULL: only passthru-ctl devices shows them,
 * and libpci's name database is the part of it that crashes when memory runs out),
 * adds what libpci does not know from sysfs and the state directory, and
 * gives each function its verdict. sysroot NULL means "/".
 *
 * Returns 0, -ENOENT when SYSROOT/sys/bus/pci/devices does not exist (message
 * logged), or another -errno. libpci treats a malformed device directory as fatal
 * (its error callback may not return): the process then exits with PT_EXIT_FAILURE
 * after printing libpci's message.
 */
int pt_inventory_load(const char *sysroot, unsigned flags, struct pt_inventory **ret);

const struct pt_pci_dev *pt_inventory_find(const struct pt_inventory *inv,
					   const struct pt_bdf *bdf);

void pt_inventory_free(struct pt_inventory *inv);

const char *pt_reason_code_name(enum pt_reason_code code);
const char *pt_pci_header_name(enum pt_pci_header h);

/* Host-critical uses that --force may override (prepare); the others never yield. */
bool pt_reason_is_forceable(enum pt_reason_code code);

/* Drivers a group member may have without keeping the group from a VM. */
bool pt_driver_is_vfio_safe(const char *driver);

#endif
