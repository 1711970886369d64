/* conntrack.h - reading and deleting conntrack entries over ctnetlink.
 *
 * segmentd marks each allowed connection with its flow's conntrack mark
 * (bit 31 set, see compile_chains.c).  This module lists entries (by mark)
 * and deletes them, so that revoking a flow cuts its connections for good
 * and a forged entry can be removed.  Building and parsing messages is
 * pure (unit-tested and fuzzed without root); ct_dump/ct_delete talk to
 * the kernel of the caller's network namespace.
 */
#ifndef SEGMENTD_CONNTRACK_H
#define SEGMENTD_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

#define CT_MARK_SPACE 0x80000000u   /* the bit every mark of ours has */

/* One entry: its original direction. */
struct ct_entry {
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t proto;           /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, ... */
	uint8_t src[16], dst[16];/* network order (4 bytes for IPv4) */
	uint16_t sport, dport;   /* host order; 0 without ports */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;        /* host order */
	uint32_t mark;
	uint32_t id;             /* the kernel's id, 0 if none */
	uint16_t zone;
	bool has_ports, has_icmp;
};

/* A list of entries, grown by ct_dump(). */
struct ct_list {
	struct ct_entry *v;
	size_t n, cap;
};

void ct_list_free(struct ct_list *l);

/* Pure.  A dump request for both families; entries whose mark & mask ==
 * mark only (mask 0: all).  Returns the message length or -ENOSPC. */
int ct_build_dump(void *buf, size_t len, uint32_t seq, uint32_t mark,
		  uint32_t mask);
/* Pure.  A request deleting e (by its original tuple, id and zone). */
int ct_build_delete(void *buf, size_t len, uint32_t seq,
		    const struct ct_entry *e);
/* Pure.  The message the kernel sends for e (tests and fuzz seeds). */
int ct_build_entry(void *buf, size_t len, const struct ct_entry *e);
/* Pure.  Parses one IPCTNL_MSG_CT_NEW message.  Returns 0, or -EINVAL
 * (not a conntrack entry, or no usable original tuple). */
int ct_parse_entry(const struct nlmsghdr *nlh, size_t len,
		   struct ct_entry *e);

/* The kernel: appends the entries whose mark & mask == mark to out.
 * Returns the number appended or -errno. */
int ct_dump(uint32_t mark, uint32_t mask, struct ct_list *out);
/* Deletes one entry: 0, -ENOENT (already gone) or -errno. */
int ct_delete(const struct ct_entry *e);

/* Deletes our entries (mark in CT_MARK_SPACE) for which doomed() says
 * true.  *deleted counts them.  Returns 0 or -errno (the first error;
 * the rest are still tried). */
int ct_delete_where(bool (*doomed)(const struct ct_entry *e, void *ctx),
		    void *ctx, size_t *deleted);

/* "tcp 10.0.0.1:40000 -> 10.0.0.2:443" (buf of 128 is enough). */
void ct_entry_format(const struct ct_entry *e, char *buf, size_t len);

#endif
