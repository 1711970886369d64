/* daemon_report.c - the facts behind `segmentctl audit` and `metrics`,
 * gathered from the daemon's state and read back from the kernel. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "daemon_internal.h"
#include "matrix.h"
#include "sha256.h"

struct report {
	struct audit_facts f;
	struct audit_event ev[EVENT_RING];
	char **missing;
	size_t missing_count;
	char host[256];
	struct readback rb;
	bool have_rb;
};

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		/* NOLINTNEXTLINE(cert-err34-c): a sysctl, 0 or 1 */
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void missing_interfaces(const struct model *m, struct report *r)
{
	for (size_t z = 0; z < m->zone_count; z++)
		for (size_t i = 0; i < m->zones[z].interface_count; i++) {
			const char *ifname = m->zones[z].interfaces[i];
			char **v;

			if (if_nametoindex(ifname))
				continue;
			v = realloc(r->missing, (r->missing_count + 1) *
				    sizeof(*v));
			if (!v)
				return;
			r->missing = v;
			v[r->missing_count] = strdup(ifname);
			if (v[r->missing_count])
				r->missing_count++;
		}
}

static void history(const struct daemon *d, struct report *r)
{
	size_t n = d->event_count < EVENT_RING ? d->event_count : EVENT_RING;

	for (size_t i = d->event_count - n; i < d->event_count; i++) {
		const struct event *e = &d->events[i % EVENT_RING];
		struct audit_event *a;

		if (e->kind != EV_DRIFT && e->kind != EV_RESTORE &&
		    e->kind != EV_RESTORE_FAILED)
			continue;
		a = &r->ev[r->f.event_count++];
		a->when = e->when.tv_sec;
		a->kind = event_kind_name(e->kind);
		a->pid = e->pid;
		a->process = e->comm;
		a->restore_ms = e->restore_ms;
		a->text = e->text;
	}
	r->f.events = r->ev;
}

/* The kernel side: fingerprint and enforced matrix, read back now. */
static void kernel_side(struct daemon *d, struct report *r)
{
	struct matrix intended, enforced;
	struct fingerprint now;

	const char *table = enforcer_table(&d->enf);
	int same;

	if (!table)
		return;
	same = enforcer_check(&d->enf, &now);
	r->f.kernel_read = same >= 0;
	r->f.in_sync = same == 1;
	sha256_hex(enforcer_expected(&d->enf)->digest, r->f.ruleset_sha256);
	r->have_rb = !readback_read(&d->nl, table, false, &r->rb);
	if (matrix_from_model(&d->model, time(NULL), &intended))
		return;
	r->f.matrix_edges = matrix_triples(&intended);
	if (r->have_rb && !matrix_from_readback(&r->rb, &d->model, &enforced)) {
		r->f.matrix_differences = matrix_differences(&intended,
							     &enforced);
		matrix_free(&enforced);
	} else {
		r->f.matrix_differences = intended.count;
	}
	matrix_free(&intended);
}

static void gather(struct daemon *d, struct report *r)
{
	memset(r, 0, sizeof(*r));
	gethostname(r->host, sizeof(r->host) - 1);
	r->f.model = &d->model;
	r->f.config_path = d->config_path;
	sha256_hex(d->model.files_sha256, r->f.config_sha256);
	r->f.now = time(NULL);
	r->f.hostname = r->host;
	r->f.degraded = d->degraded;
	r->f.protection = enforcer_level(&d->enf) == PROTECTION_OWNED ?
			  "owned" : "watchdog-only";
	r->f.started = d->started;
	r->f.last_apply = d->last_apply;
	r->f.drift_count = d->drift_count;
	r->f.restore_count = d->restore_count;
	r->f.ct_revoked = d->ct_revoked;
	r->f.ct_forged = d->ct_forged;
	daemon_scan_hooks(d);
	r->f.foreign_hooks = d->hooks.items;
	r->f.foreign_hook_count = d->hooks.count;
	r->f.ip_forward = read_int("/proc/sys/net/ipv4/ip_forward");
	r->f.ip6_forward = read_int("/proc/sys/net/ipv6/conf/all/forwarding");
	history(d, r);
	missing_interfaces(&d->model, r);
	r->f.missing_interfaces = r->missing;
	r->f.missing_interface_count = r->missing_count;
	kernel_side(d, r);
	daemon_peer_facts(d, &r->f);
}

static void release(struct report *r)
{
	for (size_t i = 0; i < r->missing_count; i++)
		free(r->missing[i]);
	free(r->missing);
	if (r->have_rb)
		readback_free(&r->rb);
}

static bool arg(const struct control_request *req, const char *a)
{
	for (int i = 0; i < req->argc; i++)
		if (!strcmp(req->argv[i], a))
			return true;
	return false;
}

enum control_status daemon_audit(struct daemon *d,
				 const struct control_request *req, FILE *out)
{
	struct report *r = malloc(sizeof(*r));
	enum audit_lang lang = AUDIT_EN;
	int failed;

	if (!r)
		return CONTROL_ERROR;
	for (int i = 0; i + 1 < req->argc; i++)
		if (!strcmp(req->argv[i], "--lang") &&
		    !strcmp(req->argv[i + 1], "ja"))
			lang = AUDIT_JA;
	if (arg(req, "--lang=ja") || arg(req, "ja"))
		lang = AUDIT_JA;
	gather(d, r);
	failed = audit_render(&r->f, lang, req->json, out);
	release(r);
	free(r);
	return failed ? CONTROL_FAIL : CONTROL_OK;
}

enum control_status daemon_metrics(struct daemon *d,
				   const struct control_request *req, FILE *out)
{
	struct report *r = malloc(sizeof(*r));

	if (!r)
		return CONTROL_ERROR;
	gather(d, r);
	metrics_render(&r->f, r->have_rb ? &r->rb : NULL, out);
	release(r);
	free(r);
	return CONTROL_OK;
}
