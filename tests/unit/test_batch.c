/* test_batch.c - the batch that creates our table, read back without a
 * kernel and compared with the compiled ruleset it was built from.
 *
 * For every shipped config and for generated large ones (900 interfaces
 * under a 31-character zone name, 100,000 networks in one zone, 200 zones
 * with a flow each; not 1,000 zones: with a chain per pair of zones that
 * takes over a minute here today): policy_load(), then
 *   - fingerprint_expect() parses every message of nft_batch_build_full()
 *     back through libnftnl: its counts of chains, rules, sets, objects and
 *     elements must be the ruleset's;
 *   - the same batch walked here with libmnl alone: every message whole,
 *     every attribute of an element message known (a wrapped 16-bit list
 *     length leaves element bytes where attributes are read), and per set
 *     the elements, per chain the rules, as many as compiled.
 * An IPv4/IPv6 interval is two kernel elements (start, and the end flagged
 * INTERVAL_END) unless it runs to the top of the address space
 * (kernel/nft.c, msg_addr_chunk()); each is checked against its compiled
 * interval, byte for byte.  A struct nl with no socket serves: building a batch only
 * takes sequence numbers from it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fingerprint.h"
#include "netlink.h"
#include "nft.h"
#include "policy.h"
#include "check_main.h"

/* A fixed "now" so expiry is deterministic: 2026-11-01 00:00 UTC. */
#define TEST_NOW ((time_t)1793491200)
#define LONG_ZONE "lgwan-with-a-thirty-one-chars-x"   /* 31 characters */
#define IFACES 900
#define ZONES 200
/* In one zone, half IPv4, half IPv6.  Under ASan (make SANITIZE=1 check)
 * a fifth: 40,000 intervals still fill many element messages, and the
 * full size would take half a minute and 600 MB there. */
#if defined(__SANITIZE_ADDRESS__)
#define NETWORKS 20000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETWORKS 20000
#endif
#endif
#ifndef NETWORKS
#define NETWORKS 100000
#endif

/* What the walk of the batch found. */
struct tally {
	const struct ruleset *rs;
	size_t *set_elems;        /* per rs->sets[i] */
	size_t *next_iv;          /* per address set: the next interval */
	bool *at_end;             /* ... and whether its end comes next */
	struct rs_iter *iter;     /* ... read up to it */
	struct rs_elem *cur;      /* ... the interval whose end comes next */
	size_t *chain_rules;      /* per rs->chains[i] */
	size_t set_at, chain_at;  /* where the last name was found */
	size_t tables, chains, sets, objs, rules, elems;
};

/* ---- the compiled side ---- */

static bool all_ones(const uint8_t *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

/* The elements the kernel gets for s. */
static size_t kernel_elems(const struct rs_set *s)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16, n = 0;

	if (s->key != RS_KEY_IPV4 && s->key != RS_KEY_IPV6)
		return s->elem_count;
	struct rs_iter it;
	struct rs_elem e;

	set_iter_begin(&it);
	while (set_iter_next(s, &it, &e))
		n += all_ones(e.high, len) ? 1 : 2;
	return n;
}

static size_t kernel_elems_total(const struct ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->set_count; i++)
		n += kernel_elems(&rs->sets[i]);
	return n;
}

static size_t rules_total(const struct ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->chain_count; i++)
		n += rs->chains[i].rule_count;
	return n;
}

/* The index of the set or chain called name in v (n objects of `stride`
 * bytes, each starting with its name), searched from where the last one
 * was found (the batch names them in ruleset order); n if none. */
static size_t find_named(const void *v, size_t n, size_t stride,
			 const char *name, size_t *at)
{
	_Static_assert(offsetof(struct rs_set, name) == 0 &&
		       offsetof(struct rs_chain, name) == 0, "name first");

	for (size_t k = 0; k < n; k++) {
		size_t i = (*at + k) % n;
		const char *const *p = (const void *)((const char *)v +
						      i * stride);

		if (!strcmp(*p, name))
			return *at = i;
	}
	return n;
}

static size_t find_set(const struct ruleset *rs, const char *name,
		       size_t *at)
{
	return find_named(rs->sets, rs->set_count, sizeof(*rs->sets), name, at);
}

static size_t find_chain(const struct ruleset *rs, const char *name,
			 size_t *at)
{
	return find_named(rs->chains, rs->chain_count, sizeof(*rs->chains),
			  name, at);
}

/* ---- the batch, read with libmnl ---- */

/* The string of attribute `type` of the message ("" if absent). */
static void attr_name(const struct nlmsghdr *nlh, uint16_t type, char *buf,
		      size_t size)
{
	const struct nlattr *a;

	buf[0] = '\0';
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		size_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) != type)
			continue;
		len = strnlen(mnl_attr_get_payload(a), len);
		ck_assert_uint_lt(len, size);
		memcpy(buf, mnl_attr_get_payload(a), len);
		buf[len] = '\0';
	}
}

/* An element of address set i, checked against the compiled interval it
 * stands for: the interval's first address, then (unless it runs to the
 * top of the space) its last address + 1 flagged INTERVAL_END, in order.
 * The expected state is computed from these very messages, so only this
 * check ties their bytes to the compiled ruleset without a kernel. */
static void check_addr_elem(struct tally *t, size_t i, const struct nlattr *el)
{
	const struct rs_set *s = &t->rs->sets[i];
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16, key_len = 0;
	uint32_t flags = 0, want_flags = 0;
	const struct nlattr *a, *b;
	const void *key = NULL;
	struct rs_elem e;
	uint8_t want[16];

	if (s->key != RS_KEY_IPV4 && s->key != RS_KEY_IPV6)
		return;
	ck_assert_uint_lt(t->next_iv[i], s->elem_count);
	if (!t->at_end[i])
		ck_assert(set_iter_next(s, &t->iter[i], &t->cur[i]));
	e = t->cur[i];
	memcpy(want, t->at_end[i] ? e.high : e.low, len);
	if (t->at_end[i]) {
		for (size_t k = len; k-- > 0;)
			if (++want[k] != 0)
				break;
		want_flags = NFT_SET_ELEM_INTERVAL_END;
	}
	mnl_attr_for_each_nested(a, el) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS)
			flags = ntohl(mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == NFTA_DATA_VALUE) {
				key = mnl_attr_get_payload(b);
				key_len = mnl_attr_get_payload_len(b);
			}
	}
	ck_assert_msg(key_len == len && !memcmp(key, want, len) &&
		      flags == want_flags, "set '%s', interval %zu: the %s "
		      "element differs from the compiled interval", s->name,
		      t->next_iv[i] + 1, t->at_end[i] ? "end" : "start");
	if (!t->at_end[i] && !all_ones(e.high, len)) {
		t->at_end[i] = true;
	} else {
		t->at_end[i] = false;
		t->next_iv[i]++;
	}
}

/* One NEWSETELEM: its set's elements.  Every top-level attribute must be
 * one the message type has, and the attributes must end with the message:
 * an element list whose length wrapped leaves its tail to be read as
 * attributes (numbered elements, not NFTA_SET_ELEM_LIST_*). */
static void tally_elems(struct tally *t, const struct nlmsghdr *nlh)
{
	const size_t payload = mnl_nlmsg_get_payload_len(nlh) -
			       sizeof(struct nfgenmsg);
	const struct nlattr *a, *list = NULL;
	size_t walked = 0, i, n = 0;
	char name[NFT_NAME_MAXLEN];

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);

		ck_assert_msg(type >= 1 && type <= NFTA_SET_ELEM_LIST_MAX,
			      "element message: attribute %u at byte %zu: the "
			      "element list's length wrapped?", type, walked);
		if (type == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
		walked += MNL_ALIGN(a->nla_len);
	}
	ck_assert_uint_eq(walked, payload);
	ck_assert_ptr_nonnull(list);
	attr_name(nlh, NFTA_SET_ELEM_LIST_SET, name, sizeof(name));
	i = find_set(t->rs, name, &t->set_at);
	ck_assert_msg(i < t->rs->set_count, "elements of unknown set '%s'",
		      name);
	mnl_attr_for_each_nested(a, list) {
		check_addr_elem(t, i, a);
		n++;
	}
	t->set_elems[i] += n;
	t->elems += n;
}

static void tally_msg(struct tally *t, const struct nlmsghdr *nlh)
{
	char name[NFT_NAME_MAXLEN];
	size_t i;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return;                  /* batch begin (no end: check mode) */
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE: t->tables++; break;
	case NFT_MSG_NEWOBJ: t->objs++; break;
	case NFT_MSG_NEWSET: t->sets++; break;
	case NFT_MSG_NEWCHAIN:
		attr_name(nlh, NFTA_CHAIN_NAME, name, sizeof(name));
		ck_assert_msg(find_chain(t->rs, name, &t->chain_at) <
			      t->rs->chain_count, "unknown chain '%s'", name);
		t->chains++;
		break;
	case NFT_MSG_NEWRULE:
		attr_name(nlh, NFTA_RULE_CHAIN, name, sizeof(name));
		i = find_chain(t->rs, name, &t->chain_at);
		ck_assert_msg(i < t->rs->chain_count,
			      "rule of unknown chain '%s'", name);
		t->chain_rules[i]++;
		t->rules++;
		break;
	case NFT_MSG_NEWSETELEM: tally_elems(t, nlh); break;
	default:
		ck_abort_msg("a full batch with message type %u",
			     NFNL_MSG_TYPE(nlh->nlmsg_type));
	}
}

/* Every page of the batch is whole messages, end to end. */
static void tally_batch(struct tally *t, struct batch *bt)
{
	int pages = nftnl_batch_iovec_len(bt->b);
	struct iovec *iov = calloc((size_t)pages, sizeof(*iov));

	ck_assert_ptr_nonnull(iov);
	nftnl_batch_iovec(bt->b, iov, pages);
	for (int p = 0; p < pages; p++) {
		const struct nlmsghdr *nlh = iov[p].iov_base;
		int left = (int)iov[p].iov_len;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			tally_msg(t, nlh);
		ck_assert_int_eq(left, 0);
	}
	free(iov);
}

/* ---- the comparison ---- */

static void check_walk(const struct ruleset *rs, const char *what)
{
	struct tally t = { .rs = rs };
	struct nl nl = { .seq = 1 };
	struct batch bt;

	t.set_elems = calloc(rs->set_count + 1, sizeof(size_t));
	t.chain_rules = calloc(rs->chain_count + 1, sizeof(size_t));
	t.next_iv = calloc(rs->set_count + 1, sizeof(size_t));
	t.at_end = calloc(rs->set_count + 1, sizeof(bool));
	t.iter = calloc(rs->set_count + 1, sizeof(*t.iter));
	t.cur = calloc(rs->set_count + 1, sizeof(*t.cur));
	ck_assert(t.set_elems && t.chain_rules && t.next_iv && t.at_end &&
		  t.iter && t.cur);
	for (size_t i = 0; i < rs->set_count; i++)
		set_iter_begin(&t.iter[i]);
	ck_assert_int_eq(nft_batch_build_full(&nl, rs,
		nft_table_flags(PROTECTION_OWNED), NULL, &bt), 0);
	tally_batch(&t, &bt);
	batch_free(&bt);
	ck_assert_uint_eq(t.tables, 1);
	ck_assert_uint_eq(t.objs, rs->obj_count);
	ck_assert_uint_eq(t.sets, rs->set_count);
	ck_assert_uint_eq(t.chains, rs->chain_count);
	for (size_t i = 0; i < rs->set_count; i++)
		ck_assert_msg(t.set_elems[i] == kernel_elems(&rs->sets[i]),
			      "%s: set '%s': %zu elements in the batch, %zu "
			      "compiled", what, rs->sets[i].name,
			      t.set_elems[i], kernel_elems(&rs->sets[i]));
	for (size_t i = 0; i < rs->chain_count; i++)
		ck_assert_msg(t.chain_rules[i] == rs->chains[i].rule_count,
			      "%s: chain '%s': %zu rules in the batch, %zu "
			      "compiled", what, rs->chains[i].name,
			      t.chain_rules[i], rs->chains[i].rule_count);
	free(t.set_elems);
	free(t.chain_rules);
	free(t.next_iv);
	free(t.at_end);
	free(t.iter);
	free(t.cur);
}

static void check_fingerprint(const struct ruleset *rs, const char *what)
{
	struct nl nl = { .seq = 1 };   /* no socket: none is needed */
	struct fingerprint fp;

	ck_assert_int_eq(fingerprint_expect(&nl, rs,
		nft_table_flags(PROTECTION_OWNED), NULL, &fp, NULL), 0);
	ck_assert_msg(fp.chains == rs->chain_count && fp.sets == rs->set_count &&
		      fp.objects == rs->obj_count &&
		      fp.rules == rules_total(rs) &&
		      fp.elements == kernel_elems_total(rs),
		      "%s: parsed back %zu chains, %zu rules, %zu sets, %zu "
		      "objects, %zu elements; compiled %zu, %zu, %zu, %zu, %zu",
		      what, fp.chains, fp.rules, fp.sets, fp.objects,
		      fp.elements, rs->chain_count, rules_total(rs),
		      rs->set_count, rs->obj_count, kernel_elems_total(rs));
}

/* Loads path and compares; returns the number of kernel elements. */
static size_t check_config(const char *path)
{
	struct ruleset rs;
	struct model m;
	struct diags d;
	size_t elems;
	int err;

	diags_init(&d);
	model_init(&m);
	err = policy_load(path, TEST_NOW, &m, &rs, &d);
	if (err)
		diags_print(&d, stderr);
	ck_assert_msg(err == 0, "%s: policy_load: %s", path, strerror(-err));
	check_walk(&rs, path);
	check_fingerprint(&rs, path);
	elems = kernel_elems_total(&rs);
	ruleset_free(&rs);
	model_free(&m);
	diags_free(&d);
	return elems;
}

/* ---- the configs ---- */

START_TEST(shipped)
{
	glob_t g;

	ck_assert_int_eq(glob(TOP_SRCDIR "/conf/examples/*.conf", 0, NULL, &g),
			 0);
	ck_assert_uint_ge(g.gl_pathc, 3);
	check_config(TOP_SRCDIR "/conf/segmentd.conf");
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_config(g.gl_pathv[i]);
	globfree(&g);
}
END_TEST

static char tmpdir[256];   /* one per case, made by tmpdir_create() */
#define GEN_PATH_MAX (sizeof(tmpdir) + 16)

/* A new 0600 file in the test's directory (the loader refuses configs
 * others may write). */
static FILE *config_create(char *path, size_t size)
{
	FILE *f;
	int fd;

	snprintf(path, size, "%s/gen.XXXXXX", tmpdir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	return f;
}

static void config_close(FILE *f)
{
	ck_assert_int_eq(ferror(f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* The zone every generated config has besides its own: the uplink, whose
 * "any" networks are the complement of the others (intervals up to the
 * top of the address space). */
static const char cloud_zone[] =
	"  { name = \"cloud\"; class = \"internet\"; interfaces = [ \"wan0\" ];"
	" networks = [ \"any\" ]; }\n";

static void write_header(FILE *f)
{
	fputs("version = 1;\nsettings = { table = \"segmentd\"; "
	      "log = { group = 5; rate = 10; burst = 5; }; };\nzones = (\n", f);
}

/* One zone (a 31-character name) with IFACES interfaces, one with one;
 * a flow between them and one back. */
START_TEST(many_interfaces)
{
	char path[GEN_PATH_MAX];
	FILE *f = config_create(path, sizeof(path));

	write_header(f);
	fprintf(f, "  { name = \"%s\"; class = \"lgwan\"; interfaces = [ ",
		LONG_ZONE);
	for (int i = 0; i < IFACES; i++)
		fprintf(f, "%s\"i%d\"", i ? ", " : "", i);
	fputs(" ]; networks = [ \"10.2.0.0/16\", \"fd00:2::/48\" ]; },\n"
	      "  { name = \"lgwan-net\"; class = \"lgwan\"; interfaces = "
	      "[ \"lgw0\" ]; networks = [ \"172.20.0.0/16\" ]; },\n", f);
	fputs(cloud_zone, f);
	fprintf(f, ");\nflows = (\n  { name = \"out\"; from = \"%s\"; to = "
		"\"lgwan-net\"; services = [ \"tcp/443\" ]; },\n"
		"  { name = \"back\"; from = \"lgwan-net\"; to = \"%s\"; "
		"services = [ \"udp/53\" ]; }\n);\n", LONG_ZONE, LONG_ZONE);
	config_close(f);
	ck_assert_uint_gt(check_config(path), IFACES);
}
END_TEST

/* NETWORKS networks in one zone: /28s a /27 apart from 10.64.0.0 and odd
 * /64s from fd00:2:1:1::/64, none adjacent (bench/gen-config.sh's shape). */
START_TEST(many_networks)
{
	char path[GEN_PATH_MAX];
	FILE *f = config_create(path, sizeof(path));

	write_header(f);
	fputs("  { name = \"lgwan\"; class = \"lgwan\"; interfaces = "
	      "[ \"lg0\" ]; networks = [\n    \"10.2.0.0/16\"", f);
	for (unsigned i = 0; i < NETWORKS / 2 - 1; i++) {
		unsigned a = (10u << 24) + (64u << 16) + i * 32;

		fprintf(f, ",\n    \"%u.%u.%u.%u/28\"", a >> 24,
			(a >> 16) & 255, (a >> 8) & 255, a & 255);
	}
	fputs(",\n    \"fd00:2::/48\"", f);
	for (unsigned i = 0; i < NETWORKS / 2 - 1; i++)
		fprintf(f, ",\n    \"fd00:2:%x:%x::/64\"", 1 + i / 32768,
			(i % 32768) * 2 + 1);
	fputs(" ]; },\n  { name = \"lgwan-net\"; class = \"lgwan\"; "
	      "interfaces = [ \"lgw0\" ]; networks = [ \"172.20.0.0/16\" ]; },\n",
	      f);
	fputs(cloud_zone, f);
	fputs(");\nflows = (\n  { name = \"out\"; from = \"lgwan\"; to = "
	      "\"lgwan-net\"; services = [ \"tcp/443\" ]; }\n);\n", f);
	config_close(f);
	/* the zone's and the complement's intervals, both families */
	ck_assert_uint_gt(check_config(path), 2 * NETWORKS);
}
END_TEST

/* ZONES zones, zone i with a flow to zone i + 1. */
START_TEST(many_zones)
{
	char path[GEN_PATH_MAX];
	FILE *f = config_create(path, sizeof(path));

	write_header(f);
	for (int i = 0; i < ZONES; i++)
		fprintf(f, "  { name = \"z%d\"; class = \"lgwan\"; interfaces = "
			"[ \"e%d\" ]; networks = [ \"10.%d.%d.0/24\" ]; },\n",
			i, i, 100 + i / 256, i % 256);
	fputs(cloud_zone, f);
	fputs(");\nflows = (\n", f);
	for (int i = 0; i < ZONES; i++)
		fprintf(f, "  { name = \"f%d\"; from = \"z%d\"; to = \"z%d\"; "
			"services = [ \"tcp/443\" ]; }%s\n", i, i,
			(i + 1) % ZONES, i + 1 < ZONES ? "," : "");
	fputs(");\n", f);
	config_close(f);
	ck_assert_uint_gt(check_config(path), ZONES);
}
END_TEST

static void tmpdir_create(void)
{
	const char *top = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/segmentd-batch.XXXXXX",
		 top && *top ? top : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* The case's directory and the config its test generated. */
static void tmpdir_remove(void)
{
	char path[sizeof(tmpdir) + sizeof(((struct dirent *)0)->d_name) + 1];
	struct dirent *e;
	DIR *dp = opendir(tmpdir);

	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
	rmdir(tmpdir);
}

/* One case per config kind (CK_RUN_CASE=zones runs one). */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, tmpdir_create, tmpdir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

int main(void)
{
	Suite *s = suite_create("batch");

	add_case(s, "shipped", shipped);
	add_case(s, "interfaces", many_interfaces);
	add_case(s, "networks", many_networks);
	add_case(s, "zones", many_zones);
	return check_run(s);
}
