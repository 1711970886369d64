/* kread.h - the one reader of nf_tables objects (dump.c, fingerprint.c,
 * readback.c, keep/bypass.c): one request, and every answer parsed into
 * its libnftnl object and handed to a visitor.  The visitor only sees
 * objects: the request, the parsing and the errors are the same for all. */
#ifndef SEGMENTD_KREAD_H
#define SEGMENTD_KREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

struct nftnl_set;

/* obj is a struct nftnl_table, _chain, _rule, _set (also for set
 * elements) or _obj, by the request; not const, as libnftnl's object
 * getters want.  Returns 0 to go on, or -errno to end the read with it. */
typedef int (*kread_fn)(void *obj, void *data);

struct kread {
	uint16_t family;     /* NFPROTO_INET: ours; NFPROTO_UNSPEC: all */
	/* Sent with GETTABLE, GETRULE, GETSET and GETSETELEM, so the kernel
	 * answers for that table only; may be NULL but for GETTABLE and
	 * GETSETELEM.  Chains and objects are asked of every table. */
	const char *table;
	const char *set;     /* GETSETELEM: the set */
	int bad_msg;         /* an answer that does not parse (or no memory
			      * to parse it in): this error, or 0 to pass
			      * over it */
	void *data;          /* the visitor's */
};

/* type: NFT_MSG_GETTABLE (a GET: -ENOENT when there is no such table),
 * or a dump: GETCHAIN, GETRULE, GETSET, GETSETELEM, GETOBJ, GETOBJ_RESET.
 * Returns the visitor's error, r->bad_msg, -errno, or 0. */
int kread(struct nl *nl, struct kread *r, uint16_t type, kread_fn fn);
/* One message (an answer, or a batch's NEW message) of what a GET of
 * type answers, parsed and visited.  Returns fn's error, bad_msg or 0. */
int kread_msg(uint16_t type, const struct nlmsghdr *nlh, int bad_msg,
	      kread_fn fn, void *data);
/* A GET of one element of a set: the kernel's element with this key (and
 * flags: NFT_SET_ELEM_INTERVAL_END for an interval's end), or, in an
 * interval set, the one it finds for it (see nft_prove.c), visited as a
 * struct nftnl_set holding it.  -ENOENT when it finds none. */
int kread_elem(struct nl *nl, const char *table, const char *set,
	       const void *key, uint32_t len, uint32_t flags, kread_fn fn,
	       void *data);
/* The ruleset generation id (NFT_MSG_GETGEN): cheap, for change polling
 * and for bracketing a read. */
int nl_genid(struct nl *nl, uint32_t *genid);

/* A read of several dumps that must show one generation of the ruleset:
 * read() makes it (and frees what it made when it fails); discard()
 * frees a whole read that turned out stale. */
struct kread_pass {
	int (*read)(struct nl *nl, void *ctx);
	void (*discard)(void *ctx);
	void *ctx;
	/* true: only an interrupted dump is read again, whatever commits
	 * come between the parts (a read that resets counters must not be
	 * repeated for that) */
	bool any_generation;
};

#define KREAD_RETRIES 8

/* Runs p's read between two reads of the generation id.  A dump the
 * kernel interrupts (the ruleset changed under it: libmnl's EINTR for
 * NLM_F_DUMP_INTR) or a generation that moved meanwhile makes it read
 * again, at most KREAD_RETRIES times in all; then -EAGAIN.  *genid (may be
 * NULL) gets the generation read.  0, read()'s error, or -errno. */
int kread_consistent(struct nl *nl, const struct kread_pass *p,
		     uint32_t *genid);
/* A set's attribute, 0 when the kernel left it out. */
uint32_t kread_set_u32(const struct nftnl_set *s, uint16_t attr);

#endif
