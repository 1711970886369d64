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
#include "ruleset.h"

struct fingerprint {
	bool exists;
	uint32_t flags;          /* table flags as dumped */
	uint32_t genid;          /* ruleset generation of the dump */
	uint8_t digest[32];
	size_t chains, rules, sets, elements, objects;
	bool computed;           /* by fingerprint_expect, never by a read */
};

/* The elements of one set of the table, hashed as a read of it gives
 * them (the "S" line of the set carries this digest). */
struct fp_set {
	char name[256];          /* NFT_SET_MAXNAMELEN: shards' names are long */
	uint8_t digest[32];
	size_t elements;
};

struct fp_sets {
	struct fp_set *v;
	size_t n;
};

void fp_sets_free(struct fp_sets *s);
/* NULL when s (may be NULL) has no such set. */
const struct fp_set *fp_sets_find(const struct fp_sets *s, const char *name);

/* Returns 0 (fp->exists false if there is no such table) or -errno. */
int fingerprint_read(struct nl *nl, const char *table, struct fingerprint *fp);
/* The same read, but the elements of the sets in known (may be NULL) are
 * not dumped: their digests are taken as given.  Only for sets the
 * caller has proved the kernel holds as known (enforce.c: no commit but
 * its own since they were read, and those left them alone or were checked
 * element by element). */
int fingerprint_read_known(struct nl *nl, const char *table,
			   const struct fp_sets *known, struct fingerprint *fp);
/* The fingerprint the kernel's dump will have when it holds exactly rs,
 * created with table_flags (nft_table_flags()): computed from the messages
 * that would create it, never from the kernel; the elements of address
 * sets from the compiled intervals, as msg_addr_chunk() sends them.  The
 * digests of the sets in known (may be NULL: sets equal to those of a
 * ruleset computed before) are taken as given.  sets (may be NULL) gets
 * every set's digest.  Returns 0 or -errno. */
int fingerprint_expect(struct nl *nl, const struct ruleset *rs,
		       uint32_t table_flags, const struct fp_sets *known,
		       struct fingerprint *fp, struct fp_sets *sets);
bool fingerprint_equal(const struct fingerprint *a, const struct fingerprint *b);

#endif
