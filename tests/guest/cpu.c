/*
 * The IDT and what happens on every vector: exceptions are reported (and
 * either recovered from, when a scenario provoked them, or end the run);
 * vectors 0x20-0xfe are counted per CPU, printed, and EOIed.
 */
#include "guest.h"

#define EXIT_PORT 0x501

struct idt_entry {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char tg_isr_stubs[];
extern char tg_stacks[];
/* boot.S: set by tg_guarded_call, consumed by the exception handler */
uint64_t tg_recover_rip, tg_recover_rsp;
int tg_guarded_call(void (*fn)(void *), void *arg);

static struct idt_entry idt[256] __attribute__((aligned(16)));

volatile uint32_t tg_irq_count[TG_MAX_CPUS][256];
volatile uint32_t tg_irq_stop_seen;
volatile int tg_irq_storm_vector = -1;
const char *tg_current_scenario = "boot";

static struct tg_irq_policy policy = { .print_each = true, .ack_port = -1, .stop_vector = -1 };
static volatile unsigned last_exception;

static const char *const exc_names[] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP", "PF",
	"RESERVED", "MF", "AC", "MC", "XM", "VE", "CP",
};

const char *tg_exception_name(unsigned vec)
{
	return vec < ARRAY_SIZE(exc_names) ? exc_names[vec] : "RESERVED";
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)(uintptr_t)(tg_isr_stubs + 16 * v);

		idt[v] = (struct idt_entry){
			.off_lo = (uint16_t)addr,
			.sel = TG_SEL_CODE64,
			.type = 0x8e,	/* present, DPL 0, 64-bit interrupt gate (IF cleared) */
			.off_mid = (uint16_t)(addr >> 16),
			.off_hi = (uint32_t)(addr >> 32),
		};
	}
}

void idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

/* Which CPU is this? Each CPU runs (and takes interrupts) on its own stack. */
unsigned tg_cpu_index(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t base = (uintptr_t)tg_stacks;

	if (sp < base || sp >= base + (uintptr_t)TG_MAX_CPUS * TG_STACK_SIZE)
		return 0;
	return (unsigned)((sp - base) / TG_STACK_SIZE);
}

void tg_irq_reset(const struct tg_irq_policy *p)
{
	uint64_t flags = irq_save();

	policy = *p;
	for (unsigned c = 0; c < TG_MAX_CPUS; c++)
		for (unsigned v = 0; v < 256; v++)
			tg_irq_count[c][v] = 0;
	tg_irq_stop_seen = 0;
	tg_irq_storm_vector = -1;
	irq_restore(flags);
}

uint32_t tg_irq_total(unsigned vec)
{
	uint32_t n = 0;

	for (unsigned c = 0; c < tg_online; c++)
		n += tg_irq_count[c][vec];
	return n;
}

int tg_guarded(void (*fn)(void *), void *arg, unsigned *ret_vec)
{
	int r = tg_guarded_call(fn, arg);

	if (r)
		*ret_vec = last_exception;
	return r;
}

void tg_finish(bool pass, unsigned code)
{
	tg_line("done status=%s code=%u elapsed_ms=%u", pass ? "PASS" : "FAIL", code,
		tg_ms_since(tg_boot_tsc));
	outb(EXIT_PORT, (uint8_t)code);
	cpu_stop();
}

static void exception(struct tg_frame *f)
{
	unsigned cpu = tg_cpu_index();
	uint64_t cr2;
	bool expected = cpu == 0 && tg_recover_rip;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	tg_line("exception vec=0x%02x name=%s cpu=%u rip=0x%lx err=0x%lx cr2=0x%lx expected=%d",
		(unsigned)f->vec, tg_exception_name((unsigned)f->vec), cpu, f->rip, f->err, cr2,
		expected);
	if (expected) {
		last_exception = (unsigned)f->vec;
		f->rip = tg_recover_rip;
		f->rsp = tg_recover_rsp;
		tg_recover_rip = 0;
		return;
	}
	tg_line("result scenario=%s status=FAIL detail=\"unexpected exception %s on cpu %u at 0x%lx\"",
		tg_current_scenario, tg_exception_name((unsigned)f->vec), cpu, f->rip);
	tg_finish(false, 1);
}

static void interrupt(unsigned vec)
{
	unsigned cpu = tg_cpu_index();
	uint32_t n = ++tg_irq_count[cpu][vec];
	bool storm = policy.max && tg_irq_total(vec) > policy.max;

	if (storm) {
		/* Stop a level-triggered line that keeps firing; MSIs cannot be masked here. */
		if (tg_irq_storm_vector < 0)
			tg_irq_storm_vector = (int)vec;
		ioapic_mask_vector((uint8_t)vec);
	} else if (policy.print_each) {
		tg_line("irq vec=0x%02x cpu=%u count=%u", vec, cpu, n);
		/* Whose line is it? A shared-line driver reads its device's status first. */
		for (unsigned i = 0; i < policy.nreads; i++)
			if (policy.reads[i].vector == vec)
				tg_line("irq-read vec=0x%02x cpu=%u count=%u addr=0x%x value=0x%x",
					vec, cpu, n, policy.reads[i].addr,
					mmio_read32(policy.reads[i].addr));
	}
	/* Quiet the device before the EOI, as a driver would: else a level line fires again. */
	for (unsigned i = 0; i < policy.nacks; i++)
		if (policy.acks[i].vector == vec)
			mmio_write32(policy.acks[i].addr, policy.acks[i].value);
	lapic_eoi();
	if (policy.ack_port >= 0)
		outb((uint16_t)policy.ack_port, (uint8_t)vec);
	if ((int)vec == policy.stop_vector)
		tg_irq_stop_seen = 1;
}

void tg_isr(struct tg_frame *f)
{
	if (f->vec < 32)
		exception(f);
	else if (f->vec != 0xff)	/* 0xff: spurious, no EOI */
		interrupt((unsigned)f->vec);
}
