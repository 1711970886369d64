/* netlink.c - the nf_tables socket, batches, and attributed errors. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"

#define NL_BUFFER_SIZE (64 * 1024 * 1024)
#define BATCH_PAGE (2 * 1024 * 1024)
#define BATCH_MSG_MAX (96 * 1024)     /* element chunks stay well below */

/* A bound netfilter socket with big buffers and extended ACKs. */
static int sock_open(struct mnl_socket **out, uint32_t *portid)
{
	int one = 1, size = NL_BUFFER_SIZE, fd;
	struct mnl_socket *s = NULL;
	int err = nl_socket_bound(SOCK_CLOEXEC, &s);

	if (err)
		return err;
	fd = mnl_socket_get_fd(s);
	/* Best effort: FORCE needs CAP_NET_ADMIN, which we have when it
	 * matters; fall back to the unprivileged limit. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	*portid = mnl_socket_get_portid(s);
	*out = s;
	return 0;
}

int nl_open(struct nl *nl)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	err = sock_open(&nl->sock, &nl->portid);
	err = err ?: sock_open(&nl->qsock, &nl->qportid);
	if (err) {
		nl_close(nl);
		return err;
	}
	nl->seq = (uint32_t)time(NULL);
	nl->persist = -1;
	nl->owner = -1;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	if (nl->qsock)
		mnl_socket_close(nl->qsock);
	nl->sock = nl->qsock = NULL;
	nl_release_cut(nl);
}

void nl_release_cut(struct nl *nl)
{
	while (nl->ncut > 0)
		mnl_socket_close(nl->cut[--nl->ncut]);
}

/* Puts the query socket aside (see struct nl's cut); the next request
 * opens a new one.  With no room left the oldest is closed now. */
static void park_qsock(struct nl *nl)
{
	const unsigned int room = sizeof(nl->cut) / sizeof(nl->cut[0]);

	if (nl->ncut == room) {
		mnl_socket_close(nl->cut[0]);
		for (unsigned int i = 1; i < room; i++)
			nl->cut[i - 1] = nl->cut[i];
		nl->ncut--;
	}
	nl->cut[nl->ncut++] = nl->qsock;
	nl->qsock = NULL;
}

static int batch_start(struct batch *bt, struct nl *nl, bool check,
		       const uint32_t *genid)
{
	struct nlmsghdr *nlh;

	memset(bt, 0, sizeof(*bt));
	bt->nl = nl;
	bt->check = check;
	bt->b = nftnl_batch_alloc(BATCH_PAGE, BATCH_MSG_MAX);
	if (!bt->b)
		return -ENOMEM;
	nlh = nftnl_batch_begin(nftnl_batch_buffer(bt->b), nl->seq++);
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(*genid));
	return nftnl_batch_update(bt->b) < 0 ? -ENOMEM : 0;
}

int batch_begin(struct batch *bt, struct nl *nl, bool check)
{
	return batch_start(bt, nl, check, NULL);
}

int batch_begin_at(struct batch *bt, struct nl *nl, bool check,
		   uint32_t genid)
{
	return batch_start(bt, nl, check, &genid);
}

void *batch_next(struct batch *bt, uint32_t *seq, const struct rs_origin *o,
		 const char *what_fmt, ...)
{
	va_list ap;
	void *buf;

	va_start(ap, what_fmt);
	buf = batch_vnext(bt, seq, o, what_fmt, ap);
	va_end(ap);
	return buf;
}

void *batch_vnext(struct batch *bt, uint32_t *seq, const struct rs_origin *o,
		  const char *what_fmt, va_list ap)
{
	struct batch_msg *m;
	void *buf;

	if (bt->count == bt->capacity) {
		size_t cap = bt->capacity ? bt->capacity * 2 : 64;
		struct batch_msg *v = realloc(bt->msgs, cap * sizeof(*v));

		if (!v)
			return NULL;
		bt->msgs = v;
		bt->capacity = cap;
	}
	m = &bt->msgs[bt->count];
	m->seq = *seq = bt->nl->seq++;
	m->origin = o;
	vsnprintf(m->what, sizeof(m->what), what_fmt, ap);
	/* libnftnl leaves alignment padding unwritten: zero what a message
	 * can use so no stale heap bytes go to the kernel. */
	buf = nftnl_batch_buffer(bt->b);
	memset(buf, 0, BATCH_MSG_MAX);
	return buf;
}

int batch_commit_msg(struct batch *bt)
{
	bt->count++;
	return nftnl_batch_update(bt->b) < 0 ? -ENOMEM : 0;
}

void batch_free(struct batch *bt)
{
	if (bt->b)
		nftnl_batch_free(bt->b);
	free(bt->msgs);
	memset(bt, 0, sizeof(*bt));
}

static int batch_write(struct batch *bt)
{
	int iovlen, fd = mnl_socket_get_fd(bt->nl->sock);
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct iovec *iov;
	struct msghdr msg = { 0 };
	ssize_t r;

	if (!bt->check) {
		nftnl_batch_end(nftnl_batch_buffer(bt->b), bt->nl->seq++);
		if (nftnl_batch_update(bt->b) < 0)
			return -ENOMEM;
	}
	iovlen = nftnl_batch_iovec_len(bt->b);
	bt->nl->last_batch_bytes = 0;
	iov = calloc(iovlen, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(bt->b, iov, iovlen);
	for (int i = 0; i < iovlen; i++)
		bt->nl->last_batch_bytes += iov[i].iov_len;
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = iovlen;
	r = sendmsg(fd, &msg, 0);
	free(iov);
	return r < 0 ? -errno : 0;
}

static const struct batch_msg *batch_find(const struct batch *bt, uint32_t seq)
{
	size_t lo = 0, hi = bt->count;

	while (lo < hi) {    /* seqs are increasing */
		size_t mid = (lo + hi) / 2;

		if (bt->msgs[mid].seq == seq)
			return &bt->msgs[mid];
		if (bt->msgs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The extended ACK text, if the kernel gave one. */
static const char *extack_message(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

static void report(const struct batch *bt, const struct nlmsghdr *nlh,
		   int error, struct diags *d)
{
	const struct batch_msg *m = batch_find(bt, nlh->nlmsg_seq);
	const char *ext = extack_message(nlh);
	const struct rs_origin *o = m ? m->origin : NULL;

	diags_add(d, DIAG_ERROR, o ? o->file : NULL, o ? o->line : 0,
		  "kernel rejected %s%s%s: %s%s%s%s",
		  m ? m->what : "the transaction",
		  o && o->what ? " for " : "", o && o->what ? o->what : "",
		  strerror(-error), ext ? ": " : "", ext ? ext : "",
		  !m && error == -EPERM ? " (changing nftables needs "
		  "CAP_NET_ADMIN in this network namespace)" : "");
}

/* Reads every queued answer (the kernel processed the whole batch inside
 * sendmsg, so they are all there) and reports the errors.  Batch messages
 * ask for no ACK (as nft does): the kernel answers the failing ones only,
 * so a big committed batch cannot overflow the receive buffer with
 * thousands of "ok" answers (ENOBUFS reported a committed batch as
 * failed). */
static int batch_drain(struct batch *bt, struct diags *d)
{
	static char buf[256 * 1024];
	int first = 0;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(bt->nl->sock), buf,
				 sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)buf;
		int len;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return first;
		if (n < 0) {
			diags_add(d, DIAG_ERROR, NULL, 0,
				  "reading the kernel's answers: %s",
				  strerror(errno));
			return first ? first : -errno;
		}
		len = (int)n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				continue;
			report(bt, nlh, e->error, d);
			if (!first)
				first = e->error;
		}
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int batch_send(struct batch *bt, struct diags *d)
{
	uint64_t start = now_ns();
	int err = batch_write(bt);

	if (err) {
		diags_add(d, DIAG_ERROR, NULL, 0,
			  "sending the batch to the kernel: %s", strerror(-err));
		return err;
	}
	err = batch_drain(bt, d);
	bt->nl->last_commit_ns = now_ns() - start;
	/* the kernel runs the batch inside sendmsg: once the answers are
	 * read, what it committed is what forwards packets */
	if (!err && !bt->check)
		clock_gettime(CLOCK_MONOTONIC, &bt->nl->committed_at);
	return err;
}

/* Our requests are answered in order and read to their end, but a request
 * given up half way (a dump interrupted by a concurrent change, a callback
 * error) leaves the rest of its answer queued: drop it, or the next request
 * would read it as its own (EPROTO: another sequence number). */
static void nl_discard_stale(struct nl *nl)
{
	static char buf[64 * 1024];
	int fd = mnl_socket_get_fd(nl->qsock);

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
	       errno == ENOBUFS)
		;
}

int nl_talk(struct nl *nl, const struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data, const int *cb_err)
{
	static char buf[256 * 1024];
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	if (!nl->qsock) {     /* the last dump cut short took it */
		int err = sock_open(&nl->qsock, &nl->qportid);

		if (err)
			return err;
	}
	nl_discard_stale(nl);
	if (mnl_socket_sendto(nl->qsock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(nl->qsock, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, nl->qportid, cb, data);
		if (ret > MNL_CB_STOP && nl->interrupt &&
		    nl->interrupt(nl->interrupt_ctx)) {
			/* the kernel builds each part of a dump as we read
			 * it: closing the socket is the only way to stop,
			 * and it is slow: put aside, closed after the
			 * restore (the next request opens a new one) */
			park_qsock(nl);
			return -ECANCELED;
		}
	} while (ret > MNL_CB_STOP);
	if (cb_err && *cb_err != 0) {
		int e = *cb_err;

		return e;
	}
	return ret < 0 ? -errno : 0;
}
