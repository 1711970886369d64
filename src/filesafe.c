/* filesafe.c - refuse a config file that someone other than root could
 * have written (the rules are in filesafe.h). */
#include <errno.h>
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

#define NAME_MAX_TEXT 96   /* "'a-user-name' (uid 4294967295)" */

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

/* "'nobody' (uid 65534)", or "uid 65534" when it has no name. */
static void user_text(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (!getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) && found)
		snprintf(buf, len, "'%s' (uid %u)", pw.pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

/* "'staff'", or "gid 50" when it has no name. */
static void group_text(gid_t gid, char *buf, size_t len)
{
	struct group gr, *found = NULL;
	char scratch[4096];

	if (!getgrgid_r(gid, &gr, scratch, sizeof(scratch), &found) && found)
		snprintf(buf, len, "'%s'", gr.gr_name);
	else
		snprintf(buf, len, "gid %u", (unsigned)gid);
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

/* Owner and write bits of one file or directory; what prefixes the
 * reason: "" for the config file, "directory '/x' is " for a directory. */
static int check_owner_mode(const struct stat *st, const char *what,
			    char *why, size_t len)
{
	char name[NAME_MAX_TEXT];

	if (!trusted(st->st_uid)) {
		user_text(st->st_uid, name, sizeof(name));
		return say(why, len, -EPERM, "%sowned by %s, not by root%s",
			   what, name, geteuid() ? " or this user" : "");
	}
	/* sticky: the others cannot rename or remove what they do not own */
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return 0;
	if (st->st_mode & S_IWGRP) {
		group_text(st->st_gid, name, sizeof(name));
		return say(why, len, -EPERM, "%swritable by group %s", what,
			   name);
	}
	if (st->st_mode & S_IWOTH)
		return say(why, len, -EPERM, "%swritable by others", what);
	return 0;
}

/* Every directory above path (absolute), up to and including "/". */
static int check_parents(const char *path, char *why, size_t len)
{
	char dir[PATH_MAX], what[PATH_MAX + 32];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return say(why, len, -ENAMETOOLONG, "cannot check: %s",
			   strerror(ENAMETOOLONG));
	while ((slash = strrchr(dir, '/'))) {
		int err;

		slash[slash == dir] = '\0';     /* "/etc" -> "/", keep the root */
		if (stat(dir, &st))
			return say(why, len, -errno, "cannot check directory "
				   "'%s': %s", dir, strerror(errno));
		snprintf(what, sizeof(what), "directory '%s' is ", dir);
		err = check_owner_mode(&st, what, why, len);
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

int filesafe_check(const char *path, char *why, size_t len)
{
	char *real = realpath(path, NULL), *given = NULL;
	struct stat st;
	int err;

	if (!real || stat(real, &st)) {
		err = -errno;
		free(real);
		return say(why, len, err, "cannot check: %s", strerror(-err));
	}
	if (!S_ISREG(st.st_mode))
		err = say(why, len, -EPERM, "not a regular file (%s)",
			  kind_name(st.st_mode));
	else
		err = check_owner_mode(&st, "", why, len);
	if (!err)
		err = check_parents(real, why, len);
	/* a link: whoever can write where it lies can point it elsewhere */
	if (!err) {
		given = absolute(path);
		if (!given)
			err = say(why, len, -ENOMEM, "cannot check: %s",
				  strerror(ENOMEM));
		else if (strcmp(given, real))
			err = check_parents(given, why, len);
	}
	free(given);
	free(real);
	return err;
}
