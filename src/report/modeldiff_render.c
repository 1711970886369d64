/* modeldiff_render.c - the report of model_diff() as text (lines wrapped
 * at MODEL_DIFF_WIDTH columns, wide characters counting two) or as JSON.
 * The writers only write what the comparison put in the report.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "modeldiff_internal.h"

#define CONT_INDENT 4      /* continuation lines of a wrapped line */

/* ---- the sections: titles, keys, marks ---- */

enum section_kind {
	SK_OBJECTS,    /* whole objects: added, removed, consequences */
	SK_CHANGED,    /* an object's fields, before -> after */
	SK_SETTINGS,   /* one field each */
};

/* The JSON objects of the consequences (S_ISOLATED on) carry their text
 * line too. */
struct section_def {
	const char *title, *key, *mark;
	enum section_kind kind;
};

static const struct section_def sections[S_MAX] = {
	[S_FLOWS_ADDED] = { "Flows added", "flows_added", "+ ", SK_OBJECTS },
	[S_FLOWS_REMOVED] = { "Flows removed", "flows_removed", "- ",
			      SK_OBJECTS },
	[S_FLOWS_CHANGED] = { "Flows changed", "flows_changed", "~ ",
			      SK_CHANGED },
	[S_ZONES_ADDED] = { "Zones added", "zones_added", "+ ", SK_OBJECTS },
	[S_ZONES_REMOVED] = { "Zones removed", "zones_removed", "- ",
			      SK_OBJECTS },
	[S_ZONES_CHANGED] = { "Zones changed", "zones_changed", "~ ",
			      SK_CHANGED },
	[S_HOSTS_ADDED] = { "Hosts added", "hosts_added", "+ ", SK_OBJECTS },
	[S_HOSTS_REMOVED] = { "Hosts removed", "hosts_removed", "- ",
			      SK_OBJECTS },
	[S_HOSTS_CHANGED] = { "Hosts changed", "hosts_changed", "~ ",
			      SK_CHANGED },
	[S_MGMT_ADDED] = { "Management added", "management_added", "+ ",
			   SK_OBJECTS },
	[S_MGMT_REMOVED] = { "Management removed", "management_removed", "- ",
			     SK_OBJECTS },
	[S_SETTINGS] = { "Settings changed", "settings_changed", "",
			 SK_SETTINGS },
	[S_ISOLATED] = { "Isolated-zone exceptions", "isolated_exceptions",
			 "! ", SK_OBJECTS },
	[S_NOTABLE] = { "Notable", "notable", "* ", SK_OBJECTS },
};

/* ---- text ---- */

/* The UTF-8 character at s: its length in bytes (an invalid byte is one
 * character) and its width in columns (East Asian wide: 2). */
static size_t utf8_char(const char *s, unsigned int *width)
{
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};
	const unsigned char *u = (const unsigned char *)s;
	size_t len = u[0] >= 0xf0 && u[0] < 0xf8 ? 4 : u[0] >= 0xe0 ? 3 :
		     u[0] >= 0xc0 ? 2 : 1;
	uint32_t cp = len == 1 ? u[0] : u[0] & (0x7f >> len);

	*width = 1;
	if (u[0] >= 0xf8)
		return 1;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 1;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			*width = 2;
	return len;
}

/* Writes text at indent, wrapped on spaces at MODEL_DIFF_WIDTH columns,
 * continuation lines CONT_INDENT deeper; a word longer than a line is cut
 * between characters. */
static void emit(FILE *out, unsigned int indent, const char *text)
{
	const unsigned int cont = indent + CONT_INDENT;
	unsigned int col = indent;
	bool empty = true;          /* nothing on this line after the indent */

	fprintf(out, "%*s", (int)indent, "");
	while (*text) {
		const char *word = text;
		unsigned int w = 0, cw;

		if (*text == ' ') {
			text++;
			continue;
		}
		while (*text && *text != ' ')
			text += utf8_char(text, &cw), w += cw;
		if (!empty && col + 1 + w > MODEL_DIFF_WIDTH) {
			fprintf(out, "\n%*s", (int)cont, "");
			col = cont;
			empty = true;
		}
		if (!empty)
			fputc(' ', out), col++;
		while (word < text) {
			size_t n = utf8_char(word, &cw);

			if (!empty && col + cw > MODEL_DIFF_WIDTH) {
				fprintf(out, "\n%*s", (int)cont, "");
				col = cont;
			}
			fwrite(word, 1, n, out);
			word += n;
			col += cw;
			empty = false;
		}
	}
	fputc('\n', out);
}

static const char *val_str(struct pool *p, const struct val *v)
{
	switch (v->kind) {
	case VAL_WORD:
		return v->s;
	case VAL_TEXT:
		return diff_printf(p, "'%s'", v->s);
	case VAL_LIST:
		return v->l.n ? diff_list_join(p, &v->l, "") : "(none)";
	case VAL_BOOL:
		return v->num ? "true" : "false";
	case VAL_NUM:
		return diff_printf(p, "%lld", v->num);
	default:
		return "(none)";
	}
}

/* " (+a, +b; -c; widens)" or "" */
static const char *attr_notes(struct pool *p, const struct attr *a)
{
	const char *s = "";

	if (a->plus.n)
		s = diff_list_join(p, &a->plus, "+");
	if (a->minus.n)
		s = diff_printf(p, "%s%s%s", s, *s ? "; " : "",
				diff_list_join(p, &a->minus, "-"));
	if (a->note)
		s = diff_printf(p, "%s%s%s", s, *s ? "; " : "", a->note);
	return *s ? diff_printf(p, " (%s)", s) : "";
}

static const char *attr_line(struct pool *p, const struct attr *a)
{
	return diff_printf(p, "%s: %s -> %s%s", a->key, val_str(p, &a->before),
			   val_str(p, &a->after), attr_notes(p, a));
}

static void text_item(struct report *r, int s, const struct item *it,
		      FILE *out)
{
	struct pool *p = &r->pool;
	const struct section_def *def = &sections[s];

	if (def->kind == SK_OBJECTS) {
		emit(out, 2, diff_printf(p, "%s%s", def->mark, it->text));
	} else if (def->kind == SK_SETTINGS) {
		emit(out, 2, attr_line(p, &it->attrs[0]));
	} else {
		emit(out, 2, diff_printf(p, "%s%s:", def->mark, it->name));
		for (size_t i = 0; i < it->attr_count; i++)
			emit(out, 6, attr_line(p, &it->attrs[i]));
	}
}

static const char *diag_line(struct pool *p, const struct diag *x)
{
	const char *sev = x->severity == DIAG_ERROR ? "error" : "warning";

	if (x->file && x->line > 0)
		return diff_printf(p, "%s:%d: %s: %s", x->file, x->line, sev,
				   x->message);
	return diff_printf(p, "%s: %s: %s", x->file ? x->file : "segmentd",
			   sev, x->message);
}

static void text_diags(struct report *r, const struct diags *d,
		       enum diag_severity sev, FILE *out)
{
	for (size_t i = 0; d && i < d->count; i++)
		if (d->items[i].severity == sev)
			emit(out, 2, diag_line(&r->pool, &d->items[i]));
}

static const char *file_of(const struct model *m)
{
	return m->file_count && m->files[0] ? m->files[0] : "(unnamed)";
}

void diff_write_text(struct report *r, const struct diags *d, int changes,
		     FILE *out)
{
	emit(out, 0, diff_printf(&r->pool, "segmentd change review: %s -> %s",
				 file_of(r->a), file_of(r->b)));
	for (int s = 0; s < S_MAX; s++) {
		if (r->sec[s].n == 0)
			continue;
		fprintf(out, "%s:\n", sections[s].title);
		for (size_t i = 0; i < r->sec[s].n; i++)
			text_item(r, s, &r->sec[s].v[i], out);
	}
	if (d && d->warnings > 0) {
		fprintf(out, "Candidate warnings:\n");
		text_diags(r, d, DIAG_WARNING, out);
	}
	if (!d) {
		fprintf(out, "guardrails: not checked\n");
	} else if (d->errors == 0) {
		fprintf(out, "guardrails: all pass\n");
	} else {
		emit(out, 0, diff_printf(&r->pool, "guardrails: FAILED with %d "
					 "error%s: the candidate would be "
					 "refused", d->errors,
					 d->errors == 1 ? "" : "s"));
		text_diags(r, d, DIAG_ERROR, out);
	}
	if (changes == 0)
		fprintf(out, "no changes\n");
	else
		fprintf(out, "%d change%s\n", changes, changes == 1 ? "" : "s");
}

/* ---- JSON ---- */

/* The report keeps its own layout (", ", ": ", one item a line); its
 * strings go through the one escaper of json.c (valid UTF-8). */
static void json_string(FILE *out, const char *s)
{
	json_write_string(out, s, strlen(s));
}

static void json_list(FILE *out, const struct list *l)
{
	fputc('[', out);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", out);
		json_string(out, l->v[i]);
	}
	fputc(']', out);
}

static void json_val(FILE *out, const struct val *v)
{
	switch (v->kind) {
	case VAL_WORD:
	case VAL_TEXT:
		json_string(out, v->s);
		break;
	case VAL_LIST:
		json_list(out, &v->l);
		break;
	case VAL_BOOL:
		fputs(v->num ? "true" : "false", out);
		break;
	case VAL_NUM:
		fprintf(out, "%lld", v->num);
		break;
	default:
		fputs("null", out);
	}
}

/* "key": value, with a separator before all but the first of an object */
static void json_member(FILE *out, bool *first, const char *key)
{
	fputs(*first ? "" : ", ", out);
	*first = false;
	json_string(out, key);
	fputs(": ", out);
}

static void json_change(FILE *out, bool *first, const struct attr *a)
{
	json_member(out, first, "old");
	json_val(out, &a->before);
	json_member(out, first, "new");
	json_val(out, &a->after);
	if (a->before.kind == VAL_LIST && a->after.kind == VAL_LIST) {
		json_member(out, first, "added");
		json_list(out, &a->plus);
		json_member(out, first, "removed");
		json_list(out, &a->minus);
	}
	if (a->note) {
		json_member(out, first, "note");
		json_string(out, a->note);
	}
}

/* An item's fields: "key": value of objects, "changes": [...] of changed
 * objects. */
static void json_fields(enum section_kind kind, const struct item *it,
			bool *first, FILE *out)
{
	if (kind == SK_CHANGED)
		json_member(out, first, "changes"), fputc('[', out);
	for (size_t i = 0; i < it->attr_count; i++) {
		const struct attr *a = &it->attrs[i];
		bool inner = true;

		if (kind == SK_OBJECTS) {
			json_member(out, first, a->key);
			json_val(out, &a->after);
			continue;
		}
		fputs(i ? ", {" : "{", out);
		json_member(out, &inner, "field");
		json_string(out, a->key);
		json_change(out, &inner, a);
		fputc('}', out);
	}
	if (kind == SK_CHANGED)
		fputc(']', out);
}

static void json_item(int s, const struct item *it, FILE *out)
{
	const struct section_def *def = &sections[s];
	bool first = true;

	fputc('{', out);
	if (def->kind == SK_SETTINGS) {
		json_member(out, &first, "setting");
		json_string(out, it->name);
		json_change(out, &first, &it->attrs[0]);
		fputc('}', out);
		return;
	}
	if (it->name) {
		json_member(out, &first, "name");
		json_string(out, it->name);
	}
	json_fields(def->kind, it, &first, out);
	if (s >= S_ISOLATED) {
		json_member(out, &first, "text");
		json_string(out, it->text);
	}
	fputc('}', out);
}

static void json_diags(FILE *out, const struct diags *d,
		       enum diag_severity sev)
{
	bool any = false;

	fputc('[', out);
	for (size_t i = 0; d && i < d->count; i++) {
		const struct diag *x = &d->items[i];

		if (x->severity != sev)
			continue;
		fputs(any ? ",\n      " : "\n      ", out);
		fputs("{\"file\": ", out);
		if (x->file)
			json_string(out, x->file);
		else
			fputs("null", out);
		fprintf(out, ", \"line\": %d, \"message\": ", x->line);
		json_string(out, x->message);
		fputc('}', out);
		any = true;
	}
	fputs(any ? "\n    ]" : "]", out);
}

void diff_write_json(struct report *r, const struct diags *d, int changes,
		     FILE *out)
{
	fputs("{\n  \"running\": ", out);
	json_string(out, file_of(r->a));
	fputs(",\n  \"candidate\": ", out);
	json_string(out, file_of(r->b));
	fputs(",\n", out);
	for (int s = 0; s < S_MAX; s++) {
		fprintf(out, "  \"%s\": [", sections[s].key);
		for (size_t i = 0; i < r->sec[s].n; i++) {
			fputs(i ? ",\n    " : "\n    ", out);
			json_item(s, &r->sec[s].v[i], out);
		}
		fputs(r->sec[s].n ? "\n  ],\n" : "],\n", out);
	}
	fprintf(out, "  \"guardrails\": {\n    \"checked\": %s, \"pass\": %s, "
		"\"refused\": %s,\n    \"errors\": ", d ? "true" : "false",
		d && d->errors == 0 ? "true" : "false",
		d && d->errors > 0 ? "true" : "false");
	json_diags(out, d, DIAG_ERROR);
	fputs(",\n    \"warnings\": ", out);
	json_diags(out, d, DIAG_WARNING);
	fprintf(out, "\n  },\n  \"changes\": %d\n}\n", changes);
}

