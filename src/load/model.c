/* model.c - the zone model: lifetime, lookups, names of enums, services. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void services_free(struct service *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].text);
	free(s);
}

void zone_clear(void *zone)
{
	struct zone *z = zone;

	if (!z)
		return;
	free(z->name);
	strv_free(z->interfaces, z->interface_count);
	free(z->networks);
	free(z->packed);
	free(z->comment);
	memset(z, 0, sizeof(*z));
}

void host_clear(void *host)
{
	struct host *h = host;

	if (!h)
		return;
	free(h->name);
	free(h->addresses);
	free(h->comment);
	memset(h, 0, sizeof(*h));
}

void flow_clear(void *flow)
{
	struct flow *f = flow;

	if (!f)
		return;
	free(f->name);
	services_free(f->services, f->service_count);
	free(f->comment);
	free(f->justification);
	free(f->expires_text);
	memset(f, 0, sizeof(*f));
}

void mgmt_rule_clear(void *rule)
{
	struct mgmt_rule *r = rule;

	if (!r)
		return;
	services_free(r->services, r->service_count);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

void model_ha_clear(struct model_ha *ha)
{
	for (size_t i = 0; ha->nodes && i < ha->node_count; i++) {
		free(ha->nodes[i].name);
		free(ha->nodes[i].vrrp);
	}
	free(ha->nodes);
	free(ha->sync_interface);
	strv_free(ha->vrrp_interfaces, ha->vrrp_interface_count);
	free(ha->key_file);
	free(ha->weight_file);
	memset(ha, 0, sizeof(*ha));
}

static int ha_find_node(const struct model_ha *ha, const char *name,
			size_t len)
{
	for (size_t i = 0; i < ha->node_count; i++)
		if (ha->nodes[i].name && strlen(ha->nodes[i].name) == len &&
		    strncmp(ha->nodes[i].name, name, len) == 0)
			return (int)i;
	return -ENOENT;
}

int model_ha_self(const struct model *m, const char *node_or_null,
		  const char *hostname)
{
	const struct model_ha *ha = &m->ha;
	int r;

	if (!ha->enabled)
		return -ENOENT;
	if (node_or_null)
		return ha_find_node(ha, node_or_null, strlen(node_or_null));
	if (!hostname || !hostname[0])
		return -ENOENT;
	r = ha_find_node(ha, hostname, strlen(hostname));
	if (r >= 0)
		return r;
	return ha_find_node(ha, hostname, strcspn(hostname, "."));
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->zones && i < m->zone_count; i++)
		zone_clear(&m->zones[i]);
	for (size_t i = 0; m->hosts && i < m->host_count; i++)
		host_clear(&m->hosts[i]);
	for (size_t i = 0; m->flows && i < m->flow_count; i++)
		flow_clear(&m->flows[i]);
	for (size_t i = 0; m->mgmt && i < m->mgmt_count; i++)
		mgmt_rule_clear(&m->mgmt[i]);
	free(m->zones);
	free(m->hosts);
	free(m->flows);
	free(m->mgmt);
	free(m->settings.table);
	free(m->settings.control_group);
	model_ha_clear(&m->ha);
	strv_free(m->files, m->file_count);
	model_init(m);
}

int model_find_zone(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->zone_count; i++)
		if (strcmp(m->zones[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int model_find_host(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->host_count; i++)
		if (strcmp(m->hosts[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

size_t endpoint_zone(const struct model *m, const struct endpoint *e)
{
	return e->kind == ENDPOINT_HOST ? m->hosts[e->index].zone : e->index;
}

const char *endpoint_name(const struct model *m, const struct endpoint *e)
{
	if (e->kind == ENDPOINT_HOST)
		return m->hosts[e->index].name;
	return m->zones[e->index].name;
}

static const char *const class_names[ZONE_CLASS_MAX] = {
	[ZONE_ISOLATED] = "isolated",
	[ZONE_LGWAN] = "lgwan",
	[ZONE_INTERNET] = "internet",
	[ZONE_GENERAL] = "general",
};

static const char *const role_names[ROLE_MAX] = {
	[ROLE_NONE] = "none",
	[ROLE_MAIL_SANITIZER] = "mail-sanitizer",
	[ROLE_FILE_SANITIZER] = "file-sanitizer",
	[ROLE_SCREEN_TRANSFER] = "screen-transfer",
	[ROLE_VIRTUAL_BROWSER] = "virtual-browser",
	[ROLE_LBO_SERVICE] = "lbo-service",
	[ROLE_SECURITY_CLOUD] = "security-cloud",
};

static int name_index(const char *const *names, int count, int first,
		      const char *s)
{
	for (int i = first; i < count; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *zone_class_name(enum zone_class c)
{
	return (unsigned int)c < ZONE_CLASS_MAX ? class_names[c] : "?";
}

int zone_class_parse(const char *s)
{
	return name_index(class_names, ZONE_CLASS_MAX, 0, s);
}

const char *host_role_name(enum host_role r)
{
	return (unsigned int)r < ROLE_MAX ? role_names[r] : "?";
}

int host_role_parse(const char *s)
{
	/* "none" is the absence of a role, not something to write. */
	return name_index(role_names, ROLE_MAX, ROLE_NONE + 1, s);
}

bool host_role_is_relay(enum host_role r)
{
	return r == ROLE_MAIL_SANITIZER || r == ROLE_FILE_SANITIZER ||
	       r == ROLE_SCREEN_TRANSFER || r == ROLE_VIRTUAL_BROWSER;
}

struct icmp_name {
	const char *name;
	uint8_t type;
};

/* The type names nft accepts (nft describe icmp_type / icmpv6_type). */
static const struct icmp_name icmp_names[] = {
	{ "echo-reply", 0 }, { "destination-unreachable", 3 },
	{ "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
	{ "router-advertisement", 9 }, { "router-solicitation", 10 },
	{ "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp-request", 13 }, { "timestamp-reply", 14 },
	{ "info-request", 15 }, { "info-reply", 16 },
	{ "address-mask-request", 17 }, { "address-mask-reply", 18 },
	{ NULL, 0 }
};

static const struct icmp_name icmpv6_names[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 },
	{ "time-exceeded", 3 }, { "parameter-problem", 4 },
	{ "echo-request", 128 }, { "echo-reply", 129 },
	{ "mld-listener-query", 130 }, { "mld-listener-report", 131 },
	{ "mld-listener-done", 132 }, { "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 }, { "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 }, { "nd-redirect", 137 },
	{ "router-renumbering", 138 }, { "ind-neighbor-solicit", 141 },
	{ "ind-neighbor-advert", 142 }, { "mld2-listener-report", 143 },
	{ NULL, 0 }
};

static const struct icmp_name *icmp_table(uint8_t proto)
{
	return proto == IPPROTO_ICMPV6 ? icmpv6_names : icmp_names;
}

const char *icmp_type_name(uint8_t proto, uint8_t type)
{
	for (const struct icmp_name *n = icmp_table(proto); n->name; n++)
		if (n->type == type)
			return n->name;
	return NULL;
}

/* Explanations that quote part of the input live here until the next call. */
static __thread char why_buf[96];

/* before 'value' after, with value cut at len (and at 32 bytes). */
static const char *why_quoted(const char *before, const char *value,
			      size_t len, const char *after)
{
	snprintf(why_buf, sizeof(why_buf), "%s'%.*s'%s", before,
		 (int)strnlen(value, len < 32 ? len : 32), value, after);
	return why_buf;
}

/* Decimal digits only, no sign; returns -EINVAL or -ERANGE above max. */
static int number_parse(const char *s, size_t len, unsigned long max,
			unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v <= max)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int port_parse(const char *s, size_t len, uint16_t *out,
		      const char **why)
{
	unsigned long v;
	int r = number_parse(s, len, 65535, &v);

	if (r == 0 && v == 0)
		r = -ERANGE;
	if (r == -ERANGE)
		*why = why_quoted("port ", s, len, " out of range");
	else if (r < 0)
		*why = why_quoted("invalid port ", s, len, "");
	else
		*out = (uint16_t)v;
	return r < 0 ? -EINVAL : 0;
}

static int ports_parse(const char *s, struct service *out, const char **why)
{
	const char *dash = strchr(s, '-');
	size_t len = dash ? (size_t)(dash - s) : strlen(s);

	if (*s == '\0') {
		*why = "missing port";
		return -EINVAL;
	}
	if (port_parse(s, len, &out->port_low, why) < 0)
		return -EINVAL;
	out->port_high = out->port_low;
	if (dash && port_parse(dash + 1, strlen(dash + 1), &out->port_high,
			       why) < 0)
		return -EINVAL;
	if (out->port_high < out->port_low) {
		*why = "empty port range";
		return -EINVAL;
	}
	return 0;
}

static int icmp_parse(const char *s, struct service *out, const char **why)
{
	unsigned long v;

	for (const struct icmp_name *n = icmp_table(out->proto); n->name; n++) {
		if (strcmp(n->name, s) == 0) {
			out->icmp_type = n->type;
			return 0;
		}
	}
	if (number_parse(s, strlen(s), 255, &v) == 0) {
		out->icmp_type = (uint8_t)v;
		return 0;
	}
	*why = why_quoted("unknown ICMP type ", s, strlen(s), "");
	return -EINVAL;
}

static int proto_parse(const char *s, size_t len, uint8_t *out)
{
	static const struct { const char *name; uint8_t proto; } protos[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	};

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strlen(protos[i].name) == len &&
		    strncmp(protos[i].name, s, len) == 0) {
			*out = protos[i].proto;
			return 0;
		}
	}
	return -EINVAL;
}

int service_parse(const char *text, struct service *out, const char **why)
{
	const char *slash = strchr(text, '/');

	memset(out, 0, sizeof(*out));
	if (!slash) {
		*why = "expected 'protocol/port' or 'protocol/type', e.g. 'tcp/443'";
		return -EINVAL;
	}
	if (proto_parse(text, (size_t)(slash - text), &out->proto) < 0) {
		*why = why_quoted("unknown protocol ", text,
				  (size_t)(slash - text), "");
		return -EINVAL;
	}
	if (out->proto == IPPROTO_TCP || out->proto == IPPROTO_UDP)
		return ports_parse(slash + 1, out, why);
	return icmp_parse(slash + 1, out, why);
}
