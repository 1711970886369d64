/* test_notify.c - the sd_notify datagrams, byte for byte, received on a
 * socket of our own (a path, and the abstract namespace), and the
 * WATCHDOG_USEC / WATCHDOG_PID rules. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "check_main.h"

static int listener = -1;
static char dir[64];             /* made by main(), removed at its end */
static char path[128];

static void listen_at(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;

	listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listener, 0);
	strcpy(a.sun_path, name);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1;
	if (name[0] == '@') {
		a.sun_path[0] = '\0';
		len--;                  /* abstract names have no NUL */
	}
	ck_assert_msg(bind(listener, (struct sockaddr *)&a, len) == 0,
		      "bind %s: %s", name, strerror(errno));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	notify_init();
}

/* One socket per test process (Check forks each test). */
static void setup_path(void)
{
	snprintf(path, sizeof(path), "%s/notify-%ld", dir, (long)getpid());
	listen_at(path);
}

static void setup_abstract(void)
{
	char name[64];

	path[0] = '\0';
	snprintf(name, sizeof(name), "@segmentd-test-notify-%ld-%ld",
		 (long)getpid(), (long)time(NULL));
	listen_at(name);
}

static void teardown(void)
{
	if (listener >= 0)
		close(listener);
	listener = -1;
	if (path[0])
		unlink(path);
	path[0] = '\0';
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next datagram, NUL-terminated; "" when none is queued. */
static const char *next_datagram(void)
{
	static char buf[2048];
	ssize_t n = recv(listener, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0) {
		ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

static void expect(const char *want)
{
	ck_assert_str_eq(next_datagram(), want);
}

static void expect_none(void)
{
	ck_assert_str_eq(next_datagram(), "");
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The open file descriptors, as a bitmap of the first 1024. */
static int open_fds(unsigned char fds[1024])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int count = 0;

	ck_assert_ptr_nonnull(d);
	memset(fds, 0, 1024);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) && fd < 1024) {
			fds[fd] = 1;
			count++;
		}
	}
	closedir(d);
	return count;
}

START_TEST(ready_with_status)
{
	notify_ready("table 'segmentd' programmed");
	expect("READY=1\nSTATUS=table 'segmentd' programmed");
	notify_ready(NULL);
	expect("READY=1");
	expect_none();
}
END_TEST

START_TEST(status_newlines_cannot_add_fields)
{
	notify_status("line one\nREADY=1");
	expect("STATUS=line one READY=1");
	notify_ready("a\nb");
	expect("READY=1\nSTATUS=a b");
}
END_TEST

START_TEST(reloading_has_monotonic_usec)
{
	uint64_t before, after, usec;
	const char *got;
	char tail;

	before = monotonic_usec();
	notify_reloading();
	after = monotonic_usec();
	got = next_datagram();
	ck_assert_msg(sscanf(got, "RELOADING=1\nMONOTONIC_USEC=%" SCNu64 "%c",
			     &usec, &tail) == 1, "got '%s'", got);
	ck_assert_msg(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
		      got[27] >= '1' && got[27] <= '9', "got '%s'", got);
	ck_assert_uint_ge(usec, before);
	ck_assert_uint_le(usec, after);
}
END_TEST

START_TEST(stopping_watchdog_status)
{
	notify_stopping();
	expect("STOPPING=1");
	notify_watchdog();
	expect("WATCHDOG=1");
	notify_status("reload refused: segmentd.conf:12: error");
	expect("STATUS=reload refused: segmentd.conf:12: error");
	notify_status(NULL);
	expect("STATUS=");
	expect_none();
}
END_TEST

/* One datagram per call, in order, on one CLOEXEC socket.  (At most
 * net.unix.max_dgram_qlen, 10 by default, wait unread in our listener.) */
START_TEST(one_socket_for_all_calls)
{
	unsigned char before[1024], after[1024];
	int n0, n1, fd = -1;

	n0 = open_fds(before);
	notify_watchdog();
	n1 = open_fds(after);
	ck_assert_int_eq(n1, n0 + 1);
	for (int i = 0; i < 1024; i++)
		if (after[i] && !before[i])
			fd = i;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	for (int i = 0; i < 5; i++)
		notify_watchdog();
	notify_stopping();
	ck_assert_int_eq(open_fds(after), n1);
	for (int i = 0; i < 6; i++)
		expect("WATCHDOG=1");
	expect("STOPPING=1");
	expect_none();
}
END_TEST

/* Without NOTIFY_SOCKET every call is a no-op: nothing sent, no socket. */
START_TEST(no_socket_no_op)
{
	unsigned char fds[1024];
	int n0;

	unsetenv("NOTIFY_SOCKET");
	notify_init();
	n0 = open_fds(fds);
	notify_ready("x");
	notify_reloading();
	notify_status("x");
	notify_watchdog();
	notify_stopping();
	ck_assert_int_eq(open_fds(fds), n0);
	expect_none();
}
END_TEST

/* Names systemd never gives are ignored, and a socket nobody listens on
 * costs the caller nothing. */
START_TEST(bad_or_dead_socket_is_harmless)
{
	static const char *const names[] = { "", "relative/path", "@", "/",
		"/tmp/segmentd-test-notify-nobody-listens-here" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		setenv("NOTIFY_SOCKET", names[i], 1);
		notify_init();
		notify_ready("x");
		notify_watchdog();
		notify_stopping();
	}
}
END_TEST

START_TEST(init_rereads_environment)
{
	/* notify_init() reads the environment again each time. */
	unsetenv("NOTIFY_SOCKET");
	notify_init();
	notify_watchdog();
	expect_none();
	setenv("NOTIFY_SOCKET", path, 1);
	notify_init();
	notify_watchdog();
	expect("WATCHDOG=1");
}
END_TEST

static uint64_t watchdog_with(const char *usec, const char *pid)
{
	if (usec)
		setenv("WATCHDOG_USEC", usec, 1);
	else
		unsetenv("WATCHDOG_USEC");
	if (pid)
		setenv("WATCHDOG_PID", pid, 1);
	else
		unsetenv("WATCHDOG_PID");
	notify_init();
	return notify_watchdog_usec();
}

START_TEST(watchdog_usec)
{
	char me[32], other[32];

	snprintf(me, sizeof(me), "%ld", (long)getpid());
	snprintf(other, sizeof(other), "%ld", (long)getpid() + 1);
	ck_assert_uint_eq(watchdog_with(NULL, NULL), 0);
	ck_assert_uint_eq(watchdog_with("30000000", NULL), 30000000u);
	ck_assert_uint_eq(watchdog_with("30000000", me), 30000000u);
	ck_assert_uint_eq(watchdog_with("30000000", other), 0);
	ck_assert_uint_eq(watchdog_with("30000000", "1"), 0);
	ck_assert_uint_eq(watchdog_with("30000000", "x"), 0);
	ck_assert_uint_eq(watchdog_with("30000000", ""), 0);
	ck_assert_uint_eq(watchdog_with("18446744073709551615", NULL),
			  UINT64_MAX);
	ck_assert_uint_eq(watchdog_with("18446744073709551616", NULL), 0);
	ck_assert_uint_eq(watchdog_with("0", NULL), 0);
	ck_assert_uint_eq(watchdog_with("", NULL), 0);
	ck_assert_uint_eq(watchdog_with("-5", NULL), 0);
	ck_assert_uint_eq(watchdog_with("30s", NULL), 0);
	ck_assert_uint_eq(watchdog_with(" 30", NULL), 0);
	ck_assert_uint_eq(watchdog_with(NULL, me), 0);
}
END_TEST

/* The watchdog interval needs no NOTIFY_SOCKET to be read. */
START_TEST(watchdog_usec_without_socket)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_uint_eq(watchdog_with("2000000", NULL), 2000000u);
}
END_TEST

START_TEST(abstract_socket)
{
	notify_ready("up");
	expect("READY=1\nSTATUS=up");
	notify_reloading();
	ck_assert_msg(strncmp(next_datagram(), "RELOADING=1\nMONOTONIC_USEC=",
			      27) == 0, "no RELOADING datagram");
	notify_stopping();
	expect("STOPPING=1");
	notify_watchdog();
	expect("WATCHDOG=1");
	expect_none();
}
END_TEST

/* A failed test skips its teardown: remove what it left too. */
static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("path");
	TCase *ta = tcase_create("abstract");
	TCase *tw = tcase_create("watchdog");
	SRunner *sr;
	int failed;

	strcpy(dir, "/tmp/test_notify.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup_path, teardown);
	tcase_add_test(tc, ready_with_status);
	tcase_add_test(tc, status_newlines_cannot_add_fields);
	tcase_add_test(tc, reloading_has_monotonic_usec);
	tcase_add_test(tc, stopping_watchdog_status);
	tcase_add_test(tc, one_socket_for_all_calls);
	tcase_add_test(tc, no_socket_no_op);
	tcase_add_test(tc, bad_or_dead_socket_is_harmless);
	tcase_add_test(tc, init_rereads_environment);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ta, setup_abstract, teardown);
	tcase_add_test(ta, abstract_socket);
	suite_add_tcase(s, ta);
	tcase_add_checked_fixture(tw, NULL, teardown);
	tcase_add_test(tw, watchdog_usec);
	tcase_add_test(tw, watchdog_usec_without_socket);
	suite_add_tcase(s, tw);
	sr = srunner_create(s);
	failed = check_run_runner(sr);
	remove_dir();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
