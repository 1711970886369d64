#!/bin/sh
# Runs every Check unit test binary; fails when one fails.
build=${1:-build}
fail=0
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	CK_DEFAULT_TIMEOUT=30 "$t" || fail=1
done
exit $fail
