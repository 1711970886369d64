/* policy.c - the one load path: file -> model -> validated -> ruleset. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "filesafe.h"
#include "policy.h"

/* Every file read (main and includes) must be one that only root could
 * have written: a config others can write is a way around every guardrail. */
static int files_safe(const struct model *m, const struct source *src,
		      struct diags *d)
{
	int r = 0;

	for (size_t i = 0; i < m->file_count; i++) {
		char why[PATH_MAX + 64], *origin;

		if (source_origin(src, m->files[i], &origin) < 0)
			return -ENOMEM;
		if (filesafe_check(origin, why, sizeof(why)) == 0) {
			free(origin);
			continue;
		}
		diags_add(d, DIAG_ERROR, m->files[i], 0, "refusing '%s': %s",
			  origin, why);
		free(origin);
		r = -EINVAL;
	}
	return r;
}

static int load(const char *path, struct source *src, time_t now,
		struct model *m, struct ruleset *rs, struct diags *d)
{
	struct zone_nets zn;        /* one sort for validation and compile */
	int r = config_load_from(path, src, m, d), v;

	if (r == -ENOMEM)
		return r;
	v = zone_nets_build(m, &zn);
	/* A file that parsed is validated even with errors in it, so that
	 * one run shows every problem; one that did not parse has no zones. */
	if (v == 0 && m->zone_count > 0)
		v = model_validate_nets(m, now, &zn, d);
	if (v != -ENOMEM && r < 0)
		v = r;
	if (v == 0)
		v = files_safe(m, src, d);
	if (v == 0 && src)
		source_digest(src, m->files_sha256);
	if (v == 0)
		v = ruleset_compile_nets(m, &zn, now, rs);
	zone_nets_free(&zn);
	return v;
}

int policy_load(const char *path, time_t now, struct model *m,
		struct ruleset *rs, struct diags *d)
{
	return policy_load_from(path, NULL, now, m, rs, d);
}

int policy_load_from(const char *path, struct source *src, time_t now,
		     struct model *m, struct ruleset *rs, struct diags *d)
{
	int before = d->errors, r;

	ruleset_init(rs);        /* freeable whatever happens below */
	r = load(path, src, now, m, rs, d);
	/* never silent: a message (or diags_print's fallback) says why */
	if (r == -ENOMEM && d->errors == before)
		diags_add(d, DIAG_ERROR, path, 0, "out of memory while "
			  "loading it");
	return r;
}
