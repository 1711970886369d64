/* nft_internal.h - shared by nft.c (the transaction) and nft_rule.c. */
#ifndef SEGMENTD_NFT_INTERNAL_H
#define SEGMENTD_NFT_INTERNAL_H

#include "nft.h"
#include "nftobj.h"
#include "ruleset.h"

#define IFNAMSIZ_SEGMENTD 16

struct nftnl_rule;

/* The ruleset being programmed, under which table name. */
struct nft_ctx {
	const struct ruleset *rs;
	const char *table;
	/* nft_batch_build_full() for fingerprint_expect(): the sets (by
	 * index) whose elements are left out, or NULL */
	const bool *no_elems;
};

/* Transaction-local id of a set (its index + 1). */
static inline uint32_t nft_set_id(const struct nft_ctx *x, const char *name)
{
	const struct rs_set *s = ruleset_find_set(x->rs, name);

	return s ? (uint32_t)(s - x->rs->sets) + 1 : 0;
}

struct batch;

/* nft.c: one message each, appended to the batch. */
struct set_def {
	uint32_t flags, key_type, key_len, data_type;
};

struct set_def set_def_of(const struct rs_set *s);
/* The batch's next message: type, with o's attributes (o: a libnftnl
 * object of kind k, freed whatever happens), reported against origin and
 * what_fmt (batch_next()).  Returns 0 or -errno. */
int msg_put(struct batch *bt, uint16_t type, enum nftobj k, void *o,
	    const struct rs_origin *origin, const char *what_fmt, ...)
	__attribute__((format(printf, 6, 7)));
int msg_table(struct batch *bt, const char *table, uint16_t type,
	      uint32_t flags);
int msg_obj(struct batch *bt, const char *table, const char *name,
	    const struct rs_origin *o, uint16_t type);
/* type: NEWCHAIN, DELCHAIN, or DELRULE (flush the chain); c may be NULL. */
int msg_chain(struct batch *bt, const char *table, const struct rs_chain *c,
	      const char *name, uint16_t type);
/* type: NEWSET, DELSET, or DELSETELEM (flush); s may be NULL but for NEWSET. */
int msg_set(struct batch *bt, const struct nft_ctx *x, const struct rs_set *s,
	    const char *name, uint16_t type);
/* high + 1 in network byte order into out: the key of an interval's end
 * element; false when it wraps (the interval reaches the end of the
 * space, and has no end element). */
bool addr_next(uint8_t *out, const uint8_t *in, size_t len);
int msg_elems(struct batch *bt, const struct nft_ctx *x, const struct rs_set *s);
/* The elements of s (address sets: each interval's start and end), type
 * NEWSETELEM (added) or DELSETELEM (removed; a map's elements then without
 * their verdicts: give s with is_map false), reported against o: the
 * batch keeps the pointer until it is freed, so o must outlive it (s may
 * be a temporary). */
int msg_elems_as(struct batch *bt, const struct nft_ctx *x,
		 const struct rs_set *s, uint16_t type,
		 const struct rs_origin *o);
int msg_rule(struct batch *bt, const struct nft_ctx *x,
	     const struct rs_chain *c, const struct rs_rule *rule, size_t index);
/* Chain c emptied and filled with its rules again (in one batch: atomic). */
int msg_chain_refill(struct batch *bt, const struct nft_ctx *x,
		     const struct rs_chain *c);

/* Test builds (SEGMENTD_FAULT_REJECT, tests/kernel/reject.sh): while the
 * fault file exists, a rule the kernel refuses ends the batch (0: none). */
int nft_inject_fault(struct batch *bt, const struct nft_ctx *x);

int nft_rule_build(const struct nft_ctx *x, const char *chain,
		   const struct rs_rule *rule, struct nftnl_rule **out);

#endif
