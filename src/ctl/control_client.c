/* control_client.c - segmentctl's end of the control socket: connect, send
 * one line, read until the daemon closes, split off the status line.  Uses
 * nothing of the daemon but the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define ANSWER_MAX ((size_t)1 << 30)   /* more is not an answer */

struct buffer {
	char *data;
	size_t len, cap;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1: none), for poll(). */
static int time_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Waits for events on fd; -ETIMEDOUT at the deadline. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&p, 1, time_left(deadline));

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

/* After a send() or recv() that failed: waits for fd to be ready again when
 * the call would have blocked or was interrupted; else the call's error. */
static int wait_again(int fd, short events, long long deadline)
{
	if (errno != EAGAIN && errno != EINTR)
		return -errno;
	return wait_for(fd, events, deadline);
}

/* A blocking connect bounded by SO_SNDTIMEO (a full backlog waits). */
static int connect_to(const char *path, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, err = 0;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		err = -errno;
	if (!err && connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		err = errno == EAGAIN ? -ETIMEDOUT :
		      errno == EPERM ? -EACCES : -errno;
	if (!err && fcntl(fd, F_SETFL, O_NONBLOCK))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Sends all of data.  A daemon that answered early (busy, refused) and
 * closed is not an error here: its answer is still to be read. */
static int send_all(int fd, const char *data, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		int err;

		if (n >= 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		err = wait_again(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

static int buffer_reserve(struct buffer *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *p;

	if (b->len + more + 1 <= b->cap)
		return 0;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap > ANSWER_MAX)
		return -EMSGSIZE;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Reads until EOF into b (NUL-terminated).  A reset after some data is the
 * daemon closing with our request partly unread: the answer is complete. */
static int read_all(int fd, struct buffer *b, long long deadline)
{
	for (;;) {
		ssize_t n;
		int err = buffer_reserve(b, 65536);

		if (err)
			return err;
		n = recv(fd, b->data + b->len, b->cap - b->len - 1, 0);
		if (n > 0) {
			b->len += (size_t)n;
			b->data[b->len] = '\0';
			continue;
		}
		if (n == 0 || (errno == ECONNRESET && b->len > 0))
			return 0;
		err = wait_again(fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

/* Splits "OK\n...", "FAIL\n..." or "ERROR reason\n" in place. */
static int answer_parse(struct buffer *b, enum control_status *status,
			char **body)
{
	static const struct {
		const char *head;
		enum control_status st;
	} heads[] = {
		{ "OK\n", CONTROL_OK }, { "FAIL\n", CONTROL_FAIL },
		{ "ERROR ", CONTROL_ERROR },
	};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t n = strlen(heads[i].head);

		if (b->len < n || memcmp(b->data, heads[i].head, n))
			continue;
		memmove(b->data, b->data + n, b->len - n + 1);
		b->len -= n;
		if (heads[i].st == CONTROL_ERROR)
			b->data[strcspn(b->data, "\r\n")] = '\0';
		*status = heads[i].st;
		*body = b->data;
		b->data = NULL;
		return 0;
	}
	return -EBADMSG;
}

/* The request line with exactly one '\n' at its end. */
static char *request_line(const char *line)
{
	size_t len = strlen(line);
	char *out;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	out = malloc(len + 2);
	if (!out)
		return NULL;
	memcpy(out, line, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	return out;
}

int control_call(const char *path, const char *line, int timeout_ms,
		 enum control_status *status, char **body)
{
	long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
	struct buffer answer = { 0 };
	char *request = request_line(line);
	int fd, err;

	*body = NULL;
	if (!request)
		return -ENOMEM;
	fd = connect_to(path, timeout_ms);
	if (fd < 0) {
		free(request);
		return fd;
	}
	err = send_all(fd, request, strlen(request), deadline);
	free(request);
	if (!err)
		err = read_all(fd, &answer, deadline);
	close(fd);
	if (!err)
		err = answer_parse(&answer, status, body);
	free(answer.data);
	return err;
}
