/* config_ha.c - the ha group of the config file: a redundant gateway pair.
 *
 * Here only what one setting says on its own (types, addresses, names,
 * ranges, an absolute key path); the checks across settings (two nodes,
 * unique names, the sync interface in no zone, families, distinct ports)
 * are in validate_ha.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"

#define HA_WHAT "ha"
#define HA_SYNC_PORT_DEFAULT 3780
#define HA_PEER_PORT_DEFAULT 3781

/* One address of a node: a single host, no prefix. */
static int ha_address(struct cfg *c, const config_setting_t *s,
		      const char *what, const char *kind, void *item)
{
	const char *text = config_setting_get_string(s);
	struct cidr *out = item;
	char clip[CFG_CLIP_MAX];
	const char *why = NULL;

	if (!text) {
		cfg_error(c, s, what, "'%s' must be a string", kind);
		return -EINVAL;
	}
	if (cidr_parse_explain(text, out, &why) == 0) {
		if (cidr_is_single_host(out) && !strchr(text, '/')) {
			out->line = (int)config_setting_source_line(s);
			return 0;
		}
		why = "one address is needed, not a prefix";
	}
	cfg_error(c, s, what, "invalid %s address %s: %s", kind,
		  cfg_clip(text, clip), why);
	return -EINVAL;
}

static int node_vrrp(struct cfg *c, const config_setting_t *group,
		     const char *what, struct ha_node *n)
{
	static const struct cfg_strings vrrp = {
		.key = "vrrp", .max = MODEL_LIST_MAX, .kind = "vrrp",
		.size = sizeof(struct cidr), .parse = ha_address,
	};
	void *v = NULL;
	int r = cfg_string_array(c, group, what, &vrrp, &v, &n->vrrp_count);

	n->vrrp = v;
	return r;
}

static int node_parse(struct cfg *c, const config_setting_t *s,
		      struct ha_node *n)
{
	static const char *const keys[] = { "name", "sync", "vrrp", NULL };
	char what[CFG_WHAT_MAX] = "ha node";
	const config_setting_t *sync;
	int r;

	cfg_origin(c, s, &n->origin);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_error(c, s, "ha", "each node must be a group { ... }");
		return -EINVAL;
	}
	r = cfg_name(c, s, "ha node", what, &n->name);
	r = cfg_worse(r, cfg_check_keys(c, s, what, keys));
	sync = config_setting_get_member(s, "sync");
	if (!sync) {
		cfg_error(c, s, what, "'sync' is missing");
		r = cfg_worse(r, -EINVAL);
	} else {
		r = cfg_worse(r, ha_address(c, sync, what, "sync", &n->sync));
	}
	return cfg_worse(r, node_vrrp(c, s, what, n));
}

static int ha_nodes(struct cfg *c, const config_setting_t *ha,
		    struct model_ha *out)
{
	const config_setting_t *list = config_setting_get_member(ha, "nodes");
	int type = list ? config_setting_type(list) : CONFIG_TYPE_NONE, r = 0;
	int count;

	if (!list) {
		cfg_error(c, ha, HA_WHAT, "'nodes' is missing: name the two "
			  "nodes of the pair");
		return -EINVAL;
	}
	if (type != CONFIG_TYPE_LIST) {
		cfg_error(c, list, HA_WHAT, "'nodes' must be a list ( { ... }, "
			  "{ ... } )");
		return -EINVAL;
	}
	count = config_setting_length(list);
	out->nodes = calloc((size_t)count + 1, sizeof(*out->nodes));
	if (!out->nodes)
		return -ENOMEM;
	for (int i = 0; i < count && r != -ENOMEM; i++) {
		r = cfg_worse(r, node_parse(c, config_setting_get_elem(list, i),
					    &out->nodes[i]));
		out->node_count++;
	}
	return r;
}

static int ha_interfaces(struct cfg *c, const config_setting_t *ha,
			 struct model_ha *out)
{
	const config_setting_t *s = config_setting_get_member(ha, "sync_interface");
	const config_setting_t *list;
	const char *name = NULL;
	void *names = NULL;
	int r = cfg_string(c, ha, "sync_interface", HA_WHAT, true, &name);

	if (r == 0) {
		cfg_origin(c, s, &out->sync_interface_origin);
		r = cfg_interface(c, s, HA_WHAT, NULL, &out->sync_interface);
	}
	if (cfg_string_list(c, ha, "vrrp_interfaces", HA_WHAT,
			    MODEL_LIST_MAX, &list) < 0)
		return cfg_worse(r, -EINVAL);
	cfg_origin(c, list, &out->vrrp_interfaces_origin);
	r = cfg_worse(r, cfg_strings(c, list, HA_WHAT, &cfg_interface_strings,
				     &names, &out->vrrp_interface_count));
	out->vrrp_interfaces = names;
	return r;
}

/* A path setting: absolute, copied into *out (which holds a default or
 * NULL).  required: report it when missing. */
static int ha_path(struct cfg *c, const config_setting_t *ha, const char *key,
		   bool required, char **out)
{
	const char *path = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, ha, key, HA_WHAT, required, &path);

	if (r < 0 || !path)
		return r;
	if (path[0] != '/') {
		cfg_error(c, config_setting_get_member(ha, key), HA_WHAT,
			  "'%s' %s must be an absolute path", key,
			  cfg_clip(path, clip));
		return -EINVAL;
	}
	free(*out);
	*out = strdup(path);
	return *out ? 0 : -ENOMEM;
}

static int ha_ports(struct cfg *c, const config_setting_t *ha,
		    struct model_ha *out)
{
	long long sync = HA_SYNC_PORT_DEFAULT, peer = HA_PEER_PORT_DEFAULT;
	const config_setting_t *s = config_setting_get_member(ha, "peer_port");
	int r;

	r = cfg_int(c, ha, "conntrack_sync_port", HA_WHAT, 1, 65535, &sync);
	r = cfg_worse(r, cfg_int(c, ha, "peer_port", HA_WHAT, 1, 65535, &peer));
	out->conntrack_sync_port = (uint16_t)sync;
	out->peer_port = (uint16_t)peer;
	cfg_origin(c, s ? s : ha, &out->ports_origin);
	return r;
}

static int ha_defaults(struct model_ha *out)
{
	out->enabled = true;
	out->block_on_mismatch = true;
	out->weight_file = strdup(MODEL_HA_WEIGHT_FILE);
	return out->weight_file ? 0 : -ENOMEM;
}

int cfg_parse_ha(struct cfg *c, const config_setting_t *root)
{
	static const char *const keys[] = {
		"nodes", "sync_interface", "vrrp_interfaces",
		"conntrack_sync_port", "peer_port", "key_file",
		"block_on_mismatch", "weight_file", NULL
	};
	const config_setting_t *ha;
	struct model_ha *out = &c->m->ha;
	int r = cfg_group(c, root, "ha", NULL, &out->origin, &ha);

	if (r < 0 || !ha)
		return r;
	r = ha_defaults(out);
	if (r < 0)
		return r;
	r = cfg_check_keys(c, ha, HA_WHAT, keys);
	r = cfg_worse(r, ha_nodes(c, ha, out));
	if (r != -ENOMEM)
		r = cfg_worse(r, ha_interfaces(c, ha, out));
	if (r != -ENOMEM)
		r = cfg_worse(r, ha_ports(c, ha, out));
	if (r != -ENOMEM)
		r = cfg_worse(r, ha_path(c, ha, "key_file", true, &out->key_file));
	if (r != -ENOMEM)
		r = cfg_worse(r, ha_path(c, ha, "weight_file", false,
					 &out->weight_file));
	if (r != -ENOMEM)
		r = cfg_worse(r, cfg_bool(c, ha, "block_on_mismatch", HA_WHAT,
					  &out->block_on_mismatch));
	out->incomplete = r < 0;
	return r;
}
