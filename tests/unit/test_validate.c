/* test_validate.c - model_validate(): names, interfaces, addresses, the
 * guardrails each way, and warnings, with the exact diagnostic text. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "check_main.h"

#define NOW ((time_t)1768435200)   /* 2026-01-15 00:00 UTC */

/* The flow under test goes on line 22. */
static const char base[] =
	"version = 1;\n"
	"zones = (\n"
	"  { name = \"mn\"; class = \"isolated\"; interfaces = [ \"mn0\" ]; networks = [ \"10.1.0.0/16\", \"fd00:1::/48\" ]; },\n"
	"  { name = \"lg\"; class = \"lgwan\"; interfaces = [ \"lg0\" ]; networks = [ \"10.2.0.0/16\" ]; },\n"
	"  { name = \"inet\"; class = \"internet\"; interfaces = [ \"in0\" ]; networks = [ \"10.3.0.0/16\" ]; },\n"
	"  { name = \"cloud\"; class = \"internet\"; interfaces = [ \"wan0\" ]; networks = [ \"any\" ]; },\n"
	"  { name = \"gen\"; class = \"general\"; interfaces = [ \"gen0\" ]; networks = [ \"10.4.0.0/16\" ]; }\n"
	");\n"
	"hosts = (\n"
	"  { name = \"atena\"; zone = \"mn\"; addresses = [ \"10.1.1.20\", \"fd00:1::20\" ]; },\n"
	"  { name = \"mn-db\"; zone = \"mn\"; addresses = [ \"10.1.1.30\" ]; },\n"
	"  { name = \"mn-pcs\"; zone = \"mn\"; addresses = [ \"10.1.10.0/24\" ]; },\n"
	"  { name = \"staging\"; zone = \"lg\"; addresses = [ \"10.2.1.60\" ]; },\n"
	"  { name = \"lg-pcs\"; zone = \"lg\"; addresses = [ \"10.2.8.0/22\" ]; },\n"
	"  { name = \"vb\"; zone = \"inet\"; addresses = [ \"10.3.1.0/24\" ]; role = \"virtual-browser\"; },\n"
	"  { name = \"mail\"; zone = \"inet\"; addresses = [ \"10.3.2.25\" ]; role = \"mail-sanitizer\"; },\n"
	"  { name = \"web\"; zone = \"inet\"; addresses = [ \"10.3.5.5\" ]; },\n"
	"  { name = \"saas\"; zone = \"cloud\"; addresses = [ \"203.0.113.0/24\" ]; role = \"lbo-service\"; },\n"
	"  { name = \"sc\"; zone = \"cloud\"; addresses = [ \"192.0.2.10\" ]; role = \"security-cloud\"; }\n"
	");\n"
	"flows = (\n";

static struct model m;
static struct diags d;
static int result;

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

static void expect_text(const char *text, const char *want)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f;

	model_free(&m);
	diags_free(&d);
	ck_assert_int_eq(config_load_string(text, "t.conf", &m, &d), 0);
	result = model_validate(&m, NOW, &d);
	f = open_memstream(&got, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(&d, f);
	fclose(f);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(result, d.errors ? -EINVAL : 0);
	free(got);
}

/* The base with flow on line 22 (and more flows on the lines after). */
static void expect(const char *flow, const char *want)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "%s  %s\n);\n", base, flow), 0);
	expect_text(text, want);
	free(text);
}

/* A flow from -> to; c = comment and other members. */
static void expect_flow(const char *from, const char *to, const char *services,
			const char *more, const char *want)
{
	char flow[512];

	snprintf(flow, sizeof(flow), "{ name = \"x\"; from = \"%s\"; to = \"%s\"; "
		 "services = [ %s ]; comment = \"c\"; %s }", from, to, services,
		 more);
	expect(flow, want);
}

static void ok(const char *from, const char *to, const char *services,
	       const char *more)
{
	expect_flow(from, to, services, more, "");
}

#define G1(iso, inet) \
	"t.conf:22: error: flow 'x': guardrail: no flow may connect " \
	"isolated zone '" iso "' and internet zone '" inet "'\n"
#define JUST "justification = \"CISO approval 1\";"

START_TEST(base_is_valid)
{
	ok("lg", "gen", "\"tcp/443\"", "");
	ck_assert_int_eq(result, 0);
	ck_assert_uint_eq(m.host_count, 10);
}
END_TEST

START_TEST(duplicate_names)
{
	expect_text("version = 1;\nzones = (\n"
		    "  { name = \"a\"; class = \"lgwan\"; interfaces = [ \"a0\" ]; networks = [ \"10.1.0.0/16\" ]; },\n"
		    "  { name = \"a\"; class = \"lgwan\"; interfaces = [ \"b0\" ]; networks = [ \"10.2.0.0/16\" ]; } );\n"
		    "hosts = ( { name = \"h\"; zone = \"a\"; addresses = [ \"10.1.0.1\" ]; },\n"
		    "  { name = \"a\"; zone = \"a\"; addresses = [ \"10.1.0.2\" ]; },\n"
		    "  { name = \"h\"; zone = \"a\"; addresses = [ \"10.1.0.3\" ]; } );\n",
		    "t.conf:4: error: zone 'a': the name is already used by zone 'a' at t.conf:3\n"
		    "t.conf:6: error: host 'a': the name is already used by zone 'a' at t.conf:3\n"
		    "t.conf:7: error: host 'h': the name is already used by host 'h' at t.conf:5\n");
	expect("{ name = \"x\"; from = \"lg\"; to = \"gen\"; services = [ \"tcp/1\" ]; comment = \"c\"; },\n"
	       "  { name = \"x\"; from = \"gen\"; to = \"lg\"; services = [ \"tcp/1\" ]; comment = \"c\"; }",
	       "t.conf:23: error: flow 'x': the name is already used by flow 'x' at t.conf:22\n");
}
END_TEST

START_TEST(same_endpoint)
{
	expect_flow("lg", "lg", "\"tcp/1\"", "", "t.conf:22: error: flow 'x': "
		    "'from' and 'to' are both 'lg'\n");
	expect_flow("web", "web", "\"tcp/1\"", "", "t.conf:22: error: flow 'x': "
		    "'from' and 'to' are both 'web'\n");
	/* a host and its own zone are different endpoints */
	ok("web", "inet", "\"tcp/1\"", "");
}
END_TEST

static void expect_zones(const char *zones, const char *hosts, const char *want)
{
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "version = 1;\nzones = (\n%s );\n"
				  "hosts = ( %s );\n", zones, hosts), 0);
	expect_text(text, want);
	free(text);
}

#define ZONE(name, ifname, nets) \
	"  { name = \"" name "\"; class = \"general\"; interfaces = [ " ifname \
	" ]; networks = [ " nets " ]; },\n"
#define LAST "  { name = \"last\"; class = \"general\"; interfaces = [ \"z0\" ]; " \
	"networks = [ \"172.31.0.0/16\" ]; }\n"

START_TEST(interfaces)
{
	expect_zones(ZONE("a", "\"eth0\"", "\"10.1.0.0/16\"")
		     ZONE("b", "\"eth1\", \"eth0\"", "\"10.2.0.0/16\"") LAST, "",
		     "t.conf:4: error: zone 'b': interface 'eth0' already "
		     "belongs to zone 'a'\n");
	expect_zones(ZONE("a", "\"eth0\", \"eth0\"", "\"10.1.0.0/16\"") LAST, "",
		     "t.conf:3: error: zone 'a': interface 'eth0' is listed "
		     "twice\n");
}
END_TEST

START_TEST(overlaps)
{
	expect_zones(ZONE("a", "\"a0\"", "\"10.0.0.0/8\"")
		     ZONE("b", "\"b0\"", "\"192.168.0.0/16\",\n    \"10.20.0.0/16\"")
		     LAST, "", "t.conf:5: error: zone 'b': network '10.20.0.0/16' "
		     "overlaps network '10.0.0.0/8' of zone 'a'\n");
	/* the later zone is blamed whichever network is larger */
	expect_zones(ZONE("a", "\"a0\"", "\"10.1.2.0/24\"")
		     ZONE("b", "\"b0\"", "\"10.0.0.0/8\"") LAST, "",
		     "t.conf:4: error: zone 'b': network '10.0.0.0/8' overlaps "
		     "network '10.1.2.0/24' of zone 'a'\n");
	expect_zones(ZONE("a", "\"a0\"", "\"fd00::/8\"")
		     ZONE("b", "\"b0\"", "\"10.0.0.0/8\", \"fd00:1::1\"") LAST, "",
		     "t.conf:4: error: zone 'b': network 'fd00:1::1' overlaps "
		     "network 'fd00::/8' of zone 'a'\n");
	/* adjacent is not overlapping; overlap inside one zone is allowed */
	expect_zones(ZONE("a", "\"a0\"", "\"10.0.0.0/9\", \"10.0.0.0/16\"")
		     ZONE("b", "\"b0\"", "\"10.128.0.0/9\"") LAST, "", "");
	/* a large network of one zone hides nothing from the sweep */
	expect_zones(ZONE("a", "\"a0\"", "\"10.0.0.0/8\"")
		     ZONE("b", "\"b0\"", "\"10.1.0.0/16\"")
		     ZONE("c", "\"c0\"", "\"10.2.0.0/16\"") LAST, "",
		     "t.conf:4: error: zone 'b': network '10.1.0.0/16' overlaps "
		     "network '10.0.0.0/8' of zone 'a'\n"
		     "t.conf:5: error: zone 'c': network '10.2.0.0/16' overlaps "
		     "network '10.0.0.0/8' of zone 'a'\n");
}
END_TEST

START_TEST(any_zones)
{
	expect_zones(ZONE("a", "\"a0\"", "\"any\"")
		     ZONE("b", "\"b0\"", "\"any\"") LAST, "",
		     "t.conf:4: error: zone 'b': only one zone may have the "
		     "networks 'any', and zone 'a' has them\n");
}
END_TEST

START_TEST(host_addresses)
{
	const char *zones = ZONE("a", "\"a0\"", "\"10.1.0.0/24\", \"10.1.1.0/24\"")
			    ZONE("w", "\"w0\"", "\"any\"") LAST;

	expect_zones(zones, "{ name = \"h\"; zone = \"a\"; addresses = "
		     "[ \"10.1.0.0/23\", \"10.1.1.255\" ]; }", "");
	expect_zones(zones, "{ name = \"h\"; zone = \"a\"; addresses = "
		     "[ \"10.1.0.0/22\" ]; }", "t.conf:7: error: host 'h': "
		     "address '10.1.0.0/22' is outside the networks of zone 'a'\n");
	expect_zones(zones, "{ name = \"h\"; zone = \"a\";\n addresses = "
		     "[ \"10.1.0.5\", \"2001:db8::1\" ]; }", "t.conf:8: error: "
		     "host 'h': address '2001:db8::1' is outside the networks of "
		     "zone 'a'\n");
	expect_zones(zones, "{ name = \"h\"; zone = \"w\"; addresses = "
		     "[ \"192.0.2.1\", \"2001:db8::1\" ]; }", "");
	expect_zones(zones, "{ name = \"h\"; zone = \"w\"; addresses = "
		     "[ \"10.0.0.0/8\" ]; }", "t.conf:7: error: host 'h': "
		     "address '10.0.0.0/8' lies in zone 'a', not in zone 'w'\n");
	expect_zones(zones, "{ name = \"h\"; zone = \"w\"; addresses = "
		     "[ \"172.31.9.9\" ]; }", "t.conf:7: error: host 'h': "
		     "address '172.31.9.9' lies in zone 'last', not in zone 'w'\n");
}
END_TEST

START_TEST(guardrail_isolated_internet)
{
	expect_flow("mn", "inet", "\"tcp/443\"", JUST, G1("mn", "inet"));
	expect_flow("inet", "mn", "\"tcp/443\"", JUST, G1("mn", "inet"));
	expect_flow("atena", "web", "\"tcp/443\"", JUST, G1("mn", "inet"));
	expect_flow("web", "atena", "\"tcp/443\"", JUST, G1("mn", "inet"));
	expect_flow("atena", "sc", "\"tcp/443\"", JUST, G1("mn", "cloud"));
	expect_flow("cloud", "mn-db", "\"tcp/443\"", JUST, G1("mn", "cloud"));
	expect_flow("atena", "vb", "\"tcp/443\"", JUST "both = true;",
		    G1("mn", "inet"));
}
END_TEST

#define G2 "t.conf:22: error: flow 'x': guardrail: a flow touching isolated " \
	"zone 'mn' "

START_TEST(guardrail_isolated_exact)
{
	ok("atena", "staging", "\"tcp/443\", \"icmp/echo-request\"", JUST);
	ok("staging", "atena", "\"udp/53\"", JUST "both = true;");
	ok("atena", "mn-db", "\"tcp/5432\"", JUST);    /* intra-zone */
	expect_flow("mn", "staging", "\"tcp/443\"", JUST,
		    G2 "must connect two hosts, not zone 'mn'\n");
	expect_flow("atena", "lg", "\"tcp/443\"", JUST,
		    G2 "must connect two hosts, not zone 'lg'\n");
	expect_flow("mn-pcs", "staging", "\"tcp/443\"", JUST,
		    G2 "must use single addresses, and host 'mn-pcs' has "
		    "'10.1.10.0/24'\n");
	expect_flow("staging", "mn-pcs", "\"tcp/443\"", JUST,
		    G2 "must use single addresses, and host 'mn-pcs' has "
		    "'10.1.10.0/24'\n");
	expect_flow("lg-pcs", "atena", "\"tcp/443\"", JUST,
		    G2 "must use single addresses, and host 'lg-pcs' has "
		    "'10.2.8.0/22'\n");
	expect_flow("mn-pcs", "atena", "\"tcp/443\"", JUST,
		    G2 "must use single addresses, and host 'mn-pcs' has "
		    "'10.1.10.0/24'\n");
	expect_flow("atena", "staging", "\"tcp/443\", \"tcp/8000-8001\"", JUST,
		    G2 "must name single ports, not the range 'tcp/8000-8001'\n");
	expect_flow("atena", "staging", "\"tcp/443\"", "",
		    G2 "needs a 'justification'\n");
	expect_flow("atena", "staging", "\"tcp/443\"", "justification = \" \";",
		    G2 "needs a 'justification'\n");
	expect_flow("mn", "lg", "\"tcp/1-65535\"", "",
		    G2 "must connect two hosts, not zone 'mn'\n"
		    G2 "must connect two hosts, not zone 'lg'\n"
		    G2 "must name single ports, not the range 'tcp/1-65535'\n"
		    G2 "needs a 'justification'\n"
		    "t.conf:22: warning: flow 'x' is broad: whole zones 'mn' and "
		    "'lg' with 65535 ports; name hosts or fewer ports\n");
}
END_TEST

#define G3(lg, inet) "t.conf:22: error: flow 'x': guardrail: traffic between " \
	"LGWAN zone '" lg "' and internet zone '" inet "' needs a relay host " \
	"(mail-sanitizer, file-sanitizer, screen-transfer or virtual-browser) " \
	"at one end, or local breakout to an lbo-service host\n"
#define LBO "t.conf:22: error: flow 'x': guardrail: local breakout "

START_TEST(guardrail_lgwan_internet)
{
	ok("lg-pcs", "vb", "\"tcp/3389\", \"udp/3389\"", "");
	ok("lg", "vb", "\"tcp/443\"", "");
	ok("mail", "staging", "\"tcp/25\"", "");
	ok("vb", "lg", "\"tcp/443\"", "both = true;");
	expect_flow("lg", "inet", "\"tcp/443\"", "", G3("lg", "inet"));
	expect_flow("inet", "lg", "\"tcp/443\"", "", G3("lg", "inet"));
	expect_flow("lg-pcs", "web", "\"tcp/443\"", "", G3("lg", "inet"));
	expect_flow("web", "lg-pcs", "\"tcp/443\"", "", G3("lg", "inet"));
	expect_flow("lg-pcs", "inet", "\"tcp/443\"", "", G3("lg", "inet"));
	expect_flow("lg-pcs", "sc", "\"tcp/8080\"", "", G3("lg", "cloud"));
	expect_flow("lg", "cloud", "\"tcp/443\"", "", G3("lg", "cloud"));
}
END_TEST

START_TEST(guardrail_breakout)
{
	ok("lg-pcs", "saas", "\"tcp/443\"", "");
	ok("lg", "saas", "\"tcp/443\"", "");
	expect_flow("lg-pcs", "saas", "\"tcp/443\", \"udp/443\"", "",
		    LBO "to lbo-service host 'saas' allows only tcp/443, not "
		    "'udp/443'\n");
	expect_flow("lg-pcs", "saas", "\"tcp/80\"", "",
		    LBO "to lbo-service host 'saas' allows only tcp/443, not "
		    "'tcp/80'\n");
	expect_flow("lg-pcs", "saas", "\"tcp/443-444\"", "",
		    LBO "to lbo-service host 'saas' allows only tcp/443, not "
		    "'tcp/443-444'\n");
	expect_flow("saas", "lg-pcs", "\"tcp/443\"", "",
		    LBO "must go one way, from the LGWAN zone to lbo-service "
		    "host 'saas'\n");
	expect_flow("lg-pcs", "saas", "\"tcp/443\"", "both = true;",
		    LBO "must go one way, from the LGWAN zone to lbo-service "
		    "host 'saas'\n");
}
END_TEST

START_TEST(no_guardrail_elsewhere)
{
	ok("inet", "gen", "\"tcp/1-16\"", "");
	ok("lg", "gen", "\"tcp/1-16\"", "both = true;");
	ok("web", "sc", "\"tcp/8080\"", "");
	ok("inet", "cloud", "\"tcp/443\"", "");
	/* management rules are not flows */
	expect_text("version = 1;\nzones = (\n"
		    "  { name = \"mn\"; class = \"isolated\"; interfaces = [ \"mn0\" ]; networks = [ \"10.1.0.0/16\" ]; } );\n"
		    "management = ( { from = \"mn\"; services = [ \"tcp/22\" ]; } );\n", "");
}
END_TEST

#define W "t.conf:22: warning: flow 'x' "

START_TEST(warnings)
{
	ok("lg", "gen", "\"tcp/1\"", "expires = \"2026-02-14\";");
	expect_flow("lg", "gen", "\"tcp/1\"", "expires = \"2026-02-13\";",
		    W "expires in 30 days (last day 2026-02-13)\n");
	expect_flow("lg", "gen", "\"tcp/1\"", "expires = \"2026-01-15\";",
		    W "expires in 1 day (last day 2026-01-15)\n");
	expect_flow("lg", "gen", "\"tcp/1\"", "expires = \"2026-01-14\";",
		    W "expired on 2026-01-14; it is not programmed\n");
	ck_assert_int_eq(result, 0);
	expect_flow("lg", "gen", "\"tcp/1000-1015\", \"udp/53\"", "",
		    W "is broad: whole zones 'lg' and 'gen' with 17 ports; name "
		    "hosts or fewer ports\n");
	ck_assert_int_eq(result, 0);
	ok("lg", "gen", "\"tcp/1000-1015\", \"icmp/echo-request\"", "");
	ok("staging", "gen", "\"tcp/1-1000\"", "");
	expect("{ name = \"x\"; from = \"lg\"; to = \"gen\"; services = [ \"tcp/1\" ]; }",
	       W "has no comment: say what it is for\n");
	expect("{ name = \"x\"; from = \"lg\"; to = \"gen\"; services = [ \"tcp/1\" ]; "
	       "comment = \"\"; }", W "has no comment: say what it is for\n");
	ck_assert_int_eq(d.warnings, 1);
	ck_assert_int_eq(d.errors, 0);
}
END_TEST

/* Two zones of 50,000 networks each: the overlap and host checks stay
 * fast (a sort and a sweep, never all pairs). */
START_TEST(large_zones)
{
	enum { N = 50000 };
	size_t cap = (size_t)N * 2 * 24 + 4096, len = 0;
	char *text = malloc(cap);
	struct timespec t0, t1;
	double ms;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "version = 1;\nzones = (\n");
	for (int z = 0; z < 2; z++) {
		len += (size_t)snprintf(text + len, cap - len, "{ name = \"z%d\"; "
					"class = \"general\"; interfaces = [ \"e%d\" ]; "
					"networks = [ ", z, z);
		for (int i = 0; i < N; i++)
			len += (size_t)snprintf(text + len, cap - len,
						"%s\"%d.%d.%d.0/24\"", i ? "," : "",
						10 + z, i >> 8, i & 255);
		len += (size_t)snprintf(text + len, cap - len, "%s ]; },\n",
					z ? ", \"10.0.7.128/25\"" : "");
	}
	snprintf(text + len, cap - len, "{ name = \"w\"; class = \"internet\"; "
		 "interfaces = [ \"w0\" ]; networks = [ \"any\" ]; } );\n"
		 "hosts = ( { name = \"h\"; zone = \"z1\"; addresses = "
		 "[ \"11.0.5.5\" ]; } );\n");
	ck_assert_int_eq(config_load_string(text, "t.conf", &m, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(model_validate(&m, NOW, &d), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_int_eq(d.errors, 1);
	ck_assert_str_eq(d.items[0].message, "zone 'z1': network "
			 "'10.0.7.128/25' overlaps network '10.0.7.0/24' of zone 'z0'");
	/* loose: sanitizers, valgrind and shared machines; n^2 would be minutes */
	ck_assert_msg(ms < 5000, "validating 100k networks took %.1f ms", ms);
	free(text);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, base_is_valid);
	tcase_add_test(tc, duplicate_names);
	tcase_add_test(tc, same_endpoint);
	tcase_add_test(tc, interfaces);
	tcase_add_test(tc, overlaps);
	tcase_add_test(tc, any_zones);
	tcase_add_test(tc, host_addresses);
	tcase_add_test(tc, guardrail_isolated_internet);
	tcase_add_test(tc, guardrail_isolated_exact);
	tcase_add_test(tc, guardrail_lgwan_internet);
	tcase_add_test(tc, guardrail_breakout);
	tcase_add_test(tc, no_guardrail_elsewhere);
	tcase_add_test(tc, warnings);
	tcase_add_test(tc, large_zones);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(validate_suite());
}
