/* daemon_keep.c - keeping the ruleset enforced: apply, restore on drift,
 * periodic verification, expiry, and the event history. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctaudit.h"
#include "daemon_internal.h"
#include "enforce.h"
#include "log.h"
#include "notify.h"
#include "policy.h"

static void interruptible(struct daemon *d, bool on);

const char *event_kind_name(enum event_kind k)
{
	static const char *const names[EV_KIND_MAX] = {
		[EV_START] = "start", [EV_RELOAD] = "reload",
		[EV_RELOAD_FAILED] = "reload-failed", [EV_DRIFT] = "drift",
		[EV_RESTORE] = "restore", [EV_RESTORE_FAILED] = "restore-failed",
		[EV_VERIFY] = "verify", [EV_EXPIRY] = "expiry",
		[EV_LOCKDOWN] = "lockdown", [EV_STOP] = "stop",
		[EV_FORGED_STATE] = "forged-state",
	};

	return k < EV_KIND_MAX ? names[k] : "?";
}

static struct event *event_new(struct daemon *d, enum event_kind kind)
{
	struct event *e = &d->events[d->event_count++ % EVENT_RING];

	memset(e, 0, sizeof(*e));
	clock_gettime(CLOCK_REALTIME, &e->when);
	e->kind = kind;
	return e;
}

void daemon_event(struct daemon *d, enum event_kind kind, const char *fmt, ...)
{
	struct event *e = event_new(d, kind);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static bool drift_pending(void *ctx);

static void now_mono(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

/* The enforcer's mute: out of the nftables event group during a full
 * apply's commit (no notification per element inside the kernel's commit,
 * none to read back), in again before its read-back; enforce.c's
 * generation check and read-back see what another process did meanwhile,
 * the confirming comparison after a restore sees the other table. */
static void mute_watch(void *ctx, bool on)
{
	struct daemon *d = ctx;

	if (!d->watch.sock)
		return;     /* not watching (yet): nothing to pause */
	if (on)
		watch_pause(&d->watch);
	else if (watch_resume(&d->watch) && watch_resume(&d->watch))
		log_msg(LOG_ERR, "re-joining the nftables event group failed "
			"twice: drift is no longer seen as it happens, only "
			"by the periodic verification");
}

/* The generation now, after the watch joined the event group (at the
 * start, and at the end of each apply: its commits pause and resume the
 * watch): every later one it sees whole.  Not inside the apply: a
 * request there could be cut short by drift (drift_pending). */
void daemon_watch_observed(struct daemon *d)
{
	uint32_t genid;

	if (d->watch.sock && !nl_genid(&d->nl, &genid))
		watch_observed(&d->watch, genid);
}

void daemon_enforcer_init(struct daemon *d)
{
	enforcer_init(&d->enf, &d->nl);
	enforcer_set_mute(&d->enf, mute_watch, d);
}

/* Programs rs (and its guard) through the enforcer; on success they become
 * what we enforce and verify against: the state computed from them, which
 * the kernel was just shown to hold.  A failed commit leaves the previous
 * ruleset (if any) the baseline; if it could not be put back either, the
 * restore path retries. */
int daemon_enforce(struct daemon *d, struct ruleset *rs, struct diags *diags)
{
	struct enforcer_result r;
	uint32_t *gone = NULL;
	int ngone = 0, err;

	/* the events queued so far: drift makes this apply a restore; other
	 * processes' commits that left our tables alone keep what is known
	 * of them (a reload by difference then reads back only what
	 * changed) */
	drift_pending(d);
	if (d->watch.quiet && enforcer_table(&d->enf) &&
	    !strcmp(d->watch.table, enforcer_table(&d->enf)))
		enforcer_saw_quiet(&d->enf, d->watch.quiet_from,
				   d->watch.quiet_to);
	err = enforcer_apply(&d->enf, rs, d->dirty, diags, &r);
	/* a renamed table is the one to watch from now on */
	if (!err && d->watch.sock)
		watch_table(&d->watch, enforcer_table(&d->enf));
	if (!d->watch.observed)
		daemon_watch_observed(d);

	if (r.restore_due)
		d->dirty = true;    /* the restore path retries */
	log_diags(&r.reapply);
	if (err || r.unchanged) {
		if (!err)
			d->dirty = false;
		enforcer_result_free(&r);
		return err;
	}
	if (r.had_previous && (ngone = ctaudit_marks_removed(&r.previous,
				enforcer_ruleset(&d->enf), &gone)) < 0)
		ngone = 0;   /* ENOMEM: the start sweep of the next run */
	if (r.guard_table)
		watch_guard(&d->watch, r.guard_table);
	enforcer_result_free(&r);
	d->last_apply = time(NULL);
	d->dirty = false;
	/* Connections of revoked flows are cut now, so that conntrackd
	 * tells the peer and re-adding the flow revives nothing. */
	if (ngone > 0)
		daemon_ct_revoke(d, gone, (size_t)ngone);
	else if (r.sweep)
		daemon_ct_sweep(d);
	free(gone);
	/* Parsing and dumping a big config leave tens of MB freed but held
	 * by malloc: give them back, the daemon idles for months. */
	malloc_trim(0);
	return 0;
}

/* Compiles m as of now and programs it.  For the timers (expiry, an
 * unconfirmed reload): no one asked, so what the commit said is logged. */
int daemon_enforce_model(struct daemon *d, const struct model *m, time_t now)
{
	struct diags diags;
	struct ruleset rs;
	int err;

	diags_init(&diags);
	err = ruleset_compile(m, now, &rs);
	if (!err && (err = daemon_enforce(d, &rs, &diags)))
		ruleset_free(&rs);
	log_diags(&diags);
	diags_free(&diags);
	return err;
}

int daemon_apply_loaded(struct daemon *d, struct model *m,
			struct ruleset *rs, const char *path, const char *why,
			struct diags *diags)
{
	int err;

	if (enforcer_table(&d->enf) && strcmp(rs->table,
						enforcer_table(&d->enf)))
		diags_add(diags, DIAG_WARNING, NULL, 0, "the table name "
			  "changed from '%s' to '%s': the old table stays "
			  "until removed by hand", enforcer_table(&d->enf),
			  rs->table);
	err = daemon_enforce(d, rs, diags);
	if (err) {
		ruleset_free(rs);
		model_free(m);
		daemon_load_drop(d);
		return err;
	}
	model_free(&d->model);
	d->model = *m;
	model_init(m);
	/* kept for months: its networks in a few bytes each (-ENOMEM:
	 * they stay as they are) */
	model_pack(&d->model);
	malloc_trim(0);     /* the parse, the old model, the arrays packed */
	d->degraded = false;
	if (enforcer_unchanged(&d->enf))
		log_msg(LOG_NOTICE, "%s: table '%s' unchanged from %s (%zu "
			"set elements): nothing committed", why,
			enforcer_table(&d->enf),
			path, ruleset_element_count(enforcer_ruleset(&d->enf)));
	else if (enforcer_updated(&d->enf))
		log_msg(LOG_NOTICE, "%s: table '%s' updated from %s by its "
			"difference (%zu set(s): %zu element(s) added, %zu "
			"removed; %zu chain(s) rewritten; verified with %zu "
			"of %zu set(s) not dumped, %zu of them confirmed "
			"element by element; %zu set elements, %s)", why,
			enforcer_table(&d->enf), path,
			enforcer_updated(&d->enf)->sets,
			enforcer_updated(&d->enf)->added,
			enforcer_updated(&d->enf)->removed,
			enforcer_updated(&d->enf)->chains,
			enforcer_updated(&d->enf)->unread,
			enforcer_ruleset(&d->enf)->set_count,
			enforcer_updated(&d->enf)->proved,
			ruleset_element_count(enforcer_ruleset(&d->enf)),
			enforcer_level(&d->enf) == PROTECTION_OWNED ?
			"owned" : "watchdog-only");
	else
		log_msg(LOG_NOTICE, "%s: table '%s' programmed from %s (%zu "
			"zones, %zu flows, %zu set elements, %s)", why,
			enforcer_table(&d->enf), path, d->model.zone_count,
			d->model.flow_count,
			ruleset_element_count(enforcer_ruleset(&d->enf)),
			enforcer_level(&d->enf) == PROTECTION_OWNED ?
			"owned" : "watchdog-only");
	daemon_arm_expiry(d);
	daemon_arm_verify(d);
	daemon_scan_hooks(d);
	daemon_snapshot(d, path);
	daemon_denied_follow(d);
	daemon_peer_follow(d);
	return 0;
}

int daemon_apply_file(struct daemon *d, const char *path, const char *root,
		      const char *why, struct diags *diags)
{
	struct model m;
	struct ruleset rs;

	if (daemon_load(d, path, root, &m, &rs, diags))
		return -EINVAL;
	return daemon_apply_loaded(d, &m, &rs, path, why, diags);
}

int daemon_fail_closed(struct daemon *d)
{
	const char *table = "segmentd";
	struct diags diags;
	struct ruleset rs;
	int err;

	diags_init(&diags);
	d->degraded = true;
	daemon_peer_degraded();
	err = enforcer_adopt(&d->enf, table, &diags);
	if (!err) {
		log_msg(LOG_ERR, "config invalid: keeping the ruleset already "
			"enforced in table '%s'", table);
		daemon_event(d, EV_LOCKDOWN, "config invalid at start: kept "
			     "the existing table '%s'", table);
		goto out;
	}
	diags_free(&diags);
	diags_init(&diags);
	err = ruleset_compile_lockdown(table, true, &rs);
	if (!err && (err = daemon_enforce(d, &rs, &diags)))
		ruleset_free(&rs);
	log_diags(&diags);
	if (err) {
		log_msg(LOG_CRIT, "cannot install the lockdown table: %s",
			strerror(-err));
		goto out;
	}
	daemon_arm_verify(d);
	log_msg(LOG_ERR, "config invalid and no table of ours: lockdown "
		"installed (nothing forwarded, the gateway reachable)");
	daemon_event(d, EV_LOCKDOWN, "config invalid at start: lockdown "
		     "table installed");
out:
	diags_free(&diags);
	return err;
}

/* The moment enforcement was back: the main table's commit when it was
 * put back whole (not the removal of an interim table after it), else the
 * last commit of this restore, or `done` when nothing was committed after
 * the detection. */
static const struct timespec *restore_end(const struct daemon *d,
					  const struct enforcer_restore_result *r,
					  const struct timespec *done)
{
	const struct timespec *c = r->main_back ? &r->main_at
						: &d->nl.committed_at;

	return ms_between(&d->detected, c) >= 0 ? c : done;
}

/* Re-asserts what we enforce, in one transaction (the same in-place path
 * as any apply: only what differs changes meaning). */
/* full: re-apply everything (a verification found a difference no event
 * described); otherwise repair what the events named, if they can. */
static void restore(struct daemon *d, const char *why, bool full)
{
	struct diags diags;
	struct timespec done = { 0, 0 };
	struct enforcer_restore_result r;
	const char *table = enforcer_table(&d->enf);
	char guard_text[48] = "", interim_text[80] = "";
	struct event *e;
	int err;

	if (!table)
		return;
	diags_init(&diags);
	interruptible(d, true);
	err = enforcer_restore(&d->enf, full, &d->watch.delta, &diags, &r);
	full = r.full;
	if (r.finished) {
		watch_reset_delta(&d->watch);
		now_mono(&done);
		d->last_restore = done;
	}
	interruptible(d, false);
	/* overtaken by more drift (or its read-back cut short by it): not
	 * a failure */
	if (err == -EAGAIN || err == -ECANCELED) {
		/* A full restore overtaken: what changed while its commit was
		 * muted (those events are drained when the watch re-joins) or
		 * what a verification found unnamed was never confirmed put
		 * back, so the events that come next do not name all of it:
		 * the next restore is full as well, not a repair of them. */
		if (r.full)
			d->watch.delta.overflow = true;
		log_msg(LOG_NOTICE, "drift: table '%s' changed again while it "
			"was restored; restoring again", table);
		diags_free(&diags);
		timer_set(d->restore_fd, err == -ECANCELED ? 1 :
			  RESTORE_MIN_GAP_MS, 0);
		return;
	}
	d->dirty = false;
	e = event_new(d, err ? EV_RESTORE_FAILED : EV_RESTORE);
	/* restore_ms ends when enforcement is back (the restoring commit,
	 * or the interim table's: the same policy), not after the read-back
	 * that confirms it (seconds at 100k) */
	e->restore_ms = ms_between(&d->detected, r.interim && !err ?
				   &r.interim_at : restore_end(d, &r, &done));
	if (r.guard_back && ms_between(&d->detected, &r.guard_at) >= 0)
		snprintf(guard_text, sizeof(guard_text), "guard back after "
			 "%.3f ms", ms_between(&d->detected, &r.guard_at));
	if (r.interim && !err)
		snprintf(interim_text, sizeof(interim_text), "by the interim "
			 "table; main table back after %.3f ms; ",
			 ms_between(&d->detected, restore_end(d, &r, &done)));
	snprintf(e->text, sizeof(e->text), "%s: %s in %.3f ms (%s%s%sverified "
		 "after %.3f ms)", why, err ? "restore FAILED" : "restored",
		 e->restore_ms, interim_text, guard_text,
		 guard_text[0] ? "; " : "", ms_between(&d->detected, &done));
	if (err) {
		log_diags(&diags);
		log_msg(LOG_ERR, "drift: restoring table '%s' failed: %s; "
			"trying again%s", table, strerror(-err), r.interim ?
			" (its interim table removed: the guard holds "
			"meanwhile)" : "");
		d->dirty = true;     /* the timer brings us back */
		timer_set(d->restore_fd, RESTORE_MIN_GAP_MS * 10, 0);
	} else {
		d->restore_count++;
		log_msg(LOG_NOTICE, "drift: table '%s' restored in %.3f ms%s%s%s%s",
			table, e->restore_ms, full ? "" :
			" (only what changed)", r.interim ? " by the interim "
			"table (the same policy), then in full" : "",
			guard_text[0] ? "; " : "", guard_text);
		if (r.interim_left)
			log_msg(LOG_WARNING, "drift: the interim table of '%s' "
				"could not be removed; it enforces the same "
				"policy and is removed at the next apply or "
				"restore",
				table);
		/* A full re-apply is confirmed by a full comparison; a repair
		 * of what the events named is exact by construction. */
		if (full)
			timer_set(d->confirm_fd, CONFIRM_AFTER_RESTORE_MS, 0);
	}
	diags_free(&diags);
}

/* Restores now, or as soon as the minimum gap since the last restore has
 * passed: a tamper storm cannot make us spin, the last word is ours. */
static void schedule_restore(struct daemon *d)
{
	struct timespec now;
	double since;

	if (!d->dirty) {
		d->dirty = true;
		now_mono(&d->detected);
	}
	now_mono(&now);
	since = ms_between(&d->last_restore, &now);
	if (since >= RESTORE_MIN_GAP_MS)
		restore(d, "drift", false);
	else
		timer_set(d->restore_fd,
			  (uint64_t)(RESTORE_MIN_GAP_MS - since) + 1, 0);
}

static void restore_urgent(void *ctx)
{
	struct daemon *d = ctx;

	if (d->dirty)
		schedule_restore(d);
}

/* For the logs: events come for an adopted table too, which is enforced
 * but not known as a ruleset. */
static const char *table_name(const struct daemon *d)
{
	return enforcer_table(&d->enf) ?: "";
}

static void on_change(void *ctx, const struct watch_change *c)
{
	struct daemon *d = ctx;
	struct event *e = event_new(d, EV_DRIFT);

	e->pid = c->pid;
	snprintf(e->comm, sizeof(e->comm), "%s", c->comm);
	snprintf(e->text, sizeof(e->text), "table '%s' changed by %s "
		 "(pid %u), generation %u: %s", table_name(d),
		 c->comm[0] ? c->comm : "?", c->pid, c->genid, c->summary);
	d->drift_count++;
	log_msg(LOG_WARNING, "drift: %s", e->text);
}

/* nl->interrupt while the watchdog reads the kernel back: when the events
 * queued meanwhile say another process changed our tables, cut the read
 * short and restore at once (a read of 400k elements takes seconds, and
 * a table deleted meanwhile would stay deleted that long). */
static bool drift_pending(void *ctx)
{
	struct daemon *d = ctx;
	struct pollfd p = { .fd = d->watch.fd, .events = POLLIN };
	enum watch_result r;

	if (d->watch.fd < 0 || poll(&p, 1, 0) <= 0)
		return false;
	r = watch_read(&d->watch, on_change, d);
	if (r == WATCH_QUIET)
		return false;
	if (r == WATCH_RESYNC)
		log_msg(LOG_WARNING, "nftables events were lost (ENOBUFS) "
			"during a read-back: restoring table '%s' in full",
			table_name(d));
	if (!d->dirty) {
		d->dirty = true;
		now_mono(&d->detected);
	}
	/* as soon as the read has unwound, before any other callback (the
	 * timer is the fallback) */
	loop_urgent(&d->loop, restore_urgent, d);
	timer_set(d->restore_fd, 1, 0);
	return true;
}

static void interruptible(struct daemon *d, bool on)
{
	d->nl.interrupt = on && d->watch.sock ? drift_pending : NULL;
	d->nl.interrupt_ctx = d;
}

void daemon_on_watch(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	enum watch_result r = watch_read(&d->watch, on_change, d);

	if (r == WATCH_DRIFT) {
		schedule_restore(d);
	} else if (r == WATCH_RESYNC) {
		log_msg(LOG_WARNING, "nftables events were lost (ENOBUFS): "
			"verifying table '%s' in full", table_name(d));
		daemon_verify(d, "resync");
	}
}

void daemon_on_restore(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;

	timer_ack(fd);
	if (d->dirty)
		restore(d, "drift", false);
}

int daemon_verify(struct daemon *d, const char *why)
{
	const char *table = enforcer_table(&d->enf);
	struct fingerprint now;
	int err;

	if (!table)
		return -ENOENT;
	interruptible(d, true);
	err = enforcer_verify(&d->enf, &now);
	interruptible(d, false);
	if (err == -ECANCELED)
		return -ECANCELED;   /* drift meanwhile: the restore is due */
	if (err < 0) {
		log_msg(LOG_WARNING, "%s: reading table '%s': %s", why,
			table, strerror(-err));
		return err;
	}
	malloc_trim(0);     /* the dump's buffers */
	if (err == 1) {
		/* whatever the events said (or lost), the table is ours */
		watch_reset_delta(&d->watch);
		d->dirty = false;
		return 1;
	}
	d->drift_count++;
	daemon_event(d, EV_DRIFT, "%s: table '%s' %s (no event named the "
		     "change)", why, table,
		     now.exists ? "differs from what segmentd programmed"
				: "is missing");
	log_msg(LOG_WARNING, "drift: %s", d->events[(d->event_count - 1) %
						     EVENT_RING].text);
	if (!d->dirty) {
		d->dirty = true;
		clock_gettime(CLOCK_MONOTONIC, &d->detected);
	}
	restore(d, why, true);
	return 0;
}

void daemon_on_confirm(struct loop *l, int fd, uint32_t events, void *data)
{
	timer_ack(fd);
	daemon_verify(data, "verify after restore");
}

/* The cheap check: our table is there with the flags we gave it.  Catches
 * what raises no event (a table vanishing with an owner socket, an
 * orphaned persistent table). */
void daemon_on_tick(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	const char *table = enforcer_table(&d->enf);
	const struct ruleset *guard = enforcer_guard(&d->enf);
	uint32_t flags, want, gflags;
	bool exists, gexists, main_bad, guard_bad = false;

	timer_ack(fd);
	if (!table || table_probe(&d->nl, table, &exists, &flags))
		return;
	/* nftables hooks elsewhere announce themselves by events; tc and
	 * XDP do not: look again every 10 ticks anyway */
	if (d->watch.elsewhere || ++d->ticks % 10 == 0) {
		d->watch.elsewhere = false;
		daemon_scan_hooks(d);
	}
	want = enforcer_expected(&d->enf)->flags;
	main_bad = !exists || flags != want;
	/* both tables, whichever is missing: after `flush ruleset` the
	 * guard must come back first, in its own tiny commit */
	if (guard && !table_probe(&d->nl, guard->table, &gexists, &gflags) &&
	    (!gexists || gflags != enforcer_guard_expected(&d->enf)->flags)) {
		d->drift_count++;
		daemon_event(d, EV_DRIFT, "check: guard table '%s' %s",
			     guard->table, gexists ? "has other flags" :
			     "is missing");
		log_msg(LOG_WARNING, "drift: guard table '%s' %s (no event)",
			guard->table, gexists ? "flags changed" : "vanished");
		d->watch.delta.guard = true;
		guard_bad = true;
	}
	if (main_bad) {
		d->drift_count++;
		daemon_event(d, EV_DRIFT, "check: table '%s' %s", table,
			     exists ? "has other flags" : "is missing");
		log_msg(LOG_WARNING, "drift: table '%s' %s (no event)",
			table, exists ? "flags changed" : "vanished");
		d->watch.delta.main = true;
	}
	if (guard_bad || main_bad)
		schedule_restore(d);
}

void daemon_on_full(struct loop *l, int fd, uint32_t events, void *data)
{
	timer_ack(fd);
	daemon_verify(data, "periodic verification");
	daemon_scan_hooks(data);
}

static bool hook_known(const struct hook_report *r, const char *item)
{
	for (size_t i = 0; i < r->count; i++)
		if (!strcmp(r->items[i], item))
			return true;
	return false;
}

static void zone_ifaces(const struct model *m, char ***out, size_t *n)
{
	*n = 0;
	*out = NULL;
	for (size_t z = 0; z < m->zone_count; z++) {
		char **v = realloc(*out, (*n + m->zones[z].interface_count) *
				   sizeof(*v));

		if (!v)
			return;
		*out = v;
		for (size_t i = 0; i < m->zones[z].interface_count; i++)
			v[(*n)++] = m->zones[z].interfaces[i];
	}
}

void daemon_scan_hooks(struct daemon *d)
{
	struct hook_report now = { 0 };
	char **ifaces;
	size_t n;
	int err;

	zone_ifaces(&d->model, &ifaces, &n);
	err = bypass_scan(&d->nl, enforcer_table(&d->enf) ?: "segmentd",
			  ifaces, n, &now);
	free(ifaces);
	if (err) {      /* said once per kind of failure, not every tick */
		if (err != d->hook_scan_err)
			log_msg(LOG_WARNING, "foreign hooks: the nftables scan "
				"failed (%s); the last scan's list is kept",
				strerror(-err));
		d->hook_scan_err = err;
		hook_report_free(&now);
		return;
	}
	d->hook_scan_err = 0;
	for (size_t i = 0; i < now.count; i++)
		if (!hook_known(&d->hooks, now.items[i]))
			log_msg(LOG_WARNING, "foreign hook: %s", now.items[i]);
	hook_report_free(&d->hooks);
	d->hooks = now;
}

/* The first expiry after the enforced ruleset was compiled, armed on the
 * wall clock (an expiry is a date: NTP stepping the clock after boot must
 * not shift it).  An instant already past fires at once. */
void daemon_arm_expiry(struct daemon *d)
{
	const struct ruleset *rs = enforcer_ruleset(&d->enf);
	time_t since = rs ? rs->compiled_at : 0, next = 0;

	for (size_t i = 0; i < d->model.flow_count; i++) {
		const struct flow *f = &d->model.flows[i];

		if (f->has_expiry && f->expires > since &&
		    (!next || f->expires < next))
			next = f->expires;
	}
	timer_set_wall(d->expiry_fd, next);
}

/* Did a flow of the model cross its expiry between the enforced ruleset's
 * compile and now?  (A clock stepped back changes nothing: an expired flow
 * stays out until the next reload, fail closed.) */
static bool expiry_due(const struct daemon *d, time_t now)
{
	const struct ruleset *rs = enforcer_ruleset(&d->enf);
	time_t since = rs ? rs->compiled_at : now;

	for (size_t i = 0; i < d->model.flow_count; i++) {
		const struct flow *f = &d->model.flows[i];

		if (f->has_expiry && f->expires > since && f->expires <= now)
			return true;
	}
	return false;
}

static void expiry_log(struct daemon *d, time_t before, time_t now)
{
	for (size_t i = 0; i < d->model.flow_count; i++) {
		const struct flow *f = &d->model.flows[i];

		if (f->has_expiry && f->expires <= now && f->expires > before) {
			log_msg(LOG_NOTICE, "flow '%s' expired (%s): no longer "
				"allowed", f->name, f->expires_text);
			daemon_event(d, EV_EXPIRY, "flow '%s' expired (%s)",
				     f->name, f->expires_text);
		}
	}
}

void daemon_on_expiry(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	time_t now = time(NULL), before;
	int err;

	if (timer_ack_wall(fd) == -ECANCELED)
		log_msg(LOG_NOTICE, "the system clock was set: flow expiries "
			"checked against the new time");
	if (!enforcer_ruleset(&d->enf) || !expiry_due(d, now)) {
		daemon_arm_expiry(d);
		return;
	}
	before = enforcer_ruleset(&d->enf)->compiled_at;
	err = daemon_enforce_model(d, &d->model, now);
	if (err) {
		log_msg(LOG_ERR, "expiry: the ruleset without the expired "
			"flows could not be programmed: %s; retrying in 5 s",
			strerror(-err));
		timer_set_wall(d->expiry_fd, now + 5);
		return;
	}
	/* logged once the replace is done: the log line means "in force" */
	expiry_log(d, before, now);
	daemon_arm_expiry(d);
}
