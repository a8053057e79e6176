/* The VM object's insides, shared by the files of src/vmm only. */
#ifndef PT_VMM_VM_INTERNAL_H
#define PT_VMM_VM_INTERNAL_H

#define PT_RAM_SLOTS 2 /* slot 0: RAM below the PCI hole; slot 1: RAM above 4 GiB */

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "vmm/iobus.h"
#include "vmm/pci.h"
#include "vmm/uart.h"
#include "vmm/vm.h"

struct pt_vcpu {
	struct pt_vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

enum pt_boot_mode { PT_BOOT_PROT32, PT_BOOT_LONG64 };

/* The boot vCPU's register state, applied by its own thread before the first KVM_RUN. */
struct pt_boot {
	bool loaded;
	enum pt_boot_mode mode;
	uint64_t rip, rax, rbx, rsi, rsp;
	uint64_t cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

struct pt_vm {
	char *name;
	uint64_t memory;
	enum pt_irqchip irqchip;
	pt_console_out_fn console_out;
	void *console_ctx;
	char *console_kind, *console_path;

	int kvm_fd, vm_fd;
	uint8_t *ram;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	unsigned n_vcpus;
	struct pt_vcpu *vcpus;

	struct pt_iobus pio, mmio;
	struct pt_pci_bus pci;
	bool pci_ready;

	pthread_mutex_t serial_lock;
	struct pt_uart uart;
	uint8_t cmos_index;

	struct pt_boot boot;

	pthread_mutex_t lock;    /* protects what follows */
	pthread_cond_t cond;
	bool started, stopping, joined;
	unsigned live_vcpus;     /* vCPU threads not yet finished */
	struct pt_vm_exit exit;
	struct timespec start_time;
	int exit_efd;

	struct pt_route_table *routes;
	struct pt_vm_assigned *assigned; /* assigned.c: devices, released before the routes */
	/*
	 * Serializes assigning and removing devices (outermost: taken with no other lock
	 * held): startup, the control thread's device-add/del and the main loop's host
	 * requests (requests.c) may each do it.
	 */
	pthread_mutex_t assign_lock;
	int requests_epfd;               /* requests.c: the devices' request fds */
	/* Each backend's per-VM object (pt_assign_env.vm_state): VFIO's shared container. */
	struct {
		const struct pt_assign_backend *backend;
		void *state;
	} backend_state[2];

	/* dma_map.h: guest RAM mapped for DMA while the guest runs (dma_lock: a leaf). */
	pthread_mutex_t dma_lock;
	pthread_cond_t dma_cond;
	int dma_state;            /* enum pt_vm_dma_state */
	bool dma_launched;        /* pt_vm_dma_start ran: devices map themselves */
	bool dma_stop;            /* the VM stops: waiters give up */
	bool dma_thread_started;
	pthread_t dma_thread;
	pthread_t dma_faulter;    /* faults RAM in at the lowest priority first */
	uint64_t dma_unfaulted;   /* RAM [0, this) not yet claimed for faulting in */
	unsigned dma_faulting;    /* chunks claimed and being faulted in right now */

	/* serial_out.h: the guest's serial output on its way out (under serial_lock). */
	uint8_t serial_out_buf[256];
	size_t serial_out_len;
	struct timespec serial_out_due; /* when a line begun but not ended is handed on */
	unsigned serial_out_delay_ms;   /* PT_SERIAL_OUT_DELAY_MS */
	pthread_cond_t serial_out_cond;
	bool serial_out_stop;
	bool serial_out_thread_started;
	pthread_t serial_out_thread;

	pthread_mutex_t slots_lock;
	unsigned max_slots;       /* KVM_CAP_NR_MEMSLOTS */
	uint8_t *slot_used;       /* 0 and 1 are RAM */
	uint64_t *slot_gpa, *slot_size;
};

/* Records why the VM stops (the first reason wins), logs it and kicks every vCPU. */
void pt_vm_finish(struct pt_vm *vm, enum pt_vm_exit_kind kind, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* vcpu.c */
int pt_vcpu_kick_signal(void);
void *pt_vcpu_thread(void *arg);

/* vm_exit.c: returns true when the vCPU must stop running. */
bool pt_vcpu_handle_exit(struct pt_vcpu *vcpu);

/* devices.c: UART, debug exit, reset, CMOS, PCI config ports, the ignored legacy ports. */
int pt_vm_devices_init(struct pt_vm *vm);

struct pt_vm_assigned;

/* routes.c: the route layer's hook points. */
int pt_vm_routes_init(struct pt_vm *vm);
void pt_vm_routes_free(struct pt_vm *vm);

#endif
