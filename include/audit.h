/* audit.h - the self-inspection report (情報セキュリティ監査及び自己点検)
 * and the Prometheus metrics, rendered from facts the daemon gathers.
 * Pure: rendering only, so the report is golden-testable. */
#ifndef SEGMENTD_AUDIT_H
#define SEGMENTD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "model.h"
#include "readback.h"

enum audit_lang { AUDIT_EN, AUDIT_JA, AUDIT_LANG_MAX };

/* One drift or restore, as the daemon recorded it. */
struct audit_event {
	time_t when;
	const char *kind;        /* "drift", "restore", "restore-failed", ... */
	uint32_t pid;            /* who (drift): 0 if unknown */
	const char *process;     /* "" if unknown */
	double restore_ms;       /* restore: detection -> enforcing again */
	const char *text;
};

struct audit_facts {
	const struct model *model;       /* the running config */
	const char *config_path;
	char config_sha256[65];
	time_t now;                      /* report time (expiry math too) */
	const char *hostname;

	bool degraded;                   /* config invalid: fail-closed table */
	bool kernel_read;                /* the table could be read back */
	bool in_sync;                    /* kernel fingerprint == expected */
	char ruleset_sha256[65];
	size_t matrix_edges;             /* intended (source,target,service) */
	size_t matrix_differences;       /* intended vs enforced */

	const char *protection;          /* "owned" or "watchdog-only" */
	time_t started, last_apply;
	const struct audit_event *events;   /* drift/restore history */
	size_t event_count;
	uint64_t drift_count, restore_count;
	uint64_t ct_revoked, ct_forged;   /* conntrack entries deleted */

	char *const *foreign_hooks;
	size_t foreign_hook_count;
	int ip_forward, ip6_forward;     /* 1 on, 0 off, -1 unknown */
	char *const *missing_interfaces; /* zone interfaces not present */
	size_t missing_interface_count;

	/* the HA peer check (with an ha group only) */
	struct {
		bool running;            /* beacon socket and timer up */
		const char *node, *peer; /* ours, the peer's */
		bool heard;              /* a fresh beacon within 3 s */
		bool same;               /* heard, and the same ruleset */
		bool weight_known;
		int weight;              /* the keepalived weight written */
		uint64_t accepted, refused;
	} peer;
};

/* The report, one [PASS]/[FAIL]/[WARN]/[INFO] line per check (details
 * indented below), a result line.  Returns the number of failed checks
 * (0: the exit status may be 0). */
int audit_render(const struct audit_facts *f, enum audit_lang lang, bool json,
		 FILE *out);

/* Prometheus text exposition (for node_exporter's textfile collector). */
void metrics_render(const struct audit_facts *f, const struct readback *rb,
		    FILE *out);

#endif
