/* test_config.c - the config file: syntax, types, values, includes, and the
 * exact "file:line: error: message" text of every parse error. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "check_main.h"

#define NOW ((time_t)1768435200)   /* 2026-01-15 00:00 UTC */

/* One zone on line 2, the smallest valid config. */
#define V "version = 1;\n"
#define LG "{ name = \"lg\"; class = \"lgwan\"; interfaces = [ \"lg0\" ]; " \
	   "networks = [ \"10.2.0.0/16\" ]; }"
#define MINIMAL V "zones = ( " LG " );\n"

static struct model m;
static struct diags d;

static void setup(void)
{
	model_init(&m);
	diags_init(&d);
}

static void teardown(void)
{
	model_free(&m);
	diags_free(&d);
}

static char *printed(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	diags_print(&d, f);
	fclose(f);
	return text;
}

/* Loads text as "t.conf" (validating what parsed) and compares all the
 * diagnostics printed with want. */
static void expect(const char *text, const char *want)
{
	char *got;

	model_free(&m);
	diags_free(&d);
	if (config_load_string(text, "t.conf", &m, &d) == 0 || m.zone_count)
		model_validate(&m, NOW, &d);
	got = printed();
	ck_assert_str_eq(got, want);
	free(got);
}

/* A valid text: no diagnostics at all. */
static void load_ok(const char *text)
{
	expect(text, "");
	ck_assert_int_eq(d.errors, 0);
}

/* A zone line (line 2) with one member replaced or added. */
static char *zone_with(const char *members)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, V "zones = ( { name = \"lg\"; %s } );\n",
				  members), 0);
	return text;
}

static void expect_zone(const char *members, const char *want)
{
	char *text = zone_with(members);

	expect(text, want);
	free(text);
}

#define ZONE_REST "class = \"lgwan\"; interfaces = [ \"lg0\" ]; "

/* A host (line 3) or flow (line 4) after MINIMAL's zone. */
static void expect_host(const char *host, const char *want)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, MINIMAL "hosts = ( %s );\n", host), 0);
	expect(text, want);
	free(text);
}

#define HOST_A "{ name = \"a\"; zone = \"lg\"; addresses = [ \"10.2.0.1\" ]; }"

static void expect_flow(const char *flow, const char *want)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, MINIMAL "hosts = ( " HOST_A " );\n"
				  "flows = ( %s );\n", flow), 0);
	expect(text, want);
	free(text);
}

static void expect_settings(const char *settings, const char *want)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, MINIMAL "settings = { %s };\n",
				  settings), 0);
	expect(text, want);
	free(text);
}

START_TEST(minimal_defaults)
{
	load_ok(MINIMAL);
	ck_assert_int_eq(m.version, 1);
	ck_assert_str_eq(m.settings.table, "segmentd");
	ck_assert(m.settings.ownership);
	ck_assert(m.settings.log_denied);
	ck_assert_int_eq(m.settings.log_group, 0);
	ck_assert_int_eq(m.settings.log_rate, 10);
	ck_assert_int_eq(m.settings.log_burst, 5);
	ck_assert(m.settings.unzoned_input_accept);
	ck_assert(!m.settings.any_negated);
	ck_assert_uint_eq(m.zone_count, 1);
	ck_assert_str_eq(m.zones[0].name, "lg");
	ck_assert_int_eq(m.zones[0].class, ZONE_LGWAN);
	ck_assert(!m.zones[0].intra_accept);
	ck_assert(!m.zones[0].any);
	ck_assert_uint_eq(m.file_count, 1);
	ck_assert_str_eq(m.files[0], "t.conf");
	ck_assert_ptr_eq(m.zones[0].origin.file, m.files[0]);
	ck_assert_int_eq(m.zones[0].origin.line, 2);
}
END_TEST

START_TEST(values)
{
	load_ok(V "settings = { table = \"fw_1-a\"; ownership = false;\n"
		"  log = { enabled = false; group = 65535; rate = 100000; "
		"burst = 10000; }; unzoned_input = \"drop\"; any_zone = \"negated\"; };\n"
		"zones = ( { name = \"z-1\"; class = \"general\"; intra = \"accept\";\n"
		"  interfaces = ( \"eth0\", \"eth1.100\" ); networks = [ \"10.0.0.0/8\", "
		"\"2001:db8::/32\", \"192.0.2.1\" ]; comment = \"x\"; },\n"
		"  { name = \"w\"; class = \"internet\"; interfaces = [ \"wan0\" ]; "
		"networks = ( \"any\" ); } );\n"
		"hosts = ( { name = \"h\"; zone = \"z-1\"; role = \"file-sanitizer\";\n"
		"  addresses = ( \"10.1.2.3\", \"2001:db8::5\" ); } );\n"
		"flows = ( { name = \"f\"; from = \"h\"; to = \"w\"; both = true;\n"
		"  services = [ \"tcp/1000-2000\", \"udp/53\", \"icmp/8\", "
		"\"icmpv6/packet-too-big\" ]; comment = \"c\"; justification = \"j\";\n"
		"  expires = \"2028-02-29\"; } );\n"
		"management = ( { from = \"z-1\"; services = ( \"tcp/22\" ); } );\n");
	ck_assert_str_eq(m.settings.table, "fw_1-a");
	ck_assert(!m.settings.ownership && !m.settings.log_denied);
	ck_assert_int_eq(m.settings.log_group, 65535);
	ck_assert_int_eq(m.settings.log_rate, 100000);
	ck_assert_int_eq(m.settings.log_burst, 10000);
	ck_assert(!m.settings.unzoned_input_accept);
	ck_assert(m.settings.any_negated);
	ck_assert(m.zones[0].intra_accept);
	ck_assert_uint_eq(m.zones[0].interface_count, 2);
	ck_assert_str_eq(m.zones[0].interfaces[1], "eth1.100");
	ck_assert_uint_eq(m.zones[0].network_count, 3);
	ck_assert_int_eq(m.zones[0].networks[1].family, AF_INET6);
	ck_assert_int_eq(m.zones[0].networks[2].prefix, 32);
	ck_assert_int_eq(m.zones[0].networks[0].line, 5);
	ck_assert(m.zones[1].any);
	ck_assert_uint_eq(m.zones[1].network_count, 0);
	ck_assert_int_eq(m.hosts[0].role, ROLE_FILE_SANITIZER);
	ck_assert_uint_eq(m.hosts[0].zone, 0);
	ck_assert_uint_eq(m.hosts[0].address_count, 2);
	ck_assert_int_eq(m.flows[0].from.kind, ENDPOINT_HOST);
	ck_assert_int_eq(m.flows[0].to.kind, ENDPOINT_ZONE);
	ck_assert_uint_eq(m.flows[0].to.index, 1);
	ck_assert(m.flows[0].bidirectional);
	ck_assert_uint_eq(m.flows[0].service_count, 4);
	ck_assert_int_eq(m.flows[0].services[0].proto, IPPROTO_TCP);
	ck_assert_int_eq(m.flows[0].services[0].port_low, 1000);
	ck_assert_int_eq(m.flows[0].services[0].port_high, 2000);
	ck_assert_str_eq(m.flows[0].services[0].text, "tcp/1000-2000");
	ck_assert_int_eq(m.flows[0].services[2].icmp_type, 8);
	ck_assert_int_eq(m.flows[0].services[3].proto, IPPROTO_ICMPV6);
	ck_assert_int_eq(m.flows[0].services[3].icmp_type, 2);
	ck_assert(m.flows[0].has_expiry);
	ck_assert_str_eq(m.flows[0].expires_text, "2028-02-29");
	ck_assert_int_eq(m.flows[0].expires, 1835481600);  /* 2028-03-01 UTC */
	ck_assert_str_eq(m.flows[0].justification, "j");
	ck_assert_uint_eq(m.mgmt_count, 1);
	ck_assert_int_eq(m.mgmt[0].from.kind, ENDPOINT_ZONE);
	ck_assert_int_eq(m.mgmt[0].origin.line, 12);
}
END_TEST

START_TEST(syntax)
{
	expect(V "zones = (\n", "t.conf:3: error: syntax error\n");
	expect("version = 1;\nzones = [ \"a\", 1 ];\n",
	       "t.conf:2: error: mismatched element type in array\n");
	expect("version = 1;\nversion = 1;\n",
	       "t.conf:2: error: duplicate setting name\n");
	expect("\xff\xfe", "t.conf:1: error: syntax error\n");
}
END_TEST

START_TEST(top_level)
{
	expect("", "t.conf: error: the file has no settings: it needs "
	       "'version = 1;' and 'zones'\n");
	expect("# nothing but a comment\n", "t.conf: error: the file has no "
	       "settings: it needs 'version = 1;' and 'zones'\n");
	expect("zones = ( " LG " );\n", "t.conf: error: 'version' is "
	       "missing: this format needs 'version = 1;'\n");
	expect("version = 2;\nzones = ( " LG " );\n", "t.conf:1: error: "
	       "unsupported version 2: this segmentd reads version 1\n");
	expect("version = \"1\";\nzones = ( " LG " );\n",
	       "t.conf:1: error: 'version' must be an integer\n");
	expect(MINIMAL "zone = 1;\n", "t.conf:3: error: unknown key 'zone'\n");
	expect(V, "t.conf: error: 'zones' is missing: at least one zone is "
	       "required\n");
	expect(V "zones = ();\n", "t.conf:2: error: 'zones' is empty: at least "
	       "one zone is required\n");
	expect(V "zones = [];\n", "t.conf:2: error: 'zones' is empty: at least "
	       "one zone is required\n");
	expect(V "zones = { a = 1; };\n", "t.conf:2: error: 'zones' must be a "
	       "list of groups: zones = ( { ... }, { ... } );\n");
	expect(MINIMAL "hosts = [ \"a\" ];\n", "t.conf:3: error: 'hosts' must "
	       "be a list of groups: hosts = ( { ... }, { ... } );\n");
	expect(V "zones = ( \"lg\" );\n",
	       "t.conf:2: error: zone #1: must be a group { ... }\n");
}
END_TEST

START_TEST(settings)
{
	expect(MINIMAL "settings = 1;\n",
	       "t.conf:3: error: 'settings' must be a group { ... }\n");
	expect_settings("tabel = \"x\";",
			"t.conf:3: error: settings: unknown key 'tabel'\n");
	expect_settings("table = \"my table\";", "t.conf:3: error: settings: "
			"invalid table name 'my table': use 1 to 32 letters, "
			"digits, '_' or '-'\n");
	expect_settings("table = \"\";", "t.conf:3: error: settings: invalid "
			"table name '': use 1 to 32 letters, digits, '_' or '-'\n");
	expect_settings("table = \"t23456789012345678901234567890123\";",
			"t.conf:3: error: settings: invalid table name "
			"'t23456789012345678901234567890123': use 1 to 32 "
			"letters, digits, '_' or '-'\n");
	expect_settings("table = 1;",
			"t.conf:3: error: settings: 'table' must be a string\n");
	expect_settings("ownership = 1;", "t.conf:3: error: settings: "
			"'ownership' must be true or false\n");
	expect_settings("unzoned_input = \"reject\";", "t.conf:3: error: "
			"settings: 'unzoned_input' must be 'drop' or 'accept', "
			"not 'reject'\n");
	expect_settings("any_zone = \"complement\";", "t.conf:3: error: "
			"settings: 'any_zone' must be 'set' or 'negated', "
			"not 'complement'\n");
	expect_settings("log = 5;",
			"t.conf:3: error: settings: 'log' must be a group { ... }\n");
}
END_TEST

START_TEST(settings_log)
{
	expect_settings("log = { level = 1; };",
			"t.conf:3: error: settings: log: unknown key 'level'\n");
	expect_settings("log = { enabled = \"yes\"; };", "t.conf:3: error: "
			"settings: log: 'enabled' must be true or false\n");
	expect_settings("log = { group = 65536; };", "t.conf:3: error: "
			"settings: log: 'group' is 65536, out of range 0..65535\n");
	expect_settings("log = { group = -1; };", "t.conf:3: error: "
			"settings: log: 'group' is -1, out of range 0..65535\n");
	expect_settings("log = { rate = 0; };", "t.conf:3: error: "
			"settings: log: 'rate' is 0, out of range 1..100000\n");
	/* libconfig 1.5 reads a plain 99999999999 as a truncated int; with
	 * the L suffix it is an int64 and the range check sees it */
	expect_settings("log = { rate = 99999999999L; };", "t.conf:3: error: "
			"settings: log: 'rate' is 99999999999, out of range "
			"1..100000\n");
	expect_settings("log = { burst = 10001; };", "t.conf:3: error: "
			"settings: log: 'burst' is 10001, out of range 1..10000\n");
	expect_settings("log = { burst = 1.5; };", "t.conf:3: error: "
			"settings: log: 'burst' must be an integer\n");
}
END_TEST

START_TEST(zone_keys)
{
	expect(V "zones = ( { class = \"lgwan\"; interfaces = [ \"lg0\" ]; "
	       "networks = [ \"10.2.0.0/16\" ]; } );\n",
	       "t.conf:2: error: zone #1: 'name' is missing\n");
	expect_zone("colour = \"red\"; " ZONE_REST "networks = [ \"10.2.0.0/16\" ];",
		    "t.conf:2: error: zone 'lg': unknown key 'colour'\n");
	expect_zone("interfaces = [ \"lg0\" ]; networks = [ \"10.2.0.0/16\" ];",
		    "t.conf:2: error: zone 'lg': 'class' is missing\n");
	expect_zone("class = \"dmz\"; interfaces = [ \"lg0\" ]; "
		    "networks = [ \"10.2.0.0/16\" ];", "t.conf:2: error: zone "
		    "'lg': unknown class 'dmz': use isolated, lgwan, internet or "
		    "general\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/16\" ]; intra = true;",
		    "t.conf:2: error: zone 'lg': 'intra' must be a string\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/16\" ]; intra = \"allow\";",
		    "t.conf:2: error: zone 'lg': 'intra' must be 'drop' or "
		    "'accept', not 'allow'\n");
	expect_zone("", "t.conf:2: error: zone 'lg': 'class' is missing\n"
		    "t.conf:2: error: zone 'lg': 'interfaces' is missing\n"
		    "t.conf:2: error: zone 'lg': 'networks' is missing\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/16\" ]; comment = 1;",
		    "t.conf:2: error: zone 'lg': 'comment' must be a string\n");
}
END_TEST

START_TEST(names)
{
	static const char *const bad[] = {
		"Lg", "lg_1", "1lg", "-lg", "lg.1", "", "l g",
		"a234567890123456789012345678901x",   /* 32 characters */
		"まいなんばー",
	};
	char want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = NULL;

		ck_assert_int_ge(asprintf(&text, V "zones = ( { name = \"%s\"; "
					  ZONE_REST "networks = [ \"10.2.0.0/16\" ]; "
					  "} );\n", bad[i]), 0);
		snprintf(want, sizeof(want), "t.conf:2: error: zone #1: "
			 "invalid name '%s': use lower-case letters, digits and "
			 "'-', starting with a letter, at most 31 characters\n",
			 bad[i]);
		expect(text, want);
		free(text);
	}
	load_ok(V "zones = ( { name = \"a234567890123456789012345678901\"; "
		ZONE_REST "networks = [ \"10.2.0.0/16\" ]; } );\n");
	expect(V "zones = ( { name = 7; " ZONE_REST "networks = [ \"10.2.0.0/16\" ]; } );\n",
	       "t.conf:2: error: zone #1: 'name' must be a string\n");
}
END_TEST

START_TEST(interfaces)
{
	const char *nets = "networks = [ \"10.2.0.0/16\" ]; class = \"lgwan\";";
	char members[256];
	const char *problem = "interface names may not contain '/', ':', "
			      "quotes, spaces or control characters";
	static const char *const bad_chars[] = {
		"eth/0", "eth0:1", "eth 0", "eth\\\"0", "eth\\t0",
	};

	snprintf(members, sizeof(members), "%s interfaces = \"lg0\";", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': 'interfaces' must be "
		    "an array of strings\n");
	snprintf(members, sizeof(members), "%s interfaces = ( \"lg0\", 1 );", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': 'interfaces' must be "
		    "an array of strings\n");
	snprintf(members, sizeof(members), "%s interfaces = [ ];", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': 'interfaces' must not "
		    "be empty\n");
	snprintf(members, sizeof(members), "%s interfaces = [ \"\" ];", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': invalid interface '': "
		    "interface names have 1 to 15 characters\n");
	snprintf(members, sizeof(members),
		 "%s interfaces = [ \"a234567890123456\" ];", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': invalid interface "
		    "'a234567890123456': interface names have 1 to 15 characters\n");
	snprintf(members, sizeof(members), "%s interfaces = [ \"..\" ];", nets);
	expect_zone(members, "t.conf:2: error: zone 'lg': invalid interface "
		    "'..': '.' and '..' are not interface names\n");
	for (size_t i = 0; i < sizeof(bad_chars) / sizeof(*bad_chars); i++) {
		char *text;

		snprintf(members, sizeof(members), "%s interfaces = [ \"%s\" ];",
			 nets, bad_chars[i]);
		text = zone_with(members);
		model_free(&m);
		diags_free(&d);
		config_load_string(text, "t.conf", &m, &d);
		free(text);
		ck_assert_int_eq(d.errors, 1);
		ck_assert_msg(strstr(d.items[0].message, problem), "%s",
			      d.items[0].message);
	}
	snprintf(members, sizeof(members),
		 "%s interfaces = [ \"a23456789012345\" ];", nets);
	expect_zone(members, "");
}
END_TEST

START_TEST(networks)
{
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/33\" ];", "t.conf:2: "
		    "error: zone 'lg': invalid network '10.2.0.0/33': prefix "
		    "length out of range\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.1/16\" ];", "t.conf:2: "
		    "error: zone 'lg': invalid network '10.2.0.1/16': host bits "
		    "set (did you mean '10.2.0.0/16'?)\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/16\", \"lgwan\" ];",
		    "t.conf:2: error: zone 'lg': invalid network 'lgwan': not an "
		    "IPv4 or IPv6 address\n");
	expect_zone(ZONE_REST "networks = [ \"10.2.0.0/16\", \"any\" ];",
		    "t.conf:2: error: zone 'lg': 'any' must be the only network "
		    "of a zone\n");
	expect_zone(ZONE_REST "networks = \"10.2.0.0/16\";", "t.conf:2: error: "
		    "zone 'lg': 'networks' must be an array of strings\n");
	expect_zone(ZONE_REST, "t.conf:2: error: zone 'lg': 'networks' is "
		    "missing\n");
	/* all the problems of one zone, each on its own line */
	expect(V "zones = ( { name = \"lg\"; class = \"lgwan\";\n"
	       "  interfaces = [ \"lg0\" ];\n  networks = [ \"10.2.0.0/16\",\n"
	       "    \"10.3.0.1/8\",\n    \"fd00::1/200\" ]; } );\n",
	       "t.conf:5: error: zone 'lg': invalid network '10.3.0.1/8': host "
	       "bits set (did you mean '10.0.0.0/8'?)\n"
	       "t.conf:6: error: zone 'lg': invalid network 'fd00::1/200': "
	       "prefix length out of range\n");
}
END_TEST

START_TEST(hosts)
{
	expect_host("{ name = \"a\"; zone = \"nowhere\"; addresses = [ \"10.2.0.1\" ]; }",
		    "t.conf:3: error: host 'a': unknown zone 'nowhere'\n");
	expect_host("{ name = \"a\"; addresses = [ \"10.2.0.1\" ]; }",
		    "t.conf:3: error: host 'a': 'zone' is missing\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; }",
		    "t.conf:3: error: host 'a': 'addresses' is missing\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; addresses = [ \"any\" ]; }",
		    "t.conf:3: error: host 'a': invalid address 'any': 'any' is "
		    "only for the networks of a zone\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; addresses = [ \"10.2.0.300\" ]; }",
		    "t.conf:3: error: host 'a': invalid address '10.2.0.300': not "
		    "an IPv4 or IPv6 address\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; addresses = [ \"10.2.0.1\" ]; "
		    "role = \"relay\"; }", "t.conf:3: error: host 'a': unknown role "
		    "'relay': use mail-sanitizer, file-sanitizer, screen-transfer, "
		    "virtual-browser, lbo-service or security-cloud\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; addresses = [ \"10.2.0.1\" ]; "
		    "role = \"none\"; }", "t.conf:3: error: host 'a': unknown role "
		    "'none': use mail-sanitizer, file-sanitizer, screen-transfer, "
		    "virtual-browser, lbo-service or security-cloud\n");
	expect_host("{ name = \"a\"; zone = \"lg\"; address = [ \"10.2.0.1\" ]; }",
		    "t.conf:3: error: host 'a': unknown key 'address'\n"
		    "t.conf:3: error: host 'a': 'addresses' is missing\n");
}
END_TEST

START_TEST(flows)
{
	expect_flow("{ name = \"f\"; from = \"a\"; to = \"nowhere\"; "
		    "services = [ \"tcp/1\" ]; }", "t.conf:4: error: flow 'f': "
		    "'to': unknown zone or host 'nowhere'\n");
	expect_flow("{ name = \"f\"; to = \"a\"; services = [ \"tcp/1\" ]; }",
		    "t.conf:4: error: flow 'f': 'from' is missing\n");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; }",
		    "t.conf:4: error: flow 'f': 'services' is missing\n");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; services = [ ]; }",
		    "t.conf:4: error: flow 'f': 'services' must not be empty\n");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; "
		    "services = [ \"tcp/1\" ]; both = \"yes\"; }", "t.conf:4: "
		    "error: flow 'f': 'both' must be true or false\n");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; "
		    "services = [ \"tcp/1\" ]; justification = 1; }", "t.conf:4: "
		    "error: flow 'f': 'justification' must be a string\n");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; "
		    "services = [ \"tcp/1\" ]; port = 1; }", "t.conf:4: "
		    "error: flow 'f': unknown key 'port'\n");
	expect_flow("{ from = \"lg\"; to = \"a\"; services = [ \"tcp/1\" ]; }",
		    "t.conf:4: error: flow #1: 'name' is missing\n");
}
END_TEST

static void expect_service(const char *service, const char *why)
{
	char flow[256], want[512];

	snprintf(flow, sizeof(flow), "{ name = \"f\"; from = \"lg\"; to = \"a\"; "
		 "services = [ \"%s\" ]; comment = \"c\"; }", service);
	snprintf(want, sizeof(want), "t.conf:4: error: flow 'f': invalid "
		 "service '%s': %s\n", service, why);
	expect_flow(flow, want);
}

START_TEST(services)
{
	expect_service("sctp/80", "unknown protocol 'sctp'");
	expect_service("TCP/80", "unknown protocol 'TCP'");
	expect_service("tcp/70000", "port '70000' out of range");
	expect_service("tcp/0", "port '0' out of range");
	expect_service("udp/99999999999999999999", "port '99999999999999999999' "
		       "out of range");
	expect_service("tcp/http", "invalid port 'http'");
	expect_service("tcp/-5", "invalid port ''");
	expect_service("tcp/+5", "invalid port '+5'");
	expect_service("tcp/", "missing port");
	expect_service("tcp/2000-1000", "empty port range");
	expect_service("tcp/1-2-3", "invalid port '2-3'");
	expect_service("icmp/ping", "unknown ICMP type 'ping'");
	expect_service("icmp/256", "unknown ICMP type '256'");
	expect_service("icmp/packet-too-big", "unknown ICMP type 'packet-too-big'");
	expect_service("icmpv6/timestamp-request",
		       "unknown ICMP type 'timestamp-request'");
	expect_service("443", "expected 'protocol/port' or 'protocol/type', "
		       "e.g. 'tcp/443'");
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; comment = \"c\";\n"
		    "  services = ( \"tcp/1\", 443 ); }", "t.conf:5: error: flow "
		    "'f': 'services' must be an array of strings\n");
}
END_TEST

START_TEST(service_parser)
{
	struct service s;
	const char *why;

	ck_assert_int_eq(service_parse("tcp/443", &s, &why), 0);
	ck_assert_int_eq(s.port_low, 443);
	ck_assert_int_eq(s.port_high, 443);
	ck_assert_int_eq(service_parse("udp/1-65535", &s, &why), 0);
	ck_assert_int_eq(s.proto, IPPROTO_UDP);
	ck_assert_int_eq(s.port_high, 65535);
	ck_assert_int_eq(service_parse("icmp/echo-request", &s, &why), 0);
	ck_assert_int_eq(s.proto, IPPROTO_ICMP);
	ck_assert_int_eq(s.icmp_type, 8);
	ck_assert_int_eq(service_parse("icmpv6/echo-request", &s, &why), 0);
	ck_assert_int_eq(s.icmp_type, 128);
	ck_assert_str_eq(icmp_type_name(IPPROTO_ICMP, 11), "time-exceeded");
	ck_assert_str_eq(icmp_type_name(IPPROTO_ICMPV6, 3), "time-exceeded");
	ck_assert_str_eq(icmp_type_name(IPPROTO_ICMPV6, 129), "echo-reply");
	ck_assert_ptr_null(icmp_type_name(IPPROTO_ICMP, 99));
	ck_assert_str_eq(zone_class_name(ZONE_ISOLATED), "isolated");
	ck_assert_int_eq(zone_class_parse("internet"), ZONE_INTERNET);
	ck_assert_int_lt(zone_class_parse("Internet"), 0);
	ck_assert_str_eq(host_role_name(ROLE_LBO_SERVICE), "lbo-service");
	ck_assert_int_eq(host_role_parse("screen-transfer"), ROLE_SCREEN_TRANSFER);
	ck_assert(host_role_is_relay(ROLE_MAIL_SANITIZER));
	ck_assert(!host_role_is_relay(ROLE_LBO_SERVICE));
	ck_assert(!host_role_is_relay(ROLE_SECURITY_CLOUD));
}
END_TEST

START_TEST(expires)
{
	static const char *const bad[] = {
		"2026-02-29", "2026-13-01", "2026-00-10", "2026-01-32",
		"2026-1-15", "15.01.2026", "2026-01-15T00:00", "1969-12-31",
		"",
	};
	char flow[256], want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(flow, sizeof(flow), "{ name = \"f\"; from = \"lg\"; "
			 "to = \"a\"; services = [ \"tcp/1\" ]; comment = \"c\"; "
			 "expires = \"%s\"; }", bad[i]);
		snprintf(want, sizeof(want), "t.conf:4: error: flow 'f': invalid "
			 "date '%s' in 'expires': use YYYY-MM-DD\n", bad[i]);
		expect_flow(flow, want);
	}
	expect_flow("{ name = \"f\"; from = \"lg\"; to = \"a\"; comment = \"c\"; "
		    "services = [ \"tcp/1\" ]; expires = \"2027-12-31\"; }", "");
	ck_assert_int_eq(m.flows[0].expires, 1830297600);  /* 2028-01-01 */
}
END_TEST

START_TEST(management)
{
	expect(MINIMAL "management = ( { from = \"nobody\"; services = [ \"tcp/22\" ]; } );\n",
	       "t.conf:3: error: management rule #1: 'from': unknown zone or "
	       "host 'nobody'\n");
	expect(MINIMAL "management = ( { from = \"lg\"; services = [ \"ssh\" ]; "
	       "to = \"lg\"; } );\n", "t.conf:3: error: management rule #1: "
	       "unknown key 'to'\n"
	       "t.conf:3: error: management rule #1: invalid service 'ssh': "
	       "expected 'protocol/port' or 'protocol/type', e.g. 'tcp/443'\n");
}
END_TEST

/* An object that fails is dropped quietly for its referrers: one error. */
START_TEST(no_cascade)
{
	expect(V "zones = ( { name = \"lg\"; class = \"lgwan\"; interfaces = "
	       "[ \"lg0\" ]; networks = [ \"10.2.0.0/33\" ]; } );\n"
	       "hosts = ( { name = \"a\"; zone = \"lg\"; addresses = [ \"10.2.0.1\" ]; } );\n"
	       "flows = ( { name = \"f\"; from = \"a\"; to = \"lg\"; services = "
	       "[ \"tcp/1\" ]; } );\n",
	       "t.conf:2: error: zone 'lg': invalid network '10.2.0.0/33': "
	       "prefix length out of range\n");
	/* ... even when the failed object's name was itself invalid */
	expect(V "zones = ( " LG ", { name = \"Inet\"; class = \"internet\"; "
	       "interfaces = [ \"in0\" ]; networks = [ \"10.3.0.0/16\" ]; } );\n"
	       "flows = ( { name = \"f\"; from = \"lg\"; to = \"Inet\"; services = "
	       "[ \"tcp/1\" ]; } );\n",
	       "t.conf:2: error: zone #2: invalid name 'Inet': use lower-case "
	       "letters, digits and '-', starting with a letter, at most 31 "
	       "characters\n");
}
END_TEST

/* Errors in several objects are all reported, in one run. */
START_TEST(all_problems)
{
	expect(V "zones = ( { name = \"a\"; class = \"x\"; interfaces = [ \"a0\" ]; "
	       "networks = [ \"10.1.0.0/16\" ]; },\n"
	       "  { name = \"b\"; class = \"lgwan\"; interfaces = [ \"b0\" ]; "
	       "networks = [ \"10.2.0.0/16\" ]; intra = \"x\"; },\n"
	       "  { name = \"c\"; class = \"lgwan\"; interfaces = [ \"c0\" ]; "
	       "networks = [ \"10.3.0.0/16\" ]; } );\n",
	       "t.conf:2: error: zone 'a': unknown class 'x': use isolated, "
	       "lgwan, internet or general\n"
	       "t.conf:3: error: zone 'b': 'intra' must be 'drop' or 'accept', "
	       "not 'x'\n");
	ck_assert_uint_eq(m.zone_count, 1);
	ck_assert_str_eq(m.zones[0].name, "c");
}
END_TEST

START_TEST(huge_values)
{
	size_t n = 100000;
	char *name = malloc(n + 1), *text = NULL, *got;

	ck_assert_ptr_nonnull(name);
	memset(name, 'a', n);
	name[n] = '\0';
	ck_assert_int_ge(asprintf(&text, V "zones = ( { name = \"%s\"; "
				  ZONE_REST "networks = [ \"10.2.0.0/16\" ]; "
				  "comment = \"%s\"; } );\n", name, name), 0);
	model_free(&m);
	diags_free(&d);
	ck_assert_int_eq(config_load_string(text, "t.conf", &m, &d), -EINVAL);
	got = printed();
	/* values in messages are cut short, the error is still precise */
	ck_assert_ptr_nonnull(strstr(got, "t.conf:2: error: zone #1: invalid "
				     "name 'aaaaaaaaaa"));
	ck_assert_ptr_nonnull(strstr(got, "aaa...': use lower-case"));
	ck_assert_ptr_nonnull(strstr(got, "'comment' is too long (100000 "
				     "bytes, at most 4096)"));
	ck_assert_uint_lt(strlen(got), 600);
	free(got);
	free(text);
	free(name);
}
END_TEST

START_TEST(string_refuses_include)
{
	expect(V "@include \"zones.conf\"\n", "t.conf:2: error: @include is "
	       "not allowed in a config read from memory\n");
	ck_assert_uint_eq(m.zone_count, 0);
}
END_TEST

/* Temporary directory with files, for includes and file errors. */
static char tmpdir[64];

static void tmp_setup(void)
{
	setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/segmentd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	DIR *dp = opendir(tmpdir);
	struct dirent *e;
	char path[512];

	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	if (dp)
		closedir(dp);
	rmdir(tmpdir);
	teardown();
}

static char *tmp_write(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The load of path staged (the daemon's way, include/source.h) must say
 * the same, name the same files and parse the same as in place (m). */
static void expect_staged(const char *path, const char *want)
{
	char stage[] = "/tmp/segmentd-stage-XXXXXX", *got = NULL;
	struct model sm;
	struct diags sd;
	struct source src;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(stage));
	source_init(&src, NULL, stage);
	diags_init(&sd);
	if (config_load_from(path, &src, &sm, &sd) == 0 || sm.zone_count)
		model_validate(&sm, NOW, &sd);
	f = open_memstream(&got, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(&sd, f);
	fclose(f);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(sm.file_count, m.file_count);
	for (size_t i = 0; i < m.file_count; i++)
		ck_assert_str_eq(sm.files[i], m.files[i]);
	ck_assert_uint_eq(sm.zone_count, m.zone_count);
	ck_assert_uint_eq(sm.host_count, m.host_count);
	free(got);
	source_free(&src);
	model_free(&sm);
	diags_free(&sd);
	nftw(stage, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* config_load of path; the printed diagnostics must equal want, where
 * "@" stands for the temporary directory. */
static void expect_file(const char *path, const char *want_pattern)
{
	char want[2048], *got, *o = want;

	for (const char *p = want_pattern; *p && o < want + sizeof(want) - 64; p++)
		if (*p == '@')
			o += snprintf(o, 64, "%s", tmpdir);
		else
			*o++ = *p;
	*o = '\0';
	model_free(&m);
	diags_free(&d);
	if (config_load(path, &m, &d) == 0 || m.zone_count)
		model_validate(&m, NOW, &d);
	got = printed();
	ck_assert_str_eq(got, want);
	free(got);
	expect_staged(path, want);
}

START_TEST(include_works)
{
	char *main_path = tmp_write("main.conf", V "zones = (\n"
				    "@include \"zones.inc\"\n);\n"
				    "@include \"hosts.inc\"\n");

	free(tmp_write("zones.inc", LG ",\n{ name = \"x\"; class = \"general\";\n"
		       "  interfaces = [ \"x0\" ]; networks = [ \"10.9.0.0/16\" ]; }\n"));
	free(tmp_write("hosts.inc", "hosts = ( " HOST_A " );\n"));
	expect_file(main_path, "");
	ck_assert_uint_eq(m.zone_count, 2);
	ck_assert_uint_eq(m.host_count, 1);
	ck_assert_uint_eq(m.file_count, 3);
	ck_assert_str_eq(m.files[0], main_path);
	ck_assert_ptr_eq(m.zones[0].origin.file, m.files[1]);
	ck_assert_ptr_nonnull(strstr(m.files[1], "/zones.inc"));
	ck_assert_int_eq(m.zones[1].origin.line, 2);
	ck_assert_ptr_nonnull(strstr(m.hosts[0].origin.file, "/hosts.inc"));
	ck_assert_int_eq(m.hosts[0].origin.line, 1);
	free(main_path);
}
END_TEST

START_TEST(include_errors_point_into_the_include)
{
	char *main_path = tmp_write("main.conf", V "zones = (\n"
				    "@include \"zones.inc\"\n);\n");

	free(tmp_write("zones.inc", LG ",\n{ name = \"x\"; class = \"general\";\n"
		       "  interfaces = [ \"x0\" ]; networks = [ \"10.2.0.0/24\" ]; }\n"));
	expect_file(main_path, "@/zones.inc:3: error: zone 'x': network "
		    "'10.2.0.0/24' overlaps network '10.2.0.0/16' of zone 'lg'\n");
	free(tmp_write("zones.inc", LG ",\n{ name = \"x\" class = }\n"));
	expect_file(main_path, "@/zones.inc:2: error: syntax error\n");
	free(main_path);
}
END_TEST

START_TEST(include_missing)
{
	char *main_path = tmp_write("main.conf", V "zones = ( " LG " );\n"
				    "@include \"hosts.inc\"\n");

	expect_file(main_path, "@/main.conf:3: error: cannot open include file "
		    "'@/hosts.inc': No such file or directory\n");
	free(main_path);
	main_path = tmp_write("main.conf", V "@include \"/etc/segmentd/z.inc\"\n");
	expect_file(main_path, "@/main.conf:2: error: cannot open include file "
		    "'/etc/segmentd/z.inc': include paths must be relative to "
		    "the main file's directory\n");
	free(main_path);
}
END_TEST

START_TEST(include_loop)
{
	char *main_path = tmp_write("main.conf", V "@include \"a.inc\"\n");

	free(tmp_write("a.inc", "@include \"b.inc\"\n"));
	free(tmp_write("b.inc", "# b\n@include \"a.inc\"\n"));
	expect_file(main_path, "@/b.inc:2: error: include file nesting too deep "
		    "(more than 10 levels: does a file include itself?)\n");
	free(tmp_write("a.inc", "@include \"a.inc\"\n"));
	expect_file(main_path, "@/a.inc:1: error: include file nesting too deep "
		    "(more than 10 levels: does a file include itself?)\n");
	free(main_path);
}
END_TEST

START_TEST(file_errors)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	expect_file(path, "@/missing.conf: error: cannot open: No such file or "
		    "directory\n");
	expect_file(tmpdir, "@: error: is a directory, not a config file\n");
	free(tmp_write("empty.conf", ""));
	snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
	expect_file(path, "@/empty.conf: error: the file has no settings: it "
		    "needs 'version = 1;' and 'zones'\n");
	if (geteuid() != 0) {   /* root reads anything */
		chmod(path, 0);
		expect_file(path, "@/empty.conf: error: cannot open: Permission "
			    "denied\n");
	}
}
END_TEST

static void load_shipped(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, rel);
	model_free(&m);
	diags_free(&d);
	ck_assert_int_eq(config_load(path, &m, &d), 0);
	ck_assert_int_eq(model_validate(&m, NOW, &d), 0);
	if (d.count)
		diags_print(&d, stderr);
	ck_assert_msg(d.errors == 0 && d.warnings == 0, "%s: %d errors, %d "
		      "warnings", rel, d.errors, d.warnings);
}

START_TEST(shipped_configs)
{
	char dir[512], rel[600];
	struct dirent *e;
	int n = 0;
	DIR *dp;

	load_shipped("conf/segmentd.conf");
	ck_assert_uint_eq(m.zone_count, 5);
	ck_assert_int_eq(m.settings.log_group, 5);
	snprintf(dir, sizeof(dir), "%s/conf/examples", TOP_SRCDIR);
	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(rel, sizeof(rel), "conf/examples/%s", e->d_name);
		load_shipped(rel);
		n++;
	}
	closedir(dp);
	ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(ha_group)
{
	load_shipped("conf/examples/ha-pair.conf");
	ck_assert(m.ha.enabled);
	ck_assert_uint_eq(m.ha.node_count, 2);
	ck_assert_str_eq(m.ha.nodes[1].name, "gw-b");
	ck_assert_uint_eq(m.ha.nodes[0].vrrp_count, 3);
	ck_assert_str_eq(m.ha.sync_interface, "sy");
	ck_assert_uint_eq(m.ha.vrrp_interface_count, 4);
	ck_assert_uint_eq(m.ha.conntrack_sync_port, 3780);
	ck_assert_uint_eq(m.ha.peer_port, 3781);
	ck_assert_str_eq(m.ha.key_file, "/etc/segmentd/ha.key");
	ck_assert(m.ha.block_on_mismatch);
	ck_assert_str_eq(m.ha.weight_file, "/run/segmentd/ha-weight");
	ck_assert_int_eq(model_ha_self(&m, "gw-b", "gw-a"), 1);
	ck_assert_int_eq(model_ha_self(&m, NULL, "gw-a"), 0);
	ck_assert_int_eq(model_ha_self(&m, NULL, "gw-b.example.org"), 1);
	ck_assert_int_eq(model_ha_self(&m, NULL, "gw-bb"), -ENOENT);
	ck_assert_int_eq(model_ha_self(&m, "gw-c", "gw-a"), -ENOENT);
	ck_assert_int_eq(model_ha_self(&m, NULL, NULL), -ENOENT);
	model_free(&m);
	load_shipped("conf/segmentd.conf");
	ck_assert(!m.ha.enabled);
	ck_assert_int_eq(model_ha_self(&m, NULL, "gw-a"), -ENOENT);
}
END_TEST

START_TEST(free_is_null_safe)
{
	struct model empty;

	model_free(NULL);
	zone_clear(NULL);
	host_clear(NULL);
	flow_clear(NULL);
	mgmt_rule_clear(NULL);
	model_init(&empty);
	model_free(&empty);
	model_free(&empty);
}
END_TEST

/* n list elements "<pre><index><post>", comma separated; the caller
 * frees the text. */
static char *repeat(const char *pre, const char *post, int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		fprintf(f, "%s%d%s", pre, i, post);
	}
	fclose(f);
	return text;
}

/* One element over a limit: refused at the list's line, with that one
 * error (nothing that refers to the list's elements is parsed after it). */
static void over_limit(const char *head, const char *pre, const char *post,
		       int n, const char *tail, const char *want)
{
	char *list = repeat(pre, post, n), *text = NULL;

	ck_assert_int_ge(asprintf(&text, "%s%s%s", head, list, tail), 0);
	expect(text, want);
	ck_assert_int_eq(d.errors, 1);
	free(list);
	free(text);
}

#define LIMIT_WANT(line, n, what) "t.conf:" #line ": error: " #n " " what \
	": at most %d (the limit of " what ", see segmentd.conf(5) LIMITS)\n"

START_TEST(limits)
{
	char want[256], *ifs, *text = NULL;

	snprintf(want, sizeof(want), LIMIT_WANT(3, 16385, "hosts"),
		 MODEL_HOSTS_MAX);
	over_limit(V "zones = ( " LG " );\nhosts = (\n",
		   "{ name = \"h", "\"; zone = \"lg\"; addresses = "
		   "[ \"10.2.0.1\" ]; }", MODEL_HOSTS_MAX + 1,
		   " );\nflows = ( { name = \"f\"; from = \"h1\"; to = \"lg\"; "
		   "services = [ \"tcp/1\" ]; comment = \"c\"; } );\n", want);
	snprintf(want, sizeof(want), LIMIT_WANT(3, 16385, "flows"),
		 MODEL_FLOWS_MAX);
	over_limit(V "zones = ( " LG " );\nflows = (\n",
		   "{ name = \"f", "\"; from = \"lg\"; to = \"lg\"; services = "
		   "[ \"tcp/1\" ]; comment = \"c\"; }", MODEL_FLOWS_MAX + 1,
		   " );\n", want);
	snprintf(want, sizeof(want), LIMIT_WANT(3, 1025, "management rules"),
		 MODEL_MGMT_MAX);
	over_limit(V "zones = ( " LG " );\nmanagement = (\n",
		   "{ from = \"lg\"; services = [ \"tcp/", "\" ]; }",
		   MODEL_MGMT_MAX + 1, " );\n", want);
	over_limit(V "zones = ( " LG " );\nflows = ( { name = \"f\"; from = "
		   "\"lg\"; to = \"lg\"; comment = \"c\";\n services = [ ",
		   "\"tcp/", "\"", MODEL_LIST_MAX + 1, " ]; } );\n",
		   "t.conf:4: error: flow 'f': 'services' has 1025 elements: "
		   "at most 1024 (see segmentd.conf(5) LIMITS)\n");
	/* interfaces: all zones together; the zone whose list passes the
	 * limit is the one refused */
	ifs = repeat("\"a", "\"", 10000);
	ck_assert_int_ge(asprintf(&text, V "zones = ( { name = \"a\"; class = "
				  "\"general\"; networks = [ \"10.1.0.0/16\" ]; "
				  "interfaces = [ %s ]; },\n{ name = \"b\"; "
				  "class = \"general\"; networks = [ "
				  "\"10.2.0.0/16\" ];\n interfaces = [ %s ]; } );\n",
				  ifs, ifs), 0);
	snprintf(want, sizeof(want), "t.conf:4: error: zone 'b': 20000 "
		 "interfaces with this list: at most %d (the limit of "
		 "interfaces, see segmentd.conf(5) LIMITS)\n", MODEL_IFACES_MAX);
	expect(text, want);
	free(ifs);
	free(text);
}
END_TEST

/* networks: all zones together, a networks_file's lines included: the
 * line one past the limit is the error. */
START_TEST(networks_limit)
{
	char path[256], *conf = NULL, want[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/nets.txt", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (long i = 0; i < MODEL_NETWORKS_MAX; i++)
		fprintf(f, "10.%ld.%ld.%ld/32\n", i >> 16, (i >> 8) & 255,
			i & 255);
	fclose(f);
	ck_assert_int_ge(asprintf(&conf, "%s/t.conf", tmpdir), 0);
	free(tmp_write("t.conf", V "zones = ( { name = \"a\"; class = "
		       "\"general\"; interfaces = [ \"a0\" ]; networks = "
		       "[ \"192.168.0.0/24\" ]; },\n{ name = \"b\"; class = "
		       "\"general\"; interfaces = [ \"b0\" ]; networks_file = "
		       "\"nets.txt\"; } );\n"));
	snprintf(want, sizeof(want), "@/nets.txt:%d: error: one network more "
		 "than the %d this file may add (the limit of networks of all "
		 "zones together, see segmentd.conf(5) LIMITS)\n",
		 MODEL_NETWORKS_MAX, MODEL_NETWORKS_MAX - 1);
	expect_file(conf, want);
	free(conf);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");
	TCase *files = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, minimal_defaults);
	tcase_add_test(tc, values);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, top_level);
	tcase_add_test(tc, settings);
	tcase_add_test(tc, settings_log);
	tcase_add_test(tc, zone_keys);
	tcase_add_test(tc, names);
	tcase_add_test(tc, interfaces);
	tcase_add_test(tc, networks);
	tcase_add_test(tc, hosts);
	tcase_add_test(tc, flows);
	tcase_add_test(tc, services);
	tcase_add_test(tc, service_parser);
	tcase_add_test(tc, expires);
	tcase_add_test(tc, management);
	tcase_add_test(tc, no_cascade);
	tcase_add_test(tc, all_problems);
	tcase_add_test(tc, huge_values);
	tcase_add_test(tc, string_refuses_include);
	tcase_add_test(tc, shipped_configs);
	tcase_add_test(tc, ha_group);
	tcase_add_test(tc, free_is_null_safe);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(files, tmp_setup, tmp_teardown);
	tcase_add_test(files, include_works);
	tcase_add_test(files, include_errors_point_into_the_include);
	tcase_add_test(files, include_missing);
	tcase_add_test(files, include_loop);
	tcase_add_test(files, file_errors);
	tcase_add_test(files, networks_limit);
	suite_add_tcase(s, files);
	return s;
}

int main(void)
{
	return check_run(config_suite());
}
