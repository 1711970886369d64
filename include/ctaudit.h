/* ctaudit.h - judging conntrack entries against the compiled ruleset.
 *
 * Pure: works on the ruleset segmentd compiled (never the config) and on
 * entries read by conntrack.c.  An entry carrying a flow's mark must have
 * the original tuple that flow admits: source in the flow's from-networks,
 * destination in its to-networks, the protocol and destination port (or
 * ICMP type) of the service the mark names.  Anything else was forged
 * (conntrackd's sync is not authenticated) or is stale.
 */
#ifndef SEGMENTD_CTAUDIT_H
#define SEGMENTD_CTAUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "conntrack.h"
#include "ruleset.h"

/* Whether mark is in rs's flow_marks set (the flows enforced now). */
bool ctaudit_mark_live(const struct ruleset *rs, uint32_t mark);

/* The marks in old's flow_marks that new lacks (the revoked flows), in a
 * malloc'ed array (*out, NULL when none).  Returns the count or -ENOMEM. */
int ctaudit_marks_removed(const struct ruleset *old, const struct ruleset *new,
			  uint32_t **out);

struct ctaudit_verdict {
	const char *flow;     /* "flow 'web'" (points into rs), or NULL */
	const char *why;      /* static text */
};

/* 0: e fits the flow its mark names (or the mark is not a flow mark of
 * ours: the gateway's own mark, other software's marks); 1: it does not,
 * with the flow and the reason in *v. */
int ctaudit_check(const struct ruleset *rs, const struct ct_entry *e,
		  struct ctaudit_verdict *v);

#endif
