/*
 * Firmware tables: the ACPI MADT (found through the RSDP) and the MP table
 * (found through its floating pointer), for CPUs, IOAPICs and interrupt routes.
 */
#include "guest.h"

#define MAX_ROUTES 64
#define MAX_BUSES 32
#define MAX_ACPI_TABLES 32

struct route {
	const char *source;
	uint8_t type;		/* MP interrupt type: 0 int, 1 nmi, 2 smi, 3 extint */
	bool has_bus;
	uint8_t bus, bus_type;	/* bus_type: 0 isa, 1 pci, 2 other */
	uint8_t irq;		/* ISA: irq; PCI: (dev << 2) | int pin */
	bool has_pin;
	uint8_t ioapic_id, pin;
	uint32_t gsi;
	uint16_t flags;		/* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

struct mp_bus {
	uint8_t id;
	char type[7];
};

struct acpi_table {
	char sig[4];
	uint32_t addr, len;
	uint8_t rev;
	char oem[7];
};

struct tg_platform tg_plat;

static struct route routes[MAX_ROUTES];
static unsigned nroutes;
static struct mp_bus buses[MAX_BUSES];
static unsigned nbuses;
static struct acpi_table acpi_tables[MAX_ACPI_TABLES];
static unsigned nacpi_tables;

static bool checksum_ok(uintptr_t addr, size_t len)
{
	const uint8_t *p = (const uint8_t *)addr;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/*
 * Firmware data lives at fixed low addresses, which gcc takes for offsets
 * from a null pointer (-Warray-bounds): hide the constant from it.
 */
static uintptr_t phys(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a;
}

static uint16_t rd16(uintptr_t a)
{
	return *(const volatile uint16_t *)phys(a);
}

static uint32_t rd32(uintptr_t a)
{
	return *(const volatile uint32_t *)phys(a);
}

static uint64_t rd64(uintptr_t a)
{
	return *(const volatile uint64_t *)phys(a);
}

static uintptr_t scan(uintptr_t start, uintptr_t end, const char *sig, size_t siglen, size_t sumlen)
{
	for (uintptr_t a = start; a + sumlen <= end; a += 16)
		if (!memcmp((const void *)a, sig, siglen) && checksum_ok(a, sumlen))
			return a;
	return 0;
}

/* The extended BIOS data area's first KiB, if the BDA points at a plausible one. */
static uintptr_t ebda(void)
{
	uintptr_t seg = (uintptr_t)rd16(0x40e) << 4;

	return seg >= 0x80000 && seg < 0xa0000 ? seg : 0;
}

static void add_route(const struct route *r)
{
	if (nroutes < MAX_ROUTES)
		routes[nroutes++] = *r;
}

static void add_cpu(uint8_t apic_id, bool enabled)
{
	if (!enabled) {
		tg_plat.disabled++;
		return;
	}
	if (tg_plat.ncpus < TG_MAX_CPUS)
		tg_plat.apic_ids[tg_plat.ncpus++] = apic_id;
}

static void add_ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	struct tg_ioapic *io;

	if (tg_plat.nioapics == TG_MAX_IOAPICS)
		return;
	io = &tg_plat.ioapics[tg_plat.nioapics++];
	io->id = id;
	io->addr = addr;
	io->gsi_base = gsi_base;
	ioapic_probe(io);
}

/* ---- ACPI ---- */

static uintptr_t find_rsdp(void)
{
	uintptr_t e = ebda(), r = 0;

	if (e)
		r = scan(e, e + 1024, "RSD PTR ", 8, 20);
	if (!r)
		r = scan(0xe0000, 0x100000, "RSD PTR ", 8, 20);
	return r;
}

static bool table_ok(uintptr_t t, const char *sig)
{
	uint32_t len;

	if (!t || t >= 0xfffff000u || (sig && memcmp((const void *)t, sig, 4)))
		return false;
	len = rd32(t + 4);
	return len >= 36 && len < 0x100000 && t + len <= 0x100000000ull && checksum_ok(t, len);
}

/* Walks the RSDT or XSDT: remembers every table and returns the MADT's address. */
static uintptr_t acpi_walk(uintptr_t rsdp)
{
	uint8_t rev = *(const uint8_t *)(rsdp + 15);
	uintptr_t sdt = rd32(rsdp + 16), madt = 0;
	unsigned esize = 4;

	if (rev >= 2 && rd32(rsdp + 20) >= 36 && rd32(rsdp + 20) <= 4096 &&
	    checksum_ok(rsdp, rd32(rsdp + 20))) {
		uint64_t x = rd64(rsdp + 24);

		if (x && x < 0xfffff000u) {
			sdt = (uintptr_t)x;
			esize = 8;
		}
	}
	if (!table_ok(sdt, esize == 8 ? "XSDT" : "RSDT")) {
		tg_line("warn msg=\"ACPI %s at 0x%lx is invalid\"", esize == 8 ? "XSDT" : "RSDT",
			(unsigned long)sdt);
		return 0;
	}
	for (uintptr_t e = sdt + 36; e + esize <= sdt + rd32(sdt + 4); e += esize) {
		uint64_t t = esize == 8 ? rd64(e) : rd32(e);
		struct acpi_table *at;

		if (!t || t >= 0xfffff000u || !table_ok((uintptr_t)t, NULL)) {
			tg_line("warn msg=\"ACPI table at 0x%lx is invalid\"", (unsigned long)t);
			continue;
		}
		if (nacpi_tables < MAX_ACPI_TABLES) {
			at = &acpi_tables[nacpi_tables++];
			memcpy(at->sig, (const void *)(uintptr_t)t, 4);
			at->addr = (uint32_t)t;
			at->len = rd32((uintptr_t)t + 4);
			at->rev = *(const uint8_t *)(uintptr_t)(t + 8);
			memcpy(at->oem, (const void *)(uintptr_t)(t + 10), 6);
			at->oem[6] = '\0';
		}
		if (!madt && !memcmp((const void *)(uintptr_t)t, "APIC", 4))
			madt = (uintptr_t)t;
	}
	return madt;
}

/* use: fill tg_plat's CPUs and IOAPICs; the routes are recorded either way. */
static void madt_parse(uintptr_t madt, bool use)
{
	uintptr_t end = madt + rd32(madt + 4);

	for (uintptr_t e = madt + 44; e + 2 <= end; e += *(const uint8_t *)(e + 1)) {
		uint8_t type = *(const uint8_t *)e, len = *(const uint8_t *)(e + 1);

		if (len < 2 || e + len > end)
			break;
		if (type == 0 && len >= 8 && use) {
			add_cpu(*(const uint8_t *)(e + 3), rd32(e + 4) & 1);
		} else if (type == 1 && len >= 12 && use) {
			add_ioapic(*(const uint8_t *)(e + 2), rd32(e + 4), rd32(e + 8));
		} else if (type == 2 && len >= 10) {
			struct route r = {
				.source = "madt", .bus_type = 0, .irq = *(const uint8_t *)(e + 3),
				.gsi = rd32(e + 4), .flags = rd16(e + 8),
			};

			add_route(&r);
		} else if (type == 9 && use) {
			tg_line("warn msg=\"MADT x2APIC entry (id %u) ignored: x2APIC is not supported\"",
				rd32(e + 4));
		}
	}
}

/* ---- MP table ---- */

static uintptr_t find_mp(void)
{
	uintptr_t e = ebda(), r = 0;
	uintptr_t base_kib = rd16(0x413);

	if (e)
		r = scan(e, e + 1024, "_MP_", 4, 16);
	if (!r && base_kib >= 512 && base_kib <= 640)
		r = scan((base_kib - 1) * 1024, base_kib * 1024, "_MP_", 4, 16);
	if (!r)
		r = scan(0xf0000, 0x100000, "_MP_", 4, 16);
	return r;
}

static uint32_t gsi_base_of(uint8_t ioapic_id)
{
	for (unsigned i = 0; i < tg_plat.nioapics; i++)
		if (tg_plat.ioapics[i].id == ioapic_id)
			return tg_plat.ioapics[i].gsi_base;
	return 0;
}

static uint8_t bus_type_of(uint8_t bus)
{
	for (unsigned i = 0; i < nbuses; i++) {
		if (buses[i].id != bus)
			continue;
		if (!memcmp(buses[i].type, "ISA", 3))
			return 0;
		if (!memcmp(buses[i].type, "PCI", 3))
			return 1;
	}
	return 2;
}

static void mp_parse(uintptr_t fp, bool use)
{
	uintptr_t t = rd32(fp + 4), e, end;
	uint32_t next_gsi = 0;
	unsigned count;

	if (*(const uint8_t *)(fp + 11)) {
		tg_line("warn msg=\"MP default configuration %u is not supported\"",
			*(const uint8_t *)(fp + 11));
		return;
	}
	if (!t || t >= 0xfffff000u || memcmp((const void *)t, "PCMP", 4) ||
	    !checksum_ok(t, rd16(t + 4))) {
		tg_line("warn msg=\"MP configuration table at 0x%lx is invalid\"", (unsigned long)t);
		return;
	}
	count = rd16(t + 34);
	end = t + rd16(t + 4);
	e = t + 44;
	/* First pass: buses and IOAPICs, which the interrupt entries refer to. */
	for (unsigned i = 0; i < count && e < end; i++) {
		uint8_t type = *(const uint8_t *)e;

		if (type == 0) {
			if (use)
				add_cpu(*(const uint8_t *)(e + 1), *(const uint8_t *)(e + 3) & 1);
			e += 20;
			continue;
		}
		if (type > 4)
			break;
		if (type == 1 && nbuses < MAX_BUSES) {
			struct mp_bus *b = &buses[nbuses++];
			int n = 6;

			b->id = *(const uint8_t *)(e + 1);
			memcpy(b->type, (const void *)(e + 2), 6);
			while (n > 0 && (b->type[n - 1] == ' ' || b->type[n - 1] == '\0'))
				n--;
			b->type[n] = '\0';
		} else if (type == 2 && use && (*(const uint8_t *)(e + 3) & 1)) {
			add_ioapic(*(const uint8_t *)(e + 1), rd32(e + 4), next_gsi);
			next_gsi += tg_plat.ioapics[tg_plat.nioapics - 1].pins;
		}
		e += 8;
	}
	e = t + 44;
	for (unsigned i = 0; i < count && e < end; i++) {
		uint8_t type = *(const uint8_t *)e;

		if (type == 0) {
			e += 20;
			continue;
		}
		if (type > 4)
			break;
		if (type == 3) {
			struct route r = {
				.source = "mp", .type = *(const uint8_t *)(e + 1), .has_bus = true,
				.bus = *(const uint8_t *)(e + 4), .irq = *(const uint8_t *)(e + 5),
				.has_pin = true, .ioapic_id = *(const uint8_t *)(e + 6),
				.pin = *(const uint8_t *)(e + 7), .flags = rd16(e + 2),
			};

			r.bus_type = bus_type_of(r.bus);
			r.gsi = gsi_base_of(r.ioapic_id) + r.pin;
			add_route(&r);
		}
		e += 8;
	}
}

static void print_platform(void)
{
	char ids[4 * TG_MAX_CPUS + 1];
	size_t len = 0;

	ids[0] = '\0';
	for (unsigned i = 0; i < tg_plat.ncpus; i++)
		len += (size_t)tg_snprintf(ids + len, sizeof(ids) - len, "%s%u", i ? "," : "",
					   tg_plat.apic_ids[i]);
	tg_line("cpus count=%u apic_ids=%s bsp_apic_id=%u disabled=%u source=%s", tg_plat.ncpus, ids,
		tg_cpu_apic_id[0], tg_plat.disabled, tg_plat.source);
	for (unsigned i = 0; i < tg_plat.nioapics; i++) {
		const struct tg_ioapic *io = &tg_plat.ioapics[i];

		tg_line("ioapic id=%u addr=0x%x gsi_base=%u pins=%u version=0x%x source=%s", io->id,
			io->addr, io->gsi_base, io->pins, io->version, tg_plat.source);
	}
}

static const char *addr_or_none(char *buf, size_t size, uintptr_t a)
{
	if (!a)
		return "none";
	tg_snprintf(buf, size, "0x%lx", (unsigned long)a);
	return buf;
}

void tables_init(enum tg_tables_pref pref)
{
	uintptr_t rsdp = find_rsdp(), madt = 0, mp = find_mp();
	char b1[20], b2[20], b3[20];
	bool use_madt;

	if (rsdp)
		madt = acpi_walk(rsdp);
	tg_plat.rsdp = rsdp;
	tg_plat.madt = madt;
	tg_plat.mp_fp = mp;

	use_madt = madt && pref != TG_TABLES_MP;
	if (pref == TG_TABLES_MADT && !madt)
		tg_line("warn msg=\"tables=madt but there is no MADT\"");
	if (pref == TG_TABLES_MP && !mp)
		tg_line("warn msg=\"tables=mp but there is no MP table\"");
	if (madt)
		madt_parse(madt, use_madt);
	/* Parsed for its buses and routes even when the MADT describes the CPUs. */
	if (mp)
		mp_parse(mp, !use_madt && pref != TG_TABLES_MADT);
	tg_plat.source = tg_plat.ncpus ? (use_madt ? "madt" : "mp") : "none";

	if (!tg_plat.ncpus) {
		/* No usable table: this CPU and the usual IOAPIC. */
		tg_plat.ncpus = 1;
		tg_plat.apic_ids[0] = tg_cpu_apic_id[0];
		tg_plat.disabled = 0;
		if (!tg_plat.nioapics)
			add_ioapic(0, 0xfec00000, 0);
	}
	tg_line("tables rsdp=%s madt=%s mp=%s used=%s", addr_or_none(b1, sizeof(b1), rsdp),
		addr_or_none(b2, sizeof(b2), madt), addr_or_none(b3, sizeof(b3), mp), tg_plat.source);
	print_platform();
}

static const char *polarity_name(uint16_t flags)
{
	static const char *const n[] = { "conform", "high", "reserved", "low" };

	return n[flags & 3];
}

static const char *trigger_name(uint16_t flags)
{
	static const char *const n[] = { "conform", "edge", "reserved", "level" };

	return n[(flags >> 2) & 3];
}

static void print_route(const struct route *r)
{
	static const char *const types[] = { "int", "nmi", "smi", "extint" };
	static const char *const bus_types[] = { "isa", "pci", "other" };
	char bus[24] = "", src[32], pin[40] = "";

	if (r->has_bus)
		tg_snprintf(bus, sizeof(bus), " bus=%u", r->bus);
	if (r->bus_type == 1)
		tg_snprintf(src, sizeof(src), "dev=%u int=%c", r->irq >> 2, 'A' + (r->irq & 3));
	else
		tg_snprintf(src, sizeof(src), "irq=%u", r->irq);
	if (r->has_pin)
		tg_snprintf(pin, sizeof(pin), " ioapic_id=%u pin=%u", r->ioapic_id, r->pin);
	tg_line("route source=%s type=%s%s bus_type=%s %s%s gsi=%u trigger=%s polarity=%s", r->source,
		r->type < 4 ? types[r->type] : "other", bus, bus_types[r->bus_type], src, pin, r->gsi,
		trigger_name(r->flags), polarity_name(r->flags));
}

void tables_print_info(void)
{
	for (unsigned i = 0; i < nacpi_tables; i++) {
		const struct acpi_table *t = &acpi_tables[i];
		char oem[7], sig[5];

		memcpy(oem, t->oem, sizeof(oem));
		tg_quote_clean(oem);
		for (unsigned j = 0; j < 4; j++)
			sig[j] = t->sig[j] > 0x20 && t->sig[j] < 0x7f && t->sig[j] != '"' ? t->sig[j] : '_';
		sig[4] = '\0';
		tg_line("acpi-table sig=%s addr=0x%x len=0x%x rev=0x%02x oem=\"%s\"", sig, t->addr,
			t->len, t->rev, oem);
	}
	for (unsigned i = 0; i < nbuses; i++)
		tg_line("mp-bus id=%u type=%s", buses[i].id, buses[i].type[0] ? buses[i].type : "none");
	for (unsigned i = 0; i < nroutes; i++)
		print_route(&routes[i]);
}
