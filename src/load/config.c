/* config.c - read a libconfig file (with @include) into a model.
 *
 * The sections are parsed by config_zones.c and config_flows.c; this file
 * opens the file, turns libconfig's own errors into diagnostics, records
 * every file read, and parses the top level and the settings group.
 *
 * Includes: libconfig 1.5 resolves every @include against one include
 * directory, which we set to the directory of the main file; so includes
 * (also nested ones) are relative to the main file, and absolute include
 * paths do not work.  It stops include loops at 10 levels of nesting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_parse.h"
#include "policy.h"

#define TABLE_NAME_MAX 32

/* dir/name, or a copy of name when there is no dir or name is absolute. */
static char *path_join(const char *dir, const char *name)
{
	char *out = NULL;
	size_t len;

	if (!dir || name[0] == '/')
		return strdup(name);
	len = strlen(dir);
	if (asprintf(&out, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/",
		     name) < 0)
		return NULL;
	return out;
}

/* The directory of path, or NULL (the current one) when it has none. */
static int path_dir(const char *path, char **out)
{
	const char *slash = strrchr(path, '/');

	*out = NULL;
	if (!slash)
		return 0;
	*out = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	return *out ? 0 : -ENOMEM;
}

/* Clear errors for what libconfig would only call "file I/O error":
 * about the file at origin, named path in the message. */
static int check_file(const char *origin, const char *path, struct diags *d)
{
	struct stat st;
	int fd;

	if (stat(origin, &st) < 0) {
		diags_add(d, DIAG_ERROR, path, 0, "cannot open: %s",
			  strerror(errno));
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		diags_add(d, DIAG_ERROR, path, 0,
			  "is a directory, not a config file");
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode))
		return 0;       /* a pipe must not be opened twice */
	fd = open(origin, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		diags_add(d, DIAG_ERROR, path, 0, "cannot open: %s",
			  strerror(errno));
		return -EINVAL;
	}
	close(fd);
	return 0;
}

/* Reads line number `line` of file into buf; returns 0 or -errno. */
static int read_line(const char *file, int line, char *buf, size_t len)
{
	FILE *f = fopen(file, "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	for (int n = 1; fgets(buf, (int)len, f); ) {
		if (n == line) {
			r = 0;
			break;
		}
		if (strchr(buf, '\n'))
			n++;
	}
	fclose(f);
	return r;
}

/* "cannot open include file" names no file: find it on the @include line
 * and say what is wrong with it. */
static void report_include(struct diags *d, const char *file,
			   const char *text, int line, const char *dir)
{
	char buf[PATH_MAX + 64], *name, *end, *full;
	struct stat st;

	if (read_line(text, line, buf, sizeof(buf)) < 0 ||
	    !(name = strstr(buf, "@include")) || !(name = strchr(name, '"')) ||
	    !(end = strchr(++name, '"')))
		goto plain;
	*end = '\0';
	if (name[0] == '/') {
		diags_add(d, DIAG_ERROR, file, line, "cannot open include file "
			  "'%s': include paths must be relative to the main "
			  "file's directory", name);
		return;
	}
	full = path_join(dir, name);
	if (!full)
		goto plain;
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
		errno = EISDIR;
	else if (access(full, R_OK) == 0)
		errno = EIO;
	diags_add(d, DIAG_ERROR, file, line, "cannot open include file '%s': %s",
		  full, strerror(errno));
	free(full);
	return;
plain:
	diags_add(d, DIAG_ERROR, file, line, "cannot open include file");
}

/* libconfig could not read or parse the file: one error.  f names the
 * main file (as shown, and as libconfig read it) and the include
 * directories of both. */
struct names {
	const char *path, *read, *dir, *read_dir;
};

static void report_read_error(const config_t *lc, const struct names *f,
			      struct diags *d)
{
	const char *raw = config_error_file(lc), *text = config_error_text(lc);
	int line = config_error_line(lc);
	bool main_file = !raw || strcmp(raw, f->read) == 0;
	char *file, *copy;

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO || !text) {
		diags_add(d, DIAG_ERROR, f->path, 0, "cannot read the file");
		return;
	}
	file = main_file ? strdup(f->path) : path_join(f->dir, raw);
	copy = main_file ? strdup(f->read) : path_join(f->read_dir, raw);
	if (strcmp(text, "cannot open include file") == 0 && file && copy)
		report_include(d, file, copy, line, f->dir);
	else if (strcmp(text, "include file nesting too deep") == 0)
		diags_add(d, DIAG_ERROR, file ? file : f->path, line, "%s (more "
			  "than 10 levels: does a file include itself?)", text);
	else
		diags_add(d, DIAG_ERROR, file ? file : f->path, line, "%s", text);
	free(file);
	free(copy);
}

/* model.files: the display name of each file libconfig read.  The list
 * is config_t's filenames (a public field of libconfig.h, not a function):
 * it also names includes that hold no settings, which settings alone
 * would miss.  Include names in it are as written: join them with dir. */
static int record_files(struct cfg *c, const char *path, const char *dir)
{
	struct model *m = c->m;
	size_t n = c->lc->num_filenames ? c->lc->num_filenames : 1;

	m->files = calloc(n, sizeof(*m->files));
	if (!m->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m->files[i] = i == 0 ? strdup(path)
				     : path_join(dir, c->lc->filenames[i]);
		if (!m->files[i])
			return -ENOMEM;
		m->file_count++;
	}
	return 0;
}

static int parse_log(struct cfg *c, const config_setting_t *settings,
		     struct settings *st)
{
	static const char *const keys[] = {
		"enabled", "group", "rate", "burst", "monitor", NULL
	};
	const char *what = "settings: log";
	const config_setting_t *log;
	long long group = st->log_group, rate = st->log_rate;
	long long burst = st->log_burst;
	int r = cfg_group(c, settings, "log", "settings", NULL, &log);

	if (r < 0 || !log)
		return r;
	r = cfg_check_keys(c, log, what, keys);
	r = cfg_worse(r, cfg_bool(c, log, "enabled", what, &st->log_denied));
	r = cfg_worse(r, cfg_bool(c, log, "monitor", what, &st->log_monitor));
	r = cfg_worse(r, cfg_int(c, log, "group", what, 0, 65535, &group));
	r = cfg_worse(r, cfg_int(c, log, "rate", what, 1, 100000, &rate));
	r = cfg_worse(r, cfg_int(c, log, "burst", what, 1, 10000, &burst));
	st->log_group = (uint16_t)group;
	st->log_rate = (uint32_t)rate;
	st->log_burst = (uint32_t)burst;
	return r;
}

static int parse_table(struct cfg *c, const config_setting_t *settings,
		       struct settings *st)
{
	const char *name = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, settings, "table", "settings", false, &name);
	size_t len;

	if (r < 0 || !name)
		return r;
	len = strlen(name);
	if (len == 0 || len > TABLE_NAME_MAX ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_-") != len) {
		cfg_error(c, config_setting_get_member(settings, "table"),
			  "settings", "invalid table name %s: use 1 to %d "
			  "letters, digits, '_' or '-'", cfg_clip(name, clip),
			  TABLE_NAME_MAX);
		return -EINVAL;
	}
	free(st->table);
	st->table = strdup(name);
	return st->table ? 0 : -ENOMEM;
}

int cfg_parse_settings(struct cfg *c, const config_setting_t *root)
{
	static const char *const keys[] = {
		"table", "ownership", "log", "unzoned_input", "any_zone",
		"verify_interval", "full_verify_interval", "control_group",
		NULL
	};
	const config_setting_t *s;
	long long verify, full;
	const char *group = NULL;
	struct settings *st = &c->m->settings;
	int r = cfg_group(c, root, "settings", NULL, &st->origin, &s);

	if (r < 0 || !s)
		return r;
	r = cfg_check_keys(c, s, "settings", keys);
	r = cfg_worse(r, parse_table(c, s, st));
	r = cfg_worse(r, cfg_bool(c, s, "ownership", "settings", &st->ownership));
	r = cfg_worse(r, parse_log(c, s, st));
	r = cfg_worse(r, cfg_choice(c, s, "unzoned_input", "settings", "drop",
				    "accept", &st->unzoned_input_accept));
	r = cfg_worse(r, cfg_choice(c, s, "any_zone", "settings", "set",
				    "negated", &st->any_negated));
	verify = st->verify_interval_ms;
	full = st->full_verify_interval_s;
	r = cfg_worse(r, cfg_int(c, s, "verify_interval", "settings", 100,
				 3600000, &verify));
	r = cfg_worse(r, cfg_int(c, s, "full_verify_interval", "settings", 10,
				 86400, &full));
	st->verify_interval_ms = (uint32_t)verify;
	st->full_verify_interval_s = (uint32_t)full;
	r = cfg_worse(r, cfg_string(c, s, "control_group", "settings", false,
				    &group));
	if (group) {
		free(st->control_group);
		st->control_group = strdup(group);
		if (!st->control_group)
			r = cfg_worse(r, -ENOMEM);
	}
	return r;
}

static int settings_defaults(struct settings *st)
{
	st->table = strdup("segmentd");
	st->ownership = true;
	st->log_denied = true;
	st->log_monitor = true;
	st->log_group = 0;
	st->log_rate = 10;
	st->log_burst = 5;
	st->unzoned_input_accept = true;
	st->verify_interval_ms = 1000;
	st->full_verify_interval_s = 300;
	return st->table ? 0 : -ENOMEM;
}

static int parse_version(struct cfg *c, const config_setting_t *root)
{
	const config_setting_t *s = config_setting_get_member(root, "version");
	long long version = 0;
	int r;

	if (!s) {
		cfg_error(c, root, NULL, "'version' is missing: this format "
			  "needs 'version = 1;'");
		return -EINVAL;
	}
	r = cfg_int(c, root, "version", NULL, LLONG_MIN, LLONG_MAX, &version);
	if (r == 0 && version != 1) {
		cfg_error(c, s, NULL, "unsupported version %lld: this "
			  "segmentd reads version 1", version);
		r = -EINVAL;
	}
	c->m->version = (int)version;
	return r;
}

/* The list sections, in the order they must be parsed: hosts name zones,
 * flows and management rules name both. */
static int parse_sections(struct cfg *c, int r)
{
	struct model *m = c->m;
	const struct cfg_section sections[] = {
		{ "zones", "zone", MODEL_ZONES_MAX, sizeof(*m->zones),
		  (void **)&m->zones, &m->zone_count,
		  cfg_zone_parse, zone_clear, true },
		{ "hosts", "host", MODEL_HOSTS_MAX, sizeof(*m->hosts),
		  (void **)&m->hosts, &m->host_count,
		  cfg_host_parse, host_clear, false },
		{ "flows", "flow", MODEL_FLOWS_MAX, sizeof(*m->flows),
		  (void **)&m->flows, &m->flow_count,
		  cfg_flow_parse, flow_clear, false },
		{ "management", "management rule", MODEL_MGMT_MAX,
		  sizeof(*m->mgmt), (void **)&m->mgmt, &m->mgmt_count,
		  cfg_mgmt_parse, mgmt_rule_clear, false },
	};

	/* a section over its limit ends the parse: what refers to its
	 * elements would only repeat the one error that matters */
	for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++) {
		if (r == -ENOMEM || c->over_limit)
			break;
		r = cfg_worse(r, cfg_parse_list(c, &sections[i]));
	}
	return r;
}

static int parse_root(struct cfg *c)
{
	static const char *const keys[] = {
		"version", "settings", "zones", "hosts", "flows", "management",
		"ha", NULL
	};
	const config_setting_t *root = config_root_setting(c->lc);
	int r;

	if (settings_defaults(&c->m->settings) < 0)
		return -ENOMEM;
	if (config_setting_length(root) == 0) {
		cfg_error(c, root, NULL, "the file has no settings: it needs "
			  "'version = 1;' and 'zones'");
		return -EINVAL;
	}
	r = cfg_check_keys(c, root, NULL, keys);
	r = cfg_worse(r, parse_version(c, root));
	r = cfg_worse(r, cfg_parse_settings(c, root));
	r = parse_sections(c, r);
	if (r != -ENOMEM && !c->over_limit)
		r = cfg_worse(r, cfg_parse_ha(c, root));
	return r;
}

static int load_parsed(config_t *lc, const struct names *f,
		       struct source *src, struct model *m, struct diags *d)
{
	struct cfg c = { .m = m, .d = d, .lc = lc, .src = src };
	int r = record_files(&c, f->path, f->dir);

	if (r == 0)
		r = parse_root(&c);
	for (size_t i = 0; i < c.failed_count; i++)
		free(c.failed[i]);
	free(c.failed);
	nameidx_free(&c.zone_idx);
	nameidx_free(&c.host_idx);
	return r;
}

/* libconfig does not survive an allocation failure in its parser (it
 * dereferences what malloc returned): before parsing, make sure the
 * address space has room for what a parse of this file takes (measured:
 * under 10 bytes per byte of config) with a margin.  Only an address-space
 * limit (ulimit -v) or strict overcommit make malloc fail at all. */
#define PARSE_BYTES_PER_BYTE 16
#define PARSE_MARGIN (4u << 20)

static int parse_headroom(const char *path, struct diags *d)
{
	struct stat st;
	void *p;
	size_t need;

	if (stat(path, &st) < 0 || st.st_size <= 0)
		return 0;          /* check_file() reports what is wrong */
	need = (size_t)st.st_size * PARSE_BYTES_PER_BYTE + PARSE_MARGIN;
	p = malloc(need);
	if (!p) {
		diags_add(d, DIAG_ERROR, path, 0, "out of memory: parsing "
			  "this file (%lld bytes) needs about %zu MiB",
			  (long long)st.st_size, need >> 20);
		return -ENOMEM;
	}
	free(p);
	return 0;
}

/* The file libconfig reads for path (staged through src, or path) in
 * *read; its directory in *read_dir. */
static int source_read(struct source *src, const char *path, char **read,
		       char **read_dir, struct diags *d)
{
	int r = src ? source_config(src, path, read)
		    : ((*read = strdup(path)) ? 0 : -ENOMEM);

	if (r == -ELOOP)
		diags_add(d, DIAG_ERROR, path, 0, "an @include climbs above "
			  "the root directory");
	else if (r < 0 && r != -ENOMEM)
		diags_add(d, DIAG_ERROR, path, 0, "cannot read: %s",
			  strerror(-r));
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	return path_dir(*read, read_dir);
}

int config_load_from(const char *path, struct source *src, struct model *m,
		     struct diags *d)
{
	struct names f = { .path = path };
	char *dir = NULL, *read = NULL, *read_dir = NULL, *origin = NULL;
	int before = d->errors, r;
	config_t lc;

	model_init(m);
	r = src ? source_origin(src, path, &origin)
		: ((origin = strdup(path)) ? 0 : -ENOMEM);
	r = r ?: check_file(origin, path, d);
	free(origin);
	r = r ?: source_read(src, path, &read, &read_dir, d);
	r = r ?: parse_headroom(read, d);
	r = r ?: path_dir(path, &dir);
	if (r < 0)
		goto out;
	f = (struct names){ path, read, dir, read_dir };
	config_init(&lc);
	if (read_dir)
		config_set_include_dir(&lc, read_dir);
	if (config_read_file(&lc, read))
		r = load_parsed(&lc, &f, src, m, d);
	else
		report_read_error(&lc, &f, d);
	config_destroy(&lc);
out:
	free(dir);
	free(read);
	free(read_dir);
	if (r == -ENOMEM || (r < 0 && d->errors == before))
		return r;
	return d->errors > before ? -EINVAL : 0;
}

int config_load(const char *path, struct model *m, struct diags *d)
{
	return config_load_from(path, NULL, m, d);
}

/* Line number of the first @include directive in text, or 0. */
static int find_include(const char *text)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		p += strspn(p, " \t");
		if (strncmp(p, "@include", 8) == 0)
			return line;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return 0;
}

int config_load_string(const char *text, const char *name, struct model *m,
		       struct diags *d)
{
	int before = d->errors, r = 0, line;
	config_t lc;

	model_init(m);
	line = find_include(text);
	if (line) {
		diags_add(d, DIAG_ERROR, name, line,
			  "@include is not allowed in a config read from memory");
		return -EINVAL;
	}
	config_init(&lc);
	if (config_read_string(&lc, text))
		r = load_parsed(&lc, &(struct names){ .path = name, .read =
						      name }, NULL, m, d);
	else
		diags_add(d, DIAG_ERROR, name, config_error_line(&lc), "%s",
			  config_error_text(&lc));
	config_destroy(&lc);
	if (r == -ENOMEM)
		return r;
	return d->errors > before ? -EINVAL : 0;
}
