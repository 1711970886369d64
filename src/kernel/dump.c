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
#include "kread.h"
#include "nft.h"

struct dump_ctx {
	const char *table;
	struct kstate *ks;
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

static int table_seen(void *obj, void *data)
{
	const struct nftnl_table *t = obj;
	struct dump_ctx *x = data;

	if (!strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), x->table)) {
		x->ks->exists = true;
		x->ks->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		x->ks->has_owner = nftnl_table_is_set(t, NFTNL_TABLE_OWNER);
		if (x->ks->has_owner)
			x->ks->owner = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
	}
	return 0;
}

static int chain_seen(void *obj, void *data)
{
	const struct nftnl_chain *c = obj;
	struct dump_ctx *x = data;
	uint32_t hook = 0;

	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) + 1;
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), x->table))
		return 0;
	return kobj_push(&x->ks->chains, &x->ks->chain_count,
			 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), hook, 0, 0, 0);
}

static int set_seen(void *obj, void *data)
{
	const struct nftnl_set *s = obj;
	struct dump_ctx *x = data;
	uint32_t flags = kread_set_u32(s, NFTNL_SET_FLAGS);

	/* Anonymous sets belong to rules and go with them. */
	if ((flags & NFT_SET_ANONYMOUS) ||
	    strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), x->table))
		return 0;
	return kobj_push(&x->ks->sets, &x->ks->set_count,
			 nftnl_set_get_str(s, NFTNL_SET_NAME), flags,
			 kread_set_u32(s, NFTNL_SET_KEY_TYPE),
			 kread_set_u32(s, NFTNL_SET_KEY_LEN),
			 (flags & NFT_SET_MAP) ?
			 kread_set_u32(s, NFTNL_SET_DATA_TYPE) : 0);
}

static int obj_seen(void *obj, void *data)
{
	struct nftnl_obj *o = obj;
	struct dump_ctx *x = data;

	if (strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), x->table))
		return 0;
	return kobj_push(&x->ks->objs, &x->ks->obj_count,
			 nftnl_obj_get_str(o, NFTNL_OBJ_NAME),
			 nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), 0, 0, 0);
}

/* A read of x->table into x->ks.  An answer that does not parse fails it
 * with -ENOMEM, as an allocation would: no batch is computed from it. */
static struct kread reader(struct dump_ctx *x)
{
	return (struct kread){ .family = NFPROTO_INET, .table = x->table,
			       .bad_msg = -ENOMEM, .data = x };
}

static int get_table(struct nl *nl, struct kread *r)
{
	int err = kread(nl, r, NFT_MSG_GETTABLE, table_seen);

	return err == -ENOENT ? 0 : err;
}

int table_probe(struct nl *nl, const char *table, bool *exists,
		uint32_t *flags)
{
	struct kstate ks = { 0 };
	struct dump_ctx x = { .table = table, .ks = &ks };
	struct kread r = reader(&x);
	int err = get_table(nl, &r);

	*exists = ks.exists;
	*flags = ks.flags;
	return err;
}

static int kstate_read_once(struct nl *nl, const char *table,
			    struct kstate *ks)
{
	struct dump_ctx x = { .table = table, .ks = ks };
	struct kread r = reader(&x);
	int err;

	memset(ks, 0, sizeof(*ks));
	err = get_table(nl, &r);
	if (err || !ks->exists)
		return err;
	err = kread(nl, &r, NFT_MSG_GETCHAIN, chain_seen);
	err = err ?: kread(nl, &r, NFT_MSG_GETSET, set_seen);
	err = err ?: kread(nl, &r, NFT_MSG_GETOBJ, obj_seen);
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

struct kstate_pass {
	const char *table;
	struct kstate *ks;
};

static int kstate_pass_read(struct nl *nl, void *ctx)
{
	struct kstate_pass *p = ctx;

	return kstate_read_once(nl, p->table, p->ks);
}

static void kstate_pass_discard(void *ctx)
{
	kstate_free(((struct kstate_pass *)ctx)->ks);
}

/* Read between two reads of the generation (kread_consistent): a batch
 * computed from it carries that generation (nft_apply.c). */
int kstate_read(struct nl *nl, const char *table, struct kstate *ks)
{
	struct kstate_pass x = { .table = table, .ks = ks };
	struct kread_pass p = { .read = kstate_pass_read,
				.discard = kstate_pass_discard, .ctx = &x };
	uint32_t genid = 0;
	int err = kread_consistent(nl, &p, &genid);

	ks->genid_known = !err;
	ks->genid = genid;
	return err;
}
