/* policy.c - the one load path: file -> model -> validated -> ruleset. */
#include <errno.h>

#include "policy.h"

int policy_load(const char *path, time_t now, struct model *m,
		struct ruleset *rs, struct diags *d)
{
	int r;

	ruleset_init(rs);        /* freeable whatever happens below */
	r = config_load(path, m, d);
	/* A file that parsed is validated even with errors in it, so that
	 * one run shows every problem; one that did not parse has no zones. */
	if (r == -ENOMEM)
		return r;
	if (m->zone_count > 0) {
		int v = model_validate(m, now, d);

		if (v == -ENOMEM)
			return v;
		r = r < 0 ? r : v;
	}
	if (r < 0)
		return r;
	return ruleset_compile(m, now, rs);
}
