/* metrics.c - the facts and our counters in the Prometheus text exposition
 * format 0.0.4, for node_exporter's textfile collector (see
 * systemd/segmentd-metrics.service).  Every family has # HELP and # TYPE;
 * a labelled family with no sample is left out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "policy_digest.h"

/* A family of our named counters: NAME = prefix + labels joined by '_' +
 * suffix.  Zone and flow names never contain '_', so the split is exact. */
struct counter_family {
	const char *metric, *help;
	const char *prefix, *suffix;
	const char *labels[2];       /* label names, NULL after the last */
};

static const struct counter_family families[] = {
	{ "segmentd_pair_new_connections_total",
	  "Connections opened from one zone to another (pair_A_B_new).",
	  "pair_", "_new", { "from", "to" } },
	{ "segmentd_pair_dropped_packets_total",
	  "Packets dropped between two zones (pair_A_B_drop).",
	  "pair_", "_drop", { "from", "to" } },
	{ "segmentd_flow_new_connections_total",
	  "Connections opened by each flow of the config (flow_NAME).",
	  "flow_", "", { "flow", NULL } },
	{ "segmentd_spoofed_packets_total",
	  "Packets from a zone interface with a source outside the zone "
	  "(spoof_Z).", "spoof_", "", { "zone", NULL } },
	{ "segmentd_invalid_packets_total",
	  "Packets conntrack found INVALID (no state: e.g. after a failover "
	  "without state sync), dropped and counted apart from the policy "
	  "denials, by incoming zone (invalid_Z).", "invalid_", "",
	  { "zone", NULL } },
	{ "segmentd_gateway_dropped_packets_total",
	  "Packets to the gateway itself dropped, by zone (mgmt_Z_drop).",
	  "mgmt_", "_drop", { "zone", NULL } },
	{ "segmentd_other_pairs_dropped_packets_total",
	  "Packets dropped between zones without a flow, all pairs together "
	  "(denied_drop).", "denied_drop", "", { NULL, NULL } },
	{ "segmentd_unzoned_dropped_packets_total",
	  "Packets dropped from or to interfaces in no zone (unzoned_drop).",
	  "unzoned_drop", "", { NULL, NULL } },
};

#define FAMILY_COUNT (sizeof(families) / sizeof(families[0]))

static void header(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *out, const char *name, const char *help,
		  long long value)
{
	header(out, name, "gauge", help);
	fprintf(out, "%s %lld\n", name, value);
}

static void counter(FILE *out, const char *name, const char *help,
		    unsigned long long value)
{
	header(out, name, "counter", help);
	fprintf(out, "%s %llu\n", name, value);
}

/* name="value" with \, " and newline escaped (len bytes of value). */
static void label(FILE *out, const char *name, const char *value, size_t len)
{
	fprintf(out, "%s=\"", name);
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\\' || value[i] == '"')
			fprintf(out, "\\%c", value[i]);
		else if (value[i] == '\n')
			fputs("\\n", out);
		else
			fputc(value[i], out);
	}
	fputc('"', out);
}

/* Does name belong to fam?  *mid, *len: the part between prefix and
 * suffix: empty without labels, one name, or two names around one '_'. */
static bool member(const struct counter_family *fam, const char *name,
		   const char **mid, size_t *len)
{
	size_t n = strlen(name), p = strlen(fam->prefix),
	       s = strlen(fam->suffix);
	const char *us, *end;

	if (n < p + s || strncmp(name, fam->prefix, p) ||
	    strcmp(name + n - s, fam->suffix))
		return false;
	*mid = name + p;
	*len = n - p - s;
	end = *mid + *len;
	us = memchr(*mid, '_', *len);
	if (!fam->labels[0])
		return *len == 0;
	if (!fam->labels[1])
		return *len > 0 && !us;
	return us && us > *mid && us + 1 < end &&
	       !memchr(us + 1, '_', (size_t)(end - us - 1));
}

static void sample(FILE *out, const struct counter_family *fam,
		   const struct rb_counter *c, const char *mid, size_t len)
{
	const char *us = memchr(mid, '_', len);

	fputs(fam->metric, out);
	if (fam->labels[0]) {
		fputc('{', out);
		label(out, fam->labels[0], mid, us ? (size_t)(us - mid) : len);
		if (us) {
			fputc(',', out);
			label(out, fam->labels[1], us + 1,
			      len - (size_t)(us - mid) - 1);
		}
		fputc('}', out);
	}
	fprintf(out, " %llu\n", (unsigned long long)c->packets);
}

static void counters(FILE *out, const struct readback *rb)
{
	const char *mid;
	size_t len;

	for (size_t f = 0; rb && f < FAMILY_COUNT; f++) {
		const struct counter_family *fam = &families[f];
		bool any = false;

		for (size_t i = 0; i < rb->counter_count; i++) {
			const struct rb_counter *c = &rb->counters[i];

			if (!member(fam, c->name, &mid, &len))
				continue;
			if (!any)
				header(out, fam->metric, "counter", fam->help);
			any = true;
			sample(out, fam, c, mid, len);
		}
	}
}

static bool touches_isolated(const struct model *m, const struct flow *fl)
{
	return m->zones[endpoint_zone(m, &fl->from)].class == ZONE_ISOLATED ||
	       m->zones[endpoint_zone(m, &fl->to)].class == ZONE_ISOLATED;
}

#define EXPIRY_METRIC "segmentd_exception_expiry_timestamp_seconds"

static void expiries(FILE *out, const struct model *m)
{
	bool any = false;

	for (size_t i = 0; m && i < m->flow_count; i++) {
		const struct flow *fl = &m->flows[i];

		if (!fl->has_expiry || !touches_isolated(m, fl))
			continue;
		if (!any)
			header(out, EXPIRY_METRIC, "gauge", "When an exception "
			       "for an isolated zone stops being enforced "
			       "(Unix time).");
		any = true;
		fprintf(out, "%s{", EXPIRY_METRIC);
		label(out, "flow", fl->name, strlen(fl->name));
		fprintf(out, "} %lld\n", (long long)fl->expires);
	}
}

/* The last and the longest successful restore, in seconds. */
static void restore_durations(const struct audit_facts *f, double *last,
			      double *max)
{
	*last = *max = 0;
	for (size_t i = 0; i < f->event_count; i++) {
		const struct audit_event *e = &f->events[i];

		if (!e->kind || strcmp(e->kind, "restore"))
			continue;
		*last = e->restore_ms / 1e3;
		if (*last > *max)
			*max = *last;
	}
}

/* segmentd_policy_info{node,config_sha256,ruleset_sha256,policy_sha256} 1:
 * node is the ha node this host is, else the hostname. */
static void policy_info(FILE *out, const struct audit_facts *f)
{
	const char *node = f->hostname ? f->hostname : "";
	char pol[65] = "";
	int self = -ENOENT;

	if (f->model) {
		model_policy_hex(f->model, pol);
		self = model_ha_self(f->model, NULL, node);
	}
	if (f->peer.node)
		node = f->peer.node;    /* --node, as the peer check found */
	else if (self >= 0)
		node = f->model->ha.nodes[self].name;
	header(out, "segmentd_policy_info", "gauge", "The enforced policy's "
	       "fingerprints (labels); policy_sha256 ignores interface names.");
	fputs("segmentd_policy_info{", out);
	label(out, "node", node, strlen(node));
	fputc(',', out);
	label(out, "config_sha256", f->config_sha256, strlen(f->config_sha256));
	fputc(',', out);
	label(out, "ruleset_sha256", f->ruleset_sha256, strlen(f->ruleset_sha256));
	fputc(',', out);
	label(out, "policy_sha256", pol, strlen(pol));
	fputs("} 1\n", out);
}

/* The peer check's gauges, with an ha group only. */
static void peer_metrics(FILE *out, const struct audit_facts *f)
{
	if (!f->model || !f->model->ha.enabled)
		return;
	gauge(out, "segmentd_ha_peer_check", "1 when the HA peer beacon runs "
	      "(key loaded, socket bound).", f->peer.running);
	gauge(out, "segmentd_ha_peer_heard", "1 when a valid beacon came from "
	      "the peer within 3 s.", f->peer.heard);
	gauge(out, "segmentd_ha_peer_ruleset_same", "1 when the peer is heard "
	      "and enforces the same ruleset_sha256.", f->peer.same);
	if (f->peer.weight_known)
		gauge(out, "segmentd_ha_weight", "The keepalived track_file "
		      "weight written (0, or -254: do not promote).",
		      f->peer.weight);
	counter(out, "segmentd_ha_beacons_refused_total", "Beacons refused "
		"(another key or address, replayed, clock off, malformed).",
		f->peer.refused);
}

void metrics_render(const struct audit_facts *f, const struct readback *rb,
		    FILE *out)
{
	double last, max;

	restore_durations(f, &last, &max);
	gauge(out, "segmentd_up", "segmentd answered (1).", 1);
	gauge(out, "segmentd_degraded", "1 when the config is invalid and a "
	      "fail-closed ruleset is enforced.", f->degraded);
	gauge(out, "segmentd_protection_owned", "1 when the kernel refuses "
	      "changes to the table from other processes.",
	      f->protection && !strcmp(f->protection, "owned"));
	gauge(out, "segmentd_in_sync", "1 when the kernel's table matches what "
	      "segmentd programmed.", f->kernel_read && f->in_sync);
	gauge(out, "segmentd_matrix_differences", "Edges that differ between "
	      "the intended and the enforced zone matrix.",
	      (long long)f->matrix_differences);
	counter(out, "segmentd_drift_events_total", "Changes to the table by "
		"others, detected since start.", f->drift_count);
	counter(out, "segmentd_restores_total", "Restores of the table after a "
		"drift since start.", f->restore_count);
	counter(out, "segmentd_conntrack_revoked_total", "Conntrack entries "
		"of revoked or stale flow marks deleted since start.",
		f->ct_revoked);
	counter(out, "segmentd_conntrack_forged_deleted_total", "Conntrack "
		"entries not fitting their mark's flow deleted by ct-audit "
		"--repair since start.", f->ct_forged);
	header(out, "segmentd_last_restore_duration_seconds", "gauge", "Time "
	       "from detection to restore, last restore in the history.");
	fprintf(out, "segmentd_last_restore_duration_seconds %.6f\n", last);
	header(out, "segmentd_max_restore_duration_seconds", "gauge", "Time "
	       "from detection to restore, longest in the history.");
	fprintf(out, "segmentd_max_restore_duration_seconds %.6f\n", max);
	gauge(out, "segmentd_last_apply_timestamp_seconds", "When the ruleset "
	      "was last programmed (Unix time, 0: never).",
	      (long long)f->last_apply);
	gauge(out, "segmentd_start_timestamp_seconds", "When segmentd started "
	      "(Unix time).", (long long)f->started);
	gauge(out, "segmentd_foreign_hooks", "Hooks outside our table that "
	      "could affect the segmentation.",
	      (long long)f->foreign_hook_count);
	gauge(out, "segmentd_zone_interfaces_missing", "Zone interfaces of the "
	      "config that do not exist.",
	      (long long)f->missing_interface_count);
	policy_info(out, f);
	peer_metrics(out, f);
	counters(out, rb);
	expiries(out, f->model);
}
