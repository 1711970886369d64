/* test_shard.c - big address sets split into shards (compile_shard.c): the
 * lowered ruleset takes the same rules for every packet (followed through
 * its interval verdict maps), no address set is bigger than the limit, the
 * shards' names depend on the content only, and what cannot be lowered
 * stays whole. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_helper.h"
#include "check_main.h"

#define SAMPLES_MAX 8192
#define PICK 96

struct pkt {
	int family;       /* NFPROTO_IPV4 / NFPROTO_IPV6 */
	size_t w;
	uint8_t src[16], dst[16];
};

static bool has(const struct rs_elem *e, const uint8_t *a, size_t w)
{
	return memcmp(e->low, a, w) <= 0 && memcmp(a, e->high, w) <= 0;
}

/* The element of set name that holds a, or NULL; *other_family when the
 * set is of the other family (the lookup cannot match). */
static const struct rs_elem *find(const struct ruleset *rs, const char *name,
				  const struct pkt *p, const uint8_t *a,
				  bool *other_family, struct rs_elem *buf)
{
	const struct rs_set *s = ruleset_find_set(rs, name);
	struct rs_iter it;

	ck_assert_msg(s != NULL, "no set %s", name);
	*other_family = (s->key == RS_KEY_IPV4) != (p->w == 4);
	set_iter_begin(&it);
	while (!*other_family && set_iter_next(s, &it, buf))
		if (has(buf, a, p->w))
			return buf;
	return NULL;
}

static void print_op(FILE *f, const struct rs_op *op)
{
	if (rs_op_has_name(op->kind)) {
		fprintf(f, " %d:%s", op->kind, op->u.name);
		return;
	}
	switch (op->kind) {
	case RS_OP_LOG:
		fprintf(f, " log:%u:%s", op->u.log.group, op->u.log.prefix);
		break;
	case RS_OP_DPORT:
		fprintf(f, " dport:%u-%u", op->u.range.low, op->u.range.high);
		break;
	case RS_OP_LIMIT:
		fprintf(f, " limit:%u/%u", op->u.limit.rate, op->u.limit.burst);
		break;
	default:
		fprintf(f, " %d:%u", op->kind, op->u.num);
	}
}

/* The rules of chain name that match p, in the order a packet meets them,
 * each as its verdict, target and ops other than address lookups; an
 * address vmap is followed into the chain it jumps to. */
static void chain_sig(const struct ruleset *rs, const char *name,
		      const struct pkt *p, FILE *f, int depth)
{
	const struct rs_chain *ch = ruleset_find_chain(rs, name);

	ck_assert_msg(ch != NULL, "no chain %s", name);
	ck_assert_int_lt(depth, 8);
	for (size_t i = 0; i < ch->rule_count; i++) {
		const struct rs_rule *r = &ch->rules[i];
		const char *jump = NULL;
		bool match = true;

		for (size_t k = 0; k < r->op_count && match; k++) {
			const struct rs_op *op = &r->ops[k];
			bool src = op->kind == RS_OP_SADDR_SET ||
				   op->kind == RS_OP_SADDR_VMAP;
			const struct rs_elem *e;
			struct rs_elem buf;
			bool other = false;

			switch (op->kind) {
			case RS_OP_NFPROTO:
				match = (int)op->u.num == p->family;
				break;
			case RS_OP_SADDR_SET:
			case RS_OP_DADDR_SET:
				e = find(rs, op->u.name, p, src ? p->src : p->dst,
					 &other, &buf);
				match = (e != NULL) != op->neg && !other;
				break;
			case RS_OP_SADDR_VMAP:
			case RS_OP_DADDR_VMAP:
				ck_assert_int_eq(k + 1, r->op_count);
				e = find(rs, op->u.name, p, src ? p->src : p->dst,
					 &other, &buf);
				ck_assert(!other);
				match = e != NULL;
				if (e) {
					ck_assert_int_eq(e->verdict,
							 RS_VERDICT_JUMP);
					jump = e->chain;
				}
				break;
			default:
				break;
			}
		}
		if (!match)
			continue;
		if (jump) {
			chain_sig(rs, jump, p, f, depth + 1);
			continue;
		}
		fprintf(f, "[v%d %s", r->verdict, r->target ? r->target : "-");
		for (size_t k = 0; k < r->op_count; k++)
			if (r->ops[k].kind != RS_OP_SADDR_SET &&
			    r->ops[k].kind != RS_OP_DADDR_SET)
				print_op(f, &r->ops[k]);
		fputs("]", f);
	}
}

static char *sig(const struct ruleset *rs, const char *chain,
		 const struct pkt *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	chain_sig(rs, chain, p, f, 0);
	fclose(f);
	return text;
}

static void add_sample(uint8_t (*v)[16], size_t *n, const uint8_t *a,
		       size_t w, int delta)
{
	uint8_t b[16] = { 0 };

	memcpy(b, a, w);
	for (size_t k = w; delta && k-- > 0;)
		if (delta > 0 ? ++b[k] : b[k]--)
			break;
	if (*n < SAMPLES_MAX)
		memcpy(v[(*n)++], b, 16);
}

/* Addresses of one family at every edge of rs's address sets and maps,
 * and just outside them. */
static void samples_of(const struct ruleset *rs, size_t w, uint8_t (*v)[16],
		       size_t *n)
{
	for (size_t i = 0; i < rs->set_count; i++) {
		const struct rs_set *s = &rs->sets[i];
		struct rs_iter it;
		struct rs_elem e;

		if (!s->interval || (s->key == RS_KEY_IPV4) != (w == 4))
			continue;
		set_iter_begin(&it);
		while (set_iter_next(s, &it, &e)) {
			add_sample(v, n, e.low, w, 0);
			add_sample(v, n, e.low, w, -1);
			add_sample(v, n, e.high, w, 0);
			add_sample(v, n, e.high, w, 1);
		}
	}
}

/* Every chain of rs, for packets from and to sample addresses (up to
 * PICK of the edges, at random, each paired with another at random):
 * lowered takes the same rules. */
static void assert_same_policy(const struct ruleset *rs,
			       const struct ruleset *lowered)
{
	static uint8_t v[SAMPLES_MAX][16];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	for (int f = 0; f < 2; f++) {
		struct pkt p = { .family = f ? NFPROTO_IPV6 : NFPROTO_IPV4,
				 .w = f ? 16 : 4 };
		static const uint8_t top[16] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		size_t n = 0;

		add_sample(v, &n, top, 16, 0);
		add_sample(v, &n, top, p.w, 1);          /* 0 */
		samples_of(rs, p.w, v, &n);
		samples_of(lowered, p.w, v, &n);
		for (size_t i = 2; n > PICK && i < PICK; i++) {  /* shuffle */
			size_t j = i + test_rng(&rng) % (n - i);
			uint8_t tmp[16];

			memcpy(tmp, v[i], 16);
			memcpy(v[i], v[j], 16);
			memcpy(v[j], tmp, 16);
		}
		n = n > PICK ? PICK : n;
		for (size_t c = 0; c < rs->chain_count; c++) {
			const struct rs_chain *a = &rs->chains[c];
			const struct rs_chain *b =
				ruleset_find_chain(lowered, a->name);

			ck_assert_msg(b != NULL, "no chain %s", a->name);
			ck_assert_int_eq(a->hook, b->hook);
			for (size_t i = 0; i < n * 2; i++) {
				size_t x = i / 2, y = test_rng(&rng) % n;
				char *s1, *s2;

				memcpy(i % 2 ? p.src : p.dst, v[x], 16);
				memcpy(i % 2 ? p.dst : p.src, v[y], 16);
				s1 = sig(rs, a->name, &p);
				s2 = sig(lowered, a->name, &p);
				ck_assert_msg(!strcmp(s1, s2), "chain %s: %s vs "
					      "%s", a->name, s1, s2);
				free(s1);
				free(s2);
			}
		}
	}
}

/* No address set above max; regular chains before base chains; every
 * lookup and jump names something that is there. */
static void assert_lowered(const struct ruleset *rs, size_t max)
{
	bool base = false;

	for (size_t i = 0; i < rs->set_count; i++) {
		const struct rs_set *s = &rs->sets[i];
		struct rs_iter it;
		struct rs_elem e;

		if (set_packed(s))
			ck_assert_uint_le(s->elem_count, max);
		set_iter_begin(&it);
		while (s->is_map && set_iter_next(s, &it, &e))
			ck_assert_ptr_nonnull(ruleset_find_chain(rs, e.chain));
	}
	for (size_t c = 0; c < rs->chain_count; c++) {
		const struct rs_chain *ch = &rs->chains[c];

		if (ch->hook != RS_HOOK_NONE)
			base = true;
		else
			ck_assert_msg(!base, "chain %s after a base chain",
				      ch->name);
		for (size_t i = 0; i < ch->rule_count; i++) {
			const struct rs_rule *r = &ch->rules[i];

			for (size_t k = 0; k < r->op_count; k++)
				if (r->ops[k].kind == RS_OP_SADDR_SET ||
				    r->ops[k].kind == RS_OP_DADDR_SET ||
				    r->ops[k].kind == RS_OP_SADDR_VMAP ||
				    r->ops[k].kind == RS_OP_DADDR_VMAP)
					ck_assert_ptr_nonnull(ruleset_find_set(
						rs, r->ops[k].u.name));
			if (r->target)
				ck_assert_ptr_nonnull(ruleset_find_chain(
					rs, r->target));
		}
	}
}

static size_t biggest_set(const struct ruleset *rs)
{
	size_t big = 0;

	for (size_t i = 0; i < rs->set_count; i++)
		if (set_packed(&rs->sets[i]) && rs->sets[i].elem_count > big)
			big = rs->sets[i].elem_count;
	return big;
}

/* rs (compiled from path or text) lowered at max: the same policy. */
static void check_lowering(const char *path, const char *text, size_t max)
{
	struct ruleset rs, lo;

	if (path) {
		test_compile_file(path, &rs);
		test_compile_file(path, &lo);
	} else {
		test_compile_text(text, "shard.conf", &rs);
		test_compile_text(text, "shard.conf", &lo);
	}
	ck_assert_int_eq(ruleset_shard(&lo, max), 0);
	assert_lowered(&lo, max);
	if (biggest_set(&rs) > max)
		ck_assert(!ruleset_equal(&rs, &lo));
	else
		ck_assert(ruleset_equal(&rs, &lo));
	assert_same_policy(&rs, &lo);
	ruleset_free(&rs);
	ruleset_free(&lo);
}

START_TEST(shard_shipped)
{
	for (size_t max = 1; max <= 4; max++)
		check_lowering(TOP_SRCDIR "/conf/segmentd.conf", NULL, max);
}
END_TEST

START_TEST(shard_examples)
{
	DIR *dp = opendir(TOP_SRCDIR "/conf/examples");
	struct dirent *de;
	int seen = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp))) {
		char path[512];

		if (!strstr(de->d_name, ".conf"))
			continue;
		snprintf(path, sizeof(path), TOP_SRCDIR "/conf/examples/%s",
			 de->d_name);
		check_lowering(path, NULL, 1);
		check_lowering(path, NULL, 3);
		seen++;
	}
	closedir(dp);
	ck_assert_int_gt(seen, 0);
}
END_TEST

/* Zones a, b, c with n random networks each (10.64k-.., fdkk::), the any
 * zone "net", flows between them and to a host in b (in b's first
 * network, 10.127.255.0/24), a's intra accept (two lookups of one set in
 * one rule). */
static char *random_config(uint64_t *rng, int n, const char *settings)
{
	char *zones = strdup(""), *conf = NULL;

	for (int z = 0; z < 3; z++) {
		/* b's first network holds the host */
		char *nets = strdup(z == 1 ? "\"10.127.255.0/24\", "
				    "\"fd02:ffff::/32\"" : ""), *t = NULL;

		for (int i = 0; i < n; i++) {
			uint64_t r = test_rng(rng);
			unsigned len = 16 + (unsigned)(r % 9);   /* 16..24 */
			unsigned b2 = (unsigned)((r >> 8) % 63);
			unsigned b3 = (unsigned)((r >> 16) % 256) &
				      ~((1u << (24 - len)) - 1);

			ck_assert_int_ge(asprintf(&t, "%s%s\"10.%u.%u.0/%u\", "
				"\"fd%02d:%x::/%u\"", nets, i || z == 1 ? ", " : "",
				(unsigned)z * 64 + b2, b3, len, z + 1,
				(unsigned)((r >> 24) % 0xffff),
				32 + (unsigned)((r >> 40) % 33)), 0);
			free(nets);
			nets = t;
		}
		ck_assert_int_ge(asprintf(&t, "%s{ name = \"%c\"; class = "
			"\"general\"; interfaces = [ \"e%d\" ]; networks = "
			"[ %s ];%s },\n", zones, 'a' + z, z, nets,
			z ? "" : " intra = \"accept\";"), 0);
		free(nets);
		free(zones);
		zones = t;
	}
	ck_assert_int_ge(asprintf(&conf, "version = 1;\n%s"
		"zones = ( %s"
		"{ name = \"net\"; class = \"general\"; interfaces = "
		"[ \"w0\" ]; networks = [ \"any\" ]; } );\n"
		"hosts = ( { name = \"h\"; zone = \"b\"; addresses = "
		"[ \"10.127.255.1\", \"fd02:ffff::1\" ]; } );\n"
		"flows = ( { name = \"ab\"; from = \"a\"; to = \"b\"; "
		"comment = \"x\"; services = [ \"tcp/443\", \"udp/53\" ]; },\n"
		"  { name = \"ba\"; from = \"b\"; to = \"a\"; "
		"comment = \"x\"; services = [ \"udp/53\" ]; },\n"
		"  { name = \"ah\"; from = \"a\"; to = \"h\"; "
		"comment = \"x\"; services = [ \"tcp/22\" ]; },\n"
		"  { name = \"an\"; from = \"a\"; to = \"net\"; "
		"comment = \"x\"; services = [ \"tcp/443\" ]; },\n"
		"  { name = \"nc\"; from = \"net\"; to = \"c\"; "
		"comment = \"x\"; services = [ \"tcp/80\" ]; } );\n", settings, zones), 0);
	free(zones);
	return conf;
}

START_TEST(shard_random)
{
	uint64_t rng = 0x1234567 + (uint64_t)_i;
	char *conf = random_config(&rng, 6 + _i % 20,
				   _i % 3 == 2 ? "settings = { any_zone = "
				   "\"negated\"; };\n" : "");

	/* negated: lookups of every zone on the other side multiply */
	check_lowering(NULL, conf, (_i % 3 == 2 ? 8 : 3) + _i % 7);
	free(conf);
}
END_TEST

/* Every interval a piece and the intra rule looking up zone a on both
 * sides: the product of its pieces is more chains than lowering may
 * add. */
START_TEST(shard_too_many_chains)
{
	uint64_t rng = 5;
	char *conf = random_config(&rng, 40, "");
	struct ruleset rs;

	test_compile_text(conf, "shard.conf", &rs);
	ck_assert_int_eq(ruleset_shard(&rs, 1), -E2BIG);
	ruleset_free(&rs);
	free(conf);
}
END_TEST

static char *lowered_text(const struct ruleset *rs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ruleset_render(rs, f), 0);
	fclose(f);
	return text;
}

/* A network more inside one piece that stays under the limit changes
 * that shard only: the same sets, maps and chains (a reload by
 * difference).  Here the zones have 40 networks each (no split at 100),
 * the any zone's complement about 120 intervals (split in 10.0.0.0/9 and
 * 10.128.0.0/9 with 80 and 40), the new one goes into a and net below
 * 10.128.0.0.  The same config twice gives the same table; lowering a
 * lowered table changes nothing. */
START_TEST(shard_stable)
{
	uint64_t rng = 77;
	char *conf = random_config(&rng, 40, ""), *more = NULL, *at;
	struct ruleset a, b, c;
	char *ta, *tc;

	at = strstr(conf, "networks = [ ");
	ck_assert_ptr_nonnull(at);
	at += strlen("networks = [ ");
	ck_assert_int_ge(asprintf(&more, "%.*s\"10.1.2.3\", %s",
				  (int)(at - conf), conf, at), 0);
	test_compile_text(conf, "shard.conf", &a);
	test_compile_text(more, "shard.conf", &b);
	test_compile_text(conf, "shard.conf", &c);
	ck_assert_int_eq(ruleset_shard(&a, 100), 0);
	ck_assert_int_eq(ruleset_shard(&b, 100), 0);
	ck_assert_int_eq(ruleset_shard(&c, 100), 0);
	ck_assert(ruleset_same_shape(&a, &b));
	ck_assert(!ruleset_equal(&a, &b));
	ck_assert(ruleset_equal(&a, &c));
	ta = lowered_text(&a);
	ck_assert_int_eq(ruleset_shard(&c, 100), 0);
	tc = lowered_text(&c);
	ck_assert_str_eq(ta, tc);
	ck_assert_ptr_nonnull(strstr(ta, "saddr vmap @"));
	ck_assert_ptr_nonnull(strstr(ta, "flags interval"));
	free(ta);
	free(tc);
	ruleset_free(&a);
	ruleset_free(&b);
	ruleset_free(&c);
	free(conf);
	free(more);
}
END_TEST

/* Intervals at random inside 10.0.0.0/24 (any start and end, single
 * addresses too), looked up by = and != in two chains, lowered at 1-4:
 * every address of 10.0.0.0/24 and around it takes the same rules. */
START_TEST(shard_edges)
{
	uint64_t rng = 99 + (uint64_t)_i;
	struct ruleset rs, lo;
	struct rs_origin o = { 0 };

	for (int pass = 0; pass < 2; pass++) {
		struct ruleset *r = pass ? &lo : &rs;
		uint64_t seed = rng;
		struct rs_set *s;
		int at = (int)(test_rng(&seed) % 3);

		ruleset_init(r);
		r->table = strdup("t");
		s = ruleset_add_set(r, "big", RS_KEY_IPV4, false, &o);
		while (at < 256) {
			uint8_t a[4] = { 10, 0, 0, (uint8_t)at };
			uint8_t b[4] = { 10, 0, 0, 0 };
			int end = at + (int)(test_rng(&seed) % 9);

			b[3] = (uint8_t)(end > 255 ? 255 : end);
			ck_assert_int_eq(set_add_interval(s, a, b), 0);
			at = end + 2 + (int)(test_rng(&seed) % 7);
		}
		for (int neg = 0; neg < 2; neg++) {
			struct rs_chain *ch = ruleset_add_chain(r, neg ? "n" :
						"p", RS_HOOK_NONE, &o);
			struct rs_rule *x = chain_add_rule(ch, &o);

			ck_assert_int_eq(rule_num(x, RS_OP_NFPROTO,
						  NFPROTO_IPV4), 0);
			ck_assert_int_eq(rule_name(x, RS_OP_SADDR_SET, "big",
						   neg), 0);
			ck_assert_int_eq(rule_verdict(x, RS_VERDICT_ACCEPT,
						      NULL), 0);
		}
	}
	ck_assert_int_eq(ruleset_shard(&lo, 1 + (size_t)_i % 4), 0);
	assert_lowered(&lo, 1 + (size_t)_i % 4);
	ck_assert_ptr_null(ruleset_find_set(&lo, "big"));
	for (int a = -4; a < 260; a++) {
		struct pkt p = { .family = NFPROTO_IPV4, .w = 4,
				 .src = { 10, 0, 0, (uint8_t)a } };

		if (a < 0 || a > 255) {   /* just outside 10.0.0.0/24 */
			p.src[2] = a < 0 ? 0xff : 1;
			p.src[1] = a < 0 ? 0xff : 0;
			p.src[0] = a < 0 ? 9 : 10;
		}
		for (int c = 0; c < 2; c++) {
			char *s1 = sig(&rs, c ? "n" : "p", &p);
			char *s2 = sig(&lo, c ? "n" : "p", &p);

			ck_assert_msg(!strcmp(s1, s2), "10.0.0.%d: %s vs %s",
				      a, s1, s2);
			free(s1);
			free(s2);
		}
	}
	ruleset_free(&rs);
	ruleset_free(&lo);
}
END_TEST

/* A set looked up by a rule that cannot be lowered stays whole: one with
 * a limit (_i 0), with a counter before the lookup (1: a packet the map
 * misses would not be counted), without its family matched first (2: the
 * rest chain of a "!=" would match the other family's packets). */
START_TEST(shard_keeps_unlowerable)
{
	struct ruleset rs;
	struct rs_origin o = { 0 };
	struct rs_set *s;
	struct rs_chain *ch;
	struct rs_rule *r;
	uint8_t lo[4] = { 10, 0, 0, 0 }, hi[4] = { 10, 0, 0, 0 };

	ruleset_init(&rs);
	rs.table = strdup("t");
	ck_assert_ptr_nonnull(ruleset_add_counter(&rs, "n", &o));
	s = ruleset_add_set(&rs, "big", RS_KEY_IPV4, false, &o);
	for (int i = 0; i < 10; i++) {
		lo[2] = hi[2] = (uint8_t)(2 * i);
		ck_assert_int_eq(set_add_interval(s, lo, hi), 0);
	}
	ch = ruleset_add_chain(&rs, "c", RS_HOOK_NONE, &o);
	r = chain_add_rule(ch, &o);
	if (_i != 2)
		ck_assert_int_eq(rule_num(r, RS_OP_NFPROTO, NFPROTO_IPV4), 0);
	if (_i == 1)
		ck_assert_int_eq(rule_name(r, RS_OP_COUNTER, "n", false), 0);
	ck_assert_int_eq(rule_name(r, RS_OP_SADDR_SET, "big", _i == 2), 0);
	if (_i == 0)
		ck_assert_int_eq(rule_limit(r, 10, 5), 0);
	ck_assert_int_eq(rule_verdict(r, RS_VERDICT_ACCEPT, NULL), 0);
	ck_assert_int_eq(ruleset_shard(&rs, 2), 0);
	ck_assert_int_eq(rs.set_count, 1);
	ck_assert_str_eq(rs.sets[0].name, "big");
	ck_assert_int_eq(rs.sets[0].elem_count, 10);
	ck_assert_int_eq(rs.chain_count, 1);
	ruleset_free(&rs);
}
END_TEST

static Suite *shard_suite(void)
{
	Suite *s = suite_create("shard");
	TCase *tc = tcase_create("shard");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, shard_shipped);
	tcase_add_test(tc, shard_examples);
	tcase_add_loop_test(tc, shard_random, 0, 16);
	tcase_add_loop_test(tc, shard_edges, 0, 16);
	tcase_add_test(tc, shard_too_many_chains);
	tcase_add_test(tc, shard_stable);
	tcase_add_loop_test(tc, shard_keeps_unlowerable, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(shard_suite());
}
