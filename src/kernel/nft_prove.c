/* nft_prove.c - a commit by difference to an address set, confirmed
 * element by element.
 *
 * After nft_update() changed a few intervals of a set of 100k, dumping
 * the set to verify it costs a second or more (the kernel's dump of an
 * interval set is quadratic).  When nothing but our own commits touched
 * the table since it was verified (enforce.c proves that by the ruleset
 * generation), the set holds what it held, changed by what the commit
 * did; so two things prove it holds the compiled set:
 *  - in user space: the old set without the intervals that went, with
 *    those that came, is exactly the new compiled set (not trusting
 *    ivpack_diff());
 *  - in the kernel: a GET of every element the commit added finds it, key
 *    and flags; a GET of every element it removed (and did not add back)
 *    finds none with that key (kernel_has()).
 * What it cannot see: a batch that changed other elements of the set
 * than those (a bug in nft_update.c's messages, not in the difference):
 * the periodic verification reads every element.
 * Anything else (too many elements to ask, an answer that differs, a
 * kernel that answers otherwise) proves nothing: the caller dumps the set.
 */
#include <errno.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "kread.h"
#include "nft_internal.h"

/* More elements than this changed in one set: a dump is no slower. */
#define PROVE_MAX 256

struct kelem {
	uint8_t key[16];
	bool end;
};

struct klist {
	struct kelem v[2 * PROVE_MAX];
	size_t n;
};

/* The kernel elements of p's intervals, as msg_addr_chunk() sends them. */
static void kelems_of(const struct ivpack *p, struct klist *l)
{
	size_t len = p->width;
	struct ivpack_pos pos;
	uint8_t low[16], high[16];

	l->n = 0;
	ivpack_begin(&pos);
	while (ivpack_next(p, &pos, low, high)) {
		memcpy(l->v[l->n].key, low, len);
		l->v[l->n++].end = false;
		if (addr_next(l->v[l->n].key, high, len))
			l->v[l->n++].end = true;
	}
}

static bool klist_has(const struct klist *l, const struct kelem *e,
		      size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].end == e->end && !memcmp(l->v[i].key, e->key, len))
			return true;
	return false;
}

struct answer {
	const struct kelem *asked;
	size_t len;
	bool same;      /* the kernel's element has the key and flags asked */
	bool key;       /* ... or the key with other flags */
};

static int answer_seen(void *obj, void *data)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(obj);
	struct answer *a = data;
	struct nftnl_set_elem *e;

	while (it && (e = nftnl_set_elems_iter_next(it))) {
		uint32_t klen = 0, flags = 0;
		const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY,
						   &klen);

		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
			flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
		if (!k || klen != a->len || memcmp(k, a->asked->key, klen))
			continue;
		if (!!(flags & NFT_SET_ELEM_INTERVAL_END) == a->asked->end)
			a->same = true;
		else
			a->key = true;
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	return 0;
}

enum has { HAS_NOT, HAS, HAS_UNSURE };

/* What the kernel answers for e: it holds e exactly (HAS), holds nothing
 * with its key (HAS_NOT), or answers with the key and other flags: a
 * start carries no flags, and the kernel may answer a question for an end
 * with the start of the same key, whether that end is there or not
 * (HAS_UNSURE).  An error that is not the read's own (-ENOMEM,
 * -ECANCELED) is HAS_UNSURE too: the set is dumped instead. */
static int kernel_has(struct nl *nl, const char *table, const char *set,
		      const struct kelem *e, size_t len)
{
	struct answer a = { .asked = e, .len = len };
	int err = kread_elem(nl, table, set, e->key, (uint32_t)len,
			     e->end ? NFT_SET_ELEM_INTERVAL_END : 0,
			     answer_seen, &a);

	if (err == -ENOMEM || err == -ECANCELED)
		return err;
	if (err == -ENOENT)
		return HAS_NOT;
	if (err)
		return HAS_UNSURE;
	return a.same ? HAS : a.key ? HAS_UNSURE : HAS_NOT;
}

/* 1: every element that came is there and every one that went (and did
 * not come back) is not; 0: not proven; -errno. */
static int prove_lists(struct nl *nl, const char *table, const char *set,
		       const struct klist *came, const struct klist *went,
		       size_t len)
{
	int r = HAS;

	for (size_t i = 0; i < came->n && r == HAS; i++)
		r = kernel_has(nl, table, set, &came->v[i], len);
	if (r != HAS)
		return r < 0 ? r : 0;
	r = HAS_NOT;
	for (size_t i = 0; i < went->n && r == HAS_NOT; i++)
		if (!klist_has(came, &went->v[i], len))
			r = kernel_has(nl, table, set, &went->v[i], len);
	return r < 0 ? r : r == HAS_NOT;
}

int nft_prove_set(struct nl *nl, const char *table, const struct rs_set *old,
		  const struct rs_set *s)
{
	struct ivpack gone, added;
	struct klist *came = NULL, *went = NULL;
	int r;

	if (!set_packed(s) || !set_packed(old) || old->iv.width != s->iv.width)
		return 0;
	r = ivpack_diff(&old->iv, &s->iv, &gone, &added);
	if (r)
		return r;
	/* a GET may answer an end or a start that share a key with either
	 * (kernel_has()): no touching intervals */
	if (gone.count > PROVE_MAX || added.count > PROVE_MAX ||
	    !ivpack_diff_holds(&old->iv, &gone, &added, &s->iv) ||
	    ivpack_touches(&s->iv))
		goto out;              /* r = 0: not proven */
	came = malloc(sizeof(*came));
	went = malloc(sizeof(*went));
	if (!came || !went) {
		r = -ENOMEM;
		goto out;
	}
	kelems_of(&added, came);
	kelems_of(&gone, went);
	r = prove_lists(nl, table, s->name, came, went, s->iv.width);
out:
	free(came);
	free(went);
	ivpack_free(&gone);
	ivpack_free(&added);
	return r;
}
