/* daemon_ct.c - the daemon's conntrack work: cutting the connections of
 * revoked flows after a commit, sweeping stale marks at start, and the
 * ct-audit command (forged or stale entries against the compiled ruleset,
 * never the config). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "conntrack.h"
#include "ctaudit.h"
#include "daemon_internal.h"
#include "json.h"
#include "log.h"

struct mark_list {
	const uint32_t *v;
	size_t n;
};

static bool in_marks(const struct ct_entry *e, void *ctx)
{
	const struct mark_list *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == e->mark)
			return true;
	return false;
}

static void ct_failed(struct daemon *d, const char *what, int err)
{
	log_msg(LOG_WARNING, "%s: conntrack entries not deleted: %s", what,
		strerror(-err));
	d->ct_errors++;
}

void daemon_ct_revoke(struct daemon *d, const uint32_t *marks, size_t n)
{
	struct mark_list l = { marks, n };
	size_t deleted = 0;
	int err = ct_delete_where(in_marks, &l, &deleted);

	d->ct_revoked += deleted;
	if (err)
		ct_failed(d, "revocation", err);
	if (deleted || err)
		log_msg(LOG_NOTICE, "revocation: %zu conntrack entr%s of %zu "
			"removed flow mark%s deleted", deleted,
			deleted == 1 ? "y" : "ies", n, n == 1 ? "" : "s");
}

/* Ours (bit 31), not a live flow's, not the gateway's own. */
static bool stale(const struct ct_entry *e, void *ctx)
{
	const struct daemon *d = ctx;
	const struct ruleset *rs = enforcer_ruleset(&d->enf);

	return (e->mark & CT_MARK_SPACE) &&
	       e->mark != compile_gateway_mark() &&
	       !ctaudit_mark_live(rs, e->mark);
}

void daemon_ct_sweep(struct daemon *d)
{
	size_t deleted = 0;
	int err = ct_delete_where(stale, d, &deleted);

	d->ct_revoked += deleted;
	if (err)
		ct_failed(d, "start sweep", err);
	if (deleted)
		log_msg(LOG_NOTICE, "start: %zu conntrack entr%s with a mark "
			"of no enforced flow deleted", deleted,
			deleted == 1 ? "y" : "ies");
}

struct audit_run {
	struct daemon *d;
	FILE *out;
	bool json, repair;
	struct json j;
	size_t checked, found, repaired;
	int err;
};

static void report(struct audit_run *a, const struct ct_entry *e,
		   const struct ctaudit_verdict *v, bool deleted)
{
	char tuple[160], mark[16];

	ct_entry_format(e, tuple, sizeof(tuple));
	snprintf(mark, sizeof(mark), "0x%08x", e->mark);
	if (!a->json) {
		fprintf(a->out, "%s: %s (mark %s): %s%s\n",
			v->flow ? v->flow : "no flow", tuple, mark, v->why,
			deleted ? " [deleted]" : "");
		return;
	}
	json_object_open(&a->j);
	json_key(&a->j, "flow");
	if (v->flow)
		json_str(&a->j, v->flow);
	else
		json_null(&a->j);
	json_kstr(&a->j, "tuple", tuple);
	json_kstr(&a->j, "mark", mark);
	json_kstr(&a->j, "why", v->why);
	json_kbool(&a->j, "deleted", deleted);
	json_object_close(&a->j);
}

static void audit_one(struct audit_run *a, const struct ct_entry *e)
{
	struct ctaudit_verdict v;
	bool deleted = false;
	char tuple[160];

	a->checked++;
	if (!ctaudit_check(enforcer_ruleset(&a->d->enf), e, &v))
		return;
	a->found++;
	if (a->repair) {
		int err = ct_delete(e);

		deleted = !err || err == -ENOENT;
		if (err && err != -ENOENT && !a->err)
			a->err = err;
	}
	if (deleted) {
		a->repaired++;
		ct_entry_format(e, tuple, sizeof(tuple));
		daemon_event(a->d, EV_FORGED_STATE, "%s: %s (mark 0x%08x): %s: "
			     "deleted", v.flow ? v.flow : "no flow", tuple,
			     e->mark, v.why);
	}
	report(a, e, &v, deleted);
}

static bool has_word(const struct control_request *r, const char *w)
{
	for (int i = 0; i < r->argc; i++)
		if (!strcmp(r->argv[i], w))
			return true;
	return false;
}

static void audit_summary(struct audit_run *a)
{
	size_t left = a->found - a->repaired;

	if (a->json) {
		json_array_close(&a->j);
		json_kuint(&a->j, "checked", a->checked);
		json_kuint(&a->j, "mismatches", a->found);
		json_kuint(&a->j, "repaired", a->repaired);
		json_kuint(&a->j, "remaining", left);
		json_object_close(&a->j);
		fputc('\n', a->out);
		return;
	}
	fprintf(a->out, "%zu entr%s with our marks checked: %zu mismatch%s",
		a->checked, a->checked == 1 ? "y" : "ies", a->found,
		a->found == 1 ? "" : "es");
	if (a->repair)
		fprintf(a->out, ", %zu deleted", a->repaired);
	fputc('\n', a->out);
}

enum control_status daemon_ct_audit(struct daemon *d,
				    const struct control_request *r, FILE *out)
{
	struct audit_run a = { .d = d, .out = out, .json = r->json,
			       .repair = has_word(r, "--repair") };
	struct ct_list l = { 0 };
	int n;

	if (!enforcer_ruleset(&d->enf) || d->degraded) {
		fprintf(out, "%s\n", r->json ? "{\"error\":\"no compiled ruleset "
			"(degraded)\"}" : "no compiled ruleset to judge by "
			"(degraded)");
		return CONTROL_ERROR;
	}
	n = ct_dump(CT_MARK_SPACE, CT_MARK_SPACE, &l);
	if (n < 0) {
		fprintf(out, "cannot read the conntrack table: %s\n",
			strerror(-n));
		return CONTROL_ERROR;
	}
	if (a.json) {
		json_init(&a.j, out);
		json_object_open(&a.j);
		json_key(&a.j, "entries");
		json_array_open(&a.j);
	}
	for (size_t i = 0; i < l.n; i++)
		audit_one(&a, &l.v[i]);
	ct_list_free(&l);
	d->ct_forged += a.repaired;
	audit_summary(&a);
	if (a.repaired)
		log_msg(LOG_WARNING, "ct-audit: %zu conntrack entr%s not "
			"fitting their flow deleted", a.repaired,
			a.repaired == 1 ? "y" : "ies");
	if (a.err)
		return CONTROL_ERROR;
	return a.found > a.repaired ? CONTROL_FAIL : CONTROL_OK;
}
