/* daemon_internal.h - the daemon's state, shared by daemon.c (loop, start,
 * stop), daemon_keep.c (apply, restore, verify, expiry, events) and
 * daemon_ctl.c (the control commands). */
#ifndef SEGMENTD_DAEMON_INTERNAL_H
#define SEGMENTD_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bypass.h"
#include "denied.h"
#include "control.h"
#include "diag.h"
#include "enforce.h"
#include "fingerprint.h"
#include "loop.h"
#include "model.h"
#include "netlink.h"
#include "nft.h"
#include "peer.h"
#include "ruleset.h"
#include "watch.h"

#define EVENT_RING 128
#define RESTORE_MIN_GAP_MS 10          /* bounds CPU under a tamper storm */
#define CONFIRM_AFTER_RESTORE_MS 100   /* fingerprint check after a restore */

enum event_kind {
	EV_START, EV_RELOAD, EV_RELOAD_FAILED, EV_DRIFT, EV_RESTORE,
	EV_RESTORE_FAILED, EV_VERIFY, EV_EXPIRY, EV_LOCKDOWN, EV_STOP,
	EV_FORGED_STATE, EV_KIND_MAX
};

struct event {
	struct timespec when;            /* CLOCK_REALTIME */
	enum event_kind kind;
	uint32_t pid;                    /* drift: who */
	char comm[64];
	double restore_ms;               /* restore: detection -> done */
	char text[320];
};

/* A reload that waits for `segmentctl confirm` (daemon_confirm.c). */
struct pending_commit {
	bool active;
	struct model model;              /* the config to return to */
	time_t deadline;
	unsigned seconds;
};

/* The HA peer check (daemon_peer.c). */
struct peer_link {
	bool active;                     /* socket and timer running */
	int fd, timer_fd;
	int self, other;                 /* indexes into model.ha.nodes */
	uint8_t key[PEER_KEY_MAX];
	size_t key_len;
	uint64_t seq;                    /* our last beacon's */
	struct peer_replay replay;
	struct peer_beacon last;         /* the peer's last accepted */
	bool heard_ever;
	struct timespec heard;           /* CLOCK_MONOTONIC of it */
	uint64_t sent, received, rejected;
	int last_reject;
	bool send_error;                 /* logged once */
	int weight;                      /* last written, INT_MIN: none */
};

struct daemon {
	const char *config_path;
	const char *node;                /* --node, or NULL: the host name */
	struct nl nl;                    /* owns the table: never closed */
	struct loop loop;
	struct watch watch;
	struct control_server *ctl;
	int sig_fd, tick_fd, full_fd, restore_fd, confirm_fd, expiry_fd,
	    dog_fd;

	/* what we enforce */
	struct model model;
	struct enforcer enf;             /* the ruleset, its guard, expected
					  * state: only through enforce.h */
	bool degraded;                   /* config invalid: lockdown/kept */
	time_t started, last_apply;

	/* drift */
	bool dirty;                      /* a restore is due */
	struct timespec detected;        /* first unrepaired detection */
	struct timespec last_restore;
	uint64_t drift_count, restore_count;
	/* conntrack (daemon_ct.c) */
	uint64_t ct_revoked;             /* entries of revoked/stale marks */
	uint64_t ct_forged;              /* deleted by ct-audit --repair */
	uint64_t ct_errors;              /* deletions that failed */

	struct hook_report hooks;        /* foreign hooks, last scan */
	int hook_scan_err;               /* the last scan's error, 0: none */
	uint64_t ticks;
	struct pending_commit pending;
	struct denied *denied;           /* NFLOG reader of denied packets */
	uint16_t denied_group;
	bool denied_error;               /* last read failed (logged once) */
	int commit_fd;                   /* the confirmation deadline */
	char state_dir[256];             /* the control socket's directory */

	struct peer_link peer;

	struct event events[EVENT_RING];
	size_t event_count;              /* total ever; ring index = % */
};

/* daemon_keep.c */
/* The enforcer over d->nl, muting the watch around its full commits. */
void daemon_enforcer_init(struct daemon *d);
/* Programs rs; on success it becomes what we enforce (rs is taken). */
/* The watch (re)joined the event group: the generation it sees whole
 * from (watch_observed). */
void daemon_watch_observed(struct daemon *d);
int daemon_enforce(struct daemon *d, struct ruleset *rs, struct diags *diags);
/* Compiles m as of now and enforces it, logging the diagnostics. */
int daemon_enforce_model(struct daemon *d, const struct model *m, time_t now);
void daemon_event(struct daemon *d, enum event_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *event_kind_name(enum event_kind k);
/* Loads path (from root, see daemon_load); on success replaces the
 * enforced ruleset.  Errors in diags. */
int daemon_apply_file(struct daemon *d, const char *path, const char *root,
		      const char *why, struct diags *diags);
/* daemon_state.c: the one load of a reload: path (read from root + its
 * absolute path when root is set) staged in STATE_DIR/load, parsed,
 * validated, checked (file safety) and compiled into *m and *rs; -EINVAL
 * (errors in diags, nothing to free) or 0.  What is then checked (SSH),
 * applied, hashed and snapshotted is this parse of these bytes. */
int daemon_load(struct daemon *d, const char *path, const char *root,
		struct model *m, struct ruleset *rs, struct diags *diags);
/* The stage of a load that will not be applied, removed. */
void daemon_load_drop(struct daemon *d);
/* Applies a loaded config: on success *m and *rs become what is enforced;
 * on failure they are freed.  path and why are for the log. */
int daemon_apply_loaded(struct daemon *d, struct model *m,
			struct ruleset *rs, const char *path, const char *why,
			struct diags *diags);
/* Start-up when the config is invalid: keep our table if it exists
 * (adopted), else install the lockdown table. */
int daemon_fail_closed(struct daemon *d);
void daemon_on_watch(struct loop *l, int fd, uint32_t events, void *data);
void daemon_on_tick(struct loop *l, int fd, uint32_t events, void *data);
void daemon_on_full(struct loop *l, int fd, uint32_t events, void *data);
void daemon_on_restore(struct loop *l, int fd, uint32_t events, void *data);
void daemon_on_confirm(struct loop *l, int fd, uint32_t events, void *data);
void daemon_on_expiry(struct loop *l, int fd, uint32_t events, void *data);
/* Compares the kernel with what we programmed now; restores on drift.
 * Returns 1 if it matched, 0 if it did not (and was restored), -errno. */
int daemon_verify(struct daemon *d, const char *why);
void daemon_arm_expiry(struct daemon *d);
/* Rescans foreign hooks; logs a WARNING for each one not seen before. */
void daemon_scan_hooks(struct daemon *d);
double ms_between(const struct timespec *a, const struct timespec *b);

/* daemon.c */
void daemon_arm_verify(struct daemon *d);
/* Reloads the config file: one load, then (ssh set) the SSH lock-out
 * check of that same parse into ssh_out, then its apply. */
int daemon_reload(struct daemon *d, const char *ssh, FILE *ssh_out,
		  struct diags *diags);

/* daemon.c: (re)opens the denied-traffic monitor on the configured group */
void daemon_denied_follow(struct daemon *d);

/* daemon_confirm.c */
enum control_status daemon_reload_confirmed(struct daemon *d, unsigned secs,
					    const char *ssh, FILE *out);
/* The control verbs of other files take the request like all verbs
 * (daemon_ctl.c: the table), used or not. */
enum control_status daemon_confirm(struct daemon *d,
				   const struct control_request *req, FILE *out);
void daemon_on_commit_timeout(struct loop *l, int fd, uint32_t ev, void *data);
/* Warns (into out) when the SSH session "IP,PORT" would be cut off by m. */
void daemon_ssh_check(const struct model *m, const char *ssh, FILE *out);

/* daemon_state.c */
/* Start-up: a reload left unconfirmed by a previous daemon is reverted:
 * returns the main file of the config to load instead (into buf), to be
 * read from the rollback copy (its directory into root), or NULL. */
const char *daemon_pending_rollback(struct daemon *d, char *buf, size_t len,
				    char *root, size_t root_len);
void daemon_rollback_clear(struct daemon *d);
/* The applied copy becomes the rollback, with its deadline. */
int daemon_rollback_save(struct daemon *d, time_t deadline);
/* Reverted (or the apply failed): the rollback is the applied copy again. */
void daemon_rollback_restore(struct daemon *d);
/* The stage of the load just applied (main file path) becomes
 * STATE_DIR/applied. */
void daemon_snapshot(struct daemon *d, const char *path);

/* daemon_report.c */
enum control_status daemon_audit(struct daemon *d,
				 const struct control_request *req, FILE *out);
enum control_status daemon_metrics(struct daemon *d,
				   const struct control_request *req, FILE *out);

/* daemon_ct.c */
/* Deletes the conntrack entries carrying one of marks (revoked flows). */
void daemon_ct_revoke(struct daemon *d, const uint32_t *marks, size_t n);
/* Deletes entries with a mark of ours that no enforced flow has. */
void daemon_ct_sweep(struct daemon *d);
enum control_status daemon_ct_audit(struct daemon *d,
				    const struct control_request *r, FILE *out);

/* daemon_peer.c */
void daemon_peer_init(struct daemon *d);
/* (Re)starts the peer check for the enforced model's ha group (stops it
 * when there is none). */
void daemon_peer_follow(struct daemon *d);
/* Stops it; the weight file says "do not promote" (nothing watches the
 * table once the daemon is gone). */
void daemon_peer_stop(struct daemon *d);
/* At a start on an invalid config: the default weight file, if it exists,
 * says "do not promote". */
void daemon_peer_degraded(void);
/* A fresh beacon from the peer within the last 3 s. */
bool daemon_peer_heard(const struct daemon *d);
/* `segmentctl status`: the peer lines (nothing without an ha group), and
 * the "peer" member of its JSON (null without a peer check). */
struct json;
struct audit_facts;
void daemon_peer_status(const struct daemon *d, FILE *out);
/* Fills f->peer for the audit and the metrics. */
void daemon_peer_facts(const struct daemon *d, struct audit_facts *f);
void daemon_peer_json(const struct daemon *d, struct json *j);

/* daemon_ctl.c */
enum control_status daemon_control(void *ctx, const struct control_request *r,
				   uid_t uid, FILE *out);

#endif
