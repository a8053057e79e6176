/* MSI decoding, the description walk and its JSON form. */
#include "config.h"

#include "fake_ops.h"
#include "route/describe.h"
#include "route/irqfd.h"
#include "route/msi.h"
#include "tap.h"

static void test_msi_decode(struct tap *t)
{
	struct pt_msi_decoded d;
	struct pt_msi_msg m;

	/* dest 0x12, logical, redirection hint; vector 0x61, lowest priority, level assert. */
	m = (struct pt_msi_msg){ .address_lo = 0xfee1200c, .data = 0xc161 };
	pt_msi_decode(&m, &d);
	tap_ok(t, d.valid && d.dest_id == 0x12 && d.dest_logical && d.redir_hint,
	       "address 0xfee1200c: APIC 0x12, logical, redirection hint");
	tap_ok(t, d.vector == 0x61 && d.delivery == PT_MSI_DELIVERY_LOWEST && d.level && d.assert,
	       "data 0xc161: vector 0x61, lowest priority, level, assert");
	tap_is_str(t, pt_msi_delivery_name(d.delivery), "lowest-priority", "delivery name");

	m = (struct pt_msi_msg){ .address_lo = 0xfee05000, .address_hi = 0x00000300, .data = 0x4ff };
	pt_msi_decode(&m, &d);
	tap_ok(t, d.dest_id == 0x305 && !d.dest_logical && !d.redir_hint,
	       "x2APIC destination: address_hi 31:8 extend the ID (0x305)");
	tap_ok(t, d.vector == 0xff && d.delivery == PT_MSI_DELIVERY_NMI && !d.level,
	       "data 0x4ff: NMI, edge");

	m = (struct pt_msi_msg){ .address_lo = 0xfed00000, .data = 0x30 };
	pt_msi_decode(&m, &d);
	tap_ok(t, !d.valid, "an address outside 0xfee00000-0xfeefffff is not an interrupt");
	tap_is_str(t, pt_msi_delivery_name(3), "reserved", "delivery mode 3 is reserved");

	m = pt_msi_compose(0x1ab, 0x45);
	tap_ok(t, m.address_lo == 0xfeeab000 && m.address_hi == 0x100 && m.data == 0x45,
	       "compose(0x1ab, 0x45): 0xfeeab000/0x100/0x45");
	pt_msi_decode(&m, &d);
	tap_ok(t, d.dest_id == 0x1ab && d.vector == 0x45 && d.delivery == PT_MSI_DELIVERY_FIXED &&
		  !d.level, "... decodes back: fixed, edge");
}

struct walk {
	unsigned n, irqchip, msi, bound;
	unsigned last_gsi;
	bool ordered;
};

static int count_entry(const struct pt_route_desc *d, void *opaque)
{
	struct walk *w = opaque;

	if (w->n && d->gsi < w->last_gsi)
		w->ordered = false;
	w->last_gsi = d->gsi;
	w->n++;
	w->irqchip += d->type == PT_ROUTE_IRQCHIP;
	w->msi += d->type == PT_ROUTE_MSI;
	w->bound += d->irqfd >= 0;
	return 0;
}

static int stop_at_3(const struct pt_route_desc *d, void *opaque)
{
	return ++*(int *)opaque == 3 ? 42 : 0;
}

static json_t *route_at(json_t *root, unsigned gsi, const char *type)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(root, "routes"), i, r) {
		if (json_integer_value(json_object_get(r, "gsi")) == gsi &&
		    !strcmp(json_string_value(json_object_get(r, "type")), type))
			return r;
	}
	return NULL;
}

static void test_describe(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_msi_msg m = pt_msi_compose(3, 0x51);
	struct walk w = { .ordered = true };
	json_t *root, *r;
	int gsi, stops = 0;
	char *text;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_msi_add(tab, "0000:03:00.0", 5, PT_VECTOR_LIVE, &m, &gsi);
	pt_route_irqfd_assign(tab, (unsigned)gsi, 9, -1);
	pt_route_pin_claim(tab, 11, "0000:03:00.0");
	pt_route_pin_irqfd_assign(tab, 11, "0000:03:00.0", 7, 8);

	tap_is_int(t, pt_route_table_describe(tab, count_entry, &w), 0, "walk the table");
	tap_ok(t, w.n == 41 && w.irqchip == 40 && w.msi == 1 && w.ordered,
	       "41 entries in GSI order: 40 irqchip, 1 MSI");
	tap_is_int(t, w.bound, 3, "the bound GSIs show their eventfd (GSI 11 twice: IOAPIC, PIC)");
	tap_is_int(t, pt_route_table_describe(tab, stop_at_3, &stops), 42,
		   "a nonzero callback result stops the walk and is returned");

	root = pt_route_table_to_json(tab);
	tap_ok(t, root != NULL, "JSON encoding");
	tap_is_str(t, json_string_value(json_object_get(root, "irqchip")), "kernel", "irqchip mode");
	tap_is_int(t, json_integer_value(json_object_get(root, "entries")), 41, "entries 41");
	tap_is_int(t, json_integer_value(json_object_get(root, "max_entries")), 4096, "max 4096");
	tap_is_int(t, json_array_size(json_object_get(root, "routes")), 41, "41 route objects");
	tap_ok(t, json_is_false(json_object_get(root, "dirty")), "not dirty (committed on assign)");

	r = route_at(root, 24, "msi");
	tap_ok(t, r != NULL, "GSI 24 is an MSI route");
	tap_ok(t, r && json_integer_value(json_object_get(r, "dest_apic")) == 3 &&
		  json_integer_value(json_object_get(r, "vector")) == 0x51 &&
		  !strcmp(json_string_value(json_object_get(r, "delivery")), "fixed") &&
		  !strcmp(json_string_value(json_object_get(r, "trigger")), "edge") &&
		  !strcmp(json_string_value(json_object_get(r, "dest_mode")), "physical") &&
		  json_integer_value(json_object_get(r, "address_lo")) == 0xfee03000,
	       "... decoded: APIC 3, vector 0x51, fixed, edge, physical");
	tap_ok(t, r && !strcmp(json_string_value(json_object_get(r, "owner")), "0000:03:00.0") &&
		  json_integer_value(json_object_get(r, "owner_vector")) == 5 &&
		  json_integer_value(json_object_get(r, "irqfd")) == 9 &&
		  json_is_false(json_object_get(r, "resample")) &&
		  json_is_null(json_object_get(r, "resamplefd")),
	       "... owned by 0000:03:00.0 vector 5, irqfd 9, no resample");

	r = route_at(root, 11, "irqchip");
	tap_ok(t, r && !strcmp(json_string_value(json_object_get(r, "chip")), "ioapic") &&
		  json_integer_value(json_object_get(r, "pin")) == 11 &&
		  !strcmp(json_string_value(json_object_get(r, "owner")), "0000:03:00.0") &&
		  json_is_null(json_object_get(r, "owner_vector")) &&
		  json_is_true(json_object_get(r, "resample")) &&
		  json_integer_value(json_object_get(r, "resamplefd")) == 8,
	       "GSI 11: IOAPIC pin 11, INTx of 0000:03:00.0, resample fd 8");
	r = json_object_get(route_at(root, 11, "irqchip"), "owners");
	tap_ok(t, json_array_size(r) == 1 &&
		  !strcmp(json_string_value(json_object_get(json_array_get(r, 0), "device")) ?: "",
			  "0000:03:00.0") &&
		  json_integer_value(json_object_get(json_array_get(r, 0), "irqfd")) == 7,
	       "GSI 11: owners lists its one owner with irqfd 7");
	r = json_object_get(route_at(root, 24, "msi"), "owners");
	tap_ok(t, json_array_size(r) == 1 &&
		  json_integer_value(json_object_get(json_array_get(r, 0), "vector")) == 5 &&
		  json_is_null(json_object_get(json_array_get(r, 0), "resamplefd")),
	       "GSI 24: owners lists the MSI's owner with its vector");
	r = route_at(root, 3, "irqchip");
	tap_ok(t, r && json_array_size(json_object_get(r, "owners")) == 0,
	       "GSI 3: an empty owners list");
	tap_ok(t, r && !strcmp(json_string_value(json_object_get(r, "owner")), "default") &&
		  json_is_null(json_object_get(r, "irqfd")), "GSI 3: default owner, no irqfd");
	text = json_dumps(root, JSON_COMPACT);
	tap_ok(t, text && strlen(text) > 100, "serializes (%zu bytes)", text ? strlen(text) : 0);
	free(text);
	json_decref(root);
	pt_route_table_free(tab);

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_SPLIT, &tab);
	root = pt_route_table_to_json(tab);
	tap_ok(t, root && !strcmp(json_string_value(json_object_get(root, "irqchip")), "split") &&
		  json_array_size(json_object_get(root, "routes")) == 0,
	       "split irqchip: an empty route list");
	json_decref(root);
	pt_route_table_free(tab);
}

/* A pin shared by two devices: "owner" stays the first one's, "owners" has both. */
static void test_shared_json(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct walk w = { .ordered = true };
	json_t *root, *r, *o;
	size_t i;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_pin_claim(tab, 19, "0000:00:03.0");
	pt_route_pin_claim(tab, 19, "0000:00:0b.0");
	pt_route_pin_irqfd_assign(tab, 19, "0000:00:03.0", 7, 8);
	pt_route_pin_irqfd_assign(tab, 19, "0000:00:0b.0", 9, 10);
	pt_route_pin_claim(tab, 5, "0000:00:05.0"); /* claimed, not bound */
	tap_is_int(t, pt_route_table_describe(tab, count_entry, &w), 0, "shared json: walk");
	tap_ok(t, w.n == 40 && w.bound == 1, "shared json: still 40 kernel entries, GSI 19 bound once "
	       "(n %d, bound %d)", w.n, w.bound);
	root = pt_route_table_to_json(tab);
	tap_is_int(t, json_integer_value(json_object_get(root, "irqfds")), 2,
		   "shared json: irqfds counts both bindings");
	r = route_at(root, 19, "irqchip");
	tap_ok(t, r && !strcmp(json_string_value(json_object_get(r, "owner")) ?: "", "0000:00:03.0") &&
		  json_integer_value(json_object_get(r, "irqfd")) == 7 &&
		  json_integer_value(json_object_get(r, "resamplefd")) == 8 &&
		  json_is_true(json_object_get(r, "resample")),
	       "shared json: owner, irqfd and resamplefd are the first owner's, as before");
	o = json_object_get(r, "owners");
	tap_is_int(t, json_array_size(o), 2, "shared json: owners has both devices");
	json_array_foreach(o, i, r) {
		tap_ok(t, !strcmp(json_string_value(json_object_get(r, "device")) ?: "",
				  i ? "0000:00:0b.0" : "0000:00:03.0") &&
			  json_integer_value(json_object_get(r, "irqfd")) == (i ? 9 : 7) &&
			  json_integer_value(json_object_get(r, "resamplefd")) == (i ? 10 : 8) &&
			  json_is_null(json_object_get(r, "vector")),
		       "shared json: owner %zu: %s, irqfd %d, resamplefd %d, no vector", i,
		       i ? "0000:00:0b.0" : "0000:00:03.0", i ? 9 : 7, i ? 10 : 8);
	}
	r = route_at(root, 5, "irqchip");
	tap_ok(t, r && !strcmp(json_string_value(json_object_get(r, "owner")) ?: "", "0000:00:05.0") &&
		  json_is_null(json_object_get(r, "irqfd")) &&
		  json_is_null(json_object_get(json_array_get(json_object_get(r, "owners"), 0), "irqfd")),
	       "shared json: a claimed, unbound pin: its owner, irqfd null");
	json_decref(root);
	pt_route_table_free(tab);
}

int main(void)
{
	struct tap t = { 0 };

	test_msi_decode(&t);
	test_describe(&t);
	test_shared_json(&t);
	return tap_done(&t);
}
