/* zonenets.c - the zones' networks sorted once (see zonenets.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zonenets.h"

static const uint8_t families[2] = { AF_INET, AF_INET6 };

/* How many networks each zone has in each family, and room for them. */
static int zone_nets_size(const struct model *m, struct zone_nets *zn)
{
	for (size_t z = 0; z < m->zone_count; z++) {
		struct zone_net_iter it;
		struct cidr net;
		size_t n[2] = { 0, 0 };

		zone_net_begin(&it);
		while (zone_network_next(&m->zones[z], &it, &net))
			n[zone_nets_slot(net.family)]++;
		for (int s = 0; s < 2; s++) {
			zn->count[s] += n[s];
			if (interval_list_reserve(&zn->zone[2 * z + s], n[s]))
				return -ENOMEM;
		}
	}
	for (int s = 0; s < 2; s++) {
		zn->sorted[s] = malloc((zn->count[s] ? zn->count[s] : 1) *
				       zone_nets_entry_size(s));
		if (!zn->sorted[s])
			return -ENOMEM;
	}
	return 0;
}

static void zone_nets_fill(const struct model *m, struct zone_nets *zn)
{
	size_t at[2] = { 0, 0 };

	for (size_t z = 0; z < m->zone_count; z++) {
		struct zone_net_iter it;
		struct cidr net;
		uint32_t i = 0;

		zone_net_begin(&it);
		while (zone_network_next(&m->zones[z], &it, &net)) {
			int s = zone_nets_slot(net.family);
			size_t len = zone_nets_len(s);
			uint8_t *e = zn->sorted[s] + at[s]++ *
				     zone_nets_entry_size(s);
			uint32_t where[2] = { (uint32_t)z, i++ };
			struct interval iv;

			cidr_to_interval(&net, &iv);
			memcpy(e, iv.lo, len);
			memcpy(e + len, iv.hi, len);
			memcpy(e + 2 * len, where, sizeof(where));
		}
	}
}

int zone_nets_build(const struct model *m, struct zone_nets *zn)
{
	int err = -ENOMEM;

	memset(zn, 0, sizeof(*zn));
	zn->zone_count = m->zone_count;
	zn->zone = calloc(2 * m->zone_count + 1, sizeof(*zn->zone));
	if (!zn->zone)
		return -ENOMEM;
	for (int s = 0; s < 2; s++) {
		for (size_t z = 0; z < m->zone_count; z++)
			interval_list_init(&zn->zone[2 * z + s], families[s]);
	}
	if (zone_nets_size(m, zn))
		goto fail;
	zone_nets_fill(m, zn);
	for (int s = 0; s < 2; s++) {
		/* stable: equal first addresses stay in zone order */
		addr_sort(zn->sorted[s], zn->count[s], zone_nets_entry_size(s),
			  zone_nets_len(s));
		for (size_t i = 0; i < zn->count[s]; i++) {
			struct interval iv;

			zone_nets_interval(zn, s, i, &iv);
			/* room reserved: cannot fail */
			if (interval_list_append_merged(
				&zn->zone[2 * zone_nets_zone(zn, s, i) + s], &iv))
				goto fail;
		}
	}
	return 0;
fail:
	zone_nets_free(zn);
	return err;
}

void zone_nets_interval(const struct zone_nets *zn, int slot, size_t i,
			struct interval *out)
{
	size_t len = zone_nets_len(slot);

	memset(out, 0, sizeof(*out));
	memcpy(out->lo, zone_nets_lo(zn, slot, i), len);
	memcpy(out->hi, zone_nets_hi(zn, slot, i), len);
}

const struct interval_list *zone_nets_of(const struct zone_nets *zn, size_t z,
					 uint8_t family)
{
	return &zn->zone[2 * z + zone_nets_slot(family)];
}

int zone_nets_unclaimed(const struct zone_nets *zn, uint8_t family,
			struct interval_list *out)
{
	int s = zone_nets_slot(family);
	struct complement c;
	int err = complement_begin(&c, family, zn->count[s] + 1, out);

	for (size_t i = 0; i < zn->count[s] && !err; i++) {
		struct interval iv;

		zone_nets_interval(zn, s, i, &iv);
		err = complement_add(&c, &iv);
	}
	return err ?: complement_end(&c);
}

void zone_nets_free(struct zone_nets *zn)
{
	for (int s = 0; s < 2; s++) {
		free(zn->sorted[s]);
		for (size_t z = 0; zn->zone && z < zn->zone_count; z++)
			interval_list_free(&zn->zone[2 * z + s]);
	}
	free(zn->zone);
	memset(zn, 0, sizeof(*zn));
}
