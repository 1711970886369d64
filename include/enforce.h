/* enforce.h - programming the compiled ruleset and proving it is there.
 *
 * The kernel is compared with what was compiled, never with an earlier read
 * of the kernel: a commit whose result differs (a truncated message, a
 * concurrent change, a kernel that normalised something away) is a failed
 * apply, and a table that differs from the compiled ruleset never becomes
 * the baseline the watchdog defends.
 */
#ifndef SEGMENTD_ENFORCE_H
#define SEGMENTD_ENFORCE_H

#include <stdbool.h>
#include <time.h>

#include "delta.h"
#include "diag.h"
#include "fingerprint.h"
#include "netlink.h"
#include "nft.h"
#include "ruleset.h"

/* nft_apply(), then the kernel's table read back and compared with the
 * fingerprint computed from rs (returned in *expected; one that
 * fingerprint_expect computed for rs and these table flags before is
 * reused: zero it for a new ruleset).  Returns 0, the
 * apply's error, -EPROTO when the kernel holds something else after our
 * commit (said in d), or -EAGAIN when, without ownership, another process
 * changed the table after each of a few tries (drift, not a failure). */
int enforce_apply(struct nl *nl, const struct ruleset *rs, struct diags *d,
		  enum protection *level, struct fingerprint *expected);

/* The guard table first (it must admit the marks of new flows before the
 * main table sets them; it only matters while the main table is gone),
 * then the main table: two transactions, each verified.  guard may be
 * NULL (no guard: the lockdown table). */
int enforce_apply_pair(struct nl *nl, const struct ruleset *rs,
		       const struct ruleset *guard, struct diags *d,
		       enum protection *level, struct fingerprint *expected,
		       struct fingerprint *guard_expected);

/* Whether the kernel's table equals *expected now: 1 yes, 0 no (with
 * *now the kernel's fingerprint), or -errno. */
int enforce_verify(struct nl *nl, const char *table,
		   const struct fingerprint *expected, struct fingerprint *now);

/* The enforcer: what we enforce (the compiled ruleset, its guard, the
 * state computed from each, the protection level) and the only code that
 * changes it.  The daemon composes it with the loop, the control socket
 * and the watch; it reads what is enforced through the accessors below
 * and never writes it.  The enforcer knows no watcher: around a full
 * commit it calls mute (set by the daemon: it pauses the event group). */
/* Whether the main table holds what is enforced as of a ruleset
 * generation: verified by a read at that generation, or since then
 * changed only by our own verified commits, each alone in its generation.
 * Then a commit by difference needs no dump of the sets it leaves alone
 * (enforce.c). */
struct held {
	bool ok;
	uint32_t genid;
};

struct enforcer {
	struct nl *nl;
	struct ruleset rs;
	bool have_rs;
	bool unchanged;                  /* the last apply committed nothing */
	bool updated;                    /* ... or only its difference: */
	struct nft_update_stats update;  /* what it changed */
	enum protection level;
	struct fingerprint expected;     /* computed from rs */
	struct fp_sets sets;             /* ... and its digest of each set */
	struct held held;
	struct ruleset guard;            /* its guard table (not lockdown) */
	bool have_guard;
	struct fingerprint guard_expected;
	void (*mute)(void *ctx, bool on);
	void *mute_ctx;
};

void enforcer_init(struct enforcer *e, struct nl *nl);
void enforcer_free(struct enforcer *e);
/* Called as on = true before each full commit, on = false after it. */
void enforcer_set_mute(struct enforcer *e, void (*mute)(void *ctx, bool on),
		       void *ctx);

/* What enforcer_apply() did, for the daemon's own bookkeeping. */
struct enforcer_result {
	bool unchanged;        /* equal to what is enforced: nothing committed */
	bool restore_due;      /* the previous ruleset could not be put back
				* after the failure: a restore is due */
	bool sweep;            /* no flow marks before: sweep stale ones */
	const char *guard_table;   /* the guard the watch must follow, or
				    * NULL (none: the lockdown table) */
	struct ruleset previous;   /* what was enforced before (had_previous):
				    * the flows it revoked are the daemon's */
	bool had_previous;
	struct diags reapply;  /* what putting the previous ruleset back said */
};

/* Programs rs (and its guard); on success they become what is enforced
 * and verified against (rs is taken).  restore_due: a restore is due, so
 * an equal ruleset is programmed all the same.  Returns 0 or -errno;
 * *out is filled either way: free it with enforcer_result_free(). */
int enforcer_apply(struct enforcer *e, struct ruleset *rs, bool restore_due,
		   struct diags *diags, struct enforcer_result *out);
void enforcer_result_free(struct enforcer_result *out);

/* Takes over an orphaned table of ours at start (nft_adopt) and the level
 * it is protected at; what it holds is not known as a ruleset. */
int enforcer_adopt(struct enforcer *e, const char *table,
		   struct diags *diags);

struct enforcer_restore_result {
	bool guard_back;           /* the guard table was put back ... */
	struct timespec guard_at;  /* ... by the commit of this moment */
	bool interim;              /* the main table was gone: the interim
				    * table (ruleset_compile_interim), the
				    * same policy, was put first ... */
	struct timespec interim_at;  /* ... by the commit of this moment */
	bool interim_left;         /* and could not be removed after the main
				    * table (it is at the next apply) */
	bool main_back;            /* the main table was put back whole ... */
	struct timespec main_at;   /* ... by the commit of this moment */
	bool full;                 /* the main table was re-applied in full */
	bool finished;             /* not overtaken before its end: the delta
				    * is spent (also when the full re-apply
				    * itself was overtaken) */
};

/* Re-asserts what is enforced: the guard first, then a repair of what
 * delta names, else (full, nothing named, or the repair refused) the
 * whole main table; one that is gone is put back in two commits, the
 * interim table first (the same policy, about half the intervals), then
 * the main table, and the interim table removed.  Returns 0 or -errno; -EAGAIN or -ECANCELED: more
 * drift overtook it (not a failure).  diags may be emptied on the way. */
int enforcer_restore(struct enforcer *e, bool full,
		     const struct watch_delta *delta, struct diags *diags,
		     struct enforcer_restore_result *out);

/* Generations from..to were each another process's commit, seen whole
 * by the watch, touching none of our tables: what is known of the main
 * table (struct held) holds through them. */
void enforcer_saw_quiet(struct enforcer *e, uint32_t from, uint32_t to);

/* Whether the kernel holds what is enforced: 1 (the main table and the
 * guard as expected), 0 (it differs: *now is the main table's), -ENOENT
 * (nothing enforced), -ECANCELED (drift meanwhile cut the read short), or
 * the read's -errno. */
int enforcer_verify(struct enforcer *e, struct fingerprint *now);

/* A read of the main table alone, compared with what is expected (no
 * restore follows): 1 equal, 0 not (*now is the kernel's), -ENOENT
 * (nothing enforced), or the read's -errno. */
int enforcer_check(const struct enforcer *e, struct fingerprint *now);

/* What is enforced (NULL: nothing); valid until the next apply. */
const struct ruleset *enforcer_ruleset(const struct enforcer *e);
/* Its table's name, or NULL. */
const char *enforcer_table(const struct enforcer *e);
const struct fingerprint *enforcer_expected(const struct enforcer *e);
/* The guard (NULL: none) and the state computed from it. */
const struct ruleset *enforcer_guard(const struct enforcer *e);
const struct fingerprint *enforcer_guard_expected(const struct enforcer *e);
enum protection enforcer_level(const struct enforcer *e);
bool enforcer_unchanged(const struct enforcer *e);
/* What the last apply changed when it programmed only the difference from
 * the ruleset enforced before (nft_update), else NULL (in full). */
const struct nft_update_stats *enforcer_updated(const struct enforcer *e);

#endif
