/* test_audit.c - the self-inspection report and the metrics: golden text
 * (English and Japanese) for every shipped config with ideal kernel facts,
 * a failing gateway, expiring exceptions, JSON that parses, Prometheus
 * text that follows the format, and no line wider than 100 columns. */
#include <check.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "audit.h"
#include "policy.h"
#include "check_main.h"

#define DAY 86400
/* A fixed "now": 2026-11-01 00:00 UTC; started a day before. */
#define TEST_NOW ((time_t)1793491200)
#define TEST_STARTED ((time_t)1793404800)
/* 2027-03-20 00:00 UTC: mynumber-intake (last day 2027-03-31) has 12 days. */
#define NEAR_EXPIRY ((time_t)1805500800)

#define RULESET_SHA "5d2c6f0e1b7a9483c2d1e0f9a8b7c6d5" \
		    "e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9"
#define CONFIG_SHA "9e1f2a3b4c5d6e7f8091a2b3c4d5e6f7" \
		   "08192a3b4c5d6e7f8091a2b3c4d5e6f7"

/* text contains s, or not (the failure says which string). */
#define HAS(text, s) ck_assert_msg(strstr(text, s) != NULL, "missing: %s", s)
#define LACKS(text, s) ck_assert_msg(strstr(text, s) == NULL, \
				     "unexpected: %s", s)

#define SHIPPED TOP_SRCDIR "/conf/segmentd.conf"

static void load(const char *path, struct model *m)
{
	struct diags d;
	int err;

	diags_init(&d);
	model_init(m);
	err = config_load(path, m, &d);
	if (!err)
		err = model_validate(m, TEST_NOW, &d);
	if (err)
		diags_print(&d, stderr);
	ck_assert_int_eq(err, 0);
	diags_free(&d);
}

/* What a healthy gateway reports: in sync, owned, no drift, no hooks,
 * forwarding on, every interface present. */
static void ideal(struct audit_facts *f, const struct model *m)
{
	memset(f, 0, sizeof(*f));
	f->model = m;
	f->config_path = "/etc/segmentd/segmentd.conf";
	snprintf(f->config_sha256, sizeof(f->config_sha256), "%s", CONFIG_SHA);
	f->now = TEST_NOW;
	f->hostname = "seg-gw1.city.lg.jp";
	f->kernel_read = true;
	f->in_sync = true;
	snprintf(f->ruleset_sha256, sizeof(f->ruleset_sha256), "%s",
		 RULESET_SHA);
	f->matrix_edges = 24;
	f->protection = "owned";
	f->started = TEST_STARTED;
	f->last_apply = TEST_STARTED + 2;
	f->ip_forward = 1;
	f->ip6_forward = 1;
	if (m && m->ha.enabled) {   /* the peer heard, the same ruleset */
		f->peer.running = true;
		f->peer.node = "gw-a";
		f->peer.peer = "gw-b";
		f->peer.heard = true;
		f->peer.same = true;
		f->peer.weight_known = true;
		f->peer.accepted = 100;
	}
}

/* Most tests: the shipped config, ideal facts (a fixture: fresh for
 * every test). */
static struct model shipped;
static struct audit_facts facts;

static void setup(void)
{
	load(SHIPPED, &shipped);
	ideal(&facts, &shipped);
}

static void teardown(void)
{
	model_free(&shipped);
}

static char *render(const struct audit_facts *f, enum audit_lang lang,
		    bool json, int *failed)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	*failed = audit_render(f, lang, json, out);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

/* tests/golden/NAME (rewritten with UPDATE_GOLDEN=1: review the diff). */
static void check_golden(const char *name, const char *got)
{
	char golden[512];

	snprintf(golden, sizeof(golden), "%s/tests/golden/%s", TOP_SRCDIR,
		 name);
	ck_assert_msg(golden_matches(golden, got), "output differs from %s (or it is "
		      "missing): rerun with UPDATE_GOLDEN=1 and review the "
		      "diff", golden);
}

/* Terminal columns: 2 for a code point from U+0300 on (a lead byte from
 * 0xcc: CJK, and the characters of ambiguous width), else 1. */
static int columns(const char *s, size_t len)
{
	int w = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			w += c >= 0xcc ? 2 : 1;
	}
	return w;
}

static void check_lines(const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		ck_assert_msg(columns(p, len) <= 100, "%d columns: %.*s",
			      columns(p, len), (int)len, p);
		for (size_t i = 0; i < len; i++)
			ck_assert_msg(!iscntrl((unsigned char)p[i]),
				      "control character: %.*s", (int)len, p);
		ck_assert_msg(len == 0 || p[len - 1] != ' ',
			      "trailing space: %.*s", (int)len, p);
		p += len + (nl != NULL);
	}
}

/* The line of check n ("[PASS]  1. ..."), or NULL. */
static const char *check_line(const char *text, int n)
{
	char num[16];

	snprintf(num, sizeof(num), "%2d. ", n);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *hit = strstr(p, num);

		if (*p == '[' && hit && (!nl || hit < nl))
			return p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static void assert_status(const char *text, int n, const char *status)
{
	const char *line = check_line(text, n);

	ck_assert_msg(line != NULL, "no line for check %d", n);
	ck_assert_msg(!strncmp(line, status, strlen(status)),
		      "check %d: want %s, got %.40s", n, status, line);
}

/* ---- a small JSON parser: the report must parse, not just look right */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_list(const char *p, char close, bool keys)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = json_string(json_ws(p));
			if (!p || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_list(p, '}', true);
	if (*p == '[')
		return json_list(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		p += *p == '-';
		while ((*p >= '0' && *p <= '9') || *p == '.')
			p++;
		return p;
	}
	return NULL;
}

static void check_json(const char *text)
{
	const char *end = json_value(text);

	ck_assert_msg(end != NULL, "invalid JSON:\n%s", text);
	ck_assert_msg(*json_ws(end) == '\0', "text after the JSON value");
}

/* Both languages of one config against their golden files. */
static void golden_config(const char *path, const char *name)
{
	struct audit_facts f;
	struct model m;
	char golden[300];

	load(path, &m);
	ideal(&f, &m);
	for (int lang = AUDIT_EN; lang < AUDIT_LANG_MAX; lang++) {
		int failed;
		char *text = render(&f, (enum audit_lang)lang, false, &failed);

		ck_assert_int_eq(failed, 0);
		check_lines(text);
		snprintf(golden, sizeof(golden), "audit-%s.%s.txt", name,
			 lang == AUDIT_JA ? "ja" : "en");
		check_golden(golden, text);
		free(text);
	}
	model_free(&m);
}

START_TEST(golden_shipped)
{
	golden_config(SHIPPED, "segmentd");
}
END_TEST

/* conf/examples/X.conf -> audit-X.en.txt, audit-X.ja.txt */
START_TEST(golden_examples)
{
	glob_t g;

	ck_assert_int_eq(glob(TOP_SRCDIR "/conf/examples/*.conf", 0, NULL, &g),
			 0);
	ck_assert_int_ge(g.gl_pathc, 2);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		char name[256];

		snprintf(name, sizeof(name), "%.*s",
			 (int)(strlen(base) - strlen(".conf")), base);
		golden_config(g.gl_pathv[i], name);
	}
	globfree(&g);
}
END_TEST

START_TEST(ideal_passes)
{
	int failed;
	char *text;

	text = render(&facts, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 0);
	for (int n = 1; n <= 11; n++)
		assert_status(text, n, n == 9 ? "[INFO]" : "[PASS]");
	HAS(text, "\nResult: PASS (0 warnings)\n");
	HAS(text, "uptime: 1 d 0 h");
	HAS(text, RULESET_SHA);
	HAS(text, CONFIG_SHA);
	free(text);
	text = render(&facts, AUDIT_JA, false, &failed);
	HAS(text, "\n結果: 合格 (警告 0 件)\n");
	HAS(text, "1日0時間");
	free(text);
}
END_TEST

static char *hooks[] = {
	"nftables: netdev table 'shortcut' chain 'in' hook ingress device "
	"mn0 priority -500: fwd",
};
static char *missing[] = { "mn0" };

static const struct audit_event failing_events[] = {
	{ TEST_STARTED + 33123, "drift", 4242, "nft", 0,
	  "table 'segmentd' changed by nft (pid 4242), generation 17: "
	  "delete rule in chain 'fwd_lgwan_internet'" },
	{ TEST_STARTED + 33123, "restore", 0, "", 1.482,
	  "drift: restored in 1.482 ms" },
	{ TEST_STARTED + 52800, "reload", 0, "", 0, "reload: SIGHUP" },
	{ TEST_STARTED + 52800, "drift", 0, "", 0,
	  "periodic verification: table 'segmentd' differs from what "
	  "segmentd programmed (no event named the change)" },
	{ TEST_STARTED + 52800, "restore-failed", 0, "", 3.1,
	  "periodic verification: restore FAILED in 3.100 ms" },
};

/* Everything wrong at once. */
static void failing(struct audit_facts *f, const struct model *m)
{
	ideal(f, m);
	f->in_sync = false;
	f->matrix_differences = 3;
	f->degraded = true;
	f->protection = "watchdog-only";
	f->events = failing_events;
	f->event_count = sizeof(failing_events) / sizeof(failing_events[0]);
	f->drift_count = 2;
	f->restore_count = 1;
	f->foreign_hooks = hooks;
	f->foreign_hook_count = 1;
	f->ip_forward = 0;
	f->ip6_forward = 0;
	f->missing_interfaces = missing;
	f->missing_interface_count = 1;
}

START_TEST(failing_report)
{
	int failed;
	char *text;

	failing(&facts, &shipped);
	text = render(&facts, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 5);
	check_lines(text);
	check_golden("audit-failing.en.txt", text);
	assert_status(text, 1, "[FAIL]");    /* out of sync */
	assert_status(text, 2, "[FAIL]");    /* matrix */
	assert_status(text, 3, "[WARN]");    /* watchdog-only */
	assert_status(text, 4, "[FAIL]");    /* degraded */
	assert_status(text, 5, "[FAIL]");    /* restore failed */
	assert_status(text, 6, "[WARN]");    /* hook */
	assert_status(text, 7, "[WARN]");    /* forwarding off */
	assert_status(text, 8, "[FAIL]");    /* mn0 missing */
	HAS(text, "mn0 (zone mynumber)");
	HAS(text, "by nft (pid 4242): restored in "
		  "1.482 ms");
	HAS(text, "by an unknown process: restore "
		  "FAILED");
	HAS(text, "forwards nothing between zones");
	HAS(text, "\nResult: FAIL (5 failed, 3 "
		  "warnings)\n");
	LACKS(text, "SIGHUP");   /* not a drift */
	free(text);
	text = render(&facts, AUDIT_JA, false, &failed);
	ck_assert_int_eq(failed, 5);
	check_lines(text);
	check_golden("audit-failing.ja.txt", text);
	HAS(text, "\n結果: 不合格 (不合格 5 件、警告 "
		  "3 件)\n");
	free(text);
}
END_TEST

/* A drift restored, and no restore failed: a warning, not a failure. */
START_TEST(drift_restored_warns)
{
	int failed;
	char *text;

	facts.events = failing_events;
	facts.event_count = 2;
	facts.drift_count = 1;
	facts.restore_count = 1;
	text = render(&facts, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 0);
	assert_status(text, 5, "[WARN]");
	HAS(text, "every drift was restored");
	HAS(text, "2026-10-31T09:12:03Z by nft");
	free(text);
	/* more drifts than the history holds */
	facts.drift_count = 40;
	facts.restore_count = 40;
	text = render(&facts, AUDIT_EN, false, &failed);
	HAS(text, "1 of 40 drift events listed");
	free(text);
}
END_TEST

START_TEST(exception_expiring)
{
	int failed;
	char *text;

	facts.now = NEAR_EXPIRY;
	text = render(&facts, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 0);
	check_lines(text);
	assert_status(text, 9, "[WARN]");
	HAS(text, "1 of 2 expiring within 30 days");
	HAS(text, "last day 2027-03-31 (expires in "
		  "12 days)");
	HAS(text, "\nResult: PASS (1 warning)\n");
	free(text);
	text = render(&facts, AUDIT_JA, false, &failed);
	HAS(text, "残り 12 日");
	HAS(text, "(警告 1 件)");
	free(text);
	/* the last day itself: 1 day left */
	facts.now = NEAR_EXPIRY + 11 * DAY + 3600;
	text = render(&facts, AUDIT_EN, false, &failed);
	HAS(text, "(expires in 1 day)");
	free(text);
	/* past it: listed, not enforced, not a warning */
	facts.now = NEAR_EXPIRY + 13 * DAY;
	text = render(&facts, AUDIT_EN, false, &failed);
	assert_status(text, 9, "[INFO]");
	HAS(text, "expired on 2027-03-31, not "
		  "enforced");
	HAS(text, "\nResult: PASS (0 warnings)\n");
	free(text);
}
END_TEST

START_TEST(forwarding_ipv6)
{
	struct audit_facts beta_facts;
	struct model beta;
	int failed;
	char *text;

	/* the shipped config uses IPv6: ip6_forward off is a warning */
	facts.ip6_forward = 0;
	text = render(&facts, AUDIT_EN, false, &failed);
	assert_status(text, 7, "[WARN]");
	HAS(text, "IPv6 forwarding is off");
	free(text);
	facts.ip_forward = -1;
	facts.ip6_forward = 1;
	text = render(&facts, AUDIT_EN, false, &failed);
	assert_status(text, 7, "[WARN]");
	HAS(text, "IPv4 forwarding: unknown");
	free(text);
	/* beta-city has no IPv6 network or address: IPv4 is enough */
	load(TOP_SRCDIR "/conf/examples/beta-city.conf", &beta);
	ideal(&beta_facts, &beta);
	beta_facts.ip6_forward = 0;
	text = render(&beta_facts, AUDIT_EN, false, &failed);
	assert_status(text, 7, "[PASS]");
	HAS(text, "the model uses no IPv6");
	free(text);
	model_free(&beta);
}
END_TEST

static void replace(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
	ck_assert(!value || *field);
}

/* Long texts wrap at 100 columns, spaces or not, and nothing is lost. */
START_TEST(long_texts_wrap)
{
	static const char ja[] =
		"番号法第十九条に基づく情報連携のため、統合宛名システムから"
		"中間サーバーへの通信を許可する。最高情報セキュリティ責任者"
		"(CISO)の承認を得ており、承認番号は二〇二六—〇一四である。"
		"年一回の見直しを行い、不要となった時点で速やかに削除する。";
	int failed;
	char *text, *flat;
	size_t k = 0;

	replace(&shipped.flows[7].justification, ja);
	replace(&shipped.flows[8].justification, "the data received through "
		"マイナポータル and eLTAX arrives on the LGWAN staging server "
		"and is pulled one way into the My Number zone by the intake "
		"host; https://example.lg.jp/policy/exceptions/2026-015/"
		"approval-record-with-a-very-long-path-that-has-no-spaces-in-"
		"it-at-all.pdf");
	facts.config_path = "/etc/segmentd/a/very/long/path/to/the/"
			    "configuration/file/of/this/gateway/that/does/not/"
			    "fit/in/one/line/segmentd.conf";
	for (int lang = AUDIT_EN; lang < AUDIT_LANG_MAX; lang++) {
		text = render(&facts, (enum audit_lang)lang, false, &failed);
		check_lines(text);
		/* the text again, without line breaks and indentation */
		flat = calloc(1, strlen(text) + 1);
		ck_assert_ptr_nonnull(flat);
		k = 0;
		for (const char *p = text; *p; p++) {
			if (*p == '\n') {
				while (p[1] == ' ')
					p++;
				continue;
			}
			flat[k++] = *p;
		}
		HAS(flat, ja);
		HAS(flat, "approval-record-with-a-very-long-path-that-has-no-"
			  "spaces-in-it-at-all.pdf");
		HAS(flat, "/that/does/not/fit/in/");
		free(flat);
		free(text);
	}
}
END_TEST

/* Hostile strings: control characters and invalid UTF-8 never reach the
 * text; JSON escapes them. */
START_TEST(hostile_strings)
{
	static char hook[] = "bridge: \"br0\"\tport\nmn0 \\ \x01\xff\xc3";
	static char empty[] = "\t ", bidi[] = "evil \u202egnp.exe\xc2\x85";
	static char *bad[] = { hook, empty, bidi };
	int failed;
	char *text;

	facts.foreign_hooks = bad;
	facts.foreign_hook_count = 3;
	facts.hostname = "gw\"1\"";
	text = render(&facts, AUDIT_EN, false, &failed);
	check_lines(text);
	HAS(text, "bridge: \"br0\" port mn0 \\  ??");
	HAS(text, "evil ?gnp.exe\n");
	free(text);
	text = render(&facts, AUDIT_EN, true, &failed);
	HAS(text, "\"bridge: \\\"br0\\\"\\tport\\nmn0 "
		  "\\\\ \\u0001\\ufffd\\ufffd\"");
	HAS(text, "\"evil \\u202egnp.exe\\u0085\"");
	check_json(text);
	HAS(text, "\"host\": \"gw\\\"1\\\"\"");
	free(text);
}
END_TEST

/* Flows without a comment, and one that breaks a guardrail (the report
 * checks again rather than trusts the config check). */
START_TEST(comments_and_guardrails)
{
	int failed, relay;
	char *text;

	replace(&shipped.flows[2].comment, NULL);
	replace(&shipped.flows[3].comment, "  ");
	relay = model_find_host(&shipped, "mail-relay");
	ck_assert_int_ge(relay, 0);
	shipped.hosts[relay].role = ROLE_NONE;   /* mail-in: no relay now */
	text = render(&facts, AUDIT_EN, false, &failed);
	check_lines(text);
	ck_assert_int_eq(failed, 1);
	assert_status(text, 10, "[FAIL]");
	HAS(text, "mail-in: crosses between LGWAN and "
		  "internet without a relay");
	assert_status(text, 11, "[WARN]");
	HAS(text, "Flow comments: 2 flows without");
	HAS(text, "file-pull: lg-terminals (lgwan) -> "
		  "file-relay (internet)");
	free(text);
}
END_TEST

/* No model (nothing loaded) and no table: still a report. */
START_TEST(no_model)
{
	struct audit_facts f;
	int failed;
	char *text;

	ideal(&f, NULL);
	f.kernel_read = false;
	f.in_sync = false;
	f.degraded = true;
	f.protection = "none";
	f.started = 0;
	f.last_apply = 0;
	f.config_path = NULL;
	f.hostname = NULL;
	text = render(&f, AUDIT_JA, false, &failed);
	check_lines(text);
	ck_assert_int_eq(failed, 3);
	free(text);
	text = render(&f, AUDIT_EN, true, &failed);
	ck_assert_int_eq(failed, 3);
	HAS(text, "\"result\": \"fail\"");
	free(text);
}
END_TEST

START_TEST(json_report)
{
	static const char *const ids[] = {
		"ruleset", "matrix", "protection", "state", "drift", "hooks",
		"forwarding", "interfaces", "exceptions", "guardrails",
		"comments",
	};
	char key[64];
	int failed;
	char *text;

	for (int lang = AUDIT_EN; lang < AUDIT_LANG_MAX; lang++) {
		text = render(&facts, (enum audit_lang)lang, true, &failed);
		check_json(text);
		ck_assert_int_eq(failed, 0);
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			snprintf(key, sizeof(key), "\"id\": \"%s\"", ids[i]);
			HAS(text, key);
		}
		HAS(text, "\"generated\": "
			  "\"2026-11-01T00:00:00Z\"");
		HAS(text, "\"host\": "
			  "\"seg-gw1.city.lg.jp\"");
		HAS(text, "\"config\": "
			  "\"/etc/segmentd/segmentd.conf\"");
		HAS(text, "\"failed\": 0");
		HAS(text, "\"warnings\": 0");
		HAS(text, "\"result\": \"pass\"");
		HAS(text, "\"status\": \"info\"");
		free(text);
	}
	failing(&facts, &shipped);
	text = render(&facts, AUDIT_EN, true, &failed);
	check_json(text);
	ck_assert_int_eq(failed, 5);
	HAS(text, "\"status\": \"fail\"");
	HAS(text, "\"status\": \"warn\"");
	HAS(text, "\"failed\": 5");
	HAS(text, "\"warnings\": 3");
	HAS(text, "\"result\": \"fail\"");
	HAS(text, "'shortcut'");
	free(text);
}
END_TEST

/* ---- metrics ------------------------------------------------------------ */

static struct rb_counter rb_counters[] = {
	{ "unzoned_drop", 9, 540 },
	{ "lockdown_drop", 1, 60 },                 /* not ours to export */
	{ "spoof_lgwan", 2, 120 },
	{ "invalid_internet", 6, 360 },             /* apart from the pairs */
	{ "mgmt_internet_drop", 4, 240 },
	{ "pair_lgwan_internet_new", 120, 7200 },
	{ "pair_lgwan_internet_drop", 7, 420 },
	{ "pair_internet_mynumber_drop", 3, 180 },
	{ "pair_lgwan-net_lgwan_drop", 11, 660 },
	{ "pair_mynumber_lgwan-net_new", 5, 300 },
	{ "flow_screen-transfer", 118, 7080 },
	{ "flow_chukan-link", 5, 300 },
	{ "flow_we\"ird\\na\nme", 1, 60 },          /* escaped, not trusted */
	{ "pair_a_b_c_new", 1, 60 },                /* not a zone pair */
};

static const struct audit_event metric_events[] = {
	{ TEST_STARTED + 600, "drift", 4242, "nft", 0, "table changed" },
	{ TEST_STARTED + 600, "restore", 0, "", 2.5, "drift: restored" },
	{ TEST_STARTED + 900, "drift", 4243, "nft", 0, "table changed" },
	{ TEST_STARTED + 900, "restore", 0, "", 0.75, "drift: restored" },
};

static char *metrics(const struct audit_facts *f, const struct readback *rb)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	metrics_render(f, rb, out);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

/* Text format 0.0.4: # HELP and # TYPE before the samples of a family,
 * every sample "name[{labels}] value", a family once. */
static void check_exposition(const char *text)
{
	char family[128] = "", seen[4096] = " ";

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p), name;
		char help[128], type[128];

		ck_assert_ptr_nonnull(nl);
		if (!strncmp(p, "# HELP ", 7)) {
			name = strcspn(p + 7, " ");
			snprintf(family, sizeof(family), "%.*s", (int)name,
				 p + 7);
			snprintf(help, sizeof(help), " %s ", family);
			ck_assert_msg(!strstr(seen, help), "%s twice", family);
			strncat(seen, help + 1,
				sizeof(seen) - strlen(seen) - 1);
			snprintf(type, sizeof(type), "# TYPE %s ", family);
			ck_assert(!strncmp(nl + 1, type, strlen(type)));
			p = strchr(nl + 1, '\n') + 1;
			continue;
		}
		name = strcspn(p, "{ ");
		ck_assert_msg(name == strlen(family) &&
			      !strncmp(p, family, name), "sample out of its "
			      "family: %.*s", (int)len, p);
		ck_assert(p[len - 1] >= '0' && p[len - 1] <= '9');
		p = nl + 1;
	}
}

START_TEST(metrics_golden)
{
	struct readback rb = {
		.counters = rb_counters,
		.counter_count = sizeof(rb_counters) / sizeof(rb_counters[0]),
	};
	char *text;

	facts.events = metric_events;
	facts.event_count = 4;
	facts.drift_count = 2;
	facts.restore_count = 2;
	text = metrics(&facts, &rb);
	check_exposition(text);
	check_golden("metrics-segmentd.txt", text);
	HAS(text, "\nsegmentd_pair_new_connections_total"
		  "{from=\"lgwan\",to=\"internet\"} 120\n");
	HAS(text, "{from=\"lgwan-net\",to=\"lgwan\"} "
		  "11\n");
	HAS(text, "\nsegmentd_invalid_packets_total{zone=\"internet\"} 6\n");
	HAS(text, "{flow=\"we\\\"ird\\\\na\\nme\"} 1\n");
	HAS(text, "\nsegmentd_exception_expiry_"
		  "timestamp_seconds{flow=\"mynumber-intake\"}"
		  " 1806537600\n");
	HAS(text, "\nsegmentd_last_restore_duration_"
		  "seconds 0.000750\n");
	HAS(text, "\nsegmentd_max_restore_duration_"
		  "seconds 0.002500\n");
	LACKS(text, "lockdown");
	LACKS(text, "from=\"a\"");
	free(text);
}
END_TEST

START_TEST(metrics_without_counters)
{
	struct audit_facts f;
	struct model m;
	char *text;

	load(TOP_SRCDIR "/conf/examples/kouiki-care.conf", &m);
	failing(&f, &m);
	text = metrics(&f, NULL);
	check_exposition(text);
	HAS(text, "\nsegmentd_up 1\n");
	HAS(text, "\nsegmentd_degraded 1\n");
	HAS(text, "\nsegmentd_in_sync 0\n");
	HAS(text, "\nsegmentd_protection_owned 0\n");
	HAS(text, "\nsegmentd_matrix_differences 3\n");
	HAS(text, "\nsegmentd_zone_interfaces_missing "
		  "1\n");
	HAS(text, "\nsegmentd_restores_total 1\n");
	/* the failed restore is not a restore */
	HAS(text, "\nsegmentd_max_restore_duration_"
		  "seconds 0.001482\n");
	LACKS(text, "_packets_total");
	LACKS(text, "_connections_total");
	/* care-import has no expiry */
	LACKS(text, "expiry");
	free(text);
	model_free(&m);
}
END_TEST

/* The HA peer check: not running fails, not heard warns, a different
 * ruleset fails; the metrics carry the same facts. */
START_TEST(ha_peer)
{
	struct audit_facts f;
	struct model m;
	int failed;
	char *text;

	load(TOP_SRCDIR "/conf/examples/ha-pair.conf", &m);
	ideal(&f, &m);
	text = metrics(&f, NULL);
	check_exposition(text);
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_peer_heard 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_peer_ruleset_same 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_weight 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "segmentd_policy_info{node=\"gw-a\""));
	free(text);

	f.peer.heard = f.peer.same = false;
	text = render(&f, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 0);
	ck_assert_ptr_nonnull(strstr(text, "[WARN] 12. HA peer gw-b: not heard"));
	free(text);

	f.peer.heard = true;
	f.peer.weight = -254;
	f.peer.refused = 3;
	text = render(&f, AUDIT_EN, false, &failed);
	ck_assert_int_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(text, "[FAIL] 12. HA peer gw-b: enforces "
				     "a different ruleset than this node\n"
				     "           keepalived weight -254 (not "
				     "promoted)\n           3 beacons refused"));
	free(text);
	text = metrics(&f, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_peer_ruleset_same 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_weight -254\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nsegmentd_ha_beacons_refused_total 3\n"));
	free(text);

	f.peer.running = false;
	text = render(&f, AUDIT_JA, false, &failed);
	ck_assert_int_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(text, "HA ピア確認: 動作していない"));
	check_lines(text);
	free(text);
	model_free(&m);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, golden_shipped);
	tcase_add_test(tc, golden_examples);
	tcase_add_test(tc, ideal_passes);
	tcase_add_test(tc, failing_report);
	tcase_add_test(tc, drift_restored_warns);
	tcase_add_test(tc, exception_expiring);
	tcase_add_test(tc, forwarding_ipv6);
	tcase_add_test(tc, long_texts_wrap);
	tcase_add_test(tc, hostile_strings);
	tcase_add_test(tc, comments_and_guardrails);
	tcase_add_test(tc, no_model);
	tcase_add_test(tc, json_report);
	tcase_add_test(tc, metrics_golden);
	tcase_add_test(tc, metrics_without_counters);
	tcase_add_test(tc, ha_peer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(audit_suite());
}
