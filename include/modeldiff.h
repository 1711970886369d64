/* modeldiff.h - change review: what a candidate config would change against
 * the running one, as text to paste into a change request (変更申請) or as
 * JSON (segmentctl diff FILE).
 *
 * Objects are matched by name (management rules by their 'from' endpoint and
 * services).  Services compare as sets of canonical text ("icmp/8" is
 * "icmp/echo-request"), addresses, networks and interfaces as sets of
 * canonical text, comments and justifications with runs of white space
 * folded: reordering a list or re-indenting a comment is not a change.
 *
 * Text: a header line "segmentd change review: RUNNING -> CANDIDATE" (the
 * models' files[0]), then only the non-empty sections, in this order:
 *   Flows added/removed/changed, Zones added/removed/changed, Hosts
 *   added/removed/changed, Management added/removed, Settings changed,
 *   Isolated-zone exceptions, Notable (consequences that widen what is
 *   allowed: services added, expiry extended, a relay role removed, ...),
 *   Candidate warnings,
 * then "guardrails: all pass" (or the candidate's errors and that it would be
 * refused) and "N change(s)" or "no changes".  Items in name order, lines at
 * most MODEL_DIFF_WIDTH columns (wide characters count two), free text on
 * one line.
 *
 * JSON: one object with "running", "candidate", an array for every section
 * (empty ones too): flows_added, flows_removed, flows_changed, zones_added,
 * zones_removed, zones_changed, hosts_added, hosts_removed, hosts_changed,
 * management_added, management_removed, settings_changed,
 * isolated_exceptions, notable; then "guardrails" {"checked", "pass",
 * "refused", "errors", "warnings"} and "changes": N.
 */
#ifndef SEGMENTD_MODELDIFF_H
#define SEGMENTD_MODELDIFF_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "model.h"

#define MODEL_DIFF_WIDTH 100

/* Writes the report to out; returns the number of changes (0: nothing would
 * change), or -errno: -EINVAL (running, candidate or out NULL), -ENOMEM,
 * -EIO (writing to out failed).  A change is one flow, zone, host or
 * management rule added, removed or changed, or one setting changed; the
 * consequences and the diagnostics are not counted.  candidate_diags are the
 * candidate's diagnostics from config_load + model_validate (NULL: not
 * checked); with errors the report says the candidate would be refused.
 * Both models must come from config_load (every reference resolved); the
 * candidate need not have passed model_validate.  On -ENOMEM or -EIO, out
 * may hold part of a report.  Pure: no I/O but writing to out. */
int model_diff(const struct model *running, const struct model *candidate,
	       const struct diags *candidate_diags, bool json, FILE *out);

#endif
