/* log.c - priority-prefixed lines on stderr (the journal reads "<N>"). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "utf8.h"

#define LOG_LINE_MAX 4096

static bool journal;

void log_init(void)
{
	journal = getenv("JOURNAL_STREAM") != NULL;
}

/* One line whatever the text holds: control bytes (a newline in a name
 * would forge a second log line) and bytes that are not UTF-8 as \xNN.
 * Built whole and written at once: stderr is unbuffered, and a write per
 * byte costs more than the restore the line reports. */
static void put_line(const char *prefix, const char *s, size_t len)
{
	static char out[16 + LOG_LINE_MAX * 4 + 2];
	const unsigned char *p = (const unsigned char *)s;
	size_t o = (size_t)snprintf(out, 16, "%s", prefix);

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			snprintf(out + o, 5, "\\x%02x", p[i]);
			o += 4;
			n = 1;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	out[o++] = '\n';
	fwrite(out, 1, o, stderr);
}

__attribute__((format(printf, 2, 0)))
static void vlog(int priority, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX], prefix[16];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if (journal)
		snprintf(prefix, sizeof(prefix), "<%d>", priority);
	else
		snprintf(prefix, sizeof(prefix), "segmentd: ");
	put_line(prefix, buf, (size_t)n < sizeof(buf) ? (size_t)n
						      : sizeof(buf) - 1);
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
