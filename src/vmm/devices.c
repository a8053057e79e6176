/*
 * The legacy PC devices of every VM: the COM1 16550, the debug-exit port, the
 * reset paths (keyboard controller 0xFE, reset control register 0xCF9), a CMOS
 * that reads as "no valid time", the PCI configuration ports, and a short list
 * of ports PC guests probe that read as absent (all ones) and ignore writes.
 * Every other port is unknown: the VM stops and says which (vm_exit.c).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/serial_out.h"
#include "vmm/vm_internal.h"

#define COM1 0x3f8
#define COM1_IRQ 4
#define DEBUG_EXIT_PORT 0x501

static void serial_tx(void *ctx, uint8_t byte)
{
	pt_serial_out_byte(ctx, byte);
}

static void serial_irq(void *ctx, bool level)
{
	struct pt_vm *vm = ctx;

	/* Without a PIC and IOAPIC (split irqchip) the UART can only be polled. */
	if (vm->irqchip == PT_IRQCHIP_KERNEL)
		pt_vm_irq_line(vm, COM1_IRQ, level);
}

static const struct pt_uart_ops serial_ops = { .tx = serial_tx, .irq = serial_irq };

static void serial_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_vm *vm = ctx;

	pthread_mutex_lock(&vm->serial_lock);
	if (write)
		pt_uart_write(&vm->uart, (unsigned)(port - COM1), (uint8_t)*val);
	else
		*val = pt_uart_read(&vm->uart, (unsigned)(port - COM1));
	pthread_mutex_unlock(&vm->serial_lock);
}

static void debug_exit_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_vm *vm = ctx;

	if (!write) {
		*val = 0;
		return;
	}
	pt_vm_finish(vm, PT_VM_EXIT_DEBUG, (uint32_t)*val,
		     "the guest wrote %llu (0x%llx) to the debug-exit port 0x%03x",
		     (unsigned long long)*val, (unsigned long long)*val, (unsigned)port);
}

/* i8042: no keyboard; a 0xFE command pulses the CPU reset line. */
static void i8042_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_vm *vm = ctx;

	if (!write) {
		*val = 0; /* status: no data, input buffer empty */
		return;
	}
	if (port == 0x64 && (*val & 0xff) == 0xfe)
		pt_vm_finish(vm, PT_VM_EXIT_RESET, 0,
			     "the guest asked for a reset (0xFE to keyboard controller port 0x64)");
}

static uint8_t cmos_read(uint8_t index)
{
	switch (index & 0x7f) {
	case 0x0a:
		return 0x26; /* 32.768 kHz, no update in progress */
	case 0x0b:
		return 0x02; /* 24-hour, BCD */
	case 0x0d:
		return 0x80; /* battery good */
	default:
		return 0;
	}
}

static void cmos_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_vm *vm = ctx;

	if (port == 0x70) {
		if (write)
			vm->cmos_index = (uint8_t)*val;
		else
			*val = vm->cmos_index;
	} else if (!write) {
		*val = cmos_read(vm->cmos_index);
	}
}

/* 0xCF8-0xCFF is PCI configuration mechanism #1, except a byte at 0xCF9: reset control. */
static void pci_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_vm *vm = ctx;

	if (port == 0xcf9 && size == 1) {
		if (!write)
			*val = 0;
		else if (*val & 0x04)
			pt_vm_finish(vm, PT_VM_EXIT_RESET, 0,
				     "the guest asked for a reset (0x%02llx to reset control port 0xcf9)",
				     (unsigned long long)*val);
		return;
	}
	pt_pci_config_port(&vm->pci, port, size, write, val);
}

static void absent_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	if (!write)
		*val = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* Ports a PC guest probes for hardware that is not there; documented in passthru-vmm(8). */
static const struct {
	uint16_t base, len;
	const char *name;
} absent[] = {
	{ 0x0000, 0x10, "DMA controller 1" },
	{ 0x0080, 0x10, "POST and DMA page registers" },
	{ 0x002e, 0x02, "Super I/O configuration" },
	{ 0x004e, 0x02, "Super I/O configuration (alternate)" },
	{ 0x0092, 0x01, "system control port A" },
	{ 0x00c0, 0x20, "DMA controller 2" },
	{ 0x00ed, 0x01, "I/O delay port" },
	{ 0x0170, 0x08, "secondary IDE" },
	{ 0x01f0, 0x08, "primary IDE" },
	{ 0x01ce, 0x03, "Bochs VBE" },
	{ 0x0278, 0x08, "LPT2" },
	{ 0x02e8, 0x08, "COM4" },
	{ 0x02f8, 0x08, "COM2" },
	{ 0x0376, 0x01, "secondary IDE control" },
	{ 0x0378, 0x08, "LPT1" },
	{ 0x03b0, 0x30, "VGA" },
	{ 0x03e8, 0x08, "COM3" },
	{ 0x03f0, 0x08, "floppy controller" },
};

/* The guest's physical address width, from the CPUID KVM gives it (36 if it says none). */
static unsigned guest_phys_bits(const struct pt_vm *vm)
{
	for (unsigned i = 0; vm->cpuid && i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == 0x80000008 &&
		    (vm->cpuid->entries[i].eax & 0xff) >= 36)
			return vm->cpuid->entries[i].eax & 0xff;
	return 36;
}

/*
 * 64-bit BARs go above guest RAM: from the first GiB boundary at or after 4 GiB and
 * the end of RAM, PT_GPA_PCI_MMIO64_SIZE long, within the guest's address width.
 */
static void pci_windows(const struct pt_vm *vm, struct pt_pci_windows *w)
{
	uint64_t ram_end = PT_GPA_4G + pt_mem_high_size(vm->memory);
	uint64_t start = (ram_end + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	uint64_t limit = 1ULL << guest_phys_bits(vm);

	*w = (struct pt_pci_windows){
		.mmio32_start = PT_GPA_PCI_HOLE, .mmio32_end = PT_GPA_PCI_MMIO_END,
		.io_start = PT_PCI_IO_START, .io_end = PT_PCI_IO_END,
	};
	if (start < limit) {
		w->mmio64_start = start;
		w->mmio64_end = limit - start < PT_GPA_PCI_MMIO64_SIZE ? limit
								       : start + PT_GPA_PCI_MMIO64_SIZE;
	}
}

int pt_vm_devices_init(struct pt_vm *vm)
{
	struct pt_pci_windows win;
	int r;

	pt_uart_init(&vm->uart, &serial_ops, vm);
	pci_windows(vm, &win);
	r = pt_pci_bus_init(&vm->pci, &win, NULL, vm);
	if (r < 0)
		return r;
	vm->pci_ready = true;
	r = pt_iobus_add(&vm->pio, COM1, 8, serial_port, vm, "COM1");
	if (!r)
		r = pt_iobus_add(&vm->pio, 0xcf8, 8, pci_port, vm, "PCI configuration");
	if (!r)
		r = pt_iobus_add(&vm->pio, DEBUG_EXIT_PORT, 2, debug_exit_port, vm, "debug exit");
	if (!r)
		r = pt_iobus_add(&vm->pio, 0x60, 1, i8042_port, vm, "i8042 data");
	if (!r)
		r = pt_iobus_add(&vm->pio, 0x64, 1, i8042_port, vm, "i8042 command");
	if (!r)
		r = pt_iobus_add(&vm->pio, 0x70, 2, cmos_port, vm, "CMOS");
	for (size_t i = 0; !r && i < ARRAY_SIZE(absent); i++)
		r = pt_iobus_add(&vm->pio, absent[i].base, absent[i].len, absent_port, vm,
				 absent[i].name);
	if (r < 0)
		pt_err("%s: setting up the legacy ports: %s", vm->name, strerror(-r));
	return r;
}
