/* zonenets.h - the zones' networks sorted once, for validation and compile.
 *
 * At 100,000 networks sorting dominates loading: the networks of every
 * zone are sorted together by first address once per family (a radix
 * sort), and everything else is derived from that order in linear passes:
 * each zone's merged intervals (the host checks and the zone's sets), what
 * no zone claims (the "any" zone's sets) and the sorted index validation
 * sweeps for overlaps.  policy.c builds it once per load.
 */
#ifndef SEGMENTD_ZONENETS_H
#define SEGMENTD_ZONENETS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "model.h"

/* One network of one zone (iv first: addr_sort sorts by iv.lo). */
struct zone_net {
	struct interval iv;
	uint32_t zone;
	uint32_t index;   /* its place in the zone's networks */
};

struct zone_nets {
	size_t zone_count;
	/* [slot]: slot 0 IPv4, 1 IPv6 */
	struct zone_net *sorted[2];  /* every network, by (lo, zone, index) */
	size_t count[2];
	struct interval_list *zone;  /* [2 * z + slot]: zone z's, merged */
};

static inline int zone_nets_slot(uint8_t family)
{
	return family == AF_INET6;
}

/* Builds zn from m's zones (unpacked or packed).  0 or -ENOMEM (zn is
 * then freed). */
int zone_nets_build(const struct model *m, struct zone_nets *zn);
/* Zone z's merged intervals of family (never NULL; maybe empty). */
const struct interval_list *zone_nets_of(const struct zone_nets *zn, size_t z,
					 uint8_t family);
/* The addresses of family no zone claims, merged, into out (initialised
 * here).  0 or -ENOMEM. */
int zone_nets_unclaimed(const struct zone_nets *zn, uint8_t family,
			struct interval_list *out);
void zone_nets_free(struct zone_nets *zn);

#endif
