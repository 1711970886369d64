/* denied.c - the denied tuples: a bounded hash table fed by the NFLOG
 * socket, least recently seen evicted when full, rendered for segmentctl.
 *
 * Every tuple lives in one preallocated node: a bucket chain finds it, a
 * doubly linked recency list (newest .. oldest) orders it, so a packet
 * costs one hash and O(1) list moves, never a scan.  The tuples come from
 * the network (anyone can send a packet we drop), so the hash is keyed
 * (SipHash-2-4, random key): no one can aim their packets at one bucket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "denied.h"
#include "json.h"

#define NIL UINT32_MAX
#define READ_BUFFER (64 * 1024)
#define TEXT_WIDTH 100
#define TIME_WIDTH 20          /* 2024-05-01T10:00:00Z */

struct node {
	struct denied_entry e;
	uint32_t hash;
	uint32_t chain;           /* next in the bucket */
	uint32_t newer, older;    /* the recency list */
};

struct denied {
	struct mnl_socket *sock;  /* NULL when opened on a plain fd */
	int fd;
	struct node *nodes;       /* max of them, allocated once */
	uint32_t *buckets;
	uint32_t mask;            /* bucket count - 1 (a power of two) */
	uint32_t used, max;
	uint32_t newest, oldest;
	uint64_t key[2];
	struct denied_stats st;
	int64_t last_seq;         /* -1: none seen yet */
	uint64_t rate_second;     /* CLOCK_MONOTONIC second of rate_count */
	unsigned rate_count;
	uint8_t *buf;
	bool (*zone_of)(void *ctx, uint32_t oif, char *buf, size_t len);
	void *zone_ctx;
};

void denied_set_resolver(struct denied *dn,
			 bool (*zone_of)(void *ctx, uint32_t oif, char *buf,
					 size_t len), void *ctx)
{
	dn->zone_of = zone_of;
	dn->zone_ctx = ctx;
}

/* "A>other" (the shared path) -> "A>W" by the output interface. */
static void resolve_other(const struct denied *dn, struct denied_entry *k)
{
	static const char other[] = ">other";
	size_t n = strlen(k->pair), o = sizeof(other) - 1;
	char zone[48];

	if (!dn->zone_of || !k->oif || n <= o ||
	    strcmp(k->pair + n - o, other) ||
	    !dn->zone_of(dn->zone_ctx, k->oif, zone, sizeof(zone)))
		return;
	snprintf(k->pair + n - o, sizeof(k->pair) - (n - o), ">%s", zone);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13) ^ v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17) ^ v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 (words read in host byte order: the hash never leaves the
 * process). */
static uint64_t siphash(const uint64_t k[2], const uint8_t *in, size_t len)
{
	uint64_t v[4] = { k[0] ^ 0x736f6d6570736575ull,
			  k[1] ^ 0x646f72616e646f6dull,
			  k[0] ^ 0x6c7967656e657261ull,
			  k[1] ^ 0x7465646279746573ull };
	uint64_t m, last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, in + i, 8);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)in[i + j] << (8 * j);
	v[3] ^= last;
	sipround(v);
	sipround(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint32_t key_hash(const struct denied *dn, const struct denied_entry *k)
{
	uint8_t b[40 + sizeof(k->pair)] = { k->family, k->proto, k->flags,
					    k->icmp_type, k->dport >> 8,
					    k->dport & 0xff };
	size_t n = strnlen(k->pair, sizeof(k->pair));

	memcpy(b + 8, k->saddr, 16);
	memcpy(b + 24, k->daddr, 16);
	memcpy(b + 40, k->pair, n);
	return (uint32_t)siphash(dn->key, b, 40 + n);
}

static bool key_equal(const struct denied_entry *a,
		      const struct denied_entry *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->dport == b->dport && a->icmp_type == b->icmp_type &&
	       a->flags == b->flags && !memcmp(a->saddr, b->saddr, 16) &&
	       !memcmp(a->daddr, b->daddr, 16) && !strcmp(a->pair, b->pair);
}

/* ---- the recency list and the buckets ---- */

static void recency_unlink(struct denied *dn, uint32_t i)
{
	struct node *n = &dn->nodes[i];

	if (n->newer != NIL)
		dn->nodes[n->newer].older = n->older;
	else
		dn->newest = n->older;
	if (n->older != NIL)
		dn->nodes[n->older].newer = n->newer;
	else
		dn->oldest = n->newer;
}

static void recency_push(struct denied *dn, uint32_t i)
{
	struct node *n = &dn->nodes[i];

	n->newer = NIL;
	n->older = dn->newest;
	if (dn->newest != NIL)
		dn->nodes[dn->newest].newer = i;
	dn->newest = i;
	if (dn->oldest == NIL)
		dn->oldest = i;
}

static uint32_t lookup(const struct denied *dn, const struct denied_entry *k,
		       uint32_t h)
{
	for (uint32_t i = dn->buckets[h & dn->mask]; i != NIL;
	     i = dn->nodes[i].chain)
		if (dn->nodes[i].hash == h && key_equal(&dn->nodes[i].e, k))
			return i;
	return NIL;
}

/* Frees the least recently seen node and returns it.  The bucket walk is
 * as short as any lookup's. */
static uint32_t evict_oldest(struct denied *dn)
{
	uint32_t i = dn->oldest, *link;

	recency_unlink(dn, i);
	for (link = &dn->buckets[dn->nodes[i].hash & dn->mask]; *link != i;
	     link = &dn->nodes[*link].chain)
		;
	*link = dn->nodes[i].chain;
	dn->st.evicted++;
	return i;
}

static uint32_t insert(struct denied *dn, const struct denied_entry *k,
		       uint32_t h)
{
	uint32_t i = dn->used < dn->max ? dn->used++ : evict_oldest(dn);
	struct node *n = &dn->nodes[i];

	n->e = *k;
	n->hash = h;
	n->chain = dn->buckets[h & dn->mask];
	dn->buckets[h & dn->mask] = i;
	recency_push(dn, i);
	return i;
}

/* ---- open, feed, read ---- */

void denied_reset(struct denied *dn)
{
	dn->used = 0;
	dn->newest = dn->oldest = NIL;
	for (uint32_t b = 0; b <= dn->mask; b++)
		dn->buckets[b] = NIL;
	memset(&dn->st, 0, sizeof(dn->st));
	dn->st.max_entries = dn->max;
	dn->last_seq = -1;
	dn->rate_second = 0;
	dn->rate_count = 0;
}

static int denied_alloc(struct denied **out, size_t max_entries)
{
	size_t buckets = 16;
	struct denied *dn;

	if (max_entries == 0 || max_entries > DENIED_MAX_ENTRIES_LIMIT)
		return -EINVAL;
	while (buckets < max_entries)
		buckets <<= 1;
	dn = calloc(1, sizeof(*dn));
	if (!dn)
		return -ENOMEM;
	dn->fd = -1;
	dn->nodes = calloc(max_entries, sizeof(*dn->nodes));
	dn->buckets = calloc(buckets, sizeof(*dn->buckets));
	dn->buf = malloc(READ_BUFFER);
	if (!dn->nodes || !dn->buckets || !dn->buf) {
		denied_close(dn);
		return -ENOMEM;
	}
	if (getrandom(dn->key, sizeof(dn->key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(dn->key)) {
		dn->key[0] = (uint64_t)time(NULL) ^ (uintptr_t)dn;
		dn->key[1] = (uint64_t)getpid() << 32 ^ (uintptr_t)dn->nodes;
	}
	dn->max = (uint32_t)max_entries;
	dn->mask = (uint32_t)buckets - 1;
	denied_reset(dn);
	*out = dn;
	return 0;
}

int denied_open(struct denied **out, uint16_t group, size_t max_entries)
{
	struct denied *dn;
	int err = denied_alloc(&dn, max_entries);

	if (err)
		return err;
	err = nflog_open(group, &dn->sock);
	if (err) {
		denied_close(dn);
		return err;
	}
	dn->fd = mnl_socket_get_fd(dn->sock);
	*out = dn;
	return 0;
}

int denied_open_fd(struct denied **out, int fd, size_t max_entries)
{
	struct denied *dn;
	int err = denied_alloc(&dn, max_entries);

	if (err) {
		close(fd);
		return err;
	}
	dn->fd = fd;
	*out = dn;
	return 0;
}

int denied_fd(const struct denied *dn)
{
	return dn->fd;
}

void denied_close(struct denied *dn)
{
	if (!dn)
		return;
	if (dn->sock)
		mnl_socket_close(dn->sock);
	else if (dn->fd >= 0)
		close(dn->fd);
	free(dn->nodes);
	free(dn->buckets);
	free(dn->buf);
	free(dn);
}

/* Gaps in the instance's sequence numbers are messages the kernel could
 * not queue to us (socket full).  A smaller number: a new instance. */
static void seq_account(struct denied *dn, int64_t seq)
{
	if (seq < 0)
		return;
	if (dn->last_seq >= 0 && seq > dn->last_seq + 1)
		dn->st.lost += (uint64_t)(seq - dn->last_seq - 1);
	dn->last_seq = seq;
}

int denied_feed(struct denied *dn, const struct nlmsghdr *nlh, time_t now,
		const struct denied_entry **new_entry)
{
	struct denied_entry key;
	struct node *n;
	int64_t seq;
	uint32_t h, i;
	int err;

	if (new_entry)
		*new_entry = NULL;
	err = nflog_parse(nlh, &key, &seq);
	seq_account(dn, seq);
	if (err) {
		if (err == -ENOMSG)
			dn->st.ignored++;
		else
			dn->st.malformed++;
		return err;
	}
	resolve_other(dn, &key);
	h = key_hash(dn, &key);
	i = lookup(dn, &key, h);
	if (i == NIL) {
		i = insert(dn, &key, h);
		dn->nodes[i].e.first = now;
		if (new_entry)
			*new_entry = &dn->nodes[i].e;
	} else if (i != dn->newest) {
		recency_unlink(dn, i);
		recency_push(dn, i);
	}
	n = &dn->nodes[i];
	n->e.count++;
	n->e.last = now;
	dn->st.total++;
	return 0;
}

static bool rate_allow(struct denied *dn, uint64_t second, unsigned per_second)
{
	if (second != dn->rate_second) {
		dn->rate_second = second;
		dn->rate_count = 0;
	}
	if (dn->rate_count >= per_second)
		return false;
	dn->rate_count++;
	return true;
}

/* mnl_nlmsg_ok() compares nlmsg_len as an int: a length of 2 GiB or more
 * passes as negative and mnl_nlmsg_next() jumps far past the datagram. */
static bool message_ok(const struct nlmsghdr *nlh, int len)
{
	return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (uint32_t)len;
}

/* One datagram: any number of messages. */
static void consume(struct denied *dn, int len, time_t now, uint64_t second,
		    void (*on_new)(void *ctx, const struct denied_entry *e),
		    void *ctx, unsigned per_second)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)dn->buf;
	const struct denied_entry *e;

	for (; message_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (denied_feed(dn, nlh, now, &e) || !e || !on_new)
			continue;
		if (rate_allow(dn, second, per_second))
			on_new(ctx, e);
		else
			dn->st.suppressed++;
	}
	if (len > 0)                    /* bytes that are no message */
		dn->st.malformed++;
}

/* Only the kernel (port 0) speaks on our netlink socket. */
static bool from_kernel(const struct sockaddr_storage *from, socklen_t len)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)from;

	return len < sizeof(*nl) || nl->nl_family != AF_NETLINK ||
	       nl->nl_pid == 0;
}

int denied_read(struct denied *dn,
		void (*on_new)(void *ctx, const struct denied_entry *e),
		void *ctx, unsigned per_second)
{
	time_t now = time(NULL);
	struct timespec mono;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	for (int i = 0; i < DENIED_READ_BATCH; i++) {
		struct sockaddr_storage from = { 0 };
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(dn->fd, dn->buf, READ_BUFFER,
				     MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			dn->st.overruns++;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n > READ_BUFFER)
			dn->st.malformed++;
		else if (!from_kernel(&from, fromlen))
			dn->st.ignored++;
		else
			consume(dn, (int)n, now, (uint64_t)mono.tv_sec, on_new,
				ctx, per_second);
	}
	return 0;
}

uint64_t denied_total(const struct denied *dn)
{
	return dn->st.total;
}

uint64_t denied_suppressed(const struct denied *dn)
{
	return dn->st.suppressed;
}

void denied_get_stats(const struct denied *dn, struct denied_stats *out)
{
	*out = dn->st;
	out->entries = dn->used;
}

/* ---- rendering ---- */

static void utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

static void address(const struct denied_entry *e, const uint8_t *a, char *buf)
{
	if (!inet_ntop(e->family, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
}

/* Most packets first; ties: seen last first, then the tuple itself, so
 * the order never depends on the hash key. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct denied_entry *a = *(const struct denied_entry *const *)pa;
	const struct denied_entry *b = *(const struct denied_entry *const *)pb;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	if ((c = strcmp(a->pair, b->pair)) ||
	    (c = a->family - b->family) ||
	    (c = memcmp(a->saddr, b->saddr, 16)) ||
	    (c = memcmp(a->daddr, b->daddr, 16)) ||
	    (c = a->proto - b->proto) || (c = a->dport - b->dport) ||
	    (c = a->icmp_type - b->icmp_type))
		return c;
	return a->flags - b->flags;
}

static void cell(FILE *out, const char *s, size_t width, bool pad)
{
	if (strlen(s) > width)          /* '~' is in no pair or service */
		fprintf(out, "%.*s~", (int)width - 1, s);
	else if (pad)
		fprintf(out, "%-*s", (int)width, s);
	else
		fputs(s, out);
}

static size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Line one: COUNT PAIR SERVICE FIRST LAST; line two, under PAIR: SOURCE ->
 * DESTINATION (at most 2 * 39 + 4 columns).  COUNT, PAIR and SERVICE are
 * as wide as their widest cell; when PAIR and SERVICE together do not
 * fit, SERVICE gives way first, and a cut cell ends in '~'. */
static void render_text(FILE *out, const struct denied_entry **v, size_t n)
{
	size_t cw = 5, pw = 4, sw = 7, room;
	char svc[48], first[32], last[32], src[INET6_ADDRSTRLEN],
	     dst[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		denied_service(v[i], svc, sizeof(svc));
		cw = digits(v[i]->count) > cw ? digits(v[i]->count) : cw;
		pw = strlen(v[i]->pair) > pw ? strlen(v[i]->pair) : pw;
		sw = strlen(svc) > sw ? strlen(svc) : sw;
	}
	room = TEXT_WIDTH - cw - 2 * TIME_WIDTH - 4 * 2;    /* >= 32 */
	if (pw + sw > room) {
		size_t cut = room > pw + 12 ? room - pw : 12;

		sw = sw < cut ? sw : cut;
		pw = room - sw;
	}
	fprintf(out, "%*s  %-*s  %-*s  %-*s  %s\n", (int)cw, "COUNT", (int)pw,
		"PAIR", (int)sw, "SERVICE", TIME_WIDTH, "FIRST SEEN (UTC)",
		"LAST SEEN (UTC)");
	fprintf(out, "%*sSOURCE -> DESTINATION\n", (int)cw + 2, "");
	for (size_t i = 0; i < n; i++) {
		denied_service(v[i], svc, sizeof(svc));
		utc(v[i]->first, first, sizeof(first));
		utc(v[i]->last, last, sizeof(last));
		address(v[i], v[i]->saddr, src);
		address(v[i], v[i]->daddr, dst);
		fprintf(out, "%*" PRIu64 "  ", (int)cw, v[i]->count);
		cell(out, v[i]->pair, pw, true);
		fputs("  ", out);
		cell(out, svc, sw, true);
		fprintf(out, "  %-*s  %s\n", TIME_WIDTH, first, last);
		fprintf(out, "%*s%s -> %s\n", (int)cw + 2, "", src, dst);
	}
}

static void entry_json(struct json *j, const struct denied_entry *e)
{
	char svc[48], first[32], last[32], src[INET6_ADDRSTRLEN],
	     dst[INET6_ADDRSTRLEN];

	denied_service(e, svc, sizeof(svc));
	utc(e->first, first, sizeof(first));
	utc(e->last, last, sizeof(last));
	address(e, e->saddr, src);
	address(e, e->daddr, dst);
	json_object_open(j);
	json_kstr(j, "pair", e->pair);
	json_kstr(j, "family", e->family == AF_INET6 ? "ipv6" : "ipv4");
	json_kstr(j, "source", src);
	json_kstr(j, "destination", dst);
	json_kuint(j, "protocol", e->proto);
	json_kstr(j, "service", svc);
	if (e->flags & DENIED_NO_L4)
		;
	else if (denied_has_port(e->proto))
		json_kuint(j, "port", e->dport);
	else if (denied_has_icmp_type(e->proto))
		json_kuint(j, "icmp_type", e->icmp_type);
	json_kuint(j, "count", e->count);
	json_kstr(j, "first_seen", first);
	json_kstr(j, "last_seen", last);
	json_object_close(j);
}

static void render_json(FILE *out, const struct denied_entry **v, size_t n)
{
	struct json j;

	json_init(&j, out);
	json_array_open(&j);
	for (size_t i = 0; i < n; i++)
		entry_json(&j, v[i]);
	json_array_close(&j);
	fputc('\n', out);
}

void denied_render(const struct denied *dn, FILE *out, bool json, size_t top)
{
	const struct denied_entry **v = calloc(dn->used ? dn->used : 1,
					       sizeof(const struct denied_entry *));
	size_t n = dn->used;

	if (!v) {
		fputs(json ? "[]\n" : "out of memory\n", out);
		return;
	}
	for (uint32_t i = 0; i < dn->used; i++)
		v[i] = &dn->nodes[i].e;
	qsort(v, n, sizeof(const struct denied_entry *), entry_cmp);
	if (top && top < n)
		n = top;
	if (json) {
		render_json(out, v, n);
	} else {
		fprintf(out, "%" PRIu64 " denied packets logged in %u tuples "
			"(at most %u kept); %" PRIu64 " evicted, %" PRIu64
			" lost\n", dn->st.total, dn->used, dn->max,
			dn->st.evicted, dn->st.lost);
		if (n < dn->used)
			fprintf(out, "the %zu most frequent:\n", n);
		if (n)
			render_text(out, v, n);
	}
	free(v);
}
