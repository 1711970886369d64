/* daemon_confirm.c - commit-confirmed reload (like Junos `commit confirmed`
 * and Shorewall's safe-reload): `segmentctl reload --confirm SECONDS`
 * applies the new config; unless `segmentctl confirm` arrives in time, the
 * previous config is programmed again.
 *
 * The previous config's files are kept in STATE_DIR/rollback/ with the
 * deadline (daemon_state.c), so that a daemon that dies inside the window
 * still reverts when it starts again: an unconfirmed config is never
 * trusted across a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REVERT_RETRY_MS 1000u   /* a failed revert of an unconfirmed reload */

#include "daemon_internal.h"
#include "log.h"
#include "policy.h"

static bool zone_contains(const struct zone *z, const struct cidr *ip)
{
	struct zone_net_iter it;
	struct cidr net;

	zone_net_begin(&it);
	while (zone_network_next(z, &it, &net))
		if (cidr_contains(&net, ip))
			return true;
	return false;
}

/* Is tcp/PORT on the gateway allowed from IP by m's management rules? */
static int ssh_allowed(const struct model *m, const struct cidr *ip,
		       unsigned port)
{
	bool zoned = false;

	for (size_t z = 0; z < m->zone_count; z++)
		zoned |= zone_contains(&m->zones[z], ip);
	for (size_t r = 0; r < m->mgmt_count; r++) {
		const struct mgmt_rule *mr = &m->mgmt[r];
		const struct cidr *v;
		size_t n;
		bool from = false;

		if (mr->from.kind == ENDPOINT_HOST) {
			v = m->hosts[mr->from.index].addresses;
			n = m->hosts[mr->from.index].address_count;
		} else {
			v = NULL;
			n = 0;
			from = (m->zones[mr->from.index].any && !zoned) ||
			       zone_contains(&m->zones[mr->from.index], ip);
		}
		for (size_t i = 0; i < n; i++)
			from |= cidr_contains(&v[i], ip);
		for (size_t s = 0; from && s < mr->service_count; s++)
			if (mr->services[s].proto == 6 &&
			    mr->services[s].port_low <= port &&
			    port <= mr->services[s].port_high)
				return 1;
	}
	return zoned ? 0 : -1;     /* -1: not in a zone: depends on the port */
}

void daemon_ssh_check(const struct model *m, const char *ssh, FILE *out)
{
	const char *comma = ssh ? strchr(ssh, ',') : NULL;
	char ip[64] = "", *end;
	unsigned long port;
	struct cidr c;

	if (!comma || comma - ssh >= (long)sizeof(ip))
		return;
	memcpy(ip, ssh, (size_t)(comma - ssh));
	errno = 0;
	port = strtoul(comma + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535 || cidr_parse(ip, &c))
		return;
	switch (ssh_allowed(m, &c, (unsigned)port)) {
	case 0:
		fprintf(out, "WARNING: your SSH session from %s to port %lu "
			"would NOT be allowed by the new management policy\n",
			ip, port);
		log_msg(LOG_WARNING, "reload: the caller's SSH session from %s "
			"to port %lu is not allowed by the new config", ip,
			port);
		break;
	case -1:
		if (!m->settings.unzoned_input_accept)
			fprintf(out, "WARNING: your SSH session from %s is in "
				"no zone and unzoned_input is \"drop\"\n", ip);
		break;
	default:
		break;
	}
}

enum control_status daemon_reload_confirmed(struct daemon *d, unsigned secs,
					    const char *ssh, FILE *out)
{
	struct model candidate, previous = d->model;
	struct ruleset rs;
	struct diags diags;
	time_t deadline = time(NULL) + secs;
	bool loaded;
	int err;

	if (d->pending.active) {
		fprintf(out, "a reload is already waiting for confirmation "
			"(segmentctl confirm)\n");
		return CONTROL_FAIL;
	}
	diags_init(&diags);
	/* one parse: the SSH check and the apply see the same config */
	err = daemon_load(d, d->config_path, NULL, &candidate, &rs, &diags);
	loaded = !err;
	if (loaded)
		daemon_ssh_check(&candidate, ssh, out);
	err = err ?: daemon_rollback_save(d, deadline);
	if (err && loaded) {
		ruleset_free(&rs);
		model_free(&candidate);
		daemon_load_drop(d);
	}
	if (!err) {
		model_init(&d->model);      /* keep the previous model aside */
		err = daemon_apply_loaded(d, &candidate, &rs, d->config_path,
					  "reload (confirm)", &diags);
		if (err) {       /* the kernel refused: back as before */
			model_free(&d->model);
			d->model = previous;
			daemon_rollback_restore(d);
		}
	}
	diags_print(&diags, out);
	diags_free(&diags);
	if (err) {
		fprintf(out, "reload refused: the enforced ruleset is "
			"unchanged\n");
		return CONTROL_FAIL;
	}
	d->pending = (struct pending_commit){ .active = true, .model = previous,
					      .deadline = deadline,
					      .seconds = secs };
	timer_set(d->commit_fd, (uint64_t)secs * 1000, 0);
	daemon_event(d, EV_RELOAD, "%s applied; reverts in %u s unless "
		     "confirmed", d->config_path, secs);
	fprintf(out, "applied %s; run `segmentctl confirm` within %u s or "
		"the previous config is restored\n", d->config_path, secs);
	return CONTROL_OK;
}

static void pending_end(struct daemon *d)
{
	daemon_rollback_clear(d);
	model_free(&d->pending.model);
	memset(&d->pending, 0, sizeof(d->pending));
	timer_set(d->commit_fd, 0, 0);
}

enum control_status daemon_confirm(struct daemon *d,
				   const struct control_request *req, FILE *out)
{
	if (!d->pending.active) {
		fprintf(out, "nothing to confirm\n");
		return CONTROL_FAIL;
	}
	pending_end(d);
	log_msg(LOG_NOTICE, "reload confirmed: %s stays", d->config_path);
	daemon_event(d, EV_RELOAD, "%s confirmed", d->config_path);
	fprintf(out, "confirmed: %s stays\n", d->config_path);
	return CONTROL_OK;
}

void daemon_on_commit_timeout(struct loop *l, int fd, uint32_t ev, void *data)
{
	struct daemon *d = data;
	int err;

	timer_ack(fd);
	if (!d->pending.active)
		return;
	err = daemon_enforce_model(d, &d->pending.model, time(NULL));
	if (err) {
		/* still pending: tried again each second until the revert
		 * lands or the admin confirms what is enforced */
		log_msg(LOG_CRIT, "reload not confirmed, and reverting failed: "
			"%s; the new config stays enforced, trying again in "
			"%u ms", strerror(-err), REVERT_RETRY_MS);
		timer_set(d->commit_fd, REVERT_RETRY_MS, 0);
		return;
	}
	daemon_rollback_restore(d);
	model_free(&d->model);
	d->model = d->pending.model;
	model_init(&d->pending.model);
	log_msg(LOG_NOTICE, "reload not confirmed within %u s: the previous "
		"config is enforced again", d->pending.seconds);
	daemon_event(d, EV_RELOAD, "not confirmed within %u s: reverted",
		     d->pending.seconds);
	memset(&d->pending, 0, sizeof(d->pending));
	daemon_arm_expiry(d);
}
