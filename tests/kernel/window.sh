#!/bin/bash
# window: without table persistence (SEGMENTD_NO_PERSIST=1, as on Debian
# 12's 6.1: the daemon runs unowned and the watchdog is the only
# protection), under a flood of forbidden datagrams (internet vbrowser ->
# mynumber atena, counted in atena's own namespace):
#  a. another process deletes the main table DELETES times: the guard table
#     holds, 0 datagrams arrive, and each deletion is restored;
#  b. it deletes the guard table DELETES times: the main table holds, 0
#     arrive, each restored;
#  c. it runs `nft flush ruleset` FLUSHES times (both tables gone): the
#     guard comes back first in one tiny commit; what arrives before it is
#     reported as the open window (flood rate measured at the gateway), and
#     afterwards the path stays closed.
# Control: the flood reaches atena with no segmentd.
. tests/lib/kernel.sh
. tests/lib/flood.sh
export SEGMENTD_NO_PERSIST=1
DELETES=${DELETES:-50}
FLUSHES=${FLUSHES:-20}
SEGMENTCTL=$PWD/$BUILD/segmentctl
export SEGMENTD_SOCKET=$TOPO_DIR/control
LOG=$TOPO_DIR/segmentd.log

topo_build
flood_init internet 10.3.1.10 mynumber 10.1.1.20 5353
flood_control
sd_start conf/segmentd.conf "$LOG"
restores() { grep -c "restored in" "$LOG" || true; }

# tamper NAME COUNT NFT-ARGS...: COUNT times, then waits for the restore
tamper() {
	local name=$1 count=$2 i n
	shift 2
	for ((i = 1; i <= count; i++)); do
		n=$(restores)
		topo_exec gw nft "$@" || fail "$name $i: nft $* failed"
		topo_wait_until 5 sh -c "[ \$(grep -c 'restored in' '$LOG') -gt $n ]" ||
			{ tail -n 20 "$LOG"; fail "$name $i: not restored within 5 s"; }
	done
	"$SEGMENTCTL" verify >/dev/null || fail "$name: verify after the tampers"
}

echo "== a. the main table deleted $DELETES times"
flood_start
tamper "delete main" "$DELETES" delete table inet segmentd
flood_stop
echo "ok: a: 0 forbidden datagrams while the main table was gone $DELETES times"

echo "== b. the guard table deleted $DELETES times"
flood_start
tamper "delete guard" "$DELETES" delete table inet segmentd-guard
flood_stop
echo "ok: b: 0 forbidden datagrams while the guard table was gone $DELETES times"

echo "== c. nft flush ruleset $FLUSHES times"
flood_count_start
rx0=$(flood_gw_rx)
t0=$(date +%s%N)
topo_spawn internet "$TOPO_DIR/flush-flood.out" "$FLOOD" -s 10.3.1.10 -d 3600 10.1.1.20 5353
FPID=$TOPO_PID
topo_wait_until 10 sh -c "[ \$(topo_exec gw cat /sys/class/net/inet0/statistics/rx_packets 2>/dev/null || echo 0) -ge $((rx0 + FLOOD_MIN)) ]" 2>/dev/null || true
tamper "flush ruleset" "$FLUSHES" flush ruleset
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
rx=$(( $(flood_gw_rx) - rx0 ))
topo_stop "$FPID" flood || fail "the flood failed: $(cat "$TOPO_DIR/flush-flood.out")"
flood_count_read
[ "$rx" -ge "$FLOOD_MIN" ] || fail "the flood did not reach the gateway ($rx packets)"
rate=$(( rx * 1000 / (ms > 0 ? ms : 1) ))
echo "c: $FLUSHES flushes under $rate forbidden datagrams/s: $FLOOD_GOT arrived at atena" \
	"(an open window of about $(( FLOOD_GOT * 1000000 / (rate > 0 ? rate : 1) / FLUSHES )) us per flush)"
# after the last restore the path is closed again
flood_start
sleep 0.3
flood_stop
sd_stop || fail "segmentd exit status on SIGTERM"
echo "window: all checks passed"
