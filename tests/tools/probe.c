/* probe.c - the traffic probe of the kernel tests and the demo.
 *
 *   probe serve [-r FILE] tcp:P,P,... udp:P,P,...
 *       Listens on every address (separate IPv4 and IPv6 sockets) on the
 *       given ports: TCP accepts and writes one line, UDP echoes (from the
 *       address the datagram was sent to).  Runs until SIGTERM/SIGINT.
 *   probe tcp|udp|icmp -s SRC [-p SPORT] [-t MS] [-v] DST [PORT]
 *       One connection / echo from SRC to DST; -p fixes the source port
 *       (ICMP: the echo identifier), so that a counter at the receiver can
 *       tell this probe's packets from any other's.  Exit status:
 *       0 passed, 1 timed out (dropped), 2 refused or ICMP unreachable,
 *       3 local error.  Default timeout 400 ms.  ICMP needs root (raw socket).
 *   probe sink [-r FILE] [-d SECONDS] udp:PORT
 *       Counts the datagrams that arrive on PORT (IPv4 and IPv6) until the
 *       time is up or SIGTERM/SIGINT, then prints the count.
 *
 * -r FILE is written (atomically, with the pid) once every socket is bound,
 * so that scripts wait for it instead of sleeping.  Only libc is used.
 */
#ifndef _GNU_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* accept4, recvmmsg, sendmmsg (pkg-config may pass it) */
#endif
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum probe_result {
	PROBE_PASS = 0,
	PROBE_TIMEOUT = 1,
	PROBE_REFUSED = 2,
	PROBE_LOCAL_ERROR = 3,
};

#define MAX_PORTS 64
#define MAX_SOCKETS (4 * MAX_PORTS)
#define RESEND_MS 100

static bool verbose;

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* ---------------------------------------------------------------- util */

static int usage(void)
{
	fputs("usage: probe serve [-r FILE] tcp:PORT,... udp:PORT,...\n"
	      "       probe tcp|udp -s SRC [-p SPORT] [-t MS] [-v] DST PORT\n"
	      "       probe icmp -s SRC [-p ECHO_ID] [-t MS] [-v] DST\n"
	      "       probe sink [-r FILE] [-d SECONDS] udp:PORT\n"
	      "exit: 0 pass, 1 timeout (dropped), 2 refused/unreachable, "
	      "3 local error\n", stderr);
	return PROBE_LOCAL_ERROR;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left < 0 ? 0 : (int)left;
}

static int parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Numeric IPv4/IPv6 address (no DNS) plus port into ep. */
static int endpoint_parse(const char *text, uint16_t port, struct endpoint *ep)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ep->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->ss;

	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		ep->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		ep->len = sizeof(*sin6);
		return 0;
	}
	fprintf(stderr, "probe: '%s' is not a numeric IPv4/IPv6 address\n", text);
	return -EINVAL;
}

static bool endpoint_same_addr(const struct endpoint *ep,
			       const struct sockaddr_storage *other)
{
	if (ep->ss.ss_family != other->ss_family)
		return false;
	if (other->ss_family == AF_INET)
		return ((const struct sockaddr_in *)&ep->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)other)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)&ep->ss)->sin6_addr,
		       &((const struct sockaddr_in6 *)other)->sin6_addr,
		       sizeof(struct in6_addr));
}

/* Errors that mean "the network said no" rather than "nothing came back". */
static bool errno_is_refusal(int err)
{
	return err == ECONNREFUSED || err == ECONNRESET || err == EHOSTUNREACH ||
	       err == ENETUNREACH || err == EHOSTDOWN || err == EACCES ||
	       err == EPERM || err == ENOPROTOOPT || err == EPROTO;
}

static int classify_errno(const char *what, int err)
{
	if (err == ETIMEDOUT)
		return PROBE_TIMEOUT;
	if (verbose || !errno_is_refusal(err))
		fprintf(stderr, "probe: %s: %s\n", what, strerror(err));
	return errno_is_refusal(err) ? PROBE_REFUSED : PROBE_LOCAL_ERROR;
}

static int local_error(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	return PROBE_LOCAL_ERROR;
}

/* Writes "pid\n" to path atomically (tmp + rename). */
static int ready_file_write(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -errno;
	return 0;
}

/* A signalfd for SIGTERM and SIGINT (blocked for the whole process). */
static int signalfd_open(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* ---------------------------------------------------------- port lists */

struct port_list {
	int proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ports[MAX_PORTS];
	size_t count;
};

/* "tcp:22,25,443" or "udp:53". */
static int port_list_parse(const char *arg, struct port_list *pl)
{
	char buf[512], *save = NULL, *tok;
	const char *list;

	if (!strncmp(arg, "tcp:", 4))
		pl->proto = IPPROTO_TCP;
	else if (!strncmp(arg, "udp:", 4))
		pl->proto = IPPROTO_UDP;
	else
		goto bad;
	list = arg + 4;
	if (strlen(list) >= sizeof(buf))
		goto bad;
	strcpy(buf, list);
	pl->count = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long port;

		if (parse_number(tok, 1, 65535, &port) < 0 || pl->count == MAX_PORTS)
			goto bad;
		pl->ports[pl->count++] = (uint16_t)port;
	}
	if (pl->count)
		return 0;
bad:
	fprintf(stderr, "probe: bad port list '%s' (want tcp:P,P or udp:P)\n", arg);
	return -EINVAL;
}

/* A socket bound to the wildcard address of family on port; UDP sockets
 * ask for the destination address of each datagram (pktinfo). */
static int listener_open(int family, int proto, uint16_t port)
{
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = sizeof(struct sockaddr_in);
	int fd, one = 1;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (proto == IPPROTO_UDP)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		if (proto == IPPROTO_UDP)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (proto == IPPROTO_TCP && listen(fd, 128) < 0)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------------- serve */

struct listener {
	int fd;
	int proto;
	uint16_t port;
};

static void serve_tcp_accept(const struct listener *l)
{
	char line[64];
	int fd, n;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		n = snprintf(line, sizeof(line), "segmentd-probe tcp/%u\n", l->port);
		if (send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && verbose)
			fprintf(stderr, "probe serve: send: %s\n", strerror(errno));
		close(fd);
	}
}

/* Copies the destination of the received datagram into the source of the
 * reply so that a host with many addresses answers from the right one. */
static void reply_source_from_pktinfo(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);

			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);

			pi->ipi6_ifindex = 0;
		}
	}
}

static void serve_udp_echo(const struct listener *l)
{
	char data[2048];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage peer;
	struct iovec iov = { .iov_base = data };
	struct msghdr msg;
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_len = sizeof(data);
		msg.msg_name = &peer;
		msg.msg_namelen = sizeof(peer);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		n = recvmsg(l->fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return;
		reply_source_from_pktinfo(&msg);
		iov.iov_len = (size_t)n;
		if (sendmsg(l->fd, &msg, MSG_DONTWAIT) < 0 && verbose)
			fprintf(stderr, "probe serve: sendmsg: %s\n", strerror(errno));
	}
}

static int serve_open_all(const struct port_list *lists, size_t nlists,
			  struct listener *ls, size_t *count)
{
	static const int families[] = { AF_INET, AF_INET6 };

	*count = 0;
	for (size_t i = 0; i < nlists; i++)
		for (size_t p = 0; p < lists[i].count; p++)
			for (size_t f = 0; f < 2; f++) {
				int fd = listener_open(families[f], lists[i].proto,
						       lists[i].ports[p]);

				if (fd < 0 && families[f] == AF_INET6 &&
				    errno == EAFNOSUPPORT)
					continue;  /* IPv6 disabled: IPv4 only */
				if (fd < 0) {
					fprintf(stderr, "probe serve: %s/%u: %s\n",
						lists[i].proto == IPPROTO_TCP ? "tcp" : "udp",
						lists[i].ports[p], strerror(errno));
					return -1;
				}
				ls[*count] = (struct listener){ fd, lists[i].proto,
							       lists[i].ports[p] };
				(*count)++;
			}
	return 0;
}

static int serve_loop(struct listener *ls, size_t count, int sfd)
{
	struct epoll_event ev, events[32];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return local_error("epoll_create1");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	for (size_t i = 0; i < count; i++) {
		ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &ls[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ls[i].fd, &ev) < 0)
			return local_error("epoll_ctl");
	}
	for (;;) {
		int n = epoll_wait(ep, events, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return local_error("epoll_wait");
		for (int i = 0; i < n; i++) {
			const struct listener *l = events[i].data.ptr;

			if (!l)
				return 0;     /* SIGTERM / SIGINT */
			if (l->proto == IPPROTO_TCP)
				serve_tcp_accept(l);
			else
				serve_udp_echo(l);
		}
	}
}

static int cmd_serve(int argc, char **argv)
{
	struct port_list lists[8];
	struct listener ls[MAX_SOCKETS];
	const char *ready = NULL;
	size_t nlists = 0, count;
	int opt, sfd, rc;

	while ((opt = getopt(argc, argv, "r:v")) != -1) {
		if (opt == 'r')
			ready = optarg;
		else if (opt == 'v')
			verbose = true;
		else
			return usage();
	}
	for (int i = optind; i < argc; i++) {
		if (nlists == 8 || port_list_parse(argv[i], &lists[nlists]) < 0)
			return usage();
		nlists++;
	}
	if (!nlists)
		return usage();
	sfd = signalfd_open();
	if (sfd < 0)
		return local_error("signalfd");
	if (serve_open_all(lists, nlists, ls, &count) < 0)
		return PROBE_LOCAL_ERROR;
	if (ready_file_write(ready) < 0)
		return local_error("ready file");
	rc = serve_loop(ls, count, sfd);
	if (ready)
		unlink(ready);
	return rc;
}

/* ---------------------------------------------------------------- sink */

static void sink_drain(int fd, uint64_t *received, uint32_t *overflow)
{
	enum { BATCH = 64 };
	static char bufs[BATCH][64];
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} controls[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	int n;

	do {
		for (int i = 0; i < BATCH; i++) {
			iovs[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = controls[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(controls[i].buf);
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);

			if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
				memcpy(overflow, CMSG_DATA(c), sizeof(*overflow));
		}
		if (n > 0)
			*received += (uint64_t)n;
	} while (n == BATCH);
}

static int sink_open(int family, uint16_t port)
{
	int fd = listener_open(family, IPPROTO_UDP, port);
	int one = 1, size = 16 << 20;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	return fd;
}

static int sink_loop(int ep, const int *fds, uint64_t *received)
{
	uint32_t overflow[2] = { 0, 0 };
	struct epoll_event events[4];

	for (;;) {
		int n = epoll_wait(ep, events, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return local_error("epoll_wait");
		for (int i = 0; i < n; i++) {
			int idx = events[i].data.u32;

			if (idx < 2) {
				sink_drain(fds[idx], received, &overflow[idx]);
				continue;
			}
			/* timer or signal: count what is still queued, stop */
			sink_drain(fds[0], received, &overflow[0]);
			if (fds[1] >= 0)
				sink_drain(fds[1], received, &overflow[1]);
			*received += overflow[0] + overflow[1];
			return 0;
		}
	}
}

static int cmd_sink(int argc, char **argv)
{
	const char *ready = NULL;
	struct port_list pl;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct epoll_event ev;
	uint64_t received = 0;
	long seconds = 0;
	int opt, fds[2], tfd, sfd, ep, rc;

	while ((opt = getopt(argc, argv, "r:d:v")) != -1) {
		if (opt == 'r')
			ready = optarg;
		else if (opt == 'd' && parse_number(optarg, 1, 86400, &seconds) == 0)
			;
		else if (opt == 'v')
			verbose = true;
		else
			return usage();
	}
	if (optind != argc - 1 || port_list_parse(argv[optind], &pl) < 0 ||
	    pl.proto != IPPROTO_UDP || pl.count != 1)
		return usage();
	sfd = signalfd_open();
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	fds[0] = sink_open(AF_INET, pl.ports[0]);
	fds[1] = sink_open(AF_INET6, pl.ports[0]);
	if (sfd < 0 || tfd < 0 || ep < 0 || fds[0] < 0)
		return local_error("sink setup");
	its.it_value.tv_sec = seconds;
	if (seconds)
		timerfd_settime(tfd, 0, &its, NULL);
	for (uint32_t i = 0; i < 4; i++) {
		int fd = i < 2 ? fds[i] : i == 2 ? tfd : sfd;

		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = i };
		if (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return local_error("epoll_ctl");
	}
	if (ready_file_write(ready) < 0)
		return local_error("ready file");
	rc = sink_loop(ep, fds, &received);
	printf("%llu\n", (unsigned long long)received);
	fflush(stdout);
	if (ready)
		unlink(ready);
	return rc;
}

/* ------------------------------------------------------------- clients */

struct client_args {
	struct endpoint src, dst;
	int timeout_ms;
	uint16_t sport;     /* 0: the kernel's choice (ICMP: a random id) */
};

/* Parses "-s SRC [-p SPORT] [-t MS] [-v] DST [PORT]" (PORT only when
 * want_port). */
static int client_args_parse(int argc, char **argv, bool want_port,
			     struct client_args *a)
{
	const char *src = NULL;
	long port = 0, ms = 400, sport = 0;
	int opt;

	while ((opt = getopt(argc, argv, "s:p:t:v")) != -1) {
		if (opt == 's')
			src = optarg;
		else if (opt == 'p' && parse_number(optarg, 1, 65535, &sport) == 0)
			;
		else if (opt == 't' && parse_number(optarg, 1, 600000, &ms) == 0)
			;
		else if (opt == 'v')
			verbose = true;
		else
			return -EINVAL;
	}
	if (!src || argc - optind != (want_port ? 2 : 1))
		return -EINVAL;
	if (want_port && parse_number(argv[optind + 1], 1, 65535, &port) < 0)
		return -EINVAL;
	a->sport = (uint16_t)sport;
	if (endpoint_parse(src, want_port ? a->sport : 0, &a->src) < 0 ||
	    endpoint_parse(argv[optind], (uint16_t)port, &a->dst) < 0)
		return -EINVAL;
	if (a->src.ss.ss_family != a->dst.ss.ss_family) {
		fputs("probe: source and destination are of different families\n", stderr);
		return -EINVAL;
	}
	a->timeout_ms = (int)ms;
	return 0;
}

static int client_socket(const struct client_args *a, int type, int proto)
{
	int fd = socket(a->dst.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int one = 1;

	if (fd < 0)
		return -1;
	/* a fixed source port may still be in TIME_WAIT from an earlier probe */
	if (a->sport && type != SOCK_RAW)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->src.ss, a->src.len) < 0) {
		fprintf(stderr, "probe: bind source: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for events on fd until deadline: 0 timeout, >0 revents, <0 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, remaining_ms(deadline));
	while (n < 0 && errno == EINTR);
	return n <= 0 ? n : p.revents;
}

static int tcp_read_line(int fd, int64_t deadline)
{
	char buf[128];
	ssize_t n;
	int r = wait_fd(fd, POLLIN, deadline);

	if (r == 0)
		return PROBE_TIMEOUT;     /* handshake passed, data did not */
	if (r < 0)
		return local_error("poll");
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return classify_errno("recv", errno);
	if (verbose)
		fprintf(stderr, "probe: tcp: %.*s", (int)n, buf);
	return PROBE_PASS;
}

static int cmd_tcp(int argc, char **argv)
{
	struct client_args a;
	int64_t deadline;
	socklen_t len = sizeof(int);
	int fd, r, err = 0, rc;

	if (client_args_parse(argc, argv, true, &a) < 0)
		return usage();
	deadline = now_ms() + a.timeout_ms;
	fd = client_socket(&a, SOCK_STREAM, 0);
	if (fd < 0)
		return PROBE_LOCAL_ERROR;
	if (connect(fd, (struct sockaddr *)&a.dst.ss, a.dst.len) < 0 &&
	    errno != EINPROGRESS) {
		rc = classify_errno("connect", errno);
		goto out;
	}
	r = wait_fd(fd, POLLOUT, deadline);
	if (r <= 0) {
		rc = r == 0 ? PROBE_TIMEOUT : local_error("poll");
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		rc = classify_errno("connect", err ? err : errno);
		goto out;
	}
	rc = tcp_read_line(fd, deadline);
out:
	close(fd);
	return rc;
}

static int udp_recverr_enable(int fd, int family)
{
	int one = 1;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
}

/* Sends a token every RESEND_MS until the same token comes back. */
static int udp_exchange(int fd, int64_t deadline)
{
	char token[64], buf[128];
	int64_t next_send = 0;
	int len = snprintf(token, sizeof(token), "segmentd-probe %ld %lld",
			   (long)getpid(), (long long)now_ms());

	for (;;) {
		ssize_t n;
		int r;

		if (now_ms() >= next_send) {
			if (send(fd, token, (size_t)len, 0) < 0 && errno != EAGAIN)
				return classify_errno("send", errno);
			next_send = now_ms() + RESEND_MS;
		}
		r = wait_fd(fd, POLLIN, deadline < next_send ? deadline : next_send);
		if (r < 0)
			return local_error("poll");
		if (r == 0) {
			if (now_ms() >= deadline)
				return PROBE_TIMEOUT;
			continue;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno != EAGAIN)
			return classify_errno("recv", errno);
		if (n == len && !memcmp(buf, token, (size_t)len))
			return PROBE_PASS;
	}
}

static int cmd_udp(int argc, char **argv)
{
	struct client_args a;
	int fd, rc;

	if (client_args_parse(argc, argv, true, &a) < 0)
		return usage();
	fd = client_socket(&a, SOCK_DGRAM, 0);
	if (fd < 0)
		return PROBE_LOCAL_ERROR;
	udp_recverr_enable(fd, a.dst.ss.ss_family);
	if (connect(fd, (struct sockaddr *)&a.dst.ss, a.dst.len) < 0)
		rc = classify_errno("connect", errno);
	else
		rc = udp_exchange(fd, now_ms() + a.timeout_ms);
	close(fd);
	return rc;
}

/* --------------------------------------------------------------- icmp */

static uint16_t inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An echo request; the kernel fills the ICMPv6 checksum itself. */
static size_t icmp_echo_build(int family, uint16_t id, uint16_t seq,
			      uint8_t *buf, size_t size)
{
	size_t len = 8 + 32;

	memset(buf, 0, size < len ? size : len);
	buf[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(buf + 4, &id, 2);
	memcpy(buf + 6, &seq, 2);
	memcpy(buf + 8, "segmentd-probe", 14);
	if (family == AF_INET) {
		uint16_t sum = inet_checksum(buf, len);

		memcpy(buf + 2, &sum, 2);
	}
	return len;
}

/* Classifies one received ICMP message (IPv4: with its IP header) as the
 * echo reply we wait for (PASS), an unreachable about our request
 * (REFUSED), or something else (-1). */
static int icmp_classify(const struct client_args *a, uint16_t id,
			 const uint8_t *p, size_t n, const struct sockaddr_storage *from)
{
	bool v4 = a->dst.ss.ss_family == AF_INET;
	uint8_t echo_reply = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint8_t unreach = v4 ? ICMP_DEST_UNREACH : ICMP6_DST_UNREACH;
	const uint8_t *inner;
	size_t hl = 0, inner_hl;

	if (v4) {
		if (n < 20)
			return -1;
		hl = (size_t)(p[0] & 0x0f) * 4;
	}
	if (n < hl + 8)
		return -1;
	if (p[hl] == echo_reply)
		return endpoint_same_addr(&a->dst, from) && !memcmp(p + hl + 4, &id, 2) ?
		       PROBE_PASS : -1;
	if (p[hl] != unreach)
		return -1;
	inner = p + hl + 8;              /* the offending packet's header */
	inner_hl = v4 ? (size_t)(inner[0] & 0x0f) * 4 : 40;
	if (n < hl + 8 + inner_hl + 8)
		return -1;
	if (v4 ? memcmp(inner + 16, &((const struct sockaddr_in *)&a->dst.ss)->sin_addr, 4)
	       : memcmp(inner + 24, &((const struct sockaddr_in6 *)&a->dst.ss)->sin6_addr, 16))
		return -1;
	return !memcmp(inner + inner_hl + 4, &id, 2) ? PROBE_REFUSED : -1;
}

static int icmp_exchange(const struct client_args *a, int fd, int64_t deadline)
{
	uint16_t id = htons(a->sport ? a->sport :
			    (uint16_t)(getpid() ^ (now_ms() & 0xffff)));
	uint16_t seq = 0;
	int64_t next_send = 0;
	uint8_t buf[1500];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;
		int r;

		if (now_ms() >= next_send) {
			size_t len = icmp_echo_build(a->dst.ss.ss_family, id,
						     htons(++seq), buf, sizeof(buf));

			if (sendto(fd, buf, len, 0, (const struct sockaddr *)&a->dst.ss,
				   a->dst.len) < 0 && errno != EAGAIN)
				return classify_errno("sendto", errno);
			next_send = now_ms() + RESEND_MS;
		}
		r = wait_fd(fd, POLLIN, deadline < next_send ? deadline : next_send);
		if (r < 0)
			return local_error("poll");
		if (r == 0) {
			if (now_ms() >= deadline)
				return PROBE_TIMEOUT;
			continue;
		}
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno != EAGAIN)
			return classify_errno("recvfrom", errno);
		if (n > 0 && (r = icmp_classify(a, id, buf, (size_t)n, &from)) >= 0)
			return r;
	}
}

static int cmd_icmp(int argc, char **argv)
{
	struct client_args a;
	int fd, rc;

	if (client_args_parse(argc, argv, false, &a) < 0)
		return usage();
	fd = client_socket(&a, SOCK_RAW, a.dst.ss.ss_family == AF_INET ?
			   IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return local_error("raw ICMP socket (needs root)");
	rc = icmp_exchange(&a, fd, now_ms() + a.timeout_ms);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "serve", cmd_serve }, { "sink", cmd_sink }, { "tcp", cmd_tcp },
		{ "udp", cmd_udp }, { "icmp", cmd_icmp },
	};

	if (argc < 2)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	return usage();
}
