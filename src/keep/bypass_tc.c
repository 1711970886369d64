/* bypass_tc.c - hooks below netfilter on zone interfaces: tc filters on
 * the clsact ingress/egress of a zone interface (`mirred` redirects packets
 * around the IP stack and our forward chain) and attached XDP programs.
 * Read over rtnetlink; reported, never touched. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bypass.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif
#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

struct tc_ctx {
	const char *ifname, *where;
	struct hook_report *out;
	bool any, mirred;        /* filters: one line per interface side */
	char kinds[64];
};

/* Does the message carry an action of this kind anywhere inside? */
static bool mentions(const struct nlmsghdr *nlh, const char *kind)
{
	const char *p = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh), k = strlen(kind) + 1;

	for (size_t i = 0; i + k <= len; i++)
		if (!memcmp(p + i, kind, k))
			return true;
	return false;
}

static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tc_ctx *x = data;
	const struct nlattr *a;
	size_t len = strlen(x->kinds);

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		const char *kind;

		if (mnl_attr_get_type(a) != TCA_KIND ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			continue;
		kind = mnl_attr_get_str(a);
		if (!strstr(x->kinds, kind))
			snprintf(x->kinds + len, sizeof(x->kinds) - len,
				 "%s%s", len ? "," : "", kind);
	}
	x->any = true;
	x->mirred |= mentions(nlh, "mirred");
	return MNL_CB_OK;
}

static int talk(struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	char buf[16384];
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(s);
	int ret;

	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

/* A dump of a clsact that is not there, or of a link that went away,
 * has nothing to report; any other error means the scan failed. */
static bool nothing_there(int err)
{
	return err == 0 || err == -ENOENT || err == -EINVAL || err == -ENODEV ||
	       err == -EOPNOTSUPP;
}

static int scan_filters(struct mnl_socket *s, const char *ifname,
			unsigned ifindex, struct hook_report *out)
{
	static const struct { uint32_t min; const char *where; } dirs[] = {
		{ TC_H_MIN_INGRESS, "ingress" }, { TC_H_MIN_EGRESS, "egress" },
	};

	int err;

	for (size_t i = 0; i < 2; i++) {
		char buf[256] = { 0 };
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct tcmsg *t;
		struct tc_ctx x = { .ifname = ifname, .where = dirs[i].where,
				    .out = out };

		nlh->nlmsg_type = RTM_GETTFILTER;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = (uint32_t)time(NULL) + (uint32_t)i;
		t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = (int)ifindex;
		t->tcm_parent = TC_H_MAKE(TC_H_CLSACT, dirs[i].min);
		err = talk(s, nlh, filter_cb, &x);
		if (!nothing_there(err))
			return err;
		if (x.any)
			hook_report_add(out, "tc: %s filter '%s' on zone "
					"interface '%s'%s", x.where, x.kinds,
					ifname, x.mirred ? ": mirred (packets "
					"redirected around the forward chain)"
					: "");
	}
	return 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tc_ctx *x = data;
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(a) != IFLA_XDP)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == IFLA_XDP_ATTACHED &&
			    mnl_attr_get_payload_len(b) >= 1 &&
			    mnl_attr_get_u8(b) != XDP_ATTACHED_NONE)
				hook_report_add(x->out, "xdp: a program is "
						"attached to zone interface "
						"'%s'", x->ifname);
	}
	return MNL_CB_OK;
}

static int scan_xdp(struct mnl_socket *s, const char *ifname,
		    unsigned ifindex, struct hook_report *out)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct tc_ctx x = { .ifname = ifname, .out = out };
	int err;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;   /* the ACK ends the read */
	nlh->nlmsg_seq = (uint32_t)time(NULL) + 7;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	err = talk(s, nlh, link_cb, &x);
	return err == -ENODEV ? 0 : err;
}

int bypass_scan_tc(char *const *ifaces, size_t n, struct hook_report *out)
{
	struct mnl_socket *s;
	int err = 0;

	if (!n)
		return 0;
	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		if (s)
			mnl_socket_close(s);
		return err;
	}
	for (size_t i = 0; i < n && !err; i++) {
		unsigned idx = if_nametoindex(ifaces[i]);

		if (!idx)
			continue;
		err = scan_filters(s, ifaces[i], idx, out);
		if (!err)
			err = scan_xdp(s, ifaces[i], idx, out);
	}
	mnl_socket_close(s);
	return err;
}
