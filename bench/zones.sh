#!/bin/bash
# bench/zones.sh [BUILD] - the cost of many zones: time and peak RSS of
# segmentd --check and --once for 10, 100 and 1,000 zones (or
# $BENCH_ZONES) with 2,000 flows ($BENCH_FLOWS; bench/gen-zones.sh), next
# to nft -f of the same --print text.  Each run in a fresh `unshare -n`
# (never the caller's namespace); one run per size (the machine is shared:
# read the ratios).  The table holds a chain, counters and map entries only
# for the pairs with a flow, so the cost grows with the flows, not with the
# square of the zones.  The table goes to stdout and to
# $ZONES_RESULTS (default bench/results-zones.txt).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
sd=$build/segmentd
flows=${BENCH_FLOWS:-2000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-zones.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# measure CMD... -> "SECONDS KIB" (wall, peak RSS) of CMD in a new netns
measure() {
	/usr/bin/time -f '%e %M' -o "$tmp/time" unshare -n "$@" >/dev/null 2>"$tmp/err" ||
		{ echo "failed: $* ($(grep -v 'no comment' "$tmp/err" | head -n 2))" >&2; echo "- -"; return; }
	cat "$tmp/time"
}

results=${ZONES_RESULTS:-$top/bench/results-zones.txt}

report() {
	echo "segmentd benchmarks - bench/zones.sh (many zones)"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg) at start"
	echo "tree:     HEAD $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/ include/)')"
	echo "runs:     one per size, each in a fresh network namespace; wall seconds, peak RSS (KiB)"
	echo
	printf '%-7s %-6s %12s %12s %12s %12s %12s %12s\n' zones flows \
		"check s" "check KiB" "once s" "once KiB" "nft -f s" "nft KiB"
	for z in ${BENCH_ZONES:-10 100 1000}; do
		conf=$tmp/z$z.conf
		"$top/bench/gen-zones.sh" "$z" "$flows" "$conf"
		"$sd" -c "$conf" --print >"$tmp/z$z.nft" 2>/dev/null || { echo "--print failed for $z zones" >&2; continue; }
		read -r cs ck <<<"$(measure "$sd" -c "$conf" --check)"
		read -r os ok <<<"$(measure "$sd" -c "$conf" --once)"
		read -r ns nk <<<"$(measure nft -f "$tmp/z$z.nft")"
		printf '%-7s %-6s %12s %12s %12s %12s %12s %12s\n' "$z" "$flows" \
			"$cs" "$ck" "$os" "$ok" "$ns" "$nk"
	done
}

report | tee "$tmp/report"
cp "$tmp/report" "$results" && echo "written to $results" >&2
