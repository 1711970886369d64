/* fuzz_peer.c - libFuzzer target for the HA peer beacon decoder (bytes
 * from the sync link: anyone on it can send them).  Each input is decoded
 * twice: as it is (nearly always a tag failure), and with its first 192
 * bytes re-tagged under the fuzz key, so the field checks behind the tag
 * are reached.  Invariants: a beacon that decodes re-encodes to the same
 * bytes; a decode failure is -EBADMSG or -EPERM. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEY[] = "fuzz key fuzz key fuzz key";

static void decode(const uint8_t *buf, size_t len)
{
	struct peer_beacon b;
	uint8_t again[PEER_BEACON_LEN];
	struct peer_replay r = { 0 };
	int rc = peer_beacon_decode(buf, len, KEY, sizeof(KEY) - 1, &b);

	if (rc == -EBADMSG || rc == -EPERM)
		return;
	if (rc != 0)
		abort();
	if (peer_beacon_encode(&b, KEY, sizeof(KEY) - 1, again) != 0 ||
	    memcmp(again, buf, PEER_BEACON_LEN) != 0)
		abort();   /* what decodes must re-encode byte for byte */
	(void)peer_replay_check(&r, &b, (time_t)b.time, 30);
	(void)peer_state_name(b.state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PEER_BEACON_LEN];
	size_t body = PEER_BEACON_LEN - HMAC_SHA256_LEN;

	decode(data, size);
	if (size < body)
		return 0;
	memcpy(buf, data, body);
	hmac_sha256(KEY, sizeof(KEY) - 1, buf, body, buf + body);
	decode(buf, sizeof(buf));
	return 0;
}
