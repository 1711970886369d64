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
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filesafe.h"
#include "check_main.h"

#define NOBODY 65534

static char dir[PATH_MAX];    /* this test's directory, 0755 */
static char why[2 * PATH_MAX];

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
		snprintf(buf, len, "group '%u'", (unsigned)gid);
}

/* A group that is not root's: nogroup as root (chown), our own as a user. */
static gid_t foreign_group(const char *path)
{
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path, (uid_t)-1, NOBODY), 0);
	return geteuid() == 0 ? NOBODY : getegid();
}

/* "'/path' (user:group 0664)" as filesafe_check() names a file. */
static void named(char *buf, size_t len, const char *path)
{
	struct stat st;
	struct passwd *pw;
	struct group *gr;
	char user[32], group[32];

	ck_assert_int_eq(stat(path, &st), 0);
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	snprintf(user, sizeof(user), "%u", (unsigned)st.st_uid);
	snprintf(group, sizeof(group), "%u", (unsigned)st.st_gid);
	snprintf(buf, len, "'%s' (%s:%s %04o)", path, pw ? pw->pw_name : user,
		 gr ? gr->gr_name : group, (unsigned)(st.st_mode & 07777));
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

/* The whole reason for a file writable by a group that is not root's. */
START_TEST(writable_by_group)
{
	char group[64], want[PATH_MAX + 512], name[PATH_MAX + 96];
	const char *path = make_file("g.conf", 0664);

	group_name(foreign_group(path), group, sizeof(group));
	named(name, sizeof(name), path);
	snprintf(want, sizeof(want), "%s is writable by %s; only root may "
		 "write a config file and the directories above it (group "
		 "root may too, as for sudoers); fix: chmod g-w %s", name,
		 group, path);
	expect(path, -EPERM, want);
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(writable_by_others)
{
	char want[PATH_MAX + 96];
	const char *path = make_file("o.conf", 0646);

	named(want, sizeof(want), path);
	expect(path, -EPERM, want);
	expect(path, -EPERM, " is writable by others; only root may write");
	snprintf(want, sizeof(want), "; fix: chmod o-w %s", path);
	expect(path, -EPERM, want);

	path = make_file("go.conf", 0666);
	foreign_group(path);
	expect(path, -EPERM, "' and by others; ");
	snprintf(want, sizeof(want), "; fix: chmod go-w %s", path);
	expect(path, -EPERM, want);
}
END_TEST

/* The fix is a command to paste: an odd path is quoted. */
START_TEST(fix_quotes_path)
{
	char want[PATH_MAX + 96];
	const char *path = make_file("it's a.conf", 0646);

	snprintf(want, sizeof(want), "fix: chmod o-w '%s/it'\\''s a.conf'",
		 dir);
	expect(path, -EPERM, want);
}
END_TEST

/* As root: a tree root unpacked from a release tarball (git archive keeps
 * 0664 files and 0775 directories, root:root) is accepted, as sudo
 * accepts a sudoers file writable by group root; others never are. */
START_TEST(root_group_writable)
{
	char path[PATH_MAX + 64];
	const char *sub;

	if (geteuid() != 0) {
		fprintf(stderr, "test_filesafe: root_group_writable needs "
			"root: skipped\n");
		return;
	}
	sub = make_dir("release", 0775);
	ck_assert_int_eq(chown(sub, 0, 0), 0);
	snprintf(path, sizeof(path), "%s/segmentd.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(chown(path, 0, 0), 0);
	expect(path, 0, NULL);
	ck_assert_int_eq(chmod(path, 0666), 0);
	expect(path, -EPERM, "(root:root 0666) is writable by others;");
}
END_TEST

START_TEST(not_regular)
{
	const char *fifo = in_dir("fifo.conf");

	expect(make_dir("d.conf", 0755), -EPERM,
	       "is not a regular file (a directory)");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	expect(fifo, -EPERM, "is not a regular file (a FIFO)");
	expect("/dev/null", -EPERM,
	       "'/dev/null' is not a regular file (a character device)");
}
END_TEST

START_TEST(missing)
{
	char want[PATH_MAX + 96];
	const char *path = in_dir("nothing.conf");

	snprintf(want, sizeof(want), "cannot check '%s': No such file or "
		 "directory", path);
	expect(path, -ENOENT, want);
	expect("", -ENOENT, "cannot check");
}
END_TEST

START_TEST(writable_directory)
{
	char path[PATH_MAX + 64], want[2 * PATH_MAX + 256], name[PATH_MAX + 96];
	const char *sub = make_dir("g", 0775);

	foreign_group(sub);
	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	named(name, sizeof(name), sub);
	snprintf(want, sizeof(want), "directory %s above '%s' is writable "
		 "by group", name, path);
	expect(path, -EPERM, want);
	snprintf(want, sizeof(want), "; fix: chmod g-w %s", sub);
	expect(path, -EPERM, want);

	sub = make_dir("o", 0757);
	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	snprintf(want, sizeof(want), "directory '%s' (", sub);
	expect(path, -EPERM, want);
	expect(path, -EPERM, " 0757) above ");
	snprintf(want, sizeof(want), "is writable by others; only root may "
		 "write a config file and the directories above it (group "
		 "root may too, as for sudoers); fix: chmod o-w %s", sub);
	expect(path, -EPERM, want);

	/* a directory above the one holding the file counts as well */
	ck_assert_int_eq(chmod(dir, 0757), 0);
	snprintf(want, sizeof(want), "fix: chmod o-w %s", dir);
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
	snprintf(target, sizeof(target), "%s", make_file("w.conf", 0646));
	ck_assert_int_eq(symlink(target, in_dir("tow.conf")), 0);
	expect(in_dir("tow.conf"), -EPERM, "writable by others");
	ck_assert_msg(strstr(why, target), "'%s' does not name %s", why,
		      target);
	/* a dangling link */
	ck_assert_int_eq(symlink("nowhere", in_dir("dangling.conf")), 0);
	expect(in_dir("dangling.conf"), -ENOENT, "cannot check");
}
END_TEST

START_TEST(short_buffer)
{
	char small[8];
	const char *path = make_file("w.conf", 0646);

	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(filesafe_check(path, small, sizeof(small)), -EPERM);
	ck_assert_int_eq(strlen(small), 7);   /* cut, NUL-terminated */
	ck_assert_int_eq(strncmp(small, "'", 1), 0);
	ck_assert_int_eq(filesafe_check(path, NULL, 0), -EPERM);
	ck_assert_int_eq(filesafe_check(make_file("ok.conf", 0600), NULL, 0), 0);
}
END_TEST

/* As root: a file or directory owned by someone else is refused even with
 * no write bit for anyone but its owner. */
START_TEST(foreign_owner)
{
	char path[PATH_MAX + 64], want[2 * PATH_MAX + 96];
	const char *file = make_file("nobody.conf", 0644);
	const char *sub;

	if (geteuid() != 0) {
		fprintf(stderr, "test_filesafe: foreign_owner needs root: "
			"skipped\n");
		return;
	}
	ck_assert_int_eq(chown(file, NOBODY, 0), 0);
	snprintf(want, sizeof(want), "'%s' (nobody:root 0644) is owned by "
		 "'nobody' (uid 65534), not by root; ", file);
	expect(file, -EPERM, want);
	snprintf(want, sizeof(want), "; fix: chown root:root %s", file);
	expect(file, -EPERM, want);
	ck_assert_int_eq(chmod(file, 0664), 0);
	snprintf(want, sizeof(want), "; fix: chown root:root %s && chmod g-w "
		 "%s", file, file);
	expect(file, -EPERM, "");
	ck_assert_msg(strstr(why, "chown root:root ") && !strstr(why, "chmod"),
		      "group root needs no chmod: %s", why);
	ck_assert_int_eq(chown(file, NOBODY, NOBODY), 0);
	expect(file, -EPERM, want);

	sub = make_dir("nobodys", 0755);
	ck_assert_int_eq(chown(sub, NOBODY, (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/x.conf", sub);
	ck_assert_int_eq(close(creat(path, 0600)), 0);
	snprintf(want, sizeof(want), "directory '%s' (nobody:", sub);
	expect(path, -EPERM, want);
	expect(path, -EPERM, "is owned by 'nobody' (uid 65534), not by root;");
}
END_TEST

/* As root: a user who cannot enter a directory above the file (nobody and
 * /root, 0700) is told which directory, its owner and mode, and what to
 * do; the file itself was reachable through the working directory. */
START_TEST(cannot_enter)
{
	char want[PATH_MAX + 256];
	const char *closed = make_dir("closed", 0700);
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fprintf(stderr, "test_filesafe: cannot_enter needs root: "
			"skipped\n");
		return;
	}
	ck_assert_int_eq(close(creat(in_dir("closed/x.conf"), 0644)), 0);
	snprintf(want, sizeof(want), "cannot check 'x.conf' (Permission "
		 "denied): directory '%s' (root:root 0700) cannot be entered "
		 "by user 'nobody' (uid 65534); run as root, or use a copy",
		 closed);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r = -1;

		if (chdir(closed) == 0 && setgid(NOBODY) == 0 &&
		    setuid(NOBODY) == 0)
			r = filesafe_check("x.conf", why, sizeof(why));
		if (r != -EACCES || !strstr(why, want)) {
			fprintf(stderr, "cannot_enter: got %d '%s'\n", r, why);
			_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "want: %s", want);
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
	tcase_add_test(tc, writable_by_group);
	tcase_add_test(tc, writable_by_others);
	tcase_add_test(tc, fix_quotes_path);
	tcase_add_test(tc, root_group_writable);
	tcase_add_test(tc, not_regular);
	tcase_add_test(tc, missing);
	tcase_add_test(tc, writable_directory);
	tcase_add_test(tc, sticky_directory);
	tcase_add_test(tc, symlinks);
	tcase_add_test(tc, short_buffer);
	tcase_add_test(tc, foreign_owner);
	tcase_add_test(tc, cannot_enter);
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
	failed = check_run_runner(sr);
	nftw(run_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
