/* nft_rule.c - one compiled rule -> libnftnl expressions (the bytecode nft
 * itself would generate for the text render.c prints). */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include "nft_internal.h"

static int add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* A meta or ct expression of key on register 1: reg_attr its DREG for a
 * load, its SREG for a set (ct mark set). */
static int key_reg1(struct nftnl_rule *r, const char *name, uint16_t key_attr,
		    uint32_t key, uint16_t reg_attr)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e) {
		nftnl_expr_set_u32(e, key_attr, key);
		nftnl_expr_set_u32(e, reg_attr, NFT_REG_1);
	}
	return add(r, e);
}

static int meta_load(struct nftnl_rule *r, uint32_t key)
{
	return key_reg1(r, "meta", NFTNL_EXPR_META_KEY, key,
			NFTNL_EXPR_META_DREG);
}

static int payload_load(struct nftnl_rule *r, uint32_t base, uint32_t off,
			uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	return add(r, e);
}

static int cmp(struct nftnl_rule *r, uint32_t op, const void *data,
	       uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add(r, e);
}

static int cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	return cmp(r, NFT_CMP_EQ, &v, 1);
}

static int lookup(struct nftnl_rule *r, const char *set, uint32_t set_id,
		  bool neg, bool verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
		/* always sent, as the kernel always dumps it: the rule we
		 * build and the one we read back print alike */
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS,
				   neg ? NFT_LOOKUP_F_INV : 0);
		if (verdict)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG,
					   NFT_REG_VERDICT);
	}
	return add(r, e);
}

static int ct_load(struct nftnl_rule *r, uint32_t key)
{
	return key_reg1(r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_DREG);
}

/* ct state: load, (state & mask) != 0 */
static int ct_state(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e;
	uint32_t zero = 0;
	int err = ct_load(r, NFT_CT_STATE);

	if (err)
		return err;
	e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	err = add(r, e);
	return err ?: cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static int immediate_verdict(struct nftnl_rule *r, uint32_t verdict,
			     const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return add(r, e);
}

static int ct_mark_assign(struct nftnl_rule *r, uint32_t mark)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	int err;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &mark, 4);
	}
	err = add(r, e);
	return err ?: key_reg1(r, "ct", NFTNL_EXPR_CT_KEY, NFT_CT_MARK,
			       NFTNL_EXPR_CT_SREG);
}

static int counter_ref(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc("objref");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE,
				   NFT_OBJECT_COUNTER);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
	}
	return add(r, e);
}

static int limit(struct nftnl_rule *r, uint32_t rate, uint32_t burst)
{
	struct nftnl_expr *e = nftnl_expr_alloc("limit");

	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	}
	return add(r, e);
}

static int log_group(struct nftnl_rule *r, uint16_t group, const char *prefix)
{
	struct nftnl_expr *e = nftnl_expr_alloc("log");

	if (e) {
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	}
	return add(r, e);
}

/* Offsets of the address fields in the IPv4 and IPv6 headers. */
static int address(struct nftnl_rule *r, const struct nft_ctx *x,
		   const struct rs_op *op)
{
	const struct rs_set *s = ruleset_find_set(x->rs, op->u.name);
	bool v6 = s && s->key == RS_KEY_IPV6;
	bool src = op->kind == RS_OP_SADDR_SET || op->kind == RS_OP_SADDR_VMAP;
	bool vmap = op->kind == RS_OP_SADDR_VMAP ||
		    op->kind == RS_OP_DADDR_VMAP;
	uint32_t off = v6 ? (src ? 8 : 24) : (src ? 12 : 16);
	int err = payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, off, v6 ? 16 : 4);

	return err ?: lookup(r, op->u.name, nft_set_id(x, op->u.name),
			     op->neg, vmap);
}

static int dport(struct nftnl_rule *r, uint16_t low, uint16_t high)
{
	uint16_t lo = htons(low), hi = htons(high);
	int err = payload_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);

	if (err || low == high)
		return err ?: cmp(r, NFT_CMP_EQ, &lo, 2);
	err = cmp(r, NFT_CMP_GTE, &lo, 2);
	return err ?: cmp(r, NFT_CMP_LTE, &hi, 2);
}

static int op_build(struct nftnl_rule *r, const struct nft_ctx *x,
		    const struct rs_op *op)
{
	char ifname[IFNAMSIZ_SEGMENTD] = { 0 };
	int err;

	switch (op->kind) {
	case RS_OP_NFPROTO:
		err = meta_load(r, NFT_META_NFPROTO);
		return err ?: cmp_u8(r, (uint8_t)op->u.num);
	case RS_OP_IIFNAME_EQ:
		strncpy(ifname, op->u.name, sizeof(ifname) - 1);
		err = meta_load(r, NFT_META_IIFNAME);
		return err ?: cmp(r, NFT_CMP_EQ, ifname, strlen(ifname) + 1);
	case RS_OP_SADDR_SET:
	case RS_OP_DADDR_SET:
	case RS_OP_SADDR_VMAP:     /* an interval map (compile_shard.c) */
	case RS_OP_DADDR_VMAP:
		return address(r, x, op);
	case RS_OP_L4PROTO:
		err = meta_load(r, NFT_META_L4PROTO);
		return err ?: cmp_u8(r, (uint8_t)op->u.num);
	case RS_OP_DPORT:
		return dport(r, op->u.range.low, op->u.range.high);
	case RS_OP_ICMP_TYPE:
		err = payload_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		return err ?: cmp_u8(r, (uint8_t)op->u.num);
	case RS_OP_HOPLIMIT_EQ:
		err = payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, 7, 1);
		return err ?: cmp_u8(r, (uint8_t)op->u.num);
	case RS_OP_TTL_EQ:
		err = payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 1);
		return err ?: cmp_u8(r, (uint8_t)op->u.num);
	case RS_OP_CT_STATE:
		return ct_state(r, op->u.num);
	case RS_OP_CT_MARK_SET_IN:
		err = ct_load(r, NFT_CT_MARK);
		return err ?: lookup(r, op->u.name, nft_set_id(x, op->u.name),
				     false, false);
	case RS_OP_IIFNAME_VMAP:
	case RS_OP_OIFNAME_VMAP:
		err = meta_load(r, op->kind == RS_OP_IIFNAME_VMAP ?
				NFT_META_IIFNAME : NFT_META_OIFNAME);
		return err ?: lookup(r, op->u.name, nft_set_id(x, op->u.name),
				     false, true);
	case RS_OP_LIMIT:
		return limit(r, op->u.limit.rate, op->u.limit.burst);
	case RS_OP_COUNTER:
		return counter_ref(r, op->u.name);
	case RS_OP_LOG:
		return log_group(r, op->u.log.group, op->u.log.prefix);
	case RS_OP_CT_MARK_ASSIGN:
		return ct_mark_assign(r, op->u.num);
	default:
		return -EINVAL;
	}
}

static int verdict_build(struct nftnl_rule *r, const struct rs_rule *rule)
{
	switch (rule->verdict) {
	case RS_VERDICT_ACCEPT:
		return immediate_verdict(r, NF_ACCEPT, NULL);
	case RS_VERDICT_DROP:
		return immediate_verdict(r, NF_DROP, NULL);
	case RS_VERDICT_JUMP:
		return immediate_verdict(r, NFT_JUMP, rule->target);
	case RS_VERDICT_GOTO:
		return immediate_verdict(r, NFT_GOTO, rule->target);
	default:
		return 0;
	}
}

/* The origin as an nft rule comment, so `nft list` shows where a rule
 * comes from ("flow 'mail-in'"). */
static int comment_build(struct nftnl_rule *r, const struct rs_rule *rule)
{
	struct nftnl_udata_buf *u;

	if (!rule->origin.what)
		return 0;
	u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT,
				  rule->origin.what)) {
		nftnl_udata_buf_free(u);
		return -ENOMEM;
	}
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return 0;
}

int nft_rule_build(const struct nft_ctx *x, const char *chain,
		   const struct rs_rule *rule, struct nftnl_rule **out)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	int err = 0;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, x->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	for (size_t i = 0; i < rule->op_count && !err; i++)
		err = op_build(r, x, &rule->ops[i]);
	err = err ?: verdict_build(r, rule);
	err = err ?: comment_build(r, rule);
	if (err) {
		nftnl_rule_free(r);
		return err;
	}
	*out = r;
	return 0;
}
