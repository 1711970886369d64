/* json.h - the one JSON writer: compact JSON onto a FILE, every string
 * escaped and emitted as valid UTF-8 (control bytes as \u00XX, bytes that
 * are not UTF-8 as U+FFFD), commas placed by the writer.
 *
 *	struct json j;
 *	json_init(&j, out);
 *	json_object_open(&j);
 *	json_kstr(&j, "table", name);
 *	json_key(&j, "hooks");
 *	json_array_open(&j);
 *	json_str(&j, hook);
 *	json_array_close(&j);
 *	json_object_close(&j);
 *	err = json_finish(&j);	   0, or -EINVAL for unbalanced nesting
 */
#ifndef SEGMENTD_JSON_H
#define SEGMENTD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

struct json {
	FILE *out;
	unsigned depth;
	bool need_comma[JSON_DEPTH_MAX + 1];
	bool after_key;          /* a key was written: its value comes next */
	bool misuse;             /* unbalanced or too deep nesting */
};

void json_init(struct json *j, FILE *out);
void json_object_open(struct json *j);
void json_object_close(struct json *j);
void json_array_open(struct json *j);
void json_array_close(struct json *j);
/* A member's name inside an object; the next value is its value. */
void json_key(struct json *j, const char *key);
/* NULL is written as "" (the callers' empty fields). */
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
/* A fixed-point number with DECIMALS digits; NaN and infinities as null. */
void json_fixed(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value in one call. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_kuint(struct json *j, const char *key, unsigned long long v);
void json_kbool(struct json *j, const char *key, bool v);

/* 0 when every object and array was closed, -EINVAL otherwise; -EIO when
 * the stream reported an error. */
int json_finish(const struct json *j);

/* The low-level escaper: S (LEN bytes) as one quoted JSON string. */
void json_write_string(FILE *out, const char *s, size_t len);

#endif
