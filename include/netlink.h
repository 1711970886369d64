/* netlink.h - one nf_tables netlink socket, batches and their errors.
 *
 * A batch is a sequence of messages sent in one sendmsg(); the kernel
 * applies them as one transaction (or, in check mode, validates and aborts).
 * Every message remembers what produced it, so that an error the kernel
 * returns for it can be reported against the zone, flow and config line.
 */
#ifndef SEGMENTD_NETLINK_H
#define SEGMENTD_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "diag.h"
#include "ruleset.h"

struct mnl_socket;
struct nftnl_batch;

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint64_t last_commit_ns;   /* sendmsg + answers of the last batch */
	int persist;               /* PERSIST supported: -1 unknown, 0, 1 */
	size_t last_batch_bytes;
};

/* Opens and configures (CLOEXEC, big buffers, extended ACK, capped ACK). */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

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
/* Returns a buffer for the next message and records its origin; the
 * message is built with seq = *seq. */
void *batch_next(struct batch *bt, uint32_t *seq, const struct rs_origin *o,
		 const char *what_fmt, ...) __attribute__((format(printf, 4, 5)));
/* Call after building each message. */
int batch_commit_msg(struct batch *bt);
/* Sends, then drains every answer.  Each kernel error goes to d (with the
 * origin's file:line when known).  Returns 0, or the first kernel error. */
int batch_send(struct batch *bt, struct diags *d);
void batch_free(struct batch *bt);

#endif
