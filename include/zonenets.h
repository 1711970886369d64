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
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "model.h"

/* sorted[slot] holds every network of that family, sorted by first
 * address (ties in zone order), each as one entry of entry_size(slot)
 * bytes: first address, last address (addr_len bytes each), zone, place
 * in the zone's networks (uint32 each): 16 bytes an IPv4 network. */
struct zone_nets {
	size_t zone_count;
	/* [slot]: slot 0 IPv4, 1 IPv6 */
	uint8_t *sorted[2];
	size_t count[2];
	struct interval_list *zone;  /* [2 * z + slot]: zone z's, merged */
};

static inline int zone_nets_slot(uint8_t family)
{
	return family == AF_INET6;
}

static inline size_t zone_nets_len(int slot)
{
	return slot ? 16 : 4;
}

static inline size_t zone_nets_entry_size(int slot)
{
	return 2 * zone_nets_len(slot) + 2 * sizeof(uint32_t);
}

/* Entry i of slot: its first address, last address, zone, place. */
static inline const uint8_t *zone_nets_lo(const struct zone_nets *zn,
					  int slot, size_t i)
{
	return zn->sorted[slot] + i * zone_nets_entry_size(slot);
}

static inline const uint8_t *zone_nets_hi(const struct zone_nets *zn,
					  int slot, size_t i)
{
	return zone_nets_lo(zn, slot, i) + zone_nets_len(slot);
}

static inline uint32_t zone_nets_zone(const struct zone_nets *zn, int slot,
				      size_t i)
{
	uint32_t v;

	memcpy(&v, zone_nets_hi(zn, slot, i) + zone_nets_len(slot), sizeof(v));
	return v;
}

static inline uint32_t zone_nets_index(const struct zone_nets *zn, int slot,
				       size_t i)
{
	uint32_t v;

	memcpy(&v, zone_nets_hi(zn, slot, i) + zone_nets_len(slot) + sizeof(v),
	       sizeof(v));
	return v;
}

/* Entry i of slot as an interval. */
void zone_nets_interval(const struct zone_nets *zn, int slot, size_t i,
			struct interval *out);

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
