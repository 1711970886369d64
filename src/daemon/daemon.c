/* daemon.c - the long-running mode: one epoll loop over signals, timers,
 * nftables events and the control socket.
 *
 * The netlink socket that created the table stays open for the whole life
 * of the process: with ownership on, the kernel refuses every change from
 * any other socket.  On exit the table persists (NFT_TABLE_F_PERSIST) and
 * keeps enforcing; removing it is an explicit admin action.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <malloc.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_internal.h"
#include "log.h"
#include "notify.h"

static int signals_open(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void status_line(struct daemon *d, char *buf, size_t len)
{
	if (d->degraded)
		snprintf(buf, len, "DEGRADED: config invalid, %s enforced",
			 enforcer_ruleset(&d->enf) ? "lockdown" :
			 "previous ruleset");
	else
		snprintf(buf, len, "enforcing table '%s' (%zu zones, %zu "
			 "flows, %s)", enforcer_table(&d->enf),
			 d->model.zone_count, d->model.flow_count,
			 enforcer_level(&d->enf) == PROTECTION_OWNED ?
			 "owned" : "watchdog-only");
}

/* SIGHUP and `segmentctl reload`: a failed reload keeps what is enforced. */
int daemon_reload(struct daemon *d, const char *ssh, FILE *ssh_out,
		  struct diags *diags)
{
	struct model m;
	struct ruleset rs;
	char status[200];
	int err;

	if (d->pending.active) {
		diags_add(diags, DIAG_ERROR, NULL, 0, "a reload is waiting for "
			  "confirmation: confirm it (segmentctl confirm) or "
			  "let it revert first");
		log_diags(diags);
		return -EBUSY;
	}
	notify_reloading();
	err = daemon_load(d, d->config_path, NULL, &m, &rs, diags);
	if (!err && ssh && ssh_out)
		daemon_ssh_check(&m, ssh, ssh_out);
	err = err ?: daemon_apply_loaded(d, &m, &rs, d->config_path,
					 "reload", diags);
	log_diags(diags);
	if (err) {
		log_msg(LOG_ERR, "reload: %s was not applied; the enforced "
			"ruleset is unchanged", d->config_path);
		daemon_event(d, EV_RELOAD_FAILED, "%s: %d error(s); enforced "
			     "ruleset unchanged", d->config_path,
			     diags->errors);
	} else {
		daemon_event(d, EV_RELOAD, "%s applied%s", d->config_path,
			     enforcer_unchanged(&d->enf) ?
			     " (unchanged: nothing committed)" :
			     enforcer_updated(&d->enf) ?
			     " (by its difference)" : "");
	}
	status_line(d, status, sizeof(status));
	notify_ready(status);
	return err;
}

static void on_signal(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct diags diags;

			diags_init(&diags);
			daemon_reload(d, NULL, NULL, &diags);
			diags_free(&diags);
			continue;
		}
		log_msg(LOG_NOTICE, "stopping on signal %u; the table stays "
			"enforced", si.ssi_signo);
		l->stop = true;
	}
}

static void on_denied_new(void *ctx, const struct denied_entry *e)
{
	char src[64], dst[64], svc[64];
	int fam = e->family;

	(void)ctx;
	inet_ntop(fam, e->saddr, src, sizeof(src));
	inet_ntop(fam, e->daddr, dst, sizeof(dst));
	denied_service(e, svc, sizeof(svc));
	log_msg(LOG_INFO, "denied: new tuple %s: %s -> %s %s", e->pair, src,
		dst, svc);
}

/* The denied monitor's resolver: output interface -> zone of the model. */
static bool zone_of_oif(void *ctx, uint32_t oif, char *buf, size_t len)
{
	const struct daemon *d = ctx;
	char name[IF_NAMESIZE];

	if (!if_indextoname(oif, name))
		return false;
	for (size_t z = 0; z < d->model.zone_count; z++) {
		const struct zone *zone = &d->model.zones[z];

		for (size_t i = 0; i < zone->interface_count; i++)
			if (!strcmp(zone->interfaces[i], name)) {
				snprintf(buf, len, "%s", zone->name);
				return true;
			}
	}
	snprintf(buf, len, "unzoned");
	return true;
}

static void on_denied(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	int err = denied_read(d->denied, on_denied_new, d,
			      d->model.settings.log_rate);

	if (err && !d->denied_error)
		log_msg(LOG_WARNING, "reading denied packets (NFLOG group %u): "
			"%s", d->denied_group, strerror(-err));
	d->denied_error = err != 0;
}

void daemon_denied_follow(struct daemon *d)
{
	const struct settings *st = &d->model.settings;
	bool want = enforcer_ruleset(&d->enf) && !d->degraded && st->log_denied &&
		    st->log_monitor;
	int err;

	if (d->denied && (!want || d->denied_group != st->log_group)) {
		loop_del(&d->loop, denied_fd(d->denied));
		denied_close(d->denied);
		d->denied = NULL;
	}
	if (!want || d->denied)
		return;
	err = denied_open(&d->denied, st->log_group, 4096);
	if (!err)
		denied_set_resolver(d->denied, zone_of_oif, d);
	if (!err)
		err = loop_add(&d->loop, denied_fd(d->denied), EPOLLIN,
			       on_denied, d);
	if (err) {
		log_msg(LOG_WARNING, "cannot follow denied packets on NFLOG "
			"group %u: %s (segmentctl denied stays empty)",
			st->log_group, strerror(-err));
		denied_close(d->denied);
		d->denied = NULL;
		return;
	}
	d->denied_group = st->log_group;
}

/* WATCHDOG=1 from the loop itself: if the loop stalls, the pings stop. */
static void on_dog(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;

	timer_ack(fd);
	if (d->ctl)
		control_server_sweep(d->ctl);
	notify_watchdog();
}

static int add_timer(struct daemon *d, int *fd, uint64_t first,
		     uint64_t every, loop_cb cb)
{
	*fd = timer_open(first, every);
	if (*fd < 0)
		return *fd;
	return loop_add(&d->loop, *fd, EPOLLIN, cb, d);
}

static int setup(struct daemon *d)
{
	uint64_t dog = notify_watchdog_usec() / 2000;   /* half, in ms */
	int err;

	if (!dog || dog > 1000)
		dog = 1000;     /* also the control client sweep */
	err = loop_init(&d->loop);
	d->sig_fd = signals_open();
	if (!err && d->sig_fd < 0)
		err = d->sig_fd;
	err = err ?: loop_add(&d->loop, d->sig_fd, EPOLLIN, on_signal, d);
	err = err ?: add_timer(d, &d->tick_fd, 0, 0, daemon_on_tick);
	err = err ?: add_timer(d, &d->full_fd, 0, 0, daemon_on_full);
	err = err ?: add_timer(d, &d->restore_fd, 0, 0, daemon_on_restore);
	err = err ?: add_timer(d, &d->confirm_fd, 0, 0, daemon_on_confirm);
	d->expiry_fd = timer_open_wall();
	if (!err && d->expiry_fd < 0)
		err = d->expiry_fd;
	err = err ?: loop_add(&d->loop, d->expiry_fd, EPOLLIN, daemon_on_expiry,
			      d);
	err = err ?: add_timer(d, &d->dog_fd, dog, dog, on_dog);
	err = err ?: add_timer(d, &d->commit_fd, 0, 0, daemon_on_commit_timeout);
	return err;
}

/* The verification cadence from the config (defaults when degraded). */
void daemon_arm_verify(struct daemon *d)
{
	uint64_t tick = d->model.settings.verify_interval_ms;
	uint64_t full = d->model.settings.full_verify_interval_s * 1000ull;

	timer_set(d->tick_fd, tick ? tick : 1000, tick ? tick : 1000);
	timer_set(d->full_fd, full ? full : 300000, full ? full : 300000);
}

static const char *socket_path(void)
{
	const char *path = getenv("SEGMENTD_SOCKET");

	return path && *path ? path : CONTROL_SOCKET_PATH;
}

static int control_open(struct daemon *d)
{
	const char *path = socket_path();
	const char *group = d->model.settings.control_group;
	gid_t gid = (gid_t)-1;
	int err;

	if (group) {
		struct group *g = getgrnam(group);

		if (g)
			gid = g->gr_gid;
		else
			log_msg(LOG_WARNING, "control_group '%s' does not "
				"exist: the control socket is root only", group);
	}
	/* 0755: the socket's own mode (0600, or 0660 for the group) guards it */
	mkdir("/run/segmentd", 0755);
	err = control_server_open(&d->ctl, &d->loop, path, gid,
				  daemon_control, d);
	if (err)
		log_msg(LOG_WARNING, "control socket %s: %s (segmentctl will "
			"not reach this daemon; enforcement is unaffected)",
			path, strerror(-err));
	return 0;
}

/* First apply; a config that is invalid at start fails closed. */
static int start(struct daemon *d)
{
	char status[200];
	struct diags diags;
	int err;

	char rollback[512], root[512], dir[256];
	const char *path;

	snprintf(dir, sizeof(dir), "%s", socket_path());
	snprintf(d->state_dir, sizeof(d->state_dir), "%s", dirname(dir));
	path = daemon_pending_rollback(d, rollback, sizeof(rollback), root,
				       sizeof(root));
	diags_init(&diags);
	err = daemon_apply_file(d, path ? path : d->config_path,
				path ? root : NULL, path ?
				"start (reverting an unconfirmed reload)" :
				"start", &diags);
	if (path && !err) {
		daemon_event(d, EV_RELOAD, "unconfirmed reload reverted at "
			     "start: %s is NOT enforced until a reload",
			     d->config_path);
		daemon_rollback_clear(d);
	}
	log_diags(&diags);
	diags_free(&diags);
	if (err == -EINVAL)
		err = daemon_fail_closed(d);
	if (err)
		return err;
	daemon_event(d, EV_START, "%s", d->degraded ?
		     "started DEGRADED (config invalid)" : "started");
	err = watch_open(&d->watch, enforcer_table(&d->enf) ?: "segmentd",
			 d->nl.portid);
	if (!err && enforcer_guard(&d->enf))
		watch_guard(&d->watch, enforcer_guard(&d->enf)->table);
	if (!err)
		daemon_watch_observed(d);
	err = err ?: loop_add(&d->loop, d->watch.fd, EPOLLIN,
			      daemon_on_watch, d);
	if (err)
		log_msg(LOG_ERR, "cannot watch nftables events: %s; relying "
			"on the periodic check", strerror(-err));
	control_open(d);
	status_line(d, status, sizeof(status));
	notify_ready(status);
	return 0;
}

static int daemon_main(const char *path, const char *node);

static void teardown(struct daemon *d)
{
	int *fds[] = { &d->sig_fd, &d->tick_fd, &d->full_fd, &d->restore_fd,
		       &d->confirm_fd, &d->expiry_fd, &d->dog_fd,
		       &d->commit_fd };

	if (d->ctl)
		control_server_close(d->ctl);
	daemon_peer_stop(d);
	watch_close(&d->watch);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	loop_free(&d->loop);
	enforcer_free(&d->enf);
	model_free(&d->model);
	model_free(&d->pending.model);
	hook_report_free(&d->hooks);
	denied_close(d->denied);
	nl_close(&d->nl);     /* the table persists (or stays orphaned) */
}

int daemon_run(const char *path, const char *node)
{
	char *abs = realpath(path, NULL);   /* reloads must not depend on cwd */
	int status = daemon_main(abs ? abs : path, node);

	free(abs);
	return status;
}

/* The first load (like --once and --check) runs with glibc's own
 * threshold: it rises as the load frees its big temporaries, which are then
 * reused instead of mapped afresh (fresh pages cost ~16 us each on some
 * VMs: a third of loading 100k networks).  For the reloads that follow,
 * blocks of 128 KiB and more are mapped on their own, for good: with the
 * threshold raised, libconfig's list of 100k networks, grown by realloc 16
 * entries at a time, would be copied on every growth (a fifth of a reload
 * at 100k); a mapped block grows by mremap, uncopied, and goes back to the
 * system when freed.  What the first load left free goes back now. */
static void malloc_for_reloads(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	malloc_trim(0);
}

static int daemon_main(const char *path, const char *node)
{
	struct daemon d = { .config_path = path, .sig_fd = -1, .tick_fd = -1,
			    .full_fd = -1, .restore_fd = -1, .confirm_fd = -1,
			    .expiry_fd = -1, .dog_fd = -1, .commit_fd = -1 };
	int err, status = 1;

	log_init();
	notify_init();
	model_init(&d.model);
	model_init(&d.pending.model);
	d.started = time(NULL);
	d.watch.fd = -1;
	daemon_peer_init(&d);
	d.node = node;
	daemon_enforcer_init(&d);
	err = nl_open(&d.nl);
	if (err) {
		log_msg(LOG_ERR, "cannot open the nf_tables netlink socket: %s",
			strerror(-err));
		return 2;
	}
	err = setup(&d);
	if (err) {
		log_msg(LOG_ERR, "event loop setup: %s", strerror(-err));
		goto out;
	}
	err = start(&d);
	if (err) {
		status = err == -EINVAL ? 1 : 2;
		goto out;
	}
	malloc_for_reloads();
	while (!d.loop.stop) {
		err = loop_run_once(&d.loop, -1);
		if (err) {
			log_msg(LOG_ERR, "event loop: %s", strerror(-err));
			goto out;
		}
		/* the sockets of dumps cut short, closed only when no
		 * restore waits: closing one is slow in the kernel */
		if (!d.dirty)
			nl_release_cut(&d.nl);
	}
	notify_stopping();
	status = 0;
out:
	teardown(&d);
	return status;
}
