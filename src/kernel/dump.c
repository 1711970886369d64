/* dump.c - what the kernel has of our table: existence, flags and owner,
 * and the names (with definitions) of its chains, sets and objects. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "nft.h"

struct dump_ctx {
	const char *table;
	struct kstate *ks;
	int err;
};

static int kobj_push(struct kobj **v, size_t *n, const char *name,
		     uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct kobj *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = (struct kobj){ .name = strdup(name), .a = a, .b = b,
				.c = c, .d = d };
	if (!nv[*n].name)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		x->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	if (!strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), x->table)) {
		x->ks->exists = true;
		x->ks->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		x->ks->has_owner = nftnl_table_is_set(t, NFTNL_TABLE_OWNER);
		if (x->ks->has_owner)
			x->ks->owner = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	uint32_t hook = 0;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		x->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) + 1;
	if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), x->table))
		x->err = x->err ?: kobj_push(&x->ks->chains,
			&x->ks->chain_count,
			nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), hook, 0, 0, 0);
	nftnl_chain_free(c);
	return x->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static uint32_t set_u32(const struct nftnl_set *s, uint16_t attr)
{
	return nftnl_set_is_set(s, attr) ? nftnl_set_get_u32(s, attr) : 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t flags;

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		x->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	flags = set_u32(s, NFTNL_SET_FLAGS);
	/* Anonymous sets belong to rules and go with them. */
	if (!(flags & NFT_SET_ANONYMOUS) &&
	    !strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), x->table))
		x->err = x->err ?: kobj_push(&x->ks->sets, &x->ks->set_count,
			nftnl_set_get_str(s, NFTNL_SET_NAME), flags,
			set_u32(s, NFTNL_SET_KEY_TYPE),
			set_u32(s, NFTNL_SET_KEY_LEN),
			(flags & NFT_SET_MAP) ? set_u32(s, NFTNL_SET_DATA_TYPE)
					      : 0);
	nftnl_set_free(s);
	return x->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o || nftnl_obj_nlmsg_parse(nlh, o) < 0) {
		nftnl_obj_free(o);
		x->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	if (!strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), x->table))
		x->err = x->err ?: kobj_push(&x->ks->objs, &x->ks->obj_count,
			nftnl_obj_get_str(o, NFTNL_OBJ_NAME),
			nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), 0, 0, 0);
	nftnl_obj_free(o);
	return x->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Sends one request and runs cb on every answer until the end. */
static int talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		struct dump_ctx *x)
{
	return nl_talk(nl, nlh, cb, x, &x->err);
}

static int get_table(struct nl *nl, struct dump_ctx *x)
{
	char buf[8192] = { 0 };
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int err;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, x->table);
	nlh = nftnl_table_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
					  NLM_F_ACK, nl->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = talk(nl, nlh, table_cb, x);
	return err == -ENOENT ? 0 : err;
}

int table_probe(struct nl *nl, const char *table, bool *exists,
		uint32_t *flags)
{
	struct kstate ks = { 0 };
	struct dump_ctx x = { .table = table, .ks = &ks };
	int err = get_table(nl, &x);

	*exists = ks.exists;
	*flags = ks.flags;
	return err;
}

static int kstate_read_once(struct nl *nl, const char *table,
			    struct kstate *ks)
{
	char buf[8192] = { 0 };
	struct dump_ctx x = { .table = table, .ks = ks };
	struct nlmsghdr *nlh;
	int err;

	memset(ks, 0, sizeof(*ks));
	err = get_table(nl, &x);
	if (err || !ks->exists)
		return err;
	nlh = nftnl_chain_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET,
					  NLM_F_DUMP, nl->seq++);
	err = talk(nl, nlh, chain_cb, &x);
	if (!err) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nlh = nftnl_set_nlmsg_build_hdr(buf, NFT_MSG_GETSET,
				NFPROTO_INET, NLM_F_DUMP, nl->seq++);
		nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		err = talk(nl, nlh, set_cb, &x);
	}
	if (!err) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ,
				NFPROTO_INET, NLM_F_DUMP, nl->seq++);
		err = talk(nl, nlh, obj_cb, &x);
	}
	if (err)
		kstate_free(ks);
	return err;
}

static void kobjs_free(struct kobj *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void kstate_free(struct kstate *ks)
{
	if (!ks)
		return;
	kobjs_free(ks->chains, ks->chain_count);
	kobjs_free(ks->sets, ks->set_count);
	kobjs_free(ks->objs, ks->obj_count);
	memset(ks, 0, sizeof(*ks));
}

/* A dump that the kernel interrupts (the ruleset changed under it, EINTR)
 * is read again. */
int kstate_read(struct nl *nl, const char *table, struct kstate *ks)
{
	int err = -EINTR;

	for (int i = 0; i < 8 && err == -EINTR; i++) {
		uint32_t genid = 0;
		bool known = nl_genid(nl, &genid) == 0;

		err = kstate_read_once(nl, table, ks);
		ks->genid_known = !err && known;
		ks->genid = genid;
	}
	return err;
}
