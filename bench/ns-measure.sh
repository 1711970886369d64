#!/bin/bash
# bench/ns-measure.sh MODE SEGMENTD CONF NFTFILE RELOADFILE
#
# One measurement, run by bench/program.sh inside a fresh network namespace
# (`unshare -n bench/ns-measure.sh ...`); refuses to run in the namespace
# it was started from (BENCH_HOST_NETNS, the caller's /proc/self/ns/net).
# Prints key=value lines on stdout:
#
#   seg-fresh    segmentd --once into the empty namespace:
#                wall_us, load_ms, apply_ms, commit_ms, batch
#   seg-reapply  segmentd --once (untimed; rss), then again (timed: the
#                in-place update of an existing table): wall_us, load_ms,
#                apply_ms, commit_ms, batch, rss (first run), rss2 (a third
#                untimed run on the same path)
#   nft-fresh    nft -f NFTFILE into the empty namespace: wall_us
#   nft-reapply  nft -f NFTFILE (untimed; rss), then nft -f RELOADFILE
#                (the same text after "flush table", timed): wall_us, rss
#
# Wall times are taken by bash ($EPOCHREALTIME, no fork) around the bare
# command; peak RSS comes from /usr/bin/time on untimed runs only.  The
# table is deleted at the end (nft closing its socket waits for the
# kernel's deferred destruction), so the namespace's own teardown does not
# run into the next measurement.

set -u
mode=$1 segmentd=$2 conf=$3 nftfile=$4 reloadfile=$5
table=${BENCH_TABLE:-segmentd}
err=${BENCH_ERR:-/dev/stderr}

if [ -n "${BENCH_HOST_NETNS:-}" ] &&
	[ "$(stat -L -c %i /proc/self/ns/net)" = "$BENCH_HOST_NETNS" ]; then
	echo "ns-measure: not in a private network namespace; refusing" >&2
	exit 3
fi

ip link set lo up 2>/dev/null

now_us() {
	local t=${EPOCHREALTIME/./}
	echo "$((10#$t))"
}

# peak RSS (KiB) of CMD...; "-" without /usr/bin/time
rss_of() {
	local f rc
	if [ ! -x /usr/bin/time ]; then
		"$@" >/dev/null 2>>"$err" || return
		echo -
		return 0
	fi
	f=$(mktemp)
	/usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>>"$err"
	rc=$?
	tail -n 1 "$f"
	rm -f "$f"
	return $rc
}

# segmentd's SEGMENTD_TIMING line -> key=value lines
timing() {
	sed -n 's/^timing: load+validate+compile \([0-9.]*\) ms, apply \([0-9.]*\) ms, last commit \([0-9.]*\) ms, batch \([0-9]*\) bytes$/load_ms=\1\napply_ms=\2\ncommit_ms=\3\nbatch=\4/p' "$1"
}

# timed_seg: segmentd --once, timed; wall_us and the timing figures
timed_seg() {
	local log t0 t1 rc
	log=$(mktemp)
	t0=$(now_us)
	SEGMENTD_TIMING=1 "$segmentd" --once -c "$conf" 2>"$log"
	rc=$?
	t1=$(now_us)
	if [ $rc -ne 0 ]; then
		cat "$log" >>"$err"
		rm -f "$log"
		return $rc
	fi
	echo "wall_us=$((t1 - t0))"
	timing "$log"
	grep -q '^timing:' "$log" || { echo "ns-measure: no timing line" >>"$err"; rm -f "$log"; return 1; }
	rm -f "$log"
}

timed_nft() {
	local t0 t1 rc
	t0=$(now_us)
	nft -f "$1" 2>>"$err"
	rc=$?
	t1=$(now_us)
	[ $rc -eq 0 ] || return $rc
	echo "wall_us=$((t1 - t0))"
}

rc=0
case $mode in
seg-fresh)
	timed_seg || rc=$?
	;;
seg-reapply)
	r=$(rss_of "$segmentd" --once -c "$conf") || rc=$?
	[ $rc -eq 0 ] && { timed_seg || rc=$?; }
	[ $rc -eq 0 ] && { r2=$(rss_of "$segmentd" --once -c "$conf") || rc=$?; }
	[ $rc -eq 0 ] && echo "rss=$r" && echo "rss2=$r2"
	;;
nft-fresh)
	timed_nft "$nftfile" || rc=$?
	;;
nft-reapply)
	r=$(rss_of nft -f "$nftfile") || rc=$?
	[ $rc -eq 0 ] && { timed_nft "$reloadfile" || rc=$?; }
	[ $rc -eq 0 ] && echo "rss=$r"
	;;
*)
	echo "ns-measure: unknown mode $mode" >&2
	exit 64
	;;
esac
nft delete table inet "$table" 2>/dev/null
exit $rc
