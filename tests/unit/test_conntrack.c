/* test_conntrack.c - ctnetlink messages built and parsed back without the
 * kernel (IPv4/IPv6, TCP/UDP/ICMP/ICMPv6, marks, ids, zones; truncated and
 * foreign messages refused), the dump and delete requests, and the
 * ct-audit judgement against a hand-built ruleset (a flow's tuple fits,
 * a forged source, destination, protocol or port does not, unknown marks
 * are stale, the gateway's mark and others' marks are not judged). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "conntrack.h"
#include "ctaudit.h"

static char buf[1024];

static struct ct_entry v4_tcp(void)
{
	struct ct_entry e = { .family = AF_INET, .proto = IPPROTO_TCP,
			      .sport = 40000, .dport = 443, .has_ports = true,
			      .mark = 0x80001234, .id = 77, .zone = 3 };

	inet_pton(AF_INET, "10.1.0.5", e.src);
	inet_pton(AF_INET, "10.2.0.9", e.dst);
	return e;
}

static void roundtrip(const struct ct_entry *in)
{
	struct ct_entry out;
	int len = ct_build_entry(buf, sizeof(buf), in);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(ct_parse_entry((void *)buf, (size_t)len, &out), 0);
	ck_assert_int_eq(memcmp(in, &out, sizeof(out)), 0);
}

static void to_icmp(struct ct_entry *e, uint8_t proto, uint8_t type,
		    uint16_t id)
{
	e->proto = proto;
	e->has_ports = false;
	e->sport = e->dport = 0;
	e->has_icmp = true;
	e->icmp_type = type;
	e->icmp_id = id;
}

START_TEST(parse_roundtrip)
{
	struct ct_entry e = v4_tcp();

	roundtrip(&e);
	e.family = AF_INET6;
	e.proto = IPPROTO_UDP;
	inet_pton(AF_INET6, "2001:db8::1", e.src);
	inet_pton(AF_INET6, "2001:db8:1::2", e.dst);
	e.zone = 0;
	e.id = 0;
	roundtrip(&e);
	to_icmp(&e, IPPROTO_ICMPV6, 128, 999);
	roundtrip(&e);
	e = v4_tcp();
	to_icmp(&e, IPPROTO_ICMP, 8, 5);
	roundtrip(&e);
}
END_TEST

START_TEST(parse_refuses)
{
	struct ct_entry e = v4_tcp(), out;
	int len = ct_build_entry(buf, sizeof(buf), &e);
	struct nlmsghdr *nlh = (void *)buf;

	ck_assert_int_gt(len, 0);
	for (int cut = 0; cut < len; cut++)   /* no crash, no garbage */
		ck_assert_int_eq(ct_parse_entry(nlh, (size_t)cut, &out),
				 -EINVAL);
	nlh->nlmsg_len = 0x80000000u;   /* negative for mnl_nlmsg_ok() */
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len, &out), -EINVAL);
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len, &out), -EINVAL);
	e.family = AF_UNIX;
	ck_assert_int_eq(ct_build_entry(buf, sizeof(buf), &e), -EINVAL);
	e.family = AF_INET;
	ck_assert_int_eq(ct_build_entry(buf, 32, &e), -ENOSPC);
	/* nlmsg_len one byte short of the last attribute (the mark), the
	 * buffer ending there: mnl_attr_parse() would read the mark from the
	 * alignment padding past the buffer (fuzz regression ct-crash-fb8e) */
	e.zone = 0;
	e.id = 0;
	len = ct_build_entry(buf, sizeof(buf), &e);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len, &out), 0);
	nlh->nlmsg_len = (uint32_t)len - 1;
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len - 1, &out), -EINVAL);
	/* an entry without its original tuple */
	len = ct_build_dump(buf, sizeof(buf), 1, 0, 0);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len, &out), -EINVAL);
}
END_TEST

static int find_u32(const struct nlmsghdr *nlh, int type, uint32_t *v)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type) {
			*v = ntohl(mnl_attr_get_u32(a));
			return 0;
		}
	return -1;
}

START_TEST(requests)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct ct_entry e = v4_tcp(), out;
	uint32_t v;
	int len = ct_build_dump(buf, sizeof(buf), 9, 0x80000000, 0x80000000);

	ck_assert_int_gt(len, 0);
	ck_assert(nlh->nlmsg_flags & NLM_F_DUMP);
	ck_assert_int_eq(nlh->nlmsg_seq, 9);
	ck_assert_int_eq(find_u32(nlh, CTA_MARK, &v), 0);
	ck_assert_uint_eq(v, 0x80000000);
	ck_assert_int_eq(find_u32(nlh, CTA_MARK_MASK, &v), 0);
	len = ct_build_dump(buf, sizeof(buf), 9, 0, 0);
	ck_assert_int_ne(find_u32(nlh, CTA_MARK, &v), 0);
	len = ct_build_delete(buf, sizeof(buf), 10, &e);
	ck_assert_int_gt(len, 0);
	ck_assert(nlh->nlmsg_flags & NLM_F_ACK);
	ck_assert_int_eq(find_u32(nlh, CTA_ID, &v), 0);
	ck_assert_uint_eq(v, 77);
	/* the same tuple, read back as if it were an entry */
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	ck_assert_int_eq(ct_parse_entry(nlh, (size_t)len, &out), 0);
	ck_assert_int_eq(memcmp(out.src, e.src, 4), 0);
	ck_assert_int_eq(out.dport, 443);
	ck_assert_int_eq(out.zone, 3);
}
END_TEST

START_TEST(format)
{
	struct ct_entry e = v4_tcp();
	char s[128];

	ct_entry_format(&e, s, sizeof(s));
	ck_assert_str_eq(s, "tcp 10.1.0.5:40000 -> 10.2.0.9:443");
}
END_TEST

/* One flow 'web' 10.1.0.0/24 -> 10.2.0.9 tcp/443 with mark M, as
 * compile_chains.c emits it. */
#define M 0x80abcdefu
static struct ruleset rs;

static void add_v4_set(const char *name, const char *lo, const char *hi)
{
	struct rs_origin none = { .what = NULL };
	struct rs_set *s = ruleset_add_set(&rs, name, RS_KEY_IPV4, false,
					   &none);
	uint8_t l[16] = { 0 }, h[16] = { 0 };

	inet_pton(AF_INET, lo, l);
	inet_pton(AF_INET, hi, h);
	ck_assert_int_eq(set_add_interval(s, l, h), 0);
}

static void rules_setup(void)
{
	struct rs_origin none = { .what = NULL }, fo = { .what = "flow 'web'" };
	struct rs_chain *ch;
	struct rs_rule *r;
	struct rs_set *s;

	ruleset_init(&rs);
	add_v4_set("from_v4", "10.1.0.0", "10.1.0.255");
	add_v4_set("to_v4", "10.2.0.9", "10.2.0.9");
	s = ruleset_add_set(&rs, "flow_marks", RS_KEY_MARK, false, &none);
	ck_assert_int_eq(set_add_mark(s, M), 0);
	ch = ruleset_add_chain(&rs, "pair", RS_HOOK_NONE, &none);
	r = chain_add_rule(ch, &fo);
	ck_assert_int_eq(rule_num(r, RS_OP_CT_STATE, CT_NEW) ||
			 rule_num(r, RS_OP_NFPROTO, NFPROTO_IPV4) ||
			 rule_name(r, RS_OP_SADDR_SET, "from_v4", false) ||
			 rule_name(r, RS_OP_DADDR_SET, "to_v4", false) ||
			 rule_num(r, RS_OP_L4PROTO, IPPROTO_TCP) ||
			 rule_dport(r, 443, 443) ||
			 rule_num(r, RS_OP_CT_MARK_ASSIGN, M) ||
			 rule_verdict(r, RS_VERDICT_ACCEPT, NULL), 0);
}

static void rules_teardown(void)
{
	ruleset_free(&rs);
}

static struct ct_entry web(void)
{
	struct ct_entry e = v4_tcp();

	e.mark = M;
	return e;
}

static void expect(const struct ct_entry *e, int res, const char *why)
{
	struct ctaudit_verdict v;

	ck_assert_int_eq(ctaudit_check(&rs, e, &v), res);
	if (why) {
		ck_assert_ptr_nonnull(strstr(v.why, why));
	}
}

START_TEST(audit_judges)
{
	struct ct_entry e = web();

	expect(&e, 0, NULL);
	inet_pton(AF_INET, "10.9.0.5", e.src);
	expect(&e, 1, "source");
	e = web();
	inet_pton(AF_INET, "10.2.0.10", e.dst);
	expect(&e, 1, "destination not");
	e = web();
	e.dport = 444;
	expect(&e, 1, "port");
	e = web();
	e.proto = IPPROTO_UDP;
	expect(&e, 1, "protocol");
	e = web();
	e.mark = 0x80000001;
	expect(&e, 1, "no enforced flow");
	e.mark = 0x1234;                   /* not ours */
	expect(&e, 0, NULL);
	e.mark = compile_gateway_mark();   /* the gateway's own */
	expect(&e, 0, NULL);
	e = web();
	e.family = AF_INET6;
	expect(&e, 1, "family");
}
END_TEST

START_TEST(audit_removed_marks)
{
	struct ruleset next;
	struct rs_origin none = { .what = NULL };
	struct rs_set *s;
	uint32_t *gone;

	ruleset_init(&next);
	s = ruleset_add_set(&next, "flow_marks", RS_KEY_MARK, false, &none);
	ck_assert_int_eq(set_add_mark(s, 0x80000002), 0);
	ck_assert_int_eq(ctaudit_marks_removed(&rs, &next, &gone), 1);
	ck_assert_uint_eq(gone[0], M);
	free(gone);
	ck_assert_int_eq(ctaudit_marks_removed(&rs, &rs, &gone), 0);
	ck_assert_ptr_null(gone);
	ck_assert_int_eq(ctaudit_marks_removed(&next, &rs, &gone), 1);
	ck_assert_uint_eq(gone[0], 0x80000002);
	free(gone);
	ck_assert(ctaudit_mark_live(&rs, M));
	ck_assert(!ctaudit_mark_live(&next, M));
	ruleset_free(&next);
}
END_TEST

static Suite *conntrack_suite(void)
{
	Suite *s = suite_create("conntrack");
	TCase *tc = tcase_create("messages");
	TCase *ta = tcase_create("audit");

	tcase_add_test(tc, parse_roundtrip);
	tcase_add_test(tc, parse_refuses);
	tcase_add_test(tc, requests);
	tcase_add_test(tc, format);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ta, rules_setup, rules_teardown);
	tcase_add_test(ta, audit_judges);
	tcase_add_test(ta, audit_removed_marks);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conntrack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
