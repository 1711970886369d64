/* conntrack.c - ctnetlink over libmnl: dump, delete, and the pure message
 * builders and parser behind them (conntrack.h). */
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netlink.h"

#define CT_TYPE(msg) ((NFNL_SUBSYS_CTNETLINK << 8) | (msg))

void ct_list_free(struct ct_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int list_push(struct ct_list *l, const struct ct_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ct_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

/* --- building ------------------------------------------------------ */

static struct nlmsghdr *put_header(void *buf, size_t len, uint16_t type,
				   uint16_t flags, uint32_t seq, uint8_t fam)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return NULL;
	memset(buf, 0, len);   /* attribute padding goes out too */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = fam;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

/* The room one entry's attributes can take, with margin. */
#define CT_ENTRY_ROOM 256

int ct_build_dump(void *buf, size_t len, uint32_t seq, uint32_t mark,
		  uint32_t mask)
{
	struct nlmsghdr *nlh = put_header(buf, len, CT_TYPE(IPCTNL_MSG_CT_GET),
					  NLM_F_REQUEST | NLM_F_DUMP, seq,
					  AF_UNSPEC);

	if (!nlh || len < MNL_NLMSG_HDRLEN + 64)
		return -ENOSPC;
	if (mask) {
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	}
	return (int)nlh->nlmsg_len;
}

static void put_tuple(struct nlmsghdr *nlh, const struct ct_entry *e)
{
	bool v4 = e->family == AF_INET;
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);

	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16,
		     e->src);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16,
		     e->dst);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
	if (e->has_ports) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(e->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(e->dport));
	} else if (e->has_icmp) {
		bool six = e->proto == IPPROTO_ICMPV6;

		mnl_attr_put_u16(nlh, six ? CTA_PROTO_ICMPV6_ID :
				 CTA_PROTO_ICMP_ID, htons(e->icmp_id));
		mnl_attr_put_u8(nlh, six ? CTA_PROTO_ICMPV6_TYPE :
				CTA_PROTO_ICMP_TYPE, e->icmp_type);
		mnl_attr_put_u8(nlh, six ? CTA_PROTO_ICMPV6_CODE :
				CTA_PROTO_ICMP_CODE, e->icmp_code);
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

static bool family_ok(uint8_t fam)
{
	return fam == AF_INET || fam == AF_INET6;
}

int ct_build_delete(void *buf, size_t len, uint32_t seq,
		    const struct ct_entry *e)
{
	struct nlmsghdr *nlh;

	if (!family_ok(e->family))
		return -EINVAL;
	if (len < MNL_NLMSG_HDRLEN + CT_ENTRY_ROOM)
		return -ENOSPC;
	nlh = put_header(buf, len, CT_TYPE(IPCTNL_MSG_CT_DELETE),
			 NLM_F_REQUEST | NLM_F_ACK, seq, e->family);
	put_tuple(nlh, e);
	if (e->id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	return (int)nlh->nlmsg_len;
}

int ct_build_entry(void *buf, size_t len, const struct ct_entry *e)
{
	struct nlmsghdr *nlh;

	if (!family_ok(e->family))
		return -EINVAL;
	if (len < MNL_NLMSG_HDRLEN + CT_ENTRY_ROOM)
		return -ENOSPC;
	nlh = put_header(buf, len, CT_TYPE(IPCTNL_MSG_CT_NEW), NLM_F_MULTI, 0,
			 e->family);
	put_tuple(nlh, e);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark));
	if (e->id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	return (int)nlh->nlmsg_len;
}

/* --- parsing -------------------------------------------------------- */

/* Collects the attributes of one nest level (types up to max). */
struct attrs {
	const struct nlattr *a[CTA_MAX + 1];
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->a[type] = attr;
	return MNL_CB_OK;
}

static int nest_parse(const struct nlattr *nest, int max, struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	return mnl_attr_parse_nested(nest, attr_cb, t) == MNL_CB_OK ? 0
								   : -EINVAL;
}

/* The message's own attributes, bounded by nlmsg_len itself:
 * mnl_attr_parse() walks up to the aligned end, 3 bytes past an odd
 * nlmsg_len and so past the end of a buffer that ends there.  An
 * attribute cut by nlmsg_len refuses the message.  Nests are bounded by
 * their own nla_len (mnl_attr_parse_nested). */
static int top_parse(const struct nlmsghdr *nlh, struct attrs *t)
{
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const struct nlattr *a;

	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	for (; mnl_attr_ok(a, (int)(end - (const char *)a)); a = mnl_attr_next(a))
		attr_cb(a, t);
	return (const char *)a < end ? -EINVAL : 0;  /* a cut attribute */
}

static bool attr_len_is(const struct nlattr *a, size_t n)
{
	return a && mnl_attr_get_payload_len(a) == n;
}

static int parse_ip(const struct nlattr *nest, struct ct_entry *e)
{
	struct attrs t;
	bool v4;

	if (nest_parse(nest, CTA_IP_MAX, &t))
		return -EINVAL;
	v4 = t.a[CTA_IP_V4_SRC] || t.a[CTA_IP_V4_DST];
	e->family = v4 ? AF_INET : AF_INET6;
	if (v4 ? !attr_len_is(t.a[CTA_IP_V4_SRC], 4) ||
		 !attr_len_is(t.a[CTA_IP_V4_DST], 4)
	       : !attr_len_is(t.a[CTA_IP_V6_SRC], 16) ||
		 !attr_len_is(t.a[CTA_IP_V6_DST], 16))
		return -EINVAL;
	memcpy(e->src, mnl_attr_get_payload(t.a[v4 ? CTA_IP_V4_SRC :
					    CTA_IP_V6_SRC]), v4 ? 4 : 16);
	memcpy(e->dst, mnl_attr_get_payload(t.a[v4 ? CTA_IP_V4_DST :
					    CTA_IP_V6_DST]), v4 ? 4 : 16);
	return 0;
}

static uint16_t get_be16(const struct nlattr *a)
{
	return ntohs(mnl_attr_get_u16(a));
}

static int parse_proto(const struct nlattr *nest, struct ct_entry *e)
{
	struct attrs t;
	int id, type, code;

	if (nest_parse(nest, CTA_PROTO_MAX, &t) ||
	    !attr_len_is(t.a[CTA_PROTO_NUM], 1))
		return -EINVAL;
	e->proto = mnl_attr_get_u8(t.a[CTA_PROTO_NUM]);
	if (attr_len_is(t.a[CTA_PROTO_SRC_PORT], 2) &&
	    attr_len_is(t.a[CTA_PROTO_DST_PORT], 2)) {
		e->has_ports = true;
		e->sport = get_be16(t.a[CTA_PROTO_SRC_PORT]);
		e->dport = get_be16(t.a[CTA_PROTO_DST_PORT]);
		return 0;
	}
	bool six = e->proto == IPPROTO_ICMPV6;

	id = six ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID;
	type = six ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE;
	code = six ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE;
	if (attr_len_is(t.a[type], 1) && attr_len_is(t.a[code], 1) &&
	    attr_len_is(t.a[id], 2)) {
		e->has_icmp = true;
		e->icmp_type = mnl_attr_get_u8(t.a[type]);
		e->icmp_code = mnl_attr_get_u8(t.a[code]);
		e->icmp_id = get_be16(t.a[id]);
	}
	return 0;
}

static int parse_tuple(const struct nlattr *nest, struct ct_entry *e)
{
	struct attrs t;

	if (nest_parse(nest, CTA_TUPLE_MAX, &t) || !t.a[CTA_TUPLE_IP] ||
	    !t.a[CTA_TUPLE_PROTO])
		return -EINVAL;
	if (parse_ip(t.a[CTA_TUPLE_IP], e))
		return -EINVAL;
	return parse_proto(t.a[CTA_TUPLE_PROTO], e);
}

int ct_parse_entry(const struct nlmsghdr *nlh, size_t len,
		   struct ct_entry *e)
{
	struct attrs t = { .max = CTA_MAX };
	const struct nfgenmsg *nfg;

	memset(e, 0, sizeof(*e));
	/* nlmsg_len checked here: mnl_nlmsg_ok() takes 2 GiB and more as
	 * negative, and mnl_attr_parse() would walk past the buffer */
	if (len < MNL_NLMSG_HDRLEN || len > INT32_MAX ||
	    nlh->nlmsg_len > len || !mnl_nlmsg_ok(nlh, (int)len) ||
	    nlh->nlmsg_type != CT_TYPE(IPCTNL_MSG_CT_NEW) ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (top_parse(nlh, &t) || !t.a[CTA_TUPLE_ORIG] ||
	    parse_tuple(t.a[CTA_TUPLE_ORIG], e))
		return -EINVAL;
	if (nfg->nfgen_family && nfg->nfgen_family != e->family)
		return -EINVAL;
	if (attr_len_is(t.a[CTA_MARK], 4))
		e->mark = ntohl(mnl_attr_get_u32(t.a[CTA_MARK]));
	if (attr_len_is(t.a[CTA_ID], 4))
		e->id = ntohl(mnl_attr_get_u32(t.a[CTA_ID]));
	if (attr_len_is(t.a[CTA_ZONE], 2))
		e->zone = get_be16(t.a[CTA_ZONE]);
	return 0;
}

void ct_entry_format(const struct ct_entry *e, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";
	const char *proto = e->proto == IPPROTO_TCP ? "tcp" :
			    e->proto == IPPROTO_UDP ? "udp" :
			    e->proto == IPPROTO_ICMP ? "icmp" :
			    e->proto == IPPROTO_ICMPV6 ? "icmpv6" : NULL;
	char pbuf[16];

	inet_ntop(e->family, e->src, s, sizeof(s));
	inet_ntop(e->family, e->dst, d, sizeof(d));
	if (!proto) {
		snprintf(pbuf, sizeof(pbuf), "proto-%u", e->proto);
		proto = pbuf;
	}
	if (e->has_ports && e->family == AF_INET6)
		snprintf(buf, len, "%s [%s]:%u -> [%s]:%u", proto, s, e->sport,
			 d, e->dport);
	else if (e->has_ports)
		snprintf(buf, len, "%s %s:%u -> %s:%u", proto, s, e->sport, d,
			 e->dport);
	else if (e->has_icmp)
		snprintf(buf, len, "%s %s -> %s type %u", proto, s, d,
			 e->icmp_type);
	else
		snprintf(buf, len, "%s %s -> %s", proto, s, d);
}

/* --- the kernel ----------------------------------------------------- */

/* Without SOCK_CLOEXEC, as mnl_socket_open() opened it. */
static int sock_open(struct mnl_socket **out)
{
	return nl_socket_bound(0, out);
}

struct dump_ctx {
	struct ct_list *out;
	int added, err;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct ct_entry e;

	if (ct_parse_entry(nlh, nlh->nlmsg_len, &e))
		return MNL_CB_OK;     /* not one we can name: skipped */
	if (list_push(c->out, &e)) {
		c->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	c->added++;
	return MNL_CB_OK;
}

/* Sends the request in buf and runs cb over the answer until done. */
static int talk(struct mnl_socket *nl, void *buf, size_t len, uint32_t seq,
		mnl_cb_t cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, buf, len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(rbuf, (size_t)n, seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int ct_dump(uint32_t mark, uint32_t mask, struct ct_list *out)
{
	char buf[MNL_NLMSG_HDRLEN + 128];
	struct dump_ctx c = { .out = out };
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *nl = NULL;
	int len = ct_build_dump(buf, sizeof(buf), seq, mark, mask);
	int err = len < 0 ? len : sock_open(&nl);

	if (err)
		return err;
	err = talk(nl, buf, (size_t)len, seq, dump_cb, &c);
	mnl_socket_close(nl);
	if (c.err)
		return c.err;
	return err ? err : c.added;
}

static int delete_on(struct mnl_socket *nl, const struct ct_entry *e,
		     uint32_t seq)
{
	char buf[MNL_NLMSG_HDRLEN + CT_ENTRY_ROOM];
	int len = ct_build_delete(buf, sizeof(buf), seq, e);

	if (len < 0)
		return len;
	return talk(nl, buf, (size_t)len, seq, NULL, NULL);
}

int ct_delete(const struct ct_entry *e)
{
	struct mnl_socket *nl = NULL;
	int err = sock_open(&nl);

	if (err)
		return err;
	err = delete_on(nl, e, (uint32_t)time(NULL));
	mnl_socket_close(nl);
	return err;
}

int ct_delete_where(bool (*doomed)(const struct ct_entry *e, void *ctx),
		    void *ctx, size_t *deleted)
{
	struct ct_list l = { 0 };
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	int n = ct_dump(CT_MARK_SPACE, CT_MARK_SPACE, &l), first = 0;

	*deleted = 0;
	if (n < 0)
		return n;
	if (!l.n || (first = sock_open(&nl))) {
		ct_list_free(&l);
		return first;
	}
	for (size_t i = 0; i < l.n; i++) {
		int err;

		if (!doomed(&l.v[i], ctx))
			continue;
		err = delete_on(nl, &l.v[i], ++seq);
		if (!err)
			(*deleted)++;
		else if (err != -ENOENT && !first)
			first = err;
	}
	mnl_socket_close(nl);
	ct_list_free(&l);
	return first;
}
