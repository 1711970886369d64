/* compile_ha.c - the input rules of a redundant pair (the ha group).
 *
 * keepalived's VRRP adverts (IP protocol 112, to 224.0.0.18 or ff02::12,
 * TTL / hop limit 255 as RFC 5798 demands) are accepted only on the VRRP
 * interfaces and only from the nodes' VRRP addresses; conntrackd's UDP and
 * segmentd's peer beacon only on the sync interface and only from the
 * nodes' sync addresses.  The rules list both nodes, so both nodes compile
 * the same table.  Each accepted connection gets the gateway mark, like
 * management, so the guard table lets it through too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <string.h>

#include "compile.h"

#define IPPROTO_VRRP_NUM 112
#define VRRP_TTL 255

static const struct {
	int family;
	const char *vrrp, *sync, *group;
	uint8_t group_addr[16];
} fams[] = {
	{ AF_INET, "ha_vrrp_v4", "ha_sync_v4", "ha_vrrp_group_v4",
	  { 224, 0, 0, 18 } },
	{ AF_INET6, "ha_vrrp_v6", "ha_sync_v6", "ha_vrrp_group_v6",
	  { 0xff, 0x02, [15] = 0x12 } },
};

static struct rs_origin ha_origin(struct compiler *c, const char *what)
{
	struct rs_origin o = { .what = c->what, .file = c->m->ha.origin.file,
			       .line = c->m->ha.origin.line };

	snprintf(c->what, sizeof(c->what), "ha %s", what);
	return o;
}

/* The set of the nodes' sync (sync = true) or VRRP addresses of family. */
static int node_set(struct compiler *c, size_t f, bool sync)
{
	const struct model_ha *ha = &c->m->ha;
	struct interval_list l;
	struct rs_origin o = ha_origin(c, sync ? "sync" : "vrrp");
	struct interval iv;
	int err = 0;

	interval_list_init(&l, fams[f].family);
	for (size_t n = 0; n < ha->node_count && !err; n++) {
		const struct ha_node *node = &ha->nodes[n];

		if (sync && node->sync.family == fams[f].family) {
			cidr_to_interval(&node->sync, &iv);
			err = interval_list_add(&l, &iv);
		}
		for (size_t i = 0; !sync && i < node->vrrp_count && !err; i++) {
			if (node->vrrp[i].family != fams[f].family)
				continue;
			cidr_to_interval(&node->vrrp[i], &iv);
			err = interval_list_add(&l, &iv);
		}
	}
	if (!err) {
		interval_list_normalize(&l);
		err = compile_address_set(c, sync ? fams[f].sync : fams[f].vrrp,
					  fams[f].family, &l, &o);
	}
	interval_list_free(&l);
	return err;
}

static int group_set(struct compiler *c, size_t f)
{
	struct rs_origin o = ha_origin(c, "vrrp");
	struct rs_set *s = ruleset_add_set(c->rs, fams[f].group,
					   fams[f].family == AF_INET ?
					   RS_KEY_IPV4 : RS_KEY_IPV6, false, &o);

	if (!s)
		return -ENOMEM;
	return set_add_interval(s, fams[f].group_addr, fams[f].group_addr);
}

int compile_ha_sets(struct compiler *c)
{
	int err = 0;

	if (!c->m->ha.enabled)
		return 0;
	for (size_t f = 0; f < sizeof(fams) / sizeof(*fams) && !err; f++) {
		err = node_set(c, f, false);
		err = err ?: node_set(c, f, true);
		if (!err && ruleset_find_set(c->rs, fams[f].vrrp))
			err = group_set(c, f);
	}
	return err;
}

/* iifname IF meta nfproto F ip saddr @SET: the start of every HA rule. */
static struct rs_rule *ha_rule(struct compiler *c, struct rs_chain *ch,
			       const char *what, const char *ifname, size_t f,
			       const char *set)
{
	struct rs_origin o = ha_origin(c, what);
	struct rs_rule *r = chain_add_rule(ch, &o);
	int err;

	if (!r)
		return NULL;
	err = rule_name(r, RS_OP_IIFNAME_EQ, ifname, false);
	err = err ?: rule_num(r, RS_OP_NFPROTO, fams[f].family == AF_INET ?
			      NFPROTO_IPV4 : NFPROTO_IPV6);
	err = err ?: rule_name(r, RS_OP_SADDR_SET, set, false);
	return err ? NULL : r;
}

/* Marked like management (the guard table admits it), then accepted. */
static int ha_accept(struct rs_rule *r)
{
	int err = rule_num(r, RS_OP_CT_MARK_ASSIGN, compile_gateway_mark());

	return err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
}

static int vrrp_rules(struct compiler *c, struct rs_chain *ch, size_t f)
{
	const struct model_ha *ha = &c->m->ha;
	int err = 0;

	if (!ruleset_find_set(c->rs, fams[f].vrrp))
		return 0;
	for (size_t i = 0; i < ha->vrrp_interface_count && !err; i++) {
		struct rs_rule *r = ha_rule(c, ch, "vrrp", ha->vrrp_interfaces[i],
					    f, fams[f].vrrp);

		if (!r)
			return -ENOMEM;
		err = rule_name(r, RS_OP_DADDR_SET, fams[f].group, false);
		err = err ?: rule_num(r, RS_OP_L4PROTO, IPPROTO_VRRP_NUM);
		err = err ?: rule_num(r, fams[f].family == AF_INET ?
				      RS_OP_TTL_EQ : RS_OP_HOPLIMIT_EQ, VRRP_TTL);
		err = err ?: ha_accept(r);
	}
	return err;
}

static int sync_rules(struct compiler *c, struct rs_chain *ch, size_t f)
{
	const struct model_ha *ha = &c->m->ha;
	const uint16_t ports[] = { ha->conntrack_sync_port, ha->peer_port };
	const char *whats[] = { "conntrack sync", "peer beacon" };
	int err = 0;

	if (!ruleset_find_set(c->rs, fams[f].sync))
		return 0;
	for (size_t p = 0; p < 2 && !err; p++) {
		struct rs_rule *r = ha_rule(c, ch, whats[p], ha->sync_interface,
					    f, fams[f].sync);

		if (!r)
			return -ENOMEM;
		err = rule_num(r, RS_OP_L4PROTO, IPPROTO_UDP);
		err = err ?: rule_dport(r, ports[p], ports[p]);
		err = err ?: ha_accept(r);
	}
	return err;
}

int compile_ha_input(struct compiler *c, struct rs_chain *ch)
{
	int err = 0;

	if (!c->m->ha.enabled)
		return 0;
	for (size_t f = 0; f < sizeof(fams) / sizeof(*fams) && !err; f++)
		err = vrrp_rules(c, ch, f);
	for (size_t f = 0; f < sizeof(fams) / sizeof(*fams) && !err; f++)
		err = sync_rules(c, ch, f);
	return err;
}
