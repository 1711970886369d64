/* source.c - the bytes of a config, read once (include/source.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

#define INCLUDE_DEPTH_MAX 10   /* libconfig 1.5's own limit */

void source_init(struct source *s, const char *root, const char *stage)
{
	memset(s, 0, sizeof(*s));
	s->root = root;
	s->stage = stage;
	sha256_init(&s->sha);
}

void source_free(struct source *s)
{
	while (s->staged_count)
		free(s->staged[--s->staged_count]);
	free(s->staged);
	s->staged = NULL;
}

int source_absolute(const char *name, char **out)
{
	char *cwd;
	int r;

	*out = NULL;
	if (name[0] == '/') {
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return errno ? -errno : -ENOENT;
	r = asprintf(out, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", name);
	free(cwd);
	if (r < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* abs with "." and ".." resolved by their text (as they resolve in a
 * stage, which holds no symbolic link) and no double slash; -ELOOP when
 * ".." climbs above /. */
static int normalize(const char *abs, char **out)
{
	char *buf = malloc(strlen(abs) + 2);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	for (const char *p = abs; *p; ) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0) {
				free(buf);
				return -ELOOP;
			}
			while (buf[--len] != '/')
				;
		} else {
			buf[len++] = '/';
			memcpy(buf + len, p, n);
			len += n;
		}
		p += n;
	}
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The absolute, normalised form of name: what a stage files it under. */
static int key_of(const char *name, char **key)
{
	char *abs = NULL;
	int r = source_absolute(name, &abs);

	if (r < 0 || !abs)
		return r < 0 ? r : -ENOMEM;
	r = normalize(abs, key);
	free(abs);
	return r;
}

int source_origin(const struct source *s, const char *name, char **out)
{
	char *key = NULL;
	int r;

	*out = NULL;
	if (!s || !s->root) {
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	r = key_of(name, &key);
	if (r < 0)
		return r;
	r = asprintf(out, "%s%s", s->root, key);
	free(key);
	if (r < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Every directory of path's parent, made 0700 where missing. */
static int mkdirs(const char *path)
{
	char *p = strdup(path), *slash;
	int r = 0;

	if (!p)
		return -ENOMEM;
	slash = strrchr(p, '/');
	if (slash)
		*slash = '\0';
	for (char *c = p + 1; slash && !r; c++) {
		if (*c != '/' && *c)
			continue;
		char was = *c;

		*c = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			r = -errno;
		*c = was;
		if (!was)
			break;
	}
	free(p);
	return r;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* from's bytes into a new file to (0600), and into sha. */
static int copy_hashed(const char *from, const char *to, struct sha256 *sha)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY), out, r = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		   0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while (!r && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			r = errno == EINTR ? 0 : -errno;
			continue;
		}
		sha256_update(sha, buf, (size_t)n);
		r = write_all(out, buf, (size_t)n);
	}
	close(in);
	if (close(out) < 0 && !r)
		r = -errno;
	return r;
}

static bool staged(const struct source *s, const char *key)
{
	for (size_t i = 0; i < s->staged_count; i++)
		if (strcmp(s->staged[i], key) == 0)
			return true;
	return false;
}

static int stage_new(struct source *s, const char *name, const char *key,
		     const char *to)
{
	char *from = NULL, **v;
	int r = s->root ? source_origin(s, name, &from) : 0;

	if (r < 0)
		return r;
	v = realloc(s->staged, (s->staged_count + 1) * sizeof(*v));
	if (!v) {
		free(from);
		return -ENOMEM;
	}
	s->staged = v;
	r = copy_hashed(from ? from : name, to, &s->sha);
	free(from);
	if (r < 0)
		return r;
	s->staged[s->staged_count] = strdup(key);
	if (!s->staged[s->staged_count])
		return -ENOMEM;
	s->staged_count++;
	return 0;
}

int source_file(struct source *s, const char *name, char **out)
{
	char *key = NULL, *abs = NULL, *raw = NULL;
	int r;

	*out = NULL;
	if (!s->stage)
		return source_origin(s, name, out);
	r = key_of(name, &key);
	r = r ?: source_absolute(name, &abs);
	/* the directories along name as written: libconfig resolves an
	 * include's ".." through them */
	if (!r && asprintf(&raw, "%s%s", s->stage, abs) < 0) {
		raw = NULL;
		r = -ENOMEM;
	}
	r = r ?: mkdirs(raw);
	if (!r && !staged(s, key))
		r = stage_new(s, name, key, raw);
	if (!r && asprintf(out, "%s%s", s->stage, key) < 0) {
		*out = NULL;
		r = -ENOMEM;
	}
	free(key);
	free(abs);
	free(raw);
	return r;
}

/* The name of an `@include "name"` line, as libconfig's scanner sees one
 * (at the line's start after blanks; then blanks; the name in quotes), or
 * NULL. */
static char *include_name(char *line)
{
	char *p = line + strspn(line, " \t"), *end;

	if (strncmp(p, "@include", 8) || !strchr(" \t", p[8]) || !p[8])
		return NULL;
	p += 8 + strspn(p + 8, " \t");
	if (*p != '"' || !(end = strchr(p + 1, '"')))
		return NULL;
	*end = '\0';
	return p + 1;
}

/* Stages what the copy at path includes, relative to dir (the display
 * directory of the main file, or NULL). */
static int stage_includes(struct source *s, const char *path, const char *dir,
			  int depth)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *name, *inc, *copy = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	while (r != -ENOMEM && r != -ELOOP && getline(&line, &cap, f) > 0) {
		name = include_name(line);
		if (!name || name[0] == '/')
			continue;     /* absolute: libconfig refuses it */
		if (dir ? asprintf(&inc, "%s/%s", dir, name) < 0
			: !(inc = strdup(name))) {
			r = -ENOMEM;
			break;
		}
		r = source_file(s, inc, &copy);
		free(inc);
		if (r < 0)
			continue;     /* unreadable: libconfig says so */
		if (depth < INCLUDE_DEPTH_MAX)
			r = stage_includes(s, copy, dir, depth + 1);
		free(copy);
	}
	free(line);
	fclose(f);
	return r == -ENOMEM || r == -ELOOP ? r : 0;
}

int source_config(struct source *s, const char *name, char **out)
{
	const char *slash = strrchr(name, '/');
	char *dir = NULL;
	int r = source_file(s, name, out);

	if (r < 0 || !s->stage)
		return r;
	if (slash && !(dir = strndup(name, slash == name ? 1 :
				     (size_t)(slash - name))))
		r = -ENOMEM;
	r = r ?: stage_includes(s, *out, dir, 1);
	free(dir);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

bool source_digest(struct source *s, uint8_t out[32])
{
	struct sha256 copy = s->sha;

	if (!s->staged_count)
		return false;
	sha256_final(&copy, out);
	return true;
}
