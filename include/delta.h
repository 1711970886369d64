/* delta.h - what other processes changed in our tables, as the events
 * named it: the watch (keep/watch.c) fills it, the repair
 * (kernel/nft_apply.c, nft_repair) undoes exactly that.  Plain data: the
 * kernel layer needs no watcher to read it.
 */
#ifndef SEGMENTD_DELTA_H
#define SEGMENTD_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netfilter/nf_tables.h>

/* One element another process added or deleted in one of our sets. */
struct watch_elem {
	char set[64];
	bool added;              /* NEWSETELEM (else DELSETELEM) */
	uint8_t key[16];
	uint8_t key_len;
	uint32_t flags;          /* NFT_SET_ELEM_INTERVAL_END ... */
};

#define WATCH_MAX_ELEMS 4096
#define WATCH_MAX_CHAINS 64

/* What foreign changes touched since the last watch_reset_delta(): enough
 * to repair only that, unless `structural` (tables, chains, sets, objects
 * came or went) or `overflow` ask for a full re-apply. */
struct watch_delta {
	bool structural, overflow;
	bool main;                           /* the main table was touched */
	bool guard;                          /* the guard table was touched */
	/* rules added/deleted there; the kernel's longest name fits */
	char chains[WATCH_MAX_CHAINS][NFT_CHAIN_MAXNAMELEN];
	size_t chain_count;
	struct watch_elem *elems;            /* in event order */
	size_t elem_count;
};

#endif
