/* notify_listen.c - a stand-in for systemd's NOTIFY_SOCKET in tests:
 * prints every datagram on one line (newlines shown as spaces) until
 * SIGTERM.  notify_listen -r READY PATH */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_term };
	char buf[4096];
	FILE *f;
	int fd;

	if (argc != 4 || strcmp(argv[1], "-r")) {
		fprintf(stderr, "usage: notify_listen -r READY PATH\n");
		return 3;
	}
	sigaction(SIGTERM, &sa, NULL);   /* no SA_RESTART: recv returns */
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[3]);
	unlink(argv[3]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("notify_listen");
		return 3;
	}
	f = fopen(argv[2], "w");
	if (f)
		fclose(f);
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			continue;
		buf[n] = 0;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		printf("%s\n", buf);
	}
	unlink(argv[3]);
	return 0;
}
