#!/bin/bash
# bench/shard.sh BUILD - `segmentd --once` with its big address sets split
# into shards (src/load/compile_shard.c) against the same ruleset whole and
# against `nft -f` of the whole ruleset's `--print`, side by side.
#
# The daemon does not lower yet: the lowered side is the hooks build
# (BUILD/hooks/segmentd, make test-bins) with SEGMENTD_TEST_SHARD=2048.
# Two configs (issue 12's): the bench's (bench/gen-config.sh 100000: 100k
# IPv4 and 100k IPv6 LGWAN networks, the any zone their complement) and
# issue 12's second (bench/gen-config2.sh: 100k internet and 20k LGWAN
# CIDRs, 2,000 hosts, 2,000 flows).  $BENCH_RUNS rounds (default 5), the
# three sides interleaved, each run in a fresh `unshare -n`; medians and
# ratios against `nft -f` of the same round set.  Nothing here asserts.
# Never touches the caller's network namespace.

set -u

BUILD=${1:-build}
RUNS=${BENCH_RUNS:-5}
SHARD=${BENCH_SHARD:-2048}
top=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "shard.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
[ -x "$BUILD/segmentd" ] || die "$BUILD/segmentd not built (make)"
[ -x "$BUILD/hooks/segmentd" ] || die "$BUILD/hooks/segmentd not built (make test-bins)"
for c in unshare nft awk; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-shard.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# wall CMD...: seconds CMD takes in a fresh network namespace (-1: failed)
wall() {
	unshare -n bash -c '
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo -1; exit; }
		e=$(date +%s.%N)
		echo "$s $e" | awk "{ printf \"%.3f\n\", \$2 - \$1 }"' _ "$@"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

run_config() {   # run_config LABEL CONF
	local label=$1 conf=$2 i
	unshare -n "$BUILD/segmentd" --print -c "$conf" >"$WORK/whole.nft" 2>/dev/null ||
		die "$label: --print failed"
	: >"$WORK/low" ; : >"$WORK/whole" ; : >"$WORK/nft"
	for i in $(seq "$RUNS"); do
		wall env SEGMENTD_TEST_SHARD="$SHARD" "$BUILD/hooks/segmentd" \
			--once -c "$conf" >>"$WORK/low"
		wall "$BUILD/segmentd" --once -c "$conf" >>"$WORK/whole"
		wall nft -f "$WORK/whole.nft" >>"$WORK/nft"
	done
	grep -q -- -1 "$WORK/low" "$WORK/whole" "$WORK/nft" && die "$label: a run failed"
	local lo wh nf
	lo=$(median <"$WORK/low"); wh=$(median <"$WORK/whole"); nf=$(median <"$WORK/nft")
	printf '%s (%s runs, medians)\n' "$label" "$RUNS"
	printf '  --once lowered (shards of %s)  %6.3f s  %.2fx nft -f   [%s]\n' \
		"$SHARD" "$lo" "$(echo "$lo $nf" | awk '{ print $1 / $2 }')" \
		"$(tr '\n' ' ' <"$WORK/low")"
	printf '  --once whole                   %6.3f s  %.2fx nft -f   [%s]\n' \
		"$wh" "$(echo "$wh $nf" | awk '{ print $1 / $2 }')" \
		"$(tr '\n' ' ' <"$WORK/whole")"
	printf '  nft -f of --print              %6.3f s                [%s]\n' \
		"$nf" "$(tr '\n' ' ' <"$WORK/nft")"
}

echo "segmentd benchmarks - bench/shard.sh"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs"
echo "tools:    $(nft --version 2>/dev/null)"
echo "tree:     $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo
sh "$top/bench/gen-config.sh" 100000 "$WORK/bench.conf" || die "gen-config.sh"
run_config "the bench's config (100k+100k LGWAN networks, any zone)" "$WORK/bench.conf"
sh "$top/bench/gen-config2.sh" "$WORK/c2.conf" file >/dev/null || die "gen-config2.sh"
run_config "issue 12's config (100k internet + 20k LGWAN, 2,000 hosts and flows)" "$WORK/c2.conf"
