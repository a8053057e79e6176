/*
 * The guest's PCI bus 0: a host bridge at 00:00.0, configuration mechanism #1
 * on ports 0xCF8/0xCFC, and functions that devices register, up to 8 a slot. The
 * bus emulates each function's standard header (IDs, command/status, header type,
 * BAR and ROM BAR sizing, interrupt line/pin) and lets the device see and override
 * every access through its ops.
 *
 * A guest looks at functions 1-7 of a slot only when function 0 is there and its
 * header type has bit 7 (multi-function) set, as Linux's scan does. So the bus
 * takes a function > 0 only into a slot whose function 0 is registered, and sets
 * that bit in every function of a slot that holds more than one, and in a
 * function 0 registered as multifunction (more functions are meant to join it).
 */
#ifndef PT_VMM_PCI_H
#define PT_VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_PCI_SLOTS 32
#define PT_PCI_FUNCTIONS 8
#define PT_PCI_NUM_BARS 6
#define PT_PCI_CFG_SIZE 256
/* bar_update's index for the expansion ROM BAR (config offset 0x30). */
#define PT_PCI_ROM_BAR PT_PCI_NUM_BARS
#define PT_PCI_ROM_MIN 2048               /* the smallest ROM BAR the spec allows */
#define PT_PCI_ROM_MAX (16ULL << 20)      /* the largest this bus gives a guest */

enum pt_pci_bar_type {
	PT_PCI_BAR_NONE = 0,
	PT_PCI_BAR_IO,
	PT_PCI_BAR_MEM32,
	PT_PCI_BAR_MEM64, /* takes this BAR and the next */
};

struct pt_pci_bar_desc {
	enum pt_pci_bar_type type;
	uint64_t size;     /* a power of two: at least 16 (memory) or 4 (I/O) */
	bool prefetchable;
};

struct pt_pci_function;

struct pt_pci_ops {
	/* After the bus computed *val from its emulated header; may replace it. */
	void (*cfg_read)(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
			 uint32_t *val);
	/* After the bus applied the write to its emulated header. */
	void (*cfg_write)(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
			  uint32_t val);
	/*
	 * A BAR's decoding changed: now at addr (when enabled) or no longer decoded.
	 * bar is 0-5, or PT_PCI_ROM_BAR for the expansion ROM (decoded while both its
	 * enable bit and the command register's memory bit are set).
	 */
	void (*bar_update)(void *ctx, struct pt_pci_function *fn, unsigned bar, uint64_t addr,
			   uint64_t size, bool enabled);
};

struct pt_pci_function_desc {
	uint16_t vendor, device;
	uint16_t subsystem_vendor, subsystem;
	uint32_t class_code; /* base class << 16 | subclass << 8 | programming interface */
	uint8_t revision;
	uint8_t int_pin;     /* 0: no INTx; 1-4: INTA-INTD */
	int slot;            /* 1-31, or -1 for the lowest slot with no function */
	unsigned function;   /* 0-7 (0 with slot -1); > 0 only beside a function 0 */
	bool multifunction;  /* function 0: header type bit 7 set even while alone */
	struct pt_pci_bar_desc bars[PT_PCI_NUM_BARS];
	uint64_t rom_size;   /* expansion ROM BAR: 0 (none) or a power of two, 2 KiB-16 MiB */
	const struct pt_pci_ops *ops;
	void *ctx;
};

struct pt_pci_function {
	uint8_t dev, fn;
	bool multifunction;                   /* as registered (function 0 only) */
	uint8_t cfg[PT_PCI_CFG_SIZE];
	uint8_t wmask[PT_PCI_CFG_SIZE];  /* bits the guest may write */
	uint8_t w1cmask[PT_PCI_CFG_SIZE]; /* bits the guest clears by writing 1 */
	struct pt_pci_bar_desc bars[PT_PCI_NUM_BARS];
	uint64_t bar_alloc[PT_PCI_NUM_BARS];  /* where the bus placed it at registration */
	uint64_t bar_addr[PT_PCI_NUM_BARS];   /* as decoded now */
	bool bar_enabled[PT_PCI_NUM_BARS];
	uint64_t rom_size, rom_addr;          /* the ROM BAR (size 0: none) as decoded now */
	uint64_t rom_alloc;                   /* where the bus placed it */
	bool rom_enabled;
	int gsi;                              /* IOAPIC pin of its INTx, -1 if none */
	const struct pt_pci_ops *ops;
	void *ctx;
};

/* Which IOAPIC input a slot's INTx pin (1-4) is wired to. */
typedef int (*pt_pci_intx_gsi_fn)(void *ctx, unsigned slot, unsigned pin);

/*
 * Where BARs are placed, each [start, end): I/O BARs in io, 32-bit memory BARs in
 * mmio32, 64-bit ones in mmio64 (above guest RAM) when it has room, else in mmio32.
 * An empty mmio64 (start == end) puts every memory BAR below 4 GiB.
 */
struct pt_pci_windows {
	uint64_t mmio32_start, mmio32_end;
	uint64_t mmio64_start, mmio64_end;
	uint32_t io_start, io_end;
};

struct pt_pci_bus {
	pthread_mutex_t lock;
	uint32_t cf8;
	struct pt_pci_function *fns[PT_PCI_SLOTS][PT_PCI_FUNCTIONS];
	struct pt_pci_windows win;
	pt_pci_intx_gsi_fn intx_gsi;
	void *intx_ctx;
};

/* The default wiring: INTA-D of slot N go to pins 16 + (N + pin - 1) % 8. */
int pt_pci_swizzle_gsi(void *ctx, unsigned slot, unsigned pin);

/*
 * Sets up the bus with its host bridge at 00:00.0, BARs placed in the windows.
 * intx_gsi NULL: the default swizzle.
 */
int pt_pci_bus_init(struct pt_pci_bus *bus, const struct pt_pci_windows *win,
		    pt_pci_intx_gsi_fn intx_gsi, void *ctx);
void pt_pci_bus_destroy(struct pt_pci_bus *bus);

/*
 * Adds a function at slot.function with its BARs allocated and decoding enabled (as
 * a firmware leaves them) and its interrupt line set from the wiring (every function
 * of a slot has the slot's INTA-D). Each BAR goes to
 * the lowest naturally aligned (memory: at least a page) place of its window that
 * no registered function's BAR uses, neither where the bus placed it nor where its
 * guest moved it (decoding or not: its registers' place counts while decoding is off,
 * for the guest to turn it back on there): a function's space is free again once it
 * is unregistered.
 * A ROM BAR gets its place the same way (32-bit window) but starts with its enable
 * bit clear, as after reset: the guest sets it to read the ROM.
 * -EBUSY (slot.function taken), -ENXIO (a function > 0 in a slot with no function
 * 0: no guest would find it), -ENOSPC (no free slot or no room for a BAR), -EINVAL
 * (bad desc).
 */
int pt_pci_register_function(struct pt_pci_bus *bus, const struct pt_pci_function_desc *desc,
			     struct pt_pci_function **ret);
/*
 * Takes a function off the bus (its BARs no longer decoded). Function 0 may leave
 * before the others of its slot (the host took it back): they stay registered, but
 * a guest that scans the slot again does not find them; whether to allow that is
 * the caller's choice (pt_pci_slot_functions tells what is there).
 */
int pt_pci_unregister_function(struct pt_pci_bus *bus, struct pt_pci_function *fn);

/* Which functions of slot are registered: bit N for function N (0 for a bad slot). */
unsigned pt_pci_slot_functions(struct pt_pci_bus *bus, unsigned slot);

/* Whether a guest reads the multi-function bit (header type bit 7) in fn's header. */
bool pt_pci_multifunction(struct pt_pci_bus *bus, const struct pt_pci_function *fn);

/* Configuration access to bus 0 (out-of-range functions read all ones). */
uint32_t pt_pci_cfg_read(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
			 unsigned size);
void pt_pci_cfg_write(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
		      unsigned size, uint32_t val);

/* Port handler for 0xCF8-0xCFF (an iobus handler; ctx is the bus). */
void pt_pci_config_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val);

#define PT_PCI_HOST_VENDOR 0x8086
#define PT_PCI_HOST_DEVICE 0x1237

#endif
