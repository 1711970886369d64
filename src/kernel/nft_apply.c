/* nft_apply.c - deciding what the one transaction contains. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nft_internal.h"
#include "delta.h"

#define OWNED_FLAGS (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)

static const struct kobj *kobj_find(const struct kobj *v, size_t n,
				    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static bool set_unchanged(const struct kobj *k, const struct rs_set *s)
{
	struct set_def d = set_def_of(s);

	return k->a == d.flags && k->b == d.key_type && k->c == d.key_len &&
	       k->d == d.data_type;
}

static bool rs_has_obj(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->obj_count; i++)
		if (!strcmp(rs->objs[i].name, name))
			return true;
	return false;
}

/* Create what is missing; existing objects are left as they are. */
static int add_objects(struct batch *bt, const struct nft_ctx *x,
		       const struct kstate *ks)
{
	const struct ruleset *rs = x->rs;
	int err = 0;

	for (size_t i = 0; i < rs->obj_count && !err; i++)
		if (!kobj_find(ks->objs, ks->obj_count, rs->objs[i].name))
			err = msg_obj(bt, x->table, rs->objs[i].name,
				      &rs->objs[i].origin, NFT_MSG_NEWOBJ);
	/* Base chains too: re-sending one asserts its drop policy. */
	for (size_t i = 0; i < rs->chain_count && !err; i++) {
		const struct rs_chain *c = &rs->chains[i];

		if (c->hook != RS_HOOK_NONE ||
		    !kobj_find(ks->chains, ks->chain_count, c->name))
			err = msg_chain(bt, x->table, c, c->name,
					NFT_MSG_NEWCHAIN);
	}
	return err;
}

/* Empty every existing chain, and every set we keep; drop changed and
 * obsolete sets (their rules are already gone), then create new sets. */
static int clear_old(struct batch *bt, const struct nft_ctx *x,
		     const struct kstate *ks)
{
	const struct ruleset *rs = x->rs;
	int err = 0;

	for (size_t i = 0; i < ks->chain_count && !err; i++)
		err = msg_chain(bt, x->table, NULL, ks->chains[i].name,
				NFT_MSG_DELRULE);
	for (size_t i = 0; i < ks->set_count && !err; i++) {
		const struct kobj *k = &ks->sets[i];
		const struct rs_set *s = ruleset_find_set(rs, k->name);

		if (s && set_unchanged(k, s))
			err = msg_set(bt, x, s, k->name, NFT_MSG_DELSETELEM);
		else
			err = msg_set(bt, x, NULL, k->name, NFT_MSG_DELSET);
	}
	for (size_t i = 0; i < rs->set_count && !err; i++) {
		const struct rs_set *s = &rs->sets[i];
		const struct kobj *k = kobj_find(ks->sets, ks->set_count,
						 s->name);

		if (!k || !set_unchanged(k, s))
			err = msg_set(bt, x, s, s->name, NFT_MSG_NEWSET);
	}
	return err;
}

static int fill(struct batch *bt, const struct nft_ctx *x)
{
	const struct ruleset *rs = x->rs;
	int err = 0;

	for (size_t i = 0; i < rs->set_count && !err; i++)
		if (!x->no_elems || !x->no_elems[i])
			err = msg_elems(bt, x, &rs->sets[i]);
	for (size_t i = 0; i < rs->chain_count && !err; i++) {
		const struct rs_chain *c = &rs->chains[i];

		for (size_t j = 0; j < c->rule_count && !err; j++)
			err = msg_rule(bt, x, c, &c->rules[j], j);
	}
	return err;
}

static int delete_obsolete(struct batch *bt, const struct nft_ctx *x,
			   const struct kstate *ks)
{
	int err = 0;

	for (size_t i = 0; i < ks->chain_count && !err; i++)
		if (!ruleset_find_chain(x->rs, ks->chains[i].name))
			err = msg_chain(bt, x->table, NULL, ks->chains[i].name,
					NFT_MSG_DELCHAIN);
	for (size_t i = 0; i < ks->obj_count && !err; i++)
		if (!rs_has_obj(x->rs, ks->objs[i].name))
			err = msg_obj(bt, x->table, ks->objs[i].name, NULL,
				      NFT_MSG_DELOBJ);
	return err;
}

/* Every message that brings x->table, as ks has it, to x->rs; an empty
 * ks (a table created whole) gives nothing to clear or delete. */
static int put_ruleset(struct batch *bt, const struct nft_ctx *x,
		       const struct kstate *ks, uint32_t flags)
{
	int err = msg_table(bt, x->table, NFT_MSG_NEWTABLE, flags);

	err = err ?: add_objects(bt, x, ks);
	err = err ?: clear_old(bt, x, ks);
	err = err ?: fill(bt, x);
	return err ?: delete_obsolete(bt, x, ks);
}

/* The fault hooks below exist in the test build only (build/hooks/
 * segmentd, Makefile): a gateway's daemon never looks at them. */
#ifdef SEGMENTD_TEST_HOOKS
/* Fault injection for the tests (tests/kernel/reject.sh): while the file
 * named by SEGMENTD_FAULT_REJECT exists, every batch ends with a rule that
 * jumps to a chain that does not exist, so the kernel refuses the whole
 * transaction, as it would refuse a feature it lacks. */
int nft_inject_fault(struct batch *bt, const struct nft_ctx *x)
{
	/* static: the batch keeps a pointer to the rule's origin until the
	 * kernel's answers are read */
	static const struct rs_chain c = { .name = (char *)"forward" };
	static const struct rs_rule r = {
		.verdict = RS_VERDICT_JUMP, .target = (char *)"no-such-chain",
		.origin = { .what = "fault injection (SEGMENTD_FAULT_REJECT)" } };
	const char *file = getenv("SEGMENTD_FAULT_REJECT");

	if (!file || access(file, F_OK))
		return 0;
	return msg_rule(bt, x, &c, &r, 0);
}

/* Fault injection for the tests (tests/kernel/genid.sh): when the file
 * named by SEGMENTD_FAULT_STALE_GENID exists, it is removed and the next
 * batch computed from a dump carries a generation that is not the
 * kernel's, as if another process had committed in between. */
static uint32_t genid_fault(uint32_t genid)
{
	const char *file = getenv("SEGMENTD_FAULT_STALE_GENID");

	return file && unlink(file) == 0 ? genid + 1 : genid;
}

/* Fault injection for the tests (tests/kernel/confirm.sh): while the file
 * named by SEGMENTD_FAULT_PAUSE exists, a transaction waits before it is
 * sent (20 s at most), and FILE.paused says that it waits: the test
 * changes the config on disk between the parse and the apply. */
static void pause_fault(void)
{
	const char *file = getenv("SEGMENTD_FAULT_PAUSE");
	char mark[PATH_MAX];
	int fd;

	if (!file || access(file, F_OK))
		return;
	snprintf(mark, sizeof(mark), "%s.paused", file);
	fd = open(mark, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2000 && access(file, F_OK) == 0; i++)
		usleep(10000);
}
#else
int nft_inject_fault(struct batch *bt, const struct nft_ctx *x)
{
	return 0;
}

static uint32_t genid_fault(uint32_t genid)
{
	return genid;
}

static void pause_fault(void)
{
}
#endif

/* A batch computed from a dump of a table another process may change (no
 * owner: ownership off, or before Linux 5.12) carries the dump's
 * generation: a change between the dump and the commit makes the kernel
 * refuse it (ERESTART), and it is computed again. */
static int begin_for(struct batch *bt, struct nl *nl, bool check,
		     const struct kstate *ks)
{
	if (!ks->genid_known || (ks->flags & NFT_TABLE_F_OWNER))
		return batch_begin(bt, nl, check);
	return batch_begin_at(bt, nl, check, genid_fault(ks->genid));
}

/* One transaction: table `table` (as it is in ks) becomes rs. */
static int transaction(struct nl *nl, const struct ruleset *rs,
		       const char *table, const struct kstate *ks,
		       uint32_t flags, bool check, struct diags *d)
{
	struct nft_ctx x = { .rs = rs, .table = table };
	struct batch bt;
	int err = begin_for(&bt, nl, check, ks);

	err = err ?: put_ruleset(&bt, &x, ks, flags);
	err = err ?: nft_inject_fault(&bt, &x);
	if (err)
		diags_add(d, DIAG_ERROR, NULL, 0, "building the batch: %s",
			  strerror(-err));
	else {
		pause_fault();
		err = batch_send(&bt, d);
	}
	batch_free(&bt);
	return err;
}

uint32_t nft_table_flags(enum protection level)
{
	return level == PROTECTION_OWNED ? OWNED_FLAGS : 0;
}

int nft_batch_build_full(struct nl *nl, const struct ruleset *rs,
			 uint32_t flags, const bool *no_elems,
			 struct batch *bt)
{
	struct nft_ctx x = { .rs = rs, .table = rs->table,
			     .no_elems = no_elems };
	struct kstate empty = { 0 };
	int err = batch_begin(bt, nl, true);

	err = err ?: put_ruleset(bt, &x, &empty, flags);
	if (err)
		batch_free(bt);
	return err;
}

static int delete_table(struct nl *nl, const char *table, struct diags *d)
{
	struct batch bt;
	int err = batch_begin(&bt, nl, false);

	err = err ?: msg_table(&bt, table, NFT_MSG_DELTABLE, 0);
	err = err ?: batch_send(&bt, d);
	batch_free(&bt);
	return err;
}

int nft_remove_table(struct nl *nl, const char *table, struct diags *d)
{
	bool exists = false;
	uint32_t flags;
	int err = table_probe(nl, table, &exists, &flags);

	if (err || !exists)
		return err;
	return delete_table(nl, table, d);
}

int nft_adopt(struct nl *nl, const char *table, struct diags *d)
{
	bool exists;
	uint32_t flags;
	struct batch bt;
	int err = table_probe(nl, table, &exists, &flags);

	if (err || !exists)
		return err ? err : -ENOENT;
	if ((flags & OWNED_FLAGS) != NFT_TABLE_F_PERSIST)
		return 0;    /* not an orphan: nothing to take over */
	err = batch_begin(&bt, nl, false);
	err = err ?: msg_table(&bt, table, NFT_MSG_NEWTABLE, OWNED_FLAGS);
	err = err ?: batch_send(&bt, d);
	batch_free(&bt);
	return err;
}

/* Whether the kernel takes a table with these flags: a check batch, no
 * commit.  Only EOPNOTSUPP (unknown table flag) means no; any other
 * failure (EPERM without CAP_NET_ADMIN) is left to the real apply (-1). */
static int probe_table_flags(struct nl *nl, uint32_t flags)
{
	char name[64];
	struct batch bt;
	struct diags d;
	int err;

	snprintf(name, sizeof(name), "segmentd-probe-%d", (int)getpid());
	diags_init(&d);
	err = batch_begin(&bt, nl, true);
	err = err ?: msg_table(&bt, name, NFT_MSG_NEWTABLE, flags);
	err = err ?: batch_send(&bt, &d);
	batch_free(&bt);
	diags_free(&d);
	if (err == -EPERM)
		return -1;
	return err != -EOPNOTSUPP;
}

/* Each asked once per socket: an aborted batch waits for an RCU grace
 * period, which would add milliseconds to every restore.  The variable
 * env, when set, answers no: the tests run as on an older kernel. */
static bool probe_cached(struct nl *nl, int *cache, const char *env,
			 uint32_t flags)
{
	int r;

	if (*cache >= 0)
		return *cache;
	if (getenv(env)) {
		*cache = 0;
		return false;
	}
	r = probe_table_flags(nl, flags);
	if (r < 0)
		return true;      /* unknown yet: the real apply will say why */
	*cache = r;
	return r;
}

/* SEGMENTD_NO_PERSIST=1: as before Linux 6.9 (Debian 12's 6.1, RHEL 9) */
bool nft_probe_persist(struct nl *nl)
{
	return probe_cached(nl, &nl->persist, "SEGMENTD_NO_PERSIST",
			    OWNED_FLAGS);
}

/* SEGMENTD_NO_OWNER=1: as before Linux 5.12 */
bool nft_probe_owner(struct nl *nl)
{
	return probe_cached(nl, &nl->owner, "SEGMENTD_NO_OWNER",
			    NFT_TABLE_F_OWNER);
}

uint32_t nft_table_flags_for(struct nl *nl, const struct ruleset *rs)
{
	/* The guard of a running daemon is owned whenever the kernel can,
	 * whatever `ownership` says of the policy's table: it is the net
	 * under that table, and `nft flush ruleset` must not take both.
	 * (Unowned, its re-creation waits for the flush's own commit to
	 * end: ~60 ms of it at 100k networks.) */
	if (!rs->ownership)
		return rs->owned_while_running && nft_probe_owner(nl) ?
		       NFT_TABLE_F_OWNER : 0;
	if (nft_probe_persist(nl))
		return OWNED_FLAGS;
	return rs->owned_while_running && nft_probe_owner(nl) ?
	       NFT_TABLE_F_OWNER : 0;
}

int nft_check(struct nl *nl, const struct ruleset *rs, struct diags *d)
{
	struct kstate empty = { 0 };
	char name[64];

	snprintf(name, sizeof(name), "segmentd-check-%d", (int)getpid());
	return transaction(nl, rs, name, &empty, 0, true, d);
}

/* The table's flags cannot change in place (the kernel refuses to toggle
 * PERSIST, or to add OWNER to a table that is not an orphan): load the
 * whole ruleset under a bridge name first, swap, then drop the bridge.
 * At every moment at least one complete copy of the policy enforces. */
static int bridge_replace(struct nl *nl, const struct ruleset *rs,
			  uint32_t flags, struct diags *d)
{
	struct nft_ctx x = { .rs = rs, .table = rs->table };
	struct kstate bks = { 0 }, empty = { 0 };
	char bridge[96];
	struct batch bt;
	int err;

	snprintf(bridge, sizeof(bridge), "%s-bridge", rs->table);
	err = kstate_read(nl, bridge, &bks);
	err = err ?: transaction(nl, rs, bridge, &bks, 0, false, d);
	kstate_free(&bks);
	if (err)
		return err;
	/* Old table out, new table in: one transaction, the bridge holds. */
	err = batch_begin(&bt, nl, false);
	err = err ?: msg_table(&bt, rs->table, NFT_MSG_DELTABLE, 0);
	err = err ?: put_ruleset(&bt, &x, &empty, flags);
	err = err ?: batch_send(&bt, d);
	batch_free(&bt);
	/* Whatever happened, the old or the new table enforces now. */
	return delete_table(nl, bridge, d) ?: err;
}

/* In place first.  If the kernel refuses (our table holds something the
 * update cannot reconcile, e.g. a chain of ours re-created on another
 * hook), replace it whole through the bridge. */
static int in_place_or_bridge(struct nl *nl, const struct ruleset *rs,
			      const struct kstate *ks, uint32_t flags,
			      struct diags *d)
{
	struct diags first;
	int err;

	diags_init(&first);
	err = transaction(nl, rs, rs->table, ks, flags, false, &first);
	if (err == -ERESTART) {     /* stale: read again (nft_apply) */
		diags_free(&first);
		return err;
	}
	if (err && err != -EPERM && err != -ENOMEM && ks->exists) {
		for (size_t i = 0; i < first.count; i++)
			diags_add(d, DIAG_WARNING, first.items[i].file,
				  first.items[i].line, "in-place update: %s",
				  first.items[i].message);
		diags_add(d, DIAG_WARNING, NULL, 0, "table '%s' could not be "
			  "updated in place; replacing it through a bridge "
			  "table", rs->table);
		err = bridge_replace(nl, rs, flags, d);
	} else {
		for (size_t i = 0; i < first.count; i++)
			diags_add(d, first.items[i].severity,
				  first.items[i].file, first.items[i].line,
				  "%s", first.items[i].message);
	}
	diags_free(&first);
	return err;
}

static bool flags_compatible(uint32_t have, uint32_t want)
{
	/* ours already, or an orphan to adopt: the kernel lets a new owner
	 * take a persistent table, never gives an unowned one an owner */
	if ((want & NFT_TABLE_F_OWNER) && (have & NFT_TABLE_F_PERSIST))
		return (have | NFT_TABLE_F_OWNER) == want;
	return have == want;
}

/* One read of the table and the transaction computed from it. */
static int apply_read(struct nl *nl, const struct ruleset *rs,
		      uint32_t flags, struct diags *d)
{
	struct kstate ks;
	int err = kstate_read(nl, rs->table, &ks);

	if (err) {
		diags_add(d, DIAG_ERROR, NULL, 0, "reading table '%s': %s",
			  rs->table, strerror(-err));
		return err;
	}
	if ((ks.flags & NFT_TABLE_F_OWNER) && ks.owner != nl->portid) {
		diags_add(d, DIAG_ERROR, NULL, 0,
			  "table '%s' is owned by another running process "
			  "(netlink port %u): is segmentd already running?",
			  rs->table, ks.owner);
		err = -EPERM;
	} else if (ks.exists && !flags_compatible(ks.flags, flags)) {
		err = bridge_replace(nl, rs, flags, d);
	} else {
		err = in_place_or_bridge(nl, rs, &ks, flags, d);
	}
	kstate_free(&ks);
	return err;
}

#define STALE_RETRIES 3

int nft_apply(struct nl *nl, const struct ruleset *rs, struct diags *d,
	      enum protection *level)
{
	uint32_t flags = 0;
	int err = 0;

	*level = PROTECTION_UNOWNED;
	flags = nft_table_flags_for(nl, rs);
	if (flags == OWNED_FLAGS)
		*level = PROTECTION_OWNED;
	else if (rs->ownership && !flags)
		diags_add(d, DIAG_WARNING, NULL, 0,
			  "the kernel has no persistent table ownership "
			  "(NFT_TABLE_F_PERSIST, Linux 6.9); table '%s' "
			  "runs unowned", rs->table);
	for (int i = 0; i < STALE_RETRIES; i++) {
		err = apply_read(nl, rs, flags, d);
		if (err != -ERESTART)
			return err;
		diags_add(d, DIAG_WARNING, NULL, 0, "table '%s' was changed "
			  "by another process between its read and our commit "
			  "(the kernel refused the batch as stale); reading it "
			  "again", rs->table);
	}
	return -EAGAIN;    /* drift, not a failed apply (enforce.c) */
}

#define REFILL_MAX 256   /* sets up to this size are simply refilled */

static bool refill_whole(const struct rs_set *s)
{
	return s->is_map || !s->interval || s->elem_count <= REFILL_MAX;
}

static bool seen_before(const struct watch_delta *dl, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(dl->elems[j].set, dl->elems[i].set))
			return true;
	return false;
}

/* One element of a large interval set, put back as it was. */
static int msg_undo_elem(struct batch *bt, const struct nft_ctx *x,
			 const struct rs_set *s, const struct watch_elem *e)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	struct nftnl_set_elem *ne = nftnl_set_elem_alloc();
	uint16_t type = e->added ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM;

	if (!ns || !ne) {
		nftnl_set_free(ns);
		nftnl_set_elem_free(ne);
		return -ENOMEM;
	}
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, x->table);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
	nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->key, e->key_len);
	if (e->flags)
		nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_FLAGS, e->flags);
	nftnl_set_elem_add(ns, ne);
	return msg_put(bt, type, NFTOBJ_ELEMS, ns, &s->origin, "set '%s' repair",
		       s->name);
}

static int repair_chains(struct batch *bt, const struct nft_ctx *x,
			 const struct watch_delta *dl)
{
	int err = 0;

	for (size_t i = 0; i < dl->chain_count && !err; i++) {
		const struct rs_chain *c = ruleset_find_chain(x->rs,
							      dl->chains[i]);

		if (!c)
			return -ESRCH;
		err = msg_chain_refill(bt, x, c);
	}
	return err;
}

static int repair_sets(struct batch *bt, const struct nft_ctx *x,
		       const struct watch_delta *dl)
{
	int err = 0;

	for (size_t i = 0; i < dl->elem_count && !err; i++) {
		const struct rs_set *s = ruleset_find_set(x->rs,
							  dl->elems[i].set);

		if (!s)
			return -ESRCH;
		if (!refill_whole(s) || seen_before(dl, i))
			continue;
		err = msg_set(bt, x, s, s->name, NFT_MSG_DELSETELEM);
		err = err ?: msg_elems(bt, x, s);
	}
	/* Big interval sets: take out what was added, then put back what
	 * was deleted in the order it went (an interval's start before its
	 * end).  Anything that does not fit fails the batch: full apply. */
	for (int pass = 0; pass < 2 && !err; pass++)
		for (size_t i = 0; i < dl->elem_count && !err; i++) {
			const struct watch_elem *e = &dl->elems[i];
			const struct rs_set *s = ruleset_find_set(x->rs, e->set);

			if (!refill_whole(s) && e->added == (pass == 0))
				err = msg_undo_elem(bt, x, s, e);
		}
	return err;
}

int nft_repair(struct nl *nl, const struct ruleset *rs, uint32_t table_flags,
	       const struct watch_delta *dl, struct diags *d)
{
	struct nft_ctx x = { .rs = rs, .table = rs->table };
	struct batch bt;
	int err;

	if (dl->structural || dl->overflow)
		return -EAGAIN;
	err = batch_begin(&bt, nl, false);
	err = err ?: msg_table(&bt, rs->table, NFT_MSG_NEWTABLE,
			       table_flags & ~NFT_TABLE_F_DORMANT);
	err = err ?: repair_chains(&bt, &x, dl);
	err = err ?: repair_sets(&bt, &x, dl);
	err = err ?: batch_send(&bt, d);
	batch_free(&bt);
	return err;
}
