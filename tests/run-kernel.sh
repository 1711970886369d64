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
# The tests whose daemon relies on owning its table (TWO_MODE_TESTS) run a
# second time with SEGMENTD_NO_PERSIST=1 exported, reported as
# NAME@nopersist: the daemon's persistence probe answers no, as on kernels
# before 6.9, and the table runs unowned (tests/lib/mode.sh).
#
#   KERNEL_TESTS="flows owner" tests/run-kernel.sh build   runs a subset
#   KERNEL_TESTS="drift@nopersist" ...                     one mode only
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-${BUILD:-build}}
export BUILD
. tests/lib/skips.sh

TWO_MODE_TESTS="drift daemon storm faults coexist window reload_diff"

# selected RUN NAME: KERNEL_TESTS (if set) names NAME (every mode) or RUN.
selected() {
	[ -z "${KERNEL_TESTS:-}" ] && return 0
	case " $KERNEL_TESTS " in *" $1 "* | *" $2 "*) return 0 ;; esac
	return 1
}

# tests: "RUN MODE FILE" per run.  RUN is the test's name, with
# @nopersist for the second mode; MODE is "-" (the environment as it is),
# persist or nopersist.
tests=()
for t in tests/kernel/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case " $TWO_MODE_TESTS " in
	*" $name "*)
		! selected "$name" "$name" || tests+=("$name persist $t")
		! selected "$name@nopersist" "$name" || tests+=("$name@nopersist nopersist $t")
		;;
	*) ! selected "$name" "$name" || tests+=("$name - $t") ;;
	esac
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
for run in "${tests[@]}"; do
	read -r name mode t <<<"$run"
	start=$(date +%s%N)
	case $mode in
	persist) env -u SEGMENTD_NO_PERSIST bash "$t" ;;
	nopersist) SEGMENTD_NO_PERSIST=1 bash "$t" ;;
	*) bash "$t" ;;
	esac >"$log" 2>&1 </dev/null
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
		printf 'PASS  %-18s (%s s)\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  %-18s %s\n' "$name" "$reason"
		;;
	skip-in-ci)
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		printf 'FAIL  %-18s skipped, and under CI only the skips of tests/lib/skips.sh pass: %s\n' \
			"$name" "$reason"
		;;
	*)
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		printf 'FAIL  %-18s (exit %d, %s s); its output:\n' "$name" "$rc" "$secs"
		sed 's/^/      | /' "$log"
		;;
	esac
done
[ -z "$failed_names" ] || echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
