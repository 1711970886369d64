/* enforce.c - apply the compiled ruleset, then prove the kernel holds it;
 * the enforcer, which owns what is enforced. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "enforce.h"

int enforce_verify(struct nl *nl, const char *table,
		   const struct fingerprint *expected, struct fingerprint *now)
{
	int err = fingerprint_read(nl, table, now);

	if (err)
		return err;
	return fingerprint_equal(now, expected);
}

#define RACE_RETRIES 3

/* One table's apply and its verification. */
struct apply_job {
	const struct ruleset *from;   /* by its difference from this (the
				       * kernel holds it, verified), or NULL:
				       * in full */
	const struct ruleset *rs;
	struct fingerprint *expected; /* rs's, computed before (reused), or
				       * zeroed */
	const struct fp_sets *prev;   /* the set digests of prev_rs (may be
				       * NULL) ... */
	const struct ruleset *prev_rs;
	struct fp_sets *sets;         /* out: rs's (may be NULL) */
	struct held *held;            /* the main table's proof (NULL: not
				       * tracked) */
	bool main;                    /* the main table (else the guard) */
	struct nft_update_stats *st;
};

/* The digests of the sets of rs equal to those of prev, into out (its
 * array allocated here; empty when there is no prev). */
static int reusable(const struct fp_sets *prev, const struct ruleset *prev_rs,
		    const struct ruleset *rs, struct fp_sets *out)
{
	memset(out, 0, sizeof(*out));
	if (!prev || !prev_rs || !prev->n)
		return 0;
	out->v = calloc(prev->n, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < rs->set_count; i++) {
		const struct rs_set *s = &rs->sets[i];
		const struct rs_set *p = ruleset_find_set(prev_rs, s->name);
		const struct fp_set *d = fp_sets_find(prev, s->name);

		if (p && d && out->n < prev->n && ruleset_set_equal(p, s))
			out->v[out->n++] = *d;
	}
	return 0;
}

/* After a commit by difference to the main table, which sets need no
 * dump (known: their digests from sets): those it left alone, and the
 * address sets nft_prove_set() confirms element by element.  Only when
 * no other commit came since the table was verified (the caller). */
static int provable(struct nl *nl, const struct apply_job *j,
		    const struct fp_sets *sets, struct fp_sets *known)
{
	const struct ruleset *rs = j->rs;
	int err = 0;

	memset(known, 0, sizeof(*known));
	known->v = calloc(sets->n ? sets->n : 1, sizeof(*known->v));
	if (!known->v)
		return -ENOMEM;
	for (size_t i = 0; i < rs->set_count && !err; i++) {
		const struct rs_set *s = &rs->sets[i], *o = &j->from->sets[i];
		const struct fp_set *d = fp_sets_find(sets, s->name);
		int r = 1;

		if (!d || known->n == sets->n)
			continue;
		if (!ruleset_set_equal(o, s)) {
			r = nft_prove_set(nl, rs->table, o, s);
			j->st->proved += r == 1;
		}
		if (r < 0)
			err = r;
		else if (r == 1)
			known->v[known->n++] = *d;
	}
	return err;
}

/* The kernel's table read back: by the sets that need a dump only when
 * the main table was verified at generation before, and the
 * commit just made is the only one since (else, or when that read shows
 * another commit came, in full). */
static int read_back(struct nl *nl, const struct apply_job *j,
		     const struct fp_sets *sets, uint32_t before, bool held,
		     struct fingerprint *now)
{
	struct fp_sets known;
	int err;

	if (!held || !j->from || !sets->n || !j->st)
		return fingerprint_read(nl, j->rs->table, now);
	err = provable(nl, j, sets, &known);
	err = err ?: fingerprint_read_known(nl, j->rs->table, &known, now);
	if (!err && now->genid == before + 1)
		j->st->unread = known.n;
	else if (!err) {   /* another commit came: all of it */
		j->st->proved = 0;
		err = fingerprint_read(nl, j->rs->table, now);
	}
	fp_sets_free(&known);
	return err;
}

/* What a verified commit of ours proves of the main table: it holds
 * what it was verified to hold as of the read's generation; a lone
 * commit of the guard (one generation on from where the main table was
 * proved) leaves that true; anything else makes it unknown. */
static void advance(const struct apply_job *j, uint32_t before, bool lone,
		    uint32_t now)
{
	struct held *h = j->held;

	if (!h)
		return;
	if (j->main) {
		h->ok = true;
		h->genid = now;
	} else {
		h->ok = h->ok && lone && h->genid == before;
		h->genid = now;
	}
}

#define READ_AGAIN 3

/* A table that differs at the generation of our own commit, while other
 * processes may change it (unowned): read whole again, up to READ_AGAIN
 * times, before the difference is judged ours.  The storm test (CI, ~1
 * run in 50) read the generation of our commit, the same before and after
 * the read, with 40 rules of the next one, another process's, in it: the
 * kernel (6.18 here) makes a commit's objects visible to dumps before the
 * generation moves, so a read racing a commit can hold part of it.  That
 * commit ends with the next generation: a read after it shows that
 * (drift: -EAGAIN below) or, at ours again, what we committed; a
 * difference of ours reads the same every time.  1: equal, 0: differs,
 * -errno. */
static int read_again(struct nl *nl, const struct apply_job *j,
		      const struct fingerprint *expected, uint32_t genid,
		      struct fingerprint *now)
{
	int err = 0;

	if (j->st) {      /* read whole now */
		j->st->unread = 0;
		j->st->proved = 0;
	}
	for (int i = 0; i < READ_AGAIN && err == 0; i++) {
		err = fingerprint_read(nl, j->rs->table, now);
		err = err < 0 ? err : fingerprint_equal(now, expected);
		if (now->genid != genid)
			break;
	}
	return err;
}

/* One apply and its verification.  -EAGAIN: the table differs, but another
 * transaction was committed after ours (ownership off): that is drift, not
 * a failed apply. */
static int apply_once(struct nl *nl, struct apply_job *j, struct diags *d,
		      enum protection *level)
{
	const struct ruleset *rs = j->rs;
	struct fingerprint now, *expected = j->expected;
	struct fp_sets reuse, local = { 0 }, *sets = j->sets ? j->sets : &local;
	uint32_t before = 0, flags;
	size_t unread = 0;       /* sets the first read-back left alone */
	bool again = false;      /* the table read whole a second time */
	int err = nl_genid(nl, &before);
	bool known = err == 0;
	/* the main table verified at this very generation */
	bool held = known && j->main && j->held && j->held->ok &&
		    j->held->genid == before;

	/* a read cut short by new drift (a restore's interrupt): this
	 * apply is overtaken before it starts; with the generation unknown
	 * the foreign change would be judged our failure below */
	if (err == -ECANCELED)
		return err;
	if (j->held && j->main)   /* proved again below, or not at all */
		j->held->ok = false;
	if (nl->mute)
		nl->mute(nl->mute_ctx, true);
	/* from: the kernel holds it (programmed and verified): by the
	 * difference; else in full */
	err = j->from ? nft_update(nl, j->from, rs, d, level, j->st)
		      : nft_apply(nl, rs, d, level);
	if (nl->mute)
		nl->mute(nl->mute_ctx, false);
	if (err) {
		if (j->held)
			j->held->ok = false;
		return err;
	}
	flags = nft_table_flags_for(nl, rs);
	/* the state rs stands for, computed once per ruleset (a restore at
	 * 100k networks would spend a second on it again); the digests of
	 * the sets equal to those of the ruleset before are taken over */
	if (!expected->computed || expected->flags != flags) {
		err = reusable(j->prev, j->prev_rs, rs, &reuse);
		err = err ?: fingerprint_expect(nl, rs, flags, &reuse,
						expected, sets);
		fp_sets_free(&reuse);
	}
	if (err) {
		diags_add(d, DIAG_ERROR, NULL, 0, "computing the expected "
			  "state of table '%s': %s", rs->table, strerror(-err));
		fp_sets_free(&local);
		return err;
	}
	err = read_back(nl, j, sets, before, held, &now);
	fp_sets_free(&local);
	err = err < 0 ? err : fingerprint_equal(&now, expected);
	unread = j->st ? j->st->unread : 0;
	again = err == 0 && known && now.genid == before + 1 &&
		*level == PROTECTION_UNOWNED;
	if (again)
		err = read_again(nl, j, expected, before + 1, &now);
	if (err < 0) {
		if (j->held)
			j->held->ok = false;
		diags_add(d, DIAG_ERROR, NULL, 0, "reading table '%s' back: %s",
			  rs->table, strerror(-err));
		return err;
	}
	if (err == 1)
		advance(j, before, known && now.genid == before + 1,
			now.genid);
	else if (j->held)
		j->held->ok = false;
	/* one commit of ours moves the generation by exactly one: a table
	 * that differs after more is another process's change (made, maybe,
	 * while the event group was muted): drift to restore, not a failure */
	if (err == 0 && known && now.genid != before + 1 && *level ==
	    PROTECTION_UNOWNED)
		return -EAGAIN;
	if (err == 0) {
		diags_add(d, DIAG_ERROR, NULL, 0, "the kernel's table '%s' "
			  "differs from the compiled ruleset after the commit "
			  "(%zu chains, %zu rules, %zu sets, %zu elements "
			  "read; %zu, %zu, %zu, %zu compiled; generation %u "
			  "before, %u read%s%s%s)", rs->table,
			  now.chains, now.rules, now.sets, now.elements,
			  expected->chains, expected->rules, expected->sets,
			  expected->elements, before, now.genid,
			  known ? "" : ", the first unknown",
			  unread ? "; the sets it left alone or confirmed "
			  "element by element not dumped" : "",
			  again ? "; read whole again, the same difference" :
			  "");
		return -EPROTO;
	}
	return 0;
}

/* apply_once, again while another process changed the table after it. */
static int apply_job(struct nl *nl, struct apply_job *j, struct diags *d,
		     enum protection *level)
{
	int err = -EAGAIN;

	for (int i = 0; i < RACE_RETRIES && err == -EAGAIN; i++)
		err = apply_once(nl, j, d, level);
	if (err == -EAGAIN)
		diags_add(d, DIAG_WARNING, NULL, 0, "table '%s' was changed by "
			  "another process after each of %d applies",
			  j->rs->table, RACE_RETRIES);
	return err;
}

int enforce_apply(struct nl *nl, const struct ruleset *rs, struct diags *d,
		  enum protection *level, struct fingerprint *expected)
{
	struct apply_job j = { .rs = rs, .expected = expected, .main = true };

	return apply_job(nl, &j, d, level);
}

int enforce_apply_pair(struct nl *nl, const struct ruleset *rs,
		       const struct ruleset *guard, struct diags *d,
		       enum protection *level, struct fingerprint *expected,
		       struct fingerprint *guard_expected)
{
	int err = 0;

	if (guard)
		err = enforce_apply(nl, guard, d, level, guard_expected);
	return err ?: enforce_apply(nl, rs, d, level, expected);
}

void enforcer_init(struct enforcer *e, struct nl *nl)
{
	memset(e, 0, sizeof(*e));
	e->nl = nl;
}

void enforcer_free(struct enforcer *e)
{
	if (e->have_rs)
		ruleset_free(&e->rs);
	if (e->have_guard)
		ruleset_free(&e->guard);
	fp_sets_free(&e->sets);
	e->have_rs = e->have_guard = false;
	e->held.ok = false;
}

void enforcer_set_mute(struct enforcer *e, void (*mute)(void *ctx, bool on),
		       void *ctx)
{
	e->mute = mute;
	e->mute_ctx = ctx;
}

/* The event group muted around each commit of ours (on), or not. */
static void quiet(struct enforcer *e, bool on)
{
	e->nl->mute = on ? e->mute : NULL;
	e->nl->mute_ctx = e->mute_ctx;
}

static void muted(struct enforcer *e, bool on)
{
	if (e->mute)
		e->mute(e->mute_ctx, on);
}

/* Removes the interim table, if there is one (0, or -errno: it stays,
 * enforcing the same policy, until the next apply or restore).  Its
 * commit, when it is the only one since the main table was proved, leaves
 * that proof true. */
static int drop_interim(struct enforcer *e, const char *table)
{
	char name[RS_NAME_MAX + 16];
	uint32_t before = 0, after = 0, flags;
	bool exists = false, known;
	struct diags d;
	int err;

	ruleset_interim_name(table, name, sizeof(name));
	err = table_probe(e->nl, name, &exists, &flags);
	if (err || !exists)
		return err;
	diags_init(&d);
	known = !nl_genid(e->nl, &before);
	muted(e, true);
	err = nft_remove_table(e->nl, name, &d);
	muted(e, false);
	diags_free(&d);
	if (known && !err && !nl_genid(e->nl, &after) &&
	    after == before + 1 && e->held.ok && e->held.genid == before)
		e->held.genid = after;
	return err;
}

/* A full apply of rs (and guard, if any) with the event group muted
 * around each commit.  sets (may be NULL) gets rs's set digests when
 * they are computed (expected not computed before). */
static int apply_quietly(struct enforcer *e, const struct ruleset *rs,
			 const struct ruleset *guard, struct diags *diags,
			 struct fingerprint *expected,
			 struct fingerprint *guard_expected,
			 struct fp_sets *sets)
{
	struct apply_job g = { .rs = guard, .expected = guard_expected,
			       .held = &e->held };
	struct apply_job m = { .rs = rs, .expected = expected,
			       .prev = e->have_rs ? &e->sets : NULL,
			       .prev_rs = e->have_rs ? &e->rs : NULL,
			       .sets = sets, .held = &e->held, .main = true };
	int err = 0;

	quiet(e, true);
	if (guard)
		err = apply_job(e->nl, &g, diags, &e->level);
	err = err ?: apply_job(e->nl, &m, diags, &e->level);
	quiet(e, false);
	return err;
}

/* The lockdown table has no flows, and admits new connections to the
 * gateway unmarked: it gets no guard. */
static bool wants_guard(const struct ruleset *rs)
{
	return ruleset_find_set(rs, "flow_marks") != NULL;
}

/* The new compiled ruleset (and guard) equal the ones last verified in the
 * kernel (the caller knows no restore is due): there is nothing to
 * commit.  The watchdog keeps defending the table against the same
 * expected state. */
static bool same_guard(const struct enforcer *e, const struct ruleset *guard)
{
	if (!guard)
		return !e->have_guard;
	return e->have_guard && ruleset_equal(guard, &e->guard);
}

static bool unchanged(const struct enforcer *e, const struct ruleset *rs,
		      const struct ruleset *guard)
{
	return e->have_rs && ruleset_equal(rs, &e->rs) && same_guard(e, guard);
}

/* rs (and guard) have the shape of what is enforced: only rules and set
 * elements differ, so each table can become the new one by its
 * difference. */
static bool can_update(const struct enforcer *e, const struct ruleset *rs,
		       const struct ruleset *guard)
{
	return e->have_rs && ruleset_same_shape(&e->rs, rs) &&
	       !guard == !e->have_guard &&
	       (!guard || ruleset_same_shape(&e->guard, guard));
}

/* The guard, if it changed, then the main table, each by its difference
 * from what it holds (can_update), each verified in full like any apply
 * (guard first, as enforce_apply_pair: between the two commits the guard
 * admits no mark the main table does not set yet, or drops one it still
 * sets: fail closed).  0, or -errno: something may have been committed,
 * and the caller applies in full. */
static int update_quietly(struct enforcer *e, const struct ruleset *rs,
			  const struct ruleset *guard, struct diags *diags,
			  struct fingerprint *expected,
			  struct fingerprint *guard_expected,
			  struct fp_sets *sets, struct nft_update_stats *st)
{
	struct apply_job g = { .from = &e->guard, .rs = guard,
			       .expected = guard_expected, .held = &e->held,
			       .st = st };
	struct apply_job m = { .from = &e->rs, .rs = rs, .expected = expected,
			       .prev = &e->sets, .prev_rs = &e->rs,
			       .sets = sets, .held = &e->held, .main = true,
			       .st = st };
	int err = 0;

	memset(st, 0, sizeof(*st));
	quiet(e, true);
	if (guard && same_guard(e, guard))
		*guard_expected = e->guard_expected;
	else if (guard)
		err = apply_once(e->nl, &g, diags, &e->level);
	err = err ?: apply_once(e->nl, &m, diags, &e->level);
	quiet(e, false);
	return err;
}

/* The equal ruleset is taken all the same: its origins point into the
 * model that replaces the old one. */
static void take_unchanged(struct enforcer *e, struct ruleset *rs,
			   struct ruleset *guard)
{
	ruleset_free(&e->rs);
	e->rs = *rs;
	if (guard) {
		ruleset_free(&e->guard);
		e->guard = *guard;
	}
	malloc_trim(0);    /* what parsing the config left behind */
}

/* A commit the kernel does not hold as compiled fails, and the previous
 * ruleset (if any) is programmed again: it stays the baseline. */
int enforcer_apply(struct enforcer *e, struct ruleset *rs, bool restore_due,
		   struct diags *diags, struct enforcer_result *out)
{
	struct fingerprint expected = { 0 }, guard_expected = { 0 };
	bool guarded = wants_guard(rs);
	struct fp_sets sets = { 0 };
	struct ruleset guard;
	struct diags tried;
	bool by_difference;
	int err;

	memset(out, 0, sizeof(*out));
	diags_init(&out->reapply);
	e->updated = false;
	/* no flow marks before (start, lockdown): sweep stale ones */
	out->sweep = guarded && (!e->have_rs || !e->have_guard);
	err = guarded ? ruleset_compile_guard(rs, &guard) : 0;
	if (err)
		return err;
	e->unchanged = !restore_due &&
		       unchanged(e, rs, guarded ? &guard : NULL);
	out->unchanged = e->unchanged;
	if (e->unchanged) {
		take_unchanged(e, rs, guarded ? &guard : NULL);
		drop_interim(e, e->rs.table);   /* one a restore left */
		return 0;
	}
	by_difference = !restore_due &&
			can_update(e, rs, guarded ? &guard : NULL);
	err = -EOPNOTSUPP;
	diags_init(&tried);
	if (by_difference)
		err = update_quietly(e, rs, guarded ? &guard : NULL, &tried,
				     &expected, &guard_expected, &sets,
				     &e->update);
	e->updated = by_difference && !err;
	if (by_difference && err)
		diags_add(diags, DIAG_WARNING, NULL, 0, "programming table "
			  "'%s' by its difference failed (%s%s%s); programming "
			  "it in full", rs->table, strerror(-err),
			  tried.count ? ": " : "",
			  tried.count ? tried.items[tried.count - 1].message
				      : "");
	diags_free(&tried);
	if (err)
		err = apply_quietly(e, rs, guarded ? &guard : NULL, diags,
				    &expected, &guard_expected, &sets);
	/* A full apply that failed otherwise committed nothing; after a
	 * commit by difference (the guard's, say, before the main table's
	 * failed) any failure puts the previous ruleset back. */
	if (err && (err == -EPROTO || err == -EAGAIN ||
		    (by_difference && e->update.commits)) &&
	    e->have_rs &&
	    apply_quietly(e, &e->rs, e->have_guard ? &e->guard : NULL,
			  &out->reapply, &e->expected, &e->guard_expected,
			  NULL))
		out->restore_due = true;    /* the restore path retries */
	if (err) {
		if (guarded)
			ruleset_free(&guard);
		fp_sets_free(&sets);
		return err;
	}
	if (!guarded) {   /* a guard left from a run with a valid config
			   * would drop what the lockdown admits */
		char name[RS_NAME_MAX + 8];

		ruleset_guard_name(rs->table, name, sizeof(name));
		nft_remove_table(e->nl, name, diags);
	}
	/* one left by a restore whose main table failed or that was not
	 * removed (or, before Linux 5.12, by a daemon that died meanwhile):
	 * what is enforced now is this ruleset alone */
	drop_interim(e, e->have_rs ? e->rs.table : rs->table);
	out->previous = e->rs;
	out->had_previous = e->have_rs;
	if (e->have_guard) {
		/* a renamed table: its old guard is ours (owned), no one
		 * else could delete it, and its frozen flow marks would drop
		 * what the new table admits */
		if (guarded && strcmp(e->guard.table, guard.table))
			nft_remove_table(e->nl, e->guard.table, diags);
		ruleset_free(&e->guard);
	}
	e->rs = *rs;
	e->have_rs = true;
	e->expected = expected;
	fp_sets_free(&e->sets);
	e->sets = sets;
	e->have_guard = guarded;
	if (guarded) {
		e->guard = guard;
		e->guard_expected = guard_expected;
		out->guard_table = e->guard.table;
	}
	return 0;
}

void enforcer_result_free(struct enforcer_result *out)
{
	if (out->had_previous)
		ruleset_free(&out->previous);
	out->had_previous = false;
	diags_free(&out->reapply);
}

int enforcer_adopt(struct enforcer *e, const char *table,
		   struct diags *diags)
{
	bool exists;
	uint32_t flags = 0;
	int err = nft_adopt(e->nl, table, diags);

	if (err)
		return err;
	table_probe(e->nl, table, &exists, &flags);
	e->held.ok = false;
	e->level = (flags & NFT_TABLE_F_OWNER) ? PROTECTION_OWNED
					       : PROTECTION_UNOWNED;
	return 0;
}

/* The whole main table put back.  When it is gone and the interim table
 * can be made, that goes first: one commit of about half the intervals
 * (the any zone's complement left out), the same verdict for every packet,
 * so the allowed traffic is back in about half the time; owned while the
 * daemon runs, no other process can change it.  Then the main table, and
 * the interim table removed.  The interim table is not read back: it lives
 * for one commit, and what follows it, the main table, is verified against
 * the compiled ruleset at once; a restore the kernel does not hold as
 * compiled has failed, and the interim table goes with it (the guard
 * holds until a restore succeeds).  Overtaken by more drift, it stays for
 * the next restore, which replaces or removes it. */
static int restore_whole(struct enforcer *e, struct diags *diags,
			 struct enforcer_restore_result *out)
{
	struct ruleset in;
	enum protection level;
	bool exists = true;
	uint32_t flags;
	struct diags first;
	int err, dropped;

	if (!table_probe(e->nl, e->rs.table, &exists, &flags) && !exists &&
	    !ruleset_compile_interim(&e->rs, &in)) {
		diags_init(&first);
		muted(e, true);
		err = nft_apply(e->nl, &in, &first, &level);
		muted(e, false);
		ruleset_free(&in);
		if (err == -ECANCELED) {
			diags_free(&first);
			return err;
		}
		if (!err) {
			out->interim = true;
			out->interim_at = e->nl->committed_at;
		} else {   /* only a shortcut: the main table all the same */
			diags_add(diags, DIAG_WARNING, NULL, 0, "the interim "
				  "table was not put: %s (the main table is "
				  "put back in one commit)", strerror(-err));
		}
		diags_free(&first);
	}
	err = apply_quietly(e, &e->rs, NULL, diags, &e->expected, NULL, NULL);
	if (!err) {
		out->main_back = true;
		out->main_at = e->nl->committed_at;
	}
	if (err == -EAGAIN || err == -ECANCELED)
		return err;     /* overtaken: the next restore follows */
	/* after a failure too: an interim table that is not read back
	 * outlives no failed restore (the guard holds meanwhile) */
	dropped = drop_interim(e, e->rs.table);
	if (!err && dropped == -ECANCELED)
		return dropped;  /* drift meanwhile: restored again */
	out->interim_left = dropped != 0;
	return err;
}

int enforcer_restore(struct enforcer *e, bool full,
		     const struct watch_delta *delta, struct diags *diags,
		     struct enforcer_restore_result *out)
{
	bool guard = e->have_guard && (full || delta->guard);
	struct apply_job g = { .rs = &e->guard, .expected = &e->guard_expected,
			       .held = &e->held };
	int err;

	memset(out, 0, sizeof(*out));
	out->full = full;
	if (!e->have_rs)
		return -ENOENT;
	e->held.ok = false;     /* drift: proved again by a full read */
	/* The guard first: one tiny commit, and nothing new is forwarded
	 * while the main table is put back (`nft flush ruleset`). */
	err = guard ? apply_job(e->nl, &g, diags, &e->level) : 0;
	if (err == -EAGAIN || err == -ECANCELED)
		return err;
	if (!err && guard) {
		out->guard_back = true;   /* nothing new passes from here on */
		out->guard_at = e->nl->committed_at;
	}
	out->finished = true;
	if (!err && !full && delta->guard && !delta->main)
		return 0;                 /* the guard alone */
	full = full || (!delta->chain_count &&
			!delta->elem_count);   /* nothing named */
	err = err ?: full ? -EAGAIN : nft_repair(e->nl, &e->rs,
			e->expected.flags, delta, diags);
	if (err == -ECANCELED) {
		out->finished = false;
		return err;
	}
	if (err) {     /* structural, too much, or refused: all of it */
		diags_free(diags);
		diags_init(diags);
		full = true;
		err = restore_whole(e, diags, out);
	}
	out->full = full;
	return err;
}

/* The guard table as it was programmed (true when there is none). */
static bool guard_intact(struct enforcer *e)
{
	struct fingerprint now;

	return !e->have_guard ||
	       (!fingerprint_read(e->nl, e->guard.table, &now) &&
		fingerprint_equal(&now, &e->guard_expected));
}

int enforcer_verify(struct enforcer *e, struct fingerprint *now)
{
	bool intact;
	int err;

	if (!e->have_rs)
		return -ENOENT;
	err = fingerprint_read(e->nl, e->rs.table, now);
	intact = !err && guard_intact(e);
	if (err == -ECANCELED || e->nl->qsock == NULL)
		return -ECANCELED;   /* drift meanwhile: the restore is due */
	if (err)
		return err;
	if (!fingerprint_equal(now, &e->expected))
		return 0;
	e->held = (struct held){ .ok = true, .genid = now->genid };
	return intact;
}

void enforcer_saw_quiet(struct enforcer *e, uint32_t from, uint32_t to)
{
	struct held *h = &e->held;

	/* the run covers every generation after the one held, up to to */
	if (h->ok && (int32_t)(from - (h->genid + 1)) <= 0 &&
	    (int32_t)(to - h->genid) > 0)
		h->genid = to;
}

int enforcer_check(const struct enforcer *e, struct fingerprint *now)
{
	if (!e->have_rs)
		return -ENOENT;
	return enforce_verify(e->nl, e->rs.table, &e->expected, now);
}

const struct ruleset *enforcer_ruleset(const struct enforcer *e)
{
	return e->have_rs ? &e->rs : NULL;
}

const char *enforcer_table(const struct enforcer *e)
{
	return e->have_rs ? e->rs.table : NULL;
}

const struct fingerprint *enforcer_expected(const struct enforcer *e)
{
	return &e->expected;
}

const struct ruleset *enforcer_guard(const struct enforcer *e)
{
	return e->have_guard ? &e->guard : NULL;
}

const struct fingerprint *enforcer_guard_expected(const struct enforcer *e)
{
	return &e->guard_expected;
}

enum protection enforcer_level(const struct enforcer *e)
{
	return e->level;
}

bool enforcer_unchanged(const struct enforcer *e)
{
	return e->unchanged;
}

const struct nft_update_stats *enforcer_updated(const struct enforcer *e)
{
	return e->updated ? &e->update : NULL;
}
