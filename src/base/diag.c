/* diag.c - collecting "file:line: message" diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void diags_free(struct diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	diags_init(d);
}

void diags_add(struct diags *d, enum diag_severity sev, const char *file,
	       int line, const char *fmt, ...)
{
	struct diag *item;
	va_list ap;
	char *msg = NULL;

	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->count == d->capacity) {
		size_t cap = d->capacity ? d->capacity * 2 : 16;
		struct diag *items = realloc(d->items, cap * sizeof(*items));

		if (!items) {
			d->lost++;
			return;
		}
		d->items = items;
		d->capacity = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg) {
		d->lost++;
		return;
	}
	item = &d->items[d->count++];
	item->severity = sev;
	item->file = file ? strdup(file) : NULL;
	item->line = line;
	item->message = msg;
}

void diags_print(const struct diags *d, FILE *out)
{
	static const char *const names[DIAG_SEVERITY_MAX] = {
		[DIAG_ERROR] = "error", [DIAG_WARNING] = "warning",
	};

	for (size_t i = 0; i < d->count; i++) {
		const struct diag *x = &d->items[i];

		if (x->file && x->line > 0)
			fprintf(out, "%s:%d: %s: %s\n", x->file, x->line,
				names[x->severity], x->message);
		else if (x->file)
			fprintf(out, "%s: %s: %s\n", x->file,
				names[x->severity], x->message);
		else
			fprintf(out, "segmentd: %s: %s\n",
				names[x->severity], x->message);
	}
	if (d->lost)   /* no allocation here: the memory ran out */
		fprintf(out, "segmentd: error: out of memory: %zu more "
			"message(s) could not be recorded\n", d->lost);
}
