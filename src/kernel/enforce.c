/* enforce.c - apply the compiled ruleset, then prove the kernel holds it. */
#include <errno.h>
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

/* One apply and its verification.  -EAGAIN: the table differs, but another
 * transaction was committed after ours (ownership off): that is drift, not
 * a failed apply. */
static int apply_once(struct nl *nl, const struct ruleset *rs,
		      struct diags *d, enum protection *level,
		      struct fingerprint *expected)
{
	struct fingerprint now;
	uint32_t before = 0, flags;
	bool known = nl_genid(nl, &before) == 0;
	int err;

	if (nl->mute)
		nl->mute(nl->mute_ctx, true);
	err = nft_apply(nl, rs, d, level);
	if (nl->mute)
		nl->mute(nl->mute_ctx, false);
	if (err)
		return err;
	flags = nft_table_flags_for(nl, rs);
	/* the state rs stands for, computed once per ruleset: a restore at
	 * 100k networks would spend a second on it again */
	if (!expected->computed || expected->flags != flags)
		err = fingerprint_expect(nl, rs, flags, expected);
	if (err) {
		diags_add(d, DIAG_ERROR, NULL, 0, "computing the expected "
			  "state of table '%s': %s", rs->table, strerror(-err));
		return err;
	}
	err = enforce_verify(nl, rs->table, expected, &now);
	if (err < 0) {
		diags_add(d, DIAG_ERROR, NULL, 0, "reading table '%s' back: %s",
			  rs->table, strerror(-err));
		return err;
	}
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
			  "read; %zu, %zu, %zu, %zu compiled)", rs->table,
			  now.chains, now.rules, now.sets, now.elements,
			  expected->chains, expected->rules, expected->sets,
			  expected->elements);
		return -EPROTO;
	}
	return 0;
}

int enforce_apply(struct nl *nl, const struct ruleset *rs, struct diags *d,
		  enum protection *level, struct fingerprint *expected)
{
	int err = -EAGAIN;

	for (int i = 0; i < RACE_RETRIES && err == -EAGAIN; i++)
		err = apply_once(nl, rs, d, level, expected);
	if (err == -EAGAIN)
		diags_add(d, DIAG_WARNING, NULL, 0, "table '%s' was changed by "
			  "another process after each of %d applies", rs->table,
			  RACE_RETRIES);
	return err;
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
