/* netlink.h - one nf_tables netlink socket, batches and their errors.
 *
 * A batch is a sequence of messages sent in one sendmsg(); the kernel
 * applies them as one transaction (or, in check mode, validates and aborts).
 * Every message remembers what produced it, so that an error the kernel
 * returns for it can be reported against the zone, flow and config line.
 */
#ifndef SEGMENTD_NETLINK_H
#define SEGMENTD_NETLINK_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "diag.h"
#include "ruleset.h"

struct mnl_socket;
struct nftnl_batch;

struct nl {
	struct mnl_socket *sock;   /* batches: it owns the table it creates */
	uint32_t portid;
	/* Queries and dumps (nl_talk): a socket of their own, so that a dump
	 * cut short can take its socket with it, unread answer and all,
	 * without touching the owner of the table. */
	struct mnl_socket *qsock;
	uint32_t qportid;
	/* The sockets of dumps cut short, closed by nl_release_cut() once
	 * the restore they made way for is done (the daemon's loop, when no
	 * restore is pending): closing a socket in the
	 * middle of a big dump takes the kernel ~60 ms (400k elements), the
	 * whole open window after `nft flush ruleset` if it came first.  A
	 * restore's own reads may be cut too: room for a few. */
	struct mnl_socket *cut[4];
	unsigned int ncut;
	/* Asked between the parts of a dump, when set: true cuts the dump
	 * short (-ECANCELED).  The daemon's watchdog sets it around its own
	 * long reads, so another process's change is restored at once, not
	 * after a read-back of seconds (400k elements). */
	bool (*interrupt)(void *ctx);
	void *interrupt_ctx;
	uint32_t seq;
	uint64_t last_commit_ns;   /* sendmsg + answers of the last batch */
	struct timespec committed_at;  /* CLOCK_MONOTONIC: last batch committed */
	int persist;               /* PERSIST supported: -1 unknown, 0, 1 */
	int owner;                 /* OWNER (5.12) supported: -1, 0, 1 */
	size_t last_batch_bytes;
	/* Called with true before a full apply's commit and with false right
	 * after it (enforce.c), when set: the daemon leaves the nftables event
	 * group meanwhile, so the kernel builds no notification per element
	 * (400k at 100k networks) inside its commit.  What another process
	 * commits in that time moves the generation: apply_once() sees it. */
	void (*mute)(void *ctx, bool on);
	void *mute_ctx;
};

/* A netfilter socket bound to a port of its own; flags: SOCK_CLOEXEC or 0
 * (mnl_socket_open2).  Returns 0 or -errno.  Inline, as conntrack.c is
 * built alone for its fuzz target (scripts/fuzz.sh). */
static inline int nl_socket_bound(int flags, struct mnl_socket **out)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_NETFILTER, flags);

	if (!s)
		return errno ? -errno : -ENOMEM;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno ? -errno : -EIO;

		mnl_socket_close(s);
		return err;
	}
	*out = s;
	return 0;
}

/* Opens and configures (CLOEXEC, big buffers, extended ACK, capped ACK). */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
/* Closes the sockets of dumps cut short, if any (see struct nl's cut). */
void nl_release_cut(struct nl *nl);

struct batch_msg {
	uint32_t seq;
	const struct rs_origin *origin;  /* may be NULL; not owned */
	char what[96];                   /* "set 'zone_lgwan_v4' elements" */
};

struct batch {
	struct nl *nl;
	struct nftnl_batch *b;
	struct batch_msg *msgs;
	size_t count, capacity;
	bool check;                      /* validate only: no BATCH_END */
};

/* Sends one request (a GET or a dump) and runs cb on every answer until
 * the end.  Returns the callback's error if *cb_err is set (cb_err may be
 * NULL), -errno if the socket or the kernel failed, else 0. */
int nl_talk(struct nl *nl, const struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data, const int *cb_err);

int batch_begin(struct batch *bt, struct nl *nl, bool check);
/* The same, for a batch computed from a dump taken at generation genid
 * (NFT_MSG_GETGEN before it): the kernel refuses the whole batch with
 * ERESTART when anything was committed since (NFNL_BATCH_GENID). */
int batch_begin_at(struct batch *bt, struct nl *nl, bool check,
		   uint32_t genid);
/* Returns a buffer for the next message and records its origin; the
 * message is built with seq = *seq. */
void *batch_next(struct batch *bt, uint32_t *seq, const struct rs_origin *o,
		 const char *what_fmt, ...) __attribute__((format(printf, 4, 5)));
void *batch_vnext(struct batch *bt, uint32_t *seq, const struct rs_origin *o,
		  const char *what_fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Call after building each message. */
int batch_commit_msg(struct batch *bt);
/* Sends, then drains every answer.  Each kernel error goes to d (with the
 * origin's file:line when known).  Returns 0, or the first kernel error. */
int batch_send(struct batch *bt, struct diags *d);
void batch_free(struct batch *bt);

#endif
