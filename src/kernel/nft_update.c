/* nft_update.c - a changed ruleset programmed by its difference from the
 * one enforced.
 *
 * When the new compiled ruleset has the shape of the enforced one (the
 * same table, objects, sets and chains: ruleset_same_shape), one
 * transaction rewrites only the chains whose rules changed and, in each
 * set, removes the elements (address sets: the intervals) that went and
 * adds those that came.  Everything else stays as it is in the kernel: at
 * 100k networks one network more is an interval or two, not a flush and
 * refill of 400k elements.  The caller verifies the
 * whole table against the compiled ruleset afterwards, as after any
 * apply, and applies in full if anything differs.
 */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "nft_internal.h"

struct update {
	struct batch *bt;
	struct nft_ctx x;
	struct nft_update_stats *st;
};

static int update_chains(struct update *u, const struct ruleset *from)
{
	const struct ruleset *rs = u->x.rs;
	int err = 0;

	for (size_t i = 0; i < rs->chain_count && !err; i++) {
		const struct rs_chain *c = &rs->chains[i];

		if (ruleset_chain_equal(c, &from->chains[i]))
			continue;
		u->st->chains++;
		err = msg_chain_refill(u->bt, &u->x, c);
	}
	return err;
}

/* Emits the removed elements, then the added ones: those that come
 * never meet what is leaving.  gone and added are temporaries; the
 * messages are reported against s, the set in rs, which outlives the
 * batch. */
static int put_diff(struct update *u, const struct rs_set *s,
		    struct rs_set *gone, struct rs_set *added)
{
	int err = 0;

	u->st->removed += gone->elem_count;
	u->st->added += added->elem_count;
	gone->is_map = false;    /* a deletion names the key alone */
	if (gone->elem_count)
		err = msg_elems_as(u->bt, &u->x, gone, NFT_MSG_DELSETELEM,
				   &s->origin);
	if (added->elem_count && !err)
		err = msg_elems_as(u->bt, &u->x, added, NFT_MSG_NEWSETELEM,
				   &s->origin);
	return err;
}

/* An address set: the intervals that went and those that came (one that
 * changed its bounds is both). */
static int update_intervals(struct update *u, const struct rs_set *old,
			    const struct rs_set *s)
{
	struct rs_set gone = *s, added = *s;
	int err = ivpack_diff(&old->iv, &s->iv, &gone.iv, &added.iv);

	if (err)
		return err;
	gone.elem_count = gone.iv.count;
	added.elem_count = added.iv.count;
	err = put_diff(u, s, &gone, &added);
	ivpack_free(&gone.iv);
	ivpack_free(&added.iv);
	return err;
}

/* The elements of a in no equal form in b, into out (its array borrows
 * a's elements: freed alone); sorted is b's elements in
 * ruleset_elem_cmp order.
 * Flows have a mark each: thousands, so no pairwise search. */
static int missing(const struct rs_set *a, const struct rs_elem *sorted,
		   size_t n, struct rs_set *out)
{
	*out = *a;
	out->elem_count = 0;
	out->elems = calloc(a->elem_count ? a->elem_count : 1,
			    sizeof(*out->elems));
	if (!out->elems)
		return -ENOMEM;
	for (size_t i = 0; i < a->elem_count; i++)
		if (!bsearch(&a->elems[i], sorted, n, sizeof(*sorted),
			     ruleset_elem_cmp))
			out->elems[out->elem_count++] = a->elems[i];
	return 0;
}

/* s's elements (borrowed), sorted for missing(); NULL on ENOMEM. */
static struct rs_elem *sorted_copy(const struct rs_set *s)
{
	struct rs_elem *v = calloc(s->elem_count ? s->elem_count : 1,
				   sizeof(*v));

	if (v && s->elem_count) {
		memcpy(v, s->elems, s->elem_count * sizeof(*v));
		qsort(v, s->elem_count, sizeof(*v), ruleset_elem_cmp);
	}
	return v;
}

/* Interface names, marks, verdict maps: a few elements each (a map
 * element whose verdict changed is removed and added). */
static int update_elems(struct update *u, const struct rs_set *old,
			const struct rs_set *s)
{
	struct rs_elem *old_sorted = sorted_copy(old), *new_sorted = sorted_copy(s);
	struct rs_set gone = { 0 }, added = { 0 };
	int err = !old_sorted || !new_sorted ? -ENOMEM :
		  missing(old, new_sorted, s->elem_count, &gone) ?:
		  missing(s, old_sorted, old->elem_count, &added);

	free(old_sorted);
	free(new_sorted);
	if (!err) {
		gone.name = added.name = s->name;   /* as the kernel has it */
		err = put_diff(u, s, &gone, &added);
	}
	free(gone.elems);
	free(added.elems);
	return err;
}

/* An interval verdict map: flushed and filled again.  A range is two
 * elements in the kernel (its start, the END after it), and a few of them
 * a map: a difference by element would buy nothing. */
static int refill_ranges(struct update *u, const struct rs_set *old,
			 const struct rs_set *s)
{
	int err = msg_set(u->bt, &u->x, s, s->name, NFT_MSG_DELSETELEM);

	u->st->removed += old->elem_count;
	u->st->added += s->elem_count;
	return err ?: msg_elems(u->bt, &u->x, s);
}

static int update_sets(struct update *u, const struct ruleset *from)
{
	const struct ruleset *rs = u->x.rs;
	int err = 0;

	for (size_t i = 0; i < rs->set_count && !err; i++) {
		const struct rs_set *s = &rs->sets[i], *old = &from->sets[i];

		if (ruleset_set_equal(s, old))
			continue;
		u->st->sets++;
		if (s->interval && s->is_map)   /* compile_shard.c's */
			err = refill_ranges(u, old, s);
		else
			err = set_packed(s) ? update_intervals(u, old, s)
					    : update_elems(u, old, s);
	}
	return err;
}

/* st: added to */
int nft_update(struct nl *nl, const struct ruleset *from,
	       const struct ruleset *rs, struct diags *d,
	       enum protection *level, struct nft_update_stats *st)
{
	uint32_t flags = nft_table_flags_for(nl, rs);
	struct update u = { .x = { .rs = rs, .table = rs->table }, .st = st };
	struct batch bt;
	int err;

	if (!ruleset_same_shape(from, rs))
		return -EOPNOTSUPP;
	*level = flags == (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST) ?
		 PROTECTION_OWNED : PROTECTION_UNOWNED;
	u.bt = &bt;
	err = batch_begin(&bt, nl, false);
	/* the table's flags as they are: re-sent, they change nothing */
	err = err ?: msg_table(&bt, rs->table, NFT_MSG_NEWTABLE,
			       flags & ~NFT_TABLE_F_DORMANT);
	err = err ?: update_sets(&u, from);
	err = err ?: update_chains(&u, from);
	err = err ?: nft_inject_fault(&bt, &u.x);
	if (err)
		diags_add(d, DIAG_ERROR, NULL, 0, "building the batch: %s",
			  strerror(-err));
	else
		err = batch_send(&bt, d);
	if (!err)
		st->commits++;
	batch_free(&bt);
	return err;
}
