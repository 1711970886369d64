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
#include "sha256.h"

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

static void now_mono(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

/* SHA-256 over every config file read (main file and includes). */
static void config_digest(const struct model *m, uint8_t out[32])
{
	struct sha256 s;
	char buf[8192];

	sha256_init(&s);
	for (size_t i = 0; i < m->file_count; i++) {
		FILE *f = fopen(m->files[i], "re");
		size_t n;

		if (!f)
			continue;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			sha256_update(&s, buf, n);
		fclose(f);
	}
	sha256_final(&s, out);
}

/* nl->mute: out of the nftables event group during a full apply's commit
 * (no notification per element inside the kernel's commit, none to read
 * back), in again before its read-back; enforce.c's generation check and
 * read-back see what another process did meanwhile, the confirming
 * comparison after a restore sees the other table. */
static void mute_watch(void *ctx, bool on)
{
	struct daemon *d = ctx;

	if (on)
		watch_pause(&d->watch);
	else if (watch_resume(&d->watch) && watch_resume(&d->watch))
		log_msg(LOG_ERR, "re-joining the nftables event group failed "
			"twice: drift is no longer seen as it happens, only "
			"by the periodic verification");
}

/* A full apply of rs (and guard, if any) with the event group muted
 * around each commit. */
static int enforce_quietly(struct daemon *d, const struct ruleset *rs,
			   const struct ruleset *guard, struct diags *diags,
			   struct fingerprint *expected,
			   struct fingerprint *guard_expected)
{
	int err;

	d->nl.mute = d->watch.sock ? mute_watch : NULL;
	d->nl.mute_ctx = d;
	err = enforce_apply_pair(&d->nl, rs, guard, diags, &d->level,
				 expected, guard_expected);
	d->nl.mute = NULL;
	return err;
}

/* The lockdown table has no flows, and admits new connections to the
 * gateway unmarked: it gets no guard. */
static bool wants_guard(const struct ruleset *rs)
{
	return ruleset_find_set(rs, "flow_marks") != NULL;
}

/* The new compiled ruleset (and guard) equal the ones last verified in the
 * kernel, and no restore is due: there is nothing to commit.  The
 * watchdog keeps defending the table against the same expected state. */
static bool unchanged(const struct daemon *d, const struct ruleset *rs,
		      const struct ruleset *guard)
{
	if (!d->have_rs || d->dirty || !ruleset_equal(rs, &d->rs))
		return false;
	if (!guard)
		return !d->have_guard;
	return d->have_guard && ruleset_equal(guard, &d->guard);
}

/* The equal ruleset is taken all the same: its origins point into the
 * model that replaces the old one. */
static void take_unchanged(struct daemon *d, struct ruleset *rs,
			   struct ruleset *guard)
{
	ruleset_free(&d->rs);
	d->rs = *rs;
	if (guard) {
		ruleset_free(&d->guard);
		d->guard = *guard;
	}
	d->dirty = false;
	malloc_trim(0);    /* what parsing the config left behind */
}

/* Programs rs (and its guard); on success they become what we enforce and
 * verify against: the state computed from them, which the kernel was just
 * shown to hold.  A commit the kernel does not hold as compiled fails,
 * and the previous ruleset (if any) is programmed again: it stays the
 * baseline. */
int daemon_enforce(struct daemon *d, struct ruleset *rs, struct diags *diags)
{
	struct fingerprint expected = { 0 }, guard_expected = { 0 };
	bool guarded = wants_guard(rs);
	/* no flow marks before (start, lockdown): sweep stale ones */
	bool sweep = guarded && (!d->have_rs || !d->have_guard);
	uint32_t *gone = NULL;
	int ngone = 0;
	struct ruleset guard;
	int err = guarded ? ruleset_compile_guard(rs, &guard) : 0;

	if (err)
		return err;
	d->unchanged = unchanged(d, rs, guarded ? &guard : NULL);
	if (d->unchanged) {
		take_unchanged(d, rs, guarded ? &guard : NULL);
		return 0;
	}
	err = enforce_quietly(d, rs, guarded ? &guard : NULL, diags,
			      &expected, &guard_expected);
	if ((err == -EPROTO || err == -EAGAIN) && d->have_rs) {
		struct diags again;

		diags_init(&again);
		if (enforce_quietly(d, &d->rs, d->have_guard ? &d->guard : NULL,
				    &again, &d->expected, &d->guard_expected))
			d->dirty = true;    /* the restore path retries */
		log_diags(&again);
		diags_free(&again);
	}
	if (err) {
		if (guarded)
			ruleset_free(&guard);
		return err;
	}
	if (!guarded) {   /* a guard left from a run with a valid config
			   * would drop what the lockdown admits */
		char name[RS_NAME_MAX + 8];

		ruleset_guard_name(rs->table, name, sizeof(name));
		nft_remove_table(&d->nl, name, diags);
	}
	if (d->have_rs && (ngone = ctaudit_marks_removed(&d->rs, rs, &gone)) < 0)
		ngone = 0;   /* ENOMEM: the start sweep of the next run */
	if (d->have_rs)
		ruleset_free(&d->rs);
	if (d->have_guard) {
		/* a renamed table: its old guard is ours (owned), no one
		 * else could delete it, and its frozen flow marks would drop
		 * what the new table admits */
		if (guarded && strcmp(d->guard.table, guard.table))
			nft_remove_table(&d->nl, d->guard.table, diags);
		ruleset_free(&d->guard);
	}
	d->rs = *rs;
	d->have_rs = true;
	d->expected = expected;
	d->have_guard = guarded;
	if (guarded) {
		d->guard = guard;
		d->guard_expected = guard_expected;
		watch_guard(&d->watch, guard.table);
	}
	d->last_apply = time(NULL);
	d->dirty = false;
	/* Connections of revoked flows are cut now, so that conntrackd
	 * tells the peer and re-adding the flow revives nothing. */
	if (ngone > 0)
		daemon_ct_revoke(d, gone, (size_t)ngone);
	else if (sweep)
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

int daemon_apply_file(struct daemon *d, const char *path, const char *why,
		      struct diags *diags)
{
	struct model m;
	struct ruleset rs;
	int err;

	model_init(&m);
	err = policy_load(path, time(NULL), &m, &rs, diags);
	if (err) {
		model_free(&m);
		return -EINVAL;
	}
	if (d->have_rs && strcmp(rs.table, d->rs.table))
		diags_add(diags, DIAG_WARNING, NULL, 0, "the table name "
			  "changed from '%s' to '%s': the old table stays "
			  "until removed by hand", d->rs.table, rs.table);
	err = daemon_enforce(d, &rs, diags);
	if (err) {
		ruleset_free(&rs);
		model_free(&m);
		return err;
	}
	model_free(&d->model);
	d->model = m;
	d->degraded = false;
	config_digest(&d->model, d->config_digest);
	if (d->unchanged)
		log_msg(LOG_NOTICE, "%s: table '%s' unchanged from %s (%zu "
			"set elements): nothing committed", why, d->rs.table,
			path, ruleset_element_count(&d->rs));
	else
		log_msg(LOG_NOTICE, "%s: table '%s' programmed from %s (%zu "
			"zones, %zu flows, %zu set elements, %s)", why,
			d->rs.table, path, d->model.zone_count,
			d->model.flow_count, ruleset_element_count(&d->rs),
			d->level == PROTECTION_OWNED ? "owned" :
						       "watchdog-only");
	daemon_arm_expiry(d);
	daemon_arm_verify(d);
	daemon_scan_hooks(d);
	daemon_snapshot(d);
	daemon_denied_follow(d);
	daemon_peer_follow(d);
	return 0;
}

int daemon_fail_closed(struct daemon *d)
{
	const char *table = "segmentd";
	struct diags diags;
	struct ruleset rs;
	int err;

	diags_init(&diags);
	d->degraded = true;
	err = nft_adopt(&d->nl, table, &diags);
	if (!err) {
		log_msg(LOG_ERR, "config invalid: keeping the ruleset already "
			"enforced in table '%s'", table);
		daemon_event(d, EV_LOCKDOWN, "config invalid at start: kept "
			     "the existing table '%s'", table);
		{
			bool exists;
			uint32_t flags = 0;

			table_probe(&d->nl, table, &exists, &flags);
			d->level = (flags & NFT_TABLE_F_OWNER) ?
				   PROTECTION_OWNED : PROTECTION_UNOWNED;
		}
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

/* The moment enforcement was back: the last commit of this restore, or
 * `done` when nothing was committed after the detection. */
static const struct timespec *restore_end(const struct daemon *d,
					  const struct timespec *done)
{
	const struct timespec *c = &d->nl.committed_at;

	return ms_between(&d->detected, c) >= 0 ? c : done;
}

/* Re-asserts what we enforce, in one transaction (the same in-place path
 * as any apply: only what differs changes meaning). */
/* full: re-apply everything (a verification found a difference no event
 * described); otherwise repair what the events named, if they can. */
static void restore(struct daemon *d, const char *why, bool full)
{
	struct diags diags;
	struct timespec done, guard_at = { 0, 0 };
	bool guard_back = false;
	char guard_text[48] = "";
	struct event *e;
	int err;

	if (!d->have_rs)
		return;
	diags_init(&diags);
	interruptible(d, true);
	/* The guard first: one tiny commit, and nothing new is forwarded
	 * while the main table is put back (`nft flush ruleset`). */
	err = d->have_guard && (full || d->watch.delta.guard) ?
	      enforce_apply(&d->nl, &d->guard, &diags, &d->level,
			    &d->guard_expected) : 0;
	if (err == -EAGAIN || err == -ECANCELED)
		goto overtaken;
	if (!err && d->have_guard && (full || d->watch.delta.guard)) {
		guard_back = true;   /* nothing new passes from here on */
		guard_at = d->nl.committed_at;
	}
	if (!err && !full && d->watch.delta.guard && !d->watch.delta.main) {
		watch_reset_delta(&d->watch);   /* the guard alone */
		goto restored;
	}
	full = full || (!d->watch.delta.chain_count &&
			!d->watch.delta.elem_count);   /* nothing named */
	err = err ?: full ? -EAGAIN : nft_repair(&d->nl, &d->rs,
			d->expected.flags, &d->watch.delta, &diags);
	if (err == -ECANCELED)
		goto overtaken;
	if (err) {     /* structural, too much, or refused: all of it */
		diags_free(&diags);
		diags_init(&diags);
		full = true;
		/* verified against the compiled ruleset at once: a restore
		 * the kernel does not hold as compiled has failed */
		err = enforce_quietly(d, &d->rs, NULL, &diags, &d->expected,
				      NULL);
	}
	watch_reset_delta(&d->watch);
restored:
	now_mono(&done);
	d->last_restore = done;
overtaken:
	interruptible(d, false);
	/* overtaken by more drift (or its read-back cut short by it): not
	 * a failure */
	if (err == -EAGAIN || err == -ECANCELED) {
		log_msg(LOG_NOTICE, "drift: table '%s' changed again while it "
			"was restored; restoring again", d->rs.table);
		diags_free(&diags);
		timer_set(d->restore_fd, err == -ECANCELED ? 1 :
			  RESTORE_MIN_GAP_MS, 0);
		return;
	}
	d->dirty = false;
	e = event_new(d, err ? EV_RESTORE_FAILED : EV_RESTORE);
	/* restore_ms ends when enforcement is back (the restoring commit),
	 * not after the read-back that confirms it (seconds at 100k) */
	e->restore_ms = ms_between(&d->detected, restore_end(d, &done));
	if (guard_back && ms_between(&d->detected, &guard_at) >= 0)
		snprintf(guard_text, sizeof(guard_text), "guard back after "
			 "%.3f ms", ms_between(&d->detected, &guard_at));
	snprintf(e->text, sizeof(e->text), "%s: %s in %.3f ms (%s%sverified "
		 "after %.3f ms)", why, err ? "restore FAILED" : "restored",
		 e->restore_ms, guard_text, guard_text[0] ? "; " : "",
		 ms_between(&d->detected, &done));
	if (err) {
		log_diags(&diags);
		log_msg(LOG_ERR, "drift: restoring table '%s' failed: %s; "
			"trying again", d->rs.table, strerror(-err));
		d->dirty = true;     /* the timer brings us back */
		timer_set(d->restore_fd, RESTORE_MIN_GAP_MS * 10, 0);
	} else {
		d->restore_count++;
		log_msg(LOG_NOTICE, "drift: table '%s' restored in %.3f ms%s%s%s",
			d->rs.table, e->restore_ms, full ? "" :
			" (only what changed)", guard_text[0] ? "; " : "",
			guard_text);
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

static void on_change(void *ctx, const struct watch_change *c)
{
	struct daemon *d = ctx;
	struct event *e = event_new(d, EV_DRIFT);

	e->pid = c->pid;
	snprintf(e->comm, sizeof(e->comm), "%s", c->comm);
	snprintf(e->text, sizeof(e->text), "table '%s' changed by %s "
		 "(pid %u), generation %u: %s", d->rs.table,
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
			d->rs.table);
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
			"verifying table '%s' in full", d->rs.table);
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

/* The guard table as it was programmed (true when there is none). */
static bool guard_intact(struct daemon *d)
{
	struct fingerprint now;

	return !d->have_guard ||
	       (!fingerprint_read(&d->nl, d->guard.table, &now) &&
		fingerprint_equal(&now, &d->guard_expected));
}

int daemon_verify(struct daemon *d, const char *why)
{
	struct fingerprint now;
	int err;

	bool intact;

	if (!d->have_rs)
		return -ENOENT;
	interruptible(d, true);
	err = fingerprint_read(&d->nl, d->rs.table, &now);
	intact = !err && guard_intact(d);
	interruptible(d, false);
	if (err == -ECANCELED || d->nl.qsock == NULL)
		return -ECANCELED;   /* drift meanwhile: the restore is due */
	if (err) {
		log_msg(LOG_WARNING, "%s: reading table '%s': %s", why,
			d->rs.table, strerror(-err));
		return err;
	}
	malloc_trim(0);     /* the dump's buffers */
	if (fingerprint_equal(&now, &d->expected) && intact) {
		/* whatever the events said (or lost), the table is ours */
		watch_reset_delta(&d->watch);
		d->dirty = false;
		return 1;
	}
	d->drift_count++;
	daemon_event(d, EV_DRIFT, "%s: table '%s' %s (no event named the "
		     "change)", why, d->rs.table,
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
	uint32_t flags, want, gflags;
	bool exists, gexists, main_bad, guard_bad = false;

	timer_ack(fd);
	if (!d->have_rs || table_probe(&d->nl, d->rs.table, &exists, &flags))
		return;
	/* nftables hooks elsewhere announce themselves by events; tc and
	 * XDP do not: look again every 10 ticks anyway */
	if (d->watch.elsewhere || ++d->ticks % 10 == 0) {
		d->watch.elsewhere = false;
		daemon_scan_hooks(d);
	}
	want = d->expected.flags;
	main_bad = !exists || flags != want;
	/* both tables, whichever is missing: after `flush ruleset` the
	 * guard must come back first, in its own tiny commit */
	if (d->have_guard && !table_probe(&d->nl, d->guard.table, &gexists,
					  &gflags) &&
	    (!gexists || gflags != d->guard_expected.flags)) {
		d->drift_count++;
		daemon_event(d, EV_DRIFT, "check: guard table '%s' %s",
			     d->guard.table, gexists ? "has other flags" :
			     "is missing");
		log_msg(LOG_WARNING, "drift: guard table '%s' %s (no event)",
			d->guard.table, gexists ? "flags changed" : "vanished");
		d->watch.delta.guard = true;
		guard_bad = true;
	}
	if (main_bad) {
		d->drift_count++;
		daemon_event(d, EV_DRIFT, "check: table '%s' %s", d->rs.table,
			     exists ? "has other flags" : "is missing");
		log_msg(LOG_WARNING, "drift: table '%s' %s (no event)",
			d->rs.table, exists ? "flags changed" : "vanished");
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
	err = bypass_scan(&d->nl, d->have_rs ? d->rs.table : "segmentd",
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
	time_t since = d->have_rs ? d->rs.compiled_at : 0, next = 0;

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
	time_t since = d->have_rs ? d->rs.compiled_at : now;

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
	if (!d->have_rs || !expiry_due(d, now)) {
		daemon_arm_expiry(d);
		return;
	}
	before = d->rs.compiled_at;
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
