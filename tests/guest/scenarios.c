/* The scenarios named on the command line (PROTOCOL.md, section 3). */
#include "guest.h"

#define DETAIL_MAX 160

/* ---- info ---- */

static bool sc_info(const struct tg_opts *o, char *detail)
{
	size_t len = 0;
	unsigned nfn;
	bool bridge;

	if (tg_boot.has_basic)
		tg_line("mem-basic lower_kib=%u upper_kib=%u", tg_boot.mem_lower, tg_boot.mem_upper);
	for (unsigned i = 0; i < tg_boot.nmmap; i++)
		tg_line("mem base=0x%lx len=0x%lx type=%u", tg_boot.mmap[i].base, tg_boot.mmap[i].len,
			tg_boot.mmap[i].type);
	tables_print_info();
	nfn = pci_print_bus0();
	bridge = (pci_read32(0, 0, 0, 0) & 0xffff) != 0xffff;

	if (tg_boot.magic != 0x2badb002u)
		len += (size_t)tg_snprintf(detail + len, DETAIL_MAX - len, "bad Multiboot magic; ");
	if (!tg_boot.has_mmap)
		len += (size_t)tg_snprintf(detail + len, DETAIL_MAX - len, "no memory map; ");
	if (tg_plat.source[0] == 'n')
		len += (size_t)tg_snprintf(detail + len, DETAIL_MAX - len, "no MADT or MP table; ");
	if (!bridge)
		len += (size_t)tg_snprintf(detail + len, DETAIL_MAX - len, "no device at 00:00.0; ");
	if (len) {
		detail[len - 2] = '\0';
		return false;
	}
	tg_snprintf(detail, DETAIL_MAX, "cpus=%u online=%u mem_entries=%u pci_functions=%u",
		    tg_plat.ncpus, tg_online, tg_boot.nmmap, nfn);
	return true;
}

/* ---- interrupt helpers ---- */

static void print_counts(void)
{
	for (unsigned c = 0; c < tg_online; c++)
		for (unsigned v = 0x20; v < 0xff; v++)
			if (tg_irq_count[c][v])
				tg_line("irq-count vec=0x%02x cpu=%u count=%u", v, c, tg_irq_count[c][v]);
}

static bool wait_count(unsigned cpu, unsigned vec, uint32_t target, uint32_t ms)
{
	uint64_t deadline = tg_deadline_ms(ms);

	while (tg_irq_count[cpu][vec] < target)
		if (tg_passed(deadline))
			return false;
		else
			cpu_relax();
	return true;
}

/* ---- selftest-ipi ---- */

static bool sc_selftest_ipi(const struct tg_opts *o, char *detail)
{
	struct tg_irq_policy p = { .print_each = o->print_each, .ack_port = -1, .stop_vector = -1 };
	unsigned sent = 0, ok = 0;
	char first_bad[80] = "";

	tg_irq_reset(&p);
	for (unsigned v = 0x20; v < 0xff; v++) {
		if (!tg_vec_isset(o->ipi_vectors, v))
			continue;
		for (unsigned c = 0; c < tg_online; c++) {
			uint32_t before = tg_irq_count[c][v];
			bool arrived;

			sent++;
			if (lapic_send_ipi(tg_cpu_apic_id[c], v, c == 0)) {
				if (!first_bad[0])
					tg_snprintf(first_bad, sizeof(first_bad),
						    "; ICR stuck busy sending 0x%02x to cpu %u", v, c);
				continue;
			}
			arrived = wait_count(c, v, before + 1, 1000);
			tg_udelay(20000);	/* a second delivery would show up by now */
			if (arrived && tg_irq_count[c][v] == before + 1)
				ok++;
			else if (!first_bad[0])
				tg_snprintf(first_bad, sizeof(first_bad),
					    "; vector 0x%02x to cpu %u counted %u times", v, c,
					    tg_irq_count[c][v] - before);
		}
	}
	print_counts();
	tg_snprintf(detail, DETAIL_MAX, "sent=%u counted_once=%u%s", sent, ok, first_bad);
	return sent && ok == sent;
}

/* ---- irq-wait ---- */

static void expected_set(const struct tg_opts *o, uint8_t *map)
{
	memcpy(map, o->vectors, 32);
	for (unsigned i = 0; i < o->npins; i++)
		map[o->pins[i].vector / 8] |= (uint8_t)(1u << (o->pins[i].vector % 8));
	if (o->msi_set)
		map[o->msi_vector / 8] |= (uint8_t)(1u << (o->msi_vector % 8));
	for (unsigned i = 0; i < o->nmsix; i++)
		map[o->msix[i].vector / 8] |= (uint8_t)(1u << (o->msix[i].vector % 8));
}

/*
 * msix_mask=: entry masked, the device made to raise it, its pending bit read, the
 * entry unmasked. Returns false when it arrived while masked.
 */
static bool msix_mask_check(const struct tg_opts *o)
{
	unsigned entry = o->msix_mask_entry;
	int vector = -1, pending;
	uint32_t before, during, after;
	uint64_t until;

	for (unsigned i = 0; i < o->nmsix; i++)
		if (o->msix[i].entry == entry)
			vector = o->msix[i].vector;
	if (vector < 0 || pci_msix_mask(o->msix_dev, entry, true) < 0) {
		tg_line("warn msg=\"msix_mask: entry %u is not one msix= programmed\"", entry);
		return false;
	}
	before = tg_irq_total((unsigned)vector);
	mmio_write32(o->msix_mask_write.addr, o->msix_mask_write.value);
	until = tg_deadline_ms(200);
	while (!tg_passed(until))
		cpu_relax();
	during = tg_irq_total((unsigned)vector) - before;
	pending = pci_msix_pending(o->msix_dev, entry);
	pci_msix_mask(o->msix_dev, entry, false);
	until = tg_deadline_ms(1000);
	while (!tg_passed(until) && tg_irq_total((unsigned)vector) == before + during)
		cpu_relax();
	after = tg_irq_total((unsigned)vector) - before - during;
	tg_line("msix-mask dev=%u entry=%u vector=0x%02x while_masked=%u pending=%d after_unmask=%u",
		o->msix_dev, entry, (unsigned)vector, during, pending, after);
	return during == 0;
}

/*
 * msix_add=: an entry left masked at the enable is programmed and unmasked with MSI-X
 * still enabled (the VMM must add a vector to an enabled index), the device made to
 * raise it. Returns false when its vector did not arrive within 1000 ms.
 */
static bool msix_add_check(const struct tg_opts *o)
{
	unsigned entry = o->msix_add_entry, vector = o->msix_add_vector;
	uint32_t before = tg_irq_total(vector), got;
	uint64_t until;
	int enabled;

	for (unsigned i = 0; i < o->nmsix; i++)
		if (o->msix[i].entry == entry) {
			tg_line("warn msg=\"msix_add: entry %u is one msix= programmed\"", entry);
			return false;
		}
	enabled = pci_msix_set_entry(o->msix_dev, entry, (uint8_t)vector, tg_cpu_apic_id[0]);
	if (enabled < 0) {
		tg_line("warn msg=\"msix_add: 00:%02x.0 has no MSI-X entry %u\"", o->msix_dev,
			entry);
		return false;
	}
	mmio_write32(o->msix_add_write.addr, o->msix_add_write.value);
	until = tg_deadline_ms(1000);
	while (!tg_passed(until) && tg_irq_total(vector) == before)
		cpu_relax();
	got = tg_irq_total(vector) - before;
	tg_line("msix-add dev=%u entry=%u vector=0x%02x enabled=%d received=%u", o->msix_dev,
		entry, vector, enabled, got);
	return got > 0;
}

static bool expectation_met(const struct tg_opts *o, const uint8_t *expected)
{
	uint32_t total = 0;

	for (unsigned v = 0x20; v < 0xff; v++) {
		uint32_t n;

		if (!tg_vec_isset(expected, v))
			continue;
		n = tg_irq_total(v);
		if (o->expect && n < o->expect)
			return false;
		total += n;
	}
	return !o->expect_total || total >= o->expect_total;
}

static bool sc_irq_wait(const struct tg_opts *o, char *detail)
{
	struct tg_irq_policy p = {
		.print_each = o->print_each, .ack_port = o->ack_port, .max = o->max,
		.stop_vector = o->stop_vector, .acks = o->acks, .nacks = o->nacks,
		.reads = o->reads, .nreads = o->nreads,
	};
	bool has_expectation = o->expect || o->expect_total, met = false, pass = true;
	uint8_t expected[32];
	uint32_t received = 0, unexpected = 0, elapsed;
	uint64_t start, deadline, settle = 0;
	const char *ended = "timeout";
	bool any = false;

	expected_set(o, expected);
	for (unsigned i = 0; i < 32; i++)
		any |= expected[i] != 0;
	if (has_expectation && !any) {
		tg_snprintf(detail, DETAIL_MAX,
			    "expect/expect_total need vectors=, ioapic_pin=, msi= or msix=");
		return false;
	}

	tg_irq_reset(&p);
	for (unsigned i = 0; i < o->npins; i++) {
		const struct tg_pin_cfg *pc = &o->pins[i];
		uint8_t dest = pc->dest_set ? pc->dest : tg_cpu_apic_id[0];
		unsigned io, pin;

		if (ioapic_program(pc->gsi, pc->vector, pc->level, pc->active_low, dest, &io, &pin)) {
			ioapic_unprogram_all();
			tg_snprintf(detail, DETAIL_MAX, "no IOAPIC pin for GSI %u", pc->gsi);
			return false;
		}
		tg_line("ioapic-pin gsi=%u ioapic_id=%u pin=%u vector=0x%02x trigger=%s polarity=%s"
			" dest=%u", pc->gsi, tg_plat.ioapics[io].id, pin, pc->vector,
			pc->level ? "level" : "edge", pc->active_low ? "low" : "high", dest);
	}

	if (o->msi_set) {
		int r = pci_msi_enable(o->msi_dev, o->msi_vector,
				       o->msi_dest_set ? o->msi_dest : tg_cpu_apic_id[0]);

		if (r < 0) {
			ioapic_unprogram_all();
			tg_snprintf(detail, DETAIL_MAX, "msi: 00:%02x.0 %s", o->msi_dev,
				    r == -1 ? "does not exist" : "has no MSI capability");
			return false;
		}
	}
	if (o->nmsix) {
		static const char *const why[] = { "does not exist", "has no MSI-X capability",
			"has no such table entry", "has its MSI-X table outside 32-bit memory" };
		int r = pci_msix_enable(o->msix_dev, o->msix, o->nmsix, tg_cpu_apic_id[0],
					o->msix_bar);

		if (r < 0) {
			ioapic_unprogram_all();
			if (o->msi_set)
				pci_msi_disable(o->msi_dev);
			tg_snprintf(detail, DETAIL_MAX, "msix: 00:%02x.0 %s", o->msix_dev, why[-r - 1]);
			return false;
		}
	}
	irq_enable();
	tg_line("ready scenario=irq-wait");
	start = rdtsc();
	deadline = tg_deadline_ms(o->wait_ms);
	for (unsigned i = 0; i < o->npokes; i++)
		mmio_write32(o->pokes[i].addr, o->pokes[i].value);
	for (;;) {
		if (tg_irq_stop_seen) {
			ended = "stop";
			break;
		}
		if (tg_irq_storm_vector >= 0) {
			ended = "storm";
			break;
		}
		if (has_expectation && !met && expectation_met(o, expected)) {
			met = true;
			settle = tg_deadline_ms(o->settle_ms);
		}
		if (met && tg_passed(settle)) {
			ended = "expect";
			break;
		}
		if (tg_passed(deadline))
			break;
		cpu_relax();
	}
	elapsed = tg_ms_since(start);
	if (o->msix_mask_set && met && !msix_mask_check(o))
		pass = false;
	if (o->msix_add_set && o->nmsix) {
		/* Its vector is expected from now on: counted as received, not unexpected. */
		if (!met || !msix_add_check(o))
			pass = false;
		expected[o->msix_add_vector / 8] |= (uint8_t)(1u << (o->msix_add_vector % 8));
	}
	ioapic_unprogram_all();
	if (o->msi_set)
		pci_msi_disable(o->msi_dev);
	if (o->nmsix)
		pci_msix_disable(o->msix_dev);
	print_counts();

	for (unsigned v = 0x20; v < 0xff; v++) {
		if (tg_vec_isset(expected, v))
			received += tg_irq_total(v);
		else if ((int)v != o->stop_vector)
			unexpected += tg_irq_total(v);
	}
	if (tg_irq_storm_vector >= 0)
		pass = false;
	if (has_expectation && !expectation_met(o, expected))
		pass = false;
	if (o->strict && unexpected)
		pass = false;
	if (tg_irq_storm_vector >= 0)
		tg_snprintf(detail, DETAIL_MAX,
			    "received=%u unexpected=%u elapsed_ms=%u ended=storm storm_vector=0x%02x",
			    received, unexpected, elapsed, (unsigned)tg_irq_storm_vector);
	else
		tg_snprintf(detail, DETAIL_MAX, "received=%u unexpected=%u elapsed_ms=%u ended=%s",
			    received, unexpected, elapsed, ended);
	return pass;
}

/* ---- provoked exceptions ---- */

static void do_ud2(void *arg)
{
	__asm__ volatile("ud2");
}

static void do_int3(void *arg)
{
	__asm__ volatile("int3");
}

static bool expect_exception(void (*fn)(void *), unsigned want, char *detail)
{
	unsigned vec = 0;

	if (!tg_guarded(fn, NULL, &vec)) {
		tg_snprintf(detail, DETAIL_MAX, "no exception");
		return false;
	}
	tg_snprintf(detail, DETAIL_MAX, "exception %s (vector %u), recovered",
		    tg_exception_name(vec), vec);
	return vec == want;
}

/* ---- accesses a VMM must report ---- */

static const char *access_name(enum tg_access a)
{
	static const char *const n[] = { "default", "in", "out", "read", "write", "exec" };

	return n[a];
}

static bool sc_bad_port(const struct tg_opts *o, char *detail)
{
	enum tg_access acc = o->access == TG_ACC_DEFAULT ? TG_ACC_OUT : o->access;
	unsigned size = o->size ? o->size : 1;
	uint16_t port = (uint16_t)o->port;
	uint32_t v = 0;

	if (!o->port_set || (acc != TG_ACC_IN && acc != TG_ACC_OUT) || size > 4) {
		tg_snprintf(detail, DETAIL_MAX, "bad-port needs port=, access=in|out, size=1|2|4");
		return false;
	}
	tg_line("action what=bad-port port=0x%x access=%s size=%u value=0x%lx", port,
		access_name(acc), size, o->value);
	if (acc == TG_ACC_OUT) {
		if (size == 1)
			outb(port, (uint8_t)o->value);
		else if (size == 2)
			outw(port, (uint16_t)o->value);
		else
			outl(port, (uint32_t)o->value);
		tg_snprintf(detail, DETAIL_MAX, "wrote 0x%lx", o->value);
	} else {
		v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
		tg_snprintf(detail, DETAIL_MAX, "read 0x%x", v);
	}
	return true;
}

struct mmio_access {
	uintptr_t addr;
	unsigned size;
	bool write;
	uint64_t value, result;
};

static void do_mmio(void *arg)
{
	struct mmio_access *m = arg;

	switch (m->size) {
	case 1:
		if (m->write)
			*(volatile uint8_t *)m->addr = (uint8_t)m->value;
		else
			m->result = *(volatile uint8_t *)m->addr;
		break;
	case 2:
		if (m->write)
			*(volatile uint16_t *)m->addr = (uint16_t)m->value;
		else
			m->result = *(volatile uint16_t *)m->addr;
		break;
	case 4:
		if (m->write)
			*(volatile uint32_t *)m->addr = (uint32_t)m->value;
		else
			m->result = *(volatile uint32_t *)m->addr;
		break;
	default:
		if (m->write)
			*(volatile uint64_t *)m->addr = m->value;
		else
			m->result = *(volatile uint64_t *)m->addr;
		break;
	}
}

static void do_exec(void *arg)
{
	const struct mmio_access *m = arg;

	((void (*)(void))m->addr)();
}

static bool sc_bad_mmio(const struct tg_opts *o, char *detail)
{
	enum tg_access acc = o->access == TG_ACC_DEFAULT ? TG_ACC_READ : o->access;
	struct mmio_access m = {
		.addr = (uintptr_t)o->addr, .size = o->size ? o->size : 4,
		.write = acc == TG_ACC_WRITE, .value = o->value,
	};
	unsigned vec;

	if (!o->addr_set || (acc != TG_ACC_READ && acc != TG_ACC_WRITE && acc != TG_ACC_EXEC)) {
		tg_snprintf(detail, DETAIL_MAX, "bad-mmio needs addr= and access=read|write|exec");
		return false;
	}
	tg_line("action what=bad-mmio addr=0x%lx access=%s size=%u value=0x%lx",
		(unsigned long)m.addr, access_name(acc), m.size, m.value);
	if (tg_guarded(acc == TG_ACC_EXEC ? do_exec : do_mmio, &m, &vec))
		tg_snprintf(detail, DETAIL_MAX, "exception %s (vector %u), recovered",
			    tg_exception_name(vec), vec);
	else if (acc == TG_ACC_READ)
		tg_snprintf(detail, DETAIL_MAX, "read 0x%lx", m.result);
	else
		tg_snprintf(detail, DETAIL_MAX, "%s", acc == TG_ACC_EXEC ? "returned" : "written");
	return true;
}

/*
 * rescan's rom_read=OFFSET: size the ROM BAR, enable it where it is, read the image's
 * signature, its PCIR structure and the dword at OFFSET, and say so in one line.
 * A function without a ROM BAR is reported (size=0x0) and fails only with rom_sig=1,
 * as does an image without 0x55AA and PCIR.
 */
static bool rescan_rom(unsigned dev, const struct tg_opts *o, char *detail)
{
	unsigned fn = o->find_fn;
	struct pci_rom r;

	pci_rom_read(dev, fn, o->rom_read_off, &r);
	tg_line("pci-rom bdf=00:%02x.%x addr=0x%x size=0x%x signature=0x%04x pcir=0x%x pcir_ok=%d "
		"offset=0x%x value=0x%08x", dev, fn, r.addr, r.size, r.signature, r.pcir, r.pcir_ok,
		o->rom_read_off, r.value);
	if (r.size && (!r.addr || o->rom_read_off + 4 > r.size)) {
		tg_snprintf(detail, DETAIL_MAX, "found 00:%02x.%x, but its ROM (0x%x bytes at 0x%x) "
			    "cannot be read at 0x%x", dev, fn, r.size, r.addr, o->rom_read_off);
		return false;
	}
	if (o->rom_sig && (r.signature != 0xaa55 || !r.pcir_ok)) {
		tg_snprintf(detail, DETAIL_MAX, "found 00:%02x.%x, but its ROM %s", dev, fn,
			    !r.size ? "BAR is absent" : r.signature != 0xaa55 ?
			    "has no 0x55AA signature" : "has no PCIR structure");
		return false;
	}
	return true;
}

/*
 * rescan: what a driver does with a device that arrives while the guest runs (a
 * hot attach): walk the bus until find=VENDOR:DEVICE shows up, report it, enable
 * its decoding (bus mastering too with master=1: a driver's pci_set_master, which
 * reading a register does not need), and with bar_read=BAR:OFFSET read one register
 * through its BAR.
 */
static bool sc_rescan(const struct tg_opts *o, char *detail)
{
	uint32_t wait = o->wait_ms_set ? o->wait_ms : 30000;
	unsigned fn = o->find_fn;
	uint64_t base, addr;
	uint32_t value;
	int dev;

	if (!o->find_set) {
		tg_snprintf(detail, DETAIL_MAX, "rescan needs find=VENDOR:DEVICE");
		return false;
	}
	tg_line("ready scenario=rescan");
	dev = pci_wait_for(o->find_vendor, o->find_device, fn, tg_deadline_ms(wait));
	if (dev < 0) {
		tg_snprintf(detail, DETAIL_MAX, "no %04x:%04x%s on bus 0 within %u ms",
			    o->find_vendor, o->find_device, fn ? " at that function" : "", wait);
		return false;
	}
	pci_enable((unsigned)dev, fn, o->master);
	if (o->rom_read_set && !rescan_rom((unsigned)dev, o, detail))
		return false;
	if (!o->bar_read_set) {
		tg_snprintf(detail, DETAIL_MAX, "found 00:%02x.%x", dev, fn);
		return true;
	}
	base = pci_bar_base((unsigned)dev, fn, o->bar_read_bar);
	addr = base + o->bar_read_off;
	if (!base || addr + 4 > TG_MAP_END || addr < 0xc0000000ull) {
		tg_snprintf(detail, DETAIL_MAX, "found 00:%02x.%x, but BAR%u (0x%lx) is no memory "
			    "BAR in 3-16 GiB", dev, fn, o->bar_read_bar, (unsigned long)base);
		return false;
	}
	value = *(volatile uint32_t *)(uintptr_t)addr;
	tg_snprintf(detail, DETAIL_MAX, "found 00:%02x.%x bar%u=0x%lx read 0x%x", dev, fn,
		    o->bar_read_bar, (unsigned long)base, value);
	return true;
}

/* ---- the ones that should not come back ---- */

static bool sc_triple_fault(char *detail)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	tg_line("action what=triple-fault");
	irq_disable();
	/* #UD cannot be delivered, nor the #GP/#DF that follow: the CPU shuts down. */
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	idt_load();
	irq_enable();
	tg_snprintf(detail, DETAIL_MAX, "still running after a triple fault");
	return false;
}

static bool sc_reset(char *detail)
{
	uint64_t deadline;

	tg_line("action what=reset");
	outb(0x64, 0xfe);
	deadline = tg_deadline_ms(1000);
	while (!tg_passed(deadline))
		cpu_relax();
	tg_snprintf(detail, DETAIL_MAX, "still running 1000 ms after writing 0xfe to port 0x64");
	return false;
}

bool scenario_run(enum tg_scenario sc, const struct tg_opts *o)
{
	char detail[DETAIL_MAX] = "";
	bool pass = false;

	tg_current_scenario = tg_scenario_name(sc);
	tg_irq_reset(&(struct tg_irq_policy){ .print_each = o->print_each, .ack_port = -1,
					      .stop_vector = -1 });
	switch (sc) {
	case TG_SC_INFO:
		pass = sc_info(o, detail);
		break;
	case TG_SC_SELFTEST_IPI:
		pass = sc_selftest_ipi(o, detail);
		break;
	case TG_SC_IRQ_WAIT:
		pass = sc_irq_wait(o, detail);
		break;
	case TG_SC_UD:
		pass = expect_exception(do_ud2, 6, detail);
		break;
	case TG_SC_INT3:
		pass = expect_exception(do_int3, 3, detail);
		break;
	case TG_SC_BAD_PORT:
		pass = sc_bad_port(o, detail);
		break;
	case TG_SC_BAD_MMIO:
		pass = sc_bad_mmio(o, detail);
		break;
	case TG_SC_TRIPLE_FAULT:
		pass = sc_triple_fault(detail);
		break;
	case TG_SC_RESET:
		pass = sc_reset(detail);
		break;
	case TG_SC_ECHO:
		pass = echo_run(o, detail, DETAIL_MAX);
		break;
	case TG_SC_RESCAN:
		pass = sc_rescan(o, detail);
		break;
	case TG_SC_HALT:
		tg_line("ready scenario=halt");
		cpu_stop();
	case TG_SC_SPIN:
		tg_line("ready scenario=spin");
		irq_disable();
		for (;;)
			cpu_relax();
	case TG_SC_POWEROFF:	/* handled by the caller, which knows the status so far */
	case TG_SC_COUNT:
		break;
	}
	tg_quote_clean(detail);
	tg_line("result scenario=%s status=%s detail=\"%s\"", tg_current_scenario,
		pass ? "PASS" : "FAIL", detail);
	return pass;
}
