/* modeldiff_sets.c - services, addresses and names as sets of canonical
 * text for model_diff(): "icmp/8" is "icmp/echo-request", a list's order
 * does not count; and which elements of one set no part of another covers
 * (what a change widens).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "modeldiff_internal.h"

#define CIDR_TEXT 64

/* ---- coverage ---- */

/* Is s inside the union of v? */
static bool span_covered(const struct span *s, const struct span *v, size_t n)
{
	uint8_t at[16];

	memcpy(at, s->iv.lo, s->len);
	for (;;) {
		const uint8_t *best = NULL;

		for (size_t i = 0; i < n; i++) {
			if (v[i].key != s->key || v[i].len != s->len ||
			    memcmp(v[i].iv.lo, at, s->len) > 0 ||
			    memcmp(at, v[i].iv.hi, s->len) > 0)
				continue;
			if (!best || memcmp(v[i].iv.hi, best, s->len) > 0)
				best = v[i].iv.hi;
		}
		if (!best)
			return false;
		if (memcmp(best, s->iv.hi, s->len) >= 0)
			return true;
		/* best < s->iv.hi: the increment cannot wrap */
		memcpy(at, best, s->len);
		for (size_t i = s->len; i-- > 0 && ++at[i] == 0;)
			;
	}
}

/* What b holds that no part of a covers. */
struct list diff_set_wider(struct pool *p, const struct set *a,
			   const struct set *b)
{
	struct list out = { diff_alloc(p, b->text.n, sizeof(*out.v)), 0 };

	for (size_t i = 0; out.v && i < b->text.n; i++)
		if (!span_covered(&b->spans[i], a->spans, a->text.n))
			out.v[out.n++] = b->text.v[i];
	return out;
}

static bool set_alloc(struct pool *p, size_t n, struct set *s)
{
	s->text.n = 0;
	s->text.v = diff_alloc(p, n, sizeof(*s->text.v));
	s->spans = diff_alloc(p, n, sizeof(*s->spans));
	return s->text.v && s->spans;
}

/* ---- services ---- */

static int proto_rank(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 0;
	case IPPROTO_UDP: return 1;
	case IPPROTO_ICMP: return 2;
	case IPPROTO_ICMPV6: return 3;
	default: return 4;
	}
}

static const char *proto_name(uint8_t proto)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6",
					     "?" };

	return names[proto_rank(proto)];
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static int service_cmp(const void *x, const void *y)
{
	const struct service *a = x, *b = y;

	if (a->proto != b->proto)
		return proto_rank(a->proto) - proto_rank(b->proto);
	if (a->port_low != b->port_low)
		return a->port_low < b->port_low ? -1 : 1;
	if (a->port_high != b->port_high)
		return a->port_high < b->port_high ? -1 : 1;
	return (int)a->icmp_type - (int)b->icmp_type;
}

/* "tcp/443", "udp/1000-2000", "icmp/echo-request", "icmpv6/200" */
static const char *service_text(struct pool *p, const struct service *s)
{
	const char *proto = proto_name(s->proto), *type;

	if (has_ports(s->proto) && s->port_low == s->port_high)
		return diff_printf(p, "%s/%u", proto, s->port_low);
	if (has_ports(s->proto))
		return diff_printf(p, "%s/%u-%u", proto, s->port_low,
				   s->port_high);
	type = icmp_type_name(s->proto, s->icmp_type);
	if (type)
		return diff_printf(p, "%s/%s", proto, type);
	return diff_printf(p, "%s/%u", proto, s->icmp_type);
}

static void service_span(const struct service *s, struct span *out)
{
	memset(out, 0, sizeof(*out));
	out->key = s->proto;
	out->len = 2;
	if (has_ports(s->proto)) {
		out->iv.lo[0] = (uint8_t)(s->port_low >> 8);
		out->iv.lo[1] = (uint8_t)s->port_low;
		out->iv.hi[0] = (uint8_t)(s->port_high >> 8);
		out->iv.hi[1] = (uint8_t)s->port_high;
	} else {
		out->iv.lo[0] = out->iv.hi[0] = s->icmp_type;
	}
}

struct set diff_service_set(struct pool *p, const struct service *svc,
			    size_t n)
{
	struct service *v = diff_alloc(p, n, sizeof(*v));   /* shallow */
	struct set s;

	if (!set_alloc(p, n, &s) || !v)
		return (struct set){ { NULL, 0 }, NULL };
	if (n)
		memcpy(v, svc, n * sizeof(*v));
	qsort(v, n, sizeof(*v), service_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && service_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		service_span(&v[i], &s.spans[s.text.n]);
		s.text.v[s.text.n++] = service_text(p, &v[i]);
	}
	return s;
}

/* ---- prefixes ---- */

static int cidr_cmp(const void *x, const void *y)
{
	const struct cidr *a = x, *b = y;
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	r = memcmp(a->addr, b->addr, addr_len(a->family));
	if (r)
		return r;
	return (int)a->prefix - (int)b->prefix;
}

/* The prefixes as canonical text; "any" first when any is set. */
/* v: n prefixes in the pool, sorted here. */
static struct set cidr_set_of(struct pool *p, struct cidr *v, size_t n,
			      bool any)
{
	struct set s;

	if (!set_alloc(p, n + 1, &s) || !v)
		return (struct set){ { NULL, 0 }, NULL };
	if (any) {
		/* the whole of both families: covers everything */
		s.spans[0] = (struct span){ .key = 0, .len = 0 };
		s.text.v[s.text.n++] = "any";
	}
	qsort(v, n, sizeof(*v), cidr_cmp);
	for (size_t i = 0; i < n; i++) {
		char text[CIDR_TEXT];

		if (i > 0 && cidr_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		cidr_format(&v[i], text, sizeof(text));
		s.spans[s.text.n].key = v[i].family;
		s.spans[s.text.n].len = addr_len(v[i].family);
		cidr_to_interval(&v[i], &s.spans[s.text.n].iv);
		s.text.v[s.text.n++] = diff_printf(p, "%s", text);
	}
	return s;
}

/* What b holds that a does not cover; "any" only where a is not "any". */
struct list diff_cidr_wider(struct pool *p, const struct set *a,
			    const struct set *b)
{
	if (diff_list_has(&a->text, "any"))
		return (struct list){ NULL, 0 };
	if (diff_list_has(&b->text, "any"))
		return (struct list){ b->text.v, 1 };
	return diff_set_wider(p, a, b);
}

struct set diff_host_addresses(struct pool *p, const struct host *h)
{
	struct cidr *v = diff_alloc(p, h->address_count, sizeof(*v));

	if (v && h->address_count)
		memcpy(v, h->addresses, h->address_count * sizeof(*v));
	return cidr_set_of(p, v, h->address_count, false);
}

struct set diff_zone_networks(struct pool *p, const struct zone *z)
{
	struct cidr *v = diff_alloc(p, z->network_count, sizeof(*v));
	struct zone_net_iter it;
	size_t n = 0;

	zone_net_begin(&it);
	while (v && n < z->network_count && zone_network_next(z, &it, &v[n]))
		n++;
	return cidr_set_of(p, v, n, z->any);
}

/* ---- names ---- */

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

struct list diff_word_list(struct pool *p, char *const *words, size_t n)
{
	struct list l = { diff_alloc(p, n, sizeof(*l.v)), 0 };

	if (!l.v)
		return l;
	for (size_t i = 0; i < n; i++)
		l.v[i] = words[i];
	qsort(l.v, n, sizeof(*l.v), str_cmp);
	for (size_t i = 0; i < n; i++)
		if (l.n == 0 || strcmp(l.v[l.n - 1], l.v[i]) != 0)
			l.v[l.n++] = l.v[i];
	return l;
}

/* "'a', 'b'" of the sorted names, or NULL for none. */
const char *diff_quoted_names(struct pool *p, const char **v, size_t n)
{
	const char *s = NULL;

	if (n == 0)
		return NULL;
	qsort(v, n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < n; i++)
		s = diff_printf(p, "%s%s'%s'", s ? s : "", s ? ", " : "", v[i]);
	return s;
}
