#!/bin/bash
# bench/program.sh [BUILD] - how long segmentd takes to program its table,
# against nft -f of the same ruleset and against the kernel's own commit.
#
# For each N in $BENCH_SIZES (default 1000 10000 100000 networks per family
# in the lgwan zone, bench/gen-config.sh), interleaved, $BENCH_RUNS runs
# ($BENCH_RUNS_BIG for N >= 100000), each in a fresh `unshare -n`:
#
#   fresh     segmentd --once into an empty namespace (whole process, wall)
#             vs nft -f of segmentd's own --print output (generated once,
#             outside the timing) into an empty namespace
#   re-apply  segmentd --once onto the table a first --once left (the
#             in-place path: flush rules and set elements, refill, one
#             transaction) vs nft -f of "flush table" + the same text onto
#             a table nft loaded
#
# Columns (medians): segmentd wall ms, nft -f wall ms, their ratio, the
# kernel commit ms (SEGMENTD_TIMING "last commit": sendmsg to the last
# ACK), segmentd / commit, load+validate+compile ms, apply ms (netlink
# part: state read, batch build, commit), peak RSS KiB of segmentd and of
# nft -f (/usr/bin/time %M, untimed runs), batch size.
#
# Measurements reported as ratios against baselines taken in the same run;
# nothing here asserts.  Never touches the caller's network namespace.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
SEGMENTD=${SEGMENTD:-$build/segmentd}
SIZES=${BENCH_SIZES:-1000 10000 100000}
RUNS=${BENCH_RUNS:-5}
RUNS_BIG=${BENCH_RUNS_BIG:-3}
MEASURE=$top/bench/ns-measure.sh

die() {
	echo "program.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in unshare nft ip awk; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed"
done
[ -x "$SEGMENTD" ] || die "$SEGMENTD not built (make)"
[ -x /usr/bin/time ] ||
	echo "program.sh: /usr/bin/time missing (apt-get install -y time): no RSS figures" >&2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-bench.XXXXXX")
cleanup() {
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export BENCH_HOST_NETNS
BENCH_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
export BENCH_ERR=$WORK/errors

# median of the numbers on stdin ("-" if none)
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# elements of the named sets in nft text (elements = { a, b, ... })
count_elements() {
	awk -v want="$2" '
	/^\tset / { name = $2; inel = 0 }
	/elements = \{/ { inel = 1; sub(/.*elements = \{/, "") }
	inel && name == want { n += gsub(/,/, ","); if (/\}/) { n++; inel = 0 } }
	inel && /\}/ { inel = 0 }
	END { print n + 0 }' "$1"
}

# measure N MODE RUN: one measurement in a fresh network namespace;
# appends "key value" lines to $WORK/N.MODE.KEY
measure() {
	local n=$1 mode=$2 out k v
	out=$(unshare -n "$MEASURE" "$mode" "$SEGMENTD" "$WORK/$n.conf" \
		"$WORK/$n.nft" "$WORK/$n.reload.nft") || {
		echo "program.sh: N=$n $mode failed:" >&2
		tail -n 20 "$BENCH_ERR" >&2
		exit 1
	}
	while IFS='=' read -r k v; do
		[ -n "$k" ] && echo "$v" >>"$WORK/$n.$mode.$k"
	done <<<"$out"
	sleep 0.1
}

med() {
	if [ -s "$1" ]; then median <"$1"; else echo -; fi
}

# fmt VALUE PRINTF-FORMAT ("-" passes through)
fmt() {
	case $1 in -) echo - ;; *) awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }' ;; esac
}

ratio() {
	case "$1$2" in *-*) echo - ;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;; esac
}

# pratio FILE_A SCALE_A FILE_B: median over the runs of A[i]/SCALE_A / B[i]
# (line i of both files comes from run i: a paired ratio, robust against
# load that drifts between runs)
pratio() {
	[ -s "$1" ] && [ -s "$3" ] || { echo -; return; }
	paste -d' ' "$1" "$3" | awk -v s="$2" '$2 > 0 { print $1 / s / $2 }' | median |
		awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}

echo "== programming the table: segmentd --once vs nft -f vs kernel commit =="
echo "segmentd: $SEGMENTD"
echo "runs: $RUNS per size ($RUNS_BIG at N >= 100000), interleaved, each in a fresh network namespace; medians"
echo

for n in $SIZES; do
	"$top/bench/gen-config.sh" "$n" "$WORK/$n.conf" || die "gen-config.sh $n failed"
	"$SEGMENTD" --print -c "$WORK/$n.conf" >"$WORK/$n.nft" 2>"$WORK/$n.print.err" ||
		die "segmentd --print -c (N=$n) failed: $(cat "$WORK/$n.print.err")"
	{ echo "flush table inet segmentd"; cat "$WORK/$n.nft"; } >"$WORK/$n.reload.nft"
	e4=$(count_elements "$WORK/$n.nft" zone_lgwan_v4)
	e6=$(count_elements "$WORK/$n.nft" zone_lgwan_v6)
	# the any zone (cloud): its complement (0 with any_zone = "negated")
	echo "N=$n: zone_lgwan_v4 $e4 elements, zone_lgwan_v6 $e6 elements" \
		"(cloud: $(count_elements "$WORK/$n.nft" zone_cloud_v4) + $(count_elements "$WORK/$n.nft" zone_cloud_v6)," \
		"$(grep -c "elements = " "$WORK/$n.nft") sets with elements)"
done
echo

modes=(seg-fresh nft-fresh seg-reapply nft-reapply)
maxruns=$RUNS
[ "$RUNS_BIG" -gt "$maxruns" ] && maxruns=$RUNS_BIG
for r in $(seq "$maxruns"); do
	for n in $SIZES; do
		runs=$RUNS
		[ "$n" -ge 100000 ] && runs=$RUNS_BIG
		[ "$r" -le "$runs" ] || continue
		# rotate the order from run to run
		k=$(( (r - 1) % ${#modes[@]} ))
		order="${modes[*]:k} ${modes[*]:0:k}"
		for m in $order; do
			measure "$n" "$m" "$r"
		done
		printf '  run %d N=%-6d seg %s ms, nft %s ms\n' "$r" "$n" \
			"$(tail -n 1 "$WORK/$n.seg-fresh.wall_us" | awk '{ printf "%.1f", $1 / 1000 }')" \
			"$(tail -n 1 "$WORK/$n.nft-fresh.wall_us" | awk '{ printf "%.1f", $1 / 1000 }')" >&2
	done
done

hdr='%-7s %-9s %10s %9s %8s %10s %8s %9s %9s %10s %10s %8s\n'
printf "$hdr" N path "segmentd" "nft -f" "seg/nft" "commit" "seg/cmt" "load+cmp" "apply" "RSS KiB" "nft RSS" "batch"
printf "$hdr" "" "" ms ms "" ms "" ms ms segmentd "KiB" MB
for n in $SIZES; do
	for path in fresh reapply; do
		s=$WORK/$n.seg-$path
		f=$WORK/$n.nft-$path
		seg=$(med "$s.wall_us" | awk '{ print ($1 == "-") ? "-" : $1 / 1000 }')
		nft=$(med "$f.wall_us" | awk '{ print ($1 == "-") ? "-" : $1 / 1000 }')
		cmt=$(med "$s.commit_ms")
		load=$(med "$s.load_ms")
		apply=$(med "$s.apply_ms")
		batch=$(med "$s.batch")
		rn=$(pratio "$s.wall_us" 1 "$f.wall_us")
		rc=$(pratio "$s.wall_us" 1000 "$s.commit_ms")
		if [ "$path" = fresh ]; then
			rss=$(med "$WORK/$n.seg-reapply.rss")
			nrss=$(med "$WORK/$n.nft-reapply.rss")
		else
			rss=$(med "$WORK/$n.seg-reapply.rss2")
			nrss=-
		fi
		printf "$hdr" "$n" "$([ $path = fresh ] && echo fresh || echo re-apply)" \
			"$(fmt "$seg" %.1f)" "$(fmt "$nft" %.1f)" "$rn"x \
			"$(fmt "$cmt" %.1f)" "$rc"x "$(fmt "$load" %.1f)" \
			"$(fmt "$apply" %.1f)" "$rss" "$nrss" "$(case $batch in -) echo - ;; *) awk -v b="$batch" 'BEGIN { printf "%.2f", b / 1048576 }' ;; esac)"
		echo "$n $path $rn $rc $load" >>"$WORK/summary"
	done
done
echo
# min-max over the runs: how noisy this machine was
span() {
	[ -s "$1" ] || { echo -; return; }
	sort -g "$1" | awk -v d="$2" 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo / d, hi / d }'
}
echo "spread (min-max ms over the runs):"
for n in $SIZES; do
	for path in fresh reapply; do
		printf '  N=%-7s %-8s segmentd %s, nft -f %s, commit %s, load+cmp %s\n' "$n" \
			"$([ $path = fresh ] && echo fresh || echo re-apply)" \
			"$(span "$WORK/$n.seg-$path.wall_us" 1000)" "$(span "$WORK/$n.nft-$path.wall_us" 1000)" \
			"$(span "$WORK/$n.seg-$path.commit_ms" 1)" "$(span "$WORK/$n.seg-$path.load_ms" 1)"
	done
done
echo
echo "seg/nft: segmentd whole process / nft -f; seg/cmt: segmentd whole process / its kernel commit;"
echo "both ratios are medians of per-run ratios (runs pair adjacent measurements), the times medians;"
echo "load+cmp: load+validate+compile; apply: netlink part incl. commit; re-apply nft -f: 'flush table' + same text."
echo

# targets (reported, never asserted)
big=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 1)
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	if (v == "-") { print "n/a"; exit }
	ok = (op == "<=") ? (v <= t) : (v < t); print ok ? "met" : "MISSED" }'; }
echo "targets at N=$big:"
while read -r n path rn rc load; do
	[ "$n" = "$big" ] || continue
	[ "$path" = reapply ] && path=re-apply
	printf '  %-8s segmentd/nft -f   %6sx  (target <= 0.40x)  %s\n' "$path" "$rn" "$(verdict "$rn" 0.40 "<=")"
	printf '  %-8s segmentd/commit   %6sx  (target <= 1.50x)  %s\n' "$path" "$rc" "$(verdict "$rc" 1.50 "<=")"
	printf '  %-8s load+validate+compile %s ms  (target < 100 ms)  %s\n' "$path" "$(fmt "$load" %.1f)" "$(verdict "$load" 100 "<")"
done <"$WORK/summary"
