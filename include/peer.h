/* peer.h - the HA peer beacon: what one node of a pair tells the other
 * over the sync link, and the pure parts around it (wire codec with an
 * HMAC-SHA256 tag, replay check, keepalived weight).  No I/O here.
 *
 * Wire format (PEER_BEACON_LEN bytes, integers big-endian):
 *   0   4  magic "SGPB"
 *   4   1  version (PEER_BEACON_VERSION)
 *   5   1  state (enum peer_state)
 *   6   1  in_sync (0/1: the kernel table verified equal to the compiled one)
 *   7   1  reserved, 0
 *   8   8  seq: the sender's start time in microseconds (CLOCK_REALTIME),
 *          plus one per beacon; so a restarted sender goes on above
 *  16   8  time: the sender's CLOCK_REALTIME in seconds
 *  24   8  last_apply: when the sender last committed a config (seconds)
 *  32  64  node name, NUL-padded (at most 63 bytes of [A-Za-z0-9._-])
 *  96  32  config_sha256
 * 128  32  ruleset_sha256
 * 160  32  policy_sha256
 * 192  32  HMAC-SHA256 over bytes 0..191 under the shared key */
#ifndef SEGMENTD_PEER_H
#define SEGMENTD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PEER_BEACON_VERSION 1
#define PEER_BEACON_LEN 224
#define PEER_NODE_MAX 64     /* with the NUL */
#define PEER_KEY_MIN 16      /* bytes in ha.key_file */
#define PEER_KEY_MAX 1024
#define PEER_WEIGHT_OK 0
#define PEER_WEIGHT_BLOCK (-254)

enum peer_state {
	PEER_ENFORCING = 0,
	PEER_DEGRADED,       /* not the intended ruleset (e.g. drift) */
	PEER_LOCKDOWN,       /* the lockdown table */
	PEER_STATE_MAX
};

struct peer_beacon {
	uint8_t version;
	uint8_t state;       /* enum peer_state */
	bool in_sync;
	uint64_t seq;
	int64_t time;
	int64_t last_apply;
	char node[PEER_NODE_MAX];
	uint8_t config_sha256[32];
	uint8_t ruleset_sha256[32];
	uint8_t policy_sha256[32];
};

/* What the receiver remembers to reject replays. */
struct peer_replay {
	bool seen;
	uint64_t last_seq;
};

enum peer_compare { PEER_UNKNOWN = 0, PEER_SAME, PEER_DIFFERS };

const char *peer_state_name(unsigned state);
const char *peer_compare_name(enum peer_compare c);
/* 0, or -EINVAL for a node name the wire cannot carry. */
int peer_beacon_encode(const struct peer_beacon *b, const void *key,
		       size_t key_len, uint8_t out[PEER_BEACON_LEN]);
/* Checks length, tag (constant time), magic, version and every field;
 * 0, -EBADMSG (malformed) or -EPERM (tag does not verify).  The tag is
 * checked before any field is trusted. */
int peer_beacon_decode(const uint8_t *buf, size_t len, const void *key,
		       size_t key_len, struct peer_beacon *b);
/* A verified beacon from the expected peer: 0 when fresh (and remembered),
 * -ESTALE when seq is not above the last accepted one (a replay), -ETIME
 * when its time is more than window seconds away from now. */
int peer_replay_check(struct peer_replay *r, const struct peer_beacon *b,
		      time_t now, unsigned window);
/* Compares the peer's ruleset fingerprint with ours. */
enum peer_compare peer_compare(const uint8_t ours[32], const struct peer_beacon *peer);

struct peer_weight_input {
	enum peer_state state;     /* ours */
	bool table_verified;       /* our table read back equal (in sync) */
	bool peer_heard;           /* a fresh beacon within 3 intervals */
	bool peer_differs;         /* the peer's ruleset_sha256 differs */
	bool block_on_mismatch;    /* ha.block_on_mismatch */
	int64_t last_apply, peer_last_apply;
	const char *node, *peer_node;
};
/* The keepalived track_file weight: PEER_WEIGHT_BLOCK or PEER_WEIGHT_OK
 * (see man/segmentd.8, "A redundant pair"). */
int peer_weight(const struct peer_weight_input *in);

/* ---- files (src/daemon/peer_files.c; I/O, but no logging) ---- */

/* Reads the shared key of ha.key_file into key (at most PEER_KEY_MAX bytes;
 * trailing white space cut).  The file must pass filesafe_check() and be
 * readable by its owner only (mode 0600 or 0400).  0, or -errno with why
 * set to one sentence naming the path, the problem and the fix:
 * -EPERM unsafe or readable by others, -EINVAL shorter than PEER_KEY_MIN
 * bytes, -EFBIG longer than PEER_KEY_MAX, or open/read's error. */
int peer_key_load(const char *path, uint8_t *key, size_t *key_len,
		  char *why, size_t why_len);
/* Writes "WEIGHT\n" to path through a temporary file in the same
 * directory and rename(2), so keepalived never reads half a file. */
int peer_weight_write(const char *path, int weight);

#endif
