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

#endif
