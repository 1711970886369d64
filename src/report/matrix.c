/* matrix.c - the intended and the enforced zone matrix (see matrix.h). */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "matrix.h"

static int edge_add(struct matrix *mx, const char *fz, const char *tz,
		    const char *src, const char *dst, const char *svc, int fam)
{
	struct matrix_edge *v = realloc(mx->edges,
					(mx->count + 1) * sizeof(*v));
	struct matrix_edge *e;

	if (!v)
		return -ENOMEM;
	mx->edges = v;
	e = &v[mx->count++];
	memset(e, 0, sizeof(*e));
	snprintf(e->from_zone, sizeof(e->from_zone), "%s", fz);
	snprintf(e->to_zone, sizeof(e->to_zone), "%s", tz);
	snprintf(e->src, sizeof(e->src), "%s", src);
	snprintf(e->dst, sizeof(e->dst), "%s", dst);
	snprintf(e->service, sizeof(e->service), "%s", svc);
	e->family = fam;
	return 0;
}

static int edge_cmp(const void *a, const void *b)
{
	const struct matrix_edge *x = a, *y = b;
	int c = strcmp(x->from_zone, y->from_zone);

	c = c ? c : strcmp(x->to_zone, y->to_zone);
	c = c ? c : strcmp(x->src, y->src);
	c = c ? c : strcmp(x->dst, y->dst);
	c = c ? c : strcmp(x->service, y->service);
	return c ? c : x->family - y->family;
}

static void normalize(struct matrix *mx)
{
	size_t w = 0;

	qsort(mx->edges, mx->count, sizeof(*mx->edges), edge_cmp);
	for (size_t i = 0; i < mx->count; i++)
		if (!w || edge_cmp(&mx->edges[w - 1], &mx->edges[i]))
			mx->edges[w++] = mx->edges[i];
	mx->count = w;
}

void matrix_free(struct matrix *mx)
{
	free(mx->edges);
	mx->edges = NULL;
	mx->count = 0;
}

/* "tcp/443", "udp/1000-2000", "icmp/echo-request" from the parts. */
static void service_text(uint8_t proto, uint16_t lo, uint16_t hi, int icmp,
			 char *buf, size_t len)
{
	const char *p = proto == IPPROTO_TCP ? "tcp" :
			proto == IPPROTO_UDP ? "udp" :
			proto == IPPROTO_ICMP ? "icmp" :
			proto == IPPROTO_ICMPV6 ? "icmpv6" : NULL;
	const char *t;

	if (!proto) {
		snprintf(buf, len, "any");
	} else if (!p) {
		snprintf(buf, len, "proto-%u", proto);
	} else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (lo == hi)
			snprintf(buf, len, "%s/%u", p, lo);
		else
			snprintf(buf, len, "%s/%u-%u", p, lo, hi);
	} else if (icmp < 0) {
		snprintf(buf, len, "%s/?", p);
	} else {
		t = icmp_type_name(proto, (uint8_t)icmp);
		if (t)
			snprintf(buf, len, "%s/%s", p, t);
		else
			snprintf(buf, len, "%s/%d", p, icmp);
	}
}

/* Which families an endpoint has addresses in (bit 0 IPv4, bit 1 IPv6). */
static unsigned families(const struct model *m, const struct endpoint *e)
{
	const struct cidr *v;
	size_t n;
	unsigned f = 0;

	if (e->kind == ENDPOINT_ZONE) {
		const struct zone *z = &m->zones[e->index];
		struct zone_net_iter it;
		struct cidr net;

		if (z->any)
			return 3;
		zone_net_begin(&it);
		while (f != 3 && zone_network_next(z, &it, &net))
			f |= net.family == AF_INET ? 1 : 2;
		return f;
	}
	v = m->hosts[e->index].addresses;
	n = m->hosts[e->index].address_count;
	for (size_t i = 0; i < n; i++)
		f |= v[i].family == AF_INET ? 1 : 2;
	return f;
}

/* The families the compiler emits a rule in for this service: those both
 * ends have, ICMP only in its own. */
static unsigned programmable(unsigned fams, const struct service *s)
{
	if (s->proto == IPPROTO_ICMP)
		return fams & 1;
	if (s->proto == IPPROTO_ICMPV6)
		return fams & 2;
	return fams;
}

static int add_services(struct matrix *mx, const struct model *m,
			const struct endpoint *src, const struct endpoint *dst,
			const struct service *sv, size_t n)
{
	const char *fz = m->zones[endpoint_zone(m, src)].name;
	const char *tz = dst ? m->zones[endpoint_zone(m, dst)].name
			     : MATRIX_GATEWAY;
	unsigned fams = families(m, src) & (dst ? families(m, dst) : 3);
	char svc[48];
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		unsigned f = programmable(fams, &sv[i]);

		service_text(sv[i].proto, sv[i].port_low, sv[i].port_high,
			     sv[i].icmp_type, svc, sizeof(svc));
		for (int bit = 0; bit < 2 && !err; bit++)
			if (f & (1u << bit))
				err = edge_add(mx, fz, tz, endpoint_name(m, src),
					dst ? endpoint_name(m, dst) :
					MATRIX_GATEWAY, svc, bit ? 6 : 4);
	}
	return err;
}

int matrix_from_model(const struct model *m, time_t now, struct matrix *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < m->flow_count && !err; i++) {
		const struct flow *f = &m->flows[i];

		if (f->has_expiry && now >= f->expires)
			continue;
		err = add_services(out, m, &f->from, &f->to, f->services,
				   f->service_count);
		if (!err && f->bidirectional)
			err = add_services(out, m, &f->to, &f->from,
					   f->services, f->service_count);
	}
	for (size_t z = 0; z < m->zone_count && !err; z++) {
		struct endpoint e = { .kind = ENDPOINT_ZONE, .index = z };
		unsigned f = families(m, &e);

		for (int bit = 0; bit < 2 && !err; bit++)
			if (m->zones[z].intra_accept && (f & (1u << bit)))
				err = edge_add(out, m->zones[z].name,
					       m->zones[z].name,
					       m->zones[z].name,
					       m->zones[z].name, "any",
					       bit ? 6 : 4);
	}
	for (size_t i = 0; i < m->mgmt_count && !err; i++)
		err = add_services(out, m, &m->mgmt[i].from, NULL,
				   m->mgmt[i].services,
				   m->mgmt[i].service_count);
	if (err)
		matrix_free(out);
	else
		normalize(out);
	return err;
}

/* "host_lg-mail_v4" -> "lg-mail"; "zone_lgwan_v6" -> "lgwan". */
static void endpoint_of_set(const char *set, char *buf, size_t len)
{
	size_t n = strlen(set);

	if ((strncmp(set, "host_", 5) && strncmp(set, "zone_", 5)) || n < 9) {
		snprintf(buf, len, "?%s", set);
		return;
	}
	snprintf(buf, len, "%.*s", (int)(n - 8), set + 5);
}

/* "fwd_A_B" -> A, B; "mgmt_Z" -> Z, gateway.  Names have no '_'. */
static bool zones_of_chain(const char *chain, char *a, char *b, size_t len)
{
	const char *sep;

	if (!strncmp(chain, "mgmt_", 5)) {
		snprintf(a, len, "%s", chain + 5);
		snprintf(b, len, "%s", MATRIX_GATEWAY);
		return true;
	}
	if (strncmp(chain, "fwd_", 4) || !(sep = strchr(chain + 4, '_')))
		return false;
	snprintf(a, len, "%.*s", (int)(sep - chain - 4), chain + 4);
	snprintf(b, len, "%s", sep + 1);
	return true;
}

/* The negated lookups the compiler emits for the any zone named zone in
 * family bit (1 IPv4, 2 IPv6), into buf as struct rb_rule keeps them;
 * false when zone is not the any zone. */
static bool any_not_list(const struct model *m, const char *zone,
			 unsigned bit, char *buf, size_t len)
{
	size_t any = m->zone_count, n = 0;

	for (size_t z = 0; z < m->zone_count; z++)
		if (m->zones[z].any && !strcmp(m->zones[z].name, zone))
			any = z;
	if (any == m->zone_count || !bit)
		return false;
	buf[0] = '\0';
	for (size_t z = 0; z < m->zone_count; z++) {
		struct endpoint e = { .kind = ENDPOINT_ZONE, .index = z };

		if (z == any || !(families(m, &e) & bit))
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "%szone_%s_%s", n ? " " : "",
				      m->zones[z].name, bit == 1 ? "v4" : "v6");
	}
	return n < len;
}

/* The endpoint of one side of rule r in chain zone `zone`: the set it
 * looks up, or the any zone by its negated lookups. */
static void side_endpoint(const struct model *m, const struct rb_rule *r,
			  const char *set, const char *not, const char *zone,
			  char *buf, size_t len)
{
	char want[RB_NOT_MAX];
	unsigned bit = r->nfproto == NFPROTO_IPV4 ? 1 :
		       r->nfproto == NFPROTO_IPV6 ? 2 : 0;

	if (set[0] || !not[0])
		endpoint_of_set(set, buf, len);
	else if (any_not_list(m, zone, bit, want, sizeof(want)) &&
		 !strcmp(want, not))
		snprintf(buf, len, "%s", zone);
	else
		snprintf(buf, len, "?!%s", zone);
}

int matrix_from_readback(const struct readback *rb, const struct model *m,
			 struct matrix *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rb->rule_count && !err; i++) {
		const struct rb_rule *r = &rb->rules[i];
		char fz[40], tz[40], src[40], dst[40], svc[48];
		bool gw = !strncmp(r->chain, "mgmt_", 5);

		if (!r->accept || !zones_of_chain(r->chain, fz, tz, sizeof(fz)))
			continue;
		side_endpoint(m, r, r->src_set, r->src_not, fz, src,
			      sizeof(src));
		if (gw)
			snprintf(dst, sizeof(dst), "%s", MATRIX_GATEWAY);
		else
			side_endpoint(m, r, r->dst_set, r->dst_not, tz, dst,
				      sizeof(dst));
		if (!r->ct_new)
			snprintf(svc, sizeof(svc), "not-new-only");
		else
			service_text(r->l4proto, r->port_low, r->port_high,
				     r->icmp_type, svc, sizeof(svc));
		err = edge_add(out, fz, tz, src, dst, svc,
			       r->nfproto == NFPROTO_IPV4 ? 4 :
			       r->nfproto == NFPROTO_IPV6 ? 6 : 0);
	}
	if (err)
		matrix_free(out);
	else
		normalize(out);
	return err;
}

static bool contains(const struct matrix *mx, const struct matrix_edge *e)
{
	return bsearch(e, mx->edges, mx->count, sizeof(*e), edge_cmp) != NULL;
}

size_t matrix_differences(const struct matrix *a, const struct matrix *b)
{
	size_t n = 0;

	for (size_t i = 0; i < a->count; i++)
		n += !contains(b, &a->edges[i]);
	for (size_t i = 0; i < b->count; i++)
		n += !contains(a, &b->edges[i]);
	return n;
}

size_t matrix_triples(const struct matrix *mx)
{
	size_t n = 0;

	for (size_t i = 0; i < mx->count; i++) {
		const struct matrix_edge *a = i ? &mx->edges[i - 1] : NULL;
		const struct matrix_edge *b = &mx->edges[i];

		n += !(a && !strcmp(a->from_zone, b->from_zone) &&
		       !strcmp(a->to_zone, b->to_zone) &&
		       !strcmp(a->src, b->src) && !strcmp(a->dst, b->dst) &&
		       !strcmp(a->service, b->service));
	}
	return n;
}
