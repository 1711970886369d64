/* validate_net.c - addresses: no address in two zones, one "any" zone at
 * most, every host inside its zone.
 *
 * Zones may have 100,000 networks, so nothing here compares all pairs: the
 * networks of all zones are sorted together by first address and swept
 * once, and host addresses are looked up by binary search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "validate.h"

#define CIDR_TEXT 64

/* One family: every network of every zone, sorted by first address
 * (zone_nets.sorted[slot]), and reach[i]: the entry ending last among
 * 0..i. */
struct net_index {
	const struct zone_nets *zn;
	int slot;
	size_t count, len;
	size_t *reach;
};

static void net_index_free(struct net_index *x)
{
	free(x->reach);
}

static const uint8_t *lo_of(const struct net_index *x, size_t i)
{
	return zone_nets_lo(x->zn, x->slot, i);
}

static const uint8_t *hi_of(const struct net_index *x, size_t i)
{
	return zone_nets_hi(x->zn, x->slot, i);
}

static int net_index_build(const struct zone_nets *zn, int slot,
			   struct net_index *x)
{
	x->zn = zn;
	x->slot = slot;
	x->count = zn->count[slot];
	x->len = zone_nets_len(slot);
	x->reach = calloc(x->count ? x->count : 1, sizeof(*x->reach));
	if (!x->reach)
		return -ENOMEM;
	for (size_t i = 0; i < x->count; i++) {
		size_t best = i ? x->reach[i - 1] : 0;

		x->reach[i] = memcmp(hi_of(x, i), hi_of(x, best), x->len) > 0 ?
			      i : best;
	}
	return 0;
}

/* The entry of a network of any zone sharing an address with iv, or -1. */
static long net_index_find(const struct net_index *x,
			   const struct interval *iv)
{
	size_t lo = 0, hi = x->count, e;

	while (lo < hi) {       /* lo: the first entry starting after iv */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(lo_of(x, mid), iv->hi, x->len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	e = x->reach[lo - 1];
	return memcmp(hi_of(x, e), iv->lo, x->len) >= 0 ? (long)e : -1;
}

/* Entries a and b of x overlap and belong to different zones. */
static void report_overlap(const struct model *m, const struct net_index *x,
			   size_t a, size_t b, struct diags *d)
{
	const struct zone *za, *zb;
	const struct cidr *ca, *cb;
	char ta[CIDR_TEXT], tb[CIDR_TEXT];

	if (zone_nets_zone(x->zn, x->slot, a) <
	    zone_nets_zone(x->zn, x->slot, b)) {
		size_t t = a;       /* blame the zone defined later */

		a = b;
		b = t;
	}
	za = &m->zones[zone_nets_zone(x->zn, x->slot, a)];
	zb = &m->zones[zone_nets_zone(x->zn, x->slot, b)];
	ca = &za->networks[zone_nets_index(x->zn, x->slot, a)];
	cb = &zb->networks[zone_nets_index(x->zn, x->slot, b)];
	cidr_format(ca, ta, sizeof(ta));
	cidr_format(cb, tb, sizeof(tb));
	diags_add(d, DIAG_ERROR, zone_network_file(za, ca), ca->line,
		  "zone '%s': network '%s' overlaps network '%s' of zone '%s'",
		  za->name, ta, tb, zb->name);
}

/* Each network against the one reaching furthest before it: every zone
 * pair that overlaps at all is reported at least once. */
static void check_overlaps(const struct model *m, const struct net_index *x,
			   struct diags *d)
{
	for (size_t i = 1; i < x->count; i++) {
		size_t h = x->reach[i - 1];

		if (zone_nets_zone(x->zn, x->slot, i) !=
		    zone_nets_zone(x->zn, x->slot, h) &&
		    memcmp(lo_of(x, i), hi_of(x, h), x->len) <= 0)
			report_overlap(m, x, i, h, d);
	}
}

static void check_any_zones(const struct model *m, struct diags *d)
{
	const struct zone *first = NULL;

	for (size_t z = 0; z < m->zone_count; z++) {
		const struct zone *zone = &m->zones[z];

		if (!zone->any)
			continue;
		if (first)
			diags_add(d, DIAG_ERROR, zone->origin.file,
				  zone->origin.line, "zone '%s': only one zone "
				  "may have the networks 'any', and zone '%s' "
				  "has them", zone->name, first->name);
		else
			first = zone;
	}
}

static void check_host_address(const struct model *m, const struct host *h,
			       const struct cidr *a,
			       const struct zone_nets *zn,
			       const struct net_index *index, struct diags *d)
{
	const struct zone *zone = &m->zones[h->zone];
	long other;
	char text[CIDR_TEXT];
	struct interval iv;
	int slot = zone_nets_slot(a->family);

	cidr_to_interval(a, &iv);
	cidr_format(a, text, sizeof(text));
	if (!zone->any) {
		if (!interval_list_contains(zone_nets_of(zn, h->zone,
							 a->family), &iv))
			diags_add(d, DIAG_ERROR, h->origin.file, a->line,
				  "host '%s': address '%s' is outside the "
				  "networks of zone '%s'", h->name, text,
				  zone->name);
		return;
	}
	other = net_index_find(&index[slot], &iv);
	if (other >= 0)
		diags_add(d, DIAG_ERROR, h->origin.file, a->line,
			  "host '%s': address '%s' lies in zone '%s', not in "
			  "zone '%s'", h->name, text,
			  m->zones[zone_nets_zone(zn, slot, (size_t)other)].name,
			  zone->name);
}

static void check_hosts(const struct model *m, const struct zone_nets *zn,
			const struct net_index *index, struct diags *d)
{
	for (size_t i = 0; i < m->host_count; i++) {
		const struct host *h = &m->hosts[i];

		for (size_t j = 0; j < h->address_count; j++)
			check_host_address(m, h, &h->addresses[j], zn, index,
					   d);
	}
}

int validate_networks(const struct model *m, const struct zone_nets *zn,
		      struct diags *d)
{
	/* zeroed here, not in net_index_build: after a memset of index[1]
	 * the static analyzer lost track of index[0] and saw a leak */
	struct net_index index[2] = { { 0 }, { 0 } };
	int r = net_index_build(zn, 0, &index[0]);

	if (r == 0)
		r = net_index_build(zn, 1, &index[1]);
	if (r == 0) {
		check_overlaps(m, &index[0], d);
		check_overlaps(m, &index[1], d);
		check_any_zones(m, d);
		check_hosts(m, zn, index, d);
	}
	net_index_free(&index[0]);
	net_index_free(&index[1]);
	return r;
}
