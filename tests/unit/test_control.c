/* test_control.c - the control protocol: the parser, and the server and the
 * client talking over a socket in a temporary directory.  The server runs in
 * this process's loop; blocking clients (control_call) run in forked
 * children, raw non-blocking sockets in this process. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "loop.h"
#include "check_main.h"

#define BIG_BODY (8u << 20)
#define TEST_GID 4242
#define OTHER_GID 4343
#define NOBODY 65534
#define BAD_VERB "bad command name (a-z, then a-z or '-', at most 31)"

/* ---- parser ---- */

static struct control_request req;

static void assert_parses(const char *line, const char *verb, bool json,
			  int argc)
{
	const char *why = "unset";

	ck_assert_msg(control_parse(line, strlen(line), &req, &why) == 0,
		      "'%s': %s", line, why);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(req.verb, verb);
	ck_assert_int_eq(req.json, json);
	ck_assert_int_eq(req.argc, argc);
}

static void assert_refused_n(const char *data, size_t len, const char *want)
{
	const char *why = NULL;

	ck_assert_int_eq(control_parse(data, len, &req, &why), -EINVAL);
	ck_assert_str_eq(why, want);
	ck_assert_str_eq(req.verb, "");
	ck_assert_int_eq(req.argc, 0);
}

static void assert_refused(const char *line, const char *want)
{
	assert_refused_n(line, strlen(line), want);
}

START_TEST(parse_good)
{
	assert_parses("status", "status", false, 0);
	assert_parses("status\n", "status", false, 0);
	assert_parses("status\r\n", "status", false, 0);
	assert_parses("check /etc/segmentd/segmentd.conf\n", "check", false, 1);
	ck_assert_str_eq(req.argv[0], "/etc/segmentd/segmentd.conf");
	assert_parses("  show   a  b  \n", "show", false, 2);
	ck_assert_str_eq(req.argv[0], "a");
	ck_assert_str_eq(req.argv[1], "b");
	assert_parses("counters-reset x", "counters-reset", false, 1);
	assert_parses("echo 広域連合 α' β", "echo", false, 3);
	ck_assert_str_eq(req.argv[0], "広域連合");
	assert_parses("echo 1 2 3 4 5 6 7 8", "echo", false, CONTROL_MAX_ARGS);
	ck_assert_str_eq(req.argv[7], "8");
	/* 31 letters is the longest verb */
	assert_parses("abcdefghijklmnopqrstuvwxyzabcde",
		      "abcdefghijklmnopqrstuvwxyzabcde", false, 0);
	/* no why needed */
	ck_assert_int_eq(control_parse("status", 6, &req, NULL), 0);
}
END_TEST

START_TEST(parse_json_anywhere)
{
	assert_parses("status --json", "status", true, 0);
	assert_parses("check --json /a.conf\n", "check", true, 1);
	ck_assert_str_eq(req.argv[0], "/a.conf");
	assert_parses("check /a.conf --json", "check", true, 1);
	ck_assert_str_eq(req.argv[0], "/a.conf");
	assert_parses("echo a --json b --json", "echo", true, 2);
	ck_assert_str_eq(req.argv[1], "b");
	/* --json does not count against the arguments */
	assert_parses("echo 1 2 3 4 5 6 7 --json 8", "echo", true, 8);
	assert_parses("echo --jsonx", "echo", false, 1);
	assert_refused("--json status", BAD_VERB);
	assert_refused("-x", BAD_VERB);
}
END_TEST

START_TEST(parse_refused)
{
	char big[CONTROL_MAX_REQUEST + 2];

	assert_refused("", "empty request");
	assert_refused("\n", "empty request");
	assert_refused("\r\n", "empty request");
	assert_refused("    \n", "empty request");
	assert_refused("Status", BAD_VERB);
	assert_refused("stat_us", BAD_VERB);
	assert_refused("abcdefghijklmnopqrstuvwxyzabcdef", BAD_VERB);
	assert_refused("echo 1 2 3 4 5 6 7 8 9", "too many arguments");
	assert_refused_n("sta\0tus\n", 8, "NUL byte in the request");
	assert_refused_n("status\0\n", 8, "NUL byte in the request");
	assert_refused("status\nreload\n", "line break inside the request");
	assert_refused("status\r", "line break inside the request");
	assert_refused("status\n\r", "line break inside the request");
	assert_refused("echo a\tb", "control character in the request");
	assert_refused("echo \x1b[31m", "control character in the request");
	assert_refused("echo \x7f", "control character in the request");
	assert_refused("echo \xff", "invalid UTF-8 in the request");
	assert_refused("echo \xc0\xaf", "invalid UTF-8 in the request");
	assert_refused("echo \xe5\xba", "invalid UTF-8 in the request");
	assert_refused("echo \xed\xa0\x80", "invalid UTF-8 in the request");
	assert_refused("echo \xc2\x85", "invalid UTF-8 in the request");

	/* CONTROL_MAX_REQUEST bytes with the '\n' is the most */
	memset(big, 'a', sizeof(big));
	memcpy(big, "echo ", 5);
	big[CONTROL_MAX_REQUEST - 1] = '\n';
	ck_assert_int_eq(control_parse(big, CONTROL_MAX_REQUEST, &req, NULL), 0);
	ck_assert_uint_eq(strlen(req.argv[0]), CONTROL_MAX_REQUEST - 6);
	assert_refused_n(big, CONTROL_MAX_REQUEST + 1, "request too long");
}
END_TEST

/* ---- a server in this process ---- */

struct fixture {
	struct loop loop;
	struct control_server *server;
	char dir[64];
	char path[128];
	int fds_before;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;   /* the DIR's own fd */
}

static void fill_big(char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
}

/* echo: the request back; no: FAIL; err, err-empty: ERROR; big: 8 MiB;
 * anything else: unknown. */
static enum control_status handler(void *ctx, const struct control_request *r,
				   uid_t peer_uid, FILE *out)
{
	int *calls = ctx;

	++*calls;
	if (strcmp(r->verb, "echo") == 0) {
		fprintf(out, "%s json=%d uid=%u", r->verb, r->json,
			(unsigned)peer_uid);
		for (int i = 0; i < r->argc; i++)
			fprintf(out, " [%s]", r->argv[i]);
		fputc('\n', out);
		return CONTROL_OK;
	}
	if (strcmp(r->verb, "no") == 0) {
		fputs("nope\n", out);
		return CONTROL_FAIL;
	}
	if (strcmp(r->verb, "err") == 0) {
		fputs("it broke\nand this line is not sent\n", out);
		return CONTROL_ERROR;
	}
	if (strcmp(r->verb, "err-empty") == 0)
		return CONTROL_ERROR;
	if (strcmp(r->verb, "big") == 0) {
		char *p = malloc(BIG_BODY);

		ck_assert_ptr_nonnull(p);
		fill_big(p, BIG_BODY);
		fwrite(p, 1, BIG_BODY, out);
		free(p);
		return CONTROL_OK;
	}
	fprintf(out, "unknown command '%s'", r->verb);
	return CONTROL_ERROR;
}

static int handler_calls;

static void fixture_open(struct fixture *fx, gid_t gid)
{
	memset(fx, 0, sizeof(*fx));
	signal(SIGPIPE, SIG_DFL);       /* the server must not need SIG_IGN */
	fx->fds_before = count_fds();
	strcpy(fx->dir, "/tmp/segmentd-test-control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	ck_assert_int_eq(chmod(fx->dir, 0755), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/control", fx->dir);
	ck_assert_int_eq(loop_init(&fx->loop), 0);
	handler_calls = 0;
	ck_assert_int_eq(control_server_open(&fx->server, &fx->loop, fx->path,
					     gid, handler, &handler_calls), 0);
}

static void fixture_close(struct fixture *fx)
{
	ck_assert_uint_eq(control_server_client_count(fx->server), 0);
	control_server_close(fx->server);
	ck_assert_int_eq(access(fx->path, F_OK), -1);   /* unlinked */
	loop_free(&fx->loop);
	ck_assert_int_eq(rmdir(fx->dir), 0);
	ck_assert_int_eq(count_fds(), fx->fds_before);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs the loop until *done, failing after 5 s. */
static void pump_until(struct fixture *fx, const bool *done)
{
	long long deadline = now_ms() + 5000;

	while (!*done) {
		ck_assert_msg(now_ms() < deadline, "stuck");
		ck_assert_int_eq(loop_run_once(&fx->loop, 50), 0);
	}
}

/* Runs the loop for about ms. */
static void pump_for(struct fixture *fx, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		ck_assert_int_eq(loop_run_once(&fx->loop, 10), 0);
}

/* ---- clients in forked children ---- */

struct result {
	int rc;
	int status;
	char *body;
	size_t len;
};

struct collector {
	char *data;
	size_t len, cap;
	bool done;
};

static void on_pipe(struct loop *l, int fd, uint32_t events, void *data)
{
	struct collector *c = data;
	ssize_t n;

	for (;;) {
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 1 << 20;
			c->data = realloc(c->data, c->cap);
			ck_assert_ptr_nonnull(c->data);
		}
		n = read(fd, c->data + c->len, c->cap - c->len - 1);
		if (n <= 0)
			break;
		c->len += (size_t)n;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		c->data[c->len] = '\0';
		c->done = true;
		loop_del(l, fd);
	}
}

struct identity {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[100];
};

static void child_call(const char *path, const char *line,
		       const struct identity *id, int out)
{
	enum control_status status = CONTROL_STATUS_MAX;
	char *body = NULL;
	FILE *f = fdopen(out, "w");
	int rc;

	if (id && (setgroups((size_t)id->ngroups, id->groups) ||
		   setgid(id->gid) || setuid(id->uid)))
		_exit(99);
	rc = control_call(path, line, 5000, &status, &body);
	fprintf(f, "%d %d %zu\n", rc, (int)status, body ? strlen(body) : 0);
	if (body)
		fputs(body, f);
	fclose(f);
	free(body);
	_exit(0);
}

/* control_call(line) in a child (as id, if given) while this process runs
 * the server. */
static struct result call_as(struct fixture *fx, const char *line,
			     const struct identity *id)
{
	struct collector col = { 0 };
	struct result r = { 0 };
	int p[2], wstatus, used = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child_call(fx->path, line, id, p[1]);
	}
	close(p[1]);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(loop_add(&fx->loop, p[0], EPOLLIN, on_pipe, &col), 0);
	pump_until(fx, &col.done);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
		      "child status %d", wstatus);
	ck_assert_int_eq(sscanf(col.data, "%d %d %zu\n%n", &r.rc, &r.status,
				&r.len, &used), 3);
	ck_assert_uint_eq(col.len - (size_t)used, r.len);
	r.body = strdup(col.data + used);
	free(col.data);
	/* the server is done with the client once the child has its answer */
	pump_for(fx, 0);
	return r;
}

static struct result call(struct fixture *fx, const char *line)
{
	return call_as(fx, line, NULL);
}

static void assert_call(struct fixture *fx, const char *line, int status,
			const char *body)
{
	struct result r = call(fx, line);

	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.status, status);
	ck_assert_str_eq(r.body, body);
	free(r.body);
}

/* What the echo handler says first, for this process's uid. */
static const char *echo_uid(const char *json)
{
	static char text[64];

	snprintf(text, sizeof(text), "echo json=%s uid=%u", json,
		 (unsigned)geteuid());
	return text;
}

START_TEST(round_trip)
{
	struct fixture fx;
	struct stat st;
	char want[128];

	fixture_open(&fx, (gid_t)-1);
	ck_assert_int_eq(stat(fx.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);

	snprintf(want, sizeof(want), "%s [a] [広域連合]\n", echo_uid("1"));
	assert_call(&fx, "echo a --json 広域連合", CONTROL_OK, want);
	snprintf(want, sizeof(want), "%s\n", echo_uid("0"));
	assert_call(&fx, "echo\n", CONTROL_OK, want);
	assert_call(&fx, "no", CONTROL_FAIL, "nope\n");
	assert_call(&fx, "err", CONTROL_ERROR, "it broke");
	assert_call(&fx, "err-empty", CONTROL_ERROR, "command failed");
	assert_call(&fx, "frobnicate", CONTROL_ERROR,
		    "unknown command 'frobnicate'");
	/* refused by the parser: the handler never sees them */
	handler_calls = 0;
	assert_call(&fx, "Echo", CONTROL_ERROR, BAD_VERB);
	assert_call(&fx, "echo 1 2 3 4 5 6 7 8 9", CONTROL_ERROR,
		    "too many arguments");
	assert_call(&fx, "echo \x01", CONTROL_ERROR,
		    "control character in the request");
	ck_assert_int_eq(handler_calls, 0);
	fixture_close(&fx);
}
END_TEST

START_TEST(big_body)
{
	struct fixture fx;
	struct result r;
	char *want = malloc(BIG_BODY);

	ck_assert_ptr_nonnull(want);
	fill_big(want, BIG_BODY);
	fixture_open(&fx, (gid_t)-1);
	r = call(&fx, "big");
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.status, CONTROL_OK);
	ck_assert_uint_eq(r.len, BIG_BODY);
	ck_assert(memcmp(r.body, want, BIG_BODY) == 0);
	free(r.body);
	free(want);
	fixture_close(&fx);
}
END_TEST

START_TEST(oversized_call)
{
	struct fixture fx;
	char *line = malloc(3 * CONTROL_MAX_REQUEST);
	struct result r;

	fixture_open(&fx, (gid_t)-1);
	memset(line, 'a', 3 * CONTROL_MAX_REQUEST - 1);
	line[3 * CONTROL_MAX_REQUEST - 1] = '\0';
	memcpy(line, "echo ", 5);
	r = call(&fx, line);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.status, CONTROL_ERROR);
	ck_assert_str_eq(r.body, "request too long");
	ck_assert_int_eq(handler_calls, 0);
	free(r.body);
	free(line);
	fixture_close(&fx);
}
END_TEST

/* ---- raw sockets in this process ---- */

static int raw_connect(const struct fixture *fx)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(addr.sun_path, fx->path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void raw_send(int fd, const char *data, size_t len)
{
	ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads fd to EOF while the loop runs; closes fd. */
static char *raw_read_all(struct fixture *fx, int fd)
{
	long long deadline = now_ms() + 5000;
	static char buf[4096];
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET && len))
			break;
		if (n > 0) {
			len += (size_t)n;
			ck_assert_uint_lt(len, sizeof(buf) - 1);
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		ck_assert_msg(now_ms() < deadline, "no EOF");
		ck_assert_int_eq(loop_run_once(&fx->loop, 10), 0);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

START_TEST(raw_protocol)
{
	struct fixture fx;
	char big[CONTROL_MAX_REQUEST + 100];
	char want[128];
	int fd;

	fixture_open(&fx, (gid_t)-1);
	/* sent in pieces */
	fd = raw_connect(&fx);
	raw_send(fd, "ec", 2);
	pump_for(&fx, 20);
	raw_send(fd, "ho x\r\n", 6);
	snprintf(want, sizeof(want), "OK\n%s [x]\n", echo_uid("0"));
	ck_assert_str_eq(raw_read_all(&fx, fd), want);
	/* a last line without '\n', then EOF */
	fd = raw_connect(&fx);
	raw_send(fd, "no", 2);
	shutdown(fd, SHUT_WR);
	ck_assert_str_eq(raw_read_all(&fx, fd), "FAIL\nnope\n");
	/* only the first line counts */
	fd = raw_connect(&fx);
	raw_send(fd, "no\necho\n", 8);
	ck_assert_str_eq(raw_read_all(&fx, fd), "FAIL\nnope\n");
	/* NUL */
	fd = raw_connect(&fx);
	raw_send(fd, "ech\0o\n", 6);
	ck_assert_str_eq(raw_read_all(&fx, fd),
			 "ERROR NUL byte in the request\n");
	/* oversized without a newline */
	fd = raw_connect(&fx);
	memset(big, 'a', sizeof(big));
	raw_send(fd, big, sizeof(big));
	ck_assert_str_eq(raw_read_all(&fx, fd), "ERROR request too long\n");
	/* connect and go away */
	fd = raw_connect(&fx);
	close(fd);
	pump_for(&fx, 20);
	ck_assert_int_eq(handler_calls, 3);
	fixture_close(&fx);
}
END_TEST

/* A client that asks for 8 MiB and goes away: no SIGPIPE, no leak. */
START_TEST(early_disconnect)
{
	struct fixture fx;
	long long deadline;
	int fd;

	fixture_open(&fx, (gid_t)-1);
	/* gone before accept; before the answer; in the middle of it */
	for (int i = 0; i < 3; i++) {
		char buf[1000];

		fd = raw_connect(&fx);
		raw_send(fd, "big\n", 4);
		if (i == 1)
			ck_assert_int_eq(loop_run_once(&fx.loop, 0), 0);
		deadline = now_ms() + 5000;
		while (i == 2 && recv(fd, buf, sizeof(buf), 0) <= 0)
			ck_assert_msg(loop_run_once(&fx.loop, 10) == 0 &&
				      now_ms() < deadline, "no answer");
		close(fd);
	}
	deadline = now_ms() + 5000;
	while (control_server_client_count(fx.server))
		ck_assert_msg(loop_run_once(&fx.loop, 10) == 0 &&
			      now_ms() < deadline, "client not dropped");
	fixture_close(&fx);
}
END_TEST

START_TEST(timeouts)
{
	struct fixture fx;
	long long deadline = now_ms() + 5000;
	char buf[1000];
	int silent, partial, stalled;

	fixture_open(&fx, (gid_t)-1);
	control_server_set_timeout(fx.server, 300);
	/* asks for 8 MiB, reads a little once the answer flows, then stops */
	stalled = raw_connect(&fx);
	raw_send(stalled, "big\n", 4);
	while (recv(stalled, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
		ck_assert_msg(loop_run_once(&fx.loop, 10) == 0 &&
			      now_ms() < deadline, "no answer");
	silent = raw_connect(&fx);
	partial = raw_connect(&fx);
	raw_send(partial, "echo", 4);
	pump_for(&fx, 20);
	control_server_sweep(fx.server);
	ck_assert_uint_eq(control_server_client_count(fx.server), 3);
	pump_for(&fx, 350);
	control_server_sweep(fx.server);
	ck_assert_uint_eq(control_server_client_count(fx.server), 0);
	ck_assert_str_eq(raw_read_all(&fx, silent), "ERROR timeout\n");
	ck_assert_str_eq(raw_read_all(&fx, partial), "ERROR timeout\n");
	close(stalled);
	fixture_close(&fx);
}
END_TEST

START_TEST(many_clients)
{
	enum { N = 100 };
	struct fixture fx;
	int fds[N];
	char want[128];

	fixture_open(&fx, (gid_t)-1);
	for (int i = 0; i < N; i++)
		fds[i] = raw_connect(&fx);
	/* accepted in order: the first CONTROL_MAX_CLIENTS stay */
	for (int i = CONTROL_MAX_CLIENTS; i < N; i++)
		ck_assert_str_eq(raw_read_all(&fx, fds[i]), "ERROR busy\n");
	ck_assert_uint_eq(control_server_client_count(fx.server),
			  CONTROL_MAX_CLIENTS);
	snprintf(want, sizeof(want), "OK\n%s [%s]\n", echo_uid("0"), "x");
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		raw_send(fds[i], "echo x\n", 7);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ck_assert_str_eq(raw_read_all(&fx, fds[i]), want);
	ck_assert_int_eq(handler_calls, CONTROL_MAX_CLIENTS);
	fixture_close(&fx);
}
END_TEST

/* Out of fds, the server stops accepting (instead of spinning on the
 * queued connection) until the next sweep. */
START_TEST(out_of_fds)
{
	struct fixture fx;
	struct rlimit old, low;
	char want[128];
	long long t0;
	const char *preload = getenv("LD_PRELOAD");
	int fd, lowest;

	/* valgrind fakes RLIMIT_NOFILE: it accepts, then closes the fd */
	if (preload && strstr(preload, "vgpreload"))
		return;
	fixture_open(&fx, (gid_t)-1);
	fd = raw_connect(&fx);
	raw_send(fd, "echo x\n", 7);
	lowest = dup(0);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	ck_assert_int_eq(loop_run_once(&fx.loop, 100), 0);   /* EMFILE */
	t0 = now_ms();
	ck_assert_int_eq(loop_run_once(&fx.loop, 100), 0);
	ck_assert_int_ge(now_ms() - t0, 90);                   /* quiet */
	ck_assert_uint_eq(control_server_client_count(fx.server), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	control_server_sweep(fx.server);
	snprintf(want, sizeof(want), "OK\n%s [x]\n", echo_uid("0"));
	ck_assert_str_eq(raw_read_all(&fx, fd), want);
	fixture_close(&fx);
}
END_TEST

/* ---- opening, errors on the client side ---- */

static int bind_dead_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(addr.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return close(fd);
}

START_TEST(open_and_reach)
{
	struct fixture fx;
	struct control_server *other;
	char stale[160], file[160];
	enum control_status st;
	char *body = (char *)1;
	int fd;

	fixture_open(&fx, (gid_t)-1);
	snprintf(stale, sizeof(stale), "%s/stale", fx.dir);
	snprintf(file, sizeof(file), "%s/file", fx.dir);
	/* no socket; a socket nobody listens on */
	ck_assert_int_eq(control_call(stale, "status", 1000, &st, &body),
			 -ENOENT);
	ck_assert_ptr_null(body);
	ck_assert_int_eq(bind_dead_socket(stale), 0);
	ck_assert_int_eq(control_call(stale, "status", 1000, &st, &body),
			 -ECONNREFUSED);
	/* a stale socket is replaced; a live one or another file is not */
	ck_assert_int_eq(control_server_open(&other, &fx.loop, stale, (gid_t)-1,
					     handler, &handler_calls), 0);
	control_server_close(other);
	ck_assert_int_eq(control_server_open(&other, &fx.loop, fx.path,
					     (gid_t)-1, handler, &handler_calls),
			 -EADDRINUSE);
	ck_assert_ptr_null(other);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	ck_assert_int_eq(control_server_open(&other, &fx.loop, file, (gid_t)-1,
					     handler, &handler_calls), -EEXIST);
	ck_assert_int_eq(unlink(file), 0);
	fixture_close(&fx);
}
END_TEST

/* ---- who may ask (needs root to be other users) ---- */

static void assert_call_as(struct fixture *fx, const struct identity *id,
			   int rc, int status, const char *body)
{
	struct result r = call_as(fx, "echo", id);

	ck_assert_int_eq(r.rc, rc);
	if (rc == 0) {
		ck_assert_int_eq(r.status, status);
		ck_assert_str_eq(r.body, body);
	}
	free(r.body);
}

START_TEST(peer_credentials)
{
	struct identity stranger = { NOBODY, OTHER_GID, 0, { 0 } };
	struct identity primary = { NOBODY, TEST_GID, 0, { 0 } };
	struct identity supplementary = { NOBODY, OTHER_GID, 2,
					  { OTHER_GID, TEST_GID } };
	struct identity many = { NOBODY, OTHER_GID, 100, { 0 } };
	char want[64];
	struct fixture fx;
	struct stat st;

	if (geteuid() != 0)
		return;         /* cannot be anybody else */
	for (int i = 0; i < many.ngroups; i++)   /* ours last */
		many.groups[i] = (gid_t)(TEST_GID + 100 + i);
	many.groups[many.ngroups - 1] = TEST_GID;
	snprintf(want, sizeof(want), "echo json=0 uid=%d\n", NOBODY);
	/* 0600: the file mode keeps others out */
	fixture_open(&fx, (gid_t)-1);
	assert_call_as(&fx, &stranger, -EACCES, 0, NULL);
	fixture_close(&fx);
	/* 0660 with a group */
	fixture_open(&fx, TEST_GID);
	ck_assert_int_eq(stat(fx.path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, TEST_GID);
	assert_call_as(&fx, &stranger, -EACCES, 0, NULL);
	assert_call_as(&fx, &primary, 0, CONTROL_OK, want);
	assert_call_as(&fx, &supplementary, 0, CONTROL_OK, want);
	/* past the file mode, SO_PEERCRED still says no */
	ck_assert_int_eq(chmod(fx.path, 0666), 0);
	assert_call_as(&fx, &stranger, 0, CONTROL_ERROR, "permission denied");
	assert_call_as(&fx, &many, 0, CONTROL_OK, want);
	many.groups[many.ngroups - 1] = OTHER_GID;
	assert_call_as(&fx, &many, 0, CONTROL_ERROR, "permission denied");
	fixture_close(&fx);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *parse = tcase_create("parse");
	TCase *server = tcase_create("server");

	tcase_add_test(parse, parse_good);
	tcase_add_test(parse, parse_json_anywhere);
	tcase_add_test(parse, parse_refused);
	suite_add_tcase(s, parse);
	tcase_add_test(server, round_trip);
	tcase_add_test(server, big_body);
	tcase_add_test(server, oversized_call);
	tcase_add_test(server, raw_protocol);
	tcase_add_test(server, early_disconnect);
	tcase_add_test(server, timeouts);
	tcase_add_test(server, many_clients);
	tcase_add_test(server, out_of_fds);
	tcase_add_test(server, open_and_reach);
	tcase_add_test(server, peer_credentials);
	suite_add_tcase(s, server);
	return s;
}

int main(void)
{
	return check_run(control_suite());
}
