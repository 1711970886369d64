/* test_compile.c - the compiled ruleset: golden nft text for every shipped
 * config, and the structural properties the enforcement relies on. */
#include <check.h>
#include <dirent.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "compile_helper.h"
#include "check_main.h"

static char *render_config(const char *path, struct ruleset *rs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	test_compile_file(path, rs);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ruleset_render(rs, f), 0);
	fclose(f);
	return text;
}

/* conf/X.conf and conf/examples/X.conf -> tests/golden/X.nft */
static void check_golden(const char *conf, const char *name)
{
	char path[512], golden[512];
	struct ruleset rs;
	char *got;

	snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, conf);
	snprintf(golden, sizeof(golden), "%s/tests/golden/%s.nft", TOP_SRCDIR,
		 name);
	got = render_config(path, &rs);
	ck_assert_msg(golden_matches(golden, got),
		      "%s: compiled ruleset differs from %s, or it is missing "
		      "(make golden and review the diff)", conf, golden);
	free(got);
	ruleset_free(&rs);
}

START_TEST(golden_shipped)
{
	check_golden("conf/segmentd.conf", "segmentd");
}
END_TEST

START_TEST(golden_examples)
{
	char dir[512], conf[600], name[256];
	struct dirent *e;
	int n = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/conf/examples", TOP_SRCDIR);
	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf"))
			continue;
		snprintf(conf, sizeof(conf), "conf/examples/%s", e->d_name);
		snprintf(name, sizeof(name), "example-%.*s", (int)(len - 5),
			 e->d_name);
		check_golden(conf, name);
		n++;
	}
	closedir(dp);
	ck_assert_int_ge(n, 2);
}
END_TEST

static bool has_positive_lookup(const struct rs_rule *r)
{
	for (size_t i = 0; i < r->op_count; i++) {
		enum rs_op_kind k = r->ops[i].kind;

		if ((k == RS_OP_SADDR_SET || k == RS_OP_DADDR_SET ||
		     k == RS_OP_CT_MARK_SET_IN) && !r->ops[i].neg)
			return true;
	}
	return false;
}

/* Deny by construction: a lookup that misses must never be what lets a
 * packet through, and no drop depends on a lookup hitting. */
/* Chains, counters and out_Z entries only for pairs with a flow (or intra
 * accept): mynumber has no flow to internet, lgwan has file-pull to it. */
START_TEST(pairs_only_with_flows)
{
	char path[512];
	struct ruleset rs;
	const struct rs_set *out;
	char *text;

	snprintf(path, sizeof(path), "%s/conf/segmentd.conf", TOP_SRCDIR);
	text = render_config(path, &rs);
	ck_assert_ptr_null(ruleset_find_chain(&rs, "fwd_mynumber_internet"));
	ck_assert_ptr_nonnull(ruleset_find_chain(&rs, "fwd_lgwan_internet"));
	ck_assert_ptr_null(strstr(text, "counter pair_mynumber_internet_"));
	ck_assert_ptr_nonnull(strstr(text, "counter denied_drop"));
	ck_assert_ptr_nonnull(strstr(text, "segmentd drop mynumber>other: "));
	out = ruleset_find_set(&rs, "out_mynumber");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->elem_count, 2);   /* lg0, lgw0 */
	free(text);
	ruleset_free(&rs);
}
END_TEST

START_TEST(deny_by_construction)
{
	char path[512];
	struct ruleset rs;
	char *text;

	snprintf(path, sizeof(path), "%s/conf/segmentd.conf", TOP_SRCDIR);
	text = render_config(path, &rs);
	free(text);
	for (size_t c = 0; c < rs.chain_count; c++) {
		const struct rs_chain *ch = &rs.chains[c];

		for (size_t i = 0; i < ch->rule_count; i++) {
			const struct rs_rule *r = &ch->rules[i];

			for (size_t j = 0; j < r->op_count; j++)
				if (r->ops[j].neg)
					ck_assert_msg(r->verdict != RS_VERDICT_ACCEPT,
						"%s rule %zu: negated lookup "
						"accepts", ch->name, i + 1);
			if (r->verdict == RS_VERDICT_DROP)
				ck_assert_msg(!has_positive_lookup(r),
					"%s rule %zu: drop needs a hit",
					ch->name, i + 1);
		}
		if (ch->hook != RS_HOOK_NONE)
			ck_assert_msg(ch->rule_count > 0, "empty base chain");
	}
	ruleset_free(&rs);
}
END_TEST

/* Every flow's NEW rule sets a mark that the established rule accepts. */
START_TEST(marks_registered)
{
	char path[512];
	struct ruleset rs;
	const struct rs_set *marks, *gmarks, *gw;
	struct ruleset guard;
	char *text;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/conf/segmentd.conf", TOP_SRCDIR);
	text = render_config(path, &rs);
	free(text);
	marks = ruleset_find_set(&rs, "flow_marks");
	ck_assert_ptr_nonnull(marks);
	/* the guard admits every flow's mark, and the gateway's mark (set by
	 * management rules, admitted on input only) */
	ck_assert_int_eq(ruleset_compile_guard(&rs, &guard), 0);
	gmarks = ruleset_find_set(&guard, "flow_marks");
	gw = ruleset_find_set(&guard, "gateway_marks");
	ck_assert_ptr_nonnull(gmarks);
	ck_assert_ptr_nonnull(gw);
	ck_assert_uint_eq(gmarks->elem_count, marks->elem_count);
	for (size_t k = 0; k < marks->elem_count; k++)
		ck_assert_mem_eq(gmarks->elems[k].low, marks->elems[k].low, 4);
	for (size_t c = 0; c < rs.chain_count; c++) {
		const struct rs_chain *ch = &rs.chains[c];

		for (size_t i = 0; i < ch->rule_count; i++) {
			const struct rs_rule *r = &ch->rules[i];

			for (size_t j = 0; j < r->op_count; j++) {
				uint32_t mark;
				bool found = false;

				if (r->ops[j].kind != RS_OP_CT_MARK_ASSIGN)
					continue;
				mark = r->ops[j].u.num;
				for (size_t k = 0; k < marks->elem_count; k++)
					found |= !memcmp(marks->elems[k].low,
							 &mark, 4);
				found |= !memcmp(gw->elems[0].low, &mark, 4) &&
					 ch->hook != RS_HOOK_FORWARD &&
					 strncmp(ch->name, "fwd_", 4) &&
					 strncmp(ch->name, "in_", 3);
				ck_assert_msg(found, "mark %08x missing", mark);
				n++;
			}
		}
	}
	ck_assert_int_gt(n, 10);
	ruleset_free(&guard);
	ruleset_free(&rs);
}
END_TEST

/* Is the IPv4 address a in set name (false when there is no such set)? */
static bool in_set4(const struct ruleset *rs, const char *name,
		    const uint8_t *a)
{
	const struct rs_set *s = ruleset_find_set(rs, name);
	struct rs_iter it;
	struct rs_elem e;

	if (!s)
		return false;
	set_iter_begin(&it);
	while (set_iter_next(s, &it, &e))
		if (memcmp(e.low, a, 4) <= 0 && memcmp(a, e.high, 4) <= 0)
			return true;
	return false;
}

/* Does a rule of chain whose verdict leads to target (NULL: accept) match
 * an IPv4 packet from src to dst, judged by its address lookups alone?  A
 * small model of what the kernel does with the rule. */
static bool chain_takes4(const struct ruleset *rs, const char *chain,
			 const char *target, const uint8_t *src,
			 const uint8_t *dst)
{
	const struct rs_chain *ch = ruleset_find_chain(rs, chain);

	ck_assert_msg(ch != NULL, "no chain %s", chain);
	for (size_t i = 0; i < ch->rule_count; i++) {
		const struct rs_rule *r = &ch->rules[i];
		bool match = target ? r->target && !strcmp(r->target, target)
				    : r->verdict == RS_VERDICT_ACCEPT;

		for (size_t k = 0; k < r->op_count && match; k++) {
			const struct rs_op *op = &r->ops[k];

			if (op->kind == RS_OP_NFPROTO)
				match = op->u.num == NFPROTO_IPV4;
			else if (op->kind == RS_OP_SADDR_SET ||
				 op->kind == RS_OP_DADDR_SET)
				match = in_set4(rs, op->u.name,
						op->kind == RS_OP_SADDR_SET
						? src : dst) != op->neg;
		}
		if (match)
			return true;
	}
	return false;
}

/* The "any" zone is everything no other zone has: a source of another
 * zone arriving on its interface is spoofed.  Shipped config (any_zone
 * not set): a set of its own, the complement of the others, which never
 * holds an address of another zone. */
START_TEST(any_zone_is_complement)
{
	char path[512];
	struct ruleset rs;
	char *text;
	const uint8_t mn[4] = { 10, 1, 2, 3 }, out[4] = { 198, 51, 100, 7 };

	snprintf(path, sizeof(path), "%s/conf/segmentd.conf", TOP_SRCDIR);
	text = render_config(path, &rs);
	free(text);
	ck_assert_ptr_nonnull(ruleset_find_set(&rs, "zone_cloud_v4"));
	ck_assert_ptr_nonnull(ruleset_find_set(&rs, "zone_cloud_v6"));
	ck_assert(!in_set4(&rs, "zone_cloud_v4", mn));
	ck_assert(in_set4(&rs, "zone_cloud_v4", out));
	ck_assert(chain_takes4(&rs, "in_cloud", "spoofed_cloud", mn, out));
	ck_assert(!chain_takes4(&rs, "in_cloud", "spoofed_cloud", out, mn));
	ruleset_free(&rs);
}
END_TEST

/* A config of `others` zones a0.. (10.K.0.0/16) and the any zone "net",
 * a flow a0 -> net and net's intra = "accept", any_zone = "negated" or
 * not set, compiled. */
static void compile_any(int others, bool negated, struct ruleset *rs)
{
	char *conf = NULL, *zones = strdup("");

	for (int k = 0; k < others; k++) {
		char *z = NULL;

		ck_assert_int_ge(asprintf(&z, "%s{ name = \"a%d\"; class = "
					  "\"general\"; interfaces = [ \"e%d\" ]; "
					  "networks = [ \"10.%d.0.0/16\" ]; },\n",
					  zones, k, k, k + 1), 0);
		free(zones);
		zones = z;
	}
	ck_assert_int_ge(asprintf(&conf, "version = 1;\n%s"
		"zones = ( %s"
		"{ name = \"net\"; class = \"general\"; interfaces = "
		"[ \"w0\" ]; networks = [ \"any\" ]; intra = \"accept\"; } );\n"
		"flows = ( { name = \"out\"; from = \"a0\"; to = \"net\"; "
		"services = [ \"tcp/443\" ]; } );\n",
		negated ? "settings = { any_zone = \"negated\"; };\n" : "",
		zones), 0);
	test_compile_text(conf, "any.conf", rs);
	free(zones);
	free(conf);
}

/* Matched by negation (any_zone = "negated", 1 to ANY_NEGATED_MAX other
 * zones) or by a set of its own (the default, or more zones), the any
 * zone admits and refuses the same packets. */
START_TEST(any_zone_negated_or_set)
{
	const uint8_t a0[4] = { 10, 1, 0, 5 }, a1[4] = { 10, 2, 0, 5 },
		      o1[4] = { 8, 8, 8, 8 }, o2[4] = { 198, 51, 100, 7 };

	for (int k = 0; k < 14; k++) {
		int others = k % 7 + 1;
		bool negated = k >= 7, own = !negated || others > 4;
		struct ruleset rs;

		compile_any(others, negated, &rs);
		ck_assert_msg((ruleset_find_set(&rs, "zone_net_v4") != NULL) ==
			      own, "%d other zones", others);
		/* anti-spoofing on net's interface */
		ck_assert(chain_takes4(&rs, "in_net", "spoofed_net", a0, o1));
		ck_assert(!chain_takes4(&rs, "in_net", "spoofed_net", o1, a0));
		if (others > 1)
			ck_assert(chain_takes4(&rs, "in_net", "spoofed_net",
					       a1, o1));
		/* the flow a0 -> net: the internet, not another zone */
		ck_assert(chain_takes4(&rs, "fwd_a0_net", NULL, a0, o1));
		ck_assert(!chain_takes4(&rs, "fwd_a0_net", NULL, a0, a0));
		if (others > 1)
			ck_assert(!chain_takes4(&rs, "fwd_a0_net", NULL, a0,
						a1));
		/* intra = "accept" inside net */
		ck_assert(chain_takes4(&rs, "fwd_net_net", NULL, o1, o2));
		ck_assert(!chain_takes4(&rs, "fwd_net_net", NULL, o1, a0));
		ck_assert(!chain_takes4(&rs, "fwd_net_net", NULL, a0, o1));
		ruleset_free(&rs);
	}
}
END_TEST

/* A two-zone config with an ha group, its nodes in the order given. */
static char *render_ha(const char *first, const char *second)
{
	static const char *const fmt =
		"version = 1;\n"
		"zones = ( { name = \"a\"; class = \"lgwan\"; interfaces = "
		"[ \"l0\" ]; networks = [ \"10.91.1.0/24\" ]; } );\n"
		"ha = { nodes = ( %s, %s ); sync_interface = \"sy\";\n"
		"  vrrp_interfaces = [ \"l0\" ]; key_file = \"/k\"; };\n";
	struct ruleset rs;
	struct model m;
	struct diags d;
	char *conf = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_ge(asprintf(&conf, fmt, first, second), 0);
	diags_init(&d);
	ck_assert_int_eq(config_load_string(conf, "ha.conf", &m, &d), 0);
	ck_assert_int_eq(model_validate(&m, TEST_NOW, &d), 0);
	ck_assert_int_eq(ruleset_compile(&m, TEST_NOW, &rs), 0);
	f = open_memstream(&text, &len);
	ck_assert_int_eq(ruleset_render(&rs, f), 0);
	fclose(f);
	ruleset_free(&rs);
	model_free(&m);
	diags_free(&d);
	free(conf);
	return text;
}

/* Both nodes load one file and build one table: the node order (and the
 * node itself) changes nothing; both nodes' addresses are in it. */
START_TEST(ha_same_on_both_nodes)
{
	const char *a = "{ name = \"gw-a\"; sync = \"10.91.3.1\"; "
			"vrrp = [ \"10.91.1.2\", \"fe80::a\" ]; }";
	const char *b = "{ name = \"gw-b\"; sync = \"10.91.3.2\"; "
			"vrrp = [ \"10.91.1.3\", \"fe80::b\" ]; }";
	char *ab = render_ha(a, b), *ba = render_ha(b, a);

	ck_assert_str_eq(ab, ba);
	ck_assert_ptr_nonnull(strstr(ab, "{ 10.91.1.2/31 }"));
	ck_assert_ptr_nonnull(strstr(ab, "{ 10.91.3.1-10.91.3.2 }"));
	ck_assert_ptr_nonnull(strstr(ab, "{ fe80::a/127 }"));
	ck_assert_ptr_nonnull(strstr(ab, "iifname \"l0\" meta nfproto ipv4 ip "
				     "saddr @ha_vrrp_v4 ip daddr @ha_vrrp_group_v4 "
				     "meta l4proto 112 ip ttl 255"));
	ck_assert_ptr_nonnull(strstr(ab, "iifname \"sy\" meta nfproto ipv4 ip "
				     "saddr @ha_sync_v4 udp dport 3781"));
	free(ab);
	free(ba);
}
END_TEST

static Suite *compile_suite(void)
{
	Suite *s = suite_create("compile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, golden_shipped);
	tcase_add_test(tc, golden_examples);
	tcase_add_test(tc, deny_by_construction);
	tcase_add_test(tc, pairs_only_with_flows);
	tcase_add_test(tc, marks_registered);
	tcase_add_test(tc, any_zone_is_complement);
	tcase_add_test(tc, any_zone_negated_or_set);
	tcase_add_test(tc, ha_same_on_both_nodes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(compile_suite());
}
