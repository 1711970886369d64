/* diag.h - collected diagnostics: every problem as "file:line: message".
 *
 * The load wing never prints: it appends to a struct diags and the caller
 * decides how to show them.  Errors make a config invalid, warnings do not.
 */
#ifndef SEGMENTD_DIAG_H
#define SEGMENTD_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_SEVERITY_MAX };

struct diag {
	enum diag_severity severity;
	char *file;     /* may be NULL (no file: command line, kernel) */
	int line;       /* 0 when unknown */
	char *message;  /* no trailing newline, values quoted as '%s' */
};

struct diags {
	struct diag *items;
	size_t count, capacity;
	int errors, warnings;
	size_t lost;             /* diagnostics not recorded (out of memory) */
};

void diags_init(struct diags *d);
void diags_free(struct diags *d);
/* Appends one diagnostic; on allocation failure the message is dropped but
 * the error count still rises, so a config can never look valid by OOM. */
__attribute__((format(printf, 5, 6)))
void diags_add(struct diags *d, enum diag_severity sev, const char *file,
	       int line, const char *fmt, ...);
/* Prints "file:line: error: message" lines, in the order they were added. */
void diags_print(const struct diags *d, FILE *out);

#endif
