/* config_value.c - typed access to libconfig settings for config*.c, with
 * every problem reported as "file:line: what: message". */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"

const char *cfg_file(const struct cfg *c, const config_setting_t *s)
{
	const char *raw = s ? config_setting_source_file(s) : NULL;

	/* model.files[i] is the display name of lc->filenames[i]; settings
	 * read from a string have no file and belong to files[0]. */
	for (unsigned int i = 0; raw && i < c->lc->num_filenames; i++)
		if (i < c->m->file_count && c->lc->filenames[i] == raw)
			return c->m->files[i];
	return c->m->file_count ? c->m->files[0] : NULL;
}

void cfg_origin(const struct cfg *c, const config_setting_t *s,
		struct origin *o)
{
	o->file = cfg_file(c, s);
	o->line = s ? (int)config_setting_source_line(s) : 0;
}

void cfg_error(struct cfg *c, const config_setting_t *s, const char *what,
	       const char *fmt, ...)
{
	struct origin o;
	char *msg = NULL;
	va_list ap;

	cfg_origin(c, s, &o);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	diags_add(c->d, DIAG_ERROR, o.file, o.line, "%s%s%s", what ? what : "",
		  what ? ": " : "", msg ? msg : "(out of memory)");
	free(msg);
}

const char *cfg_clip(const char *value, char buf[CFG_CLIP_MAX])
{
	size_t keep = CFG_CLIP_MAX - 6;   /* quotes, "...", NUL */

	if (strlen(value) <= CFG_CLIP_MAX - 3) {
		snprintf(buf, CFG_CLIP_MAX, "'%s'", value);
		return buf;
	}
	/* Do not cut a UTF-8 sequence in half. */
	while (keep > 0 && ((unsigned char)value[keep] & 0xc0) == 0x80)
		keep--;
	snprintf(buf, CFG_CLIP_MAX, "'%.*s...'", (int)keep, value);
	return buf;
}

static bool key_known(const char *name, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(*keys, name) == 0)
			return true;
	return false;
}

int cfg_check_keys(struct cfg *c, const config_setting_t *group,
		   const char *what, const char *const *keys)
{
	int r = 0;

	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		char clip[CFG_CLIP_MAX];

		if (key_known(config_setting_name(s), keys))
			continue;
		cfg_error(c, s, what, "unknown key %s",
			  cfg_clip(config_setting_name(s), clip));
		r = -EINVAL;
	}
	return r;
}

/* The member key of group, or NULL; *missing reported when required. */
static const config_setting_t *member(struct cfg *c,
				      const config_setting_t *group,
				      const char *key, const char *what,
				      bool required)
{
	const config_setting_t *s = config_setting_get_member(group, key);

	if (!s && required)
		cfg_error(c, group, what, "'%s' is missing", key);
	return s;
}

int cfg_string(struct cfg *c, const config_setting_t *group, const char *key,
	       const char *what, bool required, const char **out)
{
	const config_setting_t *s = member(c, group, key, what, required);

	if (!s)
		return required ? -EINVAL : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(c, s, what, "'%s' must be a string", key);
		return -EINVAL;
	}
	*out = config_setting_get_string(s);
	return 0;
}

int cfg_bool(struct cfg *c, const config_setting_t *group, const char *key,
	     const char *what, bool *out)
{
	const config_setting_t *s = member(c, group, key, what, false);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_error(c, s, what, "'%s' must be true or false", key);
		return -EINVAL;
	}
	*out = config_setting_get_bool(s);
	return 0;
}

int cfg_int(struct cfg *c, const config_setting_t *group, const char *key,
	    const char *what, long long min, long long max, long long *out)
{
	const config_setting_t *s = member(c, group, key, what, false);
	long long v;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_error(c, s, what, "'%s' must be an integer", key);
		return -EINVAL;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		cfg_error(c, s, what, "'%s' is %lld, out of range %lld..%lld",
			  key, v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cfg_string_list(struct cfg *c, const config_setting_t *group,
		    const char *key, const char *what, size_t max,
		    const config_setting_t **out)
{
	const config_setting_t *s = member(c, group, key, what, true);
	int type = s ? config_setting_type(s) : CONFIG_TYPE_NONE;

	if (!s)
		return -EINVAL;
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		goto bad;
	if ((size_t)config_setting_length(s) > max) {
		cfg_error(c, s, what, "'%s' has %d elements: at most %zu (see "
			  "segmentd.conf(5) LIMITS)", key,
			  config_setting_length(s), max);
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(s); i++)
		if (config_setting_type(config_setting_get_elem(s, i)) !=
		    CONFIG_TYPE_STRING)
			goto bad;
	if (config_setting_length(s) == 0) {
		cfg_error(c, s, what, "'%s' must not be empty", key);
		return -EINVAL;
	}
	*out = s;
	return 0;
bad:
	cfg_error(c, s, what, "'%s' must be an array of strings", key);
	return -EINVAL;
}

int cfg_choice(struct cfg *c, const config_setting_t *group, const char *key,
	       const char *what, const char *no, const char *yes, bool *out)
{
	const char *word = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, key, what, false, &word);

	if (r < 0 || !word)
		return r;
	if (strcmp(word, yes) != 0 && strcmp(word, no) != 0) {
		cfg_error(c, config_setting_get_member(group, key), what,
			  "'%s' must be '%s' or '%s', not %s", key, no, yes,
			  cfg_clip(word, clip));
		return -EINVAL;
	}
	*out = strcmp(word, yes) == 0;
	return 0;
}

int cfg_text(struct cfg *c, const config_setting_t *group, const char *key,
	     const char *what, char **out)
{
	const char *text = NULL;
	int r = cfg_string(c, group, key, what, false, &text);

	if (r < 0 || !text)
		return r;
	if (strlen(text) > CFG_TEXT_MAX) {
		cfg_error(c, config_setting_get_member(group, key), what,
			  "'%s' is too long (%zu bytes, at most %d)", key,
			  strlen(text), CFG_TEXT_MAX);
		return -EINVAL;
	}
	*out = strdup(text);
	return *out ? 0 : -ENOMEM;
}

bool cfg_name_valid(const char *s)
{
	size_t n = 0;

	if (s[0] < 'a' || s[0] > 'z')
		return false;
	for (n = 1; s[n]; n++) {
		bool ok = (s[n] >= 'a' && s[n] <= 'z') ||
			  (s[n] >= '0' && s[n] <= '9') || s[n] == '-';

		if (!ok || n >= MODEL_NAME_MAX)
			return false;
	}
	return true;
}

int cfg_name(struct cfg *c, const config_setting_t *group, const char *kind,
	     char what[CFG_WHAT_MAX], char **out)
{
	const char *name = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, "name", what, true, &name);

	if (r < 0)
		return r;
	if (!cfg_name_valid(name)) {
		cfg_error(c, config_setting_get_member(group, "name"), what,
			  "invalid name %s: use lower-case letters, digits "
			  "and '-', starting with a letter, at most %d "
			  "characters", cfg_clip(name, clip), MODEL_NAME_MAX);
		return -EINVAL;
	}
	snprintf(what, CFG_WHAT_MAX, "%s '%s'", kind, name);
	*out = strdup(name);
	return *out ? 0 : -ENOMEM;
}

int cfg_root_list(struct cfg *c, const char *key, const config_setting_t **out)
{
	const config_setting_t *s = config_lookup(c->lc, key);

	*out = NULL;
	if (!s)
		return 0;
	/* An empty array "[]" is as good as an empty list "()". */
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(s) == CONFIG_TYPE_ARRAY &&
	      config_setting_length(s) == 0)) {
		cfg_error(c, s, NULL, "'%s' must be a list of groups: "
			  "%s = ( { ... }, { ... } );", key, key);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

int cfg_strings(struct cfg *c, const config_setting_t *list, const char *what,
		const struct cfg_strings *spec, void **items, size_t *count)
{
	int n = config_setting_length(list), r = 0;

	*items = calloc((size_t)n, spec->size);
	if (!*items)
		return -ENOMEM;
	for (int i = 0; i < n && r != -ENOMEM; i++) {
		int e = spec->parse(c, config_setting_get_elem(list, i), what,
				    spec->kind,
				    (char *)*items + *count * spec->size);

		if (e == 0)
			(*count)++;
		r = cfg_worse(r, e);
	}
	return r;
}

int cfg_string_array(struct cfg *c, const config_setting_t *group,
		     const char *what, const struct cfg_strings *spec,
		     void **items, size_t *count)
{
	const config_setting_t *list;
	int r = cfg_string_list(c, group, spec->key, what, spec->max, &list);

	return r < 0 ? r : cfg_strings(c, list, what, spec, items, count);
}

int cfg_group(struct cfg *c, const config_setting_t *parent, const char *key,
	      const char *what, struct origin *origin,
	      const config_setting_t **out)
{
	*out = config_setting_get_member(parent, key);
	if (!*out)
		return 0;
	if (origin)
		cfg_origin(c, *out, origin);
	if (config_setting_type(*out) == CONFIG_TYPE_GROUP)
		return 0;
	cfg_error(c, *out, what, "'%s' must be a group { ... }", key);
	return -EINVAL;
}

/* Remembers the name of an element that did not parse, if it has one. */
static int failed_elem(struct cfg *c, const config_setting_t *s)
{
	const char *name = NULL;

	if (config_setting_type(s) == CONFIG_TYPE_GROUP &&
	    config_setting_lookup_string(s, "name", &name) && name)
		return cfg_failed_add(c, name);
	return 0;
}

static int parse_elem(struct cfg *c, const config_setting_t *s,
		      char what[CFG_WHAT_MAX], void *item, cfg_elem_parse *parse)
{
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_error(c, s, what, "must be a group { ... }");
		return -EINVAL;
	}
	return parse(c, s, what, item);
}

bool cfg_within(struct cfg *c, const config_setting_t *s, const char *what,
		size_t *total, size_t n, size_t max, const char *kind)
{
	if (*total <= max && n <= max - *total) {
		*total += n;
		return true;
	}
	if (*total <= max)
		cfg_error(c, s, what, "%zu %s with this list: at most %zu (the "
			  "limit of %s, see segmentd.conf(5) LIMITS)",
			  n > SIZE_MAX - *total ? SIZE_MAX : *total + n, kind,
			  max, kind);
	*total = SIZE_MAX;   /* said once */
	return false;
}

static int parse_list(struct cfg *c, const struct cfg_section *sec)
{
	const config_setting_t *list;
	int r = cfg_root_list(c, sec->key, &list), n;

	if (r < 0 || !list || (n = config_setting_length(list)) == 0)
		return r;
	if ((size_t)n > sec->max) {
		cfg_error(c, list, NULL, "%d %ss: at most %zu (the limit of "
			  "%ss, see segmentd.conf(5) LIMITS)", n, sec->kind,
			  sec->max, sec->kind);
		c->over_limit = true;
		return -EINVAL;
	}
	*sec->items = calloc((size_t)n, sec->size);
	if (!*sec->items)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);
		void *item = (char *)*sec->items + *sec->count * sec->size;
		char what[CFG_WHAT_MAX];
		int e;

		snprintf(what, sizeof(what), "%s #%d", sec->kind, i + 1);
		e = parse_elem(c, s, what, item, sec->parse);
		if (e == 0) {
			(*sec->count)++;
			continue;
		}
		sec->clear(item);
		r = cfg_worse(r, e);
		if (e == -ENOMEM || failed_elem(c, s) < 0)
			return -ENOMEM;
	}
	return r;
}

int cfg_parse_list(struct cfg *c, const struct cfg_section *sec)
{
	const config_setting_t *list = config_lookup(c->lc, sec->key);
	int r = parse_list(c, sec);

	if (r != 0 || !sec->required)
		return r;
	if (!list)
		cfg_error(c, config_root_setting(c->lc), NULL, "'%s' is missing: "
			  "at least one %s is required", sec->key, sec->kind);
	else if (config_setting_length(list) == 0)
		cfg_error(c, list, NULL, "'%s' is empty: at least one %s is "
			  "required", sec->key, sec->kind);
	return r;
}

int cfg_failed_add(struct cfg *c, const char *name)
{
	char *copy;

	if (c->failed_count == c->failed_capacity) {
		size_t cap = c->failed_capacity ? c->failed_capacity * 2 : 8;
		char **v = realloc(c->failed, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->failed = v;
		c->failed_capacity = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	c->failed[c->failed_count++] = copy;
	return 0;
}

bool cfg_failed_has(const struct cfg *c, const char *name)
{
	for (size_t i = 0; i < c->failed_count; i++)
		if (strcmp(c->failed[i], name) == 0)
			return true;
	return false;
}
