/* policy.h - the one load path: file -> model -> validated -> ruleset.
 *
 * Used by --check, --print, --once and (later) reload.  Never touches the
 * kernel; errors and warnings go to diags as "file:line: message".
 */
#ifndef SEGMENTD_POLICY_H
#define SEGMENTD_POLICY_H

#include <time.h>

#include "diag.h"
#include "model.h"
#include "ruleset.h"
#include "source.h"
#include "zonenets.h"

/* config.c: parses path (with @include) into m.  Returns 0, or -EINVAL when
 * the file could not be parsed at all (syntax, missing) or has type errors;
 * every problem is in d. */
int config_load(const char *path, struct model *m, struct diags *d);
/* The same, reading every file through src (include/source.h): from its
 * root, and from a staged copy the bytes of which src hashes. */
int config_load_from(const char *path, struct source *src, struct model *m,
		     struct diags *d);
/* config.c: the same from a memory buffer (fuzzing, tests); name is used as
 * the file name in messages; @include is refused. */
int config_load_string(const char *text, const char *name, struct model *m,
		       struct diags *d);
/* validate.c: references, overlaps, guardrails, warnings.  now decides
 * expiry.  Returns 0 or -EINVAL (any error in d). */
int model_validate(struct model *m, time_t now, struct diags *d);
/* The same with the networks already sorted: zn = zone_nets_build(m). */
int model_validate_nets(struct model *m, time_t now,
			const struct zone_nets *zn, struct diags *d);
/* policy.c: load + validate + compile. */
int policy_load(const char *path, time_t now, struct model *m,
		struct ruleset *rs, struct diags *d);
/* The same through src; the file-safety check applies to each file's
 * origin (its root copy, or the file); m->files_sha256 gets src's digest. */
int policy_load_from(const char *path, struct source *src, time_t now,
		     struct model *m, struct ruleset *rs, struct diags *d);

#endif
