/* check_main.h - the shared end of every Check test's main(): run the
 * suite, free the runner, turn the failures into the exit status. */
#ifndef SEGMENTD_CHECK_MAIN_H
#define SEGMENTD_CHECK_MAIN_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

/* A repeatable pseudo-random sequence (xorshift64) for generated cases:
 * *state is the seed, then the last value. */
static inline uint64_t test_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Runs SR and frees it; EXIT_FAILURE when a test failed. */
static inline int check_run_runner(SRunner *sr)
{
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static inline int check_run(Suite *s)
{
	return check_run_runner(srunner_create(s));
}

#endif
