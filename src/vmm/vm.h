/*
 * The embedded VMM as a library: one struct pt_vm owns every KVM fd of a VM
 * (VM, vCPUs, memory, irqchip), its devices and its vCPU threads. passthru-vmm
 * is a thin main around it; tests use it in-process.
 *
 * Threads: pt_vm_create/load/start/wait/destroy from one controlling thread;
 * pt_vm_stop, pt_vm_console_input and pt_vm_irq_line from any thread. Every
 * per-vCPU ioctl is made by that vCPU's own thread (see HOST-KVM.md): other
 * threads only kick it (signal + kvm_run->immediate_exit).
 */
#ifndef PT_VMM_VM_H
#define PT_VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/vm_def.h"

struct pt_vm;
struct pt_pci_bus;
struct pt_route_table; /* src/route: the VM's GSI routing table, owned by the VM */

typedef void (*pt_console_out_fn)(void *ctx, const uint8_t *buf, size_t n);

struct pt_vm_opts {
	const char *name;        /* for messages and status; "vm" if NULL */
	uint64_t memory;         /* bytes: a multiple of 2 MiB, at least 4 MiB */
	unsigned vcpus;          /* 1-254 */
	enum pt_irqchip irqchip;
	bool hugepages;          /* back RAM with 2 MiB hugetlb pages */
	const char *kvm_path;    /* NULL: /dev/kvm */
	pt_console_out_fn console_out; /* bytes the guest writes to its UART; NULL: discard */
	void *console_ctx;
	const char *console_kind; /* for status: "stdio", "pty", "file", "none" (NULL: none) */
	const char *console_path; /* for status: the pty or file, or NULL */
};

/* Why a VM stopped; passthru-vmm turns it into its exit status. */
enum pt_vm_exit_kind {
	PT_VM_EXIT_NONE = 0,     /* still running */
	PT_VM_EXIT_STOPPED,      /* pt_vm_stop(): control socket "stop", SIGTERM */
	PT_VM_EXIT_POWEROFF,     /* the guest powered off (KVM_SYSTEM_EVENT_SHUTDOWN) */
	PT_VM_EXIT_DEBUG,        /* the guest wrote `code` to the debug-exit port 0x501 */
	PT_VM_EXIT_RESET,        /* the guest asked for a reset (0x64 <- 0xFE, 0xCF9, system event) */
	PT_VM_EXIT_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	PT_VM_EXIT_CRASH,        /* KVM_SYSTEM_EVENT_CRASH (guest panic) */
	PT_VM_EXIT_UNHANDLED,    /* an exit or access the VMM does not handle: see detail */
	PT_VM_EXIT_ERROR,        /* the VMM itself failed (KVM_RUN error, vCPU setup) */
};

struct pt_vm_exit {
	enum pt_vm_exit_kind kind;
	uint32_t code;           /* PT_VM_EXIT_DEBUG: the value written */
	char detail[768];        /* one line, also logged: names the exit reason and its data */
};

/* "stopped", "poweroff", "debug-exit", "reset", "triple-fault", "crash", "unhandled", "error" */
const char *pt_vm_exit_kind_name(enum pt_vm_exit_kind kind);

/* The process exit status passthru-vmm uses for this exit (see passthru-vmm(8)). */
int pt_vm_exit_status(const struct pt_vm_exit *e);

#define PT_VMM_EXIT_RESET 10
#define PT_VMM_EXIT_TRIPLE_FAULT 11
#define PT_VMM_EXIT_CRASH 12
#define PT_VMM_EXIT_UNHANDLED 13
#define PT_VMM_EXIT_DEBUG_BASE 64 /* + min(code, 63) for a nonzero debug-exit code */

/*
 * Opens /dev/kvm and builds the VM: memory, irqchip, PIT, vCPUs (not running yet),
 * UART, PCI host bridge, legacy ports. Errors are logged; returns -ENOENT/-EACCES
 * when /dev/kvm cannot be opened, -EOPNOTSUPP when KVM lacks something needed,
 * -EINVAL for bad options, -ENOMEM, or the failing ioctl's -errno.
 */
int pt_vm_create(const struct pt_vm_opts *opts, struct pt_vm **ret);

/* Stops the VM if it runs, joins its threads, closes everything. NULL is fine. */
void pt_vm_destroy(struct pt_vm *vm);

/*
 * Guest loaders, before pt_vm_start. They also write the MP table (from the PCI
 * functions registered so far). Errors name the file and what is wrong with it.
 * pt_vm_load_kernel detects the format: Multiboot header first, then bzImage.
 * The Multiboot command line is "IMAGE CMDLINE", as QEMU and GRUB pass it.
 */
int pt_vm_load_multiboot(struct pt_vm *vm, const char *path, const char *cmdline);
int pt_vm_load_linux(struct pt_vm *vm, const char *bzimage, const char *initrd,
		     const char *cmdline);
int pt_vm_load_kernel(struct pt_vm *vm, const char *path, const char *initrd, const char *cmdline);

/* Starts one thread per vCPU. -EALREADY if started, -EINVAL if nothing was loaded. */
int pt_vm_start(struct pt_vm *vm);

/* Asks the VM to stop (exit kind STOPPED unless it already stopped for another reason). */
void pt_vm_stop(struct pt_vm *vm);

/* Whether the VM's end has been decided (pt_vm_stop, or an exit of its own). */
bool pt_vm_stopping(struct pt_vm *vm);

/*
 * Waits until the VM has stopped and its vCPU threads have ended; fills *ret.
 * timeout_ms < 0: no limit. -ETIMEDOUT, or -EINVAL if it was never started.
 */
int pt_vm_wait(struct pt_vm *vm, int timeout_ms, struct pt_vm_exit *ret);

/* pt_vm_start + pt_vm_wait(-1). */
int pt_vm_run(struct pt_vm *vm, struct pt_vm_exit *ret);

/* An eventfd that becomes readable when the VM has stopped (for poll loops). */
int pt_vm_exit_fd(const struct pt_vm *vm);

/* Console input for the guest's UART; returns bytes accepted (the rest would overrun). */
size_t pt_vm_console_input(struct pt_vm *vm, const uint8_t *buf, size_t n);

/* KVM_IRQ_LINE on a GSI (needs the in-kernel irqchip). */
int pt_vm_irq_line(struct pt_vm *vm, unsigned gsi, bool level);

/*
 * Device hooks for the layers built on the VM (device assignment): trapped
 * port I/O and MMIO ranges, served on the vCPU threads (handlers must be
 * thread-safe), and host memory mapped straight into the guest (a BAR VFIO lets
 * us mmap). Any thread, handlers included: a config write that moves a BAR
 * removes and adds ranges and slots from the config port's handler (iobus.h has
 * the model). A handler must not remove its own range; after pt_vm_pio_del or
 * pt_vm_mmio_del returns, no thread is inside the removed range's handler.
 * -EEXIST for an overlap, -ENOSPC when KVM has no free memory slot.
 */
typedef void (*pt_vm_io_fn)(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val);
int pt_vm_pio_add(struct pt_vm *vm, uint16_t base, uint16_t len, pt_vm_io_fn fn, void *ctx,
		  const char *name);
int pt_vm_pio_del(struct pt_vm *vm, uint16_t base);
int pt_vm_mmio_add(struct pt_vm *vm, uint64_t base, uint64_t len, pt_vm_io_fn fn, void *ctx,
		   const char *name);
int pt_vm_mmio_del(struct pt_vm *vm, uint64_t base);
/* Maps [hva, hva+size) at gpa (page aligned, outside RAM); returns the slot for unmapping. */
int pt_vm_map_memory(struct pt_vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly,
		     unsigned *ret_slot);
int pt_vm_unmap_memory(struct pt_vm *vm, unsigned slot);
/* KVM memory slots in use: guest RAM's and the devices' (status shows it). */
unsigned pt_vm_memory_slots_used(struct pt_vm *vm);

/* Accessors for the layers built on the VM (routing, device assignment). */
int pt_vm_fd(const struct pt_vm *vm);
int pt_vm_kvm_fd(const struct pt_vm *vm);
const char *pt_vm_name(const struct pt_vm *vm);
uint64_t pt_vm_memory(const struct pt_vm *vm);
unsigned pt_vm_vcpus(const struct pt_vm *vm);
enum pt_irqchip pt_vm_irqchip(const struct pt_vm *vm);
struct pt_pci_bus *pt_vm_pci_bus(struct pt_vm *vm);
/* Host address of guest-physical [gpa, gpa+len) if it is all RAM, else NULL. */
void *pt_vm_gpa_to_hva(struct pt_vm *vm, uint64_t gpa, uint64_t len);
/* Seconds since pt_vm_start (0 before). */
double pt_vm_uptime(const struct pt_vm *vm);
/* What pt_vm_opts said about the console (path may be NULL). */
const char *pt_vm_console_kind(const struct pt_vm *vm);
const char *pt_vm_console_path(const struct pt_vm *vm);
/* "created", "running", "stopping", "stopped" */
const char *pt_vm_state(struct pt_vm *vm);

/*
 * The VM's GSI routing table: NULL until src/route sets it up. The VM owns it and
 * frees it in pt_vm_destroy through routes.c (the route layer's hook point).
 */
struct pt_route_table **pt_vm_routes(struct pt_vm *vm);

#endif
