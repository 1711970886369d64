/* filesafe.c - refuse a config file that someone other than root could
 * have written (the rule is in filesafe.h).  Every refusal names the
 * path, its owner:group and mode, the rule and the command that fixes it. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filesafe.h"

#define RULE "only root may write a config file and the directories above " \
	"it (group root may too, as for sudoers)"

__attribute__((format(printf, 4, 5)))
static int say(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return err;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

static bool trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* name, or the number id when the lookup found no name. */
static void name_or_id(const char *name, unsigned id, char *buf, size_t len)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", id);
}

/* The user's name, or its number when it has none. */
static void user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];
	int r = getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found);

	name_or_id(!r && found ? pw.pw_name : NULL, (unsigned)uid, buf, len);
}

static void group_name(gid_t gid, char *buf, size_t len)
{
	struct group gr, *found = NULL;
	char scratch[4096];
	int r = getgrgid_r(gid, &gr, scratch, sizeof(scratch), &found);

	name_or_id(!r && found ? gr.gr_name : NULL, (unsigned)gid, buf, len);
}

/* "root:root 0664" */
static void owner_mode(const struct stat *st, char *buf, size_t len)
{
	char user[64], group[64];

	user_name(st->st_uid, user, sizeof(user));
	group_name(st->st_gid, group, sizeof(group));
	snprintf(buf, len, "%s:%s %04o", user, group,
		 (unsigned)(st->st_mode & 07777));
}

/* path as one shell word: as it is when it is plain, else in quotes. */
static void shell_word(const char *path, char *buf, size_t len)
{
	const char *plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_./+-,:@%=";
	size_t out = 0;

	if (*path && strspn(path, plain) == strlen(path)) {
		snprintf(buf, len, "%s", path);
		return;
	}
	buf[out++] = '\'';
	for (const char *p = path; *p && out + 6 < len; p++) {
		if (*p == '\'') {
			memcpy(buf + out, "'\\''", 4);
			out += 4;
		} else {
			buf[out++] = *p;
		}
	}
	buf[out++] = '\'';
	buf[out] = '\0';
}

static const char *kind_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "of an unknown kind";
}

/* The chmod that takes the write bits away, or NULL when none is needed. */
static const char *chmod_needed(bool group, bool others)
{
	if (group && others)
		return "chmod go-w";
	if (group)
		return "chmod g-w";
	return others ? "chmod o-w" : NULL;
}

/* What is wrong with one file or directory ("owned by 'nobody' (uid
 * 65534), not by root", "writable by group 'staff' and by others") and
 * the command that fixes it; false when nothing is. */
static bool owner_mode_problem(const struct stat *st, const char *path,
			       char *problem, size_t plen, char *fix, size_t flen)
{
	bool owner = !trusted(st->st_uid);
	bool group = (st->st_mode & S_IWGRP) && st->st_gid != 0;
	bool others = (st->st_mode & S_IWOTH) != 0;
	char name[64], word[PATH_MAX + 16];
	const char *chmod_cmd;

	/* sticky: the others cannot rename or remove what they do not own */
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		group = others = false;
	if (!owner && !group && !others)
		return false;
	if (owner)
		user_name(st->st_uid, name, sizeof(name));
	else
		group_name(st->st_gid, name, sizeof(name));
	if (owner)
		snprintf(problem, plen, "owned by '%s' (uid %u), not by root%s",
			 name, (unsigned)st->st_uid,
			 geteuid() ? " or this user" : "");
	else if (group)
		snprintf(problem, plen, "writable by group '%s'%s", name,
			 others ? " and by others" : "");
	else
		snprintf(problem, plen, "writable by others");

	shell_word(path, word, sizeof(word));
	chmod_cmd = chmod_needed(group, others);
	if (owner && chmod_cmd)
		snprintf(fix, flen, "chown root:root %s && %s %s", word,
			 chmod_cmd, word);
	else if (owner)
		snprintf(fix, flen, "chown root:root %s", word);
	else
		snprintf(fix, flen, "%s %s", chmod_cmd, word);
	return true;
}

/* The refusal of one file (dir NULL) or of a directory above it. */
static int refuse(const struct stat *st, const char *path, const char *file,
		  char *why, size_t len)
{
	char problem[128], fix[2 * PATH_MAX + 64], om[160];

	if (!owner_mode_problem(st, path, problem, sizeof(problem), fix,
				sizeof(fix)))
		return 0;
	owner_mode(st, om, sizeof(om));
	if (!file)
		return say(why, len, -EPERM, "'%s' (%s) is %s; " RULE
			   "; fix: %s", path, om, problem, fix);
	return say(why, len, -EPERM, "directory '%s' (%s) above '%s' is %s; "
		   RULE "; fix: %s", path, om, file, problem, fix);
}

/* Every directory above path (absolute), up to and including "/". */
static int check_parents(const char *path, char *why, size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return say(why, len, -ENAMETOOLONG, "cannot check '%s': %s",
			   path, strerror(ENAMETOOLONG));
	while ((slash = strrchr(dir, '/'))) {
		int err;

		slash[slash == dir] = '\0';     /* "/etc" -> "/", keep the root */
		if (stat(dir, &st))
			return say(why, len, -errno, "cannot check directory "
				   "'%s' above '%s': %s", dir, path,
				   strerror(errno));
		err = refuse(&st, dir, path, why, len);
		if (err || strcmp(dir, "/") == 0)
			return err;
	}
	return 0;
}

/* path as an absolute path, without resolving links (malloc'd). */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) ||
	    asprintf(&out, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0)
		return NULL;
	return out;
}

/* The file could not be resolved: say which directory stopped us, with
 * its owner and mode (a user that cannot enter /root, mode 0700, is the
 * usual case), or else why. */
static int cannot_check(const char *path, int err, char *why, size_t len)
{
	char *given = path[0] ? absolute(path) : NULL, *slash, om[160];
	char user[64];
	struct stat st;
	int r;

	if (!given)
		return say(why, len, err, "cannot check '%s': %s", path,
			   strerror(-err));
	for (slash = strchr(given + 1, '/'); slash && err == -EACCES;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (faccessat(AT_FDCWD, given, X_OK, AT_EACCESS) == 0) {
			*slash = '/';
			continue;
		}
		if (stat(given, &st))
			break;
		owner_mode(&st, om, sizeof(om));
		user_name(geteuid(), user, sizeof(user));
		r = say(why, len, err, "cannot check '%s' (%s): directory "
			"'%s' (%s) cannot be entered by user '%s' (uid %u); "
			"run as root, or use a copy of the config where this "
			"user can read it and every directory above it",
			path, strerror(-err), given, om, user,
			(unsigned)geteuid());
		free(given);
		return r;
	}
	free(given);
	return say(why, len, err, "cannot check '%s': %s", path,
		   strerror(-err));
}

int filesafe_check(const char *path, char *why, size_t len)
{
	char *real = realpath(path, NULL), *given = NULL;
	struct stat st;
	int err;

	if (!real || stat(real, &st)) {
		err = -errno;
		free(real);
		return cannot_check(path, err, why, len);
	}
	if (!S_ISREG(st.st_mode))
		err = say(why, len, -EPERM, "'%s' is not a regular file (%s); "
			  "a config must be one", real, kind_name(st.st_mode));
	else
		err = refuse(&st, real, NULL, why, len);
	if (!err)
		err = check_parents(real, why, len);
	/* a link: whoever can write where it lies can point it elsewhere */
	if (!err) {
		given = absolute(path);
		if (!given)
			err = say(why, len, -ENOMEM, "cannot check '%s': %s",
				  path, strerror(ENOMEM));
		else if (strcmp(given, real))
			err = check_parents(given, why, len);
	}
	free(given);
	free(real);
	return err;
}
