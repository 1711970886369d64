/* control_server.c - the daemon's end of the control socket.
 *
 * Every fd is CLOEXEC|NONBLOCK and lives in the daemon's one loop.  A client
 * is read until its first '\n', handled at once (the handler writes into a
 * memstream), and answered with non-blocking writes (EPOLLOUT) before it is
 * closed.  The daemon never waits for a client: a slow reader is dropped
 * by control_server_sweep() at its deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define DRAIN_MAX (64 * 1024)   /* unread input thrown away at close */

/* A response: up to three pieces, e.g. "ERROR " + reason + "\n". */
struct response {
	struct iovec iov[3];
	int iovcnt;
	char *owned;             /* the handler's body, freed at the end */
};

struct client {
	struct control_server *server;
	struct client *next;
	int fd;
	uid_t uid;
	bool writing;            /* the request is read; answering */
	uint64_t deadline_ms;    /* CLOCK_MONOTONIC */
	struct response resp;
	size_t in_len;
	char in[CONTROL_MAX_REQUEST + 1];
};

struct control_server {
	struct loop *loop;
	int fd;
	char *path;
	dev_t dev;               /* the socket file we made, to unlink only it */
	ino_t ino;
	gid_t gid;
	control_handler handler;
	void *ctx;
	int timeout_ms;
	size_t client_count;
	struct client *clients;
	bool paused;             /* out of fds: accept again at the next sweep */
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Reads and drops what the peer sent and we will not read, so closing does
 * not turn the peer's last read into ECONNRESET.  Best effort. */
static void drain_input(int fd)
{
	char scratch[4096];
	size_t total = 0;
	ssize_t n;

	while (total < DRAIN_MAX &&
	       (n = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
}

/* Turns away a connection before it becomes a client. */
static void reject(int fd, const char *line)
{
	(void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	drain_input(fd);
	close(fd);
}

static void client_close(struct client *c)
{
	struct control_server *s = c->server;

	for (struct client **p = &s->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	s->client_count--;
	loop_del(s->loop, c->fd);
	drain_input(c->fd);
	close(c->fd);
	free(c->resp.owned);
	free(c);
}

static void iov_set(struct iovec *iov, const char *base, size_t len)
{
	iov->iov_base = (void *)base;
	iov->iov_len = len;
}

/* "ERROR reason\n"; reason is static or r->owned. */
static void response_error(struct response *r, const char *reason, size_t len)
{
	iov_set(&r->iov[0], "ERROR ", 6);
	iov_set(&r->iov[1], reason, len);
	iov_set(&r->iov[2], "\n", 1);
	r->iovcnt = 3;
}

/* Takes body (malloc'd, len + 1 bytes, as open_memstream leaves it). */
static void response_take(struct response *r, enum control_status st,
			  char *body, size_t len)
{
	static const char *const heads[CONTROL_STATUS_MAX] = {
		[CONTROL_OK] = "OK\n", [CONTROL_FAIL] = "FAIL\n",
	};
	char *newline;

	r->owned = body;
	if (st == CONTROL_OK || st == CONTROL_FAIL) {
		iov_set(&r->iov[0], heads[st], strlen(heads[st]));
		iov_set(&r->iov[1], body, len);
		r->iovcnt = 2;
		return;
	}
	/* An ERROR reason is one line: the body's first. */
	newline = memchr(body, '\n', len);
	if (newline)
		len = (size_t)(newline - body);
	if (len)
		response_error(r, body, len);
	else
		response_error(r, "command failed", strlen("command failed"));
}

/* Sends what is left of the response; returns 1 when all is sent, 0 when
 * the socket is full, -errno when the peer is gone. */
static int response_send(int fd, struct response *r)
{
	while (r->iovcnt > 0) {
		struct msghdr msg = { .msg_iov = r->iov,
				      .msg_iovlen = (size_t)r->iovcnt };
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		size_t sent;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		sent = (size_t)n;
		while (r->iovcnt > 0 && sent >= r->iov[0].iov_len) {
			sent -= r->iov[0].iov_len;
			r->iovcnt--;
			memmove(r->iov, r->iov + 1,
				sizeof(r->iov[0]) * (size_t)r->iovcnt);
		}
		if (r->iovcnt > 0) {
			r->iov[0].iov_base = (char *)r->iov[0].iov_base + sent;
			r->iov[0].iov_len -= sent;
		}
	}
	return 1;
}

/* Sends what it can now; the rest on EPOLLOUT.  May free c. */
static void client_flush(struct client *c)
{
	int done = response_send(c->fd, &c->resp);

	if (done != 0) {
		client_close(c);
		return;
	}
	/* Progress moves the deadline: a big body to a live reader is fine,
	 * a reader that stopped is dropped. */
	c->deadline_ms = now_ms() + (uint64_t)c->server->timeout_ms;
	if (!c->writing && loop_mod(c->server->loop, c->fd, EPOLLOUT)) {
		client_close(c);
		return;
	}
	c->writing = true;
}

static void client_fail(struct client *c, const char *reason)
{
	response_error(&c->resp, reason, strlen(reason));
	client_flush(c);
}

/* Runs the handler on one request line and starts the answer. */
static void client_handle(struct client *c, const char *line, size_t len)
{
	struct control_server *s = c->server;
	struct control_request *req = malloc(sizeof(*req));
	const char *why = NULL;
	enum control_status st;
	char *body = NULL;
	size_t body_len = 0;
	FILE *out;

	if (!req) {
		client_fail(c, "out of memory");
		return;
	}
	if (control_parse(line, len, req, &why)) {
		free(req);
		client_fail(c, why);
		return;
	}
	out = open_memstream(&body, &body_len);
	if (!out) {
		free(req);
		client_fail(c, "out of memory");
		return;
	}
	st = s->handler(s->ctx, req, c->uid, out);
	free(req);
	if (fclose(out) || st < 0 || st >= CONTROL_STATUS_MAX) {
		free(body);
		client_fail(c, st == CONTROL_OK || st == CONTROL_FAIL ?
			    "out of memory" : "internal error");
		return;
	}
	response_take(&c->resp, st, body, body_len);
	client_flush(c);
}

/* Reads what is there; handles the request once its line is complete. */
static void client_read(struct client *c)
{
	size_t room = sizeof(c->in) - c->in_len;
	ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
	char *newline;

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_close(c);
		return;
	}
	if (n == 0) {           /* EOF: a last line without '\n' still counts */
		if (c->in_len)
			client_handle(c, c->in, c->in_len);
		else
			client_close(c);
		return;
	}
	newline = memchr(c->in + c->in_len, '\n', (size_t)n);
	c->in_len += (size_t)n;
	if (newline)
		client_handle(c, c->in, (size_t)(newline - c->in) + 1);
	else if (c->in_len == sizeof(c->in))
		client_fail(c, "request too long");
}

static void on_client(struct loop *l, int fd, uint32_t events, void *data)
{
	struct client *c = data;

	if (c->writing)
		client_flush(c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

/* Is gid among the peer's supplementary groups, as they were at connect
 * (SO_PEERGROUPS, Linux 4.13: no /proc lookup racing with pid reuse)?
 * Without the option, or without memory, the answer is no. */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t few[64], *groups = few;
	socklen_t len = sizeof(few);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
		if (errno != ERANGE || !(groups = malloc(len)))
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == gid;
	if (groups != few)
		free(groups);
	return found;
}

/* uid 0 and our own uid always; members of the configured group. */
static bool peer_allowed(const struct control_server *s, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (s->gid == (gid_t)-1)
		return false;
	return cred.gid == s->gid || peer_in_group(fd, s->gid);
}

static void client_add(struct control_server *s, int fd)
{
	struct client *c;
	uid_t uid = (uid_t)-1;

	if (s->client_count >= CONTROL_MAX_CLIENTS) {
		reject(fd, "ERROR busy\n");
		return;
	}
	if (!peer_allowed(s, fd, &uid)) {
		reject(fd, "ERROR permission denied\n");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_add(s->loop, fd, EPOLLIN, on_client, c)) {
		free(c);
		reject(fd, "ERROR out of memory\n");
		return;
	}
	c->server = s;
	c->fd = fd;
	c->uid = uid;
	c->deadline_ms = now_ms() + (uint64_t)s->timeout_ms;
	c->next = s->clients;
	s->clients = c;
	s->client_count++;
}

static void on_listen(struct loop *l, int fd, uint32_t events, void *data)
{
	struct control_server *s = data;

	/* Bounded, so a flood cannot keep the loop here. */
	for (int i = 0; i < 2 * CONTROL_MAX_CLIENTS; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			client_add(s, cfd);
			continue;
		}
		/* The connection stays queued: without a pause a level-
		 * triggered loop would spin on it. */
		if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		     errno == ENOMEM) && !loop_mod(s->loop, fd, 0))
			s->paused = true;
		return;    /* EAGAIN, or a peer gone before accept */
	}
}

void control_server_sweep(struct control_server *s)
{
	uint64_t now = now_ms();
	struct client *c, *next;

	if (!s)
		return;
	if (s->paused && !loop_mod(s->loop, s->fd, EPOLLIN))
		s->paused = false;
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (now < c->deadline_ms)
			continue;
		if (c->writing)
			client_close(c);     /* mid-answer: nothing to add */
		else
			client_fail(c, "timeout");
	}
}

void control_server_set_timeout(struct control_server *s, int timeout_ms)
{
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : CONTROL_TIMEOUT_MS;
}

size_t control_server_client_count(const struct control_server *s)
{
	return s ? s->client_count : 0;
}

/* A socket file left by a daemon that died goes; a live one, or a file
 * that is not a socket, stays and is an error. */
static int remove_stale(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, err;

	if (lstat(addr->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		err = -errno;
	else
		err = 0;
	close(fd);
	if (err == 0 || err == -EAGAIN)
		return -EADDRINUSE;     /* someone answers there */
	if (err != -ECONNREFUSED)
		return err;
	return unlink(addr->sun_path) && errno != ENOENT ? -errno : 0;
}

/* Creates the directory holding the socket (one level, 0755) if missing,
 * for runs outside systemd's RuntimeDirectory=. */
static int make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (!slash || slash == path)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
}

/* The mode is right from the moment the file exists (umask at bind), the
 * group before anyone can connect (listen comes last). */
static int socket_bind(int fd, const struct sockaddr_un *addr, gid_t gid)
{
	const char *path = addr->sun_path;
	mode_t old = umask(0177);
	int err = 0;

	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		err = -errno;
	umask(old);
	if (err)
		return err;
	if (gid != (gid_t)-1 &&
	    (lchown(path, (uid_t)-1, gid) || chmod(path, 0660)))
		err = -errno;
	if (!err && listen(fd, SOMAXCONN))
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static int server_listen(struct control_server *s, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	err = make_parent(path);
	if (!err)
		err = remove_stale(&addr);
	if (err)
		return err;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	err = socket_bind(s->fd, &addr, s->gid);
	if (err)
		return err;
	if (lstat(path, &st)) {
		err = -errno;
		unlink(path);
		return err;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

int control_server_open(struct control_server **out, struct loop *l,
			const char *path, gid_t gid, control_handler h,
			void *ctx)
{
	struct control_server *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	*s = (struct control_server){ .loop = l, .fd = -1, .gid = gid,
		.handler = h, .ctx = ctx, .timeout_ms = CONTROL_TIMEOUT_MS };
	s->path = strdup(path);
	if (!s->path) {
		err = -ENOMEM;
		goto fail;
	}
	err = server_listen(s, path);
	if (!err)
		err = loop_add(l, s->fd, EPOLLIN, on_listen, s);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	if (s->ino)
		unlink(s->path);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return err;
}

/* Removes the socket file only if it is still the one we made. */
static void unlink_ours(const struct control_server *s)
{
	struct stat st;

	if (!lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
}

void control_server_close(struct control_server *s)
{
	if (!s)
		return;
	for (struct client *c = s->clients, *next; c; c = next) {
		next = c->next;
		client_close(c);
	}
	loop_del(s->loop, s->fd);
	close(s->fd);
	unlink_ours(s);
	free(s->path);
	free(s);
}
