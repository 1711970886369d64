/* test_modeldiff.c - change review (model_diff): conf/segmentd.conf as the
 * running config against the candidates in tests/diff/, as golden text
 * (tests/golden/diff-NAME.txt; UPDATE_GOLDEN=1 rewrites them), JSON
 * substrings, and the properties of the report (symmetry, width). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden.h"
#include "modeldiff.h"
#include "policy.h"
#include "check_main.h"

/* A fixed "now" so expiry is deterministic: 2026-11-01 00:00 UTC. */
#define TEST_NOW ((time_t)1793491200)
#define RUNNING "conf/segmentd.conf"

/* Paths are relative to TOP_SRCDIR (main() changes there), so the file names
 * in the reports do not depend on where the tree is. */
static void load(const char *path, struct model *m, struct diags *d)
{
	int err;

	model_init(m);
	diags_init(d);
	err = config_load(path, m, d);
	if (err)
		diags_print(d, stderr);
	ck_assert_msg(err == 0, "%s does not load", path);
	model_validate(m, TEST_NOW, d);
}

struct review {
	char *text;
	int changes;
	struct diags diags;     /* the candidate's */
};

static void review_free(struct review *rv)
{
	free(rv->text);
	diags_free(&rv->diags);
}

/* running -> candidate (both paths), as text or JSON. */
static struct review review_files(const char *running, const char *candidate,
				  bool json)
{
	struct model a, b;
	struct diags da;
	struct review rv = { 0 };
	size_t len = 0;
	FILE *f;

	load(running, &a, &da);
	ck_assert_msg(da.errors == 0, "%s is not valid", running);
	load(candidate, &b, &rv.diags);
	f = open_memstream(&rv.text, &len);
	ck_assert_ptr_nonnull(f);
	rv.changes = model_diff(&a, &b, &rv.diags, json, f);
	fclose(f);
	model_free(&a);
	model_free(&b);
	diags_free(&da);
	return rv;
}

static struct review review(const char *name, bool json)
{
	char path[256];

	snprintf(path, sizeof(path), "tests/diff/%s.conf", name);
	return review_files(RUNNING, path, json);
}

/* Columns of one line of UTF-8: a 3- or 4-byte character (CJK) counts 2. */
static size_t columns(const char *s, size_t len)
{
	size_t cols = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) == 0x80)
			continue;
		cols += c >= 0xe0 ? 2 : 1;
	}
	return cols;
}

static void assert_width(const char *what, const char *text)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		ck_assert_msg(columns(p, len) <= MODEL_DIFF_WIDTH,
			      "%s line %d has %zu columns: %.*s", what, line,
			      columns(p, len), (int)len, p);
		ck_assert_msg(len == 0 || p[len - 1] != ' ',
			      "%s line %d ends in a space", what, line);
		p += len + (nl != NULL);
	}
}

/* The report for tests/diff/NAME.conf equals tests/golden/diff-NAME.txt;
 * returns the review for more checks. */
static struct review check_golden(const char *name, int changes)
{
	char golden[256];
	struct review rv = review(name, false);
	bool same;

	snprintf(golden, sizeof(golden), "tests/golden/diff-%s.txt", name);
	same = golden_matches(golden, rv.text);
	if (!same)
		fprintf(stderr, "--- %s:\n%s", name, rv.text);
	ck_assert_msg(same, "%s: the report differs from %s, or it is missing "
		      "(run with UPDATE_GOLDEN=1 and review the diff)", name,
		      golden);
	ck_assert_int_eq(rv.changes, changes);
	assert_width(golden, rv.text);
	return rv;
}

/* (The report goes to stderr: Check's messages are short.) */
static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fprintf(stderr, "--- not found: '%s' in:\n%s", want, text);
	ck_assert_msg(strstr(text, want) != NULL, "'%.200s' not found", want);
}

static void assert_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted))
		fprintf(stderr, "--- found: '%s' in:\n%s", unwanted, text);
	ck_assert_msg(strstr(text, unwanted) == NULL, "'%.200s' found",
		      unwanted);
}

START_TEST(same_is_no_change)
{
	struct review rv = check_golden("same", 0);

	ck_assert_int_eq(rv.diags.errors, 0);
	assert_has(rv.text, "guardrails: all pass\nno changes\n");
	assert_lacks(rv.text, "Flows");
	assert_lacks(rv.text, "Notable");
	review_free(&rv);
}
END_TEST

START_TEST(flow_added_and_removed)
{
	struct review rv = check_golden("flows", 2);

	assert_has(rv.text, "Flows added:\n  + ntp-via-sc: internet -> sc-dns "
		   "udp/123;");
	assert_has(rv.text, "Flows removed:\n  - web-via-sc: internet -> "
		   "sc-proxy tcp/8080;");
	assert_lacks(rv.text, "Isolated-zone exceptions:");
	assert_has(rv.text, "\n2 changes\n");
	review_free(&rv);
}
END_TEST

START_TEST(flow_widened_and_extended)
{
	struct review rv = check_golden("widen", 2);

	assert_has(rv.text, "  ~ mynumber-intake:\n      services: tcp/443 -> "
		   "tcp/443, tcp/8443 (+tcp/8443; widens)\n      expires: "
		   "2027-03-31 -> 2028-03-31 (extended)\n");
	assert_has(rv.text, "! EXCEPTION to the isolated zone 'mynumber' "
		   "widened: flow 'mynumber-intake' intake -> lg-staging\n"
		   "      tcp/443, tcp/8443 (+tcp/8443)\n");
	assert_has(rv.text, "! EXCEPTION to the isolated zone 'mynumber' "
		   "extended: flow 'mynumber-intake' expires 2027-03-31 ->\n"
		   "      2028-03-31\n");
	assert_has(rv.text, "* flow 'file-pull' widens: +tcp/8000-8100");
	review_free(&rv);
}
END_TEST

START_TEST(new_isolated_exception)
{
	struct review rv = check_golden("exception", 2);

	assert_has(rv.text, "! EXCEPTION to the isolated zone 'mynumber' "
		   "added: flow 'atena-print' atena -> lg-print tcp/9100;\n"
		   "      justification: 'notices printed");
	assert_has(rv.text, "expires 2027-10-31\n");
	assert_has(rv.text, "Hosts added:\n  + lg-print: zone lgwan; addresses "
		   "10.2.1.90\n");
	review_free(&rv);
}
END_TEST

START_TEST(host_addresses_changed)
{
	struct review rv = check_golden("hosts", 3);

	assert_has(rv.text, "addresses: 10.2.8.0/22, fd00:2:0:8::/64 -> "
		   "10.2.8.0/22, 10.2.12.0/22, fd00:2:0:8::/64\n"
		   "          (+10.2.12.0/22; widens)\n");
	assert_has(rv.text, "addresses: 10.2.1.60, fd00:2::60 -> 10.2.1.60 "
		   "(-fd00:2::60)\n");
	assert_has(rv.text, "* host 'lg-terminals' gains addresses "
		   "+10.2.12.0/22, now also covered by flows 'file-pull',");
	assert_has(rv.text, "readdressed: flow 'chukan-link' host 'chukan'\n"
		   "      addresses 172.20.1.10 -> 172.20.1.11\n");
	assert_has(rv.text, "readdressed: flow 'mynumber-intake' host "
		   "'lg-staging'\n      addresses 10.2.1.60, fd00:2::60 -> "
		   "10.2.1.60\n");
	review_free(&rv);
}
END_TEST

START_TEST(zone_networks_changed)
{
	struct review rv = check_golden("zones", 5);

	assert_has(rv.text, "  ~ lgwan:\n      interfaces: lg0 -> lg0, lg1 "
		   "(+lg1)\n      networks: 10.2.0.0/16, fd00:2::/48 -> "
		   "10.2.0.0/16, 10.20.0.0/16, fd00:2::/48 (+10.20.0.0/16;\n"
		   "          widens)\n");
	assert_has(rv.text, "* zone 'lgwan' gains networks +10.20.0.0/16, now "
		   "also covered by flow 'lgwan-services'\n");
	assert_has(rv.text, "Zones added:\n  + office: class general; "
		   "interfaces off0; networks 10.9.0.0/16; intra accept\n");
	assert_has(rv.text, "Management added:\n  + lg-admin: tcp/22, tcp/443, "
		   "icmp/echo-request;");
	assert_has(rv.text, "Management removed:\n  - lg-admin: tcp/22, "
		   "icmp/echo-request;");
	review_free(&rv);
}
END_TEST

START_TEST(settings_changed)
{
	struct review rv = check_golden("settings", 7);

	assert_has(rv.text, "Settings changed:\n  ownership: true -> false\n"
		   "  log.rate: 10 -> 20\n  unzoned_input: accept -> drop\n"
		   "  any_zone: set -> negated\n"
		   "  verify_interval: 1000 -> 5000\n  full_verify_interval: "
		   "300 -> 600\n  control_group: (none) -> segmentd\n");
	assert_has(rv.text, "* ownership off:");
	assert_has(rv.text, "* the any zone is now \"in no other zone's set\"");
	assert_lacks(rv.text, "no zone is now accepted");
	review_free(&rv);
}
END_TEST

START_TEST(guardrail_violation_refused)
{
	struct review rv = check_golden("refused", 1);

	ck_assert_int_gt(rv.diags.errors, 0);
	assert_has(rv.text, "guardrails: FAILED with 1 error: the candidate "
		   "would be refused\n  tests/diff/refused.conf:");
	assert_has(rv.text, "error: flow 'screen-transfer': guardrail:");
	assert_has(rv.text, "* host 'vbrowser' loses relay role "
		   "'screen-transfer' (now none); LGWAN<->internet flows "
		   "through\n      it: 'screen-transfer'\n");
	assert_lacks(rv.text, "all pass");
	review_free(&rv);
}
END_TEST

START_TEST(consequences)
{
	struct review rv = check_golden("misc", 8);

	assert_has(rv.text, "      from: lg-terminals -> lgwan (widens: the "
		   "whole zone)\n");
	assert_has(rv.text, "      expires: (none) -> 2027-01-31 (now "
		   "expires)\n");
	assert_has(rv.text, "! EXCEPTION to the isolated zone 'mynumber' "
		   "changed: flow 'chukan-link' now atena -> lg-staging\n");
	assert_has(rv.text, "! EXCEPTION to the isolated zone 'mynumber' "
		   "widened: flow 'mynumber-intake' intake <-> lg-staging\n"
		   "      tcp/443 (now both ways)\n");
	assert_has(rv.text, "* flow 'web-via-sc' widens: now both ways\n");
	assert_has(rv.text, "* zone 'lgwan-net' now accepts all traffic");
	assert_has(rv.text, "* host 'lg-admin' becomes a relay "
		   "(file-sanitizer)");
	assert_lacks(rv.text, "dns-via-sc' no longer expires");
	review_free(&rv);

	/* and back: the expiry removed is notable, the narrowing is not */
	rv = review_files("tests/diff/misc.conf", RUNNING, false);
	ck_assert_int_eq(rv.changes, 8);
	assert_has(rv.text, "* flow 'dns-via-sc' no longer expires (was "
		   "2027-01-31)\n");
	assert_lacks(rv.text, "widens");
	assert_lacks(rv.text, "relay");
	review_free(&rv);
}
END_TEST

START_TEST(json_report)
{
	struct review rv = review("widen", true);
	long depth = 0;

	ck_assert_int_eq(rv.changes, 2);
	ck_assert_msg(rv.text[0] == '{', "not an object");
	assert_has(rv.text, "\n  \"changes\": 2\n}\n");
	assert_has(rv.text, "\"running\": \"conf/segmentd.conf\"");
	assert_has(rv.text, "\"flows_added\": [],");
	assert_has(rv.text, "{\"name\": \"mynumber-intake\", \"changes\": "
		   "[{\"field\": \"services\", \"old\": [\"tcp/443\"], "
		   "\"new\": [\"tcp/443\", \"tcp/8443\"], \"added\": "
		   "[\"tcp/8443\"], \"removed\": [], \"note\": \"widens\"}");
	assert_has(rv.text, "\"event\": \"widened\", \"zone\": \"mynumber\"");
	assert_has(rv.text, "\"checked\": true, \"pass\": true, "
		   "\"refused\": false");
	/* brackets balance outside strings */
	for (const char *p = rv.text; *p; p++) {
		if (*p == '"')
			for (p++; *p && *p != '"'; p++)
				p += *p == '\\';
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			ck_assert_int_ge(--depth, 0);
	}
	ck_assert_int_eq(depth, 0);
	review_free(&rv);

	rv = review("refused", true);
	assert_has(rv.text, "\"refused\": true");
	assert_has(rv.text, "\"errors\": [\n      {\"file\": "
		   "\"tests/diff/refused.conf\", \"line\": ");
	assert_has(rv.text, "\"kind\": \"relay-role\", \"subject\": "
		   "\"vbrowser\"");
	review_free(&rv);

	rv = review("same", true);
	ck_assert_int_eq(rv.changes, 0);
	assert_has(rv.text, "\"notable\": [],");
	assert_has(rv.text, "\"changes\": 0\n}\n");
	review_free(&rv);
}
END_TEST

/* Going back undoes the same number of changes (added <-> removed), and
 * both reports fit the width. */
static void check_both_ways(const char *x, const char *y)
{
	struct review there = review_files(x, y, false);
	struct review back = review_files(y, x, false);

	ck_assert_int_ge(there.changes, 0);
	ck_assert_msg(there.changes == back.changes, "%s -> %s: %d changes, "
		      "%d back", x, y, there.changes, back.changes);
	assert_width(y, there.text);
	assert_width(x, back.text);
	review_free(&there);
	review_free(&back);
}

START_TEST(symmetric)
{
	static const char *const names[] = {
		"same", "flows", "widen", "exception", "hosts", "zones",
		"settings", "misc",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256];

		snprintf(path, sizeof(path), "tests/diff/%s.conf", names[i]);
		check_both_ways(RUNNING, path);
	}
}
END_TEST

/* Every pair of shipped configs: whole topologies apart. */
START_TEST(shipped_pairs)
{
	static const char *const confs[] = {
		RUNNING, "conf/examples/alpha-prime-city.conf",
		"conf/examples/beta-city.conf",
		"conf/examples/kouiki-care.conf",
	};
	const size_t n = sizeof(confs) / sizeof(confs[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			check_both_ways(confs[i], confs[j]);
}
END_TEST

START_TEST(itself_and_arguments)
{
	struct model m;
	struct diags d;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	load(RUNNING, &m, &d);
	f = open_memstream(&text, &len);
	ck_assert_int_eq(model_diff(&m, &m, NULL, false, f), 0);
	ck_assert_int_eq(model_diff(NULL, &m, &d, false, f), -EINVAL);
	ck_assert_int_eq(model_diff(&m, NULL, &d, false, f), -EINVAL);
	ck_assert_int_eq(model_diff(&m, &m, &d, false, NULL), -EINVAL);
	fclose(f);
	ck_assert_str_eq(text, "segmentd change review: conf/segmentd.conf -> "
			 "conf/segmentd.conf\nguardrails: not checked\n"
			 "no changes\n");
	free(text);
	/* the diagnostics as given: warnings listed, an error refuses */
	diags_add(&d, DIAG_WARNING, "cand.conf", 7, "flow 'x' has no comment");
	diags_add(&d, DIAG_ERROR, NULL, 0, "something is wrong");
	text = NULL;
	f = open_memstream(&text, &len);
	ck_assert_int_eq(model_diff(&m, &m, &d, false, f), 0);
	fclose(f);
	assert_has(text, "\nCandidate warnings:\n  cand.conf:7: warning: flow "
		   "'x' has no comment\nguardrails: FAILED with 1 error: the "
		   "candidate would be refused\n  segmentd: error: something "
		   "is wrong\nno changes\n");
	free(text);
	f = fopen("/dev/full", "w");
	if (f) {
		ck_assert_int_eq(model_diff(&m, &m, &d, true, f), -EIO);
		fclose(f);
	}
	model_free(&m);
	diags_free(&d);
}
END_TEST

/* Free text without spaces (and wide characters) still fits the width. */
START_TEST(long_text_wraps)
{
	static const char cand[] =
		"version = 1;\n"
		"zones = (\n"
		"  { name = \"mn\"; class = \"isolated\"; interfaces = [ \"mn0\" ];"
		" networks = [ \"10.1.0.0/16\" ]; },\n"
		"  { name = \"lg\"; class = \"lgwan\"; interfaces = [ \"lg0\" ];"
		" networks = [ \"10.2.0.0/16\" ]; }\n"
		");\n"
		"hosts = (\n"
		"  { name = \"a\"; zone = \"mn\"; addresses = [ \"10.1.1.1\" ]; },\n"
		"  { name = \"b\"; zone = \"lg\"; addresses = [ \"10.2.1.1\" ]; }\n"
		");\n"
		"flows = (\n"
		"  { name = \"a-to-b\"; from = \"a\"; to = \"b\";"
		" services = [ \"tcp/443\" ]; justification = \"%s\";"
		" comment = \"%s\"; }\n"
		");\n";
	char just[1600], comment[400], *text = NULL, *conf;
	struct model a, b;
	struct diags da, db;
	size_t len = 0;
	FILE *f;
	int n;

	just[0] = comment[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(just, "番号法");      /* 300 columns, no space */
	for (int i = 0; i < 30; i++)
		strcat(comment, "x\tx\n ");  /* folded to one line */
	ck_assert_int_gt(asprintf(&conf, cand, just, comment), 0);
	load(RUNNING, &a, &da);
	model_init(&b);
	diags_init(&db);
	ck_assert_int_eq(config_load_string(conf, "long.conf", &b, &db), 0);
	ck_assert_int_eq(model_validate(&b, TEST_NOW, &db), 0);
	f = open_memstream(&text, &len);
	n = model_diff(&a, &b, &db, false, f);
	fclose(f);
	ck_assert_int_gt(n, 20);
	assert_width("long", text);
	assert_has(text, "EXCEPTION to the isolated zone 'mn' added: flow "
		   "'a-to-b' a -> b tcp/443; justification:\n      '番号法");
	assert_has(text, "番号法'; no expiry\n");
	assert_has(text, "comment 'x x x x");
	free(text);
	free(conf);
	model_free(&a);
	model_free(&b);
	diags_free(&da);
	diags_free(&db);
}
END_TEST

static Suite *modeldiff_suite(void)
{
	Suite *s = suite_create("modeldiff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_is_no_change);
	tcase_add_test(tc, flow_added_and_removed);
	tcase_add_test(tc, flow_widened_and_extended);
	tcase_add_test(tc, new_isolated_exception);
	tcase_add_test(tc, host_addresses_changed);
	tcase_add_test(tc, zone_networks_changed);
	tcase_add_test(tc, settings_changed);
	tcase_add_test(tc, guardrail_violation_refused);
	tcase_add_test(tc, consequences);
	tcase_add_test(tc, json_report);
	tcase_add_test(tc, symmetric);
	tcase_add_test(tc, shipped_pairs);
	tcase_add_test(tc, itself_and_arguments);
	tcase_add_test(tc, long_text_wraps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (chdir(TOP_SRCDIR) != 0) {
		perror(TOP_SRCDIR);
		return EXIT_FAILURE;
	}
	sr = srunner_create(modeldiff_suite());
	failed = check_run_runner(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
