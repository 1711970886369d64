/* policy_digest.c - policy_sha256 (include/policy_digest.h), built from
 * modeldiff's canonical sets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modeldiff_internal.h"
#include "policy_digest.h"
#include "sha256.h"

struct lines {
	struct pool *pool;
	const char **v;
	size_t n;
};

static void line_add(struct lines *l, const char *s)
{
	l->v[l->n++] = s;
}

static const char *joined(struct pool *p, const struct list *l)
{
	return diff_list_join(p, l, "");
}

static const char *endpoint_text(struct pool *p, const struct model *m,
				 const struct endpoint *e)
{
	return diff_printf(p, "%s:%s", e->kind == ENDPOINT_HOST ? "host" : "zone",
			   endpoint_name(m, e));
}

static const char *services_text(struct pool *p, const struct service *s, size_t n)
{
	struct set set = diff_service_set(p, s, n);

	return joined(p, &set.text);
}

static void zones_and_hosts(struct lines *l, const struct model *m)
{
	struct pool *p = l->pool;

	for (size_t i = 0; i < m->zone_count; i++) {
		const struct zone *z = &m->zones[i];
		struct set nets = diff_zone_networks(p, z);

		line_add(l, diff_printf(p, "zone %s class=%s intra=%s networks=%s",
					z->name, zone_class_name(z->class),
					z->intra_accept ? "accept" : "drop",
					joined(p, &nets.text)));
	}
	for (size_t i = 0; i < m->host_count; i++) {
		const struct host *h = &m->hosts[i];
		struct set addrs = diff_host_addresses(p, h);

		line_add(l, diff_printf(p, "host %s zone=%s role=%s addresses=%s",
					h->name, m->zones[h->zone].name,
					host_role_name(h->role), joined(p, &addrs.text)));
	}
}

static void flows_and_mgmt(struct lines *l, const struct model *m)
{
	struct pool *p = l->pool;

	for (size_t i = 0; i < m->flow_count; i++) {
		const struct flow *f = &m->flows[i];

		line_add(l, diff_printf(p, "flow %s from=%s to=%s both=%d services=%s expires=%s",
					f->name, endpoint_text(p, m, &f->from),
					endpoint_text(p, m, &f->to), f->bidirectional ? 1 : 0,
					services_text(p, f->services, f->service_count),
					f->has_expiry && f->expires_text ? f->expires_text : "never"));
	}
	for (size_t i = 0; i < m->mgmt_count; i++) {
		const struct mgmt_rule *r = &m->mgmt[i];

		line_add(l, diff_printf(p, "management from=%s services=%s",
					endpoint_text(p, m, &r->from),
					services_text(p, r->services, r->service_count)));
	}
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int model_policy_digest(const struct model *m, uint8_t out[32])
{
	struct pool pool = { 0 };
	struct lines l = { .pool = &pool };
	struct sha256 s;
	int rc = 0;

	l.v = diff_alloc(&pool, m->zone_count + m->host_count + m->flow_count +
			 m->mgmt_count, sizeof(*l.v));
	if (l.v) {
		zones_and_hosts(&l, m);
		flows_and_mgmt(&l, m);
	}
	if (pool.oom) {
		rc = -ENOMEM;
		goto out;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), str_cmp);
	sha256_init(&s);
	for (size_t i = 0; i < l.n; i++) {
		sha256_update(&s, l.v[i], strlen(l.v[i]));
		sha256_update(&s, "\n", 1);
	}
	sha256_final(&s, out);
out:
	diff_pool_free(&pool);
	return rc;
}

void model_policy_hex(const struct model *m, char out[65])
{
	uint8_t d[32];

	if (model_policy_digest(m, d) == 0)
		sha256_hex(d, out);
	else
		out[0] = '\0';
}
