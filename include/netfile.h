/* netfile.h - networks_file: a zone's networks as plain CIDR lines.
 *
 * One prefix per line ("10.0.0.0/8", "2001:db8::/32", "192.0.2.1");
 * '#' starts a comment; blank lines are skipped.  Errors are "file:line"
 * diagnostics naming the networks file.  A hand parser: 100,000 lines are
 * read in a few milliseconds.
 */
#ifndef SEGMENTD_NETFILE_H
#define SEGMENTD_NETFILE_H

#include <stddef.h>

#include "addr.h"
#include "diag.h"

#define NETFILE_MAX_BYTES (64u << 20)  /* 64 MiB: about 3 million lines */
#define NETFILE_MAX_ERRORS 20          /* then one "... more" line */

/* Appends the prefixes of text[0..len) to *items (count *count, realloc'd;
 * on error too, so the caller frees *items).  file names the diagnostics.
 * At most max prefixes are taken: the line of one more is an error and
 * ends the reading.  Returns 0, -EINVAL (diagnostics added) or -ENOMEM. */
int netfile_parse(const char *text, size_t len, const char *file, size_t max,
		  struct cidr **items, size_t *count, struct diags *d);
/* Reads from (a regular file: path itself, or a copy of it) and parses
 * it as above; path names it in the diagnostics. */
int netfile_read(const char *from, const char *path, size_t max,
		 struct cidr **items, size_t *count, struct diags *d);

#endif
