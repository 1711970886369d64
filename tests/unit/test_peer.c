/* test_peer.c - the HA peer beacon: round trip, every tamper rejected
 * (tag, key, length, fields), replay and clock window, the fingerprint
 * comparison and the keepalived weight table; policy_sha256 (what changes
 * it and what does not); the key file's rules and the weight file. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "diag.h"
#include "peer.h"
#include "policy.h"
#include "policy_digest.h"

static const char KEY[] = "0123456789abcdef0123456789abcdef";
#define KLEN (sizeof(KEY) - 1)

static struct peer_beacon sample(void)
{
	struct peer_beacon b;

	memset(&b, 0, sizeof(b));
	b.state = PEER_ENFORCING;
	b.in_sync = true;
	b.seq = 1764900000000000ULL;
	b.time = 1764900000;
	b.last_apply = 1764899000;
	strcpy(b.node, "gw-a");
	memset(b.config_sha256, 0x11, 32);
	memset(b.ruleset_sha256, 0x22, 32);
	memset(b.policy_sha256, 0x33, 32);
	return b;
}

START_TEST(round_trip)
{
	struct peer_beacon b = sample(), got;
	uint8_t wire[PEER_BEACON_LEN];

	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), 0);
	ck_assert_int_eq(peer_beacon_decode(wire, sizeof(wire), KEY, KLEN, &got), 0);
	b.version = PEER_BEACON_VERSION;
	ck_assert_mem_eq(&b, &got, sizeof(b));
	ck_assert_str_eq(peer_state_name(got.state), "enforcing");
	ck_assert_str_eq(peer_state_name(PEER_STATE_MAX), "unknown");
}
END_TEST

START_TEST(tampering)
{
	struct peer_beacon b = sample(), got;
	uint8_t wire[PEER_BEACON_LEN], copy[PEER_BEACON_LEN];

	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), 0);
	/* every flipped bit, body or tag, fails the tag */
	for (size_t i = 0; i < sizeof(wire) * 8; i++) {
		memcpy(copy, wire, sizeof(wire));
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		ck_assert_int_eq(peer_beacon_decode(copy, sizeof(copy), KEY, KLEN, &got), -EPERM);
	}
	ck_assert_int_eq(peer_beacon_decode(wire, sizeof(wire), "other key 0123456", 17, &got), -EPERM);
	ck_assert_int_eq(peer_beacon_decode(wire, sizeof(wire) - 1, KEY, KLEN, &got), -EBADMSG);
	ck_assert_int_eq(peer_beacon_decode(wire, 0, KEY, KLEN, &got), -EBADMSG);
}
END_TEST

START_TEST(fields)
{
	struct peer_beacon b = sample();
	uint8_t wire[PEER_BEACON_LEN];

	strcpy(b.node, "gw a");
	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), -EINVAL);
	b.node[0] = '\0';
	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), -EINVAL);
	memset(b.node, 'x', PEER_NODE_MAX);   /* no NUL: too long */
	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), -EINVAL);
	b = sample();
	b.state = PEER_STATE_MAX;
	ck_assert_int_eq(peer_beacon_encode(&b, KEY, KLEN, wire), -EINVAL);
}
END_TEST

START_TEST(replay)
{
	struct peer_beacon b = sample();
	struct peer_replay r = { 0 };
	time_t now = (time_t)b.time;

	ck_assert_int_eq(peer_replay_check(&r, &b, now, 30), 0);
	ck_assert_int_eq(peer_replay_check(&r, &b, now, 30), -ESTALE);
	b.seq--;
	ck_assert_int_eq(peer_replay_check(&r, &b, now, 30), -ESTALE);
	b.seq += 2;
	ck_assert_int_eq(peer_replay_check(&r, &b, now + 30, 30), 0);
	b.seq++;
	ck_assert_int_eq(peer_replay_check(&r, &b, now + 31, 30), -ETIME);
	ck_assert_int_eq(peer_replay_check(&r, &b, now - 31, 30), -ETIME);
	/* a fresh receiver still refuses an old capture by its time */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(peer_replay_check(&r, &b, now + 3600, 30), -ETIME);
	ck_assert(!r.seen);
}
END_TEST

START_TEST(compare)
{
	struct peer_beacon b = sample();
	uint8_t ours[32];

	memset(ours, 0x22, 32);
	ck_assert_int_eq(peer_compare(ours, &b), PEER_SAME);
	ours[31] = 0;
	ck_assert_int_eq(peer_compare(ours, &b), PEER_DIFFERS);
	ck_assert_int_eq(peer_compare(ours, NULL), PEER_UNKNOWN);
	ck_assert_str_eq(peer_compare_name(PEER_DIFFERS), "DIFFERS");
}
END_TEST

START_TEST(weight)
{
	struct peer_weight_input in = {
		.state = PEER_ENFORCING, .table_verified = true,
		.peer_heard = true, .peer_differs = false, .block_on_mismatch = true,
		.last_apply = 100, .peer_last_apply = 200,
		.node = "gw-a", .peer_node = "gw-b",
	};

	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_OK);
	in.peer_differs = true;   /* ours older: blocked */
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_BLOCK);
	in.last_apply = 300;      /* ours newer: stays eligible */
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_OK);
	in.last_apply = 200;      /* a tie: the later name is the older */
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_OK);
	in.node = "gw-c";
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_BLOCK);
	in.block_on_mismatch = false;
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_OK);
	in.block_on_mismatch = true;
	in.peer_heard = false;    /* a silent peer: no comparison */
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_OK);
	in.table_verified = false;
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_BLOCK);
	in.table_verified = true;
	in.state = PEER_LOCKDOWN;
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_BLOCK);
	in.state = PEER_DEGRADED;
	ck_assert_int_eq(peer_weight(&in), PEER_WEIGHT_BLOCK);
}
END_TEST

static const char POLICY[] =
	"version = 1;\n"
	"zones = (\n"
	"  { name = \"lg\"; class = \"lgwan\"; interfaces = [ \"%s\" ];"
	" networks = [ %s ]; comment = \"%s\"; },\n"
	"  { name = \"in\"; class = \"internet\"; interfaces = [ \"s0\" ];"
	" networks = [ \"10.2.0.0/16\" ]; }\n"
	");\n"
	"hosts = ( { name = \"a\"; zone = \"lg\"; addresses = [ \"10.1.1.1\" ]; },\n"
	"  { name = \"b\"; zone = \"in\"; addresses = [ \"10.2.1.1\" ]; } );\n"
	"flows = ( { name = \"a-to-b\"; from = \"a\"; to = \"b\";"
	" services = [ %s ]; } );\n";

static void digest_of(const char *ifname, const char *nets, const char *comment,
		      const char *services, uint8_t out[32])
{
	struct model m;
	struct diags d;
	char *text;

	ck_assert_int_gt(asprintf(&text, POLICY, ifname, nets, comment, services), 0);
	model_init(&m);
	diags_init(&d);
	ck_assert_int_eq(config_load_string(text, "p.conf", &m, &d), 0);
	ck_assert_int_eq(model_policy_digest(&m, out), 0);
	model_free(&m);
	diags_free(&d);
	free(text);
}

START_TEST(policy_digest)
{
	uint8_t base[32], other[32];

	digest_of("l0", "\"10.1.0.0/16\", \"10.3.0.0/16\"", "x",
		  "\"tcp/443\", \"icmp/8\"", base);
	/* other interface, list order, comment: the same policy */
	digest_of("eth7", "\"10.3.0.0/16\", \"10.1.0.0/16\"", "another comment",
		  "\"icmp/echo-request\", \"tcp/443\"", other);
	ck_assert_mem_eq(base, other, 32);
	digest_of("l0", "\"10.1.0.0/16\", \"10.3.0.0/16\"", "x", "\"tcp/443\"", other);
	ck_assert(memcmp(base, other, 32) != 0);
	digest_of("l0", "\"10.1.0.0/16\"", "x", "\"tcp/443\", \"icmp/8\"", other);
	ck_assert(memcmp(base, other, 32) != 0);
}
END_TEST

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(files)
{
	char dir[] = "/tmp/segmentd-peer.XXXXXX", key_path[64], weight_path[64], why[512];
	uint8_t key[PEER_KEY_MAX];
	size_t len = 0;
	FILE *f;
	int w = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(key_path, sizeof(key_path), "%s/ha.key", dir);
	snprintf(weight_path, sizeof(weight_path), "%s/ha-weight_path", dir);
	ck_assert_int_eq(peer_key_load(key_path, key, &len, why, sizeof(why)), -ENOENT);
	write_file(key_path, "0123456789abcdef0123\n", 0600);
	ck_assert_int_eq(peer_key_load(key_path, key, &len, why, sizeof(why)), 0);
	ck_assert_uint_eq(len, 20);
	ck_assert_mem_eq(key, "0123456789abcdef0123", 20);
	ck_assert_int_eq(chmod(key_path, 0640), 0);
	ck_assert_int_eq(peer_key_load(key_path, key, &len, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "chmod 600"));
	write_file(key_path, "short\n", 0600);
	ck_assert_int_eq(peer_key_load(key_path, key, &len, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(peer_weight_write(weight_path, PEER_WEIGHT_BLOCK), 0);
	f = fopen(weight_path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &w), 1);
	fclose(f);
	ck_assert_int_eq(w, -254);
	ck_assert_int_eq(peer_weight_write(weight_path, 0), 0);
	unlink(weight_path);
	unlink(key_path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	const TTest *tests[] = { round_trip, tampering, fields, replay, compare, weight,
				 policy_digest, files };
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("beacon");

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return check_run(s);
}
