#!/bin/bash
# tests/kernel/ha.sh - a redundant pair: two gateways, each running segmentd
# on the same config file, keepalived (VRRPv3, 0.1 s adverts) and conntrackd
# (FTFW over UDP on the sync link), built from the shipped conf/ha/ files.
#
#   cl (lg-term 10.91.1.10) --[brl]-- g1 l0 .2 / g2 l0 .3    VIP 10.91.1.1
#   sv (vbrowser 10.91.2.10,  --[brs]-- g1 s0 .2 / g2 s0 .3   VIP 10.91.2.1
#       inet-host 10.91.2.20)
#   g1 sy 10.91.3.1 --[brsy]-- g2 sy 10.91.3.2   (a bridge: a dead peer is
#                                                  no carrier loss)
# The bridges live in a switch namespace "sw".  Allowed traffic throughout:
# one long-lived TCP connection lg-term -> vbrowser tcp/443 pushing 8 bytes
# every 10 ms each way (the stall is the longest silence) and a UDP echo
# lg-term -> vbrowser udp/3389 every 10 ms (the outage is the longest run of
# lost echoes).  Forbidden traffic throughout, both ways: UDP floods
# lg-term <-> inet-host and TCP SYNs lg-term -> inet-host tcp/22,
# lg-term -> vbrowser tcp/22 (allowed pair, other service) and
# inet-host -> lg-term tcp/22, counted by nftables counters at the
# receivers (prerouting, priority -400).  Before segmentd starts, the same
# floods are sent once with nothing in the way: each must arrive there, so
# that "0 forbidden" means something.
#
# Scenarios: start (one MASTER, both daemons enforcing, same ruleset),
# master cut off silently (takeover <= 1.0 s, allowed outage <= 0.5 s, TCP
# alive), failback (outage <= 0.5 s, TCP alive).  Every scenario: 0
# forbidden packets.  Then, with g1 MASTER again: revocation on g1 alone
# (a reload without flow "pull": its connection's entries deleted on g1 and
# in g2's copy of the state, the connection silent), and a forged entry on
# g1 (copied to g2 by conntrackd; ct-audit names it, --repair removes it on
# both).  Not yet here: the sync link cut (split brain; the cut tried so far
# left g2 BACKUP), skew and a degraded node under keepalived (peer.sh
# covers the weights without keepalived).  The figures go to $HA_REPORT (bench/ha.sh writes
# bench/results-ha.txt from it).
#
# VRRP: while segmentd has no ha group, VRRP runs on the unzoned sync link
# (unzoned_input accepts it; ha-notes §1.4's workaround), generated from the
# shipped keepalived.conf's settings (dont_track_primary: the sync link's
# carrier loss alone is no FAULT).
#
# Skips (77) when keepalived or conntrackd is missing, except under CI.
. tests/lib/kernel.sh
. tests/lib/skips.sh
for c in keepalived conntrackd conntrack /usr/bin/python3; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skips_ci && fail "'$c' is missing (scripts/deps.sh); under CI this is no skip"
		topo_skip "'$c' is not installed (scripts/deps.sh)"
	fi
done
TRAFFIC=(/usr/bin/python3 "$PWD/tests/tools/ha_traffic.py")
SEGMENTCTL=$(dirname "$SEGMENTD")/segmentctl
HA_REPORT=${HA_REPORT:-$TOPO_DIR/report.txt}
: >"$HA_REPORT"
D=$TOPO_DIR

say() { echo "ha: $*"; }
figure() { echo "$*" >>"$HA_REPORT"; say "$*"; }
now() { date +%s.%N; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# --- topology -------------------------------------------------------------
veth() {   # veth NS IF SWPORT BRIDGE
	ip link add "$2" netns "$(topo_ns "$1")" type veth peer name "$3" netns "$(topo_ns sw)"
	topo_exec sw ip link set "$3" master "$4" up
	topo_exec "$1" ip link set "$2" up
}

build() {
	local n b g i
	for n in sw g1 g2 cl sv; do topo_add_ns "$n"; done
	for b in brl brs brsy; do
		topo_exec sw ip link add "$b" type bridge forward_delay 0 mcast_snooping 0
		topo_exec sw ip link set "$b" up
	done
	veth cl eth0 cl-l brl
	veth sv eth0 sv-s brs
	for i in 1 2; do
		g=g$i
		veth "$g" l0 "$g-l" brl
		veth "$g" s0 "$g-s" brs
		veth "$g" sy "$g-y" brsy
		topo_exec "$g" ip addr add "10.91.1.$((i + 1))/24" dev l0
		topo_exec "$g" ip addr add "10.91.2.$((i + 1))/24" dev s0
		topo_exec "$g" ip addr add "10.91.3.$i/24" dev sy
		topo_exec "$g" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	topo_exec cl ip addr add 10.91.1.10/24 dev eth0
	topo_exec cl ip route add default via 10.91.1.1
	topo_exec sv ip addr add 10.91.2.10/24 dev eth0
	topo_exec sv ip addr add 10.91.2.20/24 dev eth0
	topo_exec sv ip route add default via 10.91.2.1
}

# --- configs --------------------------------------------------------------
write_confs() {
	cat >"$D/segmentd.conf" <<'EOF'
version = 1;
zones = (
  { name = "lgwan";    class = "lgwan";    interfaces = [ "l0" ]; networks = [ "10.91.1.0/24" ]; },
  { name = "internet"; class = "internet"; interfaces = [ "s0" ]; networks = [ "10.91.2.0/24" ]; }
);
hosts = (
  { name = "lg-term";   zone = "lgwan";    addresses = [ "10.91.1.10" ]; },
  { name = "vbrowser";  zone = "internet"; role = "screen-transfer"; addresses = [ "10.91.2.10" ]; },
  { name = "inet-host"; zone = "internet"; addresses = [ "10.91.2.20" ]; }
);
flows = (
  { name = "screen"; from = "lg-term"; to = "vbrowser"; services = [ "tcp/443", "udp/3389" ]; },
  { name = "pull"; from = "lg-term"; to = "vbrowser"; services = [ "tcp/8443", "udp/3390" ]; }
);
EOF
	# the same config without flow "pull": what a revocation reloads
	sed -e '/"pull"/d' -e '/name = "screen"/s/ },$/ }/' "$D/segmentd.conf" >"$D/revoked.conf"
	"$SEGMENTD" --check -c "$D/revoked.conf" >/dev/null 2>&1 || fail "the revoked config is invalid"
	local i g other prio
	for i in 1 2; do
		g=g$i other=$((3 - i)) prio=$((200 - 50 * i))
		mkdir -p "$D/$g"
		cp "$D/segmentd.conf" "$D/$g/segmentd.conf"   # each node's own copy
		echo 0 >"$D/$g/ha-weight"
		sed -e "s|10.91.3.1$|@SELF@|; s|10.91.3.2$|10.91.3.$other|; s|@SELF@|10.91.3.$i|" \
			-e "s|/var/log/conntrackd-segmentd.log|$D/$g/conntrackd.log|" \
			-e "s|/var/lock/conntrackd-segmentd.lock|$D/$g/conntrackd.lock|" \
			-e "s|/var/run/conntrackd-segmentd.ctl|$D/$g/conntrackd.ctl|" \
			conf/ha/conntrackd.conf >"$D/$g/conntrackd.conf"
		# shellcheck disable=SC2016 # expanded by the wrapper
		printf '#!/bin/sh\necho "$(date +%%s.%%N) $*" >>%s\nexec %s -C %s -x %s -S %s "$@" 2>>%s\n' \
			"$D/$g/notify.log" "$PWD/conf/ha/segmentd-ha-notify" "$D/$g/conntrackd.conf" \
			"$SEGMENTCTL" "$D/$g/control" "$D/$g/notify.err" >"$D/$g/notify"
		chmod 0755 "$D/$g/notify"
		keepalived_conf "$g" "$prio" >"$D/$g/keepalived.conf"
	done
}

# The shipped conf's global settings, track_file and timing; the instance on
# the sync link (see the head comment).
keepalived_conf() {
	sed -n '/^global_defs/,/^}/p; /^track_file/,/^}/p' conf/ha/keepalived.conf |
		sed -e "s/router_id gw-a/router_id $1/" -e "s|/run/segmentd/ha-weight|$D/$1/ha-weight|"
	cat <<EOF
vrrp_instance PAIR {
	state BACKUP
	interface sy
	dont_track_primary
	virtual_router_id 50
	priority $2
	advert_int 0.1
	virtual_ipaddress {
		10.91.1.1/24 dev l0
		10.91.2.1/24 dev s0
	}
	track_interface {
		l0
		s0
	}
	track_file {
		segmentd
	}
	notify "$D/$1/notify"
}
EOF
}

# --- daemons --------------------------------------------------------------
start_segmentd() {   # start_segmentd G
	local g=$1 tries=500
	# shellcheck disable=SC2016 # expanded by that sh
	topo_spawn "$g" "$D/$g/segmentd.log" env SEGMENTD_SOCKET="$D/$g/control" \
		unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0" -c "$1"' \
		"$SEGMENTD" "$D/$g/segmentd.conf"
	eval "SD_$g=$TOPO_PID"
	until [ -S "$D/$g/control" ]; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ] || ! kill -0 "$TOPO_PID" 2>/dev/null; then
			cat "$D/$g/segmentd.log"
			fail "segmentd on $g did not come up"
		fi
		sleep 0.02
	done
}

start_ha() {   # start_ha G: conntrackd, then keepalived
	local g=$1
	topo_exec "$g" conntrackd -C "$D/$g/conntrackd.conf" -d ||
		fail "conntrackd on $g did not start: $(cat "$D/$g/conntrackd.log")"
	topo_spawn "$g" "$D/$g/keepalived.log" keepalived -n -l -D -P -f "$D/$g/keepalived.conf" \
		-p "$D/$g/keepalived.pid" -r "$D/$g/vrrp.pid"
}

sctl() { SEGMENTD_SOCKET="$D/$1/control" "$SEGMENTCTL" "${@:2}"; }
has_vip() { topo_exec "$1" ip -4 addr show dev l0 | grep -q 'inet 10\.91\.1\.1/'; }
masters() {
	local n=0
	has_vip g1 && n=$((n + 1))
	has_vip g2 && n=$((n + 1))
	echo "$n"
}
one_master() { [ "$(masters)" = 1 ]; }

# --- forbidden traffic and its counters ------------------------------------
# arm_counter NS UDP_MATCH SYN_MATCH: counters c_udp and c_syn in NS.
arm_counter() {
	topo_exec "$1" nft -f - <<EOF || fail "cannot arm the counters in $1"
table inet ha_arrivals {
	counter c_udp { }
	counter c_syn { }
	chain prerouting {
		type filter hook prerouting priority -400; policy accept;
		$2 udp dport 9 counter name "c_udp"
		$3 tcp dport 22 tcp flags & (syn|ack) == syn counter name "c_syn"
	}
}
EOF
}

arm_counters() {
	arm_counter cl "ip saddr 10.91.2.20 ip daddr 10.91.1.10" "ip saddr 10.91.2.0/24 ip daddr 10.91.1.10"
	arm_counter sv "ip saddr 10.91.1.10 ip daddr 10.91.2.20" "ip saddr 10.91.1.10"
}

count() {   # count NS NAME: packets, and reset
	topo_exec "$1" nft reset counter inet ha_arrivals "c_$2" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

forbidden_total() {
	echo $(($(count cl udp) + $(count cl syn) + $(count sv udp) + $(count sv syn)))
}

FLOOD_PIDS=
floods_start() {   # floods_start SECONDS-or-empty RATE SYNRATE
	local dur=${1:-3600}
	FLOOD_PIDS=
	topo_spawn cl "$D/flood-cl.out" "$FLOOD" -s 10.91.1.10 -r "$2" -d "$dur" 10.91.2.20 9
	FLOOD_PIDS="$FLOOD_PIDS $TOPO_PID"
	topo_spawn sv "$D/flood-sv.out" "$FLOOD" -s 10.91.2.20 -r "$2" -d "$dur" 10.91.1.10 9
	FLOOD_PIDS="$FLOOD_PIDS $TOPO_PID"
	topo_spawn cl "$D/syn-cl1.out" "${TRAFFIC[@]}" syn 10.91.1.10 10.91.2.20 22 "$3"
	FLOOD_PIDS="$FLOOD_PIDS $TOPO_PID"
	topo_spawn cl "$D/syn-cl2.out" "${TRAFFIC[@]}" syn 10.91.1.10 10.91.2.10 22 "$3"
	FLOOD_PIDS="$FLOOD_PIDS $TOPO_PID"
	topo_spawn sv "$D/syn-sv.out" "${TRAFFIC[@]}" syn 10.91.2.20 10.91.1.10 22 "$3"
	FLOOD_PIDS="$FLOOD_PIDS $TOPO_PID"
}

floods_stop() {   # [timed]: every flood ran until now (unless timed) and sent
	local p f
	for p in $FLOOD_PIDS; do
		[ -n "${1:-}" ] || kill -0 "$p" 2>/dev/null ||
			fail "a flood (pid $p) ended early: $(cat "$D"/flood-*.out "$D"/syn-*.out)"
		topo_stop "$p" flood || fail "a flood (pid $p) failed"
	done
	for f in flood-cl flood-sv syn-cl1 syn-cl2 syn-sv; do
		[ "$(cat "$D/$f.out")" -gt 0 ] 2>/dev/null || fail "flood $f sent nothing: $(cat "$D/$f.out")"
	done
}

# The positive control: with nothing but forwarding in the way (no segmentd
# yet), each forbidden stream reaches its receiver.
control() {
	local a b c d
	count cl udp >/dev/null; count cl syn >/dev/null; count sv udp >/dev/null; count sv syn >/dev/null
	floods_start 1 1000 50
	sleep 1.3
	floods_stop timed
	a=$(count cl udp) b=$(count cl syn) c=$(count sv udp) d=$(count sv syn)
	say "control without segmentd: cl udp=$a syn=$b, sv udp=$c syn=$d"
	[ "$a" -gt 100 ] && [ "$c" -gt 100 ] && [ "$b" -gt 5 ] && [ "$d" -gt 10 ] ||
		fail "the positive control: the forbidden streams do not arrive without segmentd"
}

# --- allowed traffic ------------------------------------------------------
reports() { wc -l <"$D/client.report" 2>/dev/null || echo 0; }
reports_past() { [ "$(reports)" -gt "$1" ]; }   # (re-read on every try)

window() {   # window NAME: the allowed-traffic figures since the last window
	local n
	n=$(reports)
	kill -USR1 "$CLIENT" || fail "the traffic client died"
	topo_wait_until 5 reports_past "$n" || fail "no report from the client"
	WIN=$(tail -n 1 "$D/client.report")
	STALL=$(echo "$WIN" | sed 's/.*stall_ms=\([0-9]*\).*/\1/')
	OUTAGE=$(echo "$WIN" | sed 's/.*outage_ms=\([0-9]*\).*/\1/')
	figure "$1: $WIN"
}

check_window() {   # check_window NAME MAX_OUTAGE_MS MAX_STALL_MS
	window "$1"
	case $WIN in tcp=alive*) ;; *) fail "$1: the long-lived TCP connection died" ;; esac
	[ "$OUTAGE" -le "$2" ] || fail "$1: allowed UDP outage ${OUTAGE} ms > $2 ms"
	[ "$STALL" -le "$3" ] || fail "$1: TCP stall ${STALL} ms > $3 ms"
}

no_forbidden() {   # no_forbidden NAME
	local n
	n=$(forbidden_total)
	figure "$1: forbidden packets at the receivers: $n"
	[ "$n" = 0 ] || fail "$1: $n forbidden packets arrived"
}

link_ports() {   # link_ports G up|down: G's switch ports, the sync link first
	topo_exec sw ip link set "$1-y" "$2"
	topo_exec sw ip link set "$1-l" "$2"
	topo_exec sw ip link set "$1-s" "$2"
}

# --- the run --------------------------------------------------------------
build
write_confs
arm_counters
topo_spawn sv "$D/server.log" "${TRAFFIC[@]}" serve 10.91.2.10 443 3389 "$D/server.ready"
topo_wait_file "$D/server.ready" "$TOPO_PID" || fail "the traffic server did not start"
for g in g1 g2; do start_ha "$g"; done
topo_wait_until 10 one_master || fail "no single MASTER without segmentd: $(masters)"
has_vip g1 || fail "g1 (priority 150) is not the MASTER"
control

# 1. start: both daemons on the same file; one MASTER; same ruleset
for g in g1 g2; do start_segmentd "$g"; done
sleep 1
one_master || fail "start: $(masters) MASTERs with segmentd running"
for g in g1 g2; do
	sctl "$g" status >"$D/$g/status" || fail "start: $g not enforcing: $(cat "$D/$g/status")"
done
fp1=$(sctl g1 --json status | sed 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/')
fp2=$(sctl g2 --json status | sed 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/')
[ -n "$fp1" ] && [ "$fp1" = "$fp2" ] || fail "start: rulesets differ: $fp1 / $fp2"
figure "start: one MASTER (g1), both enforcing, ruleset ${fp1:0:12}"
: >"$D/client.report"
topo_spawn cl "$D/client.log" "${TRAFFIC[@]}" client 10.91.1.10 10.91.2.10 443 3389 "$D/client.report"
CLIENT=$TOPO_PID
floods_start "" 1000 50
sleep 3
check_window start 50 300
no_forbidden start

# 2. the master is cut off silently (its switch ports down, the sync first)
sleep 1
# only this failover's notify steps count: at the start, before segmentd
# ran, g2 may have been MASTER for a moment, and its ct-audit found no
# daemon then
: >"$D/g2/notify.err"
t0=$(now)
link_ports g1 down
topo_wait_until 5 has_vip g2 || fail "failover: g2 did not take the addresses"
seen=$(ms_since "$t0")
# keepalived sets the addresses, then runs the notify script: its stamp
# (written a moment after the addresses can be seen: wait for it)
notify_master() {   # notify_master T0: ms from T0 to g2's MASTER stamp
	awk -v t="$1" '$4 == "MASTER" && $1 > t { printf "%d", ($1 - t) * 1000; f = 1; exit }
		END { exit !f }' "$D/g2/notify.log"
}
topo_wait_until 5 notify_master "$t0" ||
	fail "failover: g2 has the addresses but its notify script logged no MASTER"
takeover=$(notify_master "$t0")
figure "failover: takeover_ms=$takeover (addresses seen by polling after ${seen} ms)"
[ "$takeover" -le 1000 ] || fail "failover: takeover $takeover ms > 1000 ms"
sleep 3
check_window failover 500 1000
no_forbidden failover
# the MASTER steps: conntrackd's commit and segmentctl ct-audit --repair
! grep -q 'failed\|cannot' "$D/g2/notify.err" 2>/dev/null ||
	fail "failover: g2's notify script failed: $(cat "$D/g2/notify.err")"

# 3. failback: g1 returns, resyncs and preempts
t0=$(now)
link_ports g1 up
topo_wait_until 10 has_vip g1 || fail "failback: g1 did not take the addresses back"
topo_wait_until 3 sh -c "! ip -n $(topo_ns g2) -4 addr show dev l0 | grep -q 10.91.1.1/" ||
	fail "failback: g2 kept the addresses"
figure "failback: back_ms=$(ms_since "$t0")"
sleep 3
check_window failback 500 5000   # TCP: alive; a preempt before the resync can cost a retransmit backoff
no_forbidden failback

# 4. revocation on one node reaches the peer: g1 (MASTER) reloads without
# flow "pull"; the entries of its connection are deleted on g1, and the
# deletion reaches g2's copy of the state (conntrackd's external cache),
# so a failover could not bring the connection back.
pull_entries() {   # pull_entries G: G's kernel entries of flow pull's connection
	topo_exec "$1" conntrack -L -p tcp --dport 8443 2>/dev/null | grep 'dport=8443' || true
}
peer_cache() {     # peer_cache G PATTERN: G's external cache holds a PATTERN entry
	topo_exec "$1" conntrackd -C "$D/$1/conntrackd.conf" -e 2>/dev/null | grep -q -- "$2"
}
no_peer_cache() { ! peer_cache "$@"; }
pull_established() { pull_entries g1 | grep -q ESTABLISHED; }
pull_reports_past() { [ "$(wc -l <"$D/pull.report")" -gt "$1" ]; }
topo_spawn sv "$D/pull-server.log" "${TRAFFIC[@]}" serve 10.91.2.10 8443 3390 "$D/pull-server.ready"
topo_wait_file "$D/pull-server.ready" "$TOPO_PID" || fail "revoke: the second traffic server did not start"
: >"$D/pull.report"
topo_spawn cl "$D/pull.log" "${TRAFFIC[@]}" client 10.91.1.10 10.91.2.10 8443 3390 "$D/pull.report"
PULL=$TOPO_PID
topo_wait_until 5 pull_established || fail "revoke: flow pull's connection has no entry on g1"
topo_wait_until 5 peer_cache g2 'dport=8443' ||
	fail "revoke: the control: g2's external cache never held flow pull's entry (sync broken?)"
say "revoke: control: g2's copy of the state holds flow pull's connection"
cp "$D/revoked.conf" "$D/g1/segmentd.conf"
sctl g1 reload >"$D/g1/reload.out" || fail "revoke: reload on g1: $(cat "$D/g1/reload.out")"
grep -q "revocation: [1-9][0-9]* conntrack entr" "$D/g1/segmentd.log" ||
	fail "revoke: g1 logged no revocation: $(tail -n 5 "$D/g1/segmentd.log")"
[ -z "$(pull_entries g1)" ] || fail "revoke: g1 still holds flow pull's entry: $(pull_entries g1)"
topo_wait_until 5 no_peer_cache g2 'dport=8443' ||
	fail "revoke: the deletion did not reach g2's copy of the state"
n=$(wc -l <"$D/pull.report")
kill -USR1 "$PULL"                     # a report line closes the window so far
topo_wait_until 5 pull_reports_past "$n" || fail "revoke: no report from the pull client"
sleep 2
n=$(wc -l <"$D/pull.report")
kill -USR1 "$PULL"
topo_wait_until 5 pull_reports_past "$n" || fail "revoke: no report from the pull client"
PWIN=$(tail -n 1 "$D/pull.report")
pstall=$(echo "$PWIN" | sed 's/.*stall_ms=\([0-9]*\).*/\1/')
[ "$pstall" -ge 1500 ] || fail "revoke: the revoked connection still carries data: $PWIN"
figure "revoke: g1's revocation reached g2's state copy; the revoked connection is silent ($PWIN)"
topo_stop "$PULL" "pull client" || true
no_forbidden revoke

# 5. a forged entry on the MASTER (a valid flow mark on a forbidden tuple,
# lg-term -> inet-host udp/3389) is copied to the peer by conntrackd, which
# has no authentication; ct-audit finds it, --repair deletes it on g1, and
# the deletion reaches g2's copy too.
mark=$(topo_exec g1 conntrack -L -p tcp --dport 443 2>/dev/null | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1)
[ -n "$mark" ] && [ "$mark" -ge 2147483648 ] || fail "forged: no flow mark on the screen connection's entry"
topo_exec g1 conntrack -I -p udp -s 10.91.1.10 -d 10.91.2.20 --sport 40404 --dport 3389 \
	-r 10.91.2.20 -q 10.91.1.10 --reply-port-src 3389 --reply-port-dst 40404 \
	-t 120 -u SEEN_REPLY,ASSURED -m "$mark" >/dev/null 2>&1 || fail "forged: conntrack -I failed"
topo_wait_until 5 peer_cache g2 'sport=40404' ||
	fail "forged: the control: the forged entry never reached g2's copy of the state"
rc=0
sctl g1 ct-audit >"$D/g1/audit1" || rc=$?
{ [ "$rc" = 1 ] && grep -q "udp 10.91.1.10:40404 -> 10.91.2.20:3389" "$D/g1/audit1"; } ||
	fail "forged: ct-audit on g1 (exit $rc) does not name the forged entry: $(cat "$D/g1/audit1")"
sctl g1 ct-audit --repair >"$D/g1/audit2" || fail "forged: ct-audit --repair on g1: $(cat "$D/g1/audit2")"
sctl g1 ct-audit >/dev/null || fail "forged: ct-audit on g1 still finds the entry after --repair"
topo_wait_until 5 no_peer_cache g2 'sport=40404' ||
	fail "forged: the repair did not reach g2's copy of the state"
figure "forged: the entry reached g2's state copy; ct-audit named it on g1, --repair removed it on both"
no_forbidden forged

floods_stop
no_forbidden end
for g in g1 g2; do
	eval "pid=\$SD_$g"
	topo_stop "$pid" "segmentd on $g" || fail "segmentd on $g exited with an error"
done
say "PASS"
