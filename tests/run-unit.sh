#!/bin/sh
# tests/run-unit.sh BUILD - runs every Check unit test binary BUILD/tests/test_*.
#
# Exit 0 is a pass, 77 a skip (the whole binary: a prerequisite is
# missing), anything else a failure.  A binary that passes but printed a
# line ending in ": skipped" (or starting with "SKIP:") left a test case
# out (e.g. one that needs root): it is reported as partly skipped.  Under
# CI (CI=true) a skip, whole or partial, is a failure unless
# tests/lib/skips.sh lists it.  The last line is the summary: "N passed,
# N failed, N skipped".  Exit 0 when nothing failed.
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
. tests/lib/skips.sh
passed=0 failed=0 skipped=0 failed_names=
out=$(mktemp "${TMPDIR:-/tmp}/segmentd-unit.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	rc=0
	CK_DEFAULT_TIMEOUT=30 "$t" >"$out" 2>&1 || rc=$?
	cat "$out"
	reason=
	if [ "$rc" = 77 ]; then
		reason=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1)
	elif [ "$rc" = 0 ]; then
		reason=$(grep -E '^SKIP:|: skipped$' "$out" | head -n 1)
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		failed=$((failed + 1)) failed_names="$failed_names $name"
	elif [ -z "$reason" ]; then
		passed=$((passed + 1))
	elif skips_accepted "unit/$name" "$build" "$reason"; then
		skipped=$((skipped + 1))
		echo "SKIP  $name: $reason"
	else
		failed=$((failed + 1)) failed_names="$failed_names $name"
		echo "FAIL  $name skipped (part of) its tests, and under CI only the skips of tests/lib/skips.sh pass: $reason"
	fi
done
[ -z "$failed_names" ] || echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
