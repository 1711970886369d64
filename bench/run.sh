#!/bin/bash
# bench/run.sh [BUILD] - all benchmarks (`make bench`): bench/program.sh,
# bench/packet.sh, then bench/load.sh; the report goes to stdout and to
# bench/results.txt ($BENCH_RESULTS overrides), progress to stderr.
#
# Everything runs in network namespaces the scripts create and remove; the
# caller's namespace is never touched.  Measurements reported as ratios
# against baselines of the same run, never asserts.  About 3-4.5 minutes on
# a 2-vCPU VM.  Knobs: BENCH_SIZES, BENCH_RUNS, BENCH_RUNS_BIG (program.sh),
# BENCH_PKT_SIZES, BENCH_PKT_RUNS, BENCH_PKT_SECONDS (packet.sh).

set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
results=${BENCH_RESULTS:-$top/bench/results.txt}

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x "${SEGMENTD:-$build/segmentd}" ] || { echo "run.sh: ${SEGMENTD:-$build/segmentd} not built (make)" >&2; exit 1; }

tmp=$(mktemp "${TMPDIR:-/tmp}/segmentd-results.XXXXXX")
snap=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-bin.XXXXXX")
trap 'rm -f "$tmp"; rm -rf "$snap"' EXIT
start=$(date +%s)

# A private copy of the binary: BUILD may be rebuilt while we measure.
bin=${SEGMENTD:-$build/segmentd}
cp "$bin" "$snap/segmentd" || exit 1
export SEGMENTD=$snap/segmentd
"$SEGMENTD" --version >/dev/null 2>&1 || { echo "run.sh: $bin does not run (being rebuilt?)" >&2; exit 1; }

{
	echo "segmentd benchmarks - bench/run.sh"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs"
	echo "tree:     HEAD $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/ include/)')"
	echo "binary:   $bin (built $(date -u -r "$bin" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$bin" | cut -c1-12); $("$SEGMENTD" --version 2>/dev/null))"
	echo "tools:    $(nft --version 2>/dev/null | head -n 1); libnftnl $(pkg-config --modversion libnftnl 2>/dev/null || echo '?'); iperf3 $(iperf3 --version 2>/dev/null | sed -n '1s/^iperf \([^ ]*\).*/\1/p')"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
	echo "Shared, noisy machine: read the ratios, not the absolute figures."
	echo
} | tee "$tmp"

rc=0
"$top/bench/program.sh" "$build" | tee -a "$tmp" || rc=1
echo | tee -a "$tmp"
"$top/bench/packet.sh" "$build" | tee -a "$tmp" || rc=1
echo | tee -a "$tmp"
"$top/bench/load.sh" "$build" | tee -a "$tmp" || rc=1
echo | tee -a "$tmp"
echo "total time: $(( $(date +%s) - start )) s; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$tmp"

if [ $rc -eq 0 ]; then
	cp "$tmp" "$results"
	echo "written to $results" >&2
else
	echo "run.sh: a benchmark failed; $results left as it was" >&2
fi
exit $rc
