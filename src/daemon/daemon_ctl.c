/* daemon_ctl.c - what the daemon answers on the control socket: status,
 * reload, check, show, verify, events, version (text or --json). */
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon_internal.h"
#include "json.h"
#include "log.h"
#include "matrix.h"
#include "modeldiff.h"
#include "readback.h"
#include "policy.h"
#include "policy_digest.h"
#include "sha256.h"

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static size_t element_count(const struct daemon *d)
{
	const struct ruleset *rs = enforcer_ruleset(&d->enf);

	return rs ? ruleset_element_count(rs) : 0;
}

static const char *protection(const struct daemon *d)
{
	if (!enforcer_ruleset(&d->enf))
		return "none";
	return enforcer_level(&d->enf) == PROTECTION_OWNED ? "owned" :
							     "watchdog-only";
}

static void status_json(const struct daemon *d, const char *cfg,
			const char *exp, const char *started,
			const char *applied, bool in_sync, FILE *out)
{
	struct json j;
	char pol[65];

	model_policy_hex(&d->model, pol);
	json_init(&j, out);
	json_object_open(&j);
	json_kstr(&j, "version", SEGMENTD_VERSION);
	json_kstr(&j, "state", d->degraded ? "degraded" : "enforcing");
	json_kstr(&j, "config", d->config_path);
	json_kstr(&j, "config_sha256", cfg);
	json_kstr(&j, "table", enforcer_table(&d->enf) ?: "");
	json_kstr(&j, "ruleset_sha256", exp);
	json_kstr(&j, "policy_sha256", pol);
	json_kbool(&j, "in_sync", in_sync);
	json_kstr(&j, "protection", protection(d));
	json_kstr(&j, "started", started);
	json_kstr(&j, "last_apply", applied);
	json_kuint(&j, "drift_count", d->drift_count);
	json_kuint(&j, "restore_count", d->restore_count);
	json_kuint(&j, "conntrack_revoked", d->ct_revoked);
	json_kuint(&j, "conntrack_forged_deleted", d->ct_forged);
	json_kuint(&j, "zones", d->model.zone_count);
	json_kuint(&j, "flows", d->model.flow_count);
	json_kuint(&j, "set_elements", element_count(d));
	json_key(&j, "foreign_hooks");
	json_array_open(&j);
	for (size_t i = 0; i < d->hooks.count; i++)
		json_str(&j, d->hooks.items[i]);
	json_array_close(&j);
	daemon_peer_json(d, &j);
	json_object_close(&j);
	fputc('\n', out);
}

static enum control_status cmd_version(struct daemon *d,
					const struct control_request *req,
					FILE *out)
{
	struct json j;

	if (!req->json) {
		fprintf(out, "%s\n", SEGMENTD_VERSION);
		return CONTROL_OK;
	}
	json_init(&j, out);
	json_object_open(&j);
	json_kstr(&j, "version", SEGMENTD_VERSION);
	json_object_close(&j);
	fputc('\n', out);
	return CONTROL_OK;
}

static enum control_status cmd_status(struct daemon *d,
				      const struct control_request *req,
				      FILE *out)
{
	char cfg[65], exp[65], started[32], applied[32];
	struct fingerprint now;
	bool in_sync;

	daemon_scan_hooks(d);     /* status shows the hooks as they are now */
	sha256_hex(d->model.files_sha256, cfg);
	sha256_hex(enforcer_expected(&d->enf)->digest, exp);
	iso_time(d->started, started, sizeof(started));
	iso_time(d->last_apply, applied, sizeof(applied));
	in_sync = enforcer_check(&d->enf, &now) == 1;
	if (req->json) {
		status_json(d, cfg, exp, started, applied, in_sync, out);
		return CONTROL_OK;
	}
	fprintf(out, "segmentd %s: %s\n", SEGMENTD_VERSION,
		d->degraded ? "DEGRADED (config invalid; fail-closed ruleset "
			      "enforced)" : "enforcing");
	fprintf(out, "config:      %s\n  sha256:    %s\n", d->config_path, cfg);
	fprintf(out, "table:       inet %s (%zu zones, %zu flows, %zu set "
		"elements)\n", enforcer_table(&d->enf) ?: "-",
		d->model.zone_count, d->model.flow_count, element_count(d));
	fprintf(out, "  ruleset:   %s (%s)\n", exp,
		in_sync ? "kernel matches" : "KERNEL DIFFERS");
	model_policy_hex(&d->model, exp);
	fprintf(out, "  policy:    %s\n", exp);
	fprintf(out, "protection:  %s\n", protection(d));
	fprintf(out, "started:     %s\nlast apply:  %s\n", started, applied);
	fprintf(out, "drift:       %llu detected, %llu restored\n",
		(unsigned long long)d->drift_count,
		(unsigned long long)d->restore_count);
	fprintf(out, "conntrack:   %llu entries of revoked flows deleted, %llu "
		"forged deleted\n", (unsigned long long)d->ct_revoked,
		(unsigned long long)d->ct_forged);
	fprintf(out, "foreign hooks: %zu%s\n", d->hooks.count,
		d->hooks.count ? " (could bypass or starve the segmentation)"
			       : "");
	for (size_t i = 0; i < d->hooks.count; i++)
		fprintf(out, "  - %s\n", d->hooks.items[i]);
	daemon_peer_status(d, out);
	return in_sync && !d->degraded ? CONTROL_OK : CONTROL_FAIL;
}

static void print_diags(const struct diags *diags, FILE *out)
{
	diags_print(diags, out);
}

/* "diagnostics": every error and warning with its file and line. */
static void diags_json(struct json *j, const struct diags *d)
{
	json_kint(j, "errors", d->errors);
	json_kint(j, "warnings", d->warnings);
	json_key(j, "diagnostics");
	json_array_open(j);
	for (size_t i = 0; i < d->count; i++) {
		const struct diag *x = &d->items[i];

		json_object_open(j);
		json_kstr(j, "severity", x->severity == DIAG_ERROR ? "error"
								   : "warning");
		json_key(j, "file");
		if (x->file)
			json_str(j, x->file);
		else
			json_null(j);
		json_kint(j, "line", x->line);
		json_kstr(j, "message", x->message);
		json_object_close(j);
	}
	json_array_close(j);
}

/* The answer of check and reload: the file, the outcome, the diagnostics
 * (and the SSH lock-out check's text, when one was asked for). */
static void outcome_json(const char *path, const char *key,
			 const char *value, const struct diags *d,
			 const char *ssh_text, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_open(&j);
	json_kstr(&j, "config", path);
	json_kstr(&j, key, value);
	if (ssh_text)
		json_kstr(&j, "ssh_check", ssh_text);
	diags_json(&j, d);
	json_object_close(&j);
	fputc('\n', out);
}

static const char *arg_value(const struct control_request *r,
			     const char *prefix)
{
	size_t n = strlen(prefix);

	for (int i = 0; i < r->argc; i++)
		if (!strncmp(r->argv[i], prefix, n))
			return r->argv[i] + n;
	return NULL;
}

static enum control_status cmd_reload(struct daemon *d,
				      const struct control_request *r,
				      FILE *out)
{
	const char *ssh = arg_value(r, "--ssh="), *outcome;
	char *ssh_text = NULL;
	size_t ssh_len = 0;
	struct diags diags;
	FILE *to;
	int err;

	for (int i = 0; i + 1 < r->argc; i++) {
		char *end;
		unsigned long secs;

		if (strcmp(r->argv[i], "--confirm"))
			continue;
		secs = strtoul(r->argv[i + 1], &end, 10);
		if (*end || secs < 1 || secs > 86400) {
			fprintf(out, "--confirm needs 1 to 86400 seconds\n");
			return CONTROL_ERROR;
		}
		return daemon_reload_confirmed(d, (unsigned)secs, ssh, out);
	}
	if (d->pending.active) {
		fprintf(out, "a reload is waiting for confirmation: confirm "
			"it first (segmentctl confirm)\n");
		return CONTROL_FAIL;
	}
	to = ssh && r->json ? open_memstream(&ssh_text, &ssh_len) : out;
	diags_init(&diags);
	err = daemon_reload(d, ssh, to, &diags);
	if (to && to != out)
		fclose(to);
	outcome = err ? "refused" : enforcer_unchanged(&d->enf) ? "unchanged" : "reloaded";
	if (r->json) {
		outcome_json(d->config_path, "result", outcome, &diags,
			     ssh_text, out);
	} else {
		print_diags(&diags, out);
		if (err)
			fprintf(out, "reload refused: the enforced ruleset is "
				"unchanged\n");
		else if (enforcer_unchanged(&d->enf))
			fprintf(out, "reloaded %s: unchanged, nothing "
				"committed\n", d->config_path);
		else if (enforcer_updated(&d->enf))
			fprintf(out, "reloaded %s: by its difference (%zu "
				"element(s) added, %zu removed, %zu chain(s) "
				"rewritten; %zu of %zu set(s) verified without "
				"a dump)\n", d->config_path,
				enforcer_updated(&d->enf)->added,
				enforcer_updated(&d->enf)->removed,
				enforcer_updated(&d->enf)->chains,
				enforcer_updated(&d->enf)->unread,
				enforcer_ruleset(&d->enf)->set_count);
		else
			fprintf(out, "reloaded %s\n", d->config_path);
	}
	free(ssh_text);
	diags_free(&diags);
	return err ? CONTROL_FAIL : CONTROL_OK;
}

static enum control_status cmd_check(struct daemon *d,
				     const struct control_request *r,
				     FILE *out)
{
	const char *path = r->argc > 0 ? r->argv[0] : d->config_path;
	struct ruleset rs;
	struct model m;
	struct diags diags;
	int err;

	diags_init(&diags);
	model_init(&m);
	err = policy_load(path, time(NULL), &m, &rs, &diags);
	if (!err) {
		err = nft_check(&d->nl, &rs, &diags);
		ruleset_free(&rs);
	}
	if (r->json) {
		outcome_json(path, "result", err ? "invalid" : "valid",
			     &diags, NULL, out);
	} else {
		print_diags(&diags, out);
		fprintf(out, "%s: %s\n", path, err ? "INVALID" : "valid");
	}
	diags_free(&diags);
	model_free(&m);
	return err ? CONTROL_FAIL : CONTROL_OK;
}

static enum control_status cmd_show(struct daemon *d,
				    const struct control_request *req,
				    FILE *out)
{
	struct fingerprint now;
	bool same;

	if (!enforcer_ruleset(&d->enf)) {
		fprintf(out, "# no ruleset enforced by this daemon\n");
		return CONTROL_FAIL;
	}
	same = enforcer_check(&d->enf, &now) == 1;
	fprintf(out, "# %s\n", same ? "the kernel enforces exactly this "
		"(fingerprint verified)" : "WARNING: the kernel's table "
		"differs from this; a restore is under way");
	ruleset_render(enforcer_ruleset(&d->enf), out);
	return same ? CONTROL_OK : CONTROL_FAIL;
}

static enum control_status cmd_verify(struct daemon *d,
				      const struct control_request *req,
				      FILE *out)
{
	int r = daemon_verify(d, "verify (segmentctl)");

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_object_open(&j);
		json_kbool(&j, "match", r == 1);
		json_kbool(&j, "restored", r == 0);
		json_object_close(&j);
		fputc('\n', out);
	} else if (r == 1)
		fprintf(out, "table '%s' matches what segmentd programmed\n",
			enforcer_table(&d->enf));
	else if (r == 0)
		fprintf(out, "DRIFT: table '%s' differed; restored\n",
			enforcer_table(&d->enf));
	else if (r == -ECANCELED)
		fprintf(out, "DRIFT: table '%s' changed while it was read; "
			"restoring\n", enforcer_table(&d->enf));
	else
		fprintf(out, "cannot verify: %s\n", strerror(-r));
	return r == 1 ? CONTROL_OK : CONTROL_FAIL;
}

static void event_json(struct json *j, const struct event *e)
{
	char when[32];

	iso_time(e->when.tv_sec, when, sizeof(when));
	json_object_open(j);
	json_kstr(j, "time", when);
	json_kstr(j, "kind", event_kind_name(e->kind));
	json_kuint(j, "pid", e->pid);
	json_kstr(j, "process", e->comm);
	json_key(j, "restore_ms");
	json_fixed(j, e->restore_ms, 3);
	json_kstr(j, "text", e->text);
	json_object_close(j);
}

static void events_json(const struct daemon *d, size_t first, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_array_open(&j);
	for (size_t i = first; i < d->event_count; i++)
		event_json(&j, &d->events[i % EVENT_RING]);
	json_array_close(&j);
	fputc('\n', out);
}

static enum control_status cmd_events(struct daemon *d,
				      const struct control_request *req,
				      FILE *out)
{
	size_t n = d->event_count < EVENT_RING ? d->event_count : EVENT_RING;
	size_t first = d->event_count - n;

	if (req->json) {
		events_json(d, first, out);
		return CONTROL_OK;
	}
	for (size_t i = first; i < d->event_count; i++) {
		const struct event *e = &d->events[i % EVENT_RING];
		char when[32];

		iso_time(e->when.tv_sec, when, sizeof(when));
		fprintf(out, "%s %-14s %s\n", when, event_kind_name(e->kind),
			e->text);
	}
	return CONTROL_OK;
}

static bool has_arg(const struct control_request *r, const char *arg)
{
	for (int i = 0; i < r->argc; i++)
		if (!strcmp(r->argv[i], arg))
			return true;
	return false;
}

/* Intended (from the model) against enforced (our rules read back). */
static enum control_status cmd_matrix(struct daemon *d,
				      const struct control_request *r,
				      FILE *out)
{
	struct matrix intended, enforced;
	struct readback rb;
	size_t diff;
	int err;

	if (!enforcer_ruleset(&d->enf)) {
		fprintf(out, "no ruleset enforced by this daemon\n");
		return CONTROL_FAIL;
	}
	err = matrix_from_model(&d->model, time(NULL), &intended);
	if (err)
		return CONTROL_ERROR;
	err = readback_read(&d->nl, enforcer_table(&d->enf), false, &rb);
	err = err ?: matrix_from_readback(&rb, &d->model, &enforced);
	readback_free(&rb);
	if (err) {
		fprintf(out, "reading table '%s' back: %s\n",
			enforcer_table(&d->enf), strerror(-err));
		matrix_free(&intended);
		return CONTROL_FAIL;
	}
	diff = matrix_differences(&intended, &enforced);
	if (has_arg(r, "--dot"))
		matrix_render_dot(&d->model, &intended, &enforced, out);
	else if (r->json)
		matrix_render_json(&d->model, &intended, &enforced, out);
	else
		matrix_render_text(&d->model, &intended, &enforced, out);
	matrix_free(&intended);
	matrix_free(&enforced);
	return diff ? CONTROL_FAIL : CONTROL_OK;
}

__attribute__((format(printf, 2, 3)))
static uint64_t pkts(const struct readback *rb, const char *fmt, ...)
{
	char name[160];
	const struct rb_counter *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	c = readback_counter(rb, name);
	return c ? c->packets : 0;
}

/* counters [NAME...]: the rows of the named zones and flows only (a zone
 * pair when one side is named, a flow when it or one of its zones is
 * named); every row without names. */
struct row_filter {
	const struct model *m;
	const char *const *names;
	int count;
};

static bool named(const struct row_filter *f, const char *name)
{
	if (f->count == 0)
		return true;
	for (int i = 0; i < f->count; i++)
		if (!strcmp(f->names[i], name))
			return true;
	return false;
}

static bool flow_wanted(const struct row_filter *f, const struct flow *fl)
{
	const struct model *m = f->m;

	return named(f, fl->name) ||
	       named(f, m->zones[endpoint_zone(m, &fl->from)].name) ||
	       named(f, m->zones[endpoint_zone(m, &fl->to)].name);
}

/* "pair_A_B_new" -> A, B (zone names have no '_'); false otherwise. */
static bool pair_new_counter(const char *name, char *a, char *b, size_t len)
{
	const char *s = name + 5, *sep, *end;

	if (strncmp(name, "pair_", 5) || !(sep = strchr(s, '_')) ||
	    !(end = strchr(sep + 1, '_')) || strcmp(end, "_new"))
		return false;
	snprintf(a, len, "%.*s", (int)(sep - s), s);
	snprintf(b, len, "%.*s", (int)(end - sep - 1), sep + 1);
	return true;
}

/* Only the pairs with a chain have counters (a flow or intra = "accept");
 * the rest share in_A's tail: one denied_drop counter for all of them. */
static void counters_text(const struct row_filter *f,
			  const struct readback *rb, FILE *out)
{
	const struct model *m = f->m;

	fprintf(out, "%-34s %14s %14s\n", "zone pair", "new accepted",
		"dropped pkts");
	for (size_t i = 0; i < rb->counter_count; i++) {
		char a[48], b[48], pair[100];

		if (!pair_new_counter(rb->counters[i].name, a, b, sizeof(a)) ||
		    !(named(f, a) || named(f, b)))
			continue;
		snprintf(pair, sizeof(pair), "%s > %s", a, b);
		fprintf(out, "%-34s %14llu %14llu\n", pair,
			(unsigned long long)rb->counters[i].packets,
			(unsigned long long)pkts(rb, "pair_%s_%s_drop", a, b));
	}
	fprintf(out, "%-34s %14s %14llu\n", "other pairs (shared)", "-",
		(unsigned long long)pkts(rb, "denied_drop"));
	fprintf(out, "\n%-34s %14s\n", "flow", "new accepted");
	for (size_t i = 0; i < m->flow_count; i++)
		if (flow_wanted(f, &m->flows[i]))
			fprintf(out, "%-34s %14llu\n", m->flows[i].name,
				(unsigned long long)pkts(rb, "flow_%s",
							 m->flows[i].name));
	fprintf(out, "\n%-34s %14s %14s %14s\n", "zone", "spoofed pkts",
		"to gateway", "invalid pkts");
	for (size_t z = 0; z < m->zone_count; z++)
		if (named(f, m->zones[z].name))
			fprintf(out, "%-34s %14llu %14llu %14llu\n",
				m->zones[z].name,
				(unsigned long long)pkts(rb, "spoof_%s",
							 m->zones[z].name),
				(unsigned long long)pkts(rb, "mgmt_%s_drop",
							 m->zones[z].name),
				(unsigned long long)pkts(rb, "invalid_%s",
							 m->zones[z].name));
	if (f->count == 0)
		fprintf(out, "\n%-34s %14llu\n", "unzoned (dropped pkts)",
			(unsigned long long)pkts(rb, "unzoned_drop"));
}

/* Whether counter NAME belongs to a wanted row (names as compile.c makes
 * them: pair_A_B_new|drop, flow_F, spoof_Z, invalid_Z, mgmt_Z_drop). */
static bool counter_wanted(const struct row_filter *f, const char *name)
{
	const struct model *m = f->m;
	char want[160];

	if (f->count == 0)
		return true;
	if (!strncmp(name, "pair_", 5)) {
		char base[160], a[48], b[48];
		size_t n = strlen(name);

		/* pair_A_B_drop is wanted with pair_A_B_new */
		if (n > 5 && !strcmp(name + n - 5, "_drop"))
			snprintf(base, sizeof(base), "%.*s_new", (int)(n - 5),
				 name);
		else
			snprintf(base, sizeof(base), "%s", name);
		if (pair_new_counter(base, a, b, sizeof(a)))
			return named(f, a) || named(f, b);
	}
	for (size_t z = 0; z < m->zone_count; z++) {
		const char *za = m->zones[z].name;

		if (named(f, za) &&
		    ((!strncmp(name, "spoof_", 6) && !strcmp(name + 6, za)) ||
		     (!strncmp(name, "invalid_", 8) && !strcmp(name + 8, za)) ||
		     (snprintf(want, sizeof(want), "mgmt_%s_drop", za),
		      !strcmp(name, want))))
			return true;
	}
	for (size_t i = 0; i < m->flow_count; i++)
		if (flow_wanted(f, &m->flows[i]) && !strncmp(name, "flow_", 5) &&
		    !strcmp(name + 5, m->flows[i].name))
			return true;
	return false;
}

static void counters_json(const struct row_filter *f,
			  const struct readback *rb, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_open(&j);
	json_key(&j, "counters");
	json_object_open(&j);
	for (size_t i = 0; i < rb->counter_count; i++) {
		if (!counter_wanted(f, rb->counters[i].name))
			continue;
		json_key(&j, rb->counters[i].name);
		json_object_open(&j);
		json_kuint(&j, "packets", rb->counters[i].packets);
		json_kuint(&j, "bytes", rb->counters[i].bytes);
		json_object_close(&j);
	}
	json_object_close(&j);
	json_object_close(&j);
	fputc('\n', out);
}

/* The names given to counters (the arguments before any option); each
 * must be a zone or a flow of the enforced config. */
static int row_filter_init(struct row_filter *f, const struct daemon *d,
			   const struct control_request *r, FILE *out)
{
	f->m = &d->model;
	f->names = (const char *const *)r->argv;
	f->count = 0;
	for (int i = 0; i < r->argc; i++) {
		const char *name = r->argv[i];
		bool flow = false;

		for (size_t k = 0; k < d->model.flow_count && !flow; k++)
			flow = !strcmp(d->model.flows[k].name, name);
		if (!flow && model_find_zone(&d->model, name) < 0) {
			fprintf(out, "no zone or flow '%s' in the enforced "
				"config (segmentctl names lists them)\n", name);
			return -ENOENT;
		}
		f->count++;
	}
	return 0;
}

static enum control_status cmd_counters(struct daemon *d,
					const struct control_request *r,
					FILE *out)
{
	bool reset = has_arg(r, "--reset");
	struct control_request names = *r;
	struct row_filter filter;
	struct readback rb;
	int err;

	if (!enforcer_ruleset(&d->enf)) {
		fprintf(out, "no ruleset enforced by this daemon\n");
		return CONTROL_FAIL;
	}
	names.argc = 0;     /* the names: the arguments before any option */
	while (names.argc < r->argc && r->argv[names.argc][0] != '-')
		names.argc++;
	if (row_filter_init(&filter, d, &names, out))
		return CONTROL_FAIL;
	err = readback_read(&d->nl, enforcer_table(&d->enf), reset, &rb);
	if (err) {
		fprintf(out, "reading counters: %s\n", strerror(-err));
		return CONTROL_FAIL;
	}
	if (r->json)
		counters_json(&filter, &rb, out);
	else
		counters_text(&filter, &rb, out);
	if (reset && !r->json)
		fputs("(counters reset to zero as they were read)\n", out);
	if (reset)
		log_msg(LOG_NOTICE, "counters reset by segmentctl");
	readback_free(&rb);
	return CONTROL_OK;
}

static void names_json(const struct model *m, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_open(&j);
	matrix_zones_json(&j, m);
	json_key(&j, "flows");
	json_array_open(&j);
	for (size_t i = 0; i < m->flow_count; i++)
		json_str(&j, m->flows[i].name);
	json_array_close(&j);
	json_object_close(&j);
	fputc('\n', out);
}

/* names: the zones and flows of the enforced config, one per line (for
 * shell completion and scripts). */
static enum control_status cmd_names(struct daemon *d,
				     const struct control_request *req,
				     FILE *out)
{
	const struct model *m = &d->model;

	if (req->json) {
		names_json(m, out);
		return CONTROL_OK;
	}
	for (size_t z = 0; z < m->zone_count; z++)
		fprintf(out, "zone %s\n", m->zones[z].name);
	for (size_t i = 0; i < m->flow_count; i++)
		fprintf(out, "flow %s\n", m->flows[i].name);
	return CONTROL_OK;
}

/* Change review: what FILE would change against the running config. */
static enum control_status cmd_diff(struct daemon *d,
				    const struct control_request *r, FILE *out)
{
	struct model cand;
	struct ruleset rs;
	struct diags diags;
	int n;

	if (r->argc < 1 || r->argv[0][0] != '/') {
		fprintf(out, "usage: diff FILE (an absolute path)\n");
		return CONTROL_ERROR;
	}
	diags_init(&diags);
	model_init(&cand);
	/* the one load path, file safety included: a candidate others can
	 * write is refused here as a reload would refuse it */
	policy_load(r->argv[0], time(NULL), &cand, &rs, &diags);
	ruleset_free(&rs);
	n = model_diff(&d->model, &cand, &diags, r->json, out);
	model_free(&cand);
	diags_free(&diags);
	if (n < 0)
		return CONTROL_ERROR;
	return n ? CONTROL_FAIL : CONTROL_OK;
}

static enum control_status cmd_denied(struct daemon *d,
				      const struct control_request *r,
				      FILE *out)
{
	const char *top = arg_value(r, "--top=");
	size_t n = 20;

	for (int i = 0; i + 1 < r->argc; i++)
		if (!strcmp(r->argv[i], "--top"))
			top = r->argv[i + 1];
	if (top)
		n = strtoul(top, NULL, 10);
	if (!d->denied) {
		fprintf(out, "%s\n", r->json ? "[]" : "denied traffic is not "
			"followed (logging or the monitor off, degraded, or the "
			"NFLOG group held by another reader)");
		return CONTROL_FAIL;
	}
	denied_render(d->denied, out, r->json, n ? n : SIZE_MAX);
	return CONTROL_OK;
}

/* The commands whose answer is text only (the ruleset as nft text, the
 * Prometheus exposition, commit-confirmed reloads). */
static bool text_only(const struct control_request *r)
{
	if (!strcmp(r->verb, "show") || !strcmp(r->verb, "metrics") ||
	    !strcmp(r->verb, "confirm"))
		return true;
	for (int i = 0; !strcmp(r->verb, "reload") && i < r->argc; i++)
		if (!strcmp(r->argv[i], "--confirm"))
			return true;
	return false;
}

/* --json for those: one object with the outcome and the text. */
static enum control_status text_as_json(struct daemon *d,
					const struct control_request *r,
					uid_t uid, FILE *out)
{
	static const char *const outcome[] = { "ok", "fail", "error" };
	struct control_request plain = *r;
	enum control_status st = CONTROL_ERROR;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	plain.json = false;
	if (f) {
		st = daemon_control(d, &plain, uid, f);
		fclose(f);
	}
	json_init(&j, out);
	json_object_open(&j);
	json_kstr(&j, "command", r->verb);
	json_kstr(&j, "result", f && st < CONTROL_STATUS_MAX ? outcome[st]
							     : "error");
	json_key(&j, "text");
	if (text)
		json_strn(&j, text, len);
	else
		json_str(&j, "out of memory");
	json_object_close(&j);
	fputc('\n', out);
	free(text);
	return f ? st : CONTROL_ERROR;
}

/* The verbs, each answering one request into out.  control_parse checks
 * only a verb's form: one not listed here is refused below. */
static const struct verb {
	const char *name;
	enum control_status (*run)(struct daemon *d,
				   const struct control_request *req,
				   FILE *out);
} verbs[] = {
	{ "status", cmd_status },
	{ "reload", cmd_reload },
	{ "confirm", daemon_confirm },
	{ "check", cmd_check },
	{ "show", cmd_show },
	{ "verify", cmd_verify },
	{ "matrix", cmd_matrix },
	{ "counters", cmd_counters },
	{ "names", cmd_names },
	{ "audit", daemon_audit },
	{ "metrics", daemon_metrics },
	{ "diff", cmd_diff },
	{ "denied", cmd_denied },
	{ "ct-audit", daemon_ct_audit },
	{ "events", cmd_events },
	{ "version", cmd_version },
};

enum control_status daemon_control(void *ctx, const struct control_request *r,
				   uid_t uid, FILE *out)
{
	struct daemon *d = ctx;

	if (r->json && text_only(r))
		return text_as_json(d, r, uid, out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(r->verb, verbs[i].name))
			return verbs[i].run(d, r, out);
	fprintf(out, "unknown command '%s'\n", r->verb);
	return CONTROL_ERROR;
}
