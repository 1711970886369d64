/* golden.h - golden files for the unit tests: the expected output of a
 * test lives in tests/golden/, and UPDATE_GOLDEN=1 rewrites it (review the
 * diff before committing).  Header-only: each unit test is one .c file. */
#ifndef SEGMENTD_TEST_GOLDEN_H
#define SEGMENTD_TEST_GOLDEN_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static inline char *golden_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = n < 0 ? NULL : calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Is got exactly what the golden file at path holds?  With UPDATE_GOLDEN
 * set, the file is rewritten with got first. */
static inline bool golden_matches(const char *path, const char *got)
{
	char *want;
	bool same;

	if (getenv("UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		if (!f)
			return false;
		fputs(got, f);
		if (fclose(f))
			return false;
	}
	want = golden_read(path);
	same = want && !strcmp(want, got);
	free(want);
	return same;
}

#endif
