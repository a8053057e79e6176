/*
 * Time: every timeout is a TSC deadline. The TSC rate is measured once
 * against a 20 ms one-shot of PIT channel 2 (gate and output on port 0x61),
 * else of channel 0, else taken from CPUID.
 */
#include "guest.h"

#define PIT_HZ 1193182u
#define CAL_MS 20u
#define PORT61_GATE2 0x01
#define PORT61_SPEAKER 0x02
#define PORT61_OUT2 0x20

static uint64_t tsc_khz = 1000000;	/* until calibrated: 1 GHz */

static uint64_t calibrate_pit(void)
{
	uint32_t count = PIT_HZ * CAL_MS / 1000;
	uint8_t p61 = inb(0x61);
	uint64_t t0, t1;
	unsigned i;

	outb(0x61, (uint8_t)((p61 & ~PORT61_SPEAKER) | PORT61_GATE2));
	outb(0x43, 0xb0);		/* channel 2, lobyte/hibyte, mode 0, binary */
	outb(0x42, count & 0xff);
	outb(0x42, (count >> 8) & 0xff);
	/*
	 * Bounded twice: by iterations, and by 4e8 TSC ticks (20 ms even at
	 * 20 GHz, at most 4 s at 100 MHz) in case port 0x61 is not emulated.
	 */
	t0 = rdtsc();
	for (i = 0; i < 5000000; i++) {
		t1 = rdtsc();
		if (t1 - t0 > 400000000u)
			break;
		if (inb(0x61) & PORT61_OUT2) {
			t1 = rdtsc();
			outb(0x61, p61 & ~PORT61_GATE2);
			return (t1 - t0) / CAL_MS;
		}
	}
	outb(0x61, p61 & ~PORT61_GATE2);
	return 0;
}

static uint16_t pit0_read(void)
{
	uint8_t lo, hi;

	outb(0x43, 0x00);		/* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return (uint16_t)(hi << 8 | lo);
}

/*
 * Without port 0x61 (QEMU's microvm has none): a 20 ms one-shot on channel 0,
 * read back through the latch until it passes zero and wraps. Its interrupt
 * goes nowhere (the PICs and the IOAPIC pins are masked), and channel 0 is
 * left stopped, which is why this is only the fallback: firmware may have
 * had it running.
 */
static uint64_t calibrate_pit0(void)
{
	uint32_t count = PIT_HZ * CAL_MS / 1000;
	uint16_t prev = (uint16_t)count, cur;
	uint64_t t0, t1;

	outb(0x43, 0x30);		/* channel 0, lobyte/hibyte, mode 0, binary */
	outb(0x40, count & 0xff);
	outb(0x40, (count >> 8) & 0xff);
	t0 = rdtsc();
	for (unsigned i = 0; i < 5000000; i++) {
		t1 = rdtsc();
		if (t1 - t0 > 400000000u)
			break;
		cur = pit0_read();
		if (cur > prev)
			return (rdtsc() - t0) / CAL_MS;
		prev = cur;
	}
	return 0;
}

static uint64_t from_cpuid(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0] / 1000;
	}
	cpuid(0, 0, r);
	if (r[0] >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0])
			return (uint64_t)r[0] * 1000;
	}
	return 0;
}

/* A TSC between 100 MHz and 20 GHz is believable; anything else is a broken measurement. */
static bool plausible(uint64_t khz)
{
	return khz >= 100000 && khz <= 20000000;
}

void time_init(void)
{
	uint64_t khz = calibrate_pit();
	const char *source = "pit";

	if (!plausible(khz)) {
		khz = calibrate_pit0();
		source = "pit0";
	}
	if (!plausible(khz)) {
		khz = from_cpuid();
		source = "cpuid";
	}
	if (!plausible(khz)) {
		tg_line("warn msg=\"the PIT does not count and CPUID has no TSC rate: assuming 1 GHz\"");
		khz = 1000000;
		source = "default";
	}
	tsc_khz = khz;
	tg_line("tsc khz=%lu source=%s", khz, source);
}

uint64_t tg_deadline_ms(uint32_t ms)
{
	return rdtsc() + (uint64_t)ms * tsc_khz;
}

bool tg_passed(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

uint32_t tg_ms_since(uint64_t tsc_start)
{
	return (uint32_t)((rdtsc() - tsc_start) / tsc_khz);
}

void tg_udelay(uint32_t us)
{
	uint64_t end = rdtsc() + (uint64_t)us * tsc_khz / 1000;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}
