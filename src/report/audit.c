/* audit.c - the self-inspection report (情報セキュリティ監査及び自己点検):
 * eleven checks over the facts the daemon gathered, as text for an
 * auditor's file (English or Japanese, at most 100 columns) or as JSON.
 *
 * Every sentence is written in both languages where it is used, T(en, ja):
 * both arms are string literals, so the compiler checks both formats
 * against the arguments.  Names, addresses, justifications and the
 * daemon's event texts are shown as written (they are data, not prose).
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit.h"

/* audit_text.c: the layout of text (no header of its own for three
 * functions; the declarations there are the same). */
int audit_text_width(const char *s);
void audit_text_put(FILE *out, int col, const char *lead, int cont,
		    const char *s);
void audit_json_str(FILE *out, const char *prefix, const char *s);

#define DAY_SECONDS 86400
#define EXPIRY_WARN_DAYS 30

#define T(en, ja) (r->lang == AUDIT_JA ? (ja) : (en))
/* English plurals; the Japanese formats take the argument as "%.0s". */
#define PL(n) ((n) == 1 ? "" : "s")

enum status { ST_PASS, ST_WARN, ST_FAIL, ST_INFO, ST_MAX };

struct line {
	int level;               /* 0: detail, 1: under the detail above */
	char *text;
};

struct check {
	const char *id;
	enum status status;
	char *summary;           /* "Title: what was found" */
	struct line *lines;
	size_t count;
};

#define CHECK_COUNT 12

struct report {
	const struct audit_facts *f;
	const struct model *m;   /* never NULL (an empty model stands in) */
	enum audit_lang lang;
	struct check checks[CHECK_COUNT];
	size_t n;
	bool oom;                /* a line was lost: the report fails */
};

/* ---- building ---------------------------------------------------------- */

__attribute__((format(printf, 2, 0)))
static char *vformat(struct report *r, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		r->oom = true;
		return NULL;
	}
	return s;
}

__attribute__((format(printf, 4, 0)))
static void vbegin(struct report *r, const char *id, enum status st,
		   const char *fmt, va_list ap)
{
	struct check *c = &r->checks[r->n++];

	c->id = id;
	c->status = st;
	c->summary = vformat(r, fmt, ap);
}

__attribute__((format(printf, 4, 5)))
static void begin(struct report *r, const char *id, enum status st,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbegin(r, id, st, fmt, ap);
	va_end(ap);
}

/* A check that passes when it finds none (pass: a plain sentence) and
 * warns when it finds n (warn: a format, checked against the arguments
 * like begin's); the caller lists the n under it. */
__attribute__((format(printf, 5, 6)))
static void begin_count(struct report *r, const char *id, size_t n,
			const char *pass, const char *warn, ...)
{
	va_list ap;

	if (!n) {
		begin(r, id, ST_PASS, "%s", pass);
		return;
	}
	va_start(ap, warn);
	vbegin(r, id, ST_WARN, warn, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void detail(struct report *r, int level, const char *fmt, ...)
{
	struct check *c = &r->checks[r->n - 1];
	struct line *v = realloc(c->lines, (c->count + 1) * sizeof(*v));
	va_list ap;
	char *s;

	if (!v) {
		r->oom = true;
		return;
	}
	c->lines = v;
	va_start(ap, fmt);
	s = vformat(r, fmt, ap);
	va_end(ap);
	if (s)
		v[c->count++] = (struct line){ level, s };
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->checks[i].count; j++)
			free(r->checks[i].lines[j].text);
		free(r->checks[i].lines);
		free(r->checks[i].summary);
	}
}

static void iso_time(time_t t, char buf[32])
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "-");
}

/* "3 d 4 h", "5 h 12 min", "12 min", "40 s" (ja: "3日4時間", ...). */
static void duration(const struct report *r, time_t secs, char buf[32])
{
	long long s = secs, d = s / DAY_SECONDS, h = s % DAY_SECONDS / 3600,
		  min = s % 3600 / 60;

	if (s < 0)
		snprintf(buf, 32, "-");
	else if (d)
		snprintf(buf, 32, T("%lld d %lld h", "%lld日%lld時間"), d, h);
	else if (h)
		snprintf(buf, 32, T("%lld h %lld min", "%lld時間%lld分"), h,
			 min);
	else if (min)
		snprintf(buf, 32, T("%lld min", "%lld分"), min);
	else
		snprintf(buf, 32, T("%lld s", "%lld秒"), s);
}

static const struct zone *zone_of(const struct model *m,
				  const struct endpoint *e)
{
	return &m->zones[endpoint_zone(m, e)];
}

static bool touches(const struct model *m, const struct flow *fl,
		    enum zone_class c)
{
	return zone_of(m, &fl->from)->class == c ||
	       zone_of(m, &fl->to)->class == c;
}

static bool between(const struct model *m, const struct flow *fl,
		    enum zone_class a, enum zone_class b)
{
	enum zone_class x = zone_of(m, &fl->from)->class,
			y = zone_of(m, &fl->to)->class;

	return (x == a && y == b) || (x == b && y == a);
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n')
			return false;
	return true;
}

static const char *arrow(const struct flow *fl)
{
	return fl->bidirectional ? "<->" : "->";
}

/* "atena (mynumber)" for a host, the zone's name for a zone. */
static void endpoint_text(const struct model *m, const struct endpoint *e,
			  char *buf, size_t len)
{
	if (e->kind == ENDPOINT_HOST)
		snprintf(buf, len, "%s (%s)", endpoint_name(m, e),
			 zone_of(m, e)->name);
	else
		snprintf(buf, len, "%s", endpoint_name(m, e));
}

/* "tcp/443, udp/3389" (sep between); the caller frees it (NULL: out of
 * memory). */
static char *services_text(const struct flow *fl, const char *sep)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < fl->service_count; i++)
		fprintf(f, "%s%s", i ? sep : "", fl->services[i].text);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* "chukan-link: atena (mynumber) -> chukan (lgwan-net)" */
static void flow_line(struct report *r, const struct flow *fl)
{
	char from[80], to[80];

	endpoint_text(r->m, &fl->from, from, sizeof(from));
	endpoint_text(r->m, &fl->to, to, sizeof(to));
	detail(r, 0, "%s: %s %s %s", fl->name, from, arrow(fl), to);
}

/* ---- the checks ---------------------------------------------------------- */

/* Each sentence in English, then in Japanese (T). */

static void check_ruleset(struct report *r)
{
	const struct audit_facts *f = r->f;

	if (!f->kernel_read)
		begin(r, "ruleset", ST_FAIL, "%s", T(
		      "Ruleset: the table could not be read back from the "
		      "kernel",
		      "ルールセットの整合性: カーネルからテーブルを"
		      "読み出せない"));
	else if (!f->in_sync)
		begin(r, "ruleset", ST_FAIL, "%s", T(
		      "Ruleset: the kernel's table differs from what segmentd "
		      "programmed",
		      "ルールセットの整合性: カーネル上のテーブルが segmentd の"
		      "設定した内容と一致しない"));
	else
		begin(r, "ruleset", ST_PASS, "%s", T(
		      "Ruleset: the kernel's table matches what segmentd "
		      "programmed",
		      "ルールセットの整合性: カーネル上のテーブルは segmentd が"
		      "設定した内容と一致している"));
	detail(r, 0, T("ruleset sha256: %s", "ルールセット SHA-256: %s"),
	       f->ruleset_sha256[0] ? f->ruleset_sha256 : "-");
	detail(r, 0, T("config: %s", "設定ファイル: %s"),
	       f->config_path ? f->config_path : "-");
	detail(r, 0, T("config sha256: %s", "設定ファイル SHA-256: %s"),
	       f->config_sha256[0] ? f->config_sha256 : "-");
}

static void check_matrix(struct report *r)
{
	size_t edges = r->f->matrix_edges, diff = r->f->matrix_differences;

	if (!diff) {
		begin(r, "matrix", ST_PASS, T(
		      "Zone matrix: the enforced matrix equals the intended "
		      "one (%zu edge%s)",
		      "ゾーン間通信マトリクス: 適用中のマトリクスは"
		      "設定上の意図と一致している (許可 %zu 件%.0s)"),
		      edges, PL(edges));
		return;
	}
	begin(r, "matrix", ST_FAIL, T(
	      "Zone matrix: %zu difference%s between the intended and the "
	      "enforced matrix",
	      "ゾーン間通信マトリクス: 設定上の意図と適用中のマトリクスに "
	      "%zu 件%.0sの差異がある"), diff, PL(diff));
	detail(r, 0, T(
	       "intended: %zu edge%s; `segmentctl matrix` shows the "
	       "differences",
	       "意図した許可: %zu 件%.0s。差異の内容は `segmentctl matrix` で"
	       "確認できる"), edges, PL(edges));
}

static void check_protection(struct report *r)
{
	const struct audit_facts *f = r->f;
	const char *p = f->protection ? f->protection : "none";
	char started[32], applied[32], up[32];

	if (!strcmp(p, "owned"))
		begin(r, "protection", ST_PASS, "%s", T(
		      "Protection: owned (the kernel refuses changes from "
		      "other processes; the table persists)",
		      "改ざん防止: owned (他プロセスの変更をカーネルが拒否し、"
		      "テーブルはデーモン終了後も残る)"));
	else if (!strcmp(p, "watchdog-only"))
		begin(r, "protection", ST_WARN, "%s", T(
		      "Protection: watchdog-only (drift is repaired, not "
		      "prevented)",
		      "改ざん防止: watchdog-only (改変は防止されず、検知後に"
		      "復旧される)"));
	else
		begin(r, "protection", ST_FAIL, T(
		      "Protection: %s (no table of segmentd is programmed)",
		      "改ざん防止: %s (segmentd のテーブルが設定されていない)"),
		      p);
	iso_time(f->started, started);
	iso_time(f->last_apply, applied);
	if (f->started > 0)
		duration(r, f->now - f->started, up);
	else
		snprintf(up, sizeof(up), "-");
	detail(r, 0, T("uptime: %s (started %s)", "稼働時間: %s (起動 %s)"),
	       up, started);
	detail(r, 0, T("last apply: %s", "最終適用: %s"), applied);
}

static void check_state(struct report *r)
{
	if (r->f->degraded)
		begin(r, "state", ST_FAIL, "%s", T(
		      "State: degraded (the config is invalid; a fail-closed "
		      "ruleset is enforced)",
		      "稼働状態: 縮退運転中 (設定が不正なため、"
		      "フェイルクローズのルールセットを適用している)"));
	else
		begin(r, "state", ST_PASS, "%s", T(
		      "State: enforcing the running config",
		      "稼働状態: 正常 (稼働中の設定を適用している)"));
}

static bool kind_is(const struct audit_event *e, const char *kind)
{
	return e->kind && !strcmp(e->kind, kind);
}

/* One drift, its author and what became of it (outcome: the restore
 * event that followed, or NULL). */
static void drift_line(struct report *r, const struct audit_event *e,
		       const struct audit_event *outcome)
{
	char when[32], who[64], result[64];

	iso_time(e->when, when);
	if (e->pid)
		snprintf(who, sizeof(who), T("by %s (pid %" PRIu32 ")",
			 "%s (pid %" PRIu32 ") による変更"),
			 e->process && e->process[0] ? e->process : "?",
			 e->pid);
	else
		snprintf(who, sizeof(who), "%s", T("by an unknown process",
						   "実行元不明の変更"));
	if (!outcome)
		snprintf(result, sizeof(result), "%s",
			 T("no restore recorded", "復旧の記録なし"));
	else if (kind_is(outcome, "restore-failed"))
		snprintf(result, sizeof(result), "%s",
			 T("restore FAILED", "復旧に失敗"));
	else
		snprintf(result, sizeof(result), T("restored in %.3f ms",
			 "%.3f ms で復旧"), outcome->restore_ms);
	detail(r, 0, "%s %s: %s", when, who, result);
	if (e->text && e->text[0])
		detail(r, 1, "%s", e->text);
}

/* Drift events paired with the restore (or failure) that followed them;
 * returns how many drifts have none yet. */
static size_t drift_events(struct report *r)
{
	const struct audit_facts *f = r->f;
	size_t pending = 0, first = 0;

	for (size_t i = 0; i < f->event_count; i++) {
		const struct audit_event *e = &f->events[i];
		bool failed = kind_is(e, "restore-failed");

		if (kind_is(e, "drift")) {
			if (!pending++)
				first = i;
			continue;
		}
		if (!failed && !kind_is(e, "restore"))
			continue;
		for (size_t j = first; pending && j < i; j++)
			if (kind_is(&f->events[j], "drift"))
				drift_line(r, &f->events[j], e);
		if (failed && !pending) {
			char when[32];

			iso_time(e->when, when);
			detail(r, 0, "%s %s", when, T("restore FAILED",
						      "復旧に失敗"));
			if (e->text && e->text[0])
				detail(r, 1, "%s", e->text);
		}
		pending = 0;
	}
	for (size_t j = first; pending && j < f->event_count; j++)
		if (kind_is(&f->events[j], "drift"))
			drift_line(r, &f->events[j], NULL);
	return pending;
}

static void check_drift(struct report *r)
{
	const struct audit_facts *f = r->f;
	size_t failed = 0, listed = 0, unrestored;
	unsigned long long drifts, restores = f->restore_count;

	for (size_t i = 0; i < f->event_count; i++) {
		failed += kind_is(&f->events[i], "restore-failed");
		listed += kind_is(&f->events[i], "drift");
	}
	drifts = f->drift_count > listed ? f->drift_count : listed;
	if (failed)
		begin(r, "drift", ST_FAIL, T(
		      "Drift: a restore failed (%llu drift event%s, %llu "
		      "restore%s since start)",
		      "改変の検知と復旧: 復旧に失敗した記録がある "
		      "(起動以降、改変の検知 %llu 件%.0s、復旧 %llu 件%.0s)"),
		      drifts, PL(drifts), restores, PL(restores));
	else if (drifts)
		begin(r, "drift", ST_WARN, T(
		      "Drift: %llu event%s since start (%llu restore%s)",
		      "改変の検知と復旧: 起動以降、改変を %llu 件%.0s検知した "
		      "(復旧 %llu 件%.0s)"),
		      drifts, PL(drifts), restores, PL(restores));
	else
		begin(r, "drift", ST_PASS, "%s", T(
		      "Drift: none since segmentd started",
		      "改変の検知と復旧: 起動以降、改変は検知されていない"));
	if (!drifts && !failed)
		return;
	unrestored = drift_events(r);
	if (unrestored)
		detail(r, 0, T("%zu drift event%s without a recorded restore",
			       "復旧の記録がない改変: %zu 件%.0s"),
		       unrestored, PL(unrestored));
	else if (!failed)
		detail(r, 0, "%s", T("every drift was restored",
				     "検知した改変はすべて復旧した"));
	if (drifts > listed)
		detail(r, 0, T(
		       "the history keeps the last events only: %zu of %llu "
		       "drift events listed",
		       "履歴には直近のイベントのみ保持される (%zu 件を記載、"
		       "改変は計 %llu 件)"), listed, drifts);
}

static void check_hooks(struct report *r)
{
	const struct audit_facts *f = r->f;

	begin_count(r, "hooks", f->foreign_hook_count, T(
		    "Foreign hooks: none that could affect the segmentation",
		    "外部フック: セグメンテーションに影響し得る"
		    "他のフックはない"), T(
		    "Foreign hooks: %zu that could affect the segmentation",
		    "外部フック: セグメンテーションに影響し得るフックが %zu 件"
		    "ある"), f->foreign_hook_count);
	for (size_t i = 0; i < f->foreign_hook_count; i++)
		detail(r, 0, "%s", f->foreign_hooks[i] ? f->foreign_hooks[i]
							: "?");
}

/* The HA peer check (configs with an ha group only). */
static void check_peer(struct report *r)
{
	const struct audit_facts *f = r->f;

	if (!r->m->ha.enabled)
		return;
	if (!f->peer.running) {
		begin(r, "ha-peer", ST_FAIL, "%s", T(
		      "HA peer check: not running (no key, no socket, or this "
		      "host is neither node of the ha group: see the log); "
		      "promotion is blocked",
		      "HA ピア確認: 動作していない (鍵・ソケットがない、または"
		      "この機器が ha のどちらのノードでもない: ログを参照)。"
		      "昇格は止められている"));
		return;
	}
	if (!f->peer.heard) {
		begin(r, "ha-peer", ST_WARN, T(
		      "HA peer %s: not heard for 3 s or more (peer down or the "
		      "sync link cut: availability, not segmentation)",
		      "HA ピア %s: 3 秒以上応答がない (ピア停止または同期リンク"
		      "断: 可用性の問題であり、分離は保たれる)"),
		      f->peer.peer);
	} else if (!f->peer.same) {
		begin(r, "ha-peer", ST_FAIL, T(
		      "HA peer %s: enforces a different ruleset than this node",
		      "HA ピア %s: この機器と異なるルールセットを適用している"),
		      f->peer.peer);
	} else {
		begin(r, "ha-peer", ST_PASS, T(
		      "HA peer %s: heard, the same ruleset",
		      "HA ピア %s: 応答あり、同じルールセット"), f->peer.peer);
	}
	if (f->peer.weight_known)
		detail(r, 0, T("keepalived weight %d (%s)",
			       "keepalived の重み %d (%s)"), f->peer.weight,
		       f->peer.weight ? T("not promoted", "昇格しない") :
		       T("may be promoted", "昇格できる"));
	if (f->peer.refused)
		detail(r, 0, T("%llu beacons refused",
			       "拒否したビーコン %llu 件"),
		       (unsigned long long)f->peer.refused);
}

static bool cidrs_v6(const struct cidr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == AF_INET6)
			return true;
	return false;
}

static bool zone_v6(const struct zone *z)
{
	struct zone_net_iter it;
	struct cidr net;

	zone_net_begin(&it);
	while (zone_network_next(z, &it, &net))
		if (net.family == AF_INET6)
			return true;
	return false;
}

/* Does the model name an IPv6 network or address anywhere? */
static bool model_uses_ipv6(const struct model *m)
{
	for (size_t i = 0; i < m->zone_count; i++)
		if (zone_v6(&m->zones[i]))
			return true;
	for (size_t i = 0; i < m->host_count; i++)
		if (cidrs_v6(m->hosts[i].addresses, m->hosts[i].address_count))
			return true;
	return false;
}

static void check_forwarding(struct report *r)
{
	const struct audit_facts *f = r->f;
	bool v6 = model_uses_ipv6(r->m);

	if (f->ip_forward == 1 && (f->ip6_forward == 1 || !v6)) {
		begin(r, "forwarding", ST_PASS, "%s", v6 ?
		      T("IP forwarding: on (IPv4 and IPv6)",
			"IP転送: 有効 (IPv4、IPv6)") :
		      T("IP forwarding: on (IPv4; the model uses no IPv6)",
			"IP転送: 有効 (IPv4。IPv6 はモデルで使用していない)"));
		return;
	}
	begin(r, "forwarding", ST_WARN, "%s", T(
	      "IP forwarding: off or unknown for a family the model uses",
	      "IP転送: 無効または状態不明のアドレスファミリーがある"));
	if (f->ip_forward == 0)
		detail(r, 0, "%s", T(
		       "IPv4 forwarding is off: the gateway forwards nothing "
		       "between zones",
		       "IPv4転送が無効: ゲートウェイはゾーン間の通信を一切転送"
		       "しない"));
	else if (f->ip_forward != 1)
		detail(r, 0, "%s", T(
		       "IPv4 forwarding: unknown (could not be read)",
		       "IPv4転送: 不明 (読み取れない)"));
	if (v6 && f->ip6_forward == 0)
		detail(r, 0, "%s", T(
		       "IPv6 forwarding is off: the gateway forwards no IPv6 "
		       "between zones",
		       "IPv6転送が無効: ゲートウェイはゾーン間の IPv6 通信を"
		       "転送しない"));
	else if (v6 && f->ip6_forward != 1)
		detail(r, 0, "%s", T(
		       "IPv6 forwarding: unknown (could not be read)",
		       "IPv6転送: 不明 (読み取れない)"));
}

static const char *interface_zone(const struct model *m, const char *ifname)
{
	for (size_t z = 0; z < m->zone_count; z++)
		for (size_t i = 0; i < m->zones[z].interface_count; i++)
			if (!strcmp(m->zones[z].interfaces[i], ifname))
				return m->zones[z].name;
	return "?";
}

static void check_interfaces(struct report *r)
{
	const struct audit_facts *f = r->f;
	size_t total = 0, missing = f->missing_interface_count;

	for (size_t z = 0; z < r->m->zone_count; z++)
		total += r->m->zones[z].interface_count;
	if (!missing) {
		begin(r, "interfaces", ST_PASS, T(
		      "Zone interfaces: all %zu present",
		      "ゾーンのインターフェース: すべて存在する (%zu 個)"),
		      total);
		return;
	}
	begin(r, "interfaces", ST_FAIL, T(
	      "Zone interfaces: %zu of %zu missing",
	      "ゾーンのインターフェース: 全 %2$zu 個中 %1$zu 個が存在しない"),
	      missing, total);
	for (size_t i = 0; i < missing; i++) {
		const char *ifname = f->missing_interfaces[i] ?
				     f->missing_interfaces[i] : "?";

		detail(r, 0, T("%s (zone %s)", "%s (ゾーン %s)"), ifname,
		       interface_zone(r->m, ifname));
	}
}

/* Whole days left, rounded up (as the config check counts them). */
static long days_left(time_t expires, time_t now)
{
	return (long)((expires - now + DAY_SECONDS - 1) / DAY_SECONDS);
}

static bool expires_soon(const struct flow *fl, time_t now)
{
	return fl->has_expiry && fl->expires > now &&
	       days_left(fl->expires, now) <= EXPIRY_WARN_DAYS;
}

static void exception_lines(struct report *r, const struct flow *fl)
{
	char *svc = services_text(fl, T(", ", "、"));
	time_t now = r->f->now;
	long days = fl->has_expiry ? days_left(fl->expires, now) : 0;

	flow_line(r, fl);
	detail(r, 1, T("services: %s", "サービス: %s"), svc ? svc : "?");
	free(svc);
	detail(r, 1, T("justification: %s", "理由: %s"),
	       blank(fl->justification) ? "-" : fl->justification);
	if (!fl->has_expiry)
		detail(r, 1, "%s", T("expiry: no expiry", "期限: なし"));
	else if (fl->expires <= now)
		detail(r, 1, T("expiry: expired on %s, not enforced",
			       "期限: %s に期限切れ (適用されていない)"),
		       fl->expires_text);
	else
		detail(r, 1, T("expiry: last day %s (expires in %ld day%s)",
			       "期限: %s まで (残り %ld 日%.0s)"),
		       fl->expires_text, days, PL(days));
}

static void check_exceptions(struct report *r)
{
	const struct model *m = r->m;
	size_t n = 0, soon = 0;

	for (size_t i = 0; i < m->flow_count; i++) {
		n += touches(m, &m->flows[i], ZONE_ISOLATED);
		soon += touches(m, &m->flows[i], ZONE_ISOLATED) &&
			expires_soon(&m->flows[i], r->f->now);
	}
	if (soon)
		begin(r, "exceptions", ST_WARN, T(
		      "Exceptions for isolated zones: %zu of %zu expiring "
		      "within %d days",
		      "例外措置 (分離ゾーンの通信): 全 %2$zu 件中 %1$zu 件が "
		      "%3$d 日以内に期限を迎える"), soon, n, EXPIRY_WARN_DAYS);
	else
		begin(r, "exceptions", ST_INFO, T(
		      "Exceptions for isolated zones: %zu flow%s",
		      "例外措置 (分離ゾーンの通信): %zu 件%.0s"), n, PL(n));
	for (size_t i = 0; i < m->flow_count; i++)
		if (touches(m, &m->flows[i], ZONE_ISOLATED))
			exception_lines(r, &m->flows[i]);
}

static bool single_host(const struct model *m, const struct endpoint *e)
{
	const struct host *h = &m->hosts[e->index];

	if (e->kind != ENDPOINT_HOST)
		return false;
	for (size_t i = 0; i < h->address_count; i++)
		if (!cidr_is_single_host(&h->addresses[i]))
			return false;
	return true;
}

static enum host_role role_of(const struct model *m, const struct endpoint *e)
{
	return e->kind == ENDPOINT_HOST ? m->hosts[e->index].role : ROLE_NONE;
}

/* α' local breakout: one way to an lbo-service host, tcp/443 only. */
static bool breakout(const struct model *m, const struct flow *fl)
{
	if (role_of(m, &fl->to) != ROLE_LBO_SERVICE || fl->bidirectional)
		return false;
	for (size_t i = 0; i < fl->service_count; i++)
		if (fl->services[i].proto != IPPROTO_TCP ||
		    fl->services[i].port_low != 443 ||
		    fl->services[i].port_high != 443)
			return false;
	return true;
}

static bool port_range(const struct flow *fl)
{
	for (size_t i = 0; i < fl->service_count; i++)
		if (fl->services[i].port_low != fl->services[i].port_high)
			return true;
	return false;
}

/* The invariants of 三層の対策 (domain.md §6, I1-I3), checked again here
 * on what runs rather than trusted: why fl breaks one, or NULL. */
static const char *guard_breach(const struct report *r, const struct flow *fl)
{
	const struct model *m = r->m;
	bool isolated = touches(m, fl, ZONE_ISOLATED);

	if (between(m, fl, ZONE_ISOLATED, ZONE_INTERNET))
		return T("connects an isolated zone and an internet zone",
			 "分離ゾーンとインターネット接続系ゾーンを"
			 "接続している");
	if (isolated && (!single_host(m, &fl->from) ||
			 !single_host(m, &fl->to)))
		return T("touches an isolated zone and is not single host to "
			 "single host",
			 "分離ゾーンに関わるが単一ホスト間の通信ではない");
	if (isolated && port_range(fl))
		return T("touches an isolated zone with a port range",
			 "分離ゾーンに関わるがポートを範囲で指定している");
	if (isolated && blank(fl->justification))
		return T("touches an isolated zone without a justification",
			 "分離ゾーンに関わるが理由の記載がない");
	if (between(m, fl, ZONE_LGWAN, ZONE_INTERNET) &&
	    !host_role_is_relay(role_of(m, &fl->from)) &&
	    !host_role_is_relay(role_of(m, &fl->to)) && !breakout(m, fl))
		return T("crosses between LGWAN and internet without a relay",
			 "無害化中継を経由せずに LGWAN接続系とインターネット"
			 "接続系を接続している");
	return NULL;
}

/* The relay (or breakout) host of an LGWAN <-> internet flow, or NULL. */
static const struct endpoint *relay_end(const struct model *m,
					const struct flow *fl)
{
	if (!between(m, fl, ZONE_LGWAN, ZONE_INTERNET))
		return NULL;
	if (host_role_is_relay(role_of(m, &fl->from)))
		return &fl->from;
	if (host_role_is_relay(role_of(m, &fl->to)) ||
	    role_of(m, &fl->to) == ROLE_LBO_SERVICE)
		return &fl->to;
	return NULL;
}

/* "vbrowser (screen-transfer), mail-relay (mail-sanitizer)": each relay
 * once, in the order of the flows, sep between.  The caller frees it. */
static char *relays_text(const struct model *m, const char *sep)
{
	bool *seen = calloc(m->host_count + 1, sizeof(*seen));
	char *s = NULL;
	size_t len = 0, n = 0;
	FILE *out = seen ? open_memstream(&s, &len) : NULL;

	if (!out) {
		free(seen);
		return NULL;
	}
	for (size_t i = 0; i < m->flow_count; i++) {
		const struct endpoint *e = relay_end(m, &m->flows[i]);

		if (!e || seen[e->index])
			continue;
		seen[e->index] = true;
		fprintf(out, "%s%s (%s)", n++ ? sep : "",
			m->hosts[e->index].name,
			host_role_name(m->hosts[e->index].role));
	}
	free(seen);
	if (fclose(out)) {
		free(s);
		return NULL;
	}
	return s;
}

/* What the guardrails hold, said when they all hold. */
static void guardrails_held(struct report *r)
{
	begin(r, "guardrails", ST_PASS, "%s", T(
	      "Guardrails: the running config passes every guardrail",
	      "ガードレール: 稼働中の設定はすべてのガードレールを"
	      "満たしている"));
	detail(r, 0, "%s", T(
	       "no flow between an isolated zone and an internet zone",
	       "分離ゾーンとインターネット接続系ゾーンの間の通信許可はない"));
	detail(r, 0, "%s", T(
	       "flows touching an isolated zone are single hosts with a "
	       "justification",
	       "分離ゾーンに関わる通信許可は単一ホスト間に限られ、理由が記載"
	       "されている"));
	detail(r, 0, "%s", T(
	       "LGWAN <-> internet only through relays (無害化) or α' local "
	       "breakout",
	       "LGWAN接続系とインターネット接続系の間は無害化中継またはα'の"
	       "ローカルブレイクアウトのみ"));
}

static void check_guardrails(struct report *r)
{
	const struct model *m = r->m;
	size_t isolated = 0, crossing = 0, breaches = 0;
	char *relays;

	for (size_t i = 0; i < m->flow_count; i++) {
		isolated += touches(m, &m->flows[i], ZONE_ISOLATED);
		crossing += between(m, &m->flows[i], ZONE_LGWAN,
				    ZONE_INTERNET);
		breaches += guard_breach(r, &m->flows[i]) != NULL;
	}
	if (!breaches)
		guardrails_held(r);
	else
		begin(r, "guardrails", ST_FAIL, T(
		      "Guardrails: %zu flow%s breaking a guardrail",
		      "ガードレール: ガードレールに違反する通信許可が "
		      "%zu 件%.0sある"), breaches, PL(breaches));
	for (size_t i = 0; i < m->flow_count && breaches; i++) {
		const char *why = guard_breach(r, &m->flows[i]);

		if (why)
			detail(r, 0, "%s: %s", m->flows[i].name, why);
	}
	detail(r, 0, T(
	       "flows: %zu in total, %zu touching an isolated zone, %zu "
	       "between LGWAN and internet zones",
	       "通信許可: 計 %zu 件 (うち分離ゾーン関係 %zu 件、LGWAN接続系と"
	       "インターネット接続系の間 %zu 件)"), m->flow_count, isolated,
	       crossing);
	relays = relays_text(m, T(", ", "、"));
	if (relays && relays[0])
		detail(r, 0, T("LGWAN <-> internet through: %s",
			       "LGWAN接続系とインターネット接続系の間の"
			       "経由先: %s"), relays);
	free(relays);
}

static void check_comments(struct report *r)
{
	const struct model *m = r->m;
	size_t n = 0;

	for (size_t i = 0; i < m->flow_count; i++)
		n += blank(m->flows[i].comment);
	begin_count(r, "comments", n, T(
		    "Flow comments: every flow says what it is for",
		    "通信許可の説明: すべての通信許可に説明 (comment) がある"),
		    T("Flow comments: %zu flow%s without a comment",
		      "通信許可の説明: 説明 (comment) のない通信許可が %zu 件"
		      "%.0sある"), n, PL(n));
	for (size_t i = 0; i < m->flow_count; i++)
		if (blank(m->flows[i].comment))
			flow_line(r, &m->flows[i]);
}

/* ---- text ---------------------------------------------------------------- */

static const char *const tags[AUDIT_LANG_MAX][ST_MAX] = {
	[AUDIT_EN] = { "[PASS]", "[WARN]", "[FAIL]", "[INFO]" },
	[AUDIT_JA] = { "[合格]", "[警告]", "[不合格]", "[情報]" },
};
static const int tag_width[AUDIT_LANG_MAX] = { 6, 8 };

/* "label:  value", labels padded to width columns. */
static void field(FILE *out, const char *label, int width, const char *value)
{
	char lead[64];

	snprintf(lead, sizeof(lead), "%s%*s", label,
		 width - audit_text_width(label), "");
	audit_text_put(out, 0, lead, width, value ? value : "-");
}

static void render_text(const struct report *r, int failed, int warnings,
			FILE *out)
{
	const char *title = T("segmentd self-inspection report",
			      "segmentd 自己点検報告書");
	int tw = tag_width[r->lang], indent = tw + 1 + 4, lw = T(11, 14);
	char when[32], stamp[48];

	iso_time(r->f->now, when);
	snprintf(stamp, sizeof(stamp), "%s (UTC)", when);
	fprintf(out, "%s\n%.*s\n", title, audit_text_width(title),
		"==============================================");
	field(out, T("generated:", "作成日時:"), lw, stamp);
	field(out, T("host:", "ホスト名:"), lw, r->f->hostname);
	field(out, T("config:", "設定ファイル:"), lw, r->f->config_path);
	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->checks[i];
		const char *tag = tags[r->lang][c->status];
		char lead[64];

		snprintf(lead, sizeof(lead), "%s%*s %2zu. ", tag,
			 tw - audit_text_width(tag), "", i + 1);
		fputc('\n', out);
		audit_text_put(out, 0, lead, indent,
			       c->summary ? c->summary : "?");
		for (size_t j = 0; j < c->count; j++) {
			int col = indent + 2 * c->lines[j].level;

			audit_text_put(out, col, "", col + 2, c->lines[j].text);
		}
	}
	fputc('\n', out);
	if (r->oom)
		fprintf(out, "%s\n", T(
			"the report is incomplete: out of memory",
			"メモリ不足のため報告書は不完全である"));
	if (failed)
		fprintf(out, T("Result: FAIL (%d failed, %d warning%s)\n",
			       "結果: 不合格 (不合格 %d 件、警告 %d 件%.0s)\n"),
			failed, warnings, PL(warnings));
	else
		fprintf(out, T("Result: PASS (%d warning%s)\n",
			       "結果: 合格 (警告 %d 件%.0s)\n"),
			warnings, PL(warnings));
}

/* ---- JSON ---------------------------------------------------------------- */

static void render_json(const struct report *r, int failed, int warnings,
			FILE *out)
{
	static const char *const names[ST_MAX] = { "pass", "warn", "fail",
						    "info" };
	char when[32];

	iso_time(r->f->now, when);
	fprintf(out, "{\n  \"generated\": \"%s\",\n  \"host\": ", when);
	audit_json_str(out, "", r->f->hostname);
	fputs(",\n  \"config\": ", out);
	audit_json_str(out, "", r->f->config_path);
	fputs(",\n  \"checks\": [", out);
	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->checks[i];

		fprintf(out, "%s\n    {\"id\": \"%s\", \"status\": \"%s\", "
			"\"summary\": ", i ? "," : "", c->id, names[c->status]);
		audit_json_str(out, "", c->summary);
		fputs(", \"details\": [", out);
		/* level 1 keeps its indentation: it belongs above */
		for (size_t j = 0; j < c->count; j++) {
			fputs(j ? ",\n      " : "\n      ", out);
			audit_json_str(out, c->lines[j].level ? "  " : "",
				       c->lines[j].text);
		}
		fputs("]}", out);
	}
	fprintf(out, "\n  ],\n  \"failed\": %d,\n  \"warnings\": %d,\n"
		"  \"result\": \"%s\"\n}\n", failed, warnings,
		failed ? "fail" : "pass");
}

/* ---- the report ---------------------------------------------------------- */

int audit_render(const struct audit_facts *f, enum audit_lang lang, bool json,
		 FILE *out)
{
	static void (*const checks[CHECK_COUNT])(struct report *) = {
		check_ruleset, check_matrix, check_protection, check_state,
		check_drift, check_hooks, check_forwarding, check_interfaces,
		check_exceptions, check_guardrails, check_comments, check_peer,
	};
	static const struct model empty;
	struct report r = {
		.f = f, .m = f->model ? f->model : &empty,
		.lang = (unsigned)lang < AUDIT_LANG_MAX ? lang : AUDIT_EN,
	};
	int failed = 0, warnings = 0;

	for (size_t i = 0; i < CHECK_COUNT; i++)
		checks[i](&r);
	for (size_t i = 0; i < r.n; i++) {
		failed += r.checks[i].status == ST_FAIL;
		warnings += r.checks[i].status == ST_WARN;
	}
	failed += r.oom;
	if (json)
		render_json(&r, failed, warnings, out);
	else
		render_text(&r, failed, warnings, out);
	report_free(&r);
	return failed;
}
