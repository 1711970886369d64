/* bypass.h - foreign hooks: what outside our table can carry traffic
 * around our chains or change what reaches them (kernel-notes §6).  Only
 * reported, never modified. */
#ifndef SEGMENTD_BYPASS_H
#define SEGMENTD_BYPASS_H

#include <stddef.h>

#include "netlink.h"

struct hook_report {
	char **items;            /* one line each, e.g. "netdev table 'x' ..." */
	size_t count;
};

/* Scans nftables base chains of every other table (with their dangerous
 * statements: notrack, nat, fwd, dup, queue, drop), legacy iptables tables,
 * bound NFQUEUE queues, bridged zone interfaces with bridge-nf-call-* off,
 * and tc filters (mirred) and XDP programs on zone interfaces.  ifaces: the zone interfaces (may be NULL). */
int bypass_scan(struct nl *nl, const char *our_table,
		char *const *ifaces, size_t iface_count,
		struct hook_report *out);
void hook_report_free(struct hook_report *r);
__attribute__((format(printf, 2, 3)))
void hook_report_add(struct hook_report *r, const char *fmt, ...);
/* bypass_tc.c: tc filters (mirred) and XDP programs on zone interfaces. */
/* 0, or a negative errno when the scan could not be done (then the
 * report is incomplete). */
int bypass_scan_tc(char *const *ifaces, size_t n, struct hook_report *out);

#endif
