/* The test guest's main line: Multiboot information, platform set-up, scenarios, end. */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2badb002u
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER (1u << 9)
#define CMDLINE_MAX 1023

struct tg_boot tg_boot;
uint64_t tg_boot_tsc;
/* boot.S: EAX and EBX at entry */
extern uint32_t tg_entry_magic, tg_entry_mbi;

static char cmdline[CMDLINE_MAX + 1];
static bool cmdline_truncated;
static struct tg_opts opts;

void tg_main(void);

static uint32_t rd32(uintptr_t a)
{
	return *(const volatile uint32_t *)a;
}

/* Copies a NUL-terminated string from guest memory; returns false if it did not fit. */
static bool copy_str(char *dst, size_t size, uintptr_t src)
{
	const char *s = (const char *)src;
	size_t i;

	for (i = 0; i + 1 < size && s[i]; i++)
		dst[i] = tg_quotable(s[i]);
	dst[i] = '\0';
	return !s[i];
}

/* Everything the guest needs from the Multiboot information, copied before anything can overwrite it. */
static void read_multiboot(uintptr_t mbi)
{
	uint32_t flags = rd32(mbi);

	tg_boot.mbi_valid = true;
	tg_boot.mbi = (uint32_t)mbi;
	if (flags & MBI_MEM) {
		tg_boot.has_basic = true;
		tg_boot.mem_lower = rd32(mbi + 4);
		tg_boot.mem_upper = rd32(mbi + 8);
	}
	if ((flags & MBI_CMDLINE) && rd32(mbi + 16))
		cmdline_truncated = !copy_str(cmdline, sizeof(cmdline), rd32(mbi + 16));
	if ((flags & MBI_LOADER) && rd32(mbi + 64))
		copy_str(tg_boot.loader, sizeof(tg_boot.loader), rd32(mbi + 64));
	if (flags & MBI_MMAP) {
		uintptr_t e = rd32(mbi + 48), end = e + rd32(mbi + 44);

		tg_boot.has_mmap = true;
		while (e + 24 <= end && tg_boot.nmmap < ARRAY_SIZE(tg_boot.mmap)) {
			uint32_t size = rd32(e);

			tg_boot.mmap[tg_boot.nmmap].base = rd32(e + 4) | (uint64_t)rd32(e + 8) << 32;
			tg_boot.mmap[tg_boot.nmmap].len = rd32(e + 12) | (uint64_t)rd32(e + 16) << 32;
			tg_boot.mmap[tg_boot.nmmap].type = rd32(e + 20);
			tg_boot.nmmap++;
			if (size < 20)
				break;
			e += size + 4;
		}
	}
}

static __attribute__((noreturn)) void fail_early(const char *scenario, const char *why)
{
	tg_line("result scenario=%s status=FAIL detail=\"%s\"", scenario, why);
	tg_finish(false, 1);
}

void tg_main(void)
{
	char err[160], mbi[16] = "none";
	bool pass = true;

	tg_boot_tsc = rdtsc();
	serial_init();
	tg_boot.magic = tg_entry_magic;
	if (tg_boot.magic == MB_BOOT_MAGIC) {
		read_multiboot(tg_entry_mbi);
		tg_snprintf(mbi, sizeof(mbi), "0x%x", tg_entry_mbi);
	}
	tg_line("hello version=1 magic=0x%x mbi=%s loader=\"%s\"", tg_boot.magic, mbi,
		tg_boot.loader);
	tg_line("cmdline text=\"%s\"", cmdline);

	idt_init();
	idt_load();
	pic_disable();
	if (cmdline_truncated)
		fail_early("cmdline", "command line longer than 1023 bytes");
	if (cmdline_parse(cmdline, &opts, err, sizeof(err))) {
		tg_quote_clean(err);
		fail_early("cmdline", err);
	}

	time_init();
	if (lapic_init())
		fail_early("boot", "the LAPIC is in x2APIC mode, which the guest does not support");
	tables_init(opts.tables);
	ioapic_mask_all();
	if (opts.smp)
		smp_start();
	else
		smp_print();
	irq_enable();

	for (unsigned i = 0; i < opts.nscenarios; i++) {
		if (opts.scenarios[i] == TG_SC_POWEROFF)
			tg_finish(pass, opts.code);
		if (!scenario_run(opts.scenarios[i], &opts))
			pass = false;
	}
	tg_current_scenario = "end";
	tg_finish(pass, pass ? 0 : 1);
}
