/* kread.c - the one reader of nf_tables objects (kread.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "kread.h"
#include "nftobj.h"

/* What answers a GET of type. */
static enum nftobj kind_of(uint16_t type)
{
	switch (type) {
	case NFT_MSG_GETTABLE: return NFTOBJ_TABLE;
	case NFT_MSG_GETCHAIN: return NFTOBJ_CHAIN;
	case NFT_MSG_GETRULE: return NFTOBJ_RULE;
	case NFT_MSG_GETSET: return NFTOBJ_SET;
	case NFT_MSG_GETSETELEM: return NFTOBJ_ELEMS;
	default: return NFTOBJ_OBJ;     /* GETOBJ, GETOBJ_RESET */
	}
}

int kread_msg(uint16_t type, const struct nlmsghdr *nlh, int bad_msg,
	      kread_fn fn, void *data)
{
	enum nftobj k = kind_of(type);
	void *o = nftobj_alloc(k);
	int err;

	if (!o)
		return bad_msg;
	err = nftobj_parse(k, nlh, o) < 0 ? bad_msg : fn(o, data);
	nftobj_free(k, o);
	return err;
}

uint32_t kread_set_u32(const struct nftnl_set *s, uint16_t attr)
{
	return nftnl_set_is_set(s, attr) ? nftnl_set_get_u32(s, attr) : 0;
}

/* The names the request carries, set on an object of its kind and written
 * by libnftnl: the kernel answers for them only. */
static int put_names(uint16_t type, struct nlmsghdr *nlh, const struct kread *r)
{
	enum nftobj k = kind_of(type);
	void *o = nftobj_alloc(k);

	if (!o)
		return -ENOMEM;
	if (k == NFTOBJ_TABLE)
		nftnl_table_set_str(o, NFTNL_TABLE_NAME, r->table);
	else if (k == NFTOBJ_RULE)
		nftnl_rule_set_str(o, NFTNL_RULE_TABLE, r->table);
	else
		nftnl_set_set_str(o, NFTNL_SET_TABLE, r->table);
	if (k == NFTOBJ_ELEMS)
		nftnl_set_set_str(o, NFTNL_SET_NAME, r->set);
	nftobj_payload(k, nlh, o);
	nftobj_free(k, o);
	return 0;
}

static bool names_sent(uint16_t type, const struct kread *r)
{
	return type == NFT_MSG_GETTABLE || type == NFT_MSG_GETSETELEM ||
	       (r->table && (type == NFT_MSG_GETRULE || type == NFT_MSG_GETSET));
}

struct kread_run {
	struct kread *r;
	uint16_t type;
	kread_fn fn;
	int err;
};

static int kread_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kread_run *run = data;

	run->err = kread_msg(run->type, nlh, run->r->bad_msg, run->fn,
			     run->r->data);
	return run->err ? MNL_CB_ERROR : MNL_CB_OK;
}

int kread(struct nl *nl, struct kread *r, uint16_t type, kread_fn fn)
{
	char buf[1024] = { 0 };
	struct kread_run run = { .r = r, .type = type, .fn = fn };
	uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, r->family,
						     flags, nl->seq++);
	int err = names_sent(type, r) ? put_names(type, nlh, r) : 0;

	return err ?: nl_talk(nl, nlh, kread_cb, &run, &run.err);
}

int kread_elem(struct nl *nl, const char *table, const char *set,
	       const void *key, uint32_t len, uint32_t flags, kread_fn fn,
	       void *data)
{
	char buf[512] = { 0 };
	struct kread r = { .family = NFPROTO_INET, .bad_msg = -EIO,
			   .data = data };
	struct kread_run run = { .r = &r, .type = NFT_MSG_GETSETELEM,
				 .fn = fn };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
		NFPROTO_INET, NLM_F_ACK, nl->seq++);
	struct nlattr *list, *el, *k;

	if (len > 64)
		return -EINVAL;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	if (flags)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(flags));
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
	return nl_talk(nl, nlh, kread_cb, &run, &run.err);
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *g = nftnl_gen_alloc();

	if (!g || nftnl_gen_nlmsg_parse(nlh, g) < 0) {
		nftnl_gen_free(g);
		return MNL_CB_ERROR;
	}
	*(uint32_t *)data = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return MNL_CB_OK;
}

int nl_genid(struct nl *nl, uint32_t *genid)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN,
		AF_UNSPEC, NLM_F_ACK, nl->seq++);

	return nl_talk(nl, nlh, gen_cb, genid, NULL);
}

int kread_consistent(struct nl *nl, const struct kread_pass *p,
		     uint32_t *genid)
{
	for (int i = 0; i < KREAD_RETRIES; i++) {
		uint32_t g1 = 0, g2 = 0;
		int err = nl_genid(nl, &g1);

		if (err)
			return err;
		err = p->read(nl, p->ctx);
		if (err == -EINTR)
			continue;       /* the ruleset changed under the dump */
		if (err)
			return err;
		err = p->any_generation ? 0 : nl_genid(nl, &g2);
		if (!err && !p->any_generation && g1 != g2) {
			p->discard(p->ctx);
			continue;       /* a commit came between the parts */
		}
		if (err) {
			p->discard(p->ctx);
			return err;
		}
		if (genid)
			*genid = g1;
		return 0;
	}
	return -EAGAIN;
}
