/* flood.c - a UDP flood for the leak tests.
 *
 *   flood -s SRC [-d SECONDS] [-r PPS] [-l BYTES] [-v] DST PORT
 *
 * Sends datagrams from SRC to DST:PORT as fast as sendmmsg() allows (or at
 * about PPS packets per second) for SECONDS (default 1) or until SIGTERM /
 * SIGINT, then prints the number of packets sent on stdout.  ICMP errors
 * coming back (port unreachable) do not stop it.  Exit 0, or 3 on a local
 * error (as probe).  Only libc is used.
 */
#ifndef _GNU_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* accept4, recvmmsg, sendmmsg (pkg-config may pass it) */
#endif
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PAYLOAD 1400

static volatile sig_atomic_t stop;

struct flood_args {
	struct sockaddr_storage src, dst;
	socklen_t len;
	double seconds;
	long pps;            /* 0: unlimited */
	long payload;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fputs("usage: flood -s SRC [-d SECONDS] [-r PPS] [-l BYTES] [-v] DST PORT\n",
	      stderr);
	return 3;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *s, long min, long max, long *out)
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

/* Numeric address and port into ss; returns the sockaddr length or 0. */
static socklen_t addr_parse(const char *text, uint16_t port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "flood: '%s' is not a numeric IPv4/IPv6 address\n", text);
	return 0;
}

static int args_parse(int argc, char **argv, struct flood_args *a, bool *verbose)
{
	const char *src = NULL;
	long ms = 1000, port;
	int opt;

	a->pps = 0;
	a->payload = 64;
	while ((opt = getopt(argc, argv, "s:d:r:l:v")) != -1) {
		if (opt == 's')
			src = optarg;
		else if (opt == 'd') {
			char *end;

			a->seconds = strtod(optarg, &end);
			if (*end || a->seconds <= 0 || a->seconds > 86400)
				return -EINVAL;
			ms = 0;
		} else if (opt == 'r' && parse_long(optarg, 1, 100000000, &a->pps) == 0)
			;
		else if (opt == 'l' && parse_long(optarg, 1, MAX_PAYLOAD, &a->payload) == 0)
			;
		else if (opt == 'v')
			*verbose = true;
		else
			return -EINVAL;
	}
	if (ms)
		a->seconds = (double)ms / 1000;
	if (!src || argc - optind != 2 ||
	    parse_long(argv[optind + 1], 1, 65535, &port) < 0)
		return -EINVAL;
	if (!addr_parse(src, 0, &a->src) ||
	    !(a->len = addr_parse(argv[optind], (uint16_t)port, &a->dst)) ||
	    a->src.ss_family != a->dst.ss_family)
		return -EINVAL;
	return 0;
}

static int socket_open(const struct flood_args *a)
{
	int fd = socket(a->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = 4 << 20;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	if (bind(fd, (const struct sockaddr *)&a->src, a->len) < 0 ||
	    connect(fd, (const struct sockaddr *)&a->dst, a->len) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* With a rate: how many packets may go now (0: sleep a little first). */
static unsigned int rate_allowance(const struct flood_args *a, double start,
				   uint64_t sent)
{
	double due;
	struct timespec pause = { 0, 200000 };

	if (!a->pps)
		return BATCH;
	due = (now_s() - start) * (double)a->pps - (double)sent;
	if (due >= 1)
		return due > BATCH ? BATCH : (unsigned int)due;
	nanosleep(&pause, NULL);
	return 0;
}

static uint64_t flood_run(int fd, const struct flood_args *a)
{
	static char payload[MAX_PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, (size_t)a->payload };
	double start = now_s(), end = start + a->seconds;
	uint64_t sent = 0;

	memcpy(payload, "segmentd-flood", 14);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && now_s() < end) {
		unsigned int want = rate_allowance(a, start, sent);
		int n;

		if (!want)
			continue;
		n = sendmmsg(fd, msgs, want, 0);
		if (n > 0)
			sent += (uint64_t)n;
		/* ICMP errors (ECONNREFUSED...) and full queues: keep going */
	}
	return sent;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct flood_args a;
	bool verbose = false;
	double start;
	uint64_t sent;
	int fd;

	if (args_parse(argc, argv, &a, &verbose) < 0)
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket_open(&a);
	if (fd < 0) {
		fprintf(stderr, "flood: socket: %s\n", strerror(errno));
		return 3;
	}
	start = now_s();
	sent = flood_run(fd, &a);
	close(fd);
	printf("%llu\n", (unsigned long long)sent);
	if (verbose)
		fprintf(stderr, "flood: %llu packets in %.2f s (%.0f pps)\n",
			(unsigned long long)sent, now_s() - start,
			(double)sent / (now_s() - start));
	return 0;
}
