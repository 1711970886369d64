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

#include "delta.h"

struct mnl_socket;

struct watch_change {
	uint32_t pid;            /* committing process (NFTA_GEN_PROC_PID) */
	char comm[64];           /* its name (NFTA_GEN_PROC_NAME) */
	uint32_t genid;
	char summary[160];       /* "DELRULE x1 NEWRULE x2" */
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
	/* The generations seen whole since the watch last joined the event
	 * group: those from observed_from on (observed: set by the caller
	 * from a generation read after joining).  quiet_from..quiet_to: the
	 * latest run of consecutive ones, each another process's commit
	 * that touched none of our tables (quiet: there is one). */
	bool observed, quiet;
	uint32_t observed_from, quiet_from, quiet_to;
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
/* The main table to watch (a reload may rename it): a new name ends what
 * was known (the run of quiet generations; watch_observed() again). */
void watch_table(struct watch *w, const char *table);
void watch_guard(struct watch *w, const char *guard);
/* Stop and restart listening around our own big transactions when the
 * table is owned (no one else can change it meanwhile): the kernel then
 * builds no event per element for us to read back.  watch_resume drains
 * what was queued and forgets it; it returns a negative errno when the
 * socket could not re-join the group (no drift events until it does). */
/* Out of the event group (pause), in again (resume: what queued is
 * dropped; the run of quiet generations ends with either). */
void watch_pause(struct watch *w);
int watch_resume(struct watch *w);
/* genid: the generation read after the watch (re)joined the group and
 * dropped what was queued: every later generation is seen whole. */
void watch_observed(struct watch *w, uint32_t genid);

#endif
