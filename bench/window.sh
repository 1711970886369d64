#!/bin/bash
# bench/window.sh [BUILD] - the open window: forbidden packets that get
# through while another process deletes our tables, next to the restore
# times, in both ownership modes.
#
# Runs tests/kernel/window.sh (its private namespaces, its flood of UDP
# datagrams and TCP SYNs at WINDOW_PPS, 20,000/s by default, counted at the
# receiver) for each N in $WINDOW_SIZES (networks per family in the lgwan
# zone, bench/gen-config.sh; default 1000 100000) and each mode in
# $WINDOW_MODES (default: persist nopersist unowned noowner: as on this
# kernel, as on a kernel before 6.9 (the guard owned while the daemon
# runs), with `ownership = false` (the same, on any kernel 5.12+), as on
# one before 5.12 (no ownership at all)), with DELETES=50 and FLUSHES=20
# unless set.  Collects
# its "window: result" lines into a table: per phase the forbidden packets,
# the open window (forbidden packets / flood rate, per event), the guard's
# and the main table's restore time (the daemon's log: change event ->
# restoring commit) and, after `nft flush ruleset`, when a new allowed
# connection passes again.  Report to stdout and $WINDOW_RESULTS (default
# bench/results-window.txt), progress to stderr.  WINDOW_MERGE=1 re-runs
# only the sizes and modes asked for and keeps the other rows of the
# existing results file (its header says which rows came from which run).  Nothing asserts here
# (window.sh's own checks do: 0 forbidden packets for a single table, the
# path closed at the end).  Needs root.  About 15 minutes on 2 vCPUs.

set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
SIZES=${WINDOW_SIZES:-1000 100000}
MODES=${WINDOW_MODES:-persist nopersist unowned noowner}
RESULTS=${WINDOW_RESULTS:-$top/bench/results-window.txt}
export DELETES=${DELETES:-50} FLUSHES=${FLUSHES:-20}

[ "$(id -u)" = 0 ] || { echo "window.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x "$build/segmentd" ] || { echo "window.sh: $build/segmentd not built (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-window.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rc=0
for n in $SIZES; do
	for mode in $MODES; do
		echo "window.sh: N=$n $mode (DELETES=$DELETES FLUSHES=$FLUSHES) ..." >&2
		(
			cd "$top" || exit 1
			case $mode in
			nopersist) export SEGMENTD_NO_PERSIST=1 ;;
			unowned) export WINDOW_UNOWNED=1 ;;
			noowner) export SEGMENTD_NO_PERSIST=1 SEGMENTD_NO_OWNER=1 ;;
			esac
			BUILD=$build WINDOW_NETWORKS=$n bash tests/kernel/window.sh
		) >"$tmp/$n-$mode.out" 2>&1 || {
			echo "window.sh: N=$n $mode failed:" >&2
			tail -n 20 "$tmp/$n-$mode.out" >&2
			rc=1
		}
		grep '^window: result ' "$tmp/$n-$mode.out" >>"$tmp/results"
	done
done

# WINDOW_MERGE=1: the existing file's result lines for other sizes/modes
if [ -n "${WINDOW_MERGE:-}" ] && [ -f "$RESULTS" ]; then
	rerun=$(for n in $SIZES; do for m in $MODES; do
		case $m in
		persist) echo "mode=persist networks=$n " ;;
		nopersist) echo "mode=nopersist networks=$n " ;;
		unowned) echo "mode=persist-ownership-off networks=$n " ;;
		noowner) echo "mode=nopersist-noowner networks=$n " ;;
		esac
	done; done)
	grep '^window: result ' "$RESULTS" | grep -v -F "$rerun" >"$tmp/kept"
	{ cat "$tmp/kept"; cat "$tmp/results"; } >"$tmp/merged"
	# sizes first, then the modes in their usual order
	awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^networks=/) n = substr($i, 10); if ($i ~ /^mode=/) m = substr($i, 6) }
		o = m == "persist" ? 1 : m == "nopersist" ? 2 : m == "persist-ownership-off" ? 3 : 4
		printf "%012d %d %06d %s\n", n, o, NR, $0 }' "$tmp/merged" | sort | cut -d' ' -f4- >"$tmp/results"
	MERGED="$(sed -n 's/^tree: *//p' "$RESULTS" | head -n 1) (rows kept); re-run: $SIZES x $MODES"
fi

# One row per result line: key=value words, and "NAME median M max X".
report() {
	awk '
	function mm(k,   i) {
		for (i = 1; i <= NF; i++)
			if ($i == k) return $(i + 2) " / " $(i + 4)
		return "-"
	}
	{
		delete f
		for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[2] != "") f[kv[1]] = kv[2] }
		fb = f["phase"] == "c" ? mm("forbidden_per_flush") : f["forbidden"]
		printf "%-7s %-21s %-22s %6s  %-15s %-15s %-17s %-17s %-15s\n",
			f["networks"], f["mode"], f["tamper"], f["events"], fb,
			f["phase"] == "c" ? mm("window_ms") : "0",
			f["phase"] == "c" ? mm("guard_ms") : "-",
			mm("restore_ms"),
			f["phase"] == "c" ? mm("allowed_back_ms") : "-"
	}' "$tmp/results"
}

{
	echo "segmentd benchmarks - bench/window.sh (open window under tampering)"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs"
	echo "tree:     HEAD $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/ include/)')"
	[ -z "${MERGED:-}" ] || echo "merged:   earlier run: $MERGED"
	echo "flood:    UDP datagrams and TCP SYNs alternating, ${WINDOW_PPS:-20000}/s asked (the rate measured at the gateway is in the raw lines)"
	echo "modes:    persist = ownership on this kernel (6.9+: both tables owned, tampers refused);"
	echo "          nopersist = as before 6.9 (main table unowned + watchdog; guard owned while the daemon runs)"
	echo "          persist-ownership-off = ownership = false (main table unowned on any kernel; guard owned while the daemon runs)"
	echo "          nopersist-noowner = as before 5.12 (both unowned: the guard is restored first)"
	echo "Figures: median / max per event; ms.  forbidden: packets counted at the receiver;"
	echo "window = forbidden packets / flood rate; guard / restore = the daemon's log (change"
	echo "event -> the guard's / the main table's restoring commit); allowed back = the end of the"
	echo "tampering nft command -> the first new allowed connection that passes (probes one after"
	echo "another, ~50 ms each: the persist rows, where nothing is lost, show that floor)."
	echo
	printf "%-7s %-21s %-22s %6s  %-15s %-15s %-17s %-17s %-15s\n" networks mode tamper events \
		"forbidden" "window ms" "guard ms" "restore ms" "allowed back ms"
	report
	echo
	echo "raw:"
	cat "$tmp/results"
} | tee "$tmp/report"

# a failed run leaves the previous results in place
[ "$rc" = 0 ] || { echo "window.sh: a run failed; $RESULTS not written" >&2; exit 1; }
cp "$tmp/report" "$RESULTS" && echo "written to $RESULTS" >&2
