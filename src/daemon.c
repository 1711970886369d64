/* daemon.c - one epoll loop over a signalfd: start, reload, stop.
 *
 * The netlink socket that created the table stays open for the whole life
 * of the process: with ownership on, the kernel refuses every change from
 * any other socket.  On exit the table persists (NFT_TABLE_F_PERSIST) and
 * keeps enforcing; removing it is an explicit admin action.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "nft.h"
#include "policy.h"

static const char *protection_name(enum protection p)
{
	return p == PROTECTION_OWNED ? "owned+persistent" : "unowned";
}

/* Loads path and, if valid, programs it.  On any failure the kernel keeps
 * what it enforces now. */
static int apply_config(struct nl *nl, const char *path, const char *why)
{
	struct model m;
	struct ruleset rs;
	struct diags d;
	enum protection level;
	int err;

	diags_init(&d);
	model_init(&m);
	err = policy_load(path, time(NULL), &m, &rs, &d);
	if (err) {
		log_diags(&d);
		log_msg(LOG_ERR, "%s: %s is invalid; the enforced ruleset is "
			"unchanged", why, path);
		goto out;
	}
	err = nft_apply(nl, &rs, &d, &level);
	log_diags(&d);
	if (err)
		log_msg(LOG_ERR, "%s: the kernel refused the new ruleset; "
			"the enforced ruleset is unchanged", why);
	else
		log_msg(LOG_NOTICE, "%s: table '%s' programmed (%zu zones, "
			"%zu flows, %zu set elements, %s)", why, rs.table,
			m.zone_count, m.flow_count, ruleset_element_count(&rs),
			protection_name(level));
	ruleset_free(&rs);
out:
	model_free(&m);
	diags_free(&d);
	return err;
}

static int signals_open(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns 1 to stop, 0 to go on. */
static int on_signal(int sfd, struct nl *nl, const char *path)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			apply_config(nl, path, "reload");
			continue;
		}
		log_msg(LOG_NOTICE, "stopping on signal %u; the table stays "
			"enforced", si.ssi_signo);
		return 1;
	}
	return 0;
}

int daemon_run(const char *path)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int sfd = -1, efd = -1, status = 1;
	struct nl nl;

	log_init();
	if (nl_open(&nl)) {
		log_msg(LOG_ERR, "cannot open the nf_tables netlink socket: %s",
			strerror(errno));
		return 2;
	}
	sfd = signals_open();
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || efd < 0 || epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev)) {
		log_msg(LOG_ERR, "event loop setup: %s", strerror(errno));
		goto out;
	}
	if (apply_config(&nl, path, "start")) {
		status = 1;
		goto out;
	}
	for (;;) {
		int n = epoll_wait(efd, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_msg(LOG_ERR, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		if (on_signal(sfd, &nl, path))
			break;
	}
	status = 0;
out:
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	nl_close(&nl);
	return status;
}
