/* model.h - the zone model: what a validated config says (plain data).
 *
 * config.c fills it from a libconfig file, validate.c checks it (types,
 * references, overlaps, guardrails), compile.c turns it into a ruleset.
 * Nothing here does I/O.  Every object keeps the file and line it came from
 * so that later errors (even kernel errors) can point back at the config.
 */
#ifndef SEGMENTD_MODEL_H
#define SEGMENTD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

#define MODEL_NAME_MAX 31     /* zone/host/flow names: [a-z][a-z0-9-]* */
#define MODEL_IFNAME_MAX 15   /* IFNAMSIZ - 1 */
/* Limits of one config (segmentd.conf(5) LIMITS): beyond them the config is
 * refused at the list's line before its elements are parsed. */
#define MODEL_ZONES_MAX 4096        /* zones */
#define MODEL_HOSTS_MAX 16384       /* hosts */
#define MODEL_FLOWS_MAX 16384       /* flows */
#define MODEL_MGMT_MAX 1024         /* management rules */
#define MODEL_IFACES_MAX 16384      /* interfaces of all zones together */
#define MODEL_NETWORKS_MAX 1048576  /* networks of all zones (and files) */
#define MODEL_LIST_MAX 1024         /* a host's addresses, a flow's services */

enum zone_class {
	ZONE_ISOLATED,  /* My Number / care-review zone */
	ZONE_LGWAN,
	ZONE_INTERNET,
	ZONE_GENERAL,
	ZONE_CLASS_MAX
};

enum host_role {
	ROLE_NONE,
	ROLE_MAIL_SANITIZER,    /* "mail-sanitizer": mail text conversion */
	ROLE_FILE_SANITIZER,    /* "file-sanitizer": file 無害化 (CDR) */
	ROLE_SCREEN_TRANSFER,   /* "screen-transfer": VDI / RDS / SBC */
	ROLE_VIRTUAL_BROWSER,   /* "virtual-browser" */
	ROLE_LBO_SERVICE,       /* "lbo-service": α' local breakout target */
	ROLE_SECURITY_CLOUD,    /* "security-cloud": prefecture SC endpoint */
	ROLE_MAX
};

/* Where a setting came from. */
struct origin {
	const char *file;   /* points into struct model.files, not owned */
	int line;
};

struct zone {
	char *name;
	enum zone_class class;
	char **interfaces;
	size_t interface_count;
	struct cidr *networks;   /* NULL once packed */
	size_t network_count;
	uint8_t *packed;     /* model_pack(): the networks, lines left out */
	size_t packed_len;
	bool any;            /* networks = ["any"]: everything not in another zone */
	const char *networks_file;  /* points into model.files, or NULL */
	size_t file_first;   /* networks[file_first..] come from networks_file */
	bool intra_accept;   /* intra = "accept"; default "drop" */
	char *comment;
	struct origin origin;
};

/* The file a network of z was written in (its line is c->line). */
static inline const char *zone_network_file(const struct zone *z,
					    const struct cidr *c)
{
	return z->networks_file && c >= z->networks + z->file_first ?
	       z->networks_file : z->origin.file;
}

struct host {
	char *name;
	size_t zone;         /* index into model.zones */
	enum host_role role;
	struct cidr *addresses;
	size_t address_count;
	char *comment;
	struct origin origin;
};

enum endpoint_kind { ENDPOINT_ZONE, ENDPOINT_HOST, ENDPOINT_KIND_MAX };

struct endpoint {
	enum endpoint_kind kind;
	size_t index;        /* into model.zones or model.hosts */
};

/* "tcp/443", "udp/3389", "tcp/1000-2000", "icmp/echo-request",
 * "icmpv6/echo-request".  No "any": every service is explicit. */
struct service {
	uint8_t proto;       /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	uint16_t port_low;   /* tcp/udp: inclusive range */
	uint16_t port_high;
	uint8_t icmp_type;   /* icmp/icmpv6 */
	char *text;          /* as written, for messages */
	struct origin origin;
};

struct flow {
	char *name;
	struct endpoint from, to;
	struct service *services;
	size_t service_count;
	bool bidirectional;  /* both = true: NEW allowed from either end */
	char *comment;       /* may be NULL */
	char *justification; /* may be NULL; required when touching isolated */
	bool has_expiry;
	char *expires_text;  /* "YYYY-MM-DD" as written */
	time_t expires;      /* first second after the expiry day (UTC) */
	struct origin origin;
};

/* Management: who may reach which services on the gateway itself. */
struct mgmt_rule {
	struct endpoint from;
	struct service *services;
	size_t service_count;
	char *comment;
	struct origin origin;
};

struct settings {
	char *table;         /* default "segmentd" */
	bool ownership;      /* default true */
	bool log_denied;     /* default true */
	bool log_monitor;    /* the daemon reads the NFLOG group; default true */
	uint16_t log_group;  /* NFLOG group, default 0 */
	uint32_t log_rate;   /* packets per second, default 10 */
	uint32_t log_burst;  /* default 5 */
	bool unzoned_input_accept; /* input from interfaces in no zone; default true */
	/* any_zone = "negated": the any zone as "in no other zone's set"
	 * (compile_any_plan); default "set": a set of its own */
	bool any_negated;
	uint32_t verify_interval_ms;      /* cheap check; default 1000 */
	uint32_t full_verify_interval_s;  /* full dump compare; default 300 */
	char *control_group;     /* group allowed on the control socket, or NULL */
	struct origin origin;
};

/* The ha group: a redundant pair (keepalived + conntrackd).  The rules it
 * compiles to list both nodes' addresses, so both nodes build the same
 * table; which node this is (model_ha_self) changes nothing in it. */
#define MODEL_HA_NODES 2
/* ha.weight_file when the config names none */
#define MODEL_HA_WEIGHT_FILE "/run/segmentd/ha-weight"

struct ha_node {
	char *name;
	struct cidr sync;      /* its address on sync_interface (one host) */
	struct cidr *vrrp;     /* its VRRP source addresses (hosts) */
	size_t vrrp_count;
	struct origin origin;
};

struct model_ha {
	bool enabled;          /* the config has an ha group */
	bool incomplete;       /* a setting did not parse (reported): the
				* checks across settings are skipped */
	struct ha_node *nodes;
	size_t node_count;     /* exactly MODEL_HA_NODES once validated */
	char *sync_interface;
	char **vrrp_interfaces;
	size_t vrrp_interface_count;
	uint16_t conntrack_sync_port;   /* default 3780 */
	uint16_t peer_port;             /* default 3781 */
	char *key_file;        /* absolute path */
	bool block_on_mismatch;         /* default true */
	char *weight_file;     /* default MODEL_HA_WEIGHT_FILE */
	struct origin origin;
	struct origin sync_interface_origin;
	struct origin vrrp_interfaces_origin;
	struct origin ports_origin;     /* peer_port's line, else the group's */
};

struct model {
	int version;         /* 1 */
	struct settings settings;
	struct model_ha ha;
	struct zone *zones;
	size_t zone_count;
	struct host *hosts;
	size_t host_count;
	struct flow *flows;
	size_t flow_count;
	struct mgmt_rule *mgmt;
	size_t mgmt_count;
	char **files;        /* every file read (main + includes), owned */
	size_t file_count;
	/* SHA-256 of those files' bytes as parsed, when the load staged
	 * them (include/source.h; the daemon's loads), else all zero */
	uint8_t files_sha256[32];
};

void model_init(struct model *m);
void model_free(struct model *m);

/* model_pack.c: the zones' networks (100k a zone, 24 bytes each) packed
 * into 1-17 bytes each, their lines left out: for a model that is kept
 * (the daemon's) once validated and compiled.  A zone whose packing fails
 * stays as it was (-ENOMEM).  Read the networks of a zone, packed or not,
 * with zone_network_next() (or zone_nets_build(), zonenets.h). */
int model_pack(struct model *m);
struct zone_net_iter {
	size_t index, off;
};
void zone_net_begin(struct zone_net_iter *it);
/* The next network of z into *out (line 0 when packed); false after the
 * last. */
bool zone_network_next(const struct zone *z, struct zone_net_iter *it,
		       struct cidr *out);
/* Free what one object owns and zero it (for objects that failed to parse;
 * model_free uses them too).  NULL-safe. */
/* Free what one zone, host, flow or management rule owns and zero it (NULL
 * is fine).  void *: the config's list parser clears elements of every
 * section through one function pointer type. */
void zone_clear(void *zone);
void host_clear(void *host);
void flow_clear(void *flow);
void mgmt_rule_clear(void *rule);
void model_ha_clear(struct model_ha *ha);
/* Which node of the ha group this gateway is: the node named node_or_null
 * if given, else the node whose name is hostname or hostname's first label
 * ("gw-a" for "gw-a.example.org").  The node's index or -ENOENT (also when
 * the config has no ha group). */
int model_ha_self(const struct model *m, const char *node_or_null,
		  const char *hostname);
/* Lookups by name; return -ENOENT or the index (>= 0). */
int model_find_zone(const struct model *m, const char *name);
int model_find_host(const struct model *m, const char *name);
/* The zone an endpoint lies in. */
size_t endpoint_zone(const struct model *m, const struct endpoint *e);
const char *endpoint_name(const struct model *m, const struct endpoint *e);

const char *zone_class_name(enum zone_class c);
int zone_class_parse(const char *s);          /* -EINVAL or the class */
const char *host_role_name(enum host_role r);
int host_role_parse(const char *s);           /* -EINVAL or the role */
bool host_role_is_relay(enum host_role r);    /* sanitisers, screen, vbrowser */

/* Service text parser; returns 0 or -EINVAL with *why set to an
 * explanation ("port '70000' out of range", "unknown ICMP type 'x'", ...)
 * in static or thread-local storage, valid until the next call.  out->text
 * is not set (the caller owns it); out->port_low/high are 0 for ICMP. */
int service_parse(const char *text, struct service *out, const char **why);
const char *icmp_type_name(uint8_t proto, uint8_t type);

#endif
