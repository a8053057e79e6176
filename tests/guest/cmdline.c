/* The Multiboot command line: key=value words (grammar in PROTOCOL.md, section 2). */
#include "guest.h"

static const char *const scenario_names[TG_SC_COUNT] = {
	[TG_SC_INFO] = "info",
	[TG_SC_SELFTEST_IPI] = "selftest-ipi",
	[TG_SC_IRQ_WAIT] = "irq-wait",
	[TG_SC_UD] = "ud",
	[TG_SC_INT3] = "int3",
	[TG_SC_BAD_PORT] = "bad-port",
	[TG_SC_BAD_MMIO] = "bad-mmio",
	[TG_SC_TRIPLE_FAULT] = "triple-fault",
	[TG_SC_RESET] = "reset",
	[TG_SC_POWEROFF] = "poweroff",
	[TG_SC_HALT] = "halt",
	[TG_SC_SPIN] = "spin",
	[TG_SC_ECHO] = "echo",
	[TG_SC_RESCAN] = "rescan",
};

enum key {
	K_SCENARIO, K_SMP, K_TABLES, K_PRINT, K_IPI_VECTORS, K_VECTORS, K_IOAPIC_PIN, K_WAIT_MS,
	K_EXPECT, K_EXPECT_TOTAL, K_SETTLE_MS, K_MAX, K_STOP_VECTOR, K_ACK_PORT, K_STRICT, K_PORT,
	K_ADDR, K_ACCESS, K_SIZE, K_VALUE, K_CODE, K_POKE, K_IRQ_ACK, K_MSI, K_FIND,
	K_BAR_READ, K_MSIX, K_MSIX_MASK, K_MSIX_BAR, K_ROM_READ, K_ROM_SIG, K_IRQ_READ, K_MSIX_ADD,
	K_FIND_FN, K_MASTER, K_COUNT
};

/* cmdline_parse keeps the keys it has seen in a 64-bit mask. */
_Static_assert(K_COUNT <= 64, "too many keys for the seen mask");

static const char *const key_names[K_COUNT] = {
	"scenario", "smp", "tables", "print", "ipi_vectors", "vectors", "ioapic_pin", "wait_ms",
	"expect", "expect_total", "settle_ms", "max", "stop_vector", "ack_port", "strict", "port",
	"addr", "access", "size", "value", "code", "poke", "irq_ack", "msi", "find", "bar_read",
	"msix", "msix_mask", "msix_bar", "rom_read", "rom_sig", "irq_read", "msix_add", "find_fn",
	"master",
};

struct span {
	const char *s;
	size_t len;
};

const char *tg_scenario_name(enum tg_scenario sc)
{
	return sc < TG_SC_COUNT ? scenario_names[sc] : "?";
}

/* Splits *rest at the first sep: returns the part before, leaves the remainder in *rest. */
static struct span split(struct span *rest, char sep, bool *found)
{
	struct span head = *rest;

	for (size_t i = 0; i < rest->len; i++) {
		if (rest->s[i] == sep) {
			head.len = i;
			rest->s += i + 1;
			rest->len -= i + 1;
			*found = true;
			return head;
		}
	}
	rest->s += rest->len;
	rest->len = 0;
	*found = false;
	return head;
}

static bool num_in(struct span v, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	uint64_t n;

	if (!tg_parse_num(v.s, v.len, &n) || n < lo || n > hi)
		return false;
	*ret = n;
	return true;
}

static bool vector_of(struct span v, uint8_t *ret)
{
	uint64_t n;

	if (!num_in(v, 0x20, 0xfe, &n))
		return false;
	*ret = (uint8_t)n;
	return true;
}

/* LIST of vectors (0x20-0xfe) and inclusive ranges into a bitmap. */
static bool parse_vector_list(struct span v, uint8_t *map)
{
	bool more = true;

	if (!v.len)
		return false;
	while (more) {
		struct span item = split(&v, ',', &more), lo = item, hi;
		bool range;
		uint8_t a, b;

		hi = lo;
		lo = split(&hi, '-', &range);
		if (!vector_of(lo, &a) || (range && !vector_of(hi, &b)))
			return false;
		if (!range)
			b = a;
		if (b < a)
			return false;
		for (unsigned x = a; x <= b; x++)
			map[x / 8] |= (uint8_t)(1u << (x % 8));
	}
	return true;
}

/* GSI:VEC:TRIG[:DEST[:POL]][,...] */
static bool parse_pins(struct span v, struct tg_opts *o)
{
	bool more = true;

	if (!v.len)
		return false;
	while (more) {
		struct span item = split(&v, ',', &more), f[5];
		struct tg_pin_cfg *p;
		unsigned n = 0;
		bool sep = true;
		uint64_t x;

		while (sep && n < 5)
			f[n++] = split(&item, ':', &sep);
		if (sep || n < 3 || o->npins == TG_MAX_PINS)
			return false;
		p = &o->pins[o->npins++];
		*p = (struct tg_pin_cfg){ 0 };
		if (!num_in(f[0], 0, 255, &x) || !vector_of(f[1], &p->vector))
			return false;
		p->gsi = (uint32_t)x;
		if (tg_streq_n(f[2].s, f[2].len, "level"))
			p->level = true;
		else if (!tg_streq_n(f[2].s, f[2].len, "edge"))
			return false;
		if (n > 3) {
			if (!num_in(f[3], 0, 254, &x))
				return false;
			p->dest = (uint8_t)x;
			p->dest_set = true;
		}
		if (n > 4) {
			if (tg_streq_n(f[4].s, f[4].len, "low"))
				p->active_low = true;
			else if (!tg_streq_n(f[4].s, f[4].len, "high"))
				return false;
		}
	}
	return true;
}

/*
 * [VEC:]ADDR:VALUE[,...]: 32-bit MMIO writes below 4 GiB, with a vector for irq_ack;
 * VEC:ADDR[,...] for irq_read (no value).
 */
static bool parse_access(struct span v, bool with_vector, bool with_value,
			 struct tg_mmio_write *w, unsigned *n)
{
	bool more = true;

	if (!v.len)
		return false;
	while (more) {
		struct span item = split(&v, ',', &more), f[3];
		unsigned nf = 0, want = 1 + with_vector + with_value, a = with_vector;
		bool sep = true;
		uint64_t addr, value = 0;

		while (sep && nf < 3)
			f[nf++] = split(&item, ':', &sep);
		if (sep || nf != want || *n == TG_MAX_WRITES)
			return false;
		if (with_vector && !vector_of(f[0], &w[*n].vector))
			return false;
		if (!num_in(f[a], 0, 0xfffffffcu, &addr) || (addr & 3) ||
		    (with_value && !num_in(f[a + 1], 0, 0xffffffffu, &value)))
			return false;
		w[*n].addr = (uint32_t)addr;
		w[*n].value = (uint32_t)value;
		(*n)++;
	}
	return true;
}

/* DEV:ENTRY:VEC[:DEST][,...], one DEV throughout. */
static bool parse_msix(struct span v, struct tg_opts *o)
{
	bool more = true;

	if (!v.len)
		return false;
	while (more) {
		struct span item = split(&v, ',', &more), f[4];
		struct tg_msix_vec *m;
		unsigned nf = 0;
		bool sep = true;
		uint64_t x, e;

		while (sep && nf < 4)
			f[nf++] = split(&item, ':', &sep);
		if (sep || nf < 3 || o->nmsix == TG_MAX_MSIX || !num_in(f[0], 1, 31, &x) ||
		    (o->nmsix && x != o->msix_dev) || !num_in(f[1], 0, 2047, &e))
			return false;
		m = &o->msix[o->nmsix];
		*m = (struct tg_msix_vec){ .entry = (uint16_t)e };
		if (!vector_of(f[2], &m->vector))
			return false;
		if (nf == 4) {
			if (!num_in(f[3], 0, 254, &e))
				return false;
			m->dest = (uint8_t)e;
			m->dest_set = true;
		}
		o->msix_dev = (uint8_t)x;
		o->nmsix++;
	}
	return true;
}

/* ENTRY:ADDR:VALUE */
static bool parse_msix_mask(struct span v, struct tg_opts *o)
{
	struct span f[3];
	unsigned nf = 0;
	bool sep = true;
	uint64_t e, addr, value;

	while (sep && nf < 3)
		f[nf++] = split(&v, ':', &sep);
	if (sep || nf != 3 || !num_in(f[0], 0, 2047, &e) ||
	    !num_in(f[1], 0, 0xfffffffcu, &addr) || (addr & 3) ||
	    !num_in(f[2], 0, 0xffffffffu, &value))
		return false;
	o->msix_mask_entry = (uint16_t)e;
	o->msix_mask_write = (struct tg_mmio_write){ .addr = (uint32_t)addr,
						     .value = (uint32_t)value };
	o->msix_mask_set = true;
	return true;
}

/* ENTRY:VEC:ADDR:VALUE */
static bool parse_msix_add(struct span v, struct tg_opts *o)
{
	struct span f[4];
	unsigned nf = 0;
	bool sep = true;
	uint64_t e, addr, value;

	while (sep && nf < 4)
		f[nf++] = split(&v, ':', &sep);
	if (sep || nf != 4 || !num_in(f[0], 0, 2047, &e) || !vector_of(f[1], &o->msix_add_vector) ||
	    !num_in(f[2], 0, 0xfffffffcu, &addr) || (addr & 3) ||
	    !num_in(f[3], 0, 0xffffffffu, &value))
		return false;
	o->msix_add_entry = (uint16_t)e;
	o->msix_add_write = (struct tg_mmio_write){ .addr = (uint32_t)addr,
						    .value = (uint32_t)value };
	o->msix_add_set = true;
	return true;
}

static bool parse_scenarios(struct span v, struct tg_opts *o)
{
	bool more = true;

	o->nscenarios = 0;
	while (more) {
		struct span item = split(&v, ',', &more);
		unsigned sc;

		for (sc = 0; sc < TG_SC_COUNT; sc++)
			if (tg_streq_n(item.s, item.len, scenario_names[sc]))
				break;
		if (sc == TG_SC_COUNT || o->nscenarios == TG_MAX_SCENARIOS)
			return false;
		o->scenarios[o->nscenarios++] = (enum tg_scenario)sc;
	}
	return true;
}

static bool parse_choice(struct span v, const char *const *choices, unsigned n, unsigned *ret)
{
	for (unsigned i = 0; i < n; i++) {
		if (tg_streq_n(v.s, v.len, choices[i])) {
			*ret = i;
			return true;
		}
	}
	return false;
}

static bool set_key(struct tg_opts *o, enum key k, struct span v)
{
	static const char *const bools[] = { "0", "1" };
	static const char *const tables[] = { "auto", "madt", "mp" };
	static const char *const prints[] = { "summary", "each" };
	static const char *const access[] = { "in", "out", "read", "write", "exec" };
	uint64_t x;
	unsigned c;
	uint8_t vec;

	switch (k) {
	case K_SCENARIO:
		return parse_scenarios(v, o);
	case K_SMP:
	case K_STRICT:
		if (!parse_choice(v, bools, 2, &c))
			return false;
		if (k == K_SMP)
			o->smp = c;
		else
			o->strict = c;
		return true;
	case K_TABLES:
		if (!parse_choice(v, tables, 3, &c))
			return false;
		o->tables = (enum tg_tables_pref)c;
		return true;
	case K_PRINT:
		if (!parse_choice(v, prints, 2, &c))
			return false;
		o->print_each = c;
		return true;
	case K_IPI_VECTORS:
		memset(o->ipi_vectors, 0, sizeof(o->ipi_vectors));
		return parse_vector_list(v, o->ipi_vectors);
	case K_VECTORS:
		return parse_vector_list(v, o->vectors);
	case K_IOAPIC_PIN:
		return parse_pins(v, o);
	case K_WAIT_MS:
	case K_EXPECT:
	case K_EXPECT_TOTAL:
	case K_SETTLE_MS:
	case K_MAX:
		if (!num_in(v, 0, 0xffffffffu, &x))
			return false;
		if (k == K_WAIT_MS) {
			o->wait_ms = (uint32_t)x;
			o->wait_ms_set = true;
		} else if (k == K_EXPECT)
			o->expect = (uint32_t)x;
		else if (k == K_EXPECT_TOTAL)
			o->expect_total = (uint32_t)x;
		else if (k == K_SETTLE_MS)
			o->settle_ms = (uint32_t)x;
		else
			o->max = (uint32_t)x;
		return true;
	case K_STOP_VECTOR:
		if (!vector_of(v, &vec))
			return false;
		o->stop_vector = vec;
		return true;
	case K_ACK_PORT:
	case K_PORT:
		if (!num_in(v, 0, 0xffff, &x))
			return false;
		if (k == K_ACK_PORT) {
			o->ack_port = (int)x;
		} else {
			o->port = (uint32_t)x;
			o->port_set = true;
		}
		return true;
	case K_ADDR:
		if (!num_in(v, 0, 0xffffffffu, &o->addr))
			return false;
		o->addr_set = true;
		return true;
	case K_ACCESS:
		if (!parse_choice(v, access, 5, &c))
			return false;
		o->access = (enum tg_access)(c + TG_ACC_IN);
		return true;
	case K_SIZE:
		if (!num_in(v, 1, 8, &x) || (x & (x - 1)))
			return false;
		o->size = (unsigned)x;
		return true;
	case K_VALUE:
		return num_in(v, 0, UINT64_MAX, &o->value);
	case K_CODE:
		if (!num_in(v, 0, 255, &x))
			return false;
		o->code = (unsigned)x;
		return true;
	case K_POKE:
		return parse_access(v, false, true, o->pokes, &o->npokes);
	case K_IRQ_ACK:
		return parse_access(v, true, true, o->acks, &o->nacks);
	case K_IRQ_READ:
		return parse_access(v, true, false, o->reads, &o->nreads);
	case K_MSI: { /* DEV:VEC[:DEST] */
		struct span f[3];
		unsigned nf = 0;
		bool sep = true;

		while (sep && nf < 3)
			f[nf++] = split(&v, ':', &sep);
		if (sep || nf < 2 || !num_in(f[0], 1, 31, &x) || !vector_of(f[1], &o->msi_vector))
			return false;
		o->msi_dev = (uint8_t)x;
		if (nf == 3) {
			if (!num_in(f[2], 0, 254, &x))
				return false;
			o->msi_dest = (uint8_t)x;
			o->msi_dest_set = true;
		}
		o->msi_set = true;
		return true;
	}
	case K_FIND:
	case K_BAR_READ: { /* VENDOR:DEVICE, BAR:OFFSET */
		struct span f[2];
		uint64_t y;
		bool sep = true;

		f[0] = split(&v, ':', &sep);
		if (!sep)
			return false;
		f[1] = v;
		if (k == K_FIND) {
			if (!num_in(f[0], 0, 0xfffe, &x) || !num_in(f[1], 0, 0xffff, &y))
				return false;
			o->find_vendor = (uint16_t)x;
			o->find_device = (uint16_t)y;
			o->find_set = true;
		} else {
			if (!num_in(f[0], 0, 5, &x) || !num_in(f[1], 0, 0xfffffffcu, &y) || (y & 3))
				return false;
			o->bar_read_bar = (uint8_t)x;
			o->bar_read_off = (uint32_t)y;
			o->bar_read_set = true;
		}
		return true;
	}
	case K_MSIX:
		return parse_msix(v, o);
	case K_MSIX_MASK:
		return parse_msix_mask(v, o);
	case K_MSIX_ADD:
		return parse_msix_add(v, o);
	case K_MSIX_BAR: /* 16-byte aligned, in 32-bit memory space */
		if (!num_in(v, 0x1000, 0xfffffff0u, &x) || (x & 0xf))
			return false;
		o->msix_bar = (uint32_t)x;
		return true;
	case K_ROM_READ: /* a dword inside a ROM of at most 16 MiB */
		if (!num_in(v, 0, 0xfffffc, &x) || (x & 3))
			return false;
		o->rom_read_off = (uint32_t)x;
		o->rom_read_set = true;
		return true;
	case K_ROM_SIG:
		if (!num_in(v, 0, 1, &x))
			return false;
		o->rom_sig = x == 1;
		return true;
	case K_FIND_FN:
		if (!num_in(v, 0, 7, &x))
			return false;
		o->find_fn = (uint8_t)x;
		return true;
	case K_MASTER:
		if (!num_in(v, 0, 1, &x))
			return false;
		o->master = x == 1;
		return true;
	case K_COUNT:
		break;
	}
	return false;
}

int cmdline_parse(const char *cmdline, struct tg_opts *o, char *err, size_t errsize)
{
	struct span rest = { cmdline, strlen(cmdline) };
	uint64_t seen = 0;
	bool first = true;

	*o = (struct tg_opts){
		.scenarios = { TG_SC_INFO }, .nscenarios = 1, .smp = true, .print_each = true,
		.wait_ms = 5000, .stop_vector = -1, .ack_port = -1,
	};
	o->ipi_vectors[0x40 / 8] = 1u << (0x40 % 8);

	while (rest.len) {
		struct span word, key, value;
		bool has_eq, sp;
		unsigned k;

		word = split(&rest, ' ', &sp);
		if (!word.len)
			continue;
		value = word;
		key = split(&value, '=', &has_eq);
		if (!has_eq) {
			if (first) {	/* the image path, as QEMU and GRUB pass it */
				first = false;
				continue;
			}
			tg_snprintf(err, errsize, "word '%.*s' is not key=value", (int)word.len, word.s);
			return -1;
		}
		first = false;
		for (k = 0; k < K_COUNT; k++)
			if (tg_streq_n(key.s, key.len, key_names[k]))
				break;
		if (k == K_COUNT) {
			tg_snprintf(err, errsize, "unknown key '%.*s'", (int)key.len, key.s);
			return -1;
		}
		if ((seen & (1ull << k)) && k != K_IOAPIC_PIN) {
			tg_snprintf(err, errsize, "key '%s' given twice", key_names[k]);
			return -1;
		}
		seen |= 1ull << k;
		if (!set_key(o, (enum key)k, value)) {
			tg_snprintf(err, errsize, "bad value in '%.*s' (see PROTOCOL.md section 2)",
				    (int)word.len, word.s);
			return -1;
		}
	}
	return 0;
}
