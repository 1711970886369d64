/* config_parse.h - shared by config*.c only: the parse context and typed
 * getters over libconfig settings that report every problem to diags.
 *
 * Conventions: functions return 0, -EINVAL (a problem, already reported:
 * skip this object and go on) or -ENOMEM (stop).  `what` names the object
 * being parsed ("zone 'lgwan'", "flow #3") and prefixes every message.
 */
#ifndef SEGMENTD_CONFIG_PARSE_H
#define SEGMENTD_CONFIG_PARSE_H

#include <errno.h>
#include <libconfig.h>
#include <stdbool.h>

#include "diag.h"
#include "model.h"
#include "nameidx.h"
#include "source.h"

#define CFG_TEXT_MAX 4096   /* comment, justification */
#define CFG_WHAT_MAX 64     /* "zone 'a-name-of-31-characters'" */

struct cfg {
	struct model *m;
	struct diags *d;
	const config_t *lc;
	struct source *src;     /* where files are read from (or NULL) */
	char **failed;          /* names of objects that did not parse */
	size_t failed_count, failed_capacity;
	size_t ifaces, networks; /* of the zones parsed so far (LIMITS) */
	bool over_limit;         /* a section had more elements than allowed */
	struct nameidx zone_idx, host_idx;   /* lookups by name (cfg_find_*) */
};

/* The index of the zone or host named name, or -ENOENT. */
int cfg_find_zone(struct cfg *c, const char *name);
int cfg_find_host(struct cfg *c, const char *name);

/* The worse of two results: -ENOMEM over -EINVAL over 0. */
static inline int cfg_worse(int a, int b)
{
	if (a == -ENOMEM || b == -ENOMEM)
		return -ENOMEM;
	return a < 0 ? a : b;
}

/* The model's copy of the file a setting came from, and its line. */
const char *cfg_file(const struct cfg *c, const config_setting_t *s);
void cfg_origin(const struct cfg *c, const config_setting_t *s,
		struct origin *o);

__attribute__((format(printf, 4, 5)))
void cfg_error(struct cfg *c, const config_setting_t *s, const char *what,
	       const char *fmt, ...);

/* Writes "'value'" cut to a sane length (long values end in "...'") into
 * buf, for messages.  Returns buf. */
#define CFG_CLIP_MAX 72
const char *cfg_clip(const char *value, char buf[CFG_CLIP_MAX]);

/* Reports members of group not in keys (NULL-terminated). */
int cfg_check_keys(struct cfg *c, const config_setting_t *group,
		   const char *what, const char *const *keys);

/* Typed members.  Absent optional members leave *out alone and return 0. */
int cfg_string(struct cfg *c, const config_setting_t *group, const char *key,
	       const char *what, bool required, const char **out);
int cfg_bool(struct cfg *c, const config_setting_t *group, const char *key,
	     const char *what, bool *out);
int cfg_int(struct cfg *c, const config_setting_t *group, const char *key,
	    const char *what, long long min, long long max, long long *out);
/* A required, non-empty list or array of strings of at most max elements;
 * *out is the setting. */
int cfg_string_list(struct cfg *c, const config_setting_t *group,
		    const char *key, const char *what, size_t max,
		    const config_setting_t **out);
/* An optional string that must be one of two words; *out = (word == yes). */
int cfg_choice(struct cfg *c, const config_setting_t *group, const char *key,
	       const char *what, const char *no, const char *yes, bool *out);
/* An optional free text (comment, justification) copied into *out. */
int cfg_text(struct cfg *c, const config_setting_t *group, const char *key,
	     const char *what, char **out);
/* A required object name ([a-z][a-z0-9-]{0,30}); on success *what is
 * rewritten to "<kind> 'name'" and *out owns a copy. */
int cfg_name(struct cfg *c, const config_setting_t *group, const char *kind,
	     char what[CFG_WHAT_MAX], char **out);
bool cfg_name_valid(const char *s);
/* NULL, or why name is not a usable interface name (config_zones.c). */
const char *cfg_ifname_problem(const char *name);

/* An optional group member of parent (settings, log, ha): *out is NULL
 * when absent; -EINVAL (reported) when it is not a group.  origin, if not
 * NULL, records where it is even then. */
int cfg_group(struct cfg *c, const config_setting_t *parent, const char *key,
	      const char *what, struct origin *origin,
	      const config_setting_t **out);
/* How cfg_strings() turns each string of a list into an element of an
 * array (an interface name, an address, a service). */
typedef int cfg_string_parse(struct cfg *c, const config_setting_t *s,
			     const char *what, const char *kind, void *out);
struct cfg_strings {
	const char *key;            /* cfg_string_array(): the member */
	size_t max;                 /* and its most elements */
	const char *kind;           /* passed to parse, for its messages */
	size_t size;                /* of one element of the array */
	cfg_string_parse *parse;
};
/* Parses each string of list (from cfg_string_list) with spec->parse into
 * *items, a new array of the list's length; *count: the elements that
 * parsed.  The worse of their results; -ENOMEM stops. */
int cfg_strings(struct cfg *c, const config_setting_t *list, const char *what,
		const struct cfg_strings *spec, void **items, size_t *count);
/* cfg_string_list() of spec->key of group, then cfg_strings(). */
int cfg_string_array(struct cfg *c, const config_setting_t *group,
		     const char *what, const struct cfg_strings *spec,
		     void **items, size_t *count);
/* One interface name (cfg_ifname_problem) copied into *(char **)out. */
int cfg_interface(struct cfg *c, const config_setting_t *s, const char *what,
		  const char *kind, void *out);
extern const struct cfg_strings cfg_interface_strings;

/* A list member of the root: NULL when absent; -EINVAL if not a list. */
int cfg_root_list(struct cfg *c, const char *key,
		  const config_setting_t **out);
/* Parses the root list key into *items (elements of size bytes): each
 * group that parses is kept, each that does not is cleared and its name
 * remembered with cfg_failed_add.  kind names one element ("zone"). */
typedef int cfg_elem_parse(struct cfg *c, const config_setting_t *s,
			   char what[CFG_WHAT_MAX], void *item);
typedef void cfg_elem_clear(void *item);
/* Adds n (the length of list s) to *total; false, with an error at s
 * (once), when that passes max: the list is then not parsed. */
bool cfg_within(struct cfg *c, const config_setting_t *s, const char *what,
		size_t *total, size_t n, size_t max, const char *kind);
/* One list section of the root: key holds groups of kind (at most max),
 * parsed by parse into *items (elements of size bytes, *count of them);
 * clear empties one that did not parse.  required: at least one. */
struct cfg_section {
	const char *key, *kind;
	size_t max, size;
	void **items;
	size_t *count;
	cfg_elem_parse *parse;
	cfg_elem_clear *clear;
	bool required;
};
int cfg_parse_list(struct cfg *c, const struct cfg_section *sec);

/* Objects that failed to parse: references to them are not reported again. */
int cfg_failed_add(struct cfg *c, const char *name);
bool cfg_failed_has(const struct cfg *c, const char *name);

/* A name in the shared zone/host namespace; -EINVAL (reported) if unknown. */
int cfg_endpoint(struct cfg *c, const config_setting_t *group,
		 const char *key, const char *what, struct endpoint *out);
/* The services array of a flow or management rule. */
int cfg_services(struct cfg *c, const config_setting_t *group,
		 const char *what, struct service **out, size_t *count);

/* The groups of the root and the elements of its list sections. */
int cfg_parse_settings(struct cfg *c, const config_setting_t *root);
cfg_elem_parse cfg_zone_parse, cfg_host_parse, cfg_flow_parse, cfg_mgmt_parse;
int cfg_parse_ha(struct cfg *c, const config_setting_t *root);

#endif
