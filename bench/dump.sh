#!/bin/bash
# bench/dump.sh - what reading a big address set back costs the kernel, one
# set against the same intervals split into shards of at most
# $BENCH_SHARD intervals (default 2048), side by side.
#
# Why: every verification of a new or restored table reads each set back
# (NFT_MSG_GETSETELEM dumps).  A dump comes in parts of at most 32 KiB, and
# for each part the kernel's interval set (nft_set_rbtree) walks from its
# first element again, skipping those already sent: a set of n elements
# costs O(n^2 / part) in the kernel, whatever user space does.  Shards of
# bounded size make the same read linear.  This measures that, so a design
# that shards big sets can be judged by a ratio measured here, not by
# theory.
#
# For each N in $BENCH_SIZES (default 1000 10000 100000 IPv4 intervals,
# /24s at random, seeded), $BENCH_RUNS runs (default 3), interleaved, each
# in a fresh `unshare -n`: the table is loaded once with nft -f (untimed),
# then `nft list table` reads it back (timed: wall, and the kernel's share
# as the process's system time).  nft's own work (parsing, printing) is
# the same on both sides; the difference is the kernel's walk.
#
# Ratios against the one-set baseline of the same run; nothing here
# asserts.  Never touches the caller's network namespace.

set -u

SIZES=${BENCH_SIZES:-1000 10000 100000}
RUNS=${BENCH_RUNS:-3}
SHARD=${BENCH_SHARD:-2048}

die() {
	echo "dump.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in unshare nft awk; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-dump.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# gen N SHARD OUT: N disjoint /24 intervals (seeded), in one set (SHARD 0)
# or in sets of at most SHARD intervals each, consecutive in address order
gen() {
	awk -v n="$1" -v shard="$2" 'BEGIN {
		srand(12);
		# n distinct /24s out of the 2^24: a sorted pick, no repeats
		left = n; total = 16777216;
		for (i = 0; i < total && left > 0; i++)
			if (rand() * (total - i) < left) { s[n - left] = i; left--; }
		print "table inet bench {";
		per = shard > 0 ? shard : n;
		for (k = 0; k * per < n; k++) {
			printf "\tset s%d { type ipv4_addr; flags interval; elements = { ", k;
			for (j = k * per; j < (k + 1) * per && j < n; j++) {
				a = s[j];
				printf "%s%d.%d.%d.0/24", (j > k * per ? ", " : ""),
					int(a / 65536), int(a / 256) % 256, a % 256;
			}
			print " } }";
		}
		print "}";
	}' >"$3"
}

# measure FILE: in a fresh namespace, load FILE, then time `nft list table`
# (prints "wall_us sys_ms")
measure() {
	unshare -n bash -c '
		nft -f "$1" || exit 1
		t0=${EPOCHREALTIME/./}
		# the children'"'"' system time (cstime, field 17), in clock ticks
		c0=$(awk "{print \$17}" /proc/$$/stat)
		nft list table inet bench >/dev/null || exit 1
		t1=${EPOCHREALTIME/./}
		c1=$(awk "{print \$17}" /proc/$$/stat)
		echo "$(( 10#$t1 - 10#$t0 )) $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) ))"
		nft delete table inet bench
	' _ "$1"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

echo "segmentd benchmarks - bench/dump.sh"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs"
echo "tools:    $(nft --version 2>/dev/null)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo "runs:     $RUNS per size, interleaved, each in a fresh network namespace; medians"
echo "reader:   nft list table (a GETSETELEM dump per set); shards of at most $SHARD intervals"
echo

for n in $SIZES; do
	gen "$n" 0 "$WORK/one-$n.nft"
	gen "$n" "$SHARD" "$WORK/shard-$n.nft"
done

for r in $(seq 1 "$RUNS"); do
	for n in $SIZES; do
		for v in one shard; do
			m=$(measure "$WORK/$v-$n.nft") || die "N=$n $v: nft failed"
			set -- $m
			echo "$1" >>"$WORK/wall-$v-$n"
			echo "$2" >>"$WORK/sys-$v-$n"
			echo "  run $r N=$n $v: wall $(($1 / 1000)) ms, kernel $2 ms"
		done
	done
done

echo
printf '%-8s %6s %12s %12s %12s %12s %10s %10s\n' N sets "one ms" "shards ms" \
	"one sys ms" "shards sys" "wall" "kernel"
for n in $SIZES; do
	ow=$(median <"$WORK/wall-one-$n") sw=$(median <"$WORK/wall-shard-$n")
	os=$(median <"$WORK/sys-one-$n") ss=$(median <"$WORK/sys-shard-$n")
	sets=$(( (n + SHARD - 1) / SHARD ))
	awk -v n="$n" -v sets="$sets" -v ow="$ow" -v sw="$sw" -v os="$os" -v ss="$ss" 'BEGIN {
		printf "%-8s %6d %12.1f %12.1f %12d %12d %9.2fx %9.2fx\n", n, sets,
			ow / 1000, sw / 1000, os, ss, sw / ow, (os > 0 ? ss / os : 0);
	}'
done
echo
echo "wall, kernel: shards / one set (the kernel column: system time of the nft"
echo "process; a tick is $((1000 / $(getconf CLK_TCK))) ms)."
