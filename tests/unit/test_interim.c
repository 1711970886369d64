/* test_interim.c - the interim table (compile_interim.c): for every packet
 * it takes the same rules as the ruleset it comes from, without the any
 * zone's complement sets; and it is refused when the sets do not prove it. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_helper.h"
#include "check_main.h"

#define SAMPLES_MAX 48

/* A packet of one family: its source and destination (w bytes each). */
struct pkt {
	int family;       /* NFPROTO_IPV4 / NFPROTO_IPV6 */
	size_t w;
	uint8_t src[16], dst[16];
};

static bool in_set(const struct ruleset *rs, const char *name,
		   const struct pkt *p, const uint8_t *a, bool *other_family)
{
	const struct rs_set *s = ruleset_find_set(rs, name);
	struct rs_iter it;
	struct rs_elem e;

	ck_assert_msg(s != NULL, "no set %s", name);
	*other_family = (s->key == RS_KEY_IPV4) != (p->w == 4);
	set_iter_begin(&it);
	while (set_iter_next(s, &it, &e))
		if (memcmp(e.low, a, p->w) <= 0 && memcmp(a, e.high, p->w) <= 0)
			return true;
	return false;
}

/* What chain does with p, judged by its family and address lookups: the
 * rules that match, each as its verdict, target and other ops, in order.
 * The interim table's copies of a rule must give the same text. */
static char *chain_sig(const struct ruleset *rs, const struct rs_chain *ch,
		       const struct pkt *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < ch->rule_count; i++) {
		const struct rs_rule *r = &ch->rules[i];
		bool match = true;

		for (size_t k = 0; k < r->op_count && match; k++) {
			const struct rs_op *op = &r->ops[k];
			bool other = false;

			if (op->kind == RS_OP_NFPROTO)
				match = (int)op->u.num == p->family;
			else if (op->kind == RS_OP_SADDR_SET ||
				 op->kind == RS_OP_DADDR_SET)
				match = in_set(rs, op->u.name, p,
					       op->kind == RS_OP_SADDR_SET ?
					       p->src : p->dst, &other) !=
					op->neg && !other;
		}
		if (!match)
			continue;
		fprintf(f, "[v%d %s", r->verdict, r->target ? r->target : "-");
		for (size_t k = 0; k < r->op_count; k++) {
			const struct rs_op *op = &r->ops[k];

			if (op->kind == RS_OP_SADDR_SET ||
			    op->kind == RS_OP_DADDR_SET)
				continue;
			if (rs_op_has_name(op->kind)) {
				fprintf(f, " %d:%s", op->kind, op->u.name);
				continue;
			}
			switch (op->kind) {
			case RS_OP_LOG:
				fprintf(f, " log:%u:%s", op->u.log.group,
					op->u.log.prefix);
				break;
			case RS_OP_DPORT:
				fprintf(f, " dport:%u-%u", op->u.range.low,
					op->u.range.high);
				break;
			case RS_OP_LIMIT:
				fprintf(f, " limit:%u/%u", op->u.limit.rate,
					op->u.limit.burst);
				break;
			default:
				fprintf(f, " %d:%u", op->kind, op->u.num);
			}
		}
		fputs("]", f);
	}
	fclose(f);
	return text;
}

static void add_sample(uint8_t (*v)[16], size_t *n, const uint8_t *a,
		       size_t w)
{
	if (*n < SAMPLES_MAX) {
		memset(v[*n], 0, 16);
		memcpy(v[(*n)++], a, w);
	}
}

/* Addresses of one family that probe every set's edges: the first and
 * last address of its first intervals, and those just outside them. */
static size_t samples(const struct ruleset *rs, size_t w, uint8_t (*v)[16])
{
	size_t n = 0;
	uint8_t a[16];

	memset(a, 0, sizeof(a));
	add_sample(v, &n, a, w);                 /* 0 */
	memset(a, 0xff, sizeof(a));
	add_sample(v, &n, a, w);                 /* the top */
	for (size_t i = 0; i < rs->set_count; i++) {
		const struct rs_set *s = &rs->sets[i];
		struct rs_iter it;
		struct rs_elem e;
		int per = 0;

		if (!s->interval || (s->key == RS_KEY_IPV4) != (w == 4))
			continue;
		set_iter_begin(&it);
		while (per++ < 3 && set_iter_next(s, &it, &e)) {
			add_sample(v, &n, e.low, w);
			add_sample(v, &n, e.high, w);
			for (size_t k = w; k-- > 0;)     /* high + 1 */
				if (++e.high[k])
					break;
			add_sample(v, &n, e.high, w);
		}
	}
	return n;
}

/* Every chain of rs, for every pair of sample addresses of both families:
 * the interim table's chain of that name takes the same rules. */
static void assert_same_policy(const struct ruleset *rs,
			       const struct ruleset *in)
{
	static uint8_t v[SAMPLES_MAX][16];

	for (int f = 0; f < 2; f++) {
		struct pkt p = { .family = f ? NFPROTO_IPV6 : NFPROTO_IPV4,
				 .w = f ? 16 : 4 };
		size_t n = samples(rs, p.w, v);

		ck_assert_int_ge(n, 2);
		for (size_t c = 0; c < rs->chain_count; c++) {
			const struct rs_chain *a = &rs->chains[c];
			const struct rs_chain *b =
				ruleset_find_chain(in, a->name);

			ck_assert_msg(b != NULL, "no chain %s", a->name);
			ck_assert_int_eq(a->hook, b->hook);
			ck_assert_int_eq(a->priority, b->priority);
			for (size_t i = 0; i < n * n; i++) {
				char *x, *y;

				memcpy(p.src, v[i / n], 16);
				memcpy(p.dst, v[i % n], 16);
				x = chain_sig(rs, a, &p);
				y = chain_sig(in, b, &p);
				ck_assert_msg(!strcmp(x, y), "chain %s: %s vs "
					      "%s", a->name, x, y);
				free(x);
				free(y);
			}
		}
	}
	ck_assert_int_eq(rs->chain_count, in->chain_count);
}

/* The shipped config: the cloud zone's two complement sets left out, the
 * other sets and the objects kept, the same verdicts everywhere. */
START_TEST(interim_shipped)
{
	char path[512];
	struct ruleset rs, in;

	snprintf(path, sizeof(path), "%s/conf/segmentd.conf", TOP_SRCDIR);
	test_compile_file(path, &rs);
	ck_assert_int_eq(ruleset_compile_interim(&rs, &in), 0);
	ck_assert_str_eq(in.table, "segmentd-interim");
	ck_assert(in.owned_while_running && !in.ownership);
	ck_assert_ptr_null(ruleset_find_set(&in, "zone_cloud_v4"));
	ck_assert_ptr_null(ruleset_find_set(&in, "zone_cloud_v6"));
	ck_assert_int_eq(in.set_count, rs.set_count - 2);
	ck_assert_int_eq(in.obj_count, rs.obj_count);
	ck_assert_int_lt(ruleset_element_count(&in),
			 ruleset_element_count(&rs));
	for (size_t i = 0; i < in.set_count; i++)
		ck_assert(ruleset_set_equal(&in.sets[i], ruleset_find_set(
				&rs, in.sets[i].name)));
	assert_same_policy(&rs, &in);
	ruleset_free(&in);
	ruleset_free(&rs);
}
END_TEST

/* Every example topology: an interim table of the same policy, or none. */
START_TEST(interim_examples)
{
	char dir[512], path[1024];
	struct dirent *de;
	DIR *dp;
	int made = 0, seen = 0;

	snprintf(dir, sizeof(dir), "%s/conf/examples", TOP_SRCDIR);
	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name);
		struct ruleset rs, in;
		int err;

		if (l < 6 || strcmp(de->d_name + l - 5, ".conf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		test_compile_file(path, &rs);
		err = ruleset_compile_interim(&rs, &in);
		ck_assert_msg(err == 0 || err == -ENOENT, "%s: %d", path, err);
		if (!err) {
			assert_same_policy(&rs, &in);
			ruleset_free(&in);
			made++;
		}
		seen++;
		ruleset_free(&rs);
	}
	closedir(dp);
	ck_assert_int_gt(seen, 0);
	ck_assert_int_gt(made, 0);
}
END_TEST

/* `others` zones a0.. (10.K.0.0/16, fd0K::/32) and the any zone "net",
 * flows both ways and net's intra = "accept". */
static char *any_config(int others, const char *settings)
{
	char *conf = NULL, *zones = strdup("");

	for (int k = 0; k < others; k++) {
		char *z = NULL;

		ck_assert_int_ge(asprintf(&z, "%s{ name = \"a%d\"; class = "
			"\"general\"; interfaces = [ \"e%d\" ]; networks = "
			"[ \"10.%d.0.0/16\", \"fd0%d::/32\" ]; },\n", zones, k,
			k, k + 1, k + 1), 0);
		free(zones);
		zones = z;
	}
	ck_assert_int_ge(asprintf(&conf, "version = 1;\n%s"
		"zones = ( %s"
		"{ name = \"net\"; class = \"general\"; interfaces = "
		"[ \"w0\" ]; networks = [ \"any\" ]; intra = \"accept\"; } );\n"
		"flows = ( { name = \"out\"; from = \"a0\"; to = \"net\"; "
		"services = [ \"tcp/443\" ]; },\n"
		"  { name = \"in\"; from = \"net\"; to = \"a0\"; "
		"services = [ \"udp/53\" ]; } );\n", settings, zones), 0);
	free(zones);
	return conf;
}

/* Up to ANY_NEGATED_MAX other zones: an interim table of the same policy;
 * more, or the any zone already matched by negation: none. */
START_TEST(interim_by_zone_count)
{
	for (int others = 1; others <= 6; others++) {
		char *conf = any_config(others, "");
		struct ruleset rs, in;
		int err;

		test_compile_text(conf, "interim.conf", &rs);
		err = ruleset_compile_interim(&rs, &in);
		if (others <= 4) {
			ck_assert_int_eq(err, 0);
			ck_assert_ptr_null(ruleset_find_set(&in, "zone_net_v4"));
			assert_same_policy(&rs, &in);
			ruleset_free(&in);
		} else {
			ck_assert_int_eq(err, -ENOENT);
		}
		ruleset_free(&rs);
		free(conf);
	}
	for (int others = 1; others <= 4; others++) {
		char *conf = any_config(others, "settings = { any_zone = "
					"\"negated\"; };\n");
		struct ruleset rs, in;

		test_compile_text(conf, "interim.conf", &rs);
		ck_assert_int_eq(ruleset_compile_interim(&rs, &in), -ENOENT);
		ruleset_free(&rs);
		free(conf);
	}
}
END_TEST

/* The config with zone_net_v4 spoiled: its interval `skip` left out,
 * or (skip < 0) its first one an address short; only zone_net_v6 can be
 * left out then. */
static void spoiled_v4_keeps_it(const char *conf, int skip)
{
	struct ruleset rs, in;
	struct rs_set *any;
	struct ivpack cut;
	struct ivpack_pos pos;
	uint8_t lo[16], hi[16];
	int i = 0;

	test_compile_text(conf, "interim.conf", &rs);
	any = (struct rs_set *)ruleset_find_set(&rs, "zone_net_v4");
	ck_assert_ptr_nonnull(any);
	ivpack_init(&cut, 4);
	ivpack_begin(&pos);
	for (; ivpack_next(&any->iv, &pos, lo, hi); i++) {
		if (i == 0 && skip < 0)
			hi[3]--;
		if (i != skip)
			ck_assert_int_eq(ivpack_add(&cut, lo, hi), 0);
	}
	ivpack_free(&any->iv);
	any->iv = cut;
	any->elem_count = cut.count;
	ck_assert_int_eq(ruleset_compile_interim(&rs, &in), 0);
	ck_assert_ptr_nonnull(ruleset_find_set(&in, "zone_net_v4"));
	ck_assert_ptr_null(ruleset_find_set(&in, "zone_net_v6"));
	assert_same_policy(&rs, &in);
	ruleset_free(&in);
	ruleset_free(&rs);
}

/* A complement set that is not exactly the complement (one interval
 * missing, or one address short) is not left out; without any: none. */
START_TEST(interim_needs_exact_complement)
{
	char *conf = any_config(2, "");
	struct ruleset rs, in;

	test_compile_text(conf, "interim.conf", &rs);
	ck_assert_int_eq(ruleset_compile_interim(&rs, &in), 0);
	ck_assert_ptr_null(ruleset_find_set(&in, "zone_net_v4"));
	ruleset_free(&in);
	ruleset_free(&rs);
	spoiled_v4_keeps_it(conf, 1);
	spoiled_v4_keeps_it(conf, -1);
	free(conf);
	test_compile_text("version = 1;\nzones = ( { name = \"a\"; class = "
			  "\"general\"; interfaces = [ \"e0\" ]; networks = "
			  "[ \"10.1.0.0/16\" ]; } );\n", "interim.conf", &rs);
	ck_assert_int_eq(ruleset_compile_interim(&rs, &in), -ENOENT);
	ruleset_free(&rs);
}
END_TEST

/* A rule copied once per other zone must not carry a limit: each copy
 * would let through its whole rate.  No interim table then. */
START_TEST(interim_no_limit_copies)
{
	char *conf = any_config(2, "");
	struct ruleset rs, in;
	bool added = false;

	test_compile_text(conf, "interim.conf", &rs);
	for (size_t i = 0; i < rs.chain_count && !added; i++)
		for (size_t j = 0; j < rs.chains[i].rule_count && !added; j++) {
			struct rs_rule *r = &rs.chains[i].rules[j];

			for (size_t k = 0; k < r->op_count && !added; k++)
				if (r->ops[k].kind == RS_OP_SADDR_SET &&
				    r->ops[k].neg &&
				    !strcmp(r->ops[k].u.name, "zone_net_v4")) {
					ck_assert_int_eq(rule_limit(r, 10, 5), 0);
					added = true;
				}
		}
	ck_assert(added);
	ck_assert_int_eq(ruleset_compile_interim(&rs, &in), -ENOENT);
	ruleset_free(&rs);
	free(conf);
}
END_TEST

static Suite *interim_suite(void)
{
	Suite *s = suite_create("interim");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, interim_shipped);
	tcase_add_test(tc, interim_examples);
	tcase_add_test(tc, interim_by_zone_count);
	tcase_add_test(tc, interim_needs_exact_complement);
	tcase_add_test(tc, interim_no_limit_copies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(interim_suite());
}
