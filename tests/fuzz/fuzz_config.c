/* fuzz_config.c - libFuzzer target for the load wing: bytes -> config text
 * -> model (config_load_string) -> model_validate -> ruleset_compile ->
 * ruleset_render (to /dev/null), freeing everything.  What is checked:
 * no crash, no sanitizer report, no leak, and two invariants of the
 * pipeline: a config that loads and validates without errors compiles
 * (ENOMEM aside), and a rejected config reports at least one error. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NOW ((time_t)1768435200)   /* 2026-01-15 00:00 UTC: reproducible */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void pipeline(const char *text)
{
	struct ruleset rs;
	struct model m;
	struct diags d;
	int r;

	diags_init(&d);
	ruleset_init(&rs);
	r = config_load_string(text, "fuzz.conf", &m, &d);
	/* as policy_load: a file that parsed is validated even with errors */
	if (r != -ENOMEM && m.zone_count > 0) {
		int v = model_validate(&m, NOW, &d);

		r = r < 0 ? r : v;
	}
	if (r == 0) {
		r = ruleset_compile(&m, NOW, &rs);
		if (r != 0 && r != -ENOMEM)
			abort();   /* a valid model must compile */
		if (r == 0)
			ruleset_render(&rs, devnull);
	} else if (r != -ENOMEM && d.errors == 0) {
		abort();           /* refused without saying why */
	}
	diags_print(&d, devnull);
	ruleset_free(&rs);
	model_free(&m);
	diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!devnull)
		devnull = fopen("/dev/null", "we");
	if (!devnull || size > 256 * 1024)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pipeline(text);
	free(text);
	return 0;
}
