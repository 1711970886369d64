/* watch.h - the keep wing's eyes: nftables change events.
 *
 * A second netlink socket subscribed to NFNLGRP_NFTABLES.  Every committed
 * transaction arrives as one message per object followed by NEWGEN, which
 * names the committing process (pid and name).  watch_read() drains what is
 * pending and reports whether someone else changed our table; it never
 * reads the config and never writes to the kernel.
 */
#ifndef SEGMENTD_WATCH_H
#define SEGMENTD_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netfilter/nf_tables.h>

struct mnl_socket;

struct watch_change {
	uint32_t pid;            /* committing process (NFTA_GEN_PROC_PID) */
	char comm[64];           /* its name (NFTA_GEN_PROC_NAME) */
	uint32_t genid;
	char summary[160];       /* "DELRULE x1 NEWRULE x2" */
};

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

struct watch {
	struct mnl_socket *sock;
	int fd;
	char table[64];
	char guard[80];          /* our guard table ("" until set) */
	uint32_t self_portid;    /* our batches' portid: not drift */
	unsigned counts[32];     /* messages touching our table, by type,
				  * since the last NEWGEN */
	bool touched;
	bool elsewhere;          /* a foreign commit anywhere (any table) */
	struct watch_delta delta;
};

enum watch_result {
	WATCH_QUIET,             /* nothing of ours changed (or we did it) */
	WATCH_DRIFT,             /* someone else changed our table */
	WATCH_RESYNC,            /* events were lost (ENOBUFS): verify fully */
	WATCH_RESULT_MAX
};

int watch_open(struct watch *w, const char *table, uint32_t self_portid);
void watch_close(struct watch *w);
/* Drains the socket.  For each foreign transaction that touched our table
 * calls on_change (may be NULL).  Returns the worst result seen. */
enum watch_result watch_read(struct watch *w,
			     void (*on_change)(void *ctx,
					       const struct watch_change *c),
			     void *ctx);

void watch_reset_delta(struct watch *w);
/* Also watch our guard table: a foreign change there is drift too,
 * reported in delta.guard (the main table's in delta.main). */
void watch_guard(struct watch *w, const char *guard);
/* Stop and restart listening around our own big transactions when the
 * table is owned (no one else can change it meanwhile): the kernel then
 * builds no event per element for us to read back.  watch_resume drains
 * what was queued and forgets it; it returns a negative errno when the
 * socket could not re-join the group (no drift events until it does). */
void watch_pause(struct watch *w);
int watch_resume(struct watch *w);

#endif
