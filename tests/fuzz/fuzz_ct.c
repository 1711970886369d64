/* fuzz_ct.c - libFuzzer target for the ctnetlink entry parser: one message
 * of a conntrack dump (what the kernel of this namespace sends; with
 * conntrackd, entries synced from a peer) -> ct_parse_entry.
 *
 * The message is fed from a buffer of exactly its size, so ASan sees any
 * read past it.  Invariants: ct_parse_entry returns 0 or -EINVAL; an
 * accepted entry has a family of AF_INET or AF_INET6, ports or ICMP or
 * neither (never both), builds back (ct_build_entry) into a message that
 * parses to the same entry, and builds a delete request; formatting it
 * fits its buffer. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct ct_entry *e)
{
	char buf[1024], text[160];
	struct ct_entry again;
	int len;

	if ((e->family != AF_INET && e->family != AF_INET6) ||
	    (e->has_ports && e->has_icmp))
		abort();
	len = ct_build_entry(buf, sizeof(buf), e);
	if (len <= 0 || ct_parse_entry((void *)buf, (size_t)len, &again) ||
	    memcmp(e, &again, sizeof(again)))
		abort();
	if (ct_build_delete(buf, sizeof(buf), 1, e) <= 0)
		abort();
	ct_entry_format(e, text, sizeof(text));
	if (strnlen(text, sizeof(text)) >= sizeof(text))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_entry e;
	uint8_t *msg = malloc(size ? size : 1);
	int err;

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	err = ct_parse_entry((const struct nlmsghdr *)msg, size, &e);
	if (err && err != -EINVAL)
		abort();
	if (!err)
		check_accepted(&e);
	free(msg);
	return 0;
}
