/* fuzz_nflog.c - libFuzzer target for what the NFLOG socket delivers: one
 * datagram of netlink messages (the logged packets come from any host on a
 * zone) -> nflog_parse and denied_feed per message -> denied_render.
 *
 * Each message is fed on its own from a buffer of exactly nlmsg_len bytes,
 * so ASan sees any read past it; then the whole datagram goes through a
 * socketpair into denied_read() (consume() walks it), and both tables must
 * have counted the same.  4 tuples at most, so eviction runs too.
 * Invariants: nflog_parse returns 0, -ENOMSG or -EBADMSG and agrees with
 * denied_feed; an accepted tuple has a family, a non-empty pair of
 * [A-Za-z0-9._> ?-] and a service; a refused one leaves the key zeroed;
 * the JSON rendering is one array. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "denied.h"

#define MAX_TUPLES 4
#define T0 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool pair_ok(const char *pair, size_t size)
{
	size_t len = strnlen(pair, size);

	if (len == 0 || len == size)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_.> ?", pair[i]))
			return false;
	return true;
}

static void check_tuple(const struct denied_entry *k)
{
	char svc[48];

	if ((k->family != AF_INET && k->family != AF_INET6) ||
	    !pair_ok(k->pair, sizeof(k->pair)))
		abort();
	denied_service(k, svc, sizeof(svc));
	if (!svc[0] || strlen(svc) >= sizeof(svc) - 1)
		abort();
}

/* nflog_parse() clears the whole key, padding included, on refusal. */
static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void check_parsed(int err, const struct denied_entry *k)
{
	if (err == -ENOMSG || err == -EBADMSG) {
		if (!all_zero(k, sizeof(*k)))
			abort();
		return;
	}
	if (err || k->count)
		abort();
	check_tuple(k);
}

/* Both renderings into memory: no crash, and the JSON is one line. */
static void render(const struct denied *dn)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return;
	denied_render(dn, out, false, 0);
	denied_render(dn, out, true, 2);
	fclose(out);
	if (len < 3 || text[len - 1] != '\n' || text[len - 2] != ']')
		abort();
	free(text);
}

/* What consume() in denied.c walks: whole messages inside the datagram. */
static bool message_fits(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= left;
}

/* Each message on its own, in a buffer of exactly nlmsg_len bytes. */
static void feed_each(struct denied *dn, const uint8_t *data, size_t size)
{
	size_t off = 0, step;

	while (off + sizeof(struct nlmsghdr) <= size) {
		struct nlmsghdr hdr, *copy;
		struct denied_entry key;
		int64_t seq;
		int err;

		memcpy(&hdr, data + off, sizeof(hdr));
		if (!message_fits(&hdr, size - off))
			return;
		copy = malloc(hdr.nlmsg_len);
		if (!copy)
			return;
		memcpy(copy, data + off, hdr.nlmsg_len);
		err = nflog_parse(copy, &key, &seq);
		check_parsed(err, &key);
		if (seq < -1 || seq > UINT32_MAX ||
		    denied_feed(dn, copy, T0, NULL) != err)
			abort();
		free(copy);
		step = NLMSG_ALIGN(hdr.nlmsg_len);
		off += step < size - off ? step : size - off;
	}
}

static void check_new(void *ctx, const struct denied_entry *e)
{
	(void)ctx;
	check_tuple(e);
}

/* The same bytes as one datagram through denied_read() (consume()). */
static int read_datagram(struct denied **out, const uint8_t *data,
			 size_t size)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	if (denied_open_fd(out, sv[0], MAX_TUPLES)) {
		close(sv[1]);
		return -1;
	}
	if (send(sv[1], data, size, 0) != (ssize_t)size ||
	    denied_read(*out, check_new, NULL, 2)) {
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct denied *each = NULL, *whole = NULL;
	struct denied_stats a, b;

	if (size > 65536 || denied_open_fd(&each, -1, MAX_TUPLES))
		return 0;
	feed_each(each, data, size);
	denied_get_stats(each, &a);
	if (a.entries > MAX_TUPLES)
		abort();
	render(each);
	if (read_datagram(&whole, data, size) == 0) {
		/* the same tuples; a rest that is no message is malformed */
		denied_get_stats(whole, &b);
		if (b.total != a.total || b.ignored != a.ignored ||
		    b.lost != a.lost || b.entries != a.entries ||
		    b.malformed < a.malformed || b.malformed > a.malformed + 1)
			abort();
	}
	denied_close(whole);
	denied_close(each);
	return 0;
}
