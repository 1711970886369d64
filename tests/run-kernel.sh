#!/bin/bash
# tests/run-kernel.sh BUILD - runs every tests/kernel/*.sh against the real
# kernel (each test makes and removes its own network namespaces).
#
# Each test runs with the repository root as its working directory and
# BUILD in its environment; exit 0 is a pass, 77 a skip (a prerequisite is
# missing, the reason on its output), anything else a failure.  Under CI
# (CI=true) a skip is a failure unless tests/lib/skips.sh lists it; not
# being root is one too.  The output of a test that did not pass is shown.
# The last line is the summary: "N passed, N failed, N skipped".  Exit 0
# when nothing failed.
#
#   KERNEL_TESTS="flows owner" tests/run-kernel.sh build   runs a subset
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-${BUILD:-build}}
export BUILD
. tests/lib/skips.sh

tests=()
for t in tests/kernel/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ -n "${KERNEL_TESTS:-}" ]; then
		case " $KERNEL_TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	tests+=("$t")
done

if [ "$(id -u)" != 0 ]; then
	if skips_ci; then
		echo "FAIL: kernel tests need root (network namespaces); under CI none may skip"
		echo "0 passed, ${#tests[@]} failed, 0 skipped"
		exit 1
	fi
	echo "kernel tests need root (network namespaces): all ${#tests[@]} skipped"
	echo "0 passed, 0 failed, ${#tests[@]} skipped"
	exit 0
fi

passed=0 failed=0 skipped=0
failed_names=
log=$(mktemp "${TMPDIR:-/tmp}/segmentd-kernel.XXXXXX")
trap 'rm -f "$log"' EXIT
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	start=$(date +%s%N)
	bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	reason=
	if [ "$rc" = 77 ]; then
		reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
		skips_accepted "kernel/$name" "$BUILD" "$reason" || rc=skip-in-ci
	fi
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-16s (%s s)\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  %-16s %s\n' "$name" "$reason"
		;;
	skip-in-ci)
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		printf 'FAIL  %-16s skipped, and under CI only the skips of tests/lib/skips.sh pass: %s\n' \
			"$name" "$reason"
		;;
	*)
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		printf 'FAIL  %-16s (exit %d, %s s); its output:\n' "$name" "$rc" "$secs"
		sed 's/^/      | /' "$log"
		;;
	esac
done
[ -z "$failed_names" ] || echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
