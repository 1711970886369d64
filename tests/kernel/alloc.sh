#!/bin/bash
# alloc: an allocation failure anywhere in the load path is a message and
# exit 1, never a crash or silence.  `segmentd --print` of the shipped
# config, of 1,000 zones with 2,000 flows (bench/gen-zones.sh) and of
# 100,000 networks per family (bench/gen-config.sh), each under an address
# space limit (ulimit -v) from too small to start (the loader's own
# message) up to enough: every run exits 0 with the ruleset, or 1 with an
# "out of memory" message on stderr; a signal, another status or an empty
# stderr fails.  No kernel is touched.  Not on a sanitizer build: ASan
# reserves terabytes of address space (tests/lib/skips.sh accepts that
# skip; the plain build runs it).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SEGMENTD=$PWD/$BUILD/segmentd
[ -x "$SEGMENTD" ] || { echo "alloc: build first"; exit 77; }
grep -q __asan_init "$SEGMENTD" && { echo "alloc: not on a sanitizer build (ASan reserves more address space than the limits)"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-alloc.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
bench/gen-zones.sh 1000 2000 "$T/zones.conf" >/dev/null || { echo "FAIL: bench/gen-zones.sh"; exit 1; }
bench/gen-config.sh 100000 "$T/nets.conf" || { echo "FAIL: bench/gen-config.sh"; exit 1; }
cp conf/segmentd.conf "$T/shipped.conf"
chmod 644 "$T"/*.conf

for conf in shipped zones nets; do
	# the smallest limit that prints the ruleset, found on the way up
	ok_at='' oom=0
	for kb in 4000 6000 8000 10000 12000 14000 16000 20000 24000 32000 48000 64000 96000 128000 192000 256000 512000; do
		rc=0
		(ulimit -v "$kb" && exec "$SEGMENTD" --print -c "$T/$conf.conf") >"$T/out" 2>"$T/err" || rc=$?
		case $rc in
		0)
			grep -q '^table inet segmentd {' "$T/out" ||
				{ echo "FAIL: $conf at $kb KiB: exit 0 without the ruleset"; fail=1; }
			[ -n "$ok_at" ] || ok_at=$kb
			;;
		1)
			if grep -q 'out of memory\|error while loading shared libraries' "$T/err"; then
				oom=$((oom + 1))
			else
				echo "FAIL: $conf at $kb KiB: exit 1 without an out-of-memory message: $(head -c 300 "$T/err")"
				fail=1
			fi
			;;
		127)    # the dynamic loader could not map a library: its own message
			grep -q 'error while loading shared libraries' "$T/err" ||
				{ echo "FAIL: $conf at $kb KiB: exit 127: $(head -c 300 "$T/err")"; fail=1; }
			;;
		*)
			echo "FAIL: $conf at $kb KiB: exit $rc (signal $((rc > 128 ? rc - 128 : 0))): $(head -c 300 "$T/err")"
			fail=1
			;;
		esac
	done
	[ -n "$ok_at" ] || { echo "FAIL: $conf: never printed, even at 512 MiB"; fail=1; }
	[ "$oom" -gt 0 ] || { echo "FAIL: $conf: no limit made it run out of memory (the test proves nothing)"; fail=1; }
	echo "$conf: $oom limit(s) ran out of memory with a message; printed from ${ok_at:-?} KiB on"
done
[ "$fail" = 0 ] || exit 1
echo "alloc: all checks passed"
