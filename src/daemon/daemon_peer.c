/* daemon_peer.c - the HA peer check: once a second this node tells its peer
 * (over the sync link, UDP to ha.peer_port, HMAC-SHA256 under the shared
 * key of ha.key_file) its state and fingerprints, takes the peer's, and
 * writes the keepalived track_file weight (ha.weight_file) that keeps a
 * degraded node, or the older of two differing configs, from being
 * promoted.  The wire format and the weight rule are in peer_beacon.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit.h"
#include "daemon_internal.h"
#include "json.h"
#include "sha256.h"
#include "log.h"
#include "policy_digest.h"

#define PEER_INTERVAL_MS 1000
#define PEER_HEARD_S 3.0          /* three beacons missed: not heard */
#define PEER_CLOCK_WINDOW 30      /* s of clock difference accepted */

static void peer_close(struct daemon *d)
{
	struct peer_link *p = &d->peer;

	if (p->fd >= 0) {
		loop_del(&d->loop, p->fd);
		close(p->fd);
	}
	if (p->timer_fd >= 0) {
		loop_del(&d->loop, p->timer_fd);
		close(p->timer_fd);
	}
	p->fd = p->timer_fd = -1;
	p->active = false;
	memset(p->key, 0, sizeof(p->key));
}

static socklen_t sockaddr_of(const struct cidr *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->addr, 16);
	return sizeof(*s6);
}

/* The source is the peer's sync address (the kernel's input chain also
 * admits the port from there only). */
static bool from_peer(const struct daemon *d, const struct sockaddr_storage *ss)
{
	const struct cidr *a = &d->model.ha.nodes[d->peer.other].sync;

	if (ss->ss_family == AF_INET && a->family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)ss)->sin_addr,
			       a->addr, 4);
	if (ss->ss_family == AF_INET6 && a->family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       a->addr, 16);
	return false;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ms_between(t, &now) / 1000.0;
}

bool daemon_peer_heard(const struct daemon *d)
{
	return d->peer.active && d->peer.heard_ever &&
	       seconds_since(&d->peer.heard) < PEER_HEARD_S;
}

static enum peer_state our_state(const struct daemon *d)
{
	if (!enforcer_ruleset(&d->enf))
		return PEER_LOCKDOWN;
	return d->degraded ? PEER_DEGRADED : PEER_ENFORCING;
}

/* Our table is as compiled: a restore still pending after 2 s says no (a
 * restore that succeeds within that time, as under a tamper storm, must
 * not make keepalived flap). */
static bool our_sync(const struct daemon *d)
{
	return enforcer_ruleset(&d->enf) && !d->degraded &&
	       !(d->dirty && seconds_since(&d->detected) > 2.0);
}

/* The weight from what we know now; written when it changes. */
static void weight_update(struct daemon *d)
{
	struct peer_link *p = &d->peer;
	const struct model_ha *ha = &d->model.ha;
	bool heard = daemon_peer_heard(d);
	struct peer_weight_input in = {
		.state = our_state(d), .table_verified = our_sync(d),
		.peer_heard = heard,
		.peer_differs = heard && peer_compare(enforcer_expected(&d->enf)->digest,
				&p->last) == PEER_DIFFERS,
		.block_on_mismatch = ha->block_on_mismatch,
		.last_apply = d->last_apply, .peer_last_apply = p->last.time ?
			      p->last.last_apply : 0,
		.node = ha->nodes[p->self].name,
		.peer_node = ha->nodes[p->other].name,
	};
	int w = peer_weight(&in), err;

	if (w == p->weight)
		return;
	err = peer_weight_write(ha->weight_file, w);
	if (err) {
		log_msg(LOG_ERR, "ha: writing the keepalived weight %d to %s: "
			"%s", w, ha->weight_file, strerror(-err));
		return;         /* tried again next second */
	}
	log_msg(w == PEER_WEIGHT_OK ? LOG_NOTICE : LOG_WARNING, "ha: weight "
		"%d written to %s (%s)", w, ha->weight_file,
		w == PEER_WEIGHT_OK ? "may be promoted" :
		in.state != PEER_ENFORCING || !in.table_verified ?
		"not promoted: this node does not enforce its ruleset" :
		"not promoted: the peer enforces a newer, different ruleset");
	p->weight = w;
}

static void send_beacon(struct daemon *d)
{
	struct peer_link *p = &d->peer;
	const struct model_ha *ha = &d->model.ha;
	struct peer_beacon b = { .version = PEER_BEACON_VERSION };
	struct sockaddr_storage to;
	uint8_t wire[PEER_BEACON_LEN];
	socklen_t len;

	b.state = (uint8_t)our_state(d);
	b.in_sync = our_sync(d);
	b.seq = ++p->seq;
	b.time = time(NULL);
	b.last_apply = d->last_apply;
	snprintf(b.node, sizeof(b.node), "%s", ha->nodes[p->self].name);
	memcpy(b.config_sha256, d->model.files_sha256, 32);
	memcpy(b.ruleset_sha256, enforcer_expected(&d->enf)->digest, 32);
	model_policy_digest(&d->model, b.policy_sha256);
	if (peer_beacon_encode(&b, p->key, p->key_len, wire) < 0)
		return;
	len = sockaddr_of(&ha->nodes[p->other].sync, ha->peer_port, &to);
	if (sendto(p->fd, wire, sizeof(wire), 0, (struct sockaddr *)&to,
		   len) < 0) {
		if (!p->send_error)
			log_msg(LOG_WARNING, "ha: sending the beacon to %s: %s",
				ha->nodes[p->other].name, strerror(errno));
		p->send_error = true;
		return;
	}
	p->send_error = false;
	p->sent++;
}

static void on_timer(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;

	timer_ack(fd);
	send_beacon(d);
	weight_update(d);
}

static void on_beacon(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	struct peer_link *p = &d->peer;
	const char *peer_name = d->model.ha.nodes[p->other].name;
	uint8_t buf[PEER_BEACON_LEN + 64];
	struct sockaddr_storage from;
	struct peer_beacon b;
	ssize_t n;

	for (;;) {
		socklen_t flen = sizeof(from);
		int err;

		memset(&from, 0, sizeof(from));
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		err = peer_beacon_decode(buf, (size_t)n, p->key, p->key_len,
					 &b);
		if (!err && (!from_peer(d, &from) || strcmp(b.node, peer_name)))
			err = -EPERM;
		if (!err)
			err = peer_replay_check(&p->replay, &b, time(NULL),
						PEER_CLOCK_WINDOW);
		if (err) {
			if (p->rejected++ == 0 || err != p->last_reject)
				log_msg(LOG_WARNING, "ha: beacon refused "
					"(%s): %s", err == -EPERM ? "not from "
					"the peer, or not under our key" :
					err == -ESTALE ? "replayed" :
					err == -ETIME ? "clock more than 30 s "
					"off" : "malformed", strerror(-err));
			p->last_reject = err;
			continue;
		}
		if (!daemon_peer_heard(d))
			log_msg(LOG_NOTICE, "ha: peer %s heard (%s, ruleset %s)",
				peer_name, peer_state_name(b.state),
				peer_compare_name(peer_compare(
					enforcer_expected(&d->enf)->digest, &b)));
		p->last = b;
		p->received++;
		p->heard_ever = true;
		clock_gettime(CLOCK_MONOTONIC, &p->heard);
	}
	weight_update(d);
}

/* The sync socket bound to our sync address. */
static int peer_socket(const struct daemon *d)
{
	const struct model_ha *ha = &d->model.ha;
	struct sockaddr_storage me;
	socklen_t len = sockaddr_of(&ha->nodes[d->peer.self].sync,
				    ha->peer_port, &me);
	int fd = socket(me.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0), one = 1;

	if (fd < 0)
		return -errno;
	/* the sync address may come up after us (keepalived, ifupdown) */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, len) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static const char *self_name(const struct daemon *d, char *host, size_t len)
{
	if (gethostname(host, len) < 0)
		host[0] = '\0';
	host[len - 1] = '\0';
	return host;
}

void daemon_peer_follow(struct daemon *d)
{
	const struct model_ha *ha = &d->model.ha;
	struct peer_link *p = &d->peer;
	char host[HOST_NAME_MAX + 1], why[256], prev_peer[PEER_NODE_MAX];
	int self, err;

	snprintf(prev_peer, sizeof(prev_peer), "%s", p->active ?
		 ha->nodes[p->other].name : "");
	peer_close(d);
	if (!ha->enabled || d->degraded || ha->node_count != MODEL_HA_NODES)
		return;
	self = model_ha_self(&d->model, d->node,
			     self_name(d, host, sizeof(host)));
	if (self < 0) {
		log_msg(LOG_ERR, "ha: this gateway (%s%s) is neither node of "
			"the ha group: no peer check, weight not written "
			"(name it with segmentd --node)", d->node ? "--node " :
			"host name ", d->node ? d->node : host);
		return;
	}
	p->self = self;
	p->other = 1 - self;
	if (strcmp(prev_peer, ha->nodes[p->other].name)) {
		memset(&p->replay, 0, sizeof(p->replay));
		memset(&p->last, 0, sizeof(p->last));
		p->heard_ever = false;
	}
	err = peer_key_load(ha->key_file, p->key, &p->key_len, why,
			    sizeof(why));
	if (err) {
		log_msg(LOG_ERR, "ha: %s: no peer check", why);
		goto blocked;
	}
	p->fd = peer_socket(d);
	if (p->fd < 0) {
		log_msg(LOG_ERR, "ha: the beacon socket on %s port %u: %s",
			ha->sync_interface, ha->peer_port, strerror(-p->fd));
		goto blocked;
	}
	p->timer_fd = timer_open(1, PEER_INTERVAL_MS);
	if (p->timer_fd < 0 ||
	    loop_add(&d->loop, p->fd, EPOLLIN, on_beacon, d) < 0 ||
	    loop_add(&d->loop, p->timer_fd, EPOLLIN, on_timer, d) < 0) {
		log_msg(LOG_ERR, "ha: the beacon's timer or loop: %s",
			strerror(errno));
		peer_close(d);
		goto blocked;
	}
	/* seq goes on above the last start's: the peer rejects replays */
	if (!p->seq) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		p->seq = (uint64_t)t.tv_sec * 1000000u +
			 (uint64_t)t.tv_nsec / 1000u;
	}
	p->active = true;
	p->weight = INT_MIN;    /* written at the first tick */
	log_msg(LOG_INFO, "ha: node %s, beacon to %s every %d ms on port %u",
		ha->nodes[p->self].name, ha->nodes[p->other].name,
		PEER_INTERVAL_MS, ha->peer_port);
	return;
blocked:
	/* without a peer check this node cannot be trusted with promotion
	 * when the two differ: say so to keepalived */
	if (peer_weight_write(ha->weight_file, PEER_WEIGHT_BLOCK) == 0)
		log_msg(LOG_WARNING, "ha: weight %d written to %s (no peer "
			"check)", PEER_WEIGHT_BLOCK, ha->weight_file);
}

void daemon_peer_stop(struct daemon *d)
{
	bool was = d->peer.active;

	peer_close(d);
	if (was && peer_weight_write(d->model.ha.weight_file,
				     PEER_WEIGHT_BLOCK) == 0)
		log_msg(LOG_NOTICE, "ha: weight %d written to %s (segmentd "
			"stops: nothing watches the table)", PEER_WEIGHT_BLOCK,
			d->model.ha.weight_file);
}

/* The config is invalid, so its ha group and weight_file are unknown; a
 * weight file at the default path is keepalived's, and may still say 0 (a
 * daemon killed before could not write -254 at its stop).  A file that
 * does not exist is left alone: no ha here, or keepalived's init_file
 * creates it. */
void daemon_peer_degraded(void)
{
	const char *path = MODEL_HA_WEIGHT_FILE;
	int err;

	if (access(path, F_OK) != 0)
		return;
	err = peer_weight_write(path, PEER_WEIGHT_BLOCK);
	if (err)
		log_msg(LOG_ERR, "ha: writing the keepalived weight %d to %s: "
			"%s", PEER_WEIGHT_BLOCK, path, strerror(-err));
	else
		log_msg(LOG_WARNING, "ha: weight %d written to %s (config "
			"invalid: this node does not enforce its policy)",
			PEER_WEIGHT_BLOCK, path);
}

void daemon_peer_init(struct daemon *d)
{
	memset(&d->peer, 0, sizeof(d->peer));
	d->peer.fd = d->peer.timer_fd = -1;
}

static enum peer_compare compared(const struct daemon *d)
{
	return daemon_peer_heard(d) ?
	       peer_compare(enforcer_expected(&d->enf)->digest, &d->peer.last) : PEER_UNKNOWN;
}

/* status text: "same", "DIFFERS" or "unknown" */
static const char *compare_text(const struct daemon *d)
{
	return peer_compare_name(compared(d));
}

/* JSON: lower case always */
static const char *compare_json(const struct daemon *d)
{
	enum peer_compare c = compared(d);

	return c == PEER_SAME ? "same" : c == PEER_DIFFERS ? "differs" :
	       "unknown";
}

void daemon_peer_facts(const struct daemon *d, struct audit_facts *f)
{
	const struct peer_link *p = &d->peer;

	if (!d->model.ha.enabled || !p->active)
		return;
	f->peer.running = true;
	f->peer.node = d->model.ha.nodes[p->self].name;
	f->peer.peer = d->model.ha.nodes[p->other].name;
	f->peer.heard = daemon_peer_heard(d);
	f->peer.same = compared(d) == PEER_SAME;
	f->peer.weight_known = p->weight != INT_MIN;
	f->peer.weight = p->weight;
	f->peer.accepted = p->received;
	f->peer.refused = p->rejected;
}

void daemon_peer_status(const struct daemon *d, FILE *out)
{
	const struct peer_link *p = &d->peer;
	const struct model_ha *ha = &d->model.ha;
	char weight[16] = "-";

	if (!ha->enabled)
		return;
	if (!p->active) {
		fprintf(out, "ha peer:     NO PEER CHECK (see the log)\n");
		return;
	}
	if (p->weight != INT_MIN)
		snprintf(weight, sizeof(weight), "%d", p->weight);
	if (daemon_peer_heard(d))
		fprintf(out, "ha peer:     %s (this node %s): heard %.1f s ago, "
			"%s%s, ruleset %s; weight %s\n",
			ha->nodes[p->other].name, ha->nodes[p->self].name,
			seconds_since(&p->heard), peer_state_name(p->last.state),
			p->last.in_sync ? "" : " (NOT in sync)",
			compare_text(d), weight);
	else
		fprintf(out, "ha peer:     %s (this node %s): NOT HEARD%s; "
			"weight %s\n", ha->nodes[p->other].name,
			ha->nodes[p->self].name, p->heard_ever ?
			" for 3 s or more" : " yet", weight);
	fprintf(out, "  beacons:   %llu sent, %llu accepted, %llu refused\n",
		(unsigned long long)p->sent, (unsigned long long)p->received,
		(unsigned long long)p->rejected);
}

void daemon_peer_json(const struct daemon *d, struct json *j)
{
	const struct peer_link *p = &d->peer;
	const struct model_ha *ha = &d->model.ha;
	char hex[65];

	json_key(j, "peer");
	if (!ha->enabled || !p->active) {
		json_null(j);
		return;
	}
	json_object_open(j);
	json_kstr(j, "node", ha->nodes[p->self].name);
	json_kstr(j, "peer", ha->nodes[p->other].name);
	json_kbool(j, "heard", daemon_peer_heard(d));
	json_key(j, "heard_s_ago");
	if (p->heard_ever)
		json_fixed(j, seconds_since(&p->heard), 1);
	else
		json_null(j);
	json_kstr(j, "state", p->heard_ever ?
		  peer_state_name(p->last.state) : "unknown");
	json_kbool(j, "in_sync", p->heard_ever && p->last.in_sync);
	json_kstr(j, "ruleset", compare_json(d));
	sha256_hex(p->last.ruleset_sha256, hex);
	json_kstr(j, "ruleset_sha256", p->heard_ever ? hex : "");
	json_key(j, "weight");
	if (p->weight == INT_MIN)
		json_null(j);
	else
		json_int(j, p->weight);
	json_kuint(j, "beacons_sent", p->sent);
	json_kuint(j, "beacons_accepted", p->received);
	json_kuint(j, "beacons_refused", p->rejected);
	json_object_close(j);
}
