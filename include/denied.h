/* denied.h - what the ruleset denied: the NFLOG group of our log rules,
 * aggregated by tuple.
 *
 * Our rules log what they drop (rate-limited, log_rate/log_burst) to the
 * NFLOG group settings.log_group with a prefix naming the verdict:
 *   "segmentd drop lgwan>internet: "   -> pair "lgwan>internet"
 *   "segmentd drop lgwan>gateway: "    -> pair "lgwan>gateway"
 *   "segmentd drop lgwan>other: "      -> pair "lgwan>W", W the zone of
 *        the packet's output interface (the resolver of
 *        denied_set_resolver; "lgwan>unzoned" for an interface in no zone):
 *        the one shared path of every pair without a flow
 *   "segmentd drop unzoned: "          -> pair "unzoned"
 *   "segmentd spoof lgwan: "           -> pair "spoof lgwan"
 * src/kernel/nflog.c owns the socket and turns one NFULNL_MSG_PACKET into a tuple
 * (pair, addresses, protocol, port or ICMP type); src/report/denied.c counts the
 * tuples in a bounded table (least recently seen evicted when full) and
 * renders it.  Counts are of *logged* packets: the rules' rate limit and a
 * full socket buffer make them a lower bound of what was dropped.
 */
#ifndef SEGMENTD_DENIED_H
#define SEGMENTD_DENIED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct mnl_socket;
struct nlmsghdr;

#define DENIED_NO_L4 0x01     /* flags: ports / ICMP type not seen
			       * (truncated payload or a later fragment) */

struct denied_entry {
	char pair[80];        /* from the prefix: "lgwan>internet",
			       * "spoof lgwan", "lgwan>gateway",
			       * "lgwan>unzoned", "unzoned" */
	uint8_t family;       /* AF_INET or AF_INET6 */
	uint8_t saddr[16], daddr[16];   /* network order; IPv4: first 4 */
	uint8_t proto;        /* IPPROTO_* (after IPv6 extension headers) */
	uint16_t dport;       /* tcp, udp, udplite, sctp, dccp; host order */
	uint8_t icmp_type;    /* icmp, icmpv6 */
	uint8_t flags;        /* DENIED_NO_L4 */
	uint32_t oif;         /* output interface index, 0 if none (not
			       * part of the tuple) */
	uint64_t count;
	time_t first, last;
};

struct denied;   /* opaque */

/* What happened besides the tuples. */
struct denied_stats {
	uint64_t total;       /* packets aggregated */
	uint64_t suppressed;  /* new tuples not reported by denied_read */
	uint64_t evicted;     /* tuples dropped to make room */
	uint64_t lost;        /* messages the kernel could not deliver
			       * (gaps in their sequence numbers) */
	uint64_t overruns;    /* ENOBUFS on the socket (some were lost) */
	uint64_t malformed;   /* messages that could not be parsed */
	uint64_t ignored;     /* not ours (other type, foreign prefix) */
	size_t entries, max_entries;
};

#define DENIED_MAX_ENTRIES_LIMIT (1u << 20)

/* Binds NFLOG group `group` (socket CLOEXEC|NONBLOCK) and keeps at most
 * max_entries tuples (1..DENIED_MAX_ENTRIES_LIMIT).  Returns 0 or -errno:
 * -EPERM without CAP_NET_ADMIN or when another socket (ulogd, another
 * segmentd) holds the group in this network namespace; -EINVAL. */
int denied_open(struct denied **out, uint16_t group, size_t max_entries);
/* The same over an fd the caller opened (a bound NFLOG socket, or in the
 * tests one end of a socketpair); takes ownership of fd. */
int denied_open_fd(struct denied **out, int fd, size_t max_entries);
int denied_fd(const struct denied *dn);
void denied_close(struct denied *dn);                  /* NULL-safe */
/* Drains the socket (at most DENIED_READ_BATCH datagrams per call, so a
 * flood cannot starve the event loop; level-triggered epoll calls again),
 * aggregates at time(NULL); for each NEW tuple calls on_new (may be NULL;
 * e is valid during the call): at most `per_second` callbacks per
 * CLOCK_MONOTONIC second, the others counted as suppressed (per_second 0:
 * none).  Returns 0 or -errno (ENOBUFS counted, not fatal). */
#define DENIED_READ_BATCH 256
int denied_read(struct denied *dn,
		void (*on_new)(void *ctx, const struct denied_entry *e),
		void *ctx, unsigned per_second);
/* Pure aggregation entry point (used by denied_read and by unit tests and
 * fuzzing): parses one NFULNL_MSG_PACKET message (nlh->nlmsg_len bytes
 * must be readable) and counts it at `now`.  Returns 0 (*new_entry: the
 * tuple if it is new, else NULL; valid until the next feed, read or
 * reset), -ENOMSG (not a packet of ours: counted as ignored) or -EBADMSG
 * (malformed).  new_entry may be NULL. */
int denied_feed(struct denied *dn, const struct nlmsghdr *nlh, time_t now,
		const struct denied_entry **new_entry);
/* Sorted by count (descending), then last seen (latest first); top 0: all.
 * text: a summary line and a table of at most 100 columns, two lines per
 * tuple; json: one array of objects. */
void denied_render(const struct denied *dn, FILE *out, bool json, size_t top);
uint64_t denied_total(const struct denied *dn);
uint64_t denied_suppressed(const struct denied *dn);
void denied_get_stats(const struct denied *dn, struct denied_stats *out);
/* Names the target zone of "A>other" prefixes: zone_of(ctx, oif, buf,
 * len) writes the zone of output interface index oif ("unzoned" if none)
 * and returns true, false if it cannot tell (the pair stays "A>other"). */
void denied_set_resolver(struct denied *dn,
			 bool (*zone_of)(void *ctx, uint32_t oif, char *buf,
					 size_t len), void *ctx);
/* Forgets every tuple and counter; the socket and the limit stay. */
void denied_reset(struct denied *dn);

/* src/kernel/nflog.c: the socket, the message parser, the service column. */
bool denied_has_port(uint8_t proto);   /* tcp, udp, udplite, sctp, dccp */
bool denied_has_icmp_type(uint8_t proto);          /* icmp, icmpv6 */
/* "tcp/443", "udp/?" (not seen), "icmp/echo-request", "icmpv6/200",
 * "gre", "proto-253": the service column. */
void denied_service(const struct denied_entry *e, char *buf, size_t len);

#define NFLOG_COPY_RANGE 96   /* bytes of each packet: IP + L4 headers */

/* A NETLINK_NETFILTER socket (CLOEXEC|NONBLOCK) bound to NFLOG group
 * `group`, copy mode NFULNL_COPY_PACKET/NFLOG_COPY_RANGE, every packet
 * delivered at once, sequence numbers on.  Returns 0 or -errno. */
int nflog_open(uint16_t group, struct mnl_socket **out);
/* One NFULNL_MSG_PACKET (nlmsg_len bytes readable) -> the tuple fields of
 * *key (zeroed first: count and times 0); *seq is the instance's sequence
 * number, -1 when absent.  Returns 0, -ENOMSG (another message type, no
 * prefix or a foreign one, not IP) or -EBADMSG. */
int nflog_parse(const struct nlmsghdr *nlh, struct denied_entry *key,
		int64_t *seq);

#endif
