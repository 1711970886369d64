/* nflog.c - the NFLOG group of our log rules: bind it, and turn one logged
 * packet (NFULNL_MSG_PACKET) into a denied tuple.
 *
 * No NFULNL_CFG_CMD_PF_UNBIND/PF_BIND: since Linux 3.17 nft's `log group`
 * reaches nfnetlink_log without a per-family binding, and unbinding would
 * take the logger away from whoever else uses the namespace's nf_log
 * binding (ulogd, `log` rules of other tables): not ours to touch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "denied.h"
#include "model.h"

#define NFLOG_RCVBUF (2 * 1024 * 1024)
#define ACK_TIMEOUT_MS 1000
#define ACK_BUFFER 8192         /* the kernel's NLMSG_GOODSIZE batches */
#define IPV6_EXT_MAX 8          /* extension headers walked at most */

static const char prefix_ours[] = "segmentd ";
static const char prefix_drop[] = "drop ";

/* One config message does it all: the kernel creates the instance (BIND)
 * and applies mode, threshold and flags to it atomically. */
static struct nlmsghdr *config_build(char *buf, uint16_t group, uint32_t seq)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(NFLOG_COPY_RANGE),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	/* every packet at once (the default batches 100 or waits 1 s) */
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	/* sequence numbers: lost messages show as gaps */
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	return nlh;
}

/* The kernel's answer to seq.  Packets logged between the bind and the
 * answer come first; they are skipped. */
static int config_ack(struct mnl_socket *nl, uint32_t seq)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	char buf[ACK_BUFFER];

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (poll(&pfd, 1, ACK_TIMEOUT_MS) == 0)
				return -ETIMEDOUT;
			continue;
		}
		/* ENOSPC: a logged packet too big for buf, skipped */
		if (n < 0 && errno != ENOBUFS && errno != ENOSPC)
			return -errno;
		/* mnl_nlmsg_ok() compares the length as an int: a length of
		 * 2 GiB or more must not pass (denied.c: message_ok) */
		for (; n > 0 && mnl_nlmsg_ok(nlh, len) &&
		       nlh->nlmsg_len <= (uint32_t)len;
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EBADMSG;
			return e->error;
		}
	}
}

int nflog_open(uint16_t group, struct mnl_socket **out)
{
	char buf[256] = { 0 };      /* the config message is ~60 bytes */
	uint32_t seq = (uint32_t)time(NULL);
	int size = NFLOG_RCVBUF, fd, err;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!nl)
		return -errno;
	fd = mnl_socket_get_fd(nl);
	/* a burst of logged drops must not overflow it (FORCE needs
	 * CAP_NET_ADMIN, which binding needs anyway) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	nlh = config_build(buf, group, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto fail;
	}
	err = config_ack(nl, seq);
	if (err)
		goto fail;
	*out = nl;
	return 0;
fail:
	mnl_socket_close(nl);
	return err;
}

/* The attributes of one message, last one of a type winning.  Bounded by
 * nlmsg_len itself: mnl_attr_parse() would trust up to 3 bytes of
 * alignment padding past it. */
static void attrs_parse(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const struct nlattr *a;

	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	for (; mnl_attr_ok(a, (int)(end - (const char *)a));
	     a = mnl_attr_next(a)) {
		uint16_t type = mnl_attr_get_type(a);

		if (type <= NFULA_MAX)      /* newer kernels' attributes: ignored */
			tb[type] = a;
	}
}

static bool pair_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '>' || c == ' ';
}

/* "segmentd drop lgwan>internet: " -> "lgwan>internet"; "segmentd spoof
 * lgwan: " -> "spoof lgwan".  Anything outside [A-Za-z0-9._> -] becomes
 * '?', so the pair is safe in text and JSON as it is. */
static int prefix_pair(const struct nlattr *a, char *pair, size_t size)
{
	const char *s;
	size_t len;

	if (!a)
		return -ENOMSG;
	s = mnl_attr_get_payload(a);
	len = strnlen(s, mnl_attr_get_payload_len(a));
	if (len < strlen(prefix_ours) ||
	    memcmp(s, prefix_ours, strlen(prefix_ours)))
		return -ENOMSG;
	s += strlen(prefix_ours);
	len -= strlen(prefix_ours);
	if (len >= strlen(prefix_drop) &&
	    !memcmp(s, prefix_drop, strlen(prefix_drop))) {
		s += strlen(prefix_drop);
		len -= strlen(prefix_drop);
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == ':'))
		len--;
	if (!len)
		return -EBADMSG;
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		pair[i] = pair_char_ok(s[i]) ? s[i] : '?';
	pair[len] = '\0';
	return 0;
}

bool denied_has_port(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

bool denied_has_icmp_type(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Destination port or ICMP type from the first bytes of the L4 header
 * (all of them keep the destination port at offset 2). */
static void l4_parse(struct denied_entry *k, const uint8_t *l4, size_t len)
{
	if (denied_has_port(k->proto)) {
		if (len >= 4)
			k->dport = (uint16_t)(l4[2] << 8 | l4[3]);
		else
			k->flags |= DENIED_NO_L4;
	} else if (denied_has_icmp_type(k->proto)) {
		if (len >= 1)
			k->icmp_type = l4[0];
		else
			k->flags |= DENIED_NO_L4;
	}
}

static int ipv4_parse(const uint8_t *p, size_t len, struct denied_entry *k)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	bool later_fragment;

	if (len < 20 || ihl < 20 || ihl > len)
		return -EBADMSG;
	k->family = AF_INET;
	k->proto = p[9];
	memcpy(k->saddr, p + 12, 4);
	memcpy(k->daddr, p + 16, 4);
	later_fragment = ((p[6] << 8 | p[7]) & 0x1fff) != 0;
	l4_parse(k, p + ihl, later_fragment ? 0 : len - ihl);
	return 0;
}

static bool ipv6_is_extension(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_AH;
}

/* Walks the extension headers to the upper-layer protocol.  A chain cut
 * by the copy range, or a later fragment, leaves the last protocol known
 * with DENIED_NO_L4. */
static int ipv6_parse(const uint8_t *p, size_t len, struct denied_entry *k)
{
	size_t off = 40;
	uint8_t nh;

	if (len < 40)
		return -EBADMSG;
	k->family = AF_INET6;
	memcpy(k->saddr, p + 8, 16);
	memcpy(k->daddr, p + 24, 16);
	nh = p[6];
	for (int i = 0; ipv6_is_extension(nh); i++) {
		const uint8_t *h = p + off;

		if (i == IPV6_EXT_MAX || off + 8 > len) {
			k->proto = nh;
			k->flags |= DENIED_NO_L4;
			return 0;
		}
		if (nh == IPPROTO_FRAGMENT && ((h[2] << 8 | h[3]) & 0xfff8)) {
			k->proto = h[0];
			l4_parse(k, h, 0);
			return 0;
		}
		if (nh == IPPROTO_FRAGMENT)
			off += 8;
		else if (nh == IPPROTO_AH)
			off += ((size_t)h[1] + 2) * 4;
		else
			off += ((size_t)h[1] + 1) * 8;
		nh = h[0];
	}
	k->proto = nh;
	l4_parse(k, p + (off < len ? off : len), off < len ? len - off : 0);
	return 0;
}

/* The IP version decides; the link-layer protocol, when given, agrees. */
static int payload_parse(const struct nlattr *payload,
			 const struct nlattr *hdr, struct denied_entry *k)
{
	const uint8_t *p;
	uint16_t hw = 0;
	size_t len;

	if (!payload || !mnl_attr_get_payload_len(payload))
		return -EBADMSG;
	p = mnl_attr_get_payload(payload);
	len = mnl_attr_get_payload_len(payload);
	if (hdr) {
		const struct nfulnl_msg_packet_hdr *ph;

		ph = mnl_attr_get_payload(hdr);
		hw = ntohs(ph->hw_protocol);
	}
	if (hw && hw != ETH_P_IP && hw != ETH_P_IPV6)
		return -ENOMSG;             /* ARP, bridge: not our rules */
	if (p[0] >> 4 == 4 && hw != ETH_P_IPV6)
		return ipv4_parse(p, len, k);
	if (p[0] >> 4 == 6 && hw != ETH_P_IP)
		return ipv6_parse(p, len, k);
	return -EBADMSG;
}

int nflog_parse(const struct nlmsghdr *nlh, struct denied_entry *key,
		int64_t *seq)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	int err;

	*seq = -1;
	memset(key, 0, sizeof(*key));
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return -ENOMSG;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return -EBADMSG;
	/* stops quietly at an attribute whose length does not fit */
	attrs_parse(nlh, tb);
	if (tb[NFULA_SEQ] &&
	    mnl_attr_validate(tb[NFULA_SEQ], MNL_TYPE_U32) == 0)
		*seq = ntohl(mnl_attr_get_u32(tb[NFULA_SEQ]));
	if (tb[NFULA_PACKET_HDR] &&
	    mnl_attr_get_payload_len(tb[NFULA_PACKET_HDR]) <
	    sizeof(struct nfulnl_msg_packet_hdr))
		return -EBADMSG;
	if (tb[NFULA_IFINDEX_OUTDEV] &&
	    mnl_attr_validate(tb[NFULA_IFINDEX_OUTDEV], MNL_TYPE_U32) == 0)
		key->oif = ntohl(mnl_attr_get_u32(tb[NFULA_IFINDEX_OUTDEV]));
	err = prefix_pair(tb[NFULA_PREFIX], key->pair, sizeof(key->pair));
	err = err ?: payload_parse(tb[NFULA_PAYLOAD], tb[NFULA_PACKET_HDR],
				   key);
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}

/* ---- the service column ---- */

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_IGMP: return "igmp";
	case IPPROTO_IPIP: return "ipip";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_IPV6: return "ipv6";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_UDPLITE: return "udplite";
	default: return NULL;
	}
}

void denied_service(const struct denied_entry *e, char *buf, size_t len)
{
	const char *name = proto_name(e->proto), *type;

	if (!name)
		snprintf(buf, len, "proto-%u", e->proto);
	else if (e->flags & DENIED_NO_L4)     /* only ports or ICMP types */
		snprintf(buf, len, "%s/?", name);
	else if (denied_has_port(e->proto))
		snprintf(buf, len, "%s/%u", name, e->dport);
	else if (denied_has_icmp_type(e->proto) &&
		 (type = icmp_type_name(e->proto, e->icmp_type)))
		snprintf(buf, len, "%s/%s", name, type);
	else if (denied_has_icmp_type(e->proto))
		snprintf(buf, len, "%s/%u", name, e->icmp_type);
	else
		snprintf(buf, len, "%s", name);
}
