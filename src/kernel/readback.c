/* readback.c - decoding our own rules and counters as the kernel has them.
 *
 * The decoder knows the bytecode nft_rule.c emits (and nft itself emits for
 * the same text): a load (meta, payload, ct) followed by the cmp, bitwise
 * or lookup that uses it.  Anything it does not recognise leaves the field
 * unset, which makes the enforced matrix differ from the intended one:
 * an unknown rule can never look like a known one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kread.h"
#include "readback.h"

enum last_load { LOAD_NONE, LOAD_NFPROTO, LOAD_L4PROTO, LOAD_SADDR, LOAD_DADDR,
		 LOAD_DPORT, LOAD_ICMP, LOAD_CTSTATE, LOAD_MARK_VALUE, LOAD_OTHER };

struct decoder {
	struct rb_rule *r;
	enum last_load last;
	uint32_t value;          /* immediate data, for ct mark set */
};

static uint32_t u32_of(const struct nftnl_expr *e, uint16_t attr)
{
	return nftnl_expr_is_set(e, attr) ? nftnl_expr_get_u32(e, attr) : 0;
}

static const void *data_of(const struct nftnl_expr *e, uint16_t attr,
			   uint32_t *len)
{
	*len = 0;
	return nftnl_expr_is_set(e, attr) ? nftnl_expr_get(e, attr, len) : NULL;
}

static void on_payload(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t base = u32_of(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = u32_of(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = u32_of(e, NFTNL_EXPR_PAYLOAD_LEN);

	d->last = LOAD_OTHER;
	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		if ((off == 12 && len == 4) || (off == 8 && len == 16))
			d->last = LOAD_SADDR;
		else if ((off == 16 && len == 4) || (off == 24 && len == 16))
			d->last = LOAD_DADDR;
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER) {
		if (off == 2 && len == 2)
			d->last = LOAD_DPORT;
		else if (off == 0 && len == 1)
			d->last = LOAD_ICMP;
	}
}

static void on_cmp(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t op = u32_of(e, NFTNL_EXPR_CMP_OP), len;
	const uint8_t *v = data_of(e, NFTNL_EXPR_CMP_DATA, &len);
	uint16_t port;

	if (!v || !len)
		return;
	switch (d->last) {
	case LOAD_NFPROTO:
		d->r->nfproto = v[0];
		break;
	case LOAD_L4PROTO:
		d->r->l4proto = v[0];
		break;
	case LOAD_ICMP:
		d->r->icmp_type = v[0];
		break;
	case LOAD_DPORT:
		if (len != 2)
			break;
		memcpy(&port, v, 2);
		port = ntohs(port);
		if (op == NFT_CMP_EQ)
			d->r->port_low = d->r->port_high = port;
		else if (op == NFT_CMP_GTE)
			d->r->port_low = port;
		else if (op == NFT_CMP_LTE)
			d->r->port_high = port;
		return;     /* a range is two cmps on one load */
	case LOAD_CTSTATE:      /* nothing to record */
	default:
		break;
	}
	d->last = LOAD_NONE;
}

/* Appends set to the list of negated lookups (struct rb_rule). */
static void not_add(char *list, const char *set)
{
	size_t n = strlen(list);

	if (n + strlen(set) + 2 > RB_NOT_MAX)
		snprintf(list, RB_NOT_MAX, "?");
	else if (strcmp(list, "?"))
		snprintf(list + n, RB_NOT_MAX - n, "%s%s", n ? " " : "", set);
}

static void on_lookup(struct decoder *d, const struct nftnl_expr *e)
{
	const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
	bool inv = u32_of(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV;

	if (!set || (inv && strncmp(set, "zone_", 5))) {
		d->last = LOAD_NONE;
		return;
	}
	if (inv && (d->last == LOAD_SADDR || d->last == LOAD_DADDR))
		not_add(d->last == LOAD_SADDR ? d->r->src_not : d->r->dst_not,
			set);
	else if (d->last == LOAD_SADDR)
		snprintf(d->r->src_set, sizeof(d->r->src_set), "%s", set);
	else if (d->last == LOAD_DADDR)
		snprintf(d->r->dst_set, sizeof(d->r->dst_set), "%s", set);
	d->last = LOAD_NONE;
}

static void on_bitwise(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t len, mask = 0;
	const void *m = data_of(e, NFTNL_EXPR_BITWISE_MASK, &len);

	if (d->last == LOAD_CTSTATE && m && len == 4) {
		memcpy(&mask, m, 4);
		d->r->ct_new = mask == NF_CT_STATE_BIT(IP_CT_NEW);
	}
}

static void on_meta(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t key = u32_of(e, NFTNL_EXPR_META_KEY);

	d->last = key == NFT_META_NFPROTO ? LOAD_NFPROTO :
		  key == NFT_META_L4PROTO ? LOAD_L4PROTO : LOAD_OTHER;
}

static void on_ct(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t key = u32_of(e, NFTNL_EXPR_CT_KEY);

	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {   /* ct mark set */
		if (key == NFT_CT_MARK && d->last == LOAD_MARK_VALUE)
			d->r->mark = d->value;
		d->last = LOAD_NONE;
		return;
	}
	d->last = key == NFT_CT_STATE ? LOAD_CTSTATE : LOAD_OTHER;
}

static void on_immediate(struct decoder *d, const struct nftnl_expr *e)
{
	uint32_t len;
	const void *v;

	if (u32_of(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
		d->r->accept = u32_of(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT;
		return;
	}
	v = data_of(e, NFTNL_EXPR_IMM_DATA, &len);
	if (v && len == 4) {
		memcpy(&d->value, v, 4);
		d->last = LOAD_MARK_VALUE;
	}
}

/* The loads and operations the decoder follows, by expression name. */
static const struct {
	const char *name;
	void (*on)(struct decoder *d, const struct nftnl_expr *e);
} handlers[] = {
	{ "payload", on_payload }, { "cmp", on_cmp }, { "lookup", on_lookup },
	{ "bitwise", on_bitwise }, { "meta", on_meta }, { "ct", on_ct },
	{ "immediate", on_immediate },
};

static void decode(const struct nftnl_rule *nr, struct rb_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(nr);
	struct decoder d = { .r = r };
	struct nftnl_expr *e;

	memset(r, 0, sizeof(*r));
	r->icmp_type = -1;
	snprintf(r->chain, sizeof(r->chain), "%s",
		 nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
	while (it && (e = nftnl_expr_iter_next(it))) {
		const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
			if (!strcmp(n, handlers[i].name)) {
				handlers[i].on(&d, e);
				break;
			}
	}
	if (it)
		nftnl_expr_iter_destroy(it);
}

struct rb_ctx {
	const char *table;
	struct readback *rb;
};

static bool wanted_chain(const char *chain)
{
	return !strncmp(chain, "fwd_", 4) || !strncmp(chain, "mgmt_", 5);
}

static int rule_seen(void *obj, void *data)
{
	const struct nftnl_rule *nr = obj;
	struct rb_ctx *x = data;
	struct rb_rule *v;

	if (strcmp(nftnl_rule_get_str(nr, NFTNL_RULE_TABLE), x->table) ||
	    !wanted_chain(nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN)))
		return 0;
	v = realloc(x->rb->rules, (x->rb->rule_count + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	x->rb->rules = v;
	decode(nr, &v[x->rb->rule_count]);
	if (v[x->rb->rule_count].accept)
		x->rb->rule_count++;
	return 0;
}

static int counter_seen(void *obj, void *data)
{
	struct nftnl_obj *o = obj;
	struct rb_ctx *x = data;
	struct rb_counter *v, *c;

	if (strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), x->table) ||
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
		return 0;
	v = realloc(x->rb->counters, (x->rb->counter_count + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	x->rb->counters = v;
	c = &v[x->rb->counter_count++];
	snprintf(c->name, sizeof(c->name), "%s",
		 nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	c->packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	c->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	return 0;
}

static int readback_read_once(struct nl *nl, const char *table, bool reset,
			      struct readback *rb)
{
	struct rb_ctx x = { .table = table, .rb = rb };
	struct kread r = { .family = NFPROTO_INET, .table = table,
			   .bad_msg = -EIO, .data = &x };
	int err;

	memset(rb, 0, sizeof(*rb));
	err = kread(nl, &r, NFT_MSG_GETRULE, rule_seen);
	err = err ?: kread(nl, &r, reset ? NFT_MSG_GETOBJ_RESET : NFT_MSG_GETOBJ,
			   counter_seen);
	if (err)
		readback_free(rb);
	return err;
}

struct rb_pass {
	const char *table;
	bool reset;
	struct readback *rb;
};

static int rb_pass_read(struct nl *nl, void *ctx)
{
	struct rb_pass *p = ctx;

	return readback_read_once(nl, p->table, p->reset, p->rb);
}

static void rb_pass_discard(void *ctx)
{
	readback_free(((struct rb_pass *)ctx)->rb);
}

/* The rules and the counters of one generation; a read that resets the
 * counters is not repeated for a commit between its parts (what it reset
 * would be lost), only for an interrupted dump. */
int readback_read(struct nl *nl, const char *table, bool reset,
		  struct readback *rb)
{
	struct rb_pass x = { .table = table, .reset = reset, .rb = rb };
	struct kread_pass p = { .read = rb_pass_read,
				.discard = rb_pass_discard, .ctx = &x,
				.any_generation = reset };

	return kread_consistent(nl, &p, NULL);
}

void readback_free(struct readback *rb)
{
	free(rb->rules);
	free(rb->counters);
	memset(rb, 0, sizeof(*rb));
}

const struct rb_counter *readback_counter(const struct readback *rb,
					  const char *name)
{
	for (size_t i = 0; i < rb->counter_count; i++)
		if (!strcmp(rb->counters[i].name, name))
			return &rb->counters[i];
	return NULL;
}
