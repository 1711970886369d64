/* control.c - the control protocol's request parser, shared by the daemon
 * (control_server.c) and segmentctl (control_client.c).  Pure: no I/O, no
 * allocation; the request is copied into req->buf and split there. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "control.h"
#include "utf8.h"

#define CONTROL_JSON_FLAG "--json"

/* The length of the UTF-8 character at s (at most n bytes), or 0 when it
 * is malformed (see utf8_sequence) or a C1 control (U+0080..U+009F). */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
	size_t len = utf8_sequence(s, n);

	return len == 2 && s[0] == 0xc2 && s[1] <= 0x9f ? 0 : len;
}

/* Checks the bytes of one line (its terminator already removed). */
static int check_bytes(const char *line, size_t len, const char **why)
{
	const unsigned char *s = (const unsigned char *)line;

	for (size_t i = 0; i < len; ) {
		size_t step = 1;

		if (s[i] == '\0')
			*why = "NUL byte in the request";
		else if (s[i] == '\n' || s[i] == '\r')
			*why = "line break inside the request";
		else if (s[i] < 0x20 || s[i] == 0x7f)
			*why = "control character in the request";
		else if (s[i] >= 0x80 && !(step = utf8_printable(s + i, len - i)))
			*why = "invalid UTF-8 in the request";
		else
			*why = NULL;
		if (*why)
			return -EINVAL;
		i += step;
	}
	return 0;
}

static bool verb_valid(const char *word)
{
	size_t len = strlen(word);

	if (len == 0 || len >= sizeof(((struct control_request *)0)->verb))
		return false;
	return word[0] >= 'a' && word[0] <= 'z' &&   /* "--json" is no verb */
	       strspn(word, "abcdefghijklmnopqrstuvwxyz-") == len;
}

/* Splits req->buf on runs of spaces into the verb, --json and arguments. */
static int split_words(struct control_request *req, const char **why)
{
	char *save = NULL;
	char *word = strtok_r(req->buf, " ", &save);

	if (!word) {
		*why = "empty request";
		return -EINVAL;
	}
	if (!verb_valid(word)) {
		*why = "bad command name (a-z, then a-z or '-', at most 31)";
		return -EINVAL;
	}
	strcpy(req->verb, word);
	while ((word = strtok_r(NULL, " ", &save))) {
		if (strcmp(word, CONTROL_JSON_FLAG) == 0) {
			req->json = true;
			continue;
		}
		if (req->argc == CONTROL_MAX_ARGS) {
			*why = "too many arguments";
			return -EINVAL;
		}
		req->argv[req->argc++] = word;
	}
	return 0;
}

static int parse_line(const char *data, size_t len,
		      struct control_request *req, const char **why)
{
	int err;

	memset(req, 0, offsetof(struct control_request, buf));
	req->buf[0] = '\0';
	if (len > CONTROL_MAX_REQUEST) {
		*why = "request too long";
		return -EINVAL;
	}
	if (len > 0 && data[len - 1] == '\n') {
		len--;
		if (len > 0 && data[len - 1] == '\r')
			len--;
	}
	err = check_bytes(data, len, why);
	if (err)
		return err;
	memcpy(req->buf, data, len);
	req->buf[len] = '\0';
	return split_words(req, why);
}

int control_parse(const char *data, size_t len, struct control_request *req,
		  const char **why)
{
	const char *reason = NULL;
	int err = parse_line(data, len, req, &reason);

	if (err)        /* no half-filled request */
		memset(req, 0, offsetof(struct control_request, buf));
	if (why)
		*why = reason;
	return err;
}
