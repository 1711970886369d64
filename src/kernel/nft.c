/* nft.c - one transaction that brings our table to the compiled ruleset.
 *
 * Order inside the batch (in-place update, kernel-notes §3):
 *   table (create, or adopt an orphan with OWNER|PERSIST)
 *   counters, chains, sets that are missing (existing ones: no-op)
 *   flush every existing chain; flush kept sets; delete changed/old sets
 *   all elements; all rules; delete old chains and counters
 * Base chains and sets live on, so there is never a moment with a new,
 * not-yet-searchable set or an accept-policy chain on the packet path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nft_internal.h"

/* The elements of one NEWSETELEM message go in one nested attribute
 * (NFTA_SET_ELEM_LIST_ELEMENTS), whose length is 16 bits: past 64 KiB it
 * wraps and the kernel sees a truncated list.  A message is cut by bytes,
 * at a budget well below that (elem_wire_size() overestimates). */
#define ELEM_LIST_BUDGET (48 * 1024)
#define NLA_HDR 4
#define NLA_ALIGNED(n) (((n) + 3u) & ~3u)
#define VERDICT_DATA_LEN 16   /* sizeof(struct nft_verdict) in the kernel */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_MARK 19
#define NFT_TYPE_IFNAME 41

static const struct rs_origin no_origin = { .what = NULL };

/* New objects are created, never replacing (NLM_F_CREATE without
 * NLM_F_REPLACE); a rule goes at the end of its chain. */
static uint16_t create_flags(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWRULE: return NLM_F_CREATE | NLM_F_APPEND;
	case NFT_MSG_NEWTABLE: case NFT_MSG_NEWCHAIN: case NFT_MSG_NEWSET:
	case NFT_MSG_NEWSETELEM: case NFT_MSG_NEWOBJ: return NLM_F_CREATE;
	default: return 0;     /* deletions and flushes */
	}
}

int msg_put(struct batch *bt, uint16_t type, enum nftobj k, void *o,
	    const struct rs_origin *origin, const char *what_fmt, ...)
{
	struct nlmsghdr *nlh;
	uint32_t seq;
	va_list ap;
	void *buf;

	va_start(ap, what_fmt);
	buf = batch_vnext(bt, &seq, origin, what_fmt, ap);
	va_end(ap);
	if (!buf) {
		nftobj_free(k, o);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, create_flags(type),
				    seq);
	nftobj_payload(k, nlh, o);
	nftobj_free(k, o);
	/* never send a list whose length wrapped (a bug in the budget) */
	if (k == NFTOBJ_ELEMS && nlh->nlmsg_len > ELEM_LIST_BUDGET + 4096)
		return -EMSGSIZE;
	return batch_commit_msg(bt);
}

int msg_table(struct batch *bt, const char *table, uint16_t type,
		     uint32_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	return msg_put(bt, type, NFTOBJ_TABLE, t, &no_origin, "table '%s'",
		       table);
}

int msg_obj(struct batch *bt, const char *table, const char *name,
		   const struct rs_origin *o, uint16_t type)
{
	struct nftnl_obj *obj = nftnl_obj_alloc();

	if (!obj)
		return -ENOMEM;
	nftnl_obj_set_str(obj, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_str(obj, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(obj, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (type == NFT_MSG_NEWOBJ)
		nftnl_obj_set_u64(obj, NFTNL_OBJ_CTR_PKTS, 0);
	return msg_put(bt, type, NFTOBJ_OBJ, obj, o, "counter '%s'", name);
}

/* NEWCHAIN (create, or no-op update), DELCHAIN, or DELRULE (flush). */
int msg_chain(struct batch *bt, const char *table,
		     const struct rs_chain *c, const char *name, uint16_t type)
{
	const struct rs_origin *o = c ? &c->origin : &no_origin;
	struct nftnl_chain *ch;
	struct nftnl_rule *r;

	if (type == NFT_MSG_DELRULE) {
		r = nftnl_rule_alloc();
		if (!r)
			return -ENOMEM;
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		return msg_put(bt, type, NFTOBJ_RULE, r, o, "chain '%s' flush",
			       name);
	}
	ch = nftnl_chain_alloc();
	if (!ch)
		return -ENOMEM;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	if (type == NFT_MSG_NEWCHAIN && c && c->hook != RS_HOOK_NONE) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM,
			c->hook == RS_HOOK_INPUT ? NF_INET_LOCAL_IN
						 : NF_INET_FORWARD);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->priority);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_DROP);
	}
	return msg_put(bt, type, NFTOBJ_CHAIN, ch, o, "chain '%s'", name);
}

struct set_def set_def_of(const struct rs_set *s)
{
	static const uint32_t types[RS_KEY_MAX] = {
		[RS_KEY_IPV4] = NFT_TYPE_IPADDR, [RS_KEY_IPV6] = NFT_TYPE_IP6ADDR,
		[RS_KEY_IFNAME] = NFT_TYPE_IFNAME, [RS_KEY_MARK] = NFT_TYPE_MARK,
	};
	static const uint32_t lens[RS_KEY_MAX] = {
		[RS_KEY_IPV4] = 4, [RS_KEY_IPV6] = 16,
		[RS_KEY_IFNAME] = IFNAMSIZ_SEGMENTD, [RS_KEY_MARK] = 4,
	};
	struct set_def d = {
		.flags = (s->interval ? NFT_SET_INTERVAL : 0) |
			 (s->is_map ? NFT_SET_MAP : 0),
		.key_type = types[s->key], .key_len = lens[s->key],
		.data_type = s->is_map ? NFT_DATA_VERDICT : 0,
	};

	return d;
}

static struct nftnl_set *set_alloc(const struct nft_ctx *x,
				   const struct rs_set *s)
{
	struct nftnl_set *ns = nftnl_set_alloc();

	if (!ns)
		return NULL;
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, x->table);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(ns, NFTNL_SET_ID, nft_set_id(x, s->name));
	return ns;
}

/* The key byte order, as nft records it, so that `nft list` prints
 * interface names and marks the right way round. */
static int set_udata(struct nftnl_set *ns, const struct rs_set *s)
{
	enum { BYTEORDER_HOST = 1, BYTEORDER_BIG = 2 };
	bool big = s->key == RS_KEY_IPV4 || s->key == RS_KEY_IPV6;
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (!u)
		return -ENOMEM;
	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER,
			    big ? BYTEORDER_BIG : BYTEORDER_HOST);
	nftnl_set_set_data(ns, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return 0;
}

/* NEWSET, DELSET, or DELSETELEM without elements (flush). */
int msg_set(struct batch *bt, const struct nft_ctx *x,
		   const struct rs_set *s, const char *name, uint16_t type)
{
	struct rs_set tmp = { .name = (char *)name };
	struct nftnl_set *ns = set_alloc(x, s ? s : &tmp);
	const struct rs_origin *o = s ? &s->origin : &no_origin;

	if (!ns)
		return -ENOMEM;
	if (type == NFT_MSG_NEWSET && s) {   /* NEWSET always has s */
		struct set_def d = set_def_of(s);

		nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, d.flags);
		nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, d.key_type);
		nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, d.key_len);
		if (s->is_map) {
			nftnl_set_set_u32(ns, NFTNL_SET_DATA_TYPE, d.data_type);
			/* the kernel takes the verdict's size whatever is
			 * sent, and dumps it: send what it will say */
			nftnl_set_set_u32(ns, NFTNL_SET_DATA_LEN,
					  VERDICT_DATA_LEN);
		}
		if (set_udata(ns, s)) {
			nftnl_set_free(ns);
			return -ENOMEM;
		}
	}
	if (type == NFT_MSG_DELSETELEM)
		return msg_put(bt, type, NFTOBJ_ELEMS, ns, o, "set '%s' flush",
			       name);
	return msg_put(bt, type, NFTOBJ_SET, ns, o, "set '%s'", name);
}

bool addr_next(uint8_t *out, const uint8_t *in, size_t len)
{
	memcpy(out, in, len);
	for (size_t i = len; i-- > 0;)
		if (++out[i] != 0)
			return true;
	return false;
}

/* A range of an interval map as its two elements: its start with the
 * verdict, the address after its end with the INTERVAL_END flag (none
 * when it reaches the top of the space).  ne: the start, allocated. */
static int range_add(struct nftnl_set *ns, const struct rs_set *s,
		     const struct rs_elem *e, size_t *n,
		     struct nftnl_set_elem *ne)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16;
	struct nftnl_set_elem *end;
	uint8_t after[16];

	nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->low, (uint32_t)len);
	nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_VERDICT,
			       e->verdict == RS_VERDICT_JUMP ? NFT_JUMP
							     : NFT_GOTO);
	nftnl_set_elem_set_str(ne, NFTNL_SET_ELEM_CHAIN, e->chain);
	nftnl_set_elem_add(ns, ne);
	(*n)++;
	if (!addr_next(after, e->high, len))
		return 0;
	end = nftnl_set_elem_alloc();
	if (!end)
		return -ENOMEM;
	nftnl_set_elem_set(end, NFTNL_SET_ELEM_KEY, after, (uint32_t)len);
	nftnl_set_elem_set_u32(end, NFTNL_SET_ELEM_FLAGS,
			       NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(ns, end);
	(*n)++;
	return 0;
}

static int elem_add(struct nftnl_set *ns, const struct rs_set *s,
		    const struct rs_elem *e, size_t *n)
{
	struct nftnl_set_elem *ne = nftnl_set_elem_alloc();

	if (!ne)
		return -ENOMEM;
	switch (s->key) {   /* address sets: msg_addr_chunk() */
	case RS_KEY_IPV4:
	case RS_KEY_IPV6:
		if (s->is_map)
			return range_add(ns, s, e, n, ne);
		nftnl_set_elem_free(ne);
		return -EINVAL;
	case RS_KEY_IFNAME:
		nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->low,
				   IFNAMSIZ_SEGMENTD);
		if (s->is_map) {
			nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_VERDICT,
				e->verdict == RS_VERDICT_JUMP ? NFT_JUMP
							      : NFT_GOTO);
			nftnl_set_elem_set_str(ne, NFTNL_SET_ELEM_CHAIN,
					       e->chain);
		}
		break;
	case RS_KEY_MARK:
		nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->low, 4);
		break;
	default:
		nftnl_set_elem_free(ne);
		return -EINVAL;
	}
	nftnl_set_elem_add(ns, ne);
	(*n)++;
	return 0;
}

/* An upper bound of the bytes elem_add() puts in the element list for e:
 * per element a list-element nest, a key nest with its value and a flags
 * attribute; a map element adds a data nest, a verdict nest, its code and
 * the chain name; an address interval is two elements (e not needed:
 * NULL). */
static size_t elem_wire_size(const struct rs_set *s, const struct rs_elem *e)
{
	size_t one = NLA_HDR + NLA_HDR + NLA_HDR + 16 + NLA_HDR + 4;

	if ((s->key == RS_KEY_IPV4 || s->key == RS_KEY_IPV6) && !s->is_map)
		return 2 * one;
	if (s->key == RS_KEY_IPV4 || s->key == RS_KEY_IPV6)
		one *= 2;       /* an interval map's range: two elements */
	if (s->is_map && e->chain)
		one += 3 * NLA_HDR + 4 + NLA_HDR +
		       NLA_ALIGNED(strlen(e->chain) + 1);
	return one;
}

static void put_addr_elem(struct nlmsghdr *nlh, const uint8_t *key,
			  size_t len, bool end)
{
	struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM), *k;

	if (end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS,
				 htonl(NFT_SET_ELEM_INTERVAL_END));
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, el);
}

/* Address intervals, the bulk of a big config, go straight into the
 * message, in the layout libnftnl gives them: one element object each
 * cost a sixth of a restore at 100k networks.  The expected fingerprint
 * parses these very messages, so any difference would show. */
static int msg_addr_chunk(struct batch *bt, const struct nft_ctx *x,
			  const struct rs_set *s, struct rs_iter *it,
			  size_t *i, size_t count, uint16_t type,
			  const struct rs_origin *o)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16, first = *i, last = *i;
	size_t bytes = 0;
	struct nlattr *list;
	struct nlmsghdr *nlh;
	struct rs_elem e;
	uint8_t end[16];
	uint32_t seq;
	void *buf;

	for (; last < count; last++) {
		bytes += elem_wire_size(s, NULL);
		if (last > first && bytes > ELEM_LIST_BUDGET)
			break;
	}
	buf = batch_next(bt, &seq, o, "set '%s' elements %zu-%zu%s",
			 s->name, first + 1, last,
			 type == NFT_MSG_DELSETELEM ? " (removed)" : "");
	if (!buf)
		return -ENOMEM;
	nlh = nftnl_set_elem_nlmsg_build_hdr(buf, type, NFPROTO_INET,
		type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, seq);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
	mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID,
			 htonl(nft_set_id(x, s->name)));
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, x->table);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t j = first; j < last && set_iter_next(s, it, &e); j++) {
		put_addr_elem(nlh, e.low, len, false);
		if (addr_next(end, e.high, len))
			put_addr_elem(nlh, end, len, true);
	}
	mnl_attr_nest_end(nlh, list);
	*i = last;
	/* never send a list whose length wrapped (a bug in the budget) */
	if (nlh->nlmsg_len > ELEM_LIST_BUDGET + 4096)
		return -EMSGSIZE;
	return batch_commit_msg(bt);
}

static int msg_elems_chunk(struct batch *bt, const struct nft_ctx *x,
			   const struct rs_set *s, size_t *i, size_t count,
			   uint16_t type, const struct rs_origin *o)
{
	struct nftnl_set *ns = set_alloc(x, s);
	size_t n = 0, first = *i, bytes = 0;
	int err = 0;

	if (!ns)
		return -ENOMEM;
	for (; *i < count && !err; (*i)++) {
		bytes += elem_wire_size(s, &s->elems[*i]);
		if (n && bytes > ELEM_LIST_BUDGET)
			break;
		err = elem_add(ns, s, &s->elems[*i], &n);
	}
	if (err) {
		nftnl_set_free(ns);
		return err;
	}
	return msg_put(bt, type, NFTOBJ_ELEMS, ns, o,
		       "set '%s' elements %zu-%zu%s", s->name, first + 1, *i,
		       type == NFT_MSG_DELSETELEM ? " (removed)" : "");
}

/* Fault injection for the tests (tests/kernel/verify.sh): when the file
 * named by SEGMENTD_FAULT_DROP_ELEM exists, the next batch sent to the
 * kernel leaves out the last element of its first set of two or more (a
 * batch by difference: the last element it adds to a set), as a truncated
 * message would, and the file is removed (one fault).  An interim table's
 * batch is passed over: it is not read back (enforce.c), the main table
 * that follows it is. */
#ifdef SEGMENTD_TEST_HOOKS   /* build/hooks/segmentd only (Makefile) */
static bool drop_elem_fault(const struct batch *bt, const struct nft_ctx *x,
			    const struct rs_set *s, size_t min)
{
	const char *file;
	size_t n = strlen(x->table), k = strlen("-interim");

	if (bt->check || s->elem_count < min ||
	    (n > k && !strcmp(x->table + n - k, "-interim")))
		return false;
	file = getenv("SEGMENTD_FAULT_DROP_ELEM");
	return file && unlink(file) == 0;
}
#else
static bool drop_elem_fault(const struct batch *bt, const struct nft_ctx *x,
			    const struct rs_set *s, size_t min)
{
	return false;
}
#endif

int msg_elems(struct batch *bt, const struct nft_ctx *x,
		     const struct rs_set *s)
{
	size_t i = 0, count = s->elem_count - drop_elem_fault(bt, x, s, 2);
	bool addr = set_packed(s);
	struct rs_iter it;
	int err = 0;

	set_iter_begin(&it);
	while (i < count && !err)
		err = addr ? msg_addr_chunk(bt, x, s, &it, &i, count,
					    NFT_MSG_NEWSETELEM, &s->origin)
			   : msg_elems_chunk(bt, x, s, &i, count,
					     NFT_MSG_NEWSETELEM, &s->origin);
	return err;
}

int msg_elems_as(struct batch *bt, const struct nft_ctx *x,
		 const struct rs_set *s, uint16_t type,
		 const struct rs_origin *o)
{
	bool addr = set_packed(s);
	size_t i = 0, count = s->elem_count;
	struct rs_iter it;
	int err = 0;

	if (type == NFT_MSG_NEWSETELEM)
		count -= drop_elem_fault(bt, x, s, 1);
	set_iter_begin(&it);
	while (i < count && !err)
		err = addr ? msg_addr_chunk(bt, x, s, &it, &i, count, type, o)
			   : msg_elems_chunk(bt, x, s, &i, count, type, o);
	return err;
}

int msg_rule(struct batch *bt, const struct nft_ctx *x,
		    const struct rs_chain *c, const struct rs_rule *rule,
		    size_t index)
{
	struct nftnl_rule *r;
	int err = nft_rule_build(x, c->name, rule, &r);

	if (err)
		return err;
	return msg_put(bt, NFT_MSG_NEWRULE, NFTOBJ_RULE, r, &rule->origin,
		       "rule %zu of chain '%s'", index + 1, c->name);
}

int msg_chain_refill(struct batch *bt, const struct nft_ctx *x,
		     const struct rs_chain *c)
{
	int err = msg_chain(bt, x->table, c, c->name, NFT_MSG_DELRULE);

	for (size_t j = 0; j < c->rule_count && !err; j++)
		err = msg_rule(bt, x, c, &c->rules[j], j);
	return err;
}

