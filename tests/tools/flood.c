/* flood.c - a flood of new connections for the leak tests.
 *
 *   flood -s SRC [-p udp|tcp|both] [-d SECONDS] [-r PPS] [-l BYTES] [-v] DST PORT
 *
 * Sends packets from SRC to DST:PORT as fast as sendmmsg() allows (or at
 * about PPS packets per second) for SECONDS (default 1) or until SIGTERM /
 * SIGINT, then prints the number of packets sent on stdout.  -p udp (the
 * default): datagrams from one socket.  -p tcp: TCP SYNs from a raw
 * socket, each a new connection (source port 1024 + n mod 64512) carrying
 * its number n as the sequence number.  -p both: the two alternate, half
 * each.  ICMP errors and RSTs coming back do not stop it.  Exit 0, or 3 on
 * a local error (as probe).  Only libc is used.
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
#include <netinet/tcp.h>
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
	bool udp, tcp;       /* which kinds to send (-p) */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fputs("usage: flood -s SRC [-p udp|tcp|both] [-d SECONDS] [-r PPS] "
	      "[-l BYTES] [-v] DST PORT\n", stderr);
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
	a->udp = true;
	a->tcp = false;
	while ((opt = getopt(argc, argv, "s:p:d:r:l:v")) != -1) {
		if (opt == 's')
			src = optarg;
		else if (opt == 'p') {
			a->udp = !strcmp(optarg, "udp") || !strcmp(optarg, "both");
			a->tcp = !strcmp(optarg, "tcp") || !strcmp(optarg, "both");
			if (!a->udp && !a->tcp)
				return -EINVAL;
		}
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

static int socket_open(const struct flood_args *a, bool tcp)
{
	int fd = tcp ? socket(a->dst.ss_family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP)
		     : socket(a->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = 4 << 20;
	struct sockaddr_storage dst = a->dst;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	if (tcp && a->dst.ss_family == AF_INET6) {
		int off = 16;    /* the kernel fills in tcp->check */

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
			goto fail;
	}
	if (tcp)    /* a raw socket's "port" is its protocol: none */
		((struct sockaddr_in *)&dst)->sin_port = 0;
	if (bind(fd, (const struct sockaddr *)&a->src, a->len) < 0 ||
	    connect(fd, (const struct sockaddr *)&dst, a->len) < 0)
		goto fail;
	return fd;
fail:
	{
		int err = errno;

		close(fd);
		errno = err;
	}
	return -1;
}

static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* A SYN from the flood's source to its destination: source port and
 * sequence number from n; IPv4's checksum here (IPv6: the kernel). */
static void syn_build(const struct flood_args *a, uint32_t n, struct tcphdr *t)
{
	memset(t, 0, sizeof(*t));
	t->source = htons((uint16_t)(1024 + n % 64512));
	t->dest = ((const struct sockaddr_in *)&a->dst)->sin_port;
	t->seq = htonl(n);
	t->doff = sizeof(*t) / 4;
	t->syn = 1;
	t->window = htons(64240);
	if (a->dst.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->src;
		const struct sockaddr_in *d4 = (const struct sockaddr_in *)&a->dst;
		uint32_t sum = sum16(&s4->sin_addr, 4, 0);

		sum = sum16(&d4->sin_addr, 4, sum);
		sum += IPPROTO_TCP + sizeof(*t);
		sum = sum16(t, sizeof(*t), sum);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		t->check = htons((uint16_t)~sum);
	}
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

static uint64_t flood_run(const int fd[2], const struct flood_args *a)
{
	static char payload[MAX_PAYLOAD];
	static struct tcphdr syn[BATCH];
	struct mmsghdr msgs[BATCH], syns[BATCH];
	struct iovec iov = { payload, (size_t)a->payload }, siov[BATCH];
	double start = now_s(), end = start + a->seconds;
	uint64_t sent = 0;
	uint32_t seq = 0;
	bool turn_tcp = !a->udp;

	memcpy(payload, "segmentd-flood", 14);
	memset(msgs, 0, sizeof(msgs));
	memset(syns, 0, sizeof(syns));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		siov[i] = (struct iovec){ &syn[i], sizeof(syn[i]) };
		syns[i].msg_hdr.msg_iov = &siov[i];
		syns[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && now_s() < end) {
		unsigned int want = rate_allowance(a, start, sent);
		int n;

		if (!want)
			continue;
		if (turn_tcp) {
			for (unsigned int i = 0; i < want; i++)
				syn_build(a, seq + i, &syn[i]);
			n = sendmmsg(fd[1], syns, want, 0);
			if (n > 0)
				seq += (uint32_t)n;
		} else {
			n = sendmmsg(fd[0], msgs, want, 0);
		}
		if (n > 0)
			sent += (uint64_t)n;
		if (a->udp && a->tcp)
			turn_tcp = !turn_tcp;
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
	int fd[2] = { -1, -1 };

	if (args_parse(argc, argv, &a, &verbose) < 0)
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((a.udp && (fd[0] = socket_open(&a, false)) < 0) ||
	    (a.tcp && (fd[1] = socket_open(&a, true)) < 0)) {
		fprintf(stderr, "flood: socket: %s\n", strerror(errno));
		return 3;
	}
	start = now_s();
	sent = flood_run(fd, &a);
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	printf("%llu\n", (unsigned long long)sent);
	if (verbose)
		fprintf(stderr, "flood: %llu packets in %.2f s (%.0f pps)\n",
			(unsigned long long)sent, now_s() - start,
			(double)sent / (now_s() - start));
	return 0;
}
