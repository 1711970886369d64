#!/bin/bash
# coexist: segmentd beside Debian's nftables.service and iptables-nft.  The
# daemon runs the shipped config (ownership on) on the topology.  On this
# kernel it owns its table; with SEGMENTD_NO_PERSIST=1 (run-kernel.sh's
# second run, tests/lib/mode.sh) it runs unowned, as on kernels before 6.9.
#  a. nftables.service: `nft -f` of a file like Debian's /etc/nftables.conf
#     (`flush ruleset`, then its own table inet filter with accept
#     policies; written in the test's directory, never the host's /etc).
#     Owned: nft succeeds and the flush skips our table (no drift, the
#     fingerprint unchanged).  Unowned: the flush deletes our table and
#     its guard, the daemon restores them and names that nft (pid) as the
#     one who changed them.  Either way the filter table stays as loaded, and afterwards
#     forbidden probes are dropped (judged at the receiver) and allowed ones
#     pass.
#  b. The same load FLUSHES times under a forbidden UDP flood (internet
#     vbrowser -> mynumber atena, COEXIST_PPS datagrams/s).  The datagrams
#     that reach atena during each flush (counted in atena's namespace from
#     before the nft to after the restore) are printed, with the open
#     window they mean; then 0.3 s more must count none (the restore
#     closed the path).  Owned, every flush must count 0.  Unowned the
#     counts are the open window of the restore: reported, and checked
#     against COEXIST_MAX_LEAK per flush only when that is set.  Control:
#     the flood reaches atena while no segmentd runs, and keeps arriving at
#     the gateway throughout.
#  c. iptables-nft and ip6tables-nft ACCEPT everything in FORWARD and
#     INPUT beside segmentd: our table is not touched (no drift), an accept
#     in another table never overrides our drop (forbidden probes through
#     and to the gateway dropped, the flood counts 0), allowed flows and
#     the management service pass.
#  d. A /etc/nftables.conf that also declares segmentd's table (e.g. saved
#     with `nft list ruleset`): owned, the kernel refuses the whole file
#     (EPERM: nftables.service would fail, its filter table not loaded)
#     and nothing changes; unowned, it replaces our table, which the daemon
#     restores.
#  e. The fix the README gives: the file resets only its own table
#     (`table inet filter` + `delete table inet filter` instead of `flush
#     ruleset`): no drift in either mode, and the flood counts 0 at atena
#     while it loads.
. tests/lib/kernel.sh
. tests/lib/flood.sh
. tests/lib/mode.sh
topo_require_cmd iptables-nft ip6tables-nft
FLUSHES=${FLUSHES:-10}
COEXIST_PPS=${COEXIST_PPS:-20000}
COEXIST_MAX_LEAK=${COEXIST_MAX_LEAK:-}
PORT=9999
export SEGMENTD_SOCKET=$TOPO_DIR/control
restores() { grep -c "restored in" "$SD_LOG" || true; }
drifts() { grep -c "drift: .*changed by" "$SD_LOG" || true; }

# Debian 12's /etc/nftables.conf as the nftables package ships it (no
# policy given: accept).
debian_conf() {
	cat <<'EOF'
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
EOF
}

# The same, resetting only its own table (nft 1.0.6 has no `destroy`).
own_table_conf() {
	debian_conf | sed 's/^flush ruleset$/table inet filter\ndelete table inet filter/'
}

# nftables_service FILE: what nftables.service's ExecStart does, in the
# gateway, in the background (NFT_PID), waited for; its exit in NFT_RC.
nftables_service() {
	topo_spawn gw "$TOPO_DIR/nft.out" nft -f "$1"
	NFT_PID=$TOPO_PID NFT_RC=0
	wait "$NFT_PID" || NFT_RC=$?
}

# after_load WHAT RESTORES0 DRIFTS0: the daemon's answer to the load that
# just ran (NFT_PID).  Owned: nothing to restore.  Unowned: a restore,
# attributed to that nft.  Then the kernel matches what segmentd compiled.
after_load() {
	local what=$1
	if mode_owned; then
		sleep 0.2
		[ "$(drifts)" = "$3" ] || fail "$what: drift reported although the table is owned: $(grep drift: "$SD_LOG" | tail -n 3)"
	else
		topo_wait_until 5 sh -c "[ \$(grep -c 'restored in' '$SD_LOG') -gt $2 ]" ||
			fail "$what: no restore within 5 s: $(tail -n 5 "$SD_LOG")"
		grep -q "changed by nft (pid $NFT_PID)" "$SD_LOG" ||
			fail "$what: the drift is not attributed to nft pid $NFT_PID: $(grep drift: "$SD_LOG" | tail -n 3)"
	fi
	topo_wait_until 5 ctl verify || fail "$what: the kernel differs from segmentd's ruleset"
	[ "$(sd_sha)" = "$SHA0" ] || fail "$what: the fingerprint changed"
}

# probes WHAT: forbidden paths dropped (at the receiver), allowed pass.
probes() {
	topo_expect "$1: internet vbrowser -> atena udp/53" drop internet udp 10.3.1.10 10.1.1.20 53
	topo_expect "$1: atena -> internet tcp/443" drop mynumber tcp 10.1.1.20 10.3.1.10 443
	topo_expect "$1: lg-terminals -> internet inet-host tcp/443" drop lgwan tcp 10.2.8.10 10.3.5.5 443
	topo_expect "$1: internet -> the gateway ssh" drop internet tcp 10.3.1.10 10.3.0.1 22
	topo_expect "$1: screen-transfer tcp/3389" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
	topo_expect "$1: lg-admin -> the gateway ssh" pass lgwan tcp 10.2.9.10 10.2.0.1 22
}

# arrivals CMD...: the flood's datagrams that reach atena while CMD runs
# (FLOOD_GOT).
arrivals() {
	flood_count_start
	"$@"
	flood_count_read
}

topo_build
debian_conf >"$TOPO_DIR/nftables.conf"
flood_init internet 10.3.1.10 mynumber 10.1.1.20 "$PORT"
flood_control      # no segmentd yet: the path is open

sd_start conf/segmentd.conf
ctl status | grep -q "^protection: *$MODE_PROTECTION\$" || fail "$MODE: status: $(ctl status)"
SHA0=$(sd_sha)
[ -n "$SHA0" ] || fail "no fingerprint from segmentctl status"
echo "segmentd runs ($MODE): protection $MODE_PROTECTION"
probes "segmentd alone"

echo "== a. nftables.service loads Debian's /etc/nftables.conf (flush ruleset)"
r0=$(restores) d0=$(drifts)
nftables_service "$TOPO_DIR/nftables.conf"
[ "$NFT_RC" = 0 ] || fail "nft -f nftables.conf exited $NFT_RC: $(cat "$TOPO_DIR/nft.out")"
after_load "nftables.conf" "$r0" "$d0"
if mode_owned; then
	echo "owned: flush ruleset skipped our table (no drift, fingerprint unchanged)"
else
	echo "unowned: flush ruleset deleted our tables; restored, attributed to nft pid $NFT_PID:" \
		"$(grep -o 'restored in [0-9.]* ms' "$SD_LOG" | tail -n 1)"
fi
topo_exec gw nft list chain inet filter forward | grep -q 'hook forward' ||
	fail "nftables.conf's table inet filter is not there"
probes "after nftables.conf"

echo "== b. $FLUSHES loads under a forbidden flood of $COEXIST_PPS datagrams/s"
flood_start_rate() {   # flood_start at COEXIST_PPS: the restore must get CPU on 2 cores
	local tool=$FLOOD
	FLOOD=$TOPO_DIR/flood-rate
	printf '#!/bin/sh\nexec "%s" -r %s "$@"\n' "$tool" "$COEXIST_PPS" >"$FLOOD"
	chmod +x "$FLOOD"
	flood_start
	FLOOD=$tool
}
flood_start_rate
flood_count_read     # what flood_start armed: the time before the first load
[ "$FLOOD_GOT" = 0 ] || fail "$FLOOD_GOT datagrams reached atena before the first load"
leaks='' total=0 worst=0
for i in $(seq "$FLUSHES"); do
	r0=$(restores) d0=$(drifts)
	flood_count_start
	nftables_service "$TOPO_DIR/nftables.conf"
	[ "$NFT_RC" = 0 ] || fail "load $i: nft -f exited $NFT_RC: $(cat "$TOPO_DIR/nft.out")"
	after_load "load $i" "$r0" "$d0"
	sleep 0.05      # what was in flight at the restore
	flood_count_read
	leak=$FLOOD_GOT
	arrivals sleep 0.3
	[ "$FLOOD_GOT" = 0 ] || fail "load $i: $FLOOD_GOT datagrams reached atena in 0.3 s after the restore"
	leaks="$leaks $leak"
	total=$((total + leak))
	[ "$leak" -le "$worst" ] || worst=$leak
done
flood_count_start    # flood_stop reads it: the last 0.3 s, nothing
flood_stop
echo "forbidden datagrams at atena per flush ruleset ($MODE, $COEXIST_PPS/s):$leaks" \
	"(total $total, worst $worst: an open window of about $((worst * 1000 / COEXIST_PPS)) ms)"
if mode_owned; then
	[ "$total" = 0 ] || fail "owned: $total forbidden datagrams reached atena during the flushes"
elif [ -n "$COEXIST_MAX_LEAK" ]; then
	[ "$worst" -le "$COEXIST_MAX_LEAK" ] ||
		fail "unowned: $worst forbidden datagrams in one flush, more than COEXIST_MAX_LEAK=$COEXIST_MAX_LEAK"
fi

echo "== c. iptables-nft ACCEPT rules beside segmentd"
r0=$(restores) d0=$(drifts)
for ipt in iptables-nft ip6tables-nft; do
	topo_exec gw "$ipt" -A FORWARD -j ACCEPT
	topo_exec gw "$ipt" -A INPUT -j ACCEPT
done
topo_exec gw iptables-nft -S FORWARD | grep -q -- '-A FORWARD -j ACCEPT' || fail "no iptables-nft rule"
sleep 0.2
[ "$(drifts)" = "$d0" ] || fail "iptables-nft rules were taken for a change of our table: $(grep drift: "$SD_LOG" | tail -n 3)"
ctl verify >/dev/null || fail "iptables-nft: the kernel differs from segmentd's ruleset"
probes "with iptables-nft ACCEPT"
topo_expect "with iptables-nft ACCEPT: internet -> atena ipv6 tcp/443" drop internet tcp fd00:3:0:1::10 fd00:1::50 443
arrivals topo_exec internet "$FLOOD" -s 10.3.1.10 -r "$COEXIST_PPS" -d 0.5 10.1.1.20 "$PORT" >/dev/null
[ "$FLOOD_GOT" = 0 ] || fail "with iptables-nft ACCEPT $FLOOD_GOT forbidden datagrams reached atena"
echo "iptables-nft ACCEPT in FORWARD and INPUT: our table untouched, the flood counts 0 at atena"

echo "== d. an nftables.conf that declares segmentd's table too"
{ debian_conf; printf 'table inet segmentd {\n}\n'; } >"$TOPO_DIR/saved.conf"
r0=$(restores) d0=$(drifts)
nftables_service "$TOPO_DIR/saved.conf"
if mode_owned; then
	[ "$NFT_RC" != 0 ] || fail "owned: nft -f of a file with our table succeeded"
	grep -q "Operation not permitted" "$TOPO_DIR/nft.out" ||
		fail "owned: refused without EPERM: $(cat "$TOPO_DIR/nft.out")"
	topo_exec gw iptables-nft -S FORWARD | grep -q -- '-A FORWARD -j ACCEPT' ||
		fail "owned: the refused file's flush ruleset happened anyway"
	echo "owned: the whole file refused (EPERM), nothing flushed: $(grep -m1 'Operation not permitted' "$TOPO_DIR/nft.out")"
else
	[ "$NFT_RC" = 0 ] || fail "unowned: nft -f exited $NFT_RC: $(cat "$TOPO_DIR/nft.out")"
	echo "unowned: the file replaced our table with its own"
fi
after_load "nftables.conf with our table" "$r0" "$d0"
probes "after an nftables.conf with our table"
echo "== e. an nftables.conf that resets only its own table"
own_table_conf >"$TOPO_DIR/own.conf"
grep -q '^delete table inet filter$' "$TOPO_DIR/own.conf" || fail "own.conf: $(cat "$TOPO_DIR/own.conf")"
load_under_flood() {   # a 0.6 s flood with the load in its middle
	topo_spawn internet "$TOPO_DIR/e-flood.out" "$FLOOD" -s 10.3.1.10 -r "$COEXIST_PPS" -d 0.6 10.1.1.20 "$PORT"
	local pid=$TOPO_PID
	sleep 0.2
	nftables_service "$TOPO_DIR/own.conf"
	wait "$pid" || fail "the flood failed: $(cat "$TOPO_DIR/e-flood.out")"
}
r0=$(restores) d0=$(drifts)
arrivals load_under_flood
[ "$NFT_RC" = 0 ] || fail "nft -f own.conf exited $NFT_RC: $(cat "$TOPO_DIR/nft.out")"
[ "$(tail -n 1 "$TOPO_DIR/e-flood.out")" -gt 1000 ] || fail "the flood sent $(cat "$TOPO_DIR/e-flood.out")"
sleep 0.2
[ "$(drifts)" = "$d0" ] || fail "own.conf: drift reported: $(grep drift: "$SD_LOG" | tail -n 3)"
[ "$FLOOD_GOT" = 0 ] || fail "own.conf: $FLOOD_GOT forbidden datagrams reached atena"
ctl verify >/dev/null || fail "own.conf: the kernel differs from segmentd's ruleset"
topo_exec gw nft list chain inet filter forward | grep -q 'hook forward' || fail "own.conf: no table inet filter"
echo "resetting only its own table: no drift, 0 of $(tail -n 1 "$TOPO_DIR/e-flood.out") forbidden datagrams at atena"
sd_stop || fail "segmentd did not stop cleanly"
echo "coexist: all checks passed ($MODE)"
