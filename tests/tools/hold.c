/* hold.c - a long-lived TCP connection for the reload tests.
 *
 *   hold serve -r READY PORT
 *       Greets every connection to PORT (IPv4 and IPv6) with a line, then
 *       echoes every byte.
 *   hold client -s SRC -r READY DST PORT
 *       Connects from SRC, writes READY once connected, then every 50 ms
 *       sends one byte and waits up to 500 ms for its echo.  Prints
 *       "alive N" and exits 0 on SIGTERM while the connection works;
 *       prints "cut after N" and exits 1 as soon as an echo is missing.
 */
#ifndef _GNU_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int addr_parse(const char *text, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static void ready(const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
}

/* A greeting line first (so `probe tcp` counts a connection as passed),
 * then an echo of everything. */
static void echo(int fd)
{
	char buf[512];
	ssize_t n;

	if (write(fd, "hold\n", 5) != 5)
		_exit(1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	_exit(0);
}

static int serve(const char *ready_path, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return 3;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		perror("hold serve");
		return 3;
	}
	signal(SIGCHLD, SIG_IGN);
	ready(ready_path);
	while (!stop) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			close(fd);
			echo(c);
		}
		close(c);
	}
	return 0;
}

static int client(const char *src, const char *dst, int port,
		  const char *ready_path)
{
	struct sockaddr_storage s, d;
	socklen_t slen, dlen;
	unsigned long n = 0;
	int fd;

	if (addr_parse(src, 0, &s, &slen) || addr_parse(dst, port, &d, &dlen))
		return 3;
	fd = socket(d.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, slen) ||
	    connect(fd, (struct sockaddr *)&d, dlen)) {
		perror("hold client");
		return 2;
	}
	for (char c = 0; c != '\n';) {      /* the greeting */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) != 1 || read(fd, &c, 1) != 1) {
			fprintf(stderr, "hold client: no greeting\n");
			return 2;
		}
	}
	ready(ready_path);
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c = 'x';

		if (write(fd, &c, 1) != 1 || poll(&p, 1, 500) != 1 ||
		    read(fd, &c, 1) != 1) {
			if (stop)
				break;
			printf("cut after %lu\n", n);
			return 1;
		}
		n++;
		usleep(50000);
	}
	printf("alive %lu\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *src = NULL, *ready_path = NULL;
	int opt;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "s:r:")) != -1) {
		if (opt == 's')
			src = optarg;
		else if (opt == 'r')
			ready_path = optarg;
		else
			goto usage;
	}
	if (!strcmp(argv[1], "serve") && optind + 1 == argc)
		return serve(ready_path, atoi(argv[optind]));
	if (!strcmp(argv[1], "client") && src && optind + 2 == argc)
		return client(src, argv[optind], atoi(argv[optind + 1]),
			      ready_path);
usage:
	fprintf(stderr, "usage: hold serve [-r READY] PORT | "
		"hold client -s SRC [-r READY] DST PORT\n");
	return 3;
}
