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
 * bound NFQUEUE queues, and bridged zone interfaces with
 * bridge-nf-call-* off.  ifaces: the zone interfaces (may be NULL). */
int bypass_scan(struct nl *nl, const char *our_table,
		char *const *ifaces, size_t iface_count,
		struct hook_report *out);
void hook_report_free(struct hook_report *r);

#endif
