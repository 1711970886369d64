#!/bin/bash
# bench/load.sh [BUILD] - load+validate+compile at 100k networks, the
# networks as a libconfig list and as a networks_file, side by side.
#
# Configs: bench/gen-config.sh 100000 (the shipped config, lgwan with 100k
# IPv4 + 100k IPv6 networks, cloud = "any") and bench/gen-config2.sh (100k
# internet + 20k LGWAN CIDRs, 2,000 hosts, 2,000 flows, no "any" zone),
# each once as a list and once with networks_file.  Each run is
# `SEGMENTD_TIMING=1 segmentd --check` in a fresh network namespace
# (unshare -n: the caller's namespace is never touched); the runs of the
# four configs are interleaved, medians reported.  Knob: BENCH_LOAD_RUNS.
set -u -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
runs=${BENCH_LOAD_RUNS:-7}
bin=${SEGMENTD:-$build/segmentd}
[ "$(id -u)" = 0 ] || { echo "load.sh: needs root (unshare -n)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-load.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# the bench config with lgwan's networks moved to a networks_file
"$top/bench/gen-config.sh" 100000 "$work/a-list.conf" || exit 1
awk -v nets="$work/a-file.conf.lgwan" '
/name[ \t]*=[ \t]*"lgwan"[ \t]*;/ { inzone = 1 }
inzone && /networks[ \t]*=[ \t]*\[/ { inlist = 1 }
inlist { line = $0; gsub(/networks[ \t]*=[ \t]*\[|[",]|\][ \t]*;?/, " ", line)
	 n = split(line, w, /[ \t]+/)
	 for (i = 1; i <= n; i++) if (w[i] != "") print w[i] >nets
	 if ($0 ~ /\]/) { print "    networks_file = \"a-file.conf.lgwan\";"; inlist = inzone = 0 }
	 next }
{ print }' "$work/a-list.conf" >"$work/a-file.conf" || exit 1
"$top/bench/gen-config2.sh" "$work/b-list.conf" list || exit 1
"$top/bench/gen-config2.sh" "$work/b-file.conf" file || exit 1
chmod 644 "$work"/*

configs="a-list a-file b-list b-file"
for c in $configs; do
	"$bin" --print -c "$work/$c.conf" 2>/dev/null | sha256sum >"$work/$c.sum" ||
		{ echo "load.sh: $c does not load" >&2; exit 1; }
done
cmp -s "$work/a-list.sum" "$work/a-file.sum" && cmp -s "$work/b-list.sum" "$work/b-file.sum" ||
	{ echo "load.sh: a networks_file config compiles unlike its list twin" >&2; exit 1; }

for ((r = 0; r < runs; r++)); do
	for c in $configs; do
		SEGMENTD_TIMING=1 unshare -n "$bin" --check -c "$work/$c.conf" 2>&1 |
			sed -n 's/^timing: load+validate+compile \([0-9.]*\) ms.*/\1/p' >>"$work/$c.ms"
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
span() { sort -g "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo, hi }'; }

echo "== load+validate+compile at 100k networks: libconfig list vs networks_file =="
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); binary: $bin; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs: $runs per config, interleaved; medians (min-max); target < 100 ms"
echo "a: bench config (lgwan 100k IPv4 + 100k IPv6, cloud = any); b: 100k internet + 20k LGWAN, 2,000 hosts, 2,000 flows, no any"
for x in a b; do
	l=$(median <"$work/$x-list.ms") f=$(median <"$work/$x-file.ms")
	printf '  %s  list %7.1f ms (%s, n=%d)   networks_file %7.1f ms (%s, n=%d)   file/list %.2f\n' \
		"$x" "$l" "$(span "$work/$x-list.ms")" "$(wc -l <"$work/$x-list.ms")" \
		"$f" "$(span "$work/$x-file.ms")" "$(wc -l <"$work/$x-file.ms")" \
		"$(awk -v a="$f" -v b="$l" 'BEGIN { print a / b }')"
done
