/* bypass.c - finding foreign hooks that could bypass or starve our table. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bypass.h"
#include "kread.h"

struct base_chain {
	uint32_t family;
	char table[64], name[64], dev[32];
	uint32_t hook;
	int prio;
	char what[96];          /* dangerous statements found in its rules */
};

struct scan {
	const char *ours;
	struct base_chain *v;
	size_t n;
};

/* Our table, its guard table (compile_guard.c) or its interim table
 * (compile_interim.c, while a restore puts the main table back). */
static bool table_is_ours(const struct scan *s, const char *table)
{
	char guard[RS_NAME_MAX + 8], interim[RS_NAME_MAX + 16];

	ruleset_guard_name(s->ours, guard, sizeof(guard));
	ruleset_interim_name(s->ours, interim, sizeof(interim));
	return !strcmp(table, s->ours) || !strcmp(table, guard) ||
	       !strcmp(table, interim);
}

void hook_report_add(struct hook_report *r, const char *fmt, ...)
{
	char **v = realloc(r->items, (r->count + 1) * sizeof(*v));
	va_list ap;

	if (!v)
		return;
	r->items = v;
	va_start(ap, fmt);
	if (vasprintf(&v[r->count], fmt, ap) >= 0)
		r->count++;
	va_end(ap);
}

void hook_report_free(struct hook_report *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i]);
	free(r->items);
	r->items = NULL;
	r->count = 0;
}

static const char *family_name(uint32_t f)
{
	switch (f) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	default: return "?";
	}
}

static const char *hook_name(uint32_t family, uint32_t hook)
{
	static const char *const inet[] = { "prerouting", "input", "forward",
					    "output", "postrouting", "ingress" };

	if (family == NFPROTO_NETDEV)
		return hook == 0 ? "ingress" : "egress";
	return hook < 6 ? inet[hook] : "?";
}

static int chain_seen(void *obj, void *data)
{
	const struct nftnl_chain *c = obj;
	struct scan *s = data;
	struct base_chain *b;

	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    (nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY) == NFPROTO_INET &&
	     table_is_ours(s, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))))
		return 0;
	b = realloc(s->v, (s->n + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->v = b;
	b = &s->v[s->n++];
	memset(b, 0, sizeof(*b));
	b->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	snprintf(b->table, sizeof(b->table), "%s",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	snprintf(b->name, sizeof(b->name), "%s",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	b->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	b->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV))
		snprintf(b->dev, sizeof(b->dev), "%s",
			 nftnl_chain_get_str(c, NFTNL_CHAIN_DEV));
	return 0;
}

static void add_what(struct base_chain *b, const char *w)
{
	if (strstr(b->what, w))
		return;
	snprintf(b->what + strlen(b->what), sizeof(b->what) - strlen(b->what),
		 "%s%s", b->what[0] ? "," : "", w);
}

/* The statements of a rule that matter for segmentation. */
static void rule_scan(struct base_chain *b, const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	while (it && (e = nftnl_expr_iter_next(it))) {
		const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!strcmp(n, "notrack") || !strcmp(n, "nat") ||
		    !strcmp(n, "fwd") || !strcmp(n, "dup") ||
		    !strcmp(n, "queue") || !strcmp(n, "redir") ||
		    !strcmp(n, "masq") || !strcmp(n, "tproxy"))
			add_what(b, n);
		else if (!strcmp(n, "immediate") &&
			 nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
			uint32_t v = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

			if (v == NF_DROP)
				add_what(b, "drop");
			else if (v == NF_QUEUE)
				add_what(b, "queue");
		} else if (!strcmp(n, "target") &&
			   nftnl_expr_is_set(e, NFTNL_EXPR_TG_NAME)) {
			/* iptables-nft rules keep their xtables target */
			const char *t = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);

			if (!strcmp(t, "NFQUEUE"))
				add_what(b, "queue");
			else if (!strcmp(t, "CT") || !strcmp(t, "NOTRACK"))
				add_what(b, "notrack");
			else if (!strcmp(t, "DNAT") || !strcmp(t, "SNAT") ||
				 !strcmp(t, "REDIRECT") ||
				 !strcmp(t, "MASQUERADE") || !strcmp(t, "TPROXY"))
				add_what(b, "nat");
		}
	}
	if (it)
		nftnl_expr_iter_destroy(it);
}

struct rule_scan_ctx {
	struct base_chain *v;
	size_t n;
};

static int rule_seen(void *obj, void *data)
{
	const struct nftnl_rule *r = obj;
	struct rule_scan_ctx *x = data;
	const char *t = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	const char *c = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	uint32_t f = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);

	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].family == f && !strcmp(x->v[i].table, t) &&
		    !strcmp(x->v[i].name, c))
			rule_scan(&x->v[i], r);
	return 0;
}

struct nft_scan {
	const char *ours;
	struct hook_report *out;
	struct scan s;
};

static void nft_scan_discard(void *ctx)
{
	struct nft_scan *x = ctx;

	free(x->s.v);
	x->s = (struct scan){ .ours = x->ours };
}

/* Every family's chains and rules; what does not parse is passed over
 * (bad_msg 0): a scan that reports what it can. */
static int nft_scan_read(struct nl *nl, void *ctx)
{
	struct nft_scan *x = ctx;
	struct rule_scan_ctx rx;
	struct kread r = { .family = NFPROTO_UNSPEC, .data = &x->s };
	int err;

	nft_scan_discard(x);
	err = kread(nl, &r, NFT_MSG_GETCHAIN, chain_seen);
	rx.v = x->s.v;
	rx.n = x->s.n;
	r.data = &rx;
	if (!err && x->s.n)
		err = kread(nl, &r, NFT_MSG_GETRULE, rule_seen);
	if (err)
		nft_scan_discard(x);
	return err;
}

static void report_chains(const struct nft_scan *x)
{
	for (size_t i = 0; i < x->s.n; i++) {
		const struct base_chain *b = &x->s.v[i];

		hook_report_add(x->out, "nftables: %s table '%s' chain '%s' "
				"hook %s%s%s priority %d%s%s",
				family_name(b->family), b->table, b->name,
				hook_name(b->family, b->hook),
				b->dev[0] ? " device " : "", b->dev, b->prio,
				b->what[0] ? ": " : "", b->what);
	}
}

/* Non-empty lines of a /proc file, each reported with a prefix. */
static void scan_file(const char *path, const char *prefix,
		      struct hook_report *out)
{
	FILE *f = fopen(path, "re");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			hook_report_add(out, "%s: %s", prefix, line);
	}
	fclose(f);
}

static void scan_bridges(char *const *ifaces, size_t n,
			 struct hook_report *out)
{
	static const char *const calls[] = {
		"/proc/sys/net/bridge/bridge-nf-call-iptables",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	};

	for (size_t i = 0; i < n; i++) {
		char path[128];
		FILE *f;
		int v;

		snprintf(path, sizeof(path), "/sys/class/net/%s/brport",
			 ifaces[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		fclose(f);
		hook_report_add(out, "bridge: zone interface '%s' is a bridge port",
		       ifaces[i]);
		for (size_t c = 0; c < 2; c++) {
			f = fopen(calls[c], "re");
			/* NOLINTNEXTLINE(cert-err34-c): a sysctl, 0 or 1 */
			if (!f || fscanf(f, "%d", &v) != 1 || v == 0)
				hook_report_add(out, "bridge: %s is off: bridged zone "
				       "traffic bypasses the forward chain",
				       calls[c]);
			if (f)
				fclose(f);
		}
	}
}

int bypass_scan(struct nl *nl, const char *our_table,
		char *const *ifaces, size_t iface_count,
		struct hook_report *out)
{
	struct nft_scan x = { .ours = our_table, .out = out };
	struct kread_pass p = { .read = nft_scan_read,
				.discard = nft_scan_discard, .ctx = &x };
	int err, tc;

	/* the chains and rules of one generation, as the table's own reads
	 * (kread_consistent): nothing is reported from a stale one */
	err = kread_consistent(nl, &p, NULL);
	if (!err)
		report_chains(&x);
	nft_scan_discard(&x);

	scan_file("/proc/net/ip_tables_names", "legacy iptables table", out);
	scan_file("/proc/net/ip6_tables_names", "legacy ip6tables table", out);
	scan_file("/proc/net/arp_tables_names", "legacy arptables table", out);
	scan_file("/proc/net/netfilter/nfnetlink_queue",
		  "NFQUEUE bound (queue portid ...)", out);
	scan_bridges(ifaces, iface_count, out);
	tc = bypass_scan_tc(ifaces, iface_count, out);
	if (tc)         /* a failed scan is not "no foreign hooks" */
		hook_report_add(out, "tc/xdp: the scan of the zone interfaces "
				"failed (%s): hooks there are unknown",
				strerror(-tc));
	return err;
}
