/* nft.h - programming the compiled ruleset into the kernel.
 *
 * nft_apply() brings the kernel's table to exactly the ruleset in ONE
 * transaction, keeping the table, its base chains and its sets alive and
 * refilling them in place (never a moment with weaker enforcement; see
 * kernel-notes §3).  Only a change the kernel cannot do in place (the
 * table's ownership flags) goes through a bridge table: the full ruleset is
 * loaded under a second name first, so two tables enforce during the swap.
 */
#ifndef SEGMENTD_NFT_H
#define SEGMENTD_NFT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netfilter/nf_tables.h>

#include "diag.h"
#include "netlink.h"
#include "ruleset.h"

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4   /* Linux 6.9; absent from 6.1 headers */
#endif

/* What the kernel has of our table (dump.c). */
struct kobj {
	char *name;
	uint32_t a, b, c, d;   /* sets: flags, key type, key len, data type;
			        * chains: hooknum+1 (0: regular); objs: type */
};

struct kstate {
	bool exists;
	uint32_t flags;        /* NFT_TABLE_F_* */
	bool has_owner;        /* NFTA_TABLE_OWNER present */
	uint32_t owner;        /* owner's netlink portid */
	bool genid_known;      /* the generation before the dump: a batch */
	uint32_t genid;        /* computed from it carries it (genid) */
	struct kobj *chains, *sets, *objs;
	size_t chain_count, set_count, obj_count;
};

enum protection {
	PROTECTION_OWNED,      /* OWNER|PERSIST: kernel refuses others */
	PROTECTION_UNOWNED,    /* ownership off, or kernel lacks PERSIST */
	PROTECTION_MAX
};

/* dump.c: reads the table's state.  Returns 0 (exists may be false). */
int kstate_read(struct nl *nl, const char *table, struct kstate *ks);
void kstate_free(struct kstate *ks);

/* The table's existence and flags only (cheap: one GET). */
int table_probe(struct nl *nl, const char *table, bool *exists,
		uint32_t *flags);
/* Takes over an orphaned table of ours (OWNER|PERSIST) without changing
 * anything in it.  Returns 0, -ENOENT if there is none, or -errno. */
int nft_adopt(struct nl *nl, const char *table, struct diags *d);

/* Deletes one of our tables if it exists (a stale guard table).  Returns
 * 0 or -errno. */
int nft_remove_table(struct nl *nl, const char *table, struct diags *d);

/* True if the kernel accepts OWNER|PERSIST tables (probe, no commit). */
bool nft_probe_persist(struct nl *nl);
/* True if the kernel accepts OWNER tables (Linux 5.12; probe, no commit). */
bool nft_probe_owner(struct nl *nl);
/* Brings the kernel to rs.  Returns 0, or a negative errno with every
 * kernel error attributed in d.  *level says how the table is protected. */
int nft_apply(struct nl *nl, const struct ruleset *rs, struct diags *d,
	      enum protection *level);
/* Repairs only what another process changed (rules of the named chains,
 * the named set elements), in one transaction; the table must otherwise
 * be as nft_apply() left it.  Returns 0, or -errno: then re-apply fully. */
struct watch_delta;
int nft_repair(struct nl *nl, const struct ruleset *rs, uint32_t table_flags,
	       const struct watch_delta *delta, struct diags *d);

/* What nft_update() changed. */
struct nft_update_stats {
	size_t chains;           /* chains whose rules were rewritten */
	size_t sets;             /* sets whose elements changed */
	size_t added, removed;   /* elements (address sets: intervals) */
	size_t commits;          /* transactions the kernel accepted */
	/* its verification (enforce.c) */
	size_t proved;           /* changed sets confirmed element by element */
	size_t unread;           /* sets whose elements were not dumped */
};
/* Brings the kernel's table from `from` (what it holds: the ruleset last
 * programmed and verified) to rs by their difference, in one transaction:
 * the chains whose rules changed, the elements that came and went
 * (nft_update.c).  Returns 0, -EOPNOTSUPP when rs has another shape
 * (tables, objects, sets or chains differ: nft_apply() it), or -errno;
 * the caller verifies the table as after nft_apply().  *st is added to
 * (a guard and its main table: one sum). */
int nft_update(struct nl *nl, const struct ruleset *from,
	       const struct ruleset *rs, struct diags *d,
	       enum protection *level, struct nft_update_stats *st);

/* After a commit by nft_update() that took set old (an address set) to s:
 * whether the kernel holds s, proved without a dump (nft_prove.c): 1
 * proven, 0 not proven (too many changes to ask, or an answer that
 * differs: dump it), or -errno.  Sound only if no other commit touched
 * the set since it was verified to hold old: the caller proves that. */
int nft_prove_set(struct nl *nl, const char *table, const struct rs_set *old,
		  const struct rs_set *s);

/* The table flags nft_apply() asks for at a protection level. */
uint32_t nft_table_flags(enum protection level);
/* The table flags nft_apply() asks for rs on this kernel: OWNER|PERSIST
 * when ownership is on and the kernel has PERSIST; OWNER alone for a
 * table owned_while_running (a running daemon's guard) on a kernel without
 * it, or with ownership off; else none. */
uint32_t nft_table_flags_for(struct nl *nl, const struct ruleset *rs);
/* Builds, never sends, the batch that would create the table of rs from
 * nothing with flags: the compiled ruleset in the kernel's message form
 * (fingerprint_expect() reads it).  no_elems (NULL: none) names, by the
 * index of the set in rs, the sets whose elements it leaves out.  Uses
 * nl's sequence numbers only.  Returns 0 (bt to be freed with batch_free)
 * or -errno. */
int nft_batch_build_full(struct nl *nl, const struct ruleset *rs,
			 uint32_t flags, const bool *no_elems,
			 struct batch *bt);

/* Lets the kernel validate the whole batch without committing anything
 * (in a scratch table, so it works even while another process owns ours). */
int nft_check(struct nl *nl, const struct ruleset *rs, struct diags *d);

#endif
