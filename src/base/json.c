/* json.c - the one JSON writer (see json.h): compact output, commas by
 * the writer, strings always valid UTF-8 and escaped. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_init(struct json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* Before any value: the comma between siblings (not after a key). */
static void value_begin(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
}

static void write_byte(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':  fputs("\\\"", out); return;
	case '\\': fputs("\\\\", out); return;
	case '\n': fputs("\\n", out); return;
	case '\t': fputs("\\t", out); return;
	case '\r': fputs("\\r", out); return;
	}
	if (c < 0x20 || c == 0x7f)
		fprintf(out, "\\u%04x", c);
	else
		fputc(c, out);
}

void json_write_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);

		if (n == 0) {
			fputs("\\ufffd", out);  /* not UTF-8: one byte replaced */
			i++;
		} else if (n == 1) {
			write_byte(out, p[i++]);
		} else {
			fwrite(p + i, 1, n, out);
			i += n;
		}
	}
	fputc('"', out);
}

static void open_nest(struct json *j, char c)
{
	value_begin(j);
	fputc(c, j->out);
	if (j->depth >= JSON_DEPTH_MAX) {
		j->misuse = true;
		return;
	}
	j->need_comma[++j->depth] = false;
}

static void close_nest(struct json *j, char c)
{
	if (j->depth == 0 || j->after_key)
		j->misuse = true;
	else
		j->depth--;
	fputc(c, j->out);
}

void json_object_open(struct json *j) { open_nest(j, '{'); }
void json_object_close(struct json *j) { close_nest(j, '}'); }
void json_array_open(struct json *j) { open_nest(j, '['); }
void json_array_close(struct json *j) { close_nest(j, ']'); }

void json_key(struct json *j, const char *key)
{
	if (j->after_key || j->depth == 0)
		j->misuse = true;
	value_begin(j);
	json_write_string(j->out, key, strlen(key));
	fputc(':', j->out);
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t len)
{
	value_begin(j);
	json_write_string(j->out, s ? s : "", s ? len : 0);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, s ? strlen(s) : 0);
}

void json_int(struct json *j, long long v)
{
	value_begin(j);
	fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
	value_begin(j);
	fprintf(j->out, "%llu", v);
}

void json_fixed(struct json *j, double v, int decimals)
{
	value_begin(j);
	if (!isfinite(v))
		fputs("null", j->out);
	else
		fprintf(j->out, "%.*f", decimals, v);
}

void json_bool(struct json *j, bool v)
{
	value_begin(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	value_begin(j);
	fputs("null", j->out);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kuint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

int json_finish(const struct json *j)
{
	if (j->misuse || j->depth || j->after_key)
		return -EINVAL;
	return ferror(j->out) ? -EIO : 0;
}
