/* netfile.c - read a networks_file: plain CIDR lines (see netfile.h).
 *
 * No libconfig here: a 100,000-line list costs libconfig a setting, a
 * string and a line record per element.  The file is read whole, each line
 * trimmed of comments and blanks and handed to cidr_parse_explain().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "netfile.h"

#define TOKEN_MAX 64

struct netfile {
	const char *file;
	struct cidr *items;
	size_t count, capacity;
	size_t first, limit;       /* count starts at first, stays <= limit */
	struct diags *d;
	size_t errors;
};

static int grow(struct netfile *nf)   /* one more item */
{
	return array_grow((void **)&nf->items, &nf->capacity, nf->count,
			  sizeof(*nf->items), 1024);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* Printable copy of a bad token for a message (control bytes as '?'). */
static void clip(const char *p, size_t n, char out[TOKEN_MAX])
{
	size_t k = n < TOKEN_MAX - 4 ? n : TOKEN_MAX - 4;

	for (size_t i = 0; i < k; i++)
		out[i] = (unsigned char)p[i] < ' ' || p[i] == 0x7f ? '?' : p[i];
	strcpy(out + k, n > k ? "..." : "");
}

__attribute__((format(printf, 3, 4)))
static void error(struct netfile *nf, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (++nf->errors > NETFILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(nf->d, DIAG_ERROR, nf->file, line, "%s", msg);
}

/* One trimmed, non-empty token of line `line`. */
static void token(struct netfile *nf, const char *p, size_t n, int line)
{
	char text[TOKEN_MAX], shown[TOKEN_MAX], fixed[TOKEN_MAX];
	const char *why = "not an IPv4 or IPv6 address";
	struct cidr *c = &nf->items[nf->count];

	if (n < sizeof(text) && !memchr(p, '\0', n)) {
		memcpy(text, p, n);
		text[n] = '\0';
		if (cidr_parse_explain(text, c, &why) == 0) {
			c->line = line;
			nf->count++;
			return;
		}
	}
	/* not a network: say why */
	clip(p, n, shown);
	for (size_t i = 0; i < n; i++)
		if (is_blank(p[i]) || p[i] == '\0') {
			error(nf, line, "'%s': one network per line", shown);
			return;
		}
	if (n == 3 && memcmp(p, "any", 3) == 0) {
		error(nf, line, "'%s' is not allowed in a networks file: "
		      "write networks = [\"any\"] in the zone", shown);
		return;
	}
	if (why && strcmp(why, "host bits set") == 0) {
		cidr_format(c, fixed, sizeof(fixed));
		error(nf, line, "invalid network '%s': host bits set "
		      "(did you mean '%s'?)", shown, fixed);
		return;
	}
	error(nf, line, "invalid network '%s': %s", shown, why);
}

/* The line [p, end): everything from '#' on is a comment. */
static int one_line(struct netfile *nf, const char *p, const char *end,
		    int line)
{
	const char *hash = memchr(p, '#', (size_t)(end - p));

	if (hash)
		end = hash;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p == end)
		return 0;
	if (nf->count >= nf->limit) {
		diags_add(nf->d, DIAG_ERROR, nf->file, line, "one network "
			  "more than the %zu this file may add (the limit of "
			  "networks of all zones together, see "
			  "segmentd.conf(5) LIMITS)", nf->limit - nf->first);
		return -E2BIG;
	}
	if (grow(nf) < 0)
		return -ENOMEM;
	token(nf, p, (size_t)(end - p), line);
	return 0;
}

int netfile_parse(const char *text, size_t len, const char *file, size_t max,
		  struct cidr **items, size_t *count, struct diags *d)
{
	struct netfile nf = { .file = file, .items = *items, .count = *count,
			      .capacity = *count, .d = d, .first = *count,
			      .limit = *count + max < *count ? SIZE_MAX :
				       *count + max };
	const char *p = text, *end = text + len;
	size_t lines = 1;
	int line = 1, r = 0;

	/* room for a network a line (up to the limit) in one allocation */
	for (const char *q = p; q && q < end &&
	     (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	if (array_reserve((void **)&nf.items, &nf.capacity, nf.count,
			  lines < max ? lines : max, sizeof(*nf.items)) < 0)
		return -ENOMEM;
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;

		r = one_line(&nf, p, stop, line++);
		p = stop + 1;
	}
	*items = nf.items;
	*count = nf.count;
	if (r == -E2BIG)
		return -EINVAL;
	if (r < 0)
		return r;
	if (nf.errors > NETFILE_MAX_ERRORS)
		diags_add(d, DIAG_ERROR, file, 0, "%zu more invalid lines not "
			  "shown", nf.errors - NETFILE_MAX_ERRORS);
	return nf.errors ? -EINVAL : 0;
}

/* The whole of fd into a malloc'd buffer; *len its size. */
static int slurp(int fd, const struct stat *st, char **out, size_t *len)
{
	size_t size = (size_t)st->st_size, got = 0;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return -ENOMEM;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

static int open_regular(const char *from, const char *path, struct stat *st,
			struct diags *d)
{
	int fd = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		diags_add(d, DIAG_ERROR, path, 0, "cannot open networks file: "
			  "%s", strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		diags_add(d, DIAG_ERROR, path, 0, "networks file: not a "
			  "regular file");
		close(fd);
		return -EINVAL;
	}
	if ((unsigned long long)st->st_size > NETFILE_MAX_BYTES) {
		diags_add(d, DIAG_ERROR, path, 0, "networks file: %lld bytes, "
			  "at most %u", (long long)st->st_size,
			  NETFILE_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int netfile_read(const char *from, const char *path, size_t max,
		 struct cidr **items, size_t *count, struct diags *d)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = open_regular(from, path, &st, d), r;

	if (fd < 0)
		return fd;
	r = slurp(fd, &st, &buf, &len);
	close(fd);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		diags_add(d, DIAG_ERROR, path, 0, "cannot read networks file: "
			  "%s", strerror(-r));
		return -EINVAL;
	}
	r = netfile_parse(buf, len, path, max, items, count, d);
	free(buf);
	return r;
}
