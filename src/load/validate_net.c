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

struct net_entry {
	struct interval iv;
	size_t zone;
	const struct cidr *cidr;
};

/* One family: every network of every zone, sorted by first address. */
struct net_index {
	uint8_t family;
	struct net_entry *items;
	size_t count;
	size_t *reach;   /* reach[i]: the entry ending last among 0..i */
};

static int family_slot(uint8_t family)
{
	return family == AF_INET6;
}

static int net_entry_cmp(const void *a, const void *b)
{
	const struct net_entry *x = a, *y = b;
	int r = memcmp(x->iv.lo, y->iv.lo, sizeof(x->iv.lo));

	if (r)
		return r;
	return x->zone < y->zone ? -1 : x->zone > y->zone;
}

static void net_index_free(struct net_index *x)
{
	free(x->items);
	free(x->reach);
}

/* x is zeroed by the caller (and freed by it, also on -ENOMEM). */
static int net_index_build(const struct model *m, uint8_t family,
			   struct net_index *x)
{
	size_t n = 0, len = addr_len(family);

	x->family = family;
	for (size_t z = 0; z < m->zone_count; z++)
		for (size_t i = 0; i < m->zones[z].network_count; i++)
			n += m->zones[z].networks[i].family == family;
	x->items = calloc(n ? n : 1, sizeof(*x->items));
	x->reach = calloc(n ? n : 1, sizeof(*x->reach));
	if (!x->items || !x->reach)
		return -ENOMEM;
	for (size_t z = 0; z < m->zone_count; z++) {
		for (size_t i = 0; i < m->zones[z].network_count; i++) {
			const struct cidr *c = &m->zones[z].networks[i];
			struct net_entry *e = &x->items[x->count];

			if (c->family != family)
				continue;
			cidr_to_interval(c, &e->iv);
			e->zone = z;
			e->cidr = c;
			x->count++;
		}
	}
	qsort(x->items, x->count, sizeof(*x->items), net_entry_cmp);
	for (size_t i = 0; i < x->count; i++) {
		size_t best = i ? x->reach[i - 1] : 0;

		x->reach[i] = memcmp(x->items[i].iv.hi, x->items[best].iv.hi,
				     len) > 0 ? i : best;
	}
	return 0;
}

/* A network of any zone sharing an address with iv, or NULL. */
static const struct net_entry *net_index_find(const struct net_index *x,
					       const struct interval *iv)
{
	size_t lo = 0, hi = x->count, len = addr_len(x->family);
	const struct net_entry *e;

	while (lo < hi) {       /* lo: the first entry starting after iv */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(x->items[mid].iv.lo, iv->hi, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	e = &x->items[x->reach[lo - 1]];
	return memcmp(e->iv.hi, iv->lo, len) >= 0 ? e : NULL;
}

static void report_overlap(const struct model *m, const struct net_entry *a,
			   const struct net_entry *b, struct diags *d)
{
	const struct zone *za, *zb;
	char ta[CIDR_TEXT], tb[CIDR_TEXT];

	if (a->zone < b->zone) {       /* blame the zone defined later */
		const struct net_entry *t = a;

		a = b;
		b = t;
	}
	za = &m->zones[a->zone];
	zb = &m->zones[b->zone];
	cidr_format(a->cidr, ta, sizeof(ta));
	cidr_format(b->cidr, tb, sizeof(tb));
	diags_add(d, DIAG_ERROR, zone_network_file(za, a->cidr),
		  a->cidr->line,
		  "zone '%s': network '%s' overlaps network '%s' of zone '%s'",
		  za->name, ta, tb, zb->name);
}

/* Each network against the one reaching furthest before it: every zone
 * pair that overlaps at all is reported at least once. */
static void check_overlaps(const struct model *m, const struct net_index *x,
			   struct diags *d)
{
	size_t len = addr_len(x->family);

	for (size_t i = 1; i < x->count; i++) {
		const struct net_entry *e = &x->items[i];
		const struct net_entry *h = &x->items[x->reach[i - 1]];

		if (e->zone != h->zone && memcmp(e->iv.lo, h->iv.hi, len) <= 0)
			report_overlap(m, e, h, d);
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

/* lists[2 * z + slot]: the normalized networks of zone z. */
static int zone_lists_build(const struct model *m, struct interval_list *lists)
{
	for (size_t z = 0; z < m->zone_count; z++) {
		const struct zone *zone = &m->zones[z];

		interval_list_init(&lists[2 * z], AF_INET);
		interval_list_init(&lists[2 * z + 1], AF_INET6);
		for (size_t i = 0; i < zone->network_count; i++) {
			struct interval iv;
			int slot = family_slot(zone->networks[i].family);

			cidr_to_interval(&zone->networks[i], &iv);
			if (interval_list_add(&lists[2 * z + slot], &iv) < 0)
				return -ENOMEM;
		}
		interval_list_normalize(&lists[2 * z]);
		interval_list_normalize(&lists[2 * z + 1]);
	}
	return 0;
}

static void check_host_address(const struct model *m, const struct host *h,
			       const struct cidr *a,
			       const struct interval_list *lists,
			       const struct net_index *index, struct diags *d)
{
	const struct zone *zone = &m->zones[h->zone];
	const struct net_entry *other;
	char text[CIDR_TEXT];
	struct interval iv;
	int slot = family_slot(a->family);

	cidr_to_interval(a, &iv);
	cidr_format(a, text, sizeof(text));
	if (!zone->any) {
		if (!interval_list_contains(&lists[2 * h->zone + slot], &iv))
			diags_add(d, DIAG_ERROR, h->origin.file, a->line,
				  "host '%s': address '%s' is outside the "
				  "networks of zone '%s'", h->name, text,
				  zone->name);
		return;
	}
	other = net_index_find(&index[slot], &iv);
	if (other)
		diags_add(d, DIAG_ERROR, h->origin.file, a->line,
			  "host '%s': address '%s' lies in zone '%s', not in "
			  "zone '%s'", h->name, text,
			  m->zones[other->zone].name, zone->name);
}

static int check_hosts(const struct model *m, const struct net_index *index,
		       struct diags *d)
{
	struct interval_list *lists = calloc(2 * m->zone_count + 1,
					     sizeof(*lists));
	int r = lists ? zone_lists_build(m, lists) : -ENOMEM;

	for (size_t i = 0; r == 0 && i < m->host_count; i++) {
		const struct host *h = &m->hosts[i];

		for (size_t j = 0; j < h->address_count; j++)
			check_host_address(m, h, &h->addresses[j], lists,
					   index, d);
	}
	for (size_t z = 0; lists && z < 2 * m->zone_count; z++)
		interval_list_free(&lists[z]);
	free(lists);
	return r;
}

int validate_networks(const struct model *m, struct diags *d)
{
	/* zeroed here, not in net_index_build: after a memset of index[1]
	 * the static analyzer lost track of index[0] and saw a leak */
	struct net_index index[2] = { { 0 }, { 0 } };
	int r = net_index_build(m, AF_INET, &index[0]);

	if (r == 0)
		r = net_index_build(m, AF_INET6, &index[1]);
	if (r == 0) {
		check_overlaps(m, &index[0], d);
		check_overlaps(m, &index[1], d);
		check_any_zones(m, d);
		r = check_hosts(m, index, d);
	}
	net_index_free(&index[0]);
	net_index_free(&index[1]);
	return r;
}
