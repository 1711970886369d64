/* test_denied.c - the denied-traffic monitor: NFULNL_MSG_PACKET messages
 * built by hand (IPv4/IPv6, TCP/UDP/ICMP, extension headers, fragments,
 * truncated payloads, missing or foreign prefixes, garbage attributes, random
 * bytes) fed to the aggregate; eviction at max_entries; the rendered text and
 * JSON byte for byte; denied_read over a socketpair (several messages per
 * datagram, the rate limit of new-tuple callbacks).
 *
 * With DENIED_KERNEL_TEST=1 (root; tests/kernel/denied.sh) it runs instead
 * the kernel suite: each test in a fresh network namespace of its own
 * (unshare in the forked test process), a real NFLOG group fed by an nft
 * `log group 7` rule on the output hook. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "denied.h"
#include "check_main.h"

#define T0 1700000000            /* 2023-11-14T22:13:20Z */
#define MSG_SIZE 1024

static struct denied *dn;
static int peer = -1;            /* the socketpair's writing end */
static char msg[MSG_SIZE];
static unsigned calls;           /* of on_new() */
static char last_pair[80];

static void open_max(size_t max)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv),
			 0);
	ck_assert_int_eq(denied_open_fd(&dn, sv[0], max), 0);
	ck_assert_int_eq(denied_fd(dn), sv[0]);
	peer = sv[1];
}

static void reopen(size_t max)
{
	denied_close(dn);
	close(peer);
	open_max(max);
}

static void setup(void)
{
	calls = 0;
	last_pair[0] = '\0';
	open_max(16);
}

static void teardown(void)
{
	denied_close(dn);
	dn = NULL;
	if (peer >= 0)
		close(peer);
	peer = -1;
}

/* ---- building messages ---- */

/* IPv4 header + 8 bytes of L4 (source port 40000 / ICMP type, code 0);
 * returns the full length. */
static size_t ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		  uint16_t port_or_type)
{
	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = proto;
	ck_assert_int_eq(inet_pton(AF_INET, src, p + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, p + 16), 1);
	if (proto == IPPROTO_ICMP) {
		p[20] = (uint8_t)port_or_type;
	} else {
		p[20] = 40000 >> 8;
		p[21] = 40000 & 0xff;
		p[22] = port_or_type >> 8;
		p[23] = port_or_type & 0xff;
	}
	return 28;
}

/* IPv6 header, then the extension headers in ext (each 8 bytes: next
 * header filled in), then 8 bytes of L4. */
static size_t ip6(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		  uint16_t port_or_type, const uint8_t *ext, size_t ext_count)
{
	uint8_t *nh = p + 6;
	size_t off = 40;

	memset(p, 0, 40 + 8 * ext_count + 8);
	p[0] = 0x60;
	p[7] = 64;
	ck_assert_int_eq(inet_pton(AF_INET6, src, p + 8), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, dst, p + 24), 1);
	for (size_t i = 0; i < ext_count; i++, off += 8) {
		*nh = ext[i];
		nh = p + off;
	}
	*nh = proto;
	if (proto == IPPROTO_ICMPV6) {
		p[off] = (uint8_t)port_or_type;
	} else {
		p[off] = 40000 >> 8;
		p[off + 1] = 40000 & 0xff;
		p[off + 2] = port_or_type >> 8;
		p[off + 3] = port_or_type & 0xff;
	}
	return off + 8;
}

static struct nlmsghdr *msg_start(char *buf, uint16_t type)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(buf, 0, MSG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->res_id = htons(5);
	return nlh;
}

static void put_hdr(struct nlmsghdr *nlh, uint16_t hw_protocol)
{
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(hw_protocol),
					    .hook = NF_INET_FORWARD };

	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
}

#define PACKET_TYPE ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)

/* A logged packet as the kernel sends it: header, prefix (NULL: none),
 * payload; the link-layer protocol follows the IP version. */
static const struct nlmsghdr *packet_in(char *buf, const char *prefix,
					const uint8_t *payload, size_t len)
{
	struct nlmsghdr *nlh = msg_start(buf, PACKET_TYPE);

	put_hdr(nlh, len && payload[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP);
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(3));
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, payload);
	return nlh;
}

static const struct nlmsghdr *packet(const char *prefix, const uint8_t *payload,
				     size_t len)
{
	return packet_in(msg, prefix, payload, len);
}

static const struct denied_entry *fed;

static int feed(const char *prefix, const uint8_t *payload, size_t len,
		time_t now)
{
	return denied_feed(dn, packet(prefix, payload, len), now, &fed);
}

/* Feeds "segmentd drop lgwan>internet: " tcp 10.2.8.10 -> 198.51.100.7
 * with the given port. */
static void feed_tcp(uint16_t port, time_t now)
{
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, port);

	ck_assert_int_eq(feed("segmentd drop lgwan>internet: ", p, len, now), 0);
}

static char *render(bool json, size_t top)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	denied_render(dn, f, json, top);
	fclose(f);
	return text;
}

static void assert_render(bool json, size_t top, const char *want)
{
	char *got = render(json, top);

	ck_assert_str_eq(got, want);
	free(got);
}

static void assert_json_has(const char *part)
{
	char *got = render(true, 0);

	ck_assert_msg(strstr(got, part), "no '%s' in %s", part, got);
	free(got);
}

static void assert_json_lacks(const char *part)
{
	char *got = render(true, 0);

	ck_assert_msg(!strstr(got, part), "'%s' in %s", part, got);
	free(got);
}

static struct denied_stats stats(void)
{
	struct denied_stats st;

	denied_get_stats(dn, &st);
	return st;
}

static char *service_of(const struct denied_entry *e)
{
	static char buf[64];

	denied_service(e, buf, sizeof(buf));
	return buf;
}

/* ---- parsing ---- */

START_TEST(ipv4_tcp)
{
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	uint8_t want[4];

	ck_assert_int_eq(feed("segmentd drop lgwan>internet: ", p, len, T0), 0);
	ck_assert_ptr_nonnull(fed);
	ck_assert_str_eq(fed->pair, "lgwan>internet");
	ck_assert_int_eq(fed->family, AF_INET);
	inet_pton(AF_INET, "10.2.8.10", want);
	ck_assert_mem_eq(fed->saddr, want, 4);
	inet_pton(AF_INET, "198.51.100.7", want);
	ck_assert_mem_eq(fed->daddr, want, 4);
	ck_assert_int_eq(fed->proto, IPPROTO_TCP);
	ck_assert_int_eq(fed->dport, 443);
	ck_assert_int_eq(fed->flags, 0);
	ck_assert_int_eq(fed->count, 1);
	ck_assert_int_eq(fed->first, T0);
	ck_assert_int_eq(fed->last, T0);
	ck_assert_str_eq(service_of(fed), "tcp/443");

	ck_assert_int_eq(feed("segmentd drop lgwan>internet: ", p, len, T0 + 5),
			 0);
	ck_assert_ptr_null(fed);            /* not new */
	ck_assert_int_eq(denied_total(dn), 2);
	assert_render(true, 0, "[{\"pair\":\"lgwan>internet\",\"family\":"
		      "\"ipv4\",\"source\":\"10.2.8.10\",\"destination\":"
		      "\"198.51.100.7\",\"protocol\":6,\"service\":\"tcp/443\","
		      "\"port\":443,\"count\":2,\"first_seen\":"
		      "\"2023-11-14T22:13:20Z\",\"last_seen\":"
		      "\"2023-11-14T22:13:25Z\"}]\n");
	/* another source port is the same tuple; another port is not */
	p[21] ^= 1;
	ck_assert_int_eq(feed("segmentd drop lgwan>internet: ", p, len, T0 + 6),
			 0);
	ck_assert_ptr_null(fed);
	feed_tcp(444, T0 + 7);
	ck_assert_ptr_nonnull(fed);
	ck_assert_int_eq(stats().entries, 2);
}
END_TEST

START_TEST(ipv6_udp)
{
	static const uint8_t hop_dst[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS };
	static const uint8_t first_frag[] = { IPPROTO_FRAGMENT };
	uint8_t p[128];
	size_t len;

	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53, NULL, 0);
	ck_assert_int_eq(feed("segmentd drop lgwan>cloud: ", p, len, T0), 0);
	ck_assert_int_eq(fed->family, AF_INET6);
	ck_assert_int_eq(fed->proto, IPPROTO_UDP);
	ck_assert_int_eq(fed->dport, 53);
	assert_json_has("\"family\":\"ipv6\",\"source\":\"fd00:2::25\","
			"\"destination\":\"2001:db8::10\",\"protocol\":17,"
			"\"service\":\"udp/53\",\"port\":53,");

	/* through hop-by-hop and destination options: the same tuple */
	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53, hop_dst, 2);
	ck_assert_int_eq(feed("segmentd drop lgwan>cloud: ", p, len, T0), 0);
	ck_assert_ptr_null(fed);
	/* a first fragment (offset 0) has the ports */
	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53,
		  first_frag, 1);
	p[40 + 3] = 1;                      /* more fragments, offset 0 */
	ck_assert_int_eq(feed("segmentd drop lgwan>cloud: ", p, len, T0), 0);
	ck_assert_ptr_null(fed);
	ck_assert_int_eq(stats().entries, 1);
	/* a later fragment does not */
	p[40 + 2] = 0x05;                   /* offset 1280 */
	ck_assert_int_eq(feed("segmentd drop lgwan>cloud: ", p, len, T0), 0);
	ck_assert_ptr_nonnull(fed);
	ck_assert_int_eq(fed->proto, IPPROTO_UDP);
	ck_assert_int_eq(fed->flags, DENIED_NO_L4);
	ck_assert_str_eq(service_of(fed), "udp/?");
}
END_TEST

START_TEST(icmp_and_others)
{
	uint8_t p[128];
	size_t len;

	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_ICMP, 8);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_int_eq(fed->icmp_type, 8);
	ck_assert_str_eq(service_of(fed), "icmp/echo-request");
	assert_json_has("\"protocol\":1,\"service\":\"icmp/echo-request\","
			"\"icmp_type\":8,\"count\":1");
	len = ip6(p, "fd00:2::25", "fd00:2::1", IPPROTO_ICMPV6, 128, NULL, 0);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_int_eq(fed->icmp_type, 128);
	ck_assert_str_eq(service_of(fed), "icmpv6/echo-request");
	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_ICMP, 42);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_str_eq(service_of(fed), "icmp/42");
	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_GRE, 0);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_str_eq(service_of(fed), "gre");
	assert_json_has("\"protocol\":47,\"service\":\"gre\",\"count\":1");
	len = ip4(p, "10.2.8.10", "10.2.0.1", 253, 0);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_str_eq(service_of(fed), "proto-253");
	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_SCTP, 5060);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_str_eq(service_of(fed), "sctp/5060");
	/* ICMP cut after the IP header */
	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_ICMP, 8);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, 20, T0), 0);
	ck_assert_str_eq(service_of(fed), "icmp/?");
	assert_json_has("\"service\":\"icmp/?\",\"count\":1");
}
END_TEST

static const struct {
	const char *prefix;
	int err;
	const char *pair;
} prefixes[] = {
	{ "segmentd drop lgwan>internet: ", 0, "lgwan>internet" },
	{ "segmentd spoof lgwan: ", 0, "spoof lgwan" },
	{ "segmentd invalid lgwan: ", 0, "invalid lgwan" },
	{ "segmentd drop lgwan>gateway: ", 0, "lgwan>gateway" },
	{ "segmentd drop lgwan>unzoned: ", 0, "lgwan>unzoned" },
	{ "segmentd drop unzoned: ", 0, "unzoned" },
	{ "segmentd drop lgwan-net>cloud:", 0, "lgwan-net>cloud" },
	{ "segmentd drop a\"b\\c\n{}: ", 0, "a?b?c???" },
	{ "segmentd drop \xff\x01: ", 0, "??" },
	{ "segmentd : ", -EBADMSG, NULL },
	{ "segmentd drop : ", -EBADMSG, NULL },
	{ "segmentd ", -EBADMSG, NULL },
	{ "segmentd", -ENOMSG, NULL },
	{ "segmentdrop a>b: ", -ENOMSG, NULL },
	{ "ulogd: ", -ENOMSG, NULL },
	{ "", -ENOMSG, NULL },
	{ NULL, -ENOMSG, NULL },
};

START_TEST(prefix_forms)
{
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	size_t n = sizeof(prefixes) / sizeof(prefixes[0]);
	uint64_t ok = 0, bad = 0, foreign = 0;

	for (size_t i = 0; i < n; i++) {
		int err = feed(prefixes[i].prefix, p, len, T0);

		ck_assert_msg(err == prefixes[i].err, "'%s': %d, want %d",
			      prefixes[i].prefix, err, prefixes[i].err);
		if (!err) {
			ck_assert_ptr_nonnull(fed);
			ck_assert_str_eq(fed->pair, prefixes[i].pair);
		}
		ok += !err;
		bad += err == -EBADMSG;
		foreign += err == -ENOMSG;
	}
	ck_assert_int_eq(denied_total(dn), ok);
	ck_assert_int_eq(stats().malformed, bad);
	ck_assert_int_eq(stats().ignored, foreign);
}
END_TEST

START_TEST(prefix_long_or_unterminated)
{
	char prefix[201];
	struct nlmsghdr *nlh;
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_UDP, 53);

	memset(prefix, 'a', sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
	memcpy(prefix, "segmentd drop ", 14);
	ck_assert_int_eq(feed(prefix, p, len, T0), 0);
	ck_assert_int_eq(strlen(fed->pair), sizeof(fed->pair) - 1);
	ck_assert_int_eq(strspn(fed->pair, "a"), sizeof(fed->pair) - 1);
	/* no NUL in the attribute */
	nlh = msg_start(msg, PACKET_TYPE);
	mnl_attr_put(nlh, NFULA_PREFIX, 17, "segmentd drop x>y: ");
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, &fed), 0);
	ck_assert_str_eq(fed->pair, "x>y");
}
END_TEST

START_TEST(truncated_payloads)
{
	static const uint8_t long_hop[] = { IPPROTO_HOPOPTS };
	static const uint8_t two[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS };
	const char *pf = "segmentd drop lgwan>internet: ";
	uint8_t p[128];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);

	/* IP header, but not the ports */
	for (size_t cut = 20; cut < 24; cut++) {
		ck_assert_int_eq(feed(pf, p, cut, T0), 0);
		ck_assert_int_eq(fed ? fed->flags : DENIED_NO_L4, DENIED_NO_L4);
		ck_assert_int_eq(fed ? fed->dport : 0, 0);
	}
	ck_assert_int_eq(stats().entries, 1);
	assert_json_has("\"service\":\"tcp/?\",\"count\":4");
	assert_json_lacks("\"port\"");
	/* not even the IP header */
	for (size_t cut = 0; cut < 20; cut++)
		ck_assert_int_eq(feed(pf, p, cut, T0), -EBADMSG);
	ck_assert_int_eq(stats().malformed, 20);
	/* header length beyond the payload, or below 20 */
	p[0] = 0x4f;
	ck_assert_int_eq(feed(pf, p, len, T0), -EBADMSG);
	p[0] = 0x44;
	ck_assert_int_eq(feed(pf, p, len, T0), -EBADMSG);
	p[0] = 0x55;                          /* no such IP version */
	ck_assert_int_eq(feed(pf, p, len, T0), -EBADMSG);
	/* a later IPv4 fragment: no ports, the same tuple as the cut ones */
	p[0] = 0x45;
	p[6] = 0x20;
	p[7] = 185;
	ck_assert_int_eq(feed(pf, p, len, T0), 0);
	ck_assert_ptr_null(fed);
	assert_json_has("\"service\":\"tcp/?\",\"count\":5");
	/* IPv6: short header; a hop-by-hop header longer than the copy */
	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53, long_hop, 1);
	ck_assert_int_eq(feed(pf, p, 39, T0), -EBADMSG);
	p[41] = 10;                           /* (10 + 1) * 8 bytes */
	ck_assert_int_eq(feed(pf, p, len, T0), 0);
	ck_assert_int_eq(fed->proto, IPPROTO_UDP);
	ck_assert_int_eq(fed->flags, DENIED_NO_L4);
	/* the chain cut inside the second extension header */
	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53, two, 2);
	ck_assert_int_eq(feed(pf, p, 50, T0), 0);
	ck_assert_int_eq(fed->proto, IPPROTO_DSTOPTS);
	ck_assert_str_eq(service_of(fed), "proto-60");
	/* a payload of nothing, and none at all */
	ck_assert_int_eq(feed(pf, p, 0, T0), -EBADMSG);
	msg_start(msg, PACKET_TYPE);
	mnl_attr_put_strz((struct nlmsghdr *)msg, NFULA_PREFIX, pf);
	ck_assert_int_eq(denied_feed(dn, (struct nlmsghdr *)msg, T0, NULL),
			 -EBADMSG);
}
END_TEST

START_TEST(link_layer_protocol)
{
	const char *pf = "segmentd drop lgwan>internet: ";
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	struct nlmsghdr *nlh;

	/* IPv4 bytes said to be IPv6: refused */
	nlh = msg_start(msg, PACKET_TYPE);
	put_hdr(nlh, ETH_P_IPV6);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), -EBADMSG);
	/* ARP: not ours */
	nlh = msg_start(msg, PACKET_TYPE);
	put_hdr(nlh, ETH_P_ARP);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), -ENOMSG);
	/* no packet header: the IP version decides */
	nlh = msg_start(msg, PACKET_TYPE);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), 0);
	/* a packet header too short to read */
	nlh = msg_start(msg, PACKET_TYPE);
	mnl_attr_put_u16(nlh, NFULA_PACKET_HDR, htons(ETH_P_IP));
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), -EBADMSG);
}
END_TEST

START_TEST(garbage_attributes)
{
	const char *pf = "segmentd drop lgwan>internet: ";
	uint8_t p[64], junk[40];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	struct nlmsghdr *nlh;
	struct nlattr *a;

	memset(junk, 0xa5, sizeof(junk));
	/* unknown types, a sequence number of the wrong size: ignored */
	nlh = msg_start(msg, PACKET_TYPE);
	mnl_attr_put(nlh, 250, sizeof(junk), junk);
	mnl_attr_put(nlh, NFULA_MAX + 1, 3, junk);
	mnl_attr_put_u16(nlh, NFULA_SEQ, 7);
	mnl_attr_put(nlh, NFULA_HWADDR, 0, NULL);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, &fed), 0);
	ck_assert_int_eq(fed->dport, 443);
	ck_assert_int_eq(stats().lost, 0);
	/* an attribute longer than the message ends the parse before the
	 * payload: malformed */
	nlh = msg_start(msg, PACKET_TYPE);
	mnl_attr_put_strz(nlh, NFULA_PREFIX, pf);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, NFULA_MARK, 4, junk);
	a->nla_len = 200;
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), -EBADMSG);
	/* an attribute length below its header */
	a->nla_len = 2;
	ck_assert_int_eq(denied_feed(dn, nlh, T0, NULL), -EBADMSG);
	/* other message types, other subsystems */
	packet("segmentd drop a>b: ", p, len);
	((struct nlmsghdr *)msg)->nlmsg_type =
		(NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	ck_assert_int_eq(denied_feed(dn, (struct nlmsghdr *)msg, T0, NULL),
			 -ENOMSG);
	((struct nlmsghdr *)msg)->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8);
	ck_assert_int_eq(denied_feed(dn, (struct nlmsghdr *)msg, T0, NULL),
			 -ENOMSG);
	((struct nlmsghdr *)msg)->nlmsg_type = NLMSG_ERROR;
	ck_assert_int_eq(denied_feed(dn, (struct nlmsghdr *)msg, T0, NULL),
			 -ENOMSG);
	/* no room for the nfgenmsg */
	((struct nlmsghdr *)msg)->nlmsg_type = PACKET_TYPE;
	((struct nlmsghdr *)msg)->nlmsg_len = NLMSG_HDRLEN + 2;
	ck_assert_int_eq(denied_feed(dn, (struct nlmsghdr *)msg, T0, NULL),
			 -EBADMSG);
	ck_assert_int_eq(denied_total(dn), 1);
}
END_TEST

START_TEST(sequence_gaps)
{
	static const uint32_t seqs[] = { 0, 1, 2, 5, 6, 6, 0, 1, 10 };
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		struct nlmsghdr *nlh = msg_start(msg, PACKET_TYPE);

		mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(seqs[i]));
		/* a foreign message still counts in the sequence */
		mnl_attr_put_strz(nlh, NFULA_PREFIX, i == 3 ? "x: " :
				  "segmentd drop a>b: ");
		mnl_attr_put(nlh, NFULA_PAYLOAD, len, p);
		denied_feed(dn, nlh, T0, NULL);
	}
	/* 3, 4 and 2..9: a restart (0 after 6) is no loss */
	ck_assert_int_eq(stats().lost, 2 + 8);
	ck_assert_int_eq(stats().ignored, 1);
	ck_assert_int_eq(denied_total(dn), 8);
}
END_TEST

/* ---- aggregation ---- */

START_TEST(eviction_least_recently_seen)
{
	reopen(4);
	for (uint16_t port = 1; port <= 4; port++)
		feed_tcp(port, T0 + port);
	feed_tcp(1, T0 + 10);                /* 2 is now the oldest */
	ck_assert_int_eq(stats().evicted, 0);
	feed_tcp(5, T0 + 11);
	ck_assert_ptr_nonnull(fed);
	ck_assert_int_eq(stats().evicted, 1);
	ck_assert_int_eq(stats().entries, 4);
	assert_json_lacks("\"port\":2,");
	assert_json_has("\"port\":1,\"count\":2,");
	feed_tcp(2, T0 + 12);                /* back, new; 3 goes */
	ck_assert_ptr_nonnull(fed);
	ck_assert_int_eq(fed->count, 1);
	ck_assert_int_eq(fed->first, T0 + 12);
	assert_json_lacks("\"port\":3,");
	ck_assert_int_eq(stats().evicted, 2);
	ck_assert_int_eq(denied_total(dn), 7);
}
END_TEST

START_TEST(eviction_one_slot)
{
	reopen(1);
	feed_tcp(1, T0);
	feed_tcp(1, T0);
	ck_assert_ptr_null(fed);
	feed_tcp(2, T0);
	ck_assert_ptr_nonnull(fed);
	feed_tcp(1, T0);
	ck_assert_ptr_nonnull(fed);
	ck_assert_int_eq(stats().evicted, 2);
	ck_assert_int_eq(stats().entries, 1);
}
END_TEST

/* 20000 distinct tuples through 4096 slots: the newest 4096 stay, found
 * again as they are; the chains stay consistent through slot reuse. */
START_TEST(eviction_many)
{
	uint8_t p[64];
	size_t len = ip4(p, "10.0.0.0", "198.51.100.7", IPPROTO_UDP, 0);
	const uint32_t n = 20000, max = 4096;

	reopen(max);
	for (uint32_t i = 0; i < n; i++) {
		p[14] = i >> 8;
		p[15] = i & 0xff;
		p[22] = (i * 7) & 0xff;
		ck_assert_int_eq(feed("segmentd drop a>b: ", p, len, T0 + i), 0);
		ck_assert_ptr_nonnull(fed);
	}
	ck_assert_int_eq(stats().entries, max);
	ck_assert_int_eq(stats().evicted, n - max);
	for (uint32_t i = n - max; i < n; i++) {
		p[14] = i >> 8;
		p[15] = i & 0xff;
		p[22] = (i * 7) & 0xff;
		ck_assert_int_eq(feed("segmentd drop a>b: ", p, len, T0 + n), 0);
		ck_assert_msg(!fed, "tuple %u was lost", i);
	}
	ck_assert_int_eq(stats().evicted, n - max);
	ck_assert_int_eq(denied_total(dn), n + max);
	denied_reset(dn);
	ck_assert_int_eq(stats().entries, 0);
	ck_assert_int_eq(denied_total(dn), 0);
	ck_assert_int_eq(stats().max_entries, max);
	assert_render(true, 0, "[]\n");
}
END_TEST

/* ---- rendering ---- */

static void feed_sample(void)
{
	uint8_t p[128];
	size_t len;

	for (int i = 0; i < 3; i++)
		feed_tcp(443, T0 + 60 * i);
	len = ip4(p, "203.0.113.9", "10.3.1.10", IPPROTO_UDP, 53);
	ck_assert_int_eq(feed("segmentd spoof lgwan: ", p, len, T0 + 30), 0);
	len = ip4(p, "10.2.8.10", "10.2.0.1", IPPROTO_ICMP, 8);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len, T0), 0);
	ck_assert_int_eq(feed("segmentd drop lgwan>gateway: ", p, len,
			      T0 + 3600), 0);
	len = ip6(p, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 123, NULL, 0);
	ck_assert_int_eq(feed("segmentd drop unzoned: ", p, len, T0 + 90), 0);
}

#define T_SUMMARY "7 denied packets logged in 4 tuples (at most 16 kept); " \
	"0 evicted, 0 lost\n"
#define T_TCP(pad) \
	"    3  lgwan>internet  tcp/443  " pad "2023-11-14T22:13:20Z  " \
	"2023-11-14T22:15:20Z\n" \
	"       10.2.8.10 -> 198.51.100.7\n"

START_TEST(render_text_exact)
{
	feed_sample();
	assert_render(false, 0, T_SUMMARY
"COUNT  PAIR            SERVICE            FIRST SEEN (UTC)      LAST SEEN (UTC)\n"
"       SOURCE -> DESTINATION\n"
T_TCP("          ")
"    2  lgwan>gateway   icmp/echo-request  2023-11-14T22:13:20Z  2023-11-14T23:13:20Z\n"
"       10.2.8.10 -> 10.2.0.1\n"
"    1  unzoned         udp/123            2023-11-14T22:14:50Z  2023-11-14T22:14:50Z\n"
"       fd00:2::25 -> 2001:db8::10\n"
"    1  spoof lgwan     udp/53             2023-11-14T22:13:50Z  2023-11-14T22:13:50Z\n"
"       203.0.113.9 -> 10.3.1.10\n");
	assert_render(false, 1, T_SUMMARY
"the 1 most frequent:\n"
"COUNT  PAIR            SERVICE  FIRST SEEN (UTC)      LAST SEEN (UTC)\n"
"       SOURCE -> DESTINATION\n"
T_TCP(""));
}
END_TEST

#define J_TCP "{\"pair\":\"lgwan>internet\",\"family\":\"ipv4\"," \
	"\"source\":\"10.2.8.10\",\"destination\":\"198.51.100.7\"," \
	"\"protocol\":6,\"service\":\"tcp/443\",\"port\":443,\"count\":3," \
	"\"first_seen\":\"2023-11-14T22:13:20Z\"," \
	"\"last_seen\":\"2023-11-14T22:15:20Z\"}"
#define J_ICMP "{\"pair\":\"lgwan>gateway\",\"family\":\"ipv4\"," \
	"\"source\":\"10.2.8.10\",\"destination\":\"10.2.0.1\"," \
	"\"protocol\":1,\"service\":\"icmp/echo-request\",\"icmp_type\":8," \
	"\"count\":2,\"first_seen\":\"2023-11-14T22:13:20Z\"," \
	"\"last_seen\":\"2023-11-14T23:13:20Z\"}"
#define J_V6 "{\"pair\":\"unzoned\",\"family\":\"ipv6\"," \
	"\"source\":\"fd00:2::25\",\"destination\":\"2001:db8::10\"," \
	"\"protocol\":17,\"service\":\"udp/123\",\"port\":123,\"count\":1," \
	"\"first_seen\":\"2023-11-14T22:14:50Z\"," \
	"\"last_seen\":\"2023-11-14T22:14:50Z\"}"
#define J_SPOOF "{\"pair\":\"spoof lgwan\",\"family\":\"ipv4\"," \
	"\"source\":\"203.0.113.9\",\"destination\":\"10.3.1.10\"," \
	"\"protocol\":17,\"service\":\"udp/53\",\"port\":53,\"count\":1," \
	"\"first_seen\":\"2023-11-14T22:13:50Z\"," \
	"\"last_seen\":\"2023-11-14T22:13:50Z\"}"

START_TEST(render_json_exact)
{
	feed_sample();
	assert_render(true, 0, "[" J_TCP "," J_ICMP "," J_V6 "," J_SPOOF "]\n");
	assert_render(true, 2, "[" J_TCP "," J_ICMP "]\n");
}
END_TEST

START_TEST(render_empty)
{
	assert_render(false, 0, "0 denied packets logged in 0 tuples (at most "
		      "16 kept); 0 evicted, 0 lost\n");
	assert_render(true, 0, "[]\n");
	assert_render(true, 5, "[]\n");
}
END_TEST

static void assert_width(const char *text, size_t max)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');

		ck_assert_msg((size_t)(end - line) <= max, "%zu columns: %.*s",
			      (size_t)(end - line), (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
}

/* The widest cells there can be: two 31-letter zone names, the longest
 * ICMP type name, full-length IPv6 addresses. */
START_TEST(render_fits_100_columns)
{
	static const char *const big = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	char prefix[128], *text;
	uint8_t p[128];
	size_t len;

	snprintf(prefix, sizeof(prefix), "segmentd drop %s>%s: ",
		 "abcdefghijklmnopqrstuvwxyz01234", "zyxwvutsrqponmlkjihgfedcba43210");
	len = ip6(p, big, big, IPPROTO_ICMPV6, 1, NULL, 0);
	ck_assert_int_eq(feed(prefix, p, len, T0), 0);
	len = ip4(p, "203.0.113.255", "198.51.100.255", IPPROTO_ICMP, 3);
	ck_assert_int_eq(feed("segmentd spoof abcdefghijklmnopqrstuvwxyz01234: ",
			      p, len, T0), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(feed(prefix, p, len, T0), 0);
	text = render(false, 0);
	assert_width(text, 100);
	/* cut cells end in '~'; the JSON has them whole */
	ck_assert_msg(strstr(text, "~"), "%s", text);
	ck_assert_msg(strstr(text, big), "%s", text);
	free(text);
	assert_json_has("\"pair\":\"abcdefghijklmnopqrstuvwxyz01234>"
			"zyxwvutsrqponmlkjihgfedcba43210\"");
	assert_json_has("\"service\":\"icmpv6/destination-unreachable\"");
}
END_TEST

/* ---- malformed input never crashes ---- */

/* random(3): the same sequence in every run (srandom in main) */
static uint64_t rng(void)
{
	return (uint64_t)random();
}

static void fuzz_check_totals(uint64_t fed_count)
{
	struct denied_stats st = stats();
	char *text;

	ck_assert_int_eq(st.total + st.malformed + st.ignored, fed_count);
	ck_assert_uint_le(st.entries, st.max_entries);
	text = render(false, 0);
	assert_width(text, 100);
	free(text);
	free(render(true, 0));
}

/* Each message in a heap block of its exact size (any length, aligned or
 * not): under SANITIZE=1 a read past nlmsg_len is an error. */
static int feed_exact(const void *bytes, size_t len, time_t now)
{
	struct nlmsghdr *nlh = malloc(len);
	int err;

	ck_assert_ptr_nonnull(nlh);
	memcpy(nlh, bytes, len);
	nlh->nlmsg_len = (uint32_t)len;
	err = denied_feed(dn, nlh, now, NULL);
	free(nlh);
	return err;
}

START_TEST(fuzz_random_bytes)
{
	static char buf[MSG_SIZE];
	const uint64_t rounds = 100000;

	for (uint64_t i = 0; i < rounds; i++) {
		size_t len = NLMSG_HDRLEN + rng() % (sizeof(buf) - NLMSG_HDRLEN);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		for (size_t j = 0; j < len; j++)
			buf[j] = (char)rng();
		if (i % 2)
			nlh->nlmsg_type = PACKET_TYPE;
		feed_exact(buf, len, T0 + (time_t)i);
	}
	fuzz_check_totals(rounds);
}
END_TEST

/* Found by libFuzzer: nlmsg_len 51, the prefix attribute ending in the
 * alignment padding after it (mnl_attr_parse read one byte too many). */
START_TEST(fuzz_regressions)
{
	static const uint8_t unaligned_tail[] = {
		0x00, 0x00, 0x00, 0x18, 0x00, 0x04, 0x00, 0x2d, 0x40, 0x04,
		0x29, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x72, 0x6f, 0x70,
		0x20, 0x00, 0x0a, 0x40, 0x73, 0x65, 0x67, 0x6d, 0x65, 0x6e,
		0x74, 0x64, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,
		0xff,
	};
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	const struct nlmsghdr *nlh;

	ck_assert_int_eq(feed_exact(unaligned_tail, sizeof(unaligned_tail),
				    T0), -ENOMSG);
	/* a valid message cut inside its payload attribute, unaligned */
	nlh = packet("segmentd drop a>b: ", p, len);
	for (uint32_t cut = nlh->nlmsg_len - 9; cut < nlh->nlmsg_len; cut++)
		ck_assert_int_eq(feed_exact(nlh, cut, T0), -EBADMSG);
	ck_assert_int_eq(feed_exact(nlh, nlh->nlmsg_len, T0), 0);
}
END_TEST

/* Random attribute soup in a well-formed packet message. */
START_TEST(fuzz_random_attributes)
{
	const uint64_t rounds = 50000;
	uint8_t junk[128];

	for (uint64_t i = 0; i < rounds; i++) {
		struct nlmsghdr *nlh = msg_start(msg, PACKET_TYPE);
		int attrs = (int)(rng() % 8);

		for (int a = 0; a < attrs; a++) {
			size_t len = rng() % sizeof(junk);
			uint16_t type = (uint16_t)(rng() % (NFULA_MAX + 3));

			for (size_t j = 0; j < len; j++)
				junk[j] = (uint8_t)rng();
			if (rng() % 4 == 0)
				junk[0] = (uint8_t)(rng() % 2 ? 0x45 : 0x60);
			if (type == NFULA_PREFIX && rng() % 2)
				memcpy(junk, "segmentd drop ", 14);
			mnl_attr_put(nlh, type, len, junk);
		}
		denied_feed(dn, nlh, T0, NULL);
	}
	fuzz_check_totals(rounds);
}
END_TEST

/* Valid messages with a few bytes changed (nlmsg_len kept readable). */
START_TEST(fuzz_mutations)
{
	static const uint8_t ext[] = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT };
	const uint64_t rounds = 100000;
	uint8_t p4[64], p6[128];
	size_t len4 = ip4(p4, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, 443);
	size_t len6 = ip6(p6, "fd00:2::25", "2001:db8::10", IPPROTO_UDP, 53,
			  ext, 2);

	for (uint64_t i = 0; i < rounds; i++) {
		const struct nlmsghdr *c = i % 2 ?
			packet("segmentd drop a>b: ", p4, len4) :
			packet("segmentd spoof a: ", p6, len6);
		uint32_t len = c->nlmsg_len;
		int flips = 1 + (int)(rng() % 4);

		for (int f = 0; f < flips; f++)
			msg[sizeof(struct nlmsghdr) + rng() %
			    (len - sizeof(struct nlmsghdr))] = (char)rng();
		denied_feed(dn, (const struct nlmsghdr *)msg, T0, NULL);
	}
	fuzz_check_totals(rounds);
	ck_assert_uint_gt(denied_total(dn), 0);
}
END_TEST

/* ---- denied_read over a socketpair ---- */

static void on_new(void *ctx, const struct denied_entry *e)
{
	ck_assert_ptr_eq(ctx, &calls);
	calls++;
	snprintf(last_pair, sizeof(last_pair), "%s", e->pair);
}

/* Appends a packet message for port to a datagram under construction. */
static size_t append(char *dgram, size_t off, uint16_t port)
{
	char buf[MSG_SIZE];
	uint8_t p[64];
	size_t len = ip4(p, "10.2.8.10", "198.51.100.7", IPPROTO_TCP, port);
	const struct nlmsghdr *nlh = packet_in(buf, "segmentd drop a>b: ", p,
					       len);

	memcpy(dgram + off, nlh, nlh->nlmsg_len);
	return off + NLMSG_ALIGN(nlh->nlmsg_len);
}

static void send_ports(const uint16_t *ports, size_t n, size_t junk)
{
	char dgram[8192] = { 0 };
	size_t off = 0;

	for (size_t i = 0; i < n; i++)
		off = append(dgram, off, ports[i]);
	memset(dgram + off, 0x11, junk);
	ck_assert_int_eq(send(peer, dgram, off + junk, 0),
			 (ssize_t)(off + junk));
}

START_TEST(read_rate_limited)
{
	static const uint16_t a[] = { 1, 2, 1 }, b[] = { 3, 4, 5 };

	send_ports(a, 3, 0);
	send_ports(b, 3, 7);                 /* 7 bytes that are no message */
	ck_assert_int_eq(denied_read(dn, on_new, &calls, 2), 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_str_eq(last_pair, "a>b");
	ck_assert_int_eq(denied_suppressed(dn), 3);
	ck_assert_int_eq(denied_total(dn), 6);
	ck_assert_int_eq(stats().entries, 5);
	ck_assert_int_eq(stats().malformed, 1);
	/* nothing pending: returns at once */
	ck_assert_int_eq(denied_read(dn, on_new, &calls, 2), 0);
	ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(read_without_callback)
{
	static const uint16_t a[] = { 1, 2, 3 }, b[] = { 9 };

	send_ports(a, 3, 0);
	ck_assert_int_eq(denied_read(dn, NULL, NULL, 1), 0);
	ck_assert_int_eq(denied_suppressed(dn), 0);
	send_ports(a, 3, 0);
	ck_assert_int_eq(denied_read(dn, on_new, &calls, 0), 0);
	ck_assert_int_eq(calls, 0);          /* none new */
	ck_assert_int_eq(denied_total(dn), 6);
	send_ports(b, 1, 0);
	ck_assert_int_eq(denied_read(dn, on_new, &calls, 0), 0);
	ck_assert_int_eq(calls, 0);          /* per_second 0: none */
	ck_assert_int_eq(denied_suppressed(dn), 1);
}
END_TEST

/* More datagrams than one call reads: the rest waits for the next. */
START_TEST(read_batch_bound)
{
	static const uint16_t one[] = { 80 };
	int size = 4 << 20;

	setsockopt(peer, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(denied_fd(dn), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	for (int i = 0; i < DENIED_READ_BATCH + 10; i++)
		send_ports(one, 1, 0);
	ck_assert_int_eq(denied_read(dn, NULL, NULL, 10), 0);
	ck_assert_int_eq(denied_total(dn), DENIED_READ_BATCH);
	ck_assert_int_eq(denied_read(dn, NULL, NULL, 10), 0);
	ck_assert_int_eq(denied_total(dn), DENIED_READ_BATCH + 10);
}
END_TEST

START_TEST(read_error)
{
	struct denied *d;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* not a socket: the error comes back */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(denied_open_fd(&d, fd, 4), 0);
	ck_assert_int_eq(denied_read(d, NULL, NULL, 1), -ENOTSOCK);
	denied_close(d);
}
END_TEST

START_TEST(open_arguments)
{
	struct denied *d = NULL;
	int fd = dup(peer);

	ck_assert_int_eq(denied_open_fd(&d, fd, 0), -EINVAL);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);   /* closed all the same */
	fd = dup(peer);
	ck_assert_int_eq(denied_open_fd(&d, fd, DENIED_MAX_ENTRIES_LIMIT + 1),
			 -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(denied_open(&d, 5, 0), -EINVAL);
	ck_assert_ptr_null(d);
	denied_close(NULL);
}
END_TEST

static Suite *denied_suite(void)
{
	Suite *s = suite_create("denied");
	TCase *parse = tcase_create("parse");
	TCase *agg = tcase_create("aggregate");
	TCase *out = tcase_create("render");
	TCase *fuzz = tcase_create("fuzz");
	TCase *rd = tcase_create("read");

	tcase_add_checked_fixture(parse, setup, teardown);
	tcase_add_test(parse, ipv4_tcp);
	tcase_add_test(parse, ipv6_udp);
	tcase_add_test(parse, icmp_and_others);
	tcase_add_test(parse, prefix_forms);
	tcase_add_test(parse, prefix_long_or_unterminated);
	tcase_add_test(parse, truncated_payloads);
	tcase_add_test(parse, link_layer_protocol);
	tcase_add_test(parse, garbage_attributes);
	tcase_add_test(parse, sequence_gaps);
	suite_add_tcase(s, parse);
	tcase_add_checked_fixture(agg, setup, teardown);
	tcase_add_test(agg, eviction_least_recently_seen);
	tcase_add_test(agg, eviction_one_slot);
	tcase_add_test(agg, eviction_many);
	suite_add_tcase(s, agg);
	tcase_add_checked_fixture(out, setup, teardown);
	tcase_add_test(out, render_text_exact);
	tcase_add_test(out, render_json_exact);
	tcase_add_test(out, render_empty);
	tcase_add_test(out, render_fits_100_columns);
	suite_add_tcase(s, out);
	tcase_add_checked_fixture(fuzz, setup, teardown);
	tcase_set_timeout(fuzz, 120);
	tcase_add_test(fuzz, fuzz_random_bytes);
	tcase_add_test(fuzz, fuzz_regressions);
	tcase_add_test(fuzz, fuzz_random_attributes);
	tcase_add_test(fuzz, fuzz_mutations);
	suite_add_tcase(s, fuzz);
	tcase_add_checked_fixture(rd, setup, teardown);
	tcase_add_test(rd, read_rate_limited);
	tcase_add_test(rd, read_without_callback);
	tcase_add_test(rd, read_batch_bound);
	tcase_add_test(rd, read_error);
	tcase_add_test(rd, open_arguments);
	suite_add_tcase(s, rd);
	return s;
}

/* ---- the kernel suite (DENIED_KERNEL_TEST=1, root) ---- */

#define GROUP 7

static const char kernel_rules[] =
	"table inet denied_test {\n"
	"  chain out {\n"
	"    type filter hook output priority 0; policy accept;\n"
	"    ip daddr 127.0.0.2 log prefix \"segmentd drop a>b: \" group 7\n"
	"    ip6 daddr ::1 udp dport 9999 log prefix \"segmentd spoof a: \" "
	"group 7\n"
	"  }\n"
	"}\n";

/* This (forked) test process moves to a network namespace of its own:
 * loopback up, the rules above.  The machine's namespace is not touched. */
static void kernel_setup(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;
	FILE *nft;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s",
		      strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
	nft = popen("nft -f -", "w");
	ck_assert_ptr_nonnull(nft);
	fputs(kernel_rules, nft);
	ck_assert_int_eq(pclose(nft), 0);
	ck_assert_int_eq(denied_open(&dn, GROUP, 64), 0);
}

static void kernel_teardown(void)
{
	denied_close(dn);
	dn = NULL;
}

static void send_udp(int family, const char *dst, uint16_t port, int count)
{
	struct sockaddr_storage sa = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, dst, &in->sin_addr);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, dst, &in6->sin6_addr);
	}
	for (int i = 0; i < count; i++)
		ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa,
					sizeof(sa)), 1);
	close(fd);
}

/* One SYN (nobody listens: a RST answers, no retransmission). */
static void send_syn(const char *dst, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, dst, &in.sin_addr);
	connect(fd, (struct sockaddr *)&in, sizeof(in));
	close(fd);
}

static void send_echo(const char *dst)
{
	uint8_t icmp[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };   /* checksummed */
	struct sockaddr_in in = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, dst, &in.sin_addr);
	ck_assert_int_eq(sendto(fd, icmp, sizeof(icmp), 0,
				(struct sockaddr *)&in, sizeof(in)), 8);
	close(fd);
}

START_TEST(kernel_aggregates)
{
	struct denied *second = NULL;

	/* logging is synchronous with the sending: all queued on return */
	send_udp(AF_INET, "127.0.0.2", 5353, 3);
	send_syn("127.0.0.2", 7777);
	send_udp(AF_INET6, "::1", 9999, 2);
	send_echo("127.0.0.2");
	ck_assert_int_eq(denied_read(dn, on_new, &calls, 2), 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(denied_suppressed(dn), 2);
	ck_assert_int_eq(denied_total(dn), 7);
	ck_assert_int_eq(stats().entries, 4);
	ck_assert_int_eq(stats().malformed + stats().ignored + stats().lost, 0);
	assert_json_has("{\"pair\":\"a>b\",\"family\":\"ipv4\",\"source\":"
			"\"127.0.0.1\",\"destination\":\"127.0.0.2\","
			"\"protocol\":17,\"service\":\"udp/5353\",\"port\":5353,"
			"\"count\":3,");
	assert_json_has("\"protocol\":6,\"service\":\"tcp/7777\",\"port\":7777,"
			"\"count\":1,");
	assert_json_has("{\"pair\":\"spoof a\",\"family\":\"ipv6\",\"source\":"
			"\"::1\",\"destination\":\"::1\",\"protocol\":17,"
			"\"service\":\"udp/9999\",\"port\":9999,\"count\":2,");
	assert_json_has("\"service\":\"icmp/echo-request\",\"icmp_type\":8,"
			"\"count\":1,");
	/* the group is ours while we hold it, free again once closed */
	ck_assert_int_eq(denied_open(&second, GROUP, 4), -EPERM);
	denied_close(dn);
	dn = NULL;
	ck_assert_int_eq(denied_open(&dn, GROUP, 4), 0);
}
END_TEST

/* A tiny receive buffer overflows: ENOBUFS is counted, reading goes on,
 * and the sequence numbers account for every message lost. */
START_TEST(kernel_overrun)
{
	int small = 1;
	struct denied_stats st;

	setsockopt(denied_fd(dn), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_udp(AF_INET, "127.0.0.2", 5353, 500);
	do {
		st = stats();
		ck_assert_int_eq(denied_read(dn, NULL, NULL, 0), 0);
	} while (stats().total != st.total);
	send_udp(AF_INET, "127.0.0.2", 5353, 1);   /* reveals a lost tail */
	ck_assert_int_eq(denied_read(dn, NULL, NULL, 0), 0);
	st = stats();
	ck_assert_uint_gt(st.overruns, 0);
	ck_assert_uint_gt(st.lost, 0);
	ck_assert_int_eq(st.total + st.lost, 501);
	ck_assert_int_eq(st.entries, 1);
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("denied-kernel");
	TCase *tc = tcase_create("nflog");

	tcase_add_checked_fixture(tc, kernel_setup, kernel_teardown);
	tcase_add_test(tc, kernel_aggregates);
	tcase_add_test(tc, kernel_overrun);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	bool kernel = getenv("DENIED_KERNEL_TEST") &&
		      !strcmp(getenv("DENIED_KERNEL_TEST"), "1");
	SRunner *sr = srunner_create(kernel ? kernel_suite() : denied_suite());
	int failed;

	srandom(20240501);
	/* the kernel tests leave this process's namespace: always fork */
	if (kernel)
		srunner_set_fork_status(sr, CK_FORK);
	failed = check_run_runner(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
