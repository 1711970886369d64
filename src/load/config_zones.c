/* config_zones.c - the zones and hosts sections of the config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"
#include "netfile.h"

/* Linux dev_valid_name(), plus no quotes or control characters: names end
 * up quoted in nft text.  Returns NULL or why the name is refused. */
const char *cfg_ifname_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > MODEL_IFNAME_MAX)
		return "interface names have 1 to 15 characters";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "'.' and '..' are not interface names";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == ':' || *p == '"' || *p == '\\' ||
		    *p <= ' ' || *p == 0x7f)
			return "interface names may not contain '/', ':', "
			       "quotes, spaces or control characters";
	return NULL;
}

int cfg_interface(struct cfg *c, const config_setting_t *s, const char *what,
		  const char *kind, void *out)
{
	const char *name = config_setting_get_string(s);
	const char *why = cfg_ifname_problem(name);
	char clip[CFG_CLIP_MAX], **copy = out;

	if (why) {
		cfg_error(c, s, what, "invalid interface %s: %s",
			  cfg_clip(name, clip), why);
		return -EINVAL;
	}
	*copy = strdup(name);
	return *copy ? 0 : -ENOMEM;
}

const struct cfg_strings cfg_interface_strings = {
	.kind = "interface", .size = sizeof(char *), .parse = cfg_interface,
};

/* cfg_string_list() of a zone list whose length also counts towards the
 * whole config's limit (*total: c->ifaces, c->networks). */
static int counted_list(struct cfg *c, const config_setting_t *group,
			const char *key, const char *what, size_t max,
			size_t *total, const config_setting_t **out)
{
	int r = cfg_string_list(c, group, key, what, max, out);

	if (r < 0)
		return r;
	if (!cfg_within(c, *out, what, total,
			(size_t)config_setting_length(*out), max, key))
		return -EINVAL;
	return 0;
}

static int zone_interfaces(struct cfg *c, const config_setting_t *group,
			   const char *what, struct zone *z)
{
	const config_setting_t *list;
	void *names = NULL;
	int r = counted_list(c, group, "interfaces", what, MODEL_IFACES_MAX,
			     &c->ifaces, &list);

	if (r < 0)
		return r;
	r = cfg_strings(c, list, what, &cfg_interface_strings, &names,
			&z->interface_count);
	z->interfaces = names;
	return r;
}

/* One prefix of a zone's networks or a host's addresses. */
static int cidr_elem(struct cfg *c, const config_setting_t *s,
		     const char *what, const char *kind, void *item)
{
	const char *text = config_setting_get_string(s);
	struct cidr *out = item;
	char clip[CFG_CLIP_MAX], fixed[64];
	const char *why;

	if (cidr_parse_explain(text, out, &why) == 0) {
		out->line = (int)config_setting_source_line(s);
		return 0;
	}
	cfg_clip(text, clip);
	if (strcmp(why, "host bits set") != 0) {
		cfg_error(c, s, what, "invalid %s %s: %s", kind, clip, why);
		return -EINVAL;
	}
	cidr_format(out, fixed, sizeof(fixed));
	cfg_error(c, s, what, "invalid %s %s: host bits set (did you mean '%s'?)",
		  kind, clip, fixed);
	return -EINVAL;
}

/* The prefixes of list into *out; "any" is handled by the caller. */
static int cidr_list(struct cfg *c, const config_setting_t *list,
		     const char *what, const char *kind, struct cidr **out,
		     size_t *count)
{
	const struct cfg_strings cidrs = {
		.kind = kind, .size = sizeof(**out), .parse = cidr_elem,
	};
	void *v = NULL;
	int r = cfg_strings(c, list, what, &cidrs, &v, count);

	*out = v;
	return r;
}

/* Is "any" one of the strings of list?  Its element, or NULL. */
static const config_setting_t *find_any(const config_setting_t *list)
{
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);

		if (strcmp(config_setting_get_string(s), "any") == 0)
			return s;
	}
	return NULL;
}

/* The networks file's path as read: relative paths are taken from the
 * directory of the main config file, like @include.  Recorded once in
 * model.files, so the file-safety check and the config digest cover it. */
static int record_netfile(struct cfg *c, const char *name, const char **out)
{
	struct model *m = c->m;
	const char *main_file = m->file_count ? m->files[0] : "";
	const char *slash = strrchr(main_file, '/');
	char *path = NULL, **files;

	if (name[0] == '/' || !slash)
		path = strdup(name);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - main_file),
			  main_file, name) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	for (size_t i = 0; i < m->file_count; i++)
		if (strcmp(m->files[i], path) == 0) {
			free(path);
			*out = m->files[i];
			return 0;
		}
	files = realloc(m->files, (m->file_count + 1) * sizeof(*files));
	if (!files) {
		free(path);
		return -ENOMEM;
	}
	m->files = files;
	*out = m->files[m->file_count++] = path;
	return 0;
}

/* The file to read for the networks file path (the load's staged copy,
 * or path).  0, -ENOMEM, or -EINVAL with the reason reported. */
static int netfile_source(struct cfg *c, const char *path, char **from)
{
	int r = c->src ? source_file(c->src, path, from)
		       : ((*from = strdup(path)) ? 0 : -ENOMEM);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		diags_add(c->d, DIAG_ERROR, path, 0, "cannot open networks "
			  "file: %s", strerror(-r));
		return -EINVAL;
	}
	return 0;
}

/* networks_file = "path": more networks of the zone, one per line. */
static int zone_netfile(struct cfg *c, const config_setting_t *group,
			const char *what, struct zone *z)
{
	const char *name = NULL;
	char *from;
	struct cidr *v;
	int r = cfg_string(c, group, "networks_file", what, false, &name);

	if (r < 0 || !name)
		return r;
	if (z->any) {
		cfg_error(c, config_setting_get_member(group, "networks_file"),
			  what, "a zone with networks = [\"any\"] has no "
			  "networks_file");
		return -EINVAL;
	}
	r = record_netfile(c, name, &z->networks_file);
	if (r < 0)
		return r;
	z->file_first = z->network_count;
	r = netfile_source(c, z->networks_file, &from);
	if (r < 0)
		return r;
	r = netfile_read(from, z->networks_file, c->networks >
			 MODEL_NETWORKS_MAX ? 0 : MODEL_NETWORKS_MAX -
			 c->networks, &z->networks, &z->network_count, c->d);
	free(from);
	if (c->networks <= MODEL_NETWORKS_MAX)
		c->networks += z->network_count - z->file_first;
	if (r == 0 && z->network_count == z->file_first) {
		diags_add(c->d, DIAG_ERROR, z->networks_file, 0, "the networks "
			  "file holds no network");
		r = -EINVAL;
	}
	v = realloc(z->networks, (z->network_count ? z->network_count : 1) *
		    sizeof(*v));
	if (v)
		z->networks = v;        /* give back the parser's slack */
	return r;
}

static int zone_networks(struct cfg *c, const config_setting_t *group,
			 const char *what, struct zone *z)
{
	const config_setting_t *list, *any;
	int r;

	if (config_setting_get_member(group, "networks_file") &&
	    !config_setting_get_member(group, "networks"))
		return zone_netfile(c, group, what, z);
	r = counted_list(c, group, "networks", what, MODEL_NETWORKS_MAX,
			 &c->networks, &list);
	if (r < 0)
		return r;
	any = find_any(list);
	if (any && config_setting_length(list) > 1) {
		cfg_error(c, any, what, "'any' must be the only network of a zone");
		return -EINVAL;
	}
	if (any)
		z->any = true;
	else
		r = cidr_list(c, list, what, "network", &z->networks,
			      &z->network_count);
	return cfg_worse(r, zone_netfile(c, group, what, z));
}

static int zone_class(struct cfg *c, const config_setting_t *group,
		      const char *what, struct zone *z)
{
	const char *text = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, "class", what, true, &text), class;

	if (r < 0)
		return r;
	class = zone_class_parse(text);
	if (class < 0) {
		cfg_error(c, config_setting_get_member(group, "class"), what,
			  "unknown class %s: use isolated, lgwan, internet or "
			  "general", cfg_clip(text, clip));
		return -EINVAL;
	}
	z->class = (enum zone_class)class;
	return 0;
}

int cfg_zone_parse(struct cfg *c, const config_setting_t *s,
		   char what[CFG_WHAT_MAX], void *item)
{
	static const char *const keys[] = {
		"name", "class", "interfaces", "networks", "networks_file",
		"intra", "comment", NULL
	};
	struct zone *z = item;
	int r = cfg_name(c, s, "zone", what, &z->name);

	r = cfg_worse(r, cfg_check_keys(c, s, what, keys));
	r = cfg_worse(r, zone_class(c, s, what, z));
	r = cfg_worse(r, zone_interfaces(c, s, what, z));
	r = cfg_worse(r, zone_networks(c, s, what, z));
	r = cfg_worse(r, cfg_choice(c, s, "intra", what, "drop", "accept",
				    &z->intra_accept));
	r = cfg_worse(r, cfg_text(c, s, "comment", what, &z->comment));
	cfg_origin(c, s, &z->origin);
	return r;
}

static const char *zone_name(const void *items, size_t i)
{
	return ((const struct zone *)items)[i].name;
}

static const char *host_name(const void *items, size_t i)
{
	return ((const struct host *)items)[i].name;
}

int cfg_find_zone(struct cfg *c, const char *name)
{
	return nameidx_find(&c->zone_idx, c->m->zones, c->m->zone_count,
			    zone_name, name);
}

int cfg_find_host(struct cfg *c, const char *name)
{
	return nameidx_find(&c->host_idx, c->m->hosts, c->m->host_count,
			    host_name, name);
}

static int host_zone(struct cfg *c, const config_setting_t *group,
		     const char *what, struct host *h)
{
	const char *name = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, "zone", what, true, &name), i;

	if (r < 0)
		return r;
	i = cfg_find_zone(c, name);
	if (i >= 0) {
		h->zone = (size_t)i;
		return 0;
	}
	if (!cfg_failed_has(c, name))
		cfg_error(c, config_setting_get_member(group, "zone"), what,
			  "unknown zone %s", cfg_clip(name, clip));
	return -EINVAL;
}

static int host_role(struct cfg *c, const config_setting_t *group,
		     const char *what, struct host *h)
{
	const char *text = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, "role", what, false, &text), role;

	if (r < 0 || !text)
		return r;
	role = host_role_parse(text);
	if (role < 0) {
		cfg_error(c, config_setting_get_member(group, "role"), what,
			  "unknown role %s: use mail-sanitizer, file-sanitizer, "
			  "screen-transfer, virtual-browser, lbo-service or "
			  "security-cloud", cfg_clip(text, clip));
		return -EINVAL;
	}
	h->role = (enum host_role)role;
	return 0;
}

static int host_addresses(struct cfg *c, const config_setting_t *group,
			  const char *what, struct host *h)
{
	const config_setting_t *list, *any;
	int r = cfg_string_list(c, group, "addresses", what,
				MODEL_LIST_MAX, &list);

	if (r < 0)
		return r;
	any = find_any(list);
	if (any) {
		cfg_error(c, any, what, "invalid address 'any': 'any' is only "
			  "for the networks of a zone");
		return -EINVAL;
	}
	return cidr_list(c, list, what, "address", &h->addresses,
			 &h->address_count);
}

int cfg_host_parse(struct cfg *c, const config_setting_t *s,
		   char what[CFG_WHAT_MAX], void *item)
{
	static const char *const keys[] = {
		"name", "zone", "addresses", "role", "comment", NULL
	};
	struct host *h = item;
	int r = cfg_name(c, s, "host", what, &h->name);

	r = cfg_worse(r, cfg_check_keys(c, s, what, keys));
	r = cfg_worse(r, host_zone(c, s, what, h));
	r = cfg_worse(r, host_addresses(c, s, what, h));
	r = cfg_worse(r, host_role(c, s, what, h));
	r = cfg_worse(r, cfg_text(c, s, "comment", what, &h->comment));
	cfg_origin(c, s, &h->origin);
	return r;
}
