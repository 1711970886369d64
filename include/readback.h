/* readback.h - our own objects read back from the kernel (not from memory):
 * the accept rules of the zone-pair and management chains, decoded into
 * what they allow, and the named counters.  Used by `segmentctl matrix`
 * (enforced side), `counters`, `audit` and `metrics`. */
#ifndef SEGMENTD_READBACK_H
#define SEGMENTD_READBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define RB_NOT_MAX 512

/* One accept rule of a fwd_A_B or mgmt_Z chain, decoded. */
struct rb_rule {
	char chain[96];
	char src_set[96], dst_set[96];   /* "" when the rule has none */
	/* negated lookups of zone sets, their names in rule order, space
	 * separated ("" when none; "?" when they did not fit): the any zone
	 * matched as "in no other zone's set" (any_zone = "negated") */
	char src_not[RB_NOT_MAX], dst_not[RB_NOT_MAX];
	uint8_t nfproto;                  /* NFPROTO_IPV4/IPV6, 0 if none */
	uint8_t l4proto;                  /* 0: any */
	uint16_t port_low, port_high;     /* tcp/udp, 0 if none */
	int icmp_type;                    /* -1 if none */
	bool ct_new, accept;
	uint32_t mark;                    /* ct mark set, 0 if none */
};

struct rb_counter {
	char name[96];
	uint64_t packets, bytes;
};

struct readback {
	struct rb_rule *rules;
	size_t rule_count;
	struct rb_counter *counters;
	size_t counter_count;
};

/* Reads the rules of our chains and all our counters (reset: zero them
 * atomically as they are read).  Returns 0 or -errno. */
int readback_read(struct nl *nl, const char *table, bool reset,
		  struct readback *rb);
void readback_free(struct readback *rb);
const struct rb_counter *readback_counter(const struct readback *rb,
					  const char *name);

#endif
