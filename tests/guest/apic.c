/* Interrupt controllers: the legacy PICs (disabled), LAPICs, IOAPICs, and starting the APs. */
#include "guest.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_X2APIC (1u << 10)

#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_ERROR 0x370
#define LVT_MASKED (1u << 16)
#define ICR_BUSY (1u << 12)
#define ICR_SELF (1u << 18)

#define ICR_INIT 0x00004500	/* INIT, level assert */
#define ICR_SIPI 0x00004600	/* start-up, level assert */

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_LOW (1u << 13)

uint32_t tg_lapic_base = 0xfee00000;
unsigned tg_online = 1;
uint8_t tg_cpu_apic_id[TG_MAX_CPUS];

/* Read by the AP start-up path (boot.S, tg_ap_main): one AP starts at a time. */
uint64_t tg_ap_boot_stack;
static volatile unsigned ap_boot_cpu;
static volatile uint32_t ap_online[TG_MAX_CPUS];

/* The IOAPIC index/data pair must not be interleaved between CPUs or with a handler. */
static volatile uint32_t ioapic_lock;

struct programmed_pin {
	const struct tg_ioapic *io;
	unsigned pin;
	uint8_t vector;
};
static struct programmed_pin programmed[TG_MAX_PINS];
static unsigned nprogrammed;

extern char tg_ap_tramp_start[], tg_ap_tramp_end[], tg_stacks[];

void pic_disable(void)
{
	/* Remap both 8259s away from the exception vectors, then mask every line. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(tg_lapic_base + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(tg_lapic_base + reg, v);
}

/* Returns 0, or -1 when the LAPIC is in x2APIC mode (MMIO access would not work). */
int lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	tg_lapic_base = (uint32_t)(base & 0xfffff000u);
	if (base & APIC_BASE_X2APIC)
		return -1;
	lapic_init_cpu();
	tg_cpu_apic_id[0] = (uint8_t)lapic_id();
	tg_line("lapic base=0x%x apic_id=%u version=0x%x", tg_lapic_base, lapic_id(),
		lapic_read(LAPIC_VERSION));
	return 0;
}

/* Per CPU: accept every priority, no PIC via LINT0, and software-enable (fixed MSIs need it). */
void lapic_init_cpu(void)
{
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, 0x100 | 0xff);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static int lapic_wait_idle(void)
{
	for (unsigned i = 0; i < 100000; i++) {
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_BUSY))
			return 0;
		cpu_relax();
	}
	return -1;
}

/* Sends icr_lo (vector, delivery mode) to an APIC ID, or to this CPU with self. */
int lapic_send_ipi(uint8_t dest_apic_id, uint32_t icr_lo, bool self)
{
	uint64_t flags = irq_save();
	int r = lapic_wait_idle();

	if (!r) {
		lapic_write(LAPIC_ICR_HI, self ? 0 : (uint32_t)dest_apic_id << 24);
		lapic_write(LAPIC_ICR_LO, icr_lo | (self ? ICR_SELF : 0));
		r = lapic_wait_idle();
	}
	irq_restore(flags);
	return r;
}

static uint64_t ioapic_lock_take(void)
{
	uint64_t flags = irq_save();

	while (!__sync_bool_compare_and_swap(&ioapic_lock, 0, 1))
		cpu_relax();
	return flags;
}

static void ioapic_lock_drop(uint64_t flags)
{
	__atomic_store_n(&ioapic_lock, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

static uint32_t ioapic_read_locked(const struct tg_ioapic *io, uint32_t reg)
{
	mmio_write32(io->addr + IOAPIC_REGSEL, reg);
	return mmio_read32(io->addr + IOAPIC_WIN);
}

static void ioapic_write_locked(const struct tg_ioapic *io, uint32_t reg, uint32_t v)
{
	mmio_write32(io->addr + IOAPIC_REGSEL, reg);
	mmio_write32(io->addr + IOAPIC_WIN, v);
}

uint32_t ioapic_read(const struct tg_ioapic *io, uint32_t reg)
{
	uint64_t flags = ioapic_lock_take();
	uint32_t v = ioapic_read_locked(io, reg);

	ioapic_lock_drop(flags);
	return v;
}

/* Fills in version and pin count from the IOAPIC itself. */
void ioapic_probe(struct tg_ioapic *io)
{
	uint32_t ver = ioapic_read(io, IOAPIC_VER);

	io->version = ver & 0xff;
	io->pins = ver == 0xffffffffu ? 0 : ((ver >> 16) & 0xff) + 1;
}

void ioapic_mask_all(void)
{
	uint64_t flags = ioapic_lock_take();

	for (unsigned i = 0; i < tg_plat.nioapics; i++)
		for (unsigned pin = 0; pin < tg_plat.ioapics[i].pins; pin++)
			ioapic_write_locked(&tg_plat.ioapics[i], IOAPIC_REDIR(pin), REDIR_MASKED);
	ioapic_lock_drop(flags);
}

/* Programs the pin holding gsi: fixed delivery, physical destination. Returns 0 or -1 (no such pin). */
int ioapic_program(uint32_t gsi, uint8_t vector, bool level, bool active_low, uint8_t dest,
		   unsigned *ret_ioapic, unsigned *ret_pin)
{
	const struct tg_ioapic *io = NULL;
	uint32_t lo = vector;
	uint64_t flags;
	unsigned i;

	for (i = 0; i < tg_plat.nioapics; i++) {
		const struct tg_ioapic *c = &tg_plat.ioapics[i];

		if (gsi >= c->gsi_base && gsi < c->gsi_base + c->pins) {
			io = c;
			break;
		}
	}
	if (!io || nprogrammed == TG_MAX_PINS)
		return -1;
	if (level)
		lo |= REDIR_LEVEL;
	if (active_low)
		lo |= REDIR_LOW;

	flags = ioapic_lock_take();
	ioapic_write_locked(io, IOAPIC_REDIR(gsi - io->gsi_base), REDIR_MASKED);
	ioapic_write_locked(io, IOAPIC_REDIR(gsi - io->gsi_base) + 1, (uint32_t)dest << 24);
	ioapic_write_locked(io, IOAPIC_REDIR(gsi - io->gsi_base), lo);
	programmed[nprogrammed++] = (struct programmed_pin){ io, gsi - io->gsi_base, vector };
	ioapic_lock_drop(flags);
	*ret_ioapic = i;
	*ret_pin = gsi - io->gsi_base;
	return 0;
}

/* Masks every pin programmed with this vector (an interrupt storm). Safe in a handler. */
void ioapic_mask_vector(uint8_t vector)
{
	uint64_t flags = ioapic_lock_take();

	for (unsigned i = 0; i < nprogrammed; i++) {
		const struct programmed_pin *p = &programmed[i];

		if (p->vector == vector)
			ioapic_write_locked(p->io, IOAPIC_REDIR(p->pin),
					    ioapic_read_locked(p->io, IOAPIC_REDIR(p->pin)) | REDIR_MASKED);
	}
	ioapic_lock_drop(flags);
}

void ioapic_unprogram_all(void)
{
	uint64_t flags = ioapic_lock_take();

	for (unsigned i = 0; i < nprogrammed; i++)
		ioapic_write_locked(programmed[i].io, IOAPIC_REDIR(programmed[i].pin), REDIR_MASKED);
	nprogrammed = 0;
	ioapic_lock_drop(flags);
}

void tg_ap_main(void)
{
	unsigned cpu = ap_boot_cpu;

	idt_load();
	lapic_init_cpu();
	__atomic_store_n(&ap_online[cpu], 1, __ATOMIC_RELEASE);
	/* Idle with interrupts on, in a busy loop: sti; hlt proved unreliable in nested KVM. */
	irq_enable();
	for (;;)
		cpu_relax();
}

static bool wait_online(unsigned cpu, uint32_t ms)
{
	uint64_t deadline = tg_deadline_ms(ms);

	while (!__atomic_load_n(&ap_online[cpu], __ATOMIC_ACQUIRE))
		if (tg_passed(deadline))
			return false;
		else
			cpu_relax();
	return true;
}

static bool trampoline_page_is_ram(void)
{
	if (!tg_boot.has_mmap)
		return true;
	for (unsigned i = 0; i < tg_boot.nmmap; i++)
		if (tg_boot.mmap[i].type == 1 && tg_boot.mmap[i].base <= TG_AP_TRAMPOLINE &&
		    tg_boot.mmap[i].base + tg_boot.mmap[i].len >= TG_AP_TRAMPOLINE + 0x1000)
			return true;
	return false;
}

/* One AP: INIT, 10 ms, SIPI, 200 us, SIPI again if it has not arrived; then up to 1000 ms. */
static bool start_ap(unsigned cpu, uint8_t apic_id)
{
	uint32_t sipi = ICR_SIPI | (TG_AP_TRAMPOLINE >> 12);

	ap_boot_cpu = cpu;
	tg_ap_boot_stack = (uint64_t)(uintptr_t)(tg_stacks + (cpu + 1) * TG_STACK_SIZE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (lapic_send_ipi(apic_id, ICR_INIT, false))
		return false;
	tg_udelay(10000);
	lapic_send_ipi(apic_id, sipi, false);
	tg_udelay(200);
	if (!__atomic_load_n(&ap_online[cpu], __ATOMIC_ACQUIRE))
		lapic_send_ipi(apic_id, sipi, false);
	return wait_online(cpu, 1000);
}

void smp_print(void)
{
	char ids[4 * TG_MAX_CPUS + 1];
	size_t len = 0;

	ids[0] = '\0';
	for (unsigned c = 0; c < tg_online; c++)
		len += (size_t)tg_snprintf(ids + len, sizeof(ids) - len, "%s%u", c ? "," : "",
					   tg_cpu_apic_id[c]);
	tg_line("smp online=%u count=%u apic_ids=%s", tg_online, tg_plat.ncpus, ids);
}

/*
 * Starts every enabled CPU the tables list, one at a time (they share the
 * boot stack pointer). After a timeout no further AP is tried: CPU indexes
 * stay dense.
 */
void smp_start(void)
{
	uint8_t bsp = tg_cpu_apic_id[0];
	bool failed = false;

	if (tg_plat.ncpus > 1 && !trampoline_page_is_ram()) {
		tg_line("warn msg=\"0x%x is not RAM in the memory map: APs not started\"",
			TG_AP_TRAMPOLINE);
		failed = true;
	}
	if (tg_plat.ncpus > 1 && !failed)
		memcpy((void *)(uintptr_t)TG_AP_TRAMPOLINE, tg_ap_tramp_start,
		       (size_t)(tg_ap_tramp_end - tg_ap_tramp_start));

	for (unsigned i = 0; i < tg_plat.ncpus; i++) {
		uint8_t id = tg_plat.apic_ids[i];
		unsigned cpu = tg_online;
		const char *status;

		if (id == bsp)
			continue;
		if (failed || cpu >= TG_MAX_CPUS) {
			status = "skipped";
		} else if (start_ap(cpu, id)) {
			tg_cpu_apic_id[cpu] = id;
			tg_online++;
			status = "online";
		} else {
			failed = true;
			status = "timeout";
		}
		tg_line("ap cpu=%u apic_id=%u status=%s", cpu, id, status);
	}
	smp_print();
}
