/* test_watch.c - the watch's run of quiet generations (keep/watch.c) and
 * what the enforcer takes from it (enforcer_saw_quiet): only other
 * processes' commits, seen whole (from the generation the watch joined
 * at), that touched none of our tables, one after another, keep what is
 * known of the main table.  The events come from a socket pair, as the
 * kernel would send them to the watch's netlink socket. */
#include <arpa/inet.h>
#include <check.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enforce.h"
#include "watch.h"
#include "check_main.h"

#define SELF 4242u
#define OTHER 777u

static struct watch w;
static int peer;

static void open_watch(void)
{
	int sv[2];

	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	w.fd = sv[0];
	peer = sv[1];
	snprintf(w.table, sizeof(w.table), "segmentd");
	watch_guard(&w, "segmentd-guard");
	w.self_portid = SELF;
}

static void close_watch(void)
{
	close(w.fd);
	close(peer);
	watch_reset_delta(&w);
}

static struct nlmsghdr *msg(char *buf, uint16_t type, uint32_t pid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	nlh->nlmsg_pid = pid;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	return nlh;
}

/* A transaction of pid: a rule added to table (NULL: none), then its
 * NEWGEN with genid. */
static void commit(uint32_t pid, const char *table, uint32_t genid)
{
	char buf[1024];
	struct nlmsghdr *nlh;

	if (table) {
		nlh = msg(buf, NFT_MSG_NEWRULE, pid);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "forward");
		ck_assert_int_eq(send(peer, buf, nlh->nlmsg_len, 0),
				 (ssize_t)nlh->nlmsg_len);
	}
	nlh = msg(buf, NFT_MSG_NEWGEN, pid);
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(genid));
	mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(pid));
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft");
	ck_assert_int_eq(send(peer, buf, nlh->nlmsg_len, 0),
			 (ssize_t)nlh->nlmsg_len);
}

static void run_is(bool quiet, uint32_t from, uint32_t to)
{
	watch_read(&w, NULL, NULL);
	ck_assert_int_eq(w.quiet, quiet);
	if (quiet) {
		ck_assert_uint_eq(w.quiet_from, from);
		ck_assert_uint_eq(w.quiet_to, to);
	}
}

START_TEST(quiet_runs)
{
	open_watch();
	commit(OTHER, "other", 10);
	run_is(false, 0, 0);            /* not observed: never quiet */
	watch_observed(&w, 10);
	commit(OTHER, "other", 11);
	commit(OTHER, NULL, 12);
	run_is(true, 11, 12);
	commit(OTHER, "segmentd", 13);  /* our table: the run ends */
	run_is(false, 0, 0);
	commit(OTHER, "other", 14);
	run_is(true, 14, 14);
	commit(OTHER, "segmentd-guard", 15);   /* the guard too */
	run_is(false, 0, 0);
	commit(OTHER, "other", 16);
	commit(SELF, NULL, 17);         /* ours, not through the enforcer */
	run_is(false, 0, 0);
	commit(OTHER, "other", 18);
	commit(OTHER, "other", 20);     /* a generation missed */
	run_is(true, 20, 20);
	watch_observed(&w, 30);         /* joined again at 30 */
	commit(OTHER, "other", 29);     /* queued before: not seen whole */
	run_is(false, 0, 0);
	commit(OTHER, "other", 31);
	run_is(true, 31, 31);
	watch_pause(&w);                /* out of the group: nothing known */
	ck_assert(!w.quiet && !w.observed);
	close_watch();
}
END_TEST

START_TEST(held_through_quiet)
{
	struct enforcer e;

	memset(&e, 0, sizeof(e));
	e.held = (struct held){ .ok = true, .genid = 12 };
	enforcer_saw_quiet(&e, 13, 15);
	ck_assert(e.held.ok);
	ck_assert_uint_eq(e.held.genid, 15);
	enforcer_saw_quiet(&e, 17, 18);           /* 16 unaccounted for */
	ck_assert_uint_eq(e.held.genid, 15);
	enforcer_saw_quiet(&e, 10, 20);           /* covers 16..20 */
	ck_assert_uint_eq(e.held.genid, 20);
	enforcer_saw_quiet(&e, 11, 19);           /* nothing new */
	ck_assert_uint_eq(e.held.genid, 20);
	e.held.ok = false;
	enforcer_saw_quiet(&e, 21, 30);           /* nothing was known */
	ck_assert(!e.held.ok);
	ck_assert_uint_eq(e.held.genid, 20);
	e.held = (struct held){ .ok = true, .genid = 0xfffffffeu };
	enforcer_saw_quiet(&e, 0xffffffffu, 1);   /* across the wrap */
	ck_assert_uint_eq(e.held.genid, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watch");
	TCase *t = tcase_create("core");

	tcase_add_test(t, quiet_runs);
	tcase_add_test(t, held_through_quiet);
	suite_add_tcase(s, t);
	return check_run(s);
}
