/* source.h - the bytes of a config, read once.
 *
 * A load reads its files (the main file, what it @includes, every
 * networks_file) through a struct source, which decides where each file's
 * bytes come from and whether they are staged:
 *
 *   root   NULL: a file is read where it is; otherwise from root followed
 *          by the file's absolute path (a staged copy kept as a snapshot,
 *          e.g. the rollback of an unconfirmed reload), under its own name
 *          in every message.
 *   stage  NULL: the parse reads the file in place.  Otherwise each file is
 *          read once, hashed (SHA-256 over the bytes of every file, in the
 *          order first read) and written to stage followed by its absolute
 *          path, and the parse reads that copy.  So what is parsed, what
 *          the digest covers and what a snapshot (a rename of the stage)
 *          keeps are the same bytes, even if a file changes meanwhile.
 *
 * Includes: libconfig 1.5 reads them itself (it has no hook), relative to
 * the main file's directory; source_config() finds them first by the same
 * rule (an `@include "name"` line; nested; at most 10 levels) and stages
 * them beside the main file's copy.  An include it cannot read is left
 * for libconfig to report; one whose path climbs above / is refused.
 */
#ifndef SEGMENTD_SOURCE_H
#define SEGMENTD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

struct source {
	const char *root;      /* read from root + absolute path, or NULL */
	const char *stage;     /* copy to stage + absolute path, or NULL */
	struct sha256 sha;     /* of every staged file's bytes */
	char **staged;         /* absolute names already staged */
	size_t staged_count;
};

/* Neither root nor stage is copied: both must outlive s. */
void source_init(struct source *s, const char *root, const char *stage);
void source_free(struct source *s);

/* name as an absolute path (joined with the working directory), in *out
 * (malloc'd).  0, -ENOMEM or -errno of getcwd. */
int source_absolute(const char *name, char **out);
/* Where name's bytes are: root + its absolute path, or name itself.
 * *out malloc'd.  0 or -errno. */
int source_origin(const struct source *s, const char *name, char **out);
/* The file the parse reads for name: without a stage its origin; with
 * one, its staged copy (made now, or earlier in this load).  *out
 * malloc'd.  0, or -errno of reading the origin or writing the copy. */
int source_file(struct source *s, const char *name, char **out);
/* source_file() for a main config file, then (with a stage) every file
 * it includes, staged where libconfig will look for them: relative to the
 * directory of *out.  -ELOOP: an include climbs above /. */
int source_config(struct source *s, const char *name, char **out);
/* The digest of the staged bytes so far; false when nothing is staged. */
bool source_digest(struct source *s, uint8_t out[32]);

#endif
