/* peer_beacon.c - the HA peer beacon's wire codec, replay check and the
 * keepalived weight (include/peer.h has the format).  Pure: no I/O. */
#include <errno.h>
#include <string.h>

#include "hmac.h"
#include "peer.h"

#define BODY_LEN (PEER_BEACON_LEN - HMAC_SHA256_LEN)
static const uint8_t MAGIC[4] = { 'S', 'G', 'P', 'B' };

const char *peer_state_name(unsigned state)
{
	static const char *const names[PEER_STATE_MAX] = {
		[PEER_ENFORCING] = "enforcing",
		[PEER_DEGRADED] = "degraded",
		[PEER_LOCKDOWN] = "lockdown",
	};

	return state < PEER_STATE_MAX ? names[state] : "unknown";
}

const char *peer_compare_name(enum peer_compare c)
{
	return c == PEER_SAME ? "same" : c == PEER_DIFFERS ? "DIFFERS" : "unknown";
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool node_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* A name of 1..63 allowed characters, NUL-padded to PEER_NODE_MAX. */
static bool node_ok(const char *field)
{
	size_t n = strnlen(field, PEER_NODE_MAX);

	if (n == 0 || n >= PEER_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!node_char_ok(field[i]))
			return false;
	for (size_t i = n; i < PEER_NODE_MAX; i++)
		if (field[i] != '\0')
			return false;
	return true;
}

int peer_beacon_encode(const struct peer_beacon *b, const void *key,
		       size_t key_len, uint8_t out[PEER_BEACON_LEN])
{
	char node[PEER_NODE_MAX] = { 0 };
	size_t n = strnlen(b->node, PEER_NODE_MAX);

	if (n >= PEER_NODE_MAX || b->state >= PEER_STATE_MAX)
		return -EINVAL;
	memcpy(node, b->node, n);
	if (!node_ok(node))
		return -EINVAL;
	memset(out, 0, PEER_BEACON_LEN);
	memcpy(out, MAGIC, sizeof(MAGIC));
	out[4] = PEER_BEACON_VERSION;
	out[5] = b->state;
	out[6] = b->in_sync ? 1 : 0;
	put64(out + 8, b->seq);
	put64(out + 16, (uint64_t)b->time);
	put64(out + 24, (uint64_t)b->last_apply);
	memcpy(out + 32, node, PEER_NODE_MAX);
	memcpy(out + 96, b->config_sha256, 32);
	memcpy(out + 128, b->ruleset_sha256, 32);
	memcpy(out + 160, b->policy_sha256, 32);
	hmac_sha256(key, key_len, out, BODY_LEN, out + BODY_LEN);
	return 0;
}

int peer_beacon_decode(const uint8_t *buf, size_t len, const void *key,
		       size_t key_len, struct peer_beacon *b)
{
	uint8_t tag[HMAC_SHA256_LEN];
	bool ok;

	if (len != PEER_BEACON_LEN)
		return -EBADMSG;
	hmac_sha256(key, key_len, buf, BODY_LEN, tag);
	ok = hmac_equal(tag, buf + BODY_LEN, sizeof(tag));
	memset(tag, 0, sizeof(tag));
	if (!ok)
		return -EPERM;
	if (memcmp(buf, MAGIC, sizeof(MAGIC)) != 0 || buf[4] != PEER_BEACON_VERSION ||
	    buf[5] >= PEER_STATE_MAX || buf[6] > 1 || buf[7] != 0 ||
	    !node_ok((const char *)buf + 32))
		return -EBADMSG;
	memset(b, 0, sizeof(*b));
	b->version = buf[4];
	b->state = buf[5];
	b->in_sync = buf[6] == 1;
	b->seq = get64(buf + 8);
	b->time = (int64_t)get64(buf + 16);
	b->last_apply = (int64_t)get64(buf + 24);
	memcpy(b->node, buf + 32, PEER_NODE_MAX);
	memcpy(b->config_sha256, buf + 96, 32);
	memcpy(b->ruleset_sha256, buf + 128, 32);
	memcpy(b->policy_sha256, buf + 160, 32);
	return 0;
}

int peer_replay_check(struct peer_replay *r, const struct peer_beacon *b,
		      time_t now, unsigned window)
{
	int64_t skew = b->time - (int64_t)now;

	if (skew > (int64_t)window || skew < -(int64_t)window)
		return -ETIME;
	if (r->seen && b->seq <= r->last_seq)
		return -ESTALE;
	r->seen = true;
	r->last_seq = b->seq;
	return 0;
}

enum peer_compare peer_compare(const uint8_t ours[32], const struct peer_beacon *peer)
{
	if (!peer)
		return PEER_UNKNOWN;
	return memcmp(ours, peer->ruleset_sha256, 32) == 0 ? PEER_SAME : PEER_DIFFERS;
}

/* Ours is the older config: applied earlier, or at the same second and
 * our node name sorts after the peer's (so exactly one of two is older). */
static bool ours_older(const struct peer_weight_input *in)
{
	if (in->last_apply != in->peer_last_apply)
		return in->last_apply < in->peer_last_apply;
	return strcmp(in->node ? in->node : "", in->peer_node ? in->peer_node : "") > 0;
}

int peer_weight(const struct peer_weight_input *in)
{
	if (in->state != PEER_ENFORCING || !in->table_verified)
		return PEER_WEIGHT_BLOCK;
	if (in->block_on_mismatch && in->peer_heard && in->peer_differs &&
	    ours_older(in))
		return PEER_WEIGHT_BLOCK;
	return PEER_WEIGHT_OK;
}
