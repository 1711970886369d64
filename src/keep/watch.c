/* watch.c - reading nftables change events and naming who made them. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "utf8.h"
#include "watch.h"

#define MONITOR_RCVBUF (8 * 1024 * 1024)

static const char *msg_name(unsigned type)
{
	static const char *const names[] = {
		[NFT_MSG_NEWTABLE] = "NEWTABLE", [NFT_MSG_DELTABLE] = "DELTABLE",
		[NFT_MSG_NEWCHAIN] = "NEWCHAIN", [NFT_MSG_DELCHAIN] = "DELCHAIN",
		[NFT_MSG_NEWRULE] = "NEWRULE", [NFT_MSG_DELRULE] = "DELRULE",
		[NFT_MSG_NEWSET] = "NEWSET", [NFT_MSG_DELSET] = "DELSET",
		[NFT_MSG_NEWSETELEM] = "NEWSETELEM",
		[NFT_MSG_DELSETELEM] = "DELSETELEM",
		[NFT_MSG_NEWOBJ] = "NEWOBJ", [NFT_MSG_DELOBJ] = "DELOBJ",
		[NFT_MSG_NEWFLOWTABLE] = "NEWFLOWTABLE",
		[NFT_MSG_DELFLOWTABLE] = "DELFLOWTABLE",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type]
	       ? names[type] : "OTHER";
}

int watch_open(struct watch *w, const char *table, uint32_t self_portid)
{
	int size = MONITOR_RCVBUF;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	snprintf(w->table, sizeof(w->table), "%s", table);
	w->self_portid = self_portid;
	w->sock = mnl_socket_open2(NETLINK_NETFILTER,
				   SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->sock)
		return -errno;
	if (mnl_socket_bind(w->sock, 1 << (NFNLGRP_NFTABLES - 1),
			    MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		watch_close(w);
		return err;
	}
	w->fd = mnl_socket_get_fd(w->sock);
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

void watch_reset_delta(struct watch *w)
{
	free(w->delta.elems);
	memset(&w->delta, 0, sizeof(w->delta));
}

void watch_close(struct watch *w)
{
	watch_reset_delta(w);
	if (w->sock)
		mnl_socket_close(w->sock);
	w->sock = NULL;
	w->fd = -1;
}

/* Every nf_tables object message carries its table's name as attribute 1
 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
 * NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE, NFTA_FLOWTABLE_TABLE). */
enum touched { TOUCHES_NONE, TOUCHES_MAIN, TOUCHES_GUARD };

static enum touched touches(const struct watch *w, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const char *name;

	if (g->nfgen_family != NFPROTO_INET)
		return TOUCHES_NONE;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) != 1)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			return TOUCHES_NONE;
		name = mnl_attr_get_str(a);
		if (!strcmp(name, w->table))
			return TOUCHES_MAIN;
		return w->guard[0] && !strcmp(name, w->guard) ? TOUCHES_GUARD
							      : TOUCHES_NONE;
	}
	return TOUCHES_NONE;
}

void watch_table(struct watch *w, const char *table)
{
	if (!strcmp(w->table, table))
		return;
	snprintf(w->table, sizeof(w->table), "%s", table);
	/* what was seen was seen of another table */
	memset(w->counts, 0, sizeof(w->counts));
	w->touched = false;
	w->observed = w->quiet = false;
}

void watch_guard(struct watch *w, const char *guard)
{
	snprintf(w->guard, sizeof(w->guard), "%s", guard);
}

static const char *attr_str(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == type &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			return mnl_attr_get_str(a);
	}
	return NULL;
}

static void note_chain(struct watch_delta *dl, const char *chain)
{
	for (size_t i = 0; i < dl->chain_count; i++)
		if (!strcmp(dl->chains[i], chain))
			return;
	if (dl->chain_count == WATCH_MAX_CHAINS) {
		dl->overflow = true;
		return;
	}
	if (strlen(chain) >= sizeof(dl->chains[0])) {
		dl->overflow = true;     /* cannot name it: repair it all */
		return;
	}
	memcpy(dl->chains[dl->chain_count++], chain, strlen(chain) + 1);
}

/* One NFTA_LIST_ELEM: its key (NFTA_SET_ELEM_KEY/NFTA_DATA_VALUE) and flags. */
static void note_elem(struct watch_delta *dl, const char *set, bool added,
		      const struct nlattr *elem)
{
	const struct nlattr *a, *v;
	struct watch_elem *e, *grown;

	if (dl->elem_count == WATCH_MAX_ELEMS) {
		dl->overflow = true;
		return;
	}
	grown = realloc(dl->elems, (dl->elem_count + 1) * sizeof(*grown));
	if (!grown) {
		dl->overflow = true;
		return;
	}
	dl->elems = grown;
	e = &dl->elems[dl->elem_count];
	memset(e, 0, sizeof(*e));
	snprintf(e->set, sizeof(e->set), "%s", set);
	e->added = added;
	mnl_attr_for_each_nested(a, elem) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS &&
		    !mnl_attr_validate(a, MNL_TYPE_U32))
			e->flags = ntohl(mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY)
			continue;
		mnl_attr_for_each_nested(v, a) {
			uint16_t len = mnl_attr_get_payload_len(v);

			if (mnl_attr_get_type(v) != NFTA_DATA_VALUE ||
			    len > sizeof(e->key)) {
				dl->overflow = true;
				return;
			}
			memcpy(e->key, mnl_attr_get_payload(v), len);
			e->key_len = (uint8_t)len;
		}
	}
	if (!e->key_len)
		dl->overflow = true;
	else
		dl->elem_count++;
}

static void note_elems(struct watch_delta *dl, const struct nlmsghdr *nlh,
		       bool added)
{
	const char *set = attr_str(nlh, NFTA_SET_ELEM_LIST_SET);
	const struct nlattr *a, *el;

	if (!set) {
		dl->overflow = true;
		return;
	}
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
			note_elem(dl, set, added, el);
	}
}

/* What a foreign message on our table asks the repair to redo. */
static void note(struct watch *w, const struct nlmsghdr *nlh, unsigned type)
{
	struct watch_delta *dl = &w->delta;
	const char *chain;

	switch (type) {
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		chain = attr_str(nlh, NFTA_RULE_CHAIN);
		if (chain)
			note_chain(dl, chain);
		else
			dl->overflow = true;
		break;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		note_elems(dl, nlh, type == NFT_MSG_NEWSETELEM);
		break;
	default:
		dl->structural = true;
		break;
	}
}

static void gen_parse(const struct nlmsghdr *nlh, struct watch_change *c)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_GEN_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				c->genid = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_GEN_PROC_PID:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				c->pid = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_GEN_PROC_NAME:
			/* any bytes but NUL (a file or prctl name):
			 * kept escaped, as every output shows it */
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				text_escape(c->comm, sizeof(c->comm),
					    mnl_attr_get_str(a),
					    strlen(mnl_attr_get_str(a)));
			break;
		}
	}
}

static void summarize(struct watch *w, struct watch_change *c)
{
	size_t off = 0;

	for (unsigned t = 0; t < 32; t++) {
		if (!w->counts[t] || off >= sizeof(c->summary))
			continue;
		off += (size_t)snprintf(c->summary + off,
					sizeof(c->summary) - off, "%s%s x%u",
					off ? " " : "", msg_name(t),
					w->counts[t]);
	}
	memset(w->counts, 0, sizeof(w->counts));
	w->touched = false;
}

/* A generation ended: it extends the run of quiet ones (another process's,
 * seen whole, none of our tables touched), or ends it. */
static void track_quiet(struct watch *w, uint32_t genid, bool quiet)
{
	if (!quiet || !w->observed || (int32_t)(genid - w->observed_from) < 0) {
		w->quiet = false;
		return;
	}
	if (w->quiet && genid == w->quiet_to + 1) {
		w->quiet_to = genid;
		return;
	}
	w->quiet = true;
	w->quiet_from = w->quiet_to = genid;
}

void watch_observed(struct watch *w, uint32_t genid)
{
	w->observed = true;
	w->observed_from = genid + 1;
	w->quiet = false;
}

/* One message; returns true when a foreign transaction on our table ends. */
static bool on_message(struct watch *w, const struct nlmsghdr *nlh,
		       struct watch_change *c)
{
	unsigned type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return false;
	if (type == NFT_MSG_NEWGEN) {
		bool foreign = w->touched && nlh->nlmsg_pid != w->self_portid;

		if (nlh->nlmsg_pid != w->self_portid)
			w->elsewhere = true;
		memset(c, 0, sizeof(*c));
		gen_parse(nlh, c);
		track_quiet(w, c->genid, nlh->nlmsg_pid != w->self_portid &&
			    !w->touched);
		summarize(w, c);
		return foreign;
	}
	if (nlh->nlmsg_pid != w->self_portid) {
		enum touched t = touches(w, nlh);

		if (t == TOUCHES_NONE)
			return false;
		w->counts[type < 32 ? type : 31]++;
		w->touched = true;
		if (t == TOUCHES_GUARD) {
			w->delta.guard = true;
			return false;
		}
		w->delta.main = true;
		note(w, nlh, type);
	}
	return false;
}

enum watch_result watch_read(struct watch *w,
			     void (*on_change)(void *ctx,
					       const struct watch_change *c),
			     void *ctx)
{
	static char buf[256 * 1024];
	enum watch_result res = WATCH_QUIET;

	for (;;) {
		ssize_t n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)buf;
		int len = (int)n;

		if (n < 0 && errno == ENOBUFS) {
			res = WATCH_RESYNC;    /* lost: the socket goes on */
			w->delta.overflow = true;
			w->observed = w->quiet = false;
			memset(w->counts, 0, sizeof(w->counts));
			w->touched = false;
			continue;
		}
		if (n <= 0)
			return res;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			struct watch_change c;

			if (!on_message(w, nlh, &c))
				continue;
			if (res == WATCH_QUIET)
				res = WATCH_DRIFT;
			if (on_change)
				on_change(ctx, &c);
		}
	}
}

void watch_pause(struct watch *w)
{
	int grp = NFNLGRP_NFTABLES;

	w->observed = w->quiet = false;
	if (w->sock)
		mnl_socket_setsockopt(w->sock, NETLINK_DROP_MEMBERSHIP, &grp,
				      sizeof(grp));
}

int watch_resume(struct watch *w)
{
	static char buf[64 * 1024];
	int grp = NFNLGRP_NFTABLES, err = 0;

	if (!w->sock)
		return 0;
	if (mnl_socket_setsockopt(w->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		err = -errno;
	while (recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
	       errno == ENOBUFS)
		;
	memset(w->counts, 0, sizeof(w->counts));
	w->touched = false;
	watch_reset_delta(w);
	return err;
}
