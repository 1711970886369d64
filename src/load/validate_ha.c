/* validate_ha.c - the guardrails of the ha group (a redundant pair).
 *
 * config_ha.c has checked each setting alone.  Here: exactly two nodes with
 * distinct names and addresses, both sync addresses in one family, VRRP
 * addresses whose families both nodes share (IPv6 ones link-local, as VRRPv3
 * sends them), the sync interface in no zone and not a VRRP interface, no
 * interface listed twice, distinct ports.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "validate.h"

/* An error at line of o's file (o's own line when line is 0). */
#define ha_error(diags_, o_, at_, ...) \
	diags_add((diags_), DIAG_ERROR, (o_)->file, (at_) ? (at_) : (o_)->line, \
		  __VA_ARGS__)

static bool is_link_local6(const struct cidr *c)
{
	return c->family == AF_INET6 && c->addr[0] == 0xfe &&
	       (c->addr[1] & 0xc0) == 0x80;
}

static bool has_family(const struct ha_node *n, uint8_t family)
{
	for (size_t i = 0; i < n->vrrp_count; i++)
		if (n->vrrp[i].family == family)
			return true;
	return false;
}

static bool same_addr(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

/* Is n's i-th VRRP address one of n's earlier ones or one of o's? */
static bool vrrp_seen(const struct ha_node *n, size_t i,
		      const struct ha_node *o)
{
	for (size_t j = 0; j < i; j++)
		if (same_addr(&n->vrrp[i], &n->vrrp[j]))
			return true;
	for (size_t j = 0; o && j < o->vrrp_count; j++)
		if (same_addr(&n->vrrp[i], &o->vrrp[j]))
			return true;
	return false;
}

/* Each node's VRRP addresses: IPv6 ones link-local, none twice in the pair,
 * and every family of one node also a family of the other. */
static void check_vrrp(const struct model_ha *ha, struct diags *d)
{
	for (size_t k = 0; k < MODEL_HA_NODES; k++) {
		const struct ha_node *n = &ha->nodes[k], *o = &ha->nodes[!k];
		char text[64];

		for (size_t i = 0; i < n->vrrp_count; i++) {
			const struct cidr *a = &n->vrrp[i];

			cidr_format(a, text, sizeof(text));
			if (a->family == AF_INET6 && !is_link_local6(a))
				ha_error(d, &n->origin, a->line, "ha node '%s': "
					 "vrrp address '%s' is not link-local "
					 "(fe80::/10): VRRPv3 sends IPv6 adverts "
					 "from the link-local address", n->name,
					 text);
			else if (!has_family(o, a->family))
				ha_error(d, &n->origin, a->line, "ha node '%s': "
					 "vrrp address '%s' has no peer of its "
					 "family on the other node", n->name, text);
			if (vrrp_seen(n, i, k ? o : NULL))
				ha_error(d, &n->origin, a->line, "ha node '%s': "
					 "vrrp address '%s' is listed twice",
					 n->name, text);
		}
	}
}

static void check_nodes(const struct model_ha *ha, struct diags *d)
{
	const struct ha_node *a = &ha->nodes[0], *b = &ha->nodes[1];
	char text[64];

	if (strcmp(a->name, b->name) == 0)
		ha_error(d, &b->origin, 0, "ha node '%s': the name is already "
			 "used by the other node", b->name);
	cidr_format(&b->sync, text, sizeof(text));
	if (same_addr(&a->sync, &b->sync))
		ha_error(d, &b->origin, b->sync.line, "ha node '%s': sync "
			 "address '%s' is the other node's too", b->name, text);
	else if (a->sync.family != b->sync.family)
		ha_error(d, &b->origin, b->sync.line, "ha node '%s': sync "
			 "address '%s' is not in the other node's family",
			 b->name, text);
	check_vrrp(ha, d);
}

/* The zone that lists interface name, or NULL. */
static const struct zone *zone_of(const struct model *m, const char *name)
{
	for (size_t z = 0; z < m->zone_count; z++)
		for (size_t i = 0; i < m->zones[z].interface_count; i++)
			if (strcmp(m->zones[z].interfaces[i], name) == 0)
				return &m->zones[z];
	return NULL;
}

static void check_interfaces(const struct model *m, struct diags *d)
{
	const struct model_ha *ha = &m->ha;
	const struct origin *vo = &ha->vrrp_interfaces_origin;
	const struct zone *z;

	if (ha->sync_interface && (z = zone_of(m, ha->sync_interface)))
		ha_error(d, &ha->sync_interface_origin, 0, "ha: sync_interface "
			 "'%s' belongs to zone '%s': the sync link must be a "
			 "dedicated interface in no zone", ha->sync_interface,
			 z->name);
	for (size_t i = 0; i < ha->vrrp_interface_count; i++) {
		const char *name = ha->vrrp_interfaces[i];

		if (ha->sync_interface && strcmp(name, ha->sync_interface) == 0)
			ha_error(d, vo, 0, "ha: vrrp interface '%s' is the "
				 "sync_interface", name);
		else if (!zone_of(m, name))
			ha_error(d, vo, 0, "ha: vrrp interface '%s' belongs to "
				 "no zone: list it (or keepalived's VMAC "
				 "interface on it) in a zone's interfaces",
				 name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(ha->vrrp_interfaces[j], name) == 0)
				ha_error(d, vo, 0, "ha: vrrp interface '%s' is "
					 "listed twice", name);
	}
}

int validate_ha(const struct model *m, struct diags *d)
{
	const struct model_ha *ha = &m->ha;

	if (!ha->enabled || ha->incomplete)
		return 0;
	if (ha->node_count != MODEL_HA_NODES)
		diags_add(d, DIAG_ERROR, ha->origin.file, ha->origin.line,
			  "ha: %zu node%s: a pair needs exactly %d nodes",
			  ha->node_count, ha->node_count == 1 ? "" : "s",
			  MODEL_HA_NODES);
	else
		check_nodes(ha, d);
	check_interfaces(m, d);
	if (ha->conntrack_sync_port == ha->peer_port)
		diags_add(d, DIAG_ERROR, ha->ports_origin.file,
			  ha->ports_origin.line, "ha: peer_port %u is also the "
			  "conntrack_sync_port: they must differ",
			  ha->peer_port);
	return 0;
}
