/* log.c - priority-prefixed lines on stderr (the journal reads "<N>"). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool journal;

void log_init(void)
{
	journal = getenv("JOURNAL_STREAM") != NULL;
}

__attribute__((format(printf, 2, 0)))
static void vlog(int priority, const char *fmt, va_list ap)
{
	if (journal)
		fprintf(stderr, "<%d>", priority);
	else
		fputs("segmentd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(priority, fmt, ap);
	va_end(ap);
}

void log_diags(const struct diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct diag *x = &d->items[i];
		int prio = x->severity == DIAG_ERROR ? LOG_ERR : LOG_WARNING;
		const char *sev = x->severity == DIAG_ERROR ? "error"
							    : "warning";

		if (x->file && x->line > 0)
			log_msg(prio, "%s:%d: %s: %s", x->file, x->line, sev,
				x->message);
		else if (x->file)
			log_msg(prio, "%s: %s: %s", x->file, sev, x->message);
		else
			log_msg(prio, "%s: %s", sev, x->message);
	}
}
