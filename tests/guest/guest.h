/*
 * The test guest: shared declarations. Freestanding x86-64, no libc.
 * The line protocol and the command line are specified in PROTOCOL.md.
 *
 * The guest is one small program that owns the whole machine: its state
 * (interrupt counters read by handlers on every CPU, the parsed tables) is
 * global by nature, kept per file where it can be.
 */
#ifndef TG_GUEST_H
#define TG_GUEST_H

#define TG_MAX_CPUS 16
#define TG_STACK_SIZE 16384
#define TG_MAX_IOAPICS 8
#define TG_MAP_GIB 16 /* boot.S identity-maps 0 to this many GiB */
#define TG_MAP_END (TG_MAP_GIB * 0x40000000ull)

/* GDT selectors (boot.S builds the table). */
#define TG_SEL_CODE64 0x08
#define TG_SEL_DATA 0x10
#define TG_SEL_CODE32 0x18

/* The real-mode start-up page for application processors (SIPI vector 0x08). */
#define TG_AP_TRAMPOLINE 0x8000

#ifndef __ASSEMBLER__

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- port and memory-mapped I/O, CPU helpers ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Disable interrupts, returning the previous RFLAGS for irq_restore(). */
static inline uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & (1u << 9))
		irq_enable();
}

static inline __attribute__((noreturn)) void cpu_stop(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* ---- lib.c: the few libc pieces gcc may call, formatting, parsing ---- */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
bool tg_streq_n(const char *s, size_t len, const char *lit);
int tg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int tg_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool tg_parse_num(const char *s, size_t len, uint64_t *ret);
char tg_quotable(char c);
void tg_quote_clean(char *s);

/* ---- serial.c: COM1 and whole "TG ..." lines ---- */
void serial_init(void);
void tg_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int serial_getc(unsigned *overruns);

/* ---- time.c: TSC deadlines, calibrated with the PIT ---- */
void time_init(void);
uint64_t tg_deadline_ms(uint32_t ms);
bool tg_passed(uint64_t deadline);
uint32_t tg_ms_since(uint64_t tsc_start);
extern uint64_t tg_boot_tsc;	/* the TSC when tg_main started */
void tg_udelay(uint32_t us);

/* ---- cpu.c: IDT, exceptions, interrupt counters, recovery ---- */
struct tg_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vec, err;
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * A 32-bit MMIO access: irq-wait's poke= (a write after TG ready), irq_ack= (a write in
 * the handler) and irq_read= (a read in the handler, value unused).
 */
struct tg_mmio_write {
	uint8_t vector;		/* irq_ack and irq_read only */
	uint32_t addr, value;
};

#define TG_MAX_WRITES 16

/* How the interrupt handler behaves in the current scenario. */
struct tg_irq_policy {
	bool print_each;
	int ack_port;		/* -1: none */
	uint32_t max;		/* 0: no storm limit */
	int stop_vector;	/* -1: none */
	const struct tg_mmio_write *acks;
	unsigned nacks;
	const struct tg_mmio_write *reads;	/* irq_read: printed before the acks */
	unsigned nreads;
};

extern volatile uint32_t tg_irq_count[TG_MAX_CPUS][256];
extern volatile uint32_t tg_irq_stop_seen;
extern volatile int tg_irq_storm_vector;	/* -1: none */
extern const char *tg_current_scenario;

void idt_init(void);
void idt_load(void);
unsigned tg_cpu_index(void);
void tg_irq_reset(const struct tg_irq_policy *policy);
uint32_t tg_irq_total(unsigned vec);
const char *tg_exception_name(unsigned vec);
/* Runs fn(arg); returns 0, or 1 with *ret_vec set when an exception interrupted it. */
int tg_guarded(void (*fn)(void *), void *arg, unsigned *ret_vec);
void tg_isr(struct tg_frame *f);
__attribute__((noreturn)) void tg_finish(bool pass, unsigned code);

/* ---- tables.c: ACPI MADT and MP table ---- */
enum tg_tables_pref { TG_TABLES_AUTO, TG_TABLES_MADT, TG_TABLES_MP };

struct tg_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
	uint32_t pins;
	uint32_t version;
};

struct tg_platform {
	uintptr_t rsdp, madt, mp_fp;
	const char *source;		/* "madt", "mp" or "none" */
	unsigned ncpus, disabled;
	uint8_t apic_ids[TG_MAX_CPUS];
	unsigned nioapics;
	struct tg_ioapic ioapics[TG_MAX_IOAPICS];
};

extern struct tg_platform tg_plat;

void tables_init(enum tg_tables_pref pref);
void tables_print_info(void);

/* ---- apic.c: LAPIC, IOAPIC, PIC, IPIs, application processors ---- */
extern uint32_t tg_lapic_base;
extern unsigned tg_online;
extern uint8_t tg_cpu_apic_id[TG_MAX_CPUS];

void pic_disable(void);
int lapic_init(void);
void lapic_init_cpu(void);
void lapic_eoi(void);
uint32_t lapic_id(void);
int lapic_send_ipi(uint8_t dest_apic_id, uint32_t icr_lo, bool self);
uint32_t ioapic_read(const struct tg_ioapic *io, uint32_t reg);
void ioapic_probe(struct tg_ioapic *io);
void ioapic_mask_all(void);
int ioapic_program(uint32_t gsi, uint8_t vector, bool level, bool active_low, uint8_t dest,
		   unsigned *ret_ioapic, unsigned *ret_pin);
void ioapic_mask_vector(uint8_t vector);
void ioapic_unprogram_all(void);
void smp_start(void);
void smp_print(void);
void tg_ap_main(void);

/* ---- pci.c ---- */
unsigned pci_print_bus0(void);
uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
/* Programs 00:DEV.0's MSI capability for one vector to the APIC dest, enables it and
 * bus mastering; prints a TG msi line. -1: no such function, -2: no MSI capability. */
int pci_msi_enable(unsigned dev, uint8_t vector, uint8_t dest);
void pci_msi_disable(unsigned dev);

/* One MSI-X table entry to program: irq-wait's msix=. */
struct tg_msix_vec {
	uint16_t entry;
	uint8_t vector, dest;
	bool dest_set;
};

#define TG_MAX_MSIX 8

/*
 * Programs the entries of 00:DEV.0's MSI-X table (found through its capability and
 * BAR) unmasked, each for its vector to its APIC (default_dest when none is given),
 * then enables MSI-X with memory decoding and bus mastering; prints TG msix and one
 * TG msix-entry line per entry. move_to (non-zero): the table's BAR is first moved
 * there. -1: no such function, -2: no MSI-X capability, -3: an entry beyond the
 * table, -4: the table's BAR is not in 32-bit memory space.
 */
int pci_msix_enable(unsigned dev, const struct tg_msix_vec *v, unsigned n, uint8_t default_dest,
		    uint32_t move_to);
void pci_msix_disable(unsigned dev);
/* Sets or clears an entry's mask bit (Vector Control); -1 when MSI-X is not there. */
int pci_msix_mask(unsigned dev, unsigned entry, bool masked);
/* Programs entry ENTRY for vector to the APIC dest and unmasks it, MSI-X staying as it
 * is; returns the MSI-X Enable bit read afterwards (0 or 1), or -1. */
int pci_msix_set_entry(unsigned dev, unsigned entry, uint8_t vector, uint8_t dest);
/* The entry's Pending Bit (0 or 1), or -1. */
int pci_msix_pending(unsigned dev, unsigned entry);
/* Walks bus 0 until 00:DEV.FN is vendor:device (a device added while the guest runs;
 * FN > 0 only where function 0 is there with the multi-function bit, as Linux scans),
 * reports it as info does, returns DEV; -1 once the deadline passed. */
int pci_wait_for(uint16_t vendor, uint16_t device, unsigned fn, uint64_t deadline);
/* BAR's memory address as programmed (64-bit BARs whole), 0 for an I/O BAR. */
uint64_t pci_bar_base(unsigned dev, unsigned fn, unsigned bar);
/* Command register: I/O, memory and bus master on, as a driver's probe does. */
void pci_enable(unsigned dev, unsigned fn, bool master);

/* The expansion ROM as a driver reads it: sized, enabled at its address, then off again. */
struct pci_rom {
	uint32_t addr, size;	/* size 0: no ROM BAR (it reads back 0) */
	uint16_t signature;	/* the first two bytes, 0xaa55 for a valid image */
	uint16_t pcir;		/* the PCI Data Structure's offset (bytes 0x18-0x19) */
	bool pcir_ok;		/* "PCIR" there */
	uint32_t value;		/* the dword at the offset asked for */
};
void pci_rom_read(unsigned dev, unsigned fn, uint32_t off, struct pci_rom *ret);

/* ---- cmdline.c ---- */
enum tg_scenario {
	TG_SC_INFO, TG_SC_SELFTEST_IPI, TG_SC_IRQ_WAIT, TG_SC_UD, TG_SC_INT3, TG_SC_BAD_PORT,
	TG_SC_BAD_MMIO, TG_SC_TRIPLE_FAULT, TG_SC_RESET, TG_SC_POWEROFF, TG_SC_HALT, TG_SC_SPIN,
	TG_SC_ECHO, TG_SC_RESCAN, TG_SC_COUNT
};

enum tg_access { TG_ACC_DEFAULT, TG_ACC_IN, TG_ACC_OUT, TG_ACC_READ, TG_ACC_WRITE, TG_ACC_EXEC };

#define TG_MAX_SCENARIOS 16
#define TG_MAX_PINS 32

struct tg_pin_cfg {
	uint32_t gsi;
	uint8_t vector;
	bool level, active_low, dest_set;
	uint8_t dest;
};

struct tg_opts {
	enum tg_scenario scenarios[TG_MAX_SCENARIOS];
	unsigned nscenarios;
	bool smp;
	enum tg_tables_pref tables;
	bool print_each;
	uint8_t ipi_vectors[32];	/* bitmaps of vectors */
	uint8_t vectors[32];
	struct tg_pin_cfg pins[TG_MAX_PINS];
	unsigned npins;
	struct tg_mmio_write pokes[TG_MAX_WRITES], acks[TG_MAX_WRITES], reads[TG_MAX_WRITES];
	unsigned npokes, nacks, nreads;
	uint32_t wait_ms, expect, expect_total, settle_ms, max;
	bool wait_ms_set;	/* wait_ms given: the defaults differ by scenario */
	int stop_vector, ack_port;
	bool strict;
	bool port_set, addr_set;
	bool msi_set;		/* irq-wait msi= */
	uint8_t msi_dev, msi_vector, msi_dest;
	bool msi_dest_set;
	unsigned nmsix;		/* irq-wait msix=: entries of function 00:msix_dev.0 */
	uint8_t msix_dev;
	struct tg_msix_vec msix[TG_MAX_MSIX];
	uint32_t msix_bar;	/* irq-wait msix_bar=: 0, or where the table's BAR goes */
	bool msix_mask_set;	/* irq-wait msix_mask= */
	uint16_t msix_mask_entry;
	struct tg_mmio_write msix_mask_write;
	bool msix_add_set;	/* irq-wait msix_add= */
	uint16_t msix_add_entry;
	uint8_t msix_add_vector;
	struct tg_mmio_write msix_add_write;
	bool find_set, bar_read_set;	/* rescan find=, bar_read= */
	uint16_t find_vendor, find_device;
	uint8_t find_fn;		/* rescan find_fn=: the function looked for */
	bool master;			/* rescan master=: set Bus Master Enable too */
	uint8_t bar_read_bar;
	uint32_t bar_read_off;
	bool rom_read_set, rom_sig;	/* rescan rom_read=, rom_sig= */
	uint32_t rom_read_off;
	uint32_t port;
	uint64_t addr, value;
	enum tg_access access;
	unsigned size;
	unsigned code;
};

const char *tg_scenario_name(enum tg_scenario sc);
/* Returns 0, or -1 with a message for the cmdline FAIL line in err. */
int cmdline_parse(const char *cmdline, struct tg_opts *o, char *err, size_t errsize);

static inline bool tg_vec_isset(const uint8_t *map, unsigned vec)
{
	return map[vec / 8] & (1u << (vec % 8));
}

/* ---- scenarios.c ---- */
struct tg_boot {
	uint32_t magic;
	bool mbi_valid;
	uint32_t mbi;
	bool has_basic, has_mmap;
	uint32_t mem_lower, mem_upper;
	unsigned nmmap;
	struct { uint64_t base, len; uint32_t type; } mmap[64];
	char loader[64];
};

extern struct tg_boot tg_boot;

/* Runs one scenario; returns true for PASS (may not return at all). */
bool scenario_run(enum tg_scenario sc, const struct tg_opts *o);

/* ---- echo.c ---- */
bool echo_run(const struct tg_opts *o, char *detail, size_t detail_size);

#endif /* __ASSEMBLER__ */
#endif /* TG_GUEST_H */
