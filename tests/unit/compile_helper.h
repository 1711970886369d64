/* compile_helper.h - a config compiled for a unit test: from a file
 * (policy_load, as the daemon loads it) or from text, at a fixed "now" so
 * expiry is deterministic (2026-11-01 00:00 UTC).  Any error fails the
 * test, with the diagnostics on stderr. */
#ifndef SEGMENTD_COMPILE_HELPER_H
#define SEGMENTD_COMPILE_HELPER_H

#include <check.h>
#include <stdio.h>

#include "policy.h"

#define TEST_NOW ((time_t)1793491200)

static inline void test_compile_file(const char *path, struct ruleset *rs)
{
	struct model m;
	struct diags d;
	int err;

	diags_init(&d);
	model_init(&m);
	err = policy_load(path, TEST_NOW, &m, rs, &d);
	if (err)
		diags_print(&d, stderr);
	ck_assert_int_eq(err, 0);
	model_free(&m);
	diags_free(&d);
}

/* name: the file name the diagnostics give the text */
static inline void test_compile_text(const char *conf, const char *name,
				     struct ruleset *rs)
{
	struct model m;
	struct diags d;

	diags_init(&d);
	model_init(&m);
	if (config_load_string(conf, name, &m, &d) ||
	    model_validate(&m, TEST_NOW, &d))
		diags_print(&d, stderr);
	ck_assert_int_eq(d.errors, 0);
	ck_assert_int_eq(ruleset_compile(&m, TEST_NOW, rs), 0);
	model_free(&m);
	diags_free(&d);
}

#endif
