#!/bin/bash
# bench/reload.sh [BUILD] - an unchanged reload of the running daemon
# (`segmentctl reload`, whole round trip, wall) against `nft -f` of the
# same ruleset (segmentd --print) into an empty namespace, interleaved, and
# (BENCH_CHANGE=1) a changed one instead: each run adds one network to
# lgwan-net or removes it again (programmed by its difference), and
# the daemon's RSS (VmRSS) after start and after the reloads.  N networks
# per family: $BENCH_N (default 100000), $BENCH_RUNS runs (default 5); then
# $BENCH_RSS_RELOADS more reloads (default 95, untimed, no nft -f) and the
# RSS after all of them (issue 12: no growth over 100 reloads).
# Everything runs in `unshare -n -m` namespaces (a private /run for the
# control socket); the caller's namespace is never touched.  Prints ratios
# (medians); nothing asserts.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
N=${BENCH_N:-100000}
RUNS=${BENCH_RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "reload.sh: needs root" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-reload.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$top/bench/gen-config.sh" "$N" "$WORK/n.conf" || exit 1
"$build/segmentd" --print -c "$WORK/n.conf" >"$WORK/n.nft" || exit 1
CHANGE=${BENCH_CHANGE:-0}
sed 's|networks = \[ "172.20.0.0/16" \];|networks = [ "172.20.0.0/16", "172.21.1.0/24" ];|' \
	"$WORK/n.conf" >"$WORK/n1.conf"
cmp -s "$WORK/n.conf" "$WORK/n1.conf" && { echo "reload.sh: could not add a network" >&2; exit 1; }
cp "$WORK/n.conf" "$WORK/d.conf"
MORE=${BENCH_RSS_RELOADS:-95}
export SD="$build/segmentd" CTL="$build/segmentctl" WORK RUNS MORE CHANGE
# shellcheck disable=SC2016 # expanded by the inner bash
unshare -n -m --propagation private bash -c '
	mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
	ip link set lo up
	"$SD" -c "$WORK/d.conf" >"$WORK/daemon.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		grep -q "programmed from" "$WORK/daemon.log" && break
		sleep 0.1
	done
	rss() { awk "/^VmRSS/ {print \$2}" /proc/$pid/status; }
	echo "rss_start_kib $(rss)"
	ms() { date +%s%N; }
	for i in $(seq "$RUNS"); do
		if [ "$CHANGE" = 1 ]; then   # one network more, then less
			if [ $((i % 2)) = 1 ]; then cp "$WORK/n1.conf" "$WORK/d.conf"
			else cp "$WORK/n.conf" "$WORK/d.conf"; fi
		fi
		t0=$(ms); "$CTL" reload >"$WORK/r.out" 2>&1 || cat "$WORK/r.out" >&2
		t1=$(ms)
		unshare -n nft -f "$WORK/n.nft"
		t2=$(ms)
		if [ "$CHANGE" = 1 ]; then
			grep -q "by its difference" "$WORK/r.out" || echo "run $i: not by its difference: $(cat "$WORK/r.out")" >&2
		else
			grep -q "nothing committed" "$WORK/r.out" || echo "run $i: reload committed" >&2
		fi
		echo "run $i reload_ms $(( (t1 - t0) / 1000 )) nft_ms $(( (t2 - t1) / 1000 ))" | awk "{ \$4 /= 1000; \$6 /= 1000; print }"
	done
	echo "rss_after_${RUNS}_reloads_kib $(rss)"
	for _ in $(seq "$MORE"); do
		"$CTL" reload >"$WORK/r.out" 2>&1 || cat "$WORK/r.out" >&2
	done
	[ "$MORE" -gt 0 ] && echo "rss_after_$((RUNS + MORE))_reloads_kib $(rss)"
	kill -TERM "$pid"; wait "$pid"
' | tee "$WORK/out"
what=unchanged
[ "$CHANGE" = 1 ] && what="one-network (added, removed)"
awk '/^run/ { print $4 / $6 }' "$WORK/out" | sort -n | awk -v n="$N" -v what="$what" '
	{ r[++k] = $1 }
	END { m = (k % 2) ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2
	      printf "N=%d %s reload / nft -f: %.3fx (median of %d runs)\n", n, what, m, k }'
