/* daemon_state.c - the config files of the state directory (STATE_DIR,
 * the control socket's directory, /run/segmentd):
 *
 *   load/      the stage of the load in progress: every file it read, as
 *              it read them (include/source.h), under its absolute path;
 *   applied/   the stage of the config enforced now (renamed from load/
 *              after the apply), with .main naming its main file;
 *   rollback/  while a `reload --confirm` waits: the applied/ of before,
 *              with the deadline, so that a daemon that dies inside the
 *              window still reverts when it starts again.
 *
 * One parse per load: what is parsed, hashed (the model's files_sha256)
 * and kept here are the same bytes.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_internal.h"
#include "log.h"
#include "policy.h"

static void state_path(const struct daemon *d, const char *dir,
		       const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", d->state_dir, dir, rel ? "/" : "",
		 rel ? rel : "");
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void tree_remove(const char *dir)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void stage_drop(struct daemon *d)
{
	char p[512];

	state_path(d, "load", NULL, p, sizeof(p));
	tree_remove(p);
}

int daemon_load(struct daemon *d, const char *path, const char *root,
		struct model *m, struct ruleset *rs, struct diags *diags)
{
	char stage[512];
	struct source src;
	int err;

	state_path(d, "load", NULL, stage, sizeof(stage));
	tree_remove(stage);
	mkdir(d->state_dir, 0755);     /* the socket's own mode guards it */
	if (!d->state_dir[0] || mkdir(stage, 0700) < 0) {
		log_msg(LOG_WARNING, "cannot stage the config in %s: %s; "
			"reading it in place (no digest, no rollback copy)",
			stage, strerror(errno));
		stage[0] = '\0';
	}
	source_init(&src, root, stage[0] ? stage : NULL);
	model_init(m);
	err = policy_load_from(path, &src, time(NULL), m, rs, diags);
	source_free(&src);
	if (err) {
		model_free(m);
		stage_drop(d);
		return -EINVAL;
	}
	return 0;
}

void daemon_load_drop(struct daemon *d)
{
	stage_drop(d);
}

/* After every successful apply: the stage of its load becomes
 * STATE_DIR/applied (what a confirmed reload returns to). */
void daemon_snapshot(struct daemon *d, const char *path)
{
	char applied[512], stage[512], p[512], *abs = NULL;
	FILE *f = NULL;
	int err;

	if (!d->state_dir[0])
		return;
	state_path(d, "applied", NULL, applied, sizeof(applied));
	state_path(d, "load", NULL, stage, sizeof(stage));
	state_path(d, "applied", ".main", p, sizeof(p));
	tree_remove(applied);
	err = rename(stage, applied) < 0 ? -errno : 0;
	err = err ?: source_absolute(path, &abs);
	if (!err && !(f = fopen(p, "we")))
		err = -errno;
	if (f) {
		fprintf(f, "%s\n", abs);
		err = fclose(f) ? -errno : 0;
	}
	free(abs);
	if (err)
		log_msg(LOG_WARNING, "keeping a copy of the applied config in "
			"%s: %s (a confirmed reload cannot revert across a "
			"restart)", applied, strerror(-err));
}

void daemon_rollback_clear(struct daemon *d)
{
	char p[512];

	state_path(d, "rollback", NULL, p, sizeof(p));
	tree_remove(p);
}

int daemon_rollback_save(struct daemon *d, time_t deadline)
{
	char applied[512], p[512];
	FILE *f;

	state_path(d, "applied", NULL, applied, sizeof(applied));
	daemon_rollback_clear(d);
	state_path(d, "rollback", NULL, p, sizeof(p));
	if (rename(applied, p))
		return -errno;
	state_path(d, "rollback", "deadline", p, sizeof(p));
	f = fopen(p, "we");
	if (!f)
		return -errno;
	fprintf(f, "%lld\n", (long long)deadline);
	return fclose(f) ? -errno : 0;
}

void daemon_rollback_restore(struct daemon *d)
{
	char applied[512], p[512];

	state_path(d, "applied", NULL, applied, sizeof(applied));
	tree_remove(applied);
	state_path(d, "rollback", "deadline", p, sizeof(p));
	unlink(p);
	state_path(d, "rollback", NULL, p, sizeof(p));
	rename(p, applied);
}

/* The first line of file (without its newline) into buf; 0 or -errno. */
static int first_line(const char *file, char *buf, size_t len)
{
	FILE *f = fopen(file, "re");
	int r = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		r = -ENODATA;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return r ? r : buf[0] ? 0 : -ENODATA;
}

const char *daemon_pending_rollback(struct daemon *d, char *buf, size_t len,
				    char *root, size_t root_len)
{
	char p[512], line[32], *end;
	long long deadline;

	state_path(d, "rollback", "deadline", p, sizeof(p));
	if (first_line(p, line, sizeof(line)) < 0)
		return NULL;
	errno = 0;
	deadline = strtoll(line, &end, 10);
	if (errno || end == line)
		return NULL;
	state_path(d, "rollback", ".main", p, sizeof(p));
	if (first_line(p, buf, len) < 0)
		return NULL;
	state_path(d, "rollback", NULL, root, root_len);
	log_msg(LOG_WARNING, "a reload was not confirmed before segmentd "
		"stopped (deadline %lld): reverting to the previous config "
		"%s as saved in %s", deadline, buf, root);
	return buf;
}
