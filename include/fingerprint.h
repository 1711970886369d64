/* fingerprint.h - a canonical SHA-256 of our table as the kernel has it.
 *
 * Handles, counter values and transaction-local ids are left out; rules keep
 * their order within a chain; everything else is sorted.  Two dumps of the
 * same ruleset hash the same whoever built it (kernel-notes §5).  The dump
 * is bracketed by GETGEN and retried if the ruleset changed meanwhile.
 */
#ifndef SEGMENTD_FINGERPRINT_H
#define SEGMENTD_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kread.h"
#include "netlink.h"

struct fingerprint {
	bool exists;
	uint32_t flags;          /* table flags as dumped */
	uint32_t genid;          /* ruleset generation of the dump */
	uint8_t digest[32];
	size_t chains, rules, sets, elements, objects;
	bool computed;           /* by fingerprint_expect, never by a read */
};

/* Returns 0 (fp->exists false if there is no such table) or -errno. */
int fingerprint_read(struct nl *nl, const char *table, struct fingerprint *fp);
/* The fingerprint the kernel's dump will have when it holds exactly rs,
 * created with table_flags (nft_table_flags()): computed from the messages
 * that would create it, never from the kernel.  Returns 0 or -errno. */
int fingerprint_expect(struct nl *nl, const struct ruleset *rs,
		       uint32_t table_flags, struct fingerprint *fp);
bool fingerprint_equal(const struct fingerprint *a, const struct fingerprint *b);

#endif
