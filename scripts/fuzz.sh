#!/bin/bash
# scripts/fuzz.sh [SECONDS [TARGET...]] - builds the libFuzzer targets of
# tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined), replays every
# saved crash input in tests/fuzz/regressions/TARGET/ and the seed corpus
# once, then fuzzes each target for SECONDS (default 60; 0: replay only).
# Exit 0 when nothing crashed, leaked or tripped a sanitizer; a new crash
# input is left in BUILD/fuzz/artifacts/ (copy it to tests/fuzz/regressions/
# TARGET/ with the fix).
#
# Targets: config (bytes -> config_load_string -> model_validate ->
# ruleset_compile -> ruleset_render), control (bytes -> control_parse),
# nflog (one NFLOG datagram -> nflog_parse and denied_feed per message ->
# denied_render), peer (one HA peer beacon -> peer_beacon_decode, as sent
# and re-tagged under the fuzz key).
# The working corpus grows in BUILD/fuzz/corpus-TARGET (seeded from
# tests/fuzz/corpus/TARGET), so the tree's seeds stay as they are and a
# later run goes on from where the last one stopped.
#
# CI: `make fuzz` (60 s per target).  A long run, e.g. overnight on every
# core, from the same corpus:
#     FUZZ_JOBS=$(nproc) scripts/fuzz.sh 28800
# Environment: BUILD (default build), CC (default clang), FUZZ_JOBS
# (parallel fuzzing processes per target, default 1).
#
# LeakSanitizer: libconfig 1.5 leaks on some syntax errors inside its own
# parser (the scanner's string buffer; see tests/fuzz/lsan.supp); only those
# stacks are suppressed, every other leak fails the run.
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=${*:-config control nflog peer ct}
BUILD=${BUILD:-build}
CC=${CC:-clang}
case $CC in *clang*) ;; *) CC=clang ;; esac   # libFuzzer is clang's
JOBS=${FUZZ_JOBS:-1}
OUT=$BUILD/fuzz
PKGS="libnftnl libmnl libconfig"

command -v "$CC" >/dev/null || { echo "fuzz: $CC not installed (apt-get install clang libclang-rt-14-dev)"; exit 77; }
mkdir -p "$OUT/artifacts"

# The load wing only: no kernel, no daemon, no programs' main().
declare -A SRC MAXLEN
# the whole load wing (it grows: a file list here once broke the link)
SRC[config]="$(echo src/load/*.c) src/base/diag.c src/base/sha256.c"
SRC[control]="src/ctl/control.c src/base/utf8.c"
SRC[nflog]="src/kernel/nflog.c src/report/denied.c src/load/model.c src/base/json.c src/base/utf8.c"
SRC[peer]="src/daemon/peer_beacon.c src/base/hmac.c src/base/sha256.c"
SRC[ct]="src/kernel/conntrack.c"
# Longest generated input: a config of a few hundred lines (the huge-list
# seeds are cut there; the loader's size limits are tested in tests/bad);
# a request a little over CONTROL_MAX_REQUEST; a datagram of a dozen logged
# packets (each a few hundred bytes: NFLOG_COPY_RANGE of payload).
MAXLEN[config]=16384
MAXLEN[control]=5000
MAXLEN[nflog]=4096
MAXLEN[peer]=512
MAXLEN[ct]=1024

# shellcheck disable=SC2054,SC2086,SC2207 # -fsanitize's commas; pkg-config's words
CFLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Wno-unused-parameter -DSEGMENTD_VERSION='"fuzz"'
	-DSYSCONFDIR='"/etc"' $(pkg-config --cflags $PKGS))
# shellcheck disable=SC2207,SC2086
LIBS=($(pkg-config --libs $PKGS))

build() {   # build TARGET: OUT/fuzz_TARGET, rebuilt when a source is newer
	local t=$1 bin=$OUT/fuzz_$1 src
	# shellcheck disable=SC2206 # a word list
	src=("tests/fuzz/fuzz_$t.c" ${SRC[$t]})
	if [ -x "$bin" ] && [ -z "$(find "${src[@]}" include src/*/*.h -newer "$bin" 2>/dev/null)" ]; then
		return 0
	fi
	echo "fuzz: building $bin"
	"$CC" "${CFLAGS[@]}" -o "$bin" "${src[@]}" "${LIBS[@]}"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}

# replay TARGET FILE...: each input once; fails on the first crash.
replay() {
	local t=$1; shift
	[ "$#" -gt 0 ] || return 0
	"$OUT/fuzz_$t" -runs=1 "$@" >"$OUT/replay-$t.log" 2>&1 || {
		cat "$OUT/replay-$t.log"
		echo "fuzz: $t: a saved input fails again (see above)"
		return 1
	}
}

status=0
for t in $TARGETS; do
	[ -n "${SRC[$t]:-}" ] || { echo "fuzz: no target '$t'"; exit 64; }
	build "$t"
	mapfile -t regressions < <(find -L "tests/fuzz/regressions/$t" -type f 2>/dev/null | sort)
	mapfile -t seeds < <(find -L "tests/fuzz/corpus/$t" -type f | sort)
	replay "$t" "${regressions[@]}" || { status=1; continue; }
	replay "$t" "${seeds[@]}" || { status=1; continue; }
	echo "fuzz: $t: ${#regressions[@]} regression inputs and ${#seeds[@]} seeds replayed"
	[ "$SECONDS_PER_TARGET" -gt 0 ] || continue
	work=$OUT/corpus-$t
	mkdir -p "$work"
	opts=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-")
	[ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="tests/fuzz/$t.dict")
	opts+=(-max_len="${MAXLEN[$t]}")
	# fork mode: parallel jobs, and a long run's children restart now and
	# then (libconfig's suppressed leaks would grow one process's RSS)
	if [ "$JOBS" -gt 1 ] || [ "$SECONDS_PER_TARGET" -gt 600 ]; then
		opts+=(-fork="$JOBS")
	fi
	echo "fuzz: $t: fuzzing for $SECONDS_PER_TARGET s ($JOBS process(es))"
	if ! "$OUT/fuzz_$t" "${opts[@]}" "$work" "tests/fuzz/corpus/$t" \
		>"$OUT/fuzz-$t.log" 2>&1; then
		tail -n 60 "$OUT/fuzz-$t.log"
		echo "fuzz: $t: FAILED; the input is in $OUT/artifacts/"
		status=1
		continue
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE|^#[0-9]+: cov' "$OUT/fuzz-$t.log" | tail -n 2 |
		sed "s/^/fuzz: $t: /"
done
exit $status
