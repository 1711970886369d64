/* kread.c - the one reader of nf_tables objects (kread.h).  The switches
 * are libnftnl's object kinds: one line each, so that a kind is added in
 * one place per step. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>

#include "kread.h"

static void *obj_alloc(uint16_t type)
{
	switch (type) {
	case NFT_MSG_GETTABLE: return nftnl_table_alloc();
	case NFT_MSG_GETCHAIN: return nftnl_chain_alloc();
	case NFT_MSG_GETRULE: return nftnl_rule_alloc();
	case NFT_MSG_GETSET: case NFT_MSG_GETSETELEM: return nftnl_set_alloc();
	case NFT_MSG_GETOBJ: case NFT_MSG_GETOBJ_RESET: return nftnl_obj_alloc();
	default: return NULL;
	}
}

/* libnftnl's free functions do not take NULL. */
static void obj_free(uint16_t type, void *o)
{
	switch (type) {
	case NFT_MSG_GETTABLE: nftnl_table_free(o); break;
	case NFT_MSG_GETCHAIN: nftnl_chain_free(o); break;
	case NFT_MSG_GETRULE: nftnl_rule_free(o); break;
	case NFT_MSG_GETSET: case NFT_MSG_GETSETELEM: nftnl_set_free(o); break;
	default: nftnl_obj_free(o); break;
	}
}

static int obj_parse(uint16_t type, const struct nlmsghdr *nlh, void *o)
{
	switch (type) {
	case NFT_MSG_GETTABLE: return nftnl_table_nlmsg_parse(nlh, o);
	case NFT_MSG_GETCHAIN: return nftnl_chain_nlmsg_parse(nlh, o);
	case NFT_MSG_GETRULE: return nftnl_rule_nlmsg_parse(nlh, o);
	case NFT_MSG_GETSET: return nftnl_set_nlmsg_parse(nlh, o);
	case NFT_MSG_GETSETELEM: return nftnl_set_elems_nlmsg_parse(nlh, o);
	default: return nftnl_obj_nlmsg_parse(nlh, o);
	}
}

int kread_msg(uint16_t type, const struct nlmsghdr *nlh, int bad_msg,
	      kread_fn fn, void *data)
{
	void *o = obj_alloc(type);
	int err;

	if (!o)
		return bad_msg;
	err = obj_parse(type, nlh, o) < 0 ? bad_msg : fn(o, data);
	obj_free(type, o);
	return err;
}

uint32_t kread_set_u32(const struct nftnl_set *s, uint16_t attr)
{
	return nftnl_set_is_set(s, attr) ? nftnl_set_get_u32(s, attr) : 0;
}

/* The names the request carries, set on an object of its kind and written
 * by libnftnl, as each reader wrote them before there was one reader. */
static int put_names(uint16_t type, struct nlmsghdr *nlh, const struct kread *r)
{
	void *o = obj_alloc(type);

	if (!o)
		return -ENOMEM;
	if (type == NFT_MSG_GETTABLE)
		nftnl_table_set_str(o, NFTNL_TABLE_NAME, r->table);
	else if (type == NFT_MSG_GETRULE)
		nftnl_rule_set_str(o, NFTNL_RULE_TABLE, r->table);
	else
		nftnl_set_set_str(o, NFTNL_SET_TABLE, r->table);
	if (type == NFT_MSG_GETSETELEM)
		nftnl_set_set_str(o, NFTNL_SET_NAME, r->set);
	if (type == NFT_MSG_GETTABLE)
		nftnl_table_nlmsg_build_payload(nlh, o);
	else if (type == NFT_MSG_GETRULE)
		nftnl_rule_nlmsg_build_payload(nlh, o);
	else if (type == NFT_MSG_GETSETELEM)
		nftnl_set_elems_nlmsg_build_payload(nlh, o);
	else
		nftnl_set_nlmsg_build_payload(nlh, o);
	obj_free(type, o);
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

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		run->r->intr = true;
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

	r->intr = false;
	return err ?: nl_talk(nl, nlh, kread_cb, &run, &run.err);
}
