/* fuzz_control.c - libFuzzer target for the control request parser:
 * bytes -> control_parse, on a buffer of exactly the input's size (so ASan
 * sees any read past it).  Invariants of an accepted request: the verb is
 * a valid name, every argument is a non-empty word without spaces that
 * lies inside req.buf, and none is "--json".  A refused one has a reason
 * and leaves no verb behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct control_request *req)
{
	size_t vlen = strnlen(req->verb, sizeof(req->verb));

	if (vlen == 0 || vlen == sizeof(req->verb) || req->argc < 0 ||
	    req->argc > CONTROL_MAX_ARGS)
		abort();
	for (int i = 0; i < req->argc; i++) {
		const char *a = req->argv[i];

		if (a < req->buf || a >= req->buf + sizeof(req->buf) || !*a ||
		    strchr(a, ' ') || strcmp(a, "--json") == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_request req;
	const char *why = NULL;
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	if (control_parse(copy, size, &req, &why) == 0)
		check_accepted(&req);
	else if (!why || req.verb[0] || req.argc)
		abort();
	free(copy);
	return 0;
}
