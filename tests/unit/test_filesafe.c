/* test_filesafe.c - config file safety: which files and directories
 * filesafe_check() refuses, and the reason it gives.  Each test works in a
 * fresh directory below /tmp (sticky, root's); the ownership tests (chown
 * to nobody) run only as root, the rest as any user. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "filesafe.h"

#define NOBODY 65534

static char dir[PATH_MAX];    /* this test's directory, 0755 */
static char why[256];

/* dir/name, in one of four rotating buffers (a test holds a few). */
static char *in_dir(const char *name)
{
	static char paths[4][PATH_MAX + 64];
	static unsigned next;
	char *path = paths[next++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

/* A file in the test directory with mode (umask bypassed). */
static const char *make_file(const char *name, mode_t mode)
{
	const char *path = in_dir(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "version = 1;\n", 13), 13);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static const char *make_dir(const char *name, mode_t mode)
{
	const char *path = in_dir(name);

	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* One directory for the run, removed by main() even when a test failed
 * (Check skips the teardown of a failed test); a subdirectory per test. */
static char run_dir[64];

static void setup(void)
{
	static unsigned count;   /* CK_FORK=no: one pid for every test */

	snprintf(dir, sizeof(dir), "%s/t%ld-%u", run_dir, (long)getpid(),
		 count++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	why[0] = '\0';
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *f)
{
	return remove(path);
}

/* filesafe_check(path) returns want and its reason contains text. */
static void expect(const char *path, int want, const char *text)
{
	int r;

	why[0] = '\0';
	r = filesafe_check(path, why, sizeof(why));
	ck_assert_msg(r == want, "%s: got %d (%s), want %d", path, r, why,
		      want);
	if (text)
		ck_assert_msg(strstr(why, text), "%s: reason '%s' lacks '%s'",
			      path, why, text);
}

static void group_name(gid_t gid, char *buf, size_t len)
{
	struct group *g = getgrgid(gid);

	if (g)
		snprintf(buf, len, "group '%s'", g->gr_name);
	else
		snprintf(buf, len, "group gid %u", (unsigned)gid);
}

START_TEST(safe_files)
{
	expect(make_file("a.conf", 0600), 0, NULL);
	expect(make_file("b.conf", 0644), 0, NULL);
	expect(make_file("c.conf", 0444), 0, NULL);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(chdir(dir), 0);      /* a relative path */
	expect("a.conf", 0, NULL);
	expect("./a.conf", 0, NULL);
}
END_TEST

START_TEST(writable_file)
{
	struct stat st;
	char group[128], want[160];
	const char *path = make_file("g.conf", 0664);

	ck_assert_int_eq(stat(path, &st), 0);
	group_name(st.st_gid, group, sizeof(group));
	snprintf(want, sizeof(want), "writable by %s", group);
	expect(path, -EPERM, want);
	ck_assert_str_eq(why, want);          /* the whole reason */
	expect(make_file("g2.conf", 0620), -EPERM, "writable by group");
	expect(make_file("o.conf", 0646), -EPERM, "writable by others");
	ck_assert_str_eq(why, "writable by others");
	expect(make_file("go.conf", 0666), -EPERM, "writable by group");
}
END_TEST

START_TEST(not_regular)
{
	const char *fifo = in_dir("fifo.conf");

	expect(make_dir("d.conf", 0755), -EPERM,
	       "not a regular file (a directory)");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	expect(fifo, -EPERM, "not a regular file (a FIFO)");
	expect("/dev/null", -EPERM, "not a regular file (a character device)");
}
END_TEST

START_TEST(missing)
{
	expect(in_dir("nothing.conf"), -ENOENT,
	       "cannot check: No such file or directory");
	expect("", -ENOENT, "cannot check");
}
END_TEST

START_TEST(writable_directory)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 64];
	const char *sub = make_dir("g", 0775);

	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	snprintf(want, sizeof(want), "directory '%s' is writable by group",
		 sub);
	expect(path, -EPERM, want);

	sub = make_dir("o", 0757);
	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	snprintf(want, sizeof(want), "directory '%s' is writable by others",
		 sub);
	expect(path, -EPERM, want);
	ck_assert_str_eq(why, want);

	/* a directory above the one holding the file counts as well */
	ck_assert_int_eq(chmod(dir, 0757), 0);
	snprintf(want, sizeof(want), "directory '%s' is writable by others",
		 dir);
	expect(make_file("top.conf", 0600), -EPERM, want);
}
END_TEST

START_TEST(sticky_directory)
{
	char path[PATH_MAX + 64];
	const char *sub = make_dir("sticky", 01777);

	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	expect(path, 0, NULL);                /* as /tmp: others cannot swap it */
	ck_assert_int_eq(chmod(path, 0606), 0);
	expect(path, -EPERM, "writable by others");   /* the file still counts */
}
END_TEST

START_TEST(symlinks)
{
	char link[PATH_MAX + 64], target[PATH_MAX + 64];
	const char *safe = make_file("safe.conf", 0600);
	const char *open_dir = make_dir("open", 0757);

	snprintf(target, sizeof(target), "%s", safe);
	/* a link in a safe directory to a safe file */
	ck_assert_int_eq(symlink(target, in_dir("link.conf")), 0);
	expect(in_dir("link.conf"), 0, NULL);
	/* the link lies where anyone can replace it */
	snprintf(link, sizeof(link), "%s/link.conf", open_dir);
	ck_assert_int_eq(symlink(target, link), 0);
	expect(link, -EPERM, "is writable by others");
	ck_assert_msg(strstr(why, open_dir), "'%s' does not name %s", why,
		      open_dir);
	/* a link in a safe directory to a writable file */
	snprintf(target, sizeof(target), "%s", make_file("w.conf", 0666));
	ck_assert_int_eq(symlink(target, in_dir("tow.conf")), 0);
	expect(in_dir("tow.conf"), -EPERM, "writable by group");
	/* a dangling link */
	ck_assert_int_eq(symlink("nowhere", in_dir("dangling.conf")), 0);
	expect(in_dir("dangling.conf"), -ENOENT, "cannot check");
}
END_TEST

START_TEST(short_buffer)
{
	char small[8];
	const char *path = make_file("w.conf", 0666);

	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(filesafe_check(path, small, sizeof(small)), -EPERM);
	ck_assert_str_eq(small, "writabl");   /* cut, NUL-terminated */
	ck_assert_int_eq(filesafe_check(path, NULL, 0), -EPERM);
	ck_assert_int_eq(filesafe_check(make_file("ok.conf", 0600), NULL, 0), 0);
}
END_TEST

/* As root: a file or directory owned by someone else is refused even with
 * no write bit for anyone but its owner. */
START_TEST(foreign_owner)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 64];
	const char *file = make_file("nobody.conf", 0644);
	const char *sub;

	if (geteuid() != 0) {
		fprintf(stderr, "test_filesafe: foreign_owner needs root: "
			"skipped\n");
		return;
	}
	ck_assert_int_eq(chown(file, NOBODY, (gid_t)-1), 0);
	expect(file, -EPERM, "owned by ");
	ck_assert_msg(strstr(why, "(uid 65534), not by root"), "%s", why);

	sub = make_dir("nobodys", 0755);
	ck_assert_int_eq(chown(sub, NOBODY, (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	snprintf(want, sizeof(want), "directory '%s' is owned by ", sub);
	expect(path, -EPERM, want);

	/* root's file, group root, but writable by that group: refused */
	file = make_file("rootgroup.conf", 0664);
	ck_assert_int_eq(chown(file, 0, 0), 0);
	expect(file, -EPERM, "writable by group 'root'");
}
END_TEST

/* As a user: files of our own are trusted as root's are (a unit test, or
 * `segmentd --check` on one's own copy); root's are trusted too. */
START_TEST(own_files_trusted)
{
	expect(make_file("mine.conf", 0600), 0, NULL);
	expect("/etc/passwd", 0, NULL);   /* root's, 0644, in /etc */
}
END_TEST

static Suite *filesafe_suite(void)
{
	Suite *s = suite_create("filesafe");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, safe_files);
	tcase_add_test(tc, writable_file);
	tcase_add_test(tc, not_regular);
	tcase_add_test(tc, missing);
	tcase_add_test(tc, writable_directory);
	tcase_add_test(tc, sticky_directory);
	tcase_add_test(tc, symlinks);
	tcase_add_test(tc, short_buffer);
	tcase_add_test(tc, foreign_owner);
	tcase_add_test(tc, own_files_trusted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(filesafe_suite());
	int failed;

	snprintf(run_dir, sizeof(run_dir), "/tmp/segmentd-filesafe.XXXXXX");
	if (!mkdtemp(run_dir) || chmod(run_dir, 0755)) {
		perror("test_filesafe: a directory in /tmp");
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(run_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
