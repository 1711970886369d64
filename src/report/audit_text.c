/* audit_text.c - the layout of the report's text: UTF-8 measured in
 * terminal columns, lines wrapped to 100 columns at spaces or between wide
 * characters (with the common rules of Japanese line breaking), and JSON
 * strings.  Control characters and invalid UTF-8 never reach the output. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Also declared in audit.c, the one user. */
int audit_text_width(const char *s);
void audit_text_put(FILE *out, int col, const char *lead, int cont,
		    const char *s);
void audit_json_str(FILE *out, const char *prefix, const char *s);

#define WIDTH 100

/* The UTF-8 sequence at s: its length and code point (1 and U+FFFD for a
 * byte that starts no valid sequence). */
static size_t utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t n;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, c = u[0] & 0x1f, min = 0x80;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, c = u[0] & 0x0f, min = 0x800;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, c = u[0] & 0x07, min = 0x10000;
	else
		goto invalid;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = 0xfffd;
	return 1;
}

/* Columns on a terminal, an upper bound: 1 below U+0300, else 2 (CJK,
 * kana and full-width forms are wide; Greek, arrows and dashes are wide
 * on a Japanese terminal). */
static int cp_width(uint32_t cp)
{
	return cp < 0x300 ? 1 : 2;
}

int audit_text_width(const char *s)
{
	int w = 0;
	uint32_t cp;

	while (*s) {
		s += utf8_next(s, &cp);
		w += cp_width(cp);
	}
	return w;
}

static bool space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n';
}

static bool latin(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
	       (cp >= 'A' && cp <= 'Z');
}

static bool digit(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

/* Japanese line breaking (禁則), the common cases: no line starts with a
 * closing mark, none ends with an opening one. */
static bool no_line_start(uint32_t cp)
{
	return cp == 0x3001 || cp == 0x3002 || cp == 0xff0c || cp == 0xff0e ||
	       cp == 0xff09 || cp == 0x300d || cp == 0x300f || cp == 0xff1a ||
	       (cp && cp < 0x80 && strchr(").,:;", (int)cp));
}

static bool no_line_end(uint32_t cp)
{
	return cp == 0xff08 || cp == 0x300c || cp == 0x300e || cp == '(';
}

/* May a line end between a and b?  At a space (b): not before '(', and a
 * number stays with the wide word beside it ("全 5 個", "3 件").  Between
 * two characters: after "、" or "。", or next to a wide one except
 * inside a run of Latin letters and digits glued to it ("LGWAN接続系"),
 * and the 禁則 above. */
static bool may_break(uint32_t a, uint32_t b, uint32_t after_space)
{
	if (space(b))
		return after_space != '(' &&
		       !(digit(a) && cp_width(after_space) == 2) &&
		       !(cp_width(a) == 2 && digit(after_space));
	if (a == 0x3001 || a == 0x3002)     /* after "、" and "。" */
		return !no_line_start(b);
	return !space(a) && (cp_width(a) == 2 || cp_width(b) == 2) &&
	       !latin(a) && !latin(b) && !no_line_start(b) &&
	       !no_line_end(a);
}

static bool control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/* Marks that reorder what follows on the screen (bidi embeddings,
 * overrides and isolates): a report must read as it is stored. */
static bool bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Bytes [s, end) as printable UTF-8: control characters become spaces
 * (none at the end), invalid bytes and bidi marks '?'. */
static void put_clean(FILE *out, const char *s, const char *end)
{
	size_t spaces = 0;
	uint32_t cp;

	while (s < end) {
		size_t n = utf8_next(s, &cp);

		if (cp == ' ' || control(cp)) {
			spaces++;
			s += n;
			continue;
		}
		fprintf(out, "%*s", (int)spaces, "");
		spaces = 0;
		if ((n == 1 && cp == 0xfffd) || bidi(cp))
			fputc('?', out);
		else
			fwrite(s, 1, n, out);
		s += n;
	}
}

/* The end of the longest head of s that fits in avail columns, broken
 * where may_break() allows, else after a '/' (paths, addresses), else
 * anywhere; *next: where the rest starts. */
static const char *fit(const char *s, int avail, const char **next)
{
	const char *p = s, *end = NULL, *slash = NULL;
	uint32_t cp, prev = ' ', after;
	int w = 0;

	*next = s;
	while (*p) {
		size_t n = utf8_next(p, &cp);

		utf8_next(p + n, &after);
		if (p > s && may_break(prev, cp, after))
			end = p, *next = p + (space(cp) ? n : 0);
		else if (p > s && prev == '/')
			slash = p;
		if (w + cp_width(cp) > avail && p > s)
			break;
		w += cp_width(cp);
		prev = cp;
		p += n;
	}
	if (*p && !end && slash)
		end = *next = slash;
	if (!*p || !end)     /* all of it, or a hard break */
		end = *next = p;
	return end;
}

/* lead at column col, then s, wrapped to WIDTH with the following lines
 * at column cont (lead and col leave room for at least one character). */
void audit_text_put(FILE *out, int col, const char *lead, int cont,
		    const char *s)
{
	int avail = WIDTH - col - audit_text_width(lead);
	size_t lead_len = strlen(lead);

	while (space((unsigned char)*s))
		s++;
	if (!*s) {           /* no trailing spaces, even then */
		while (lead_len && lead[lead_len - 1] == ' ')
			lead_len--;
		if (lead_len)
			fprintf(out, "%*s", col, "");
		fprintf(out, "%.*s\n", (int)lead_len, lead);
		return;
	}
	fprintf(out, "%*s%s", col, "", lead);
	while (*s) {
		const char *next, *end = fit(s, avail, &next);

		put_clean(out, s, end);
		fputc('\n', out);
		for (s = next; space((unsigned char)*s); s++)
			;
		if (*s)
			fprintf(out, "%*s", cont, "");
		avail = WIDTH - cont;
	}
}

/* A JSON string (prefix, then s); invalid UTF-8 becomes U+FFFD, control
 * characters and bidi marks are escaped. */
void audit_json_str(FILE *out, const char *prefix, const char *s)
{
	uint32_t cp;

	fprintf(out, "\"%s", prefix);
	while (s && *s) {
		size_t n = utf8_next(s, &cp);

		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (control(cp) || bidi(cp))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else if (n == 1 && cp == 0xfffd)
			fputs("\\ufffd", out);
		else
			fwrite(s, 1, n, out);
		s += n;
	}
	fputc('"', out);
}
