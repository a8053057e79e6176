/* pt_route_table_to_json(): the `routes` answer of the VMM's control socket. */
#include "config.h"

#include <errno.h>

#include "route/describe.h"
#include "route/table_impl.h"

static json_t *int_or_null(long long v, bool present)
{
	return present ? json_integer(v) : json_null();
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v ? json_object_set_new(obj, key, v) : -1;
}

static int add_msi(json_t *o, const struct pt_route_desc *d)
{
	const struct pt_msi_decoded *m = &d->msi;
	int r = 0;

	r |= set_new(o, "address_lo", json_integer(d->msg.address_lo));
	r |= set_new(o, "address_hi", json_integer(d->msg.address_hi));
	r |= set_new(o, "data", json_integer(d->msg.data));
	r |= set_new(o, "dest_apic", json_integer(m->dest_id));
	r |= set_new(o, "dest_mode", json_string(m->dest_logical ? "logical" : "physical"));
	r |= set_new(o, "vector", json_integer(m->vector));
	r |= set_new(o, "delivery", json_string(pt_msi_delivery_name(m->delivery)));
	r |= set_new(o, "trigger", json_string(m->level ? "level" : "edge"));
	r |= set_new(o, "valid", json_boolean(m->valid));
	return r;
}

static json_t *owners_json(const struct pt_route_desc *d)
{
	json_t *list = json_array();

	for (unsigned i = 0; list && i < d->nr_owners; i++) {
		const struct pt_route_owner_desc *o = &d->owners[i];
		json_t *e = json_object();
		int r = 0;

		if (!e) {
			json_decref(list);
			return NULL;
		}
		r |= set_new(e, "device", json_string(o->name));
		r |= set_new(e, "vector", int_or_null(o->vector, o->vector >= 0));
		r |= set_new(e, "irqfd", int_or_null(o->irqfd, o->irqfd >= 0));
		r |= set_new(e, "resamplefd", int_or_null(o->resamplefd, o->resamplefd >= 0));
		/* json_array_append_new() releases e if it fails. */
		if (r || json_array_append_new(list, e)) {
			if (r)
				json_decref(e);
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

static int add_route(const struct pt_route_desc *d, void *opaque)
{
	json_t *routes = opaque, *o = json_object();
	int r = 0;

	if (!o)
		return -ENOMEM;
	r |= set_new(o, "gsi", json_integer(d->gsi));
	r |= set_new(o, "type", json_string(pt_route_type_name(d->type)));
	if (d->type == PT_ROUTE_IRQCHIP) {
		r |= set_new(o, "chip", json_string(pt_route_chip_name(d->chip)));
		r |= set_new(o, "pin", json_integer(d->pin));
	} else {
		r |= add_msi(o, d);
	}
	r |= set_new(o, "owner", json_string(d->owner));
	r |= set_new(o, "owner_vector", int_or_null(d->owner_vector, d->owner_vector >= 0));
	r |= set_new(o, "irqfd", int_or_null(d->irqfd, d->irqfd >= 0));
	r |= set_new(o, "resample", json_boolean(d->resample));
	r |= set_new(o, "resamplefd", int_or_null(d->resamplefd, d->resamplefd >= 0));
	r |= set_new(o, "owners", owners_json(d));
	if (r) {
		json_decref(o);
		return -ENOMEM;
	}
	/* json_array_append_new() releases o if it fails. */
	return json_array_append_new(routes, o) ? -ENOMEM : 0;
}

static json_t *to_json_locked(const struct pt_route_table *t)
{
	struct pt_route_stats st;
	json_t *root, *routes;
	int r = 0;

	pt_route_table_stats(t, &st);
	root = json_object();
	routes = json_array();
	if (!root || !routes)
		goto fail;
	r |= set_new(root, "irqchip",
		     json_string(pt_route_table_mode(t) == PT_IRQCHIP_SPLIT ? "split" : "kernel"));
	r |= set_new(root, "max_entries", json_integer(st.max_entries));
	r |= set_new(root, "entries", json_integer(st.entries));
	r |= set_new(root, "msi_routes", json_integer(st.msi_routes));
	r |= set_new(root, "irqfds", json_integer(st.irqfds));
	r |= set_new(root, "dirty", json_boolean(st.dirty));
	r |= set_new(root, "commits", json_integer((json_int_t)st.commits));
	r |= set_new(root, "entries_committed", json_integer((json_int_t)st.entries_committed));
	if (r)
		goto fail;
	if (pt_route_table_describe(t, add_route, routes))
		goto fail;
	if (json_object_set_new(root, "routes", routes)) {
		routes = NULL; /* set_new released it */
		goto fail;
	}
	return root;
fail:
	json_decref(routes);
	json_decref(root);
	return NULL;
}

/* One consistent picture: the counters and the entries under the same lock. */
json_t *pt_route_table_to_json(const struct pt_route_table *t)
{
	json_t *j;

	pt_route_lock(t);
	j = to_json_locked(t);
	pt_route_unlock(t);
	return j;
}
