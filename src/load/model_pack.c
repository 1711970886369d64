/* model_pack.c - a kept model's zone networks in a few bytes each
 * (model.h).  A network is one byte of family and prefix (IPv4: the
 * prefix, 0-32; IPv6: 33 + the prefix) and the bytes of its address that
 * the prefix covers: validation has refused host bits, so the rest are
 * zero. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"

#define V6_CODE 33

static size_t addr_bytes(unsigned prefix)
{
	return (prefix + 7) / 8;
}

static size_t packed_size(const struct cidr *c)
{
	return 1 + addr_bytes(c->prefix);
}

static size_t pack_one(const struct cidr *c, uint8_t *out)
{
	out[0] = (uint8_t)(c->family == AF_INET ? c->prefix
						: V6_CODE + c->prefix);
	memcpy(out + 1, c->addr, addr_bytes(c->prefix));
	return packed_size(c);
}

static int zone_pack(struct zone *z)
{
	size_t len = 0, at = 0;
	uint8_t *buf;

	if (z->packed || !z->network_count)
		return 0;
	for (size_t i = 0; i < z->network_count; i++)
		len += packed_size(&z->networks[i]);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < z->network_count; i++)
		at += pack_one(&z->networks[i], buf + at);
	free(z->networks);
	z->networks = NULL;
	z->packed = buf;
	z->packed_len = len;
	return 0;
}

int model_pack(struct model *m)
{
	int err = 0;

	for (size_t z = 0; z < m->zone_count; z++)
		if (zone_pack(&m->zones[z]))
			err = -ENOMEM;
	return err;
}

void zone_net_begin(struct zone_net_iter *it)
{
	it->index = it->off = 0;
}

static bool unpack_one(const struct zone *z, size_t *off, struct cidr *out)
{
	uint8_t code;
	size_t n;

	if (*off >= z->packed_len || z->packed[*off] > V6_CODE + 128)
		return false;
	code = z->packed[(*off)++];
	memset(out, 0, sizeof(*out));
	out->family = code < V6_CODE ? AF_INET : AF_INET6;
	out->prefix = (uint8_t)(code < V6_CODE ? code : code - V6_CODE);
	n = addr_bytes(out->prefix);
	if (z->packed_len - *off < n)
		return false;
	memcpy(out->addr, z->packed + *off, n);
	*off += n;
	return true;
}

bool zone_network_next(const struct zone *z, struct zone_net_iter *it,
		       struct cidr *out)
{
	if (it->index >= z->network_count)
		return false;
	if (!z->packed) {
		*out = z->networks[it->index++];
		return true;
	}
	it->index++;
	return unpack_one(z, &it->off, out);
}
