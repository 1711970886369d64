#!/bin/bash
# tests/kernel/ha.sh - a redundant pair: two gateways, each running segmentd
# on the same config file (conf/examples/ha-pair.conf: its ha group admits
# VRRP on the zone and VMAC interfaces from the peer only, and conntrackd
# and the peer beacon on the sync link from the peer only; unzoned_input
# "drop"), keepalived on the shipped conf/ha/keepalived.conf as shipped
# (VRRPv3, 0.1 s adverts, use_vmac, track_file on segmentd's weight file;
# the test changes router_id and priority for g2 only as its header says,
# and on both points the notify path at a logging wrapper and adds a
# notify_fifo, keepalived's own ordered record of its states) and conntrackd on the shipped conf/ha/conntrackd.conf.
#
#   cl (lg-term 10.91.1.10) --[brl]-- g1 l0 .2 / g2 l0 .3    VIP 10.91.1.1
#   sv (vbrowser 10.91.2.10,  --[brs]-- g1 s0 .2 / g2 s0 .3   VIP 10.91.2.1
#       inet-host 10.91.2.20)
#   g1 sy 10.91.3.1 --[brsy]-- g2 sy 10.91.3.2   (a bridge: a dead peer is
#                                                  no carrier loss)
# The bridges live in a switch namespace "sw".  Each gateway's segmentd and
# keepalived share one private /run (a mount namespace per gateway), so
# keepalived reads segmentd's /run/segmentd/ha-weight as on a real host.
#
# Allowed traffic throughout: one long-lived TCP connection lg-term ->
# vbrowser tcp/443 pushing 8 bytes every 10 ms each way (the stall is the
# longest silence) and a UDP echo lg-term -> vbrowser udp/3389 every 10 ms
# (the outage is the longest run of lost echoes).  Forbidden traffic
# throughout, both ways: UDP floods lg-term <-> inet-host and TCP SYNs
# lg-term -> inet-host tcp/22, lg-term -> vbrowser tcp/22 (allowed pair,
# other service) and inet-host -> lg-term tcp/22, counted by nftables
# counters at the receivers (prerouting, priority -400).  Before segmentd
# starts, the same floods (and the stateless FINs of scenario 8) are sent
# once with nothing in the way: each must arrive, so that "0 forbidden"
# means something.
#
# Scenarios, each judged on 0 forbidden packets at the receivers:
#  1 start: segmentd on both, then conntrackd and keepalived: one MASTER
#    (g1), the peers hear each other, same ruleset, weights 0
#  2 master cut off silently: takeover <= 1.0 s, allowed outage <= 0.5 s,
#    TCP alive; g2 forwards on its VMAC interface (the control of 9)
#  3 failback: outage <= 0.5 s, TCP alive
#  4 revocation on g1 alone (a reload without flow "pull"): its entries
#    deleted on g1 and in g2's copy of the state, the connection silent
#  5 config skew (what 4 leaves): g2's ruleset differs and is the older:
#    weight -254, keepalived FAULT; g1 loses its zone links: g2 is not
#    promoted and forwards nothing, though the switch floods the virtual
#    MAC to it (no MASTER: availability lost, not segmentation); then g2
#    reloads the same file: weight 0, BACKUP
#  6 a forged entry on g1 (copied to g2 by conntrackd): ct-audit names it,
#    --repair removes it on both
#  7 degraded backup: g2's segmentd killed (its weight file left at 0) and
#    restarted on an invalid config: weight -254, FAULT; g1 cut off: g2 is
#    not promoted and forwards nothing; g2 reloads a valid file: BACKUP
#  8 INVALID under keepalived: FIN/RST of the allowed service with no
#    state, through the MASTER's VMAC: counted as invalid (counters,
#    metrics), not as a policy denial (denied), none arrive
#  9 split brain: the sync link cut and VRRP lost between the nodes: both
#    MASTER; after the heal g2 gives the addresses up and, once g1's
#    gratuitous ARPs moved the virtual MAC in the switch, forwards nothing
#    more (within 12 s; without a VMAC it would forward for good)
# Where the failover moves the virtual MAC, the switch floods it until the
# new MASTER's gratuitous ARP: a BACKUP may forward meanwhile (the same
# policy), a FAULT node may not (the notify script turns forwarding off).
# The figures go to $HA_REPORT (bench/ha.sh writes bench/results-ha.txt
# from it).
#
# Skips (77) when keepalived or conntrackd is missing, except under CI.
. tests/lib/kernel.sh
. tests/lib/skips.sh
for c in keepalived conntrackd conntrack nsenter /usr/bin/python3; do
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
# HA_KEEP=DIR: the gateways' logs (segmentd, keepalived, conntrackd, notify)
# copied there when the test fails
fail() {
	echo "FAIL: $*"
	if [ -n "${HA_KEEP:-}" ] && mkdir -p "$HA_KEEP"; then
		cp -r "$D/g1" "$D/g2" "$HA_KEEP"/ 2>/dev/null || true
		echo "ha: the gateways' logs are in $HA_KEEP"
	fi
	local g
	for g in g1 g2; do   # keepalived's last transitions, for the CI log
		[ -f "$D/$g/state.log" ] && grep GROUP "$D/$g/state.log" | tail -n 4 | sed "s/^/ha: $g keepalived: /"
	done
	exit 1
}

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
# segmentd: the shipped example with the key in the test directory and a
# second flow "pull" (what scenario 4 revokes); revoked.conf is the example
# itself, broken.conf an invalid one (scenario 7).
write_confs() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/ha.key"
	chmod 0600 "$D/ha.key"
	sed "s|/etc/segmentd/ha.key|$D/ha.key|" conf/examples/ha-pair.conf >"$D/revoked.conf"
	sed '/comment = "screen transfer from the LGWAN terminal"; }/s/ }$/ },\
  { name = "pull"; from = "lg-term"; to = "vbrowser"; services = [ "tcp\/8443", "udp\/3390" ]; }/' \
		"$D/revoked.conf" >"$D/segmentd.conf"
	sed 's/from = "lg-term"; to = "vbrowser";$/from = "no-such-host"; to = "vbrowser";/' \
		"$D/revoked.conf" >"$D/broken.conf"
	grep -q '"pull"' "$D/segmentd.conf" || fail "could not add flow pull to the example"
	"$SEGMENTD" --check -c "$D/segmentd.conf" >/dev/null 2>&1 || fail "the test config is invalid"
	"$SEGMENTD" --check -c "$D/revoked.conf" >/dev/null 2>&1 || fail "the revoked config is invalid"
	! "$SEGMENTD" --check -c "$D/broken.conf" >/dev/null 2>&1 || fail "the broken config is valid"
	local i g other prio
	for i in 1 2; do
		g=g$i other=$((3 - i)) prio=$((200 - 50 * i))
		mkdir -p "$D/$g"
		cp "$D/segmentd.conf" "$D/$g/segmentd.conf"   # each node's own copy
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
		# the shipped file; on gw-b router_id and priority as its header
		# says; the notify script's path (a wrapper that logs and names
		# this node's conntrackd.conf and control socket)
		printf '#!/bin/sh\nexec cat "$1" >>%s\n' "$D/$g/state.log" >"$D/$g/fifo-reader"
		chmod 0755 "$D/$g/fifo-reader"
		sed -e "s|router_id gw-a|router_id gw-$(echo "$i" | tr 12 ab)|" \
			-e "/^\trouter_id/a\\\tnotify_fifo $D/$g/state.fifo\n\tnotify_fifo_script $D/$g/fifo-reader" \
			-e "s|priority 150|priority $prio|" \
			-e "s|notify \"/etc/segmentd/ha/segmentd-ha-notify [^\"]*\"|notify \"$D/$g/notify\"|" \
			conf/ha/keepalived.conf >"$D/$g/keepalived.conf"
		grep -q "notify \"$D/$g/notify\"" "$D/$g/keepalived.conf" ||
			fail "the shipped keepalived.conf has no notify line to point at the test's wrapper"
	done
}

# --- daemons --------------------------------------------------------------
# Each gateway's own /run (a tmpfs in a mount namespace held by a sleeper):
# segmentd writes /run/segmentd/ha-weight there, keepalived reads it there.
start_holder() {   # start_holder G
	# shellcheck disable=SC2016 # expanded by that sh
	topo_spawn "$1" "$D/$1/holder.log" unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/segmentd && : >"$0" && exec sleep 3600' \
		"$D/$1/holder.ready"
	eval "HOLD_$1=$TOPO_PID"
	topo_wait_file "$D/$1/holder.ready" "$TOPO_PID" || fail "$1's /run holder did not start"
}
hold() { eval "echo \$HOLD_$1"; }
node_of() { case $1 in g1) echo gw-a ;; g2) echo gw-b ;; esac; }

start_segmentd() {   # start_segmentd G [CONF]: SD_G is its pid
	local g=$1 conf=${2:-$D/$1/segmentd.conf} tries=500
	rm -f "$D/$g/control"
	topo_spawn "$g" "$D/$g/segmentd.log" env SEGMENTD_SOCKET="$D/$g/control" \
		nsenter -t "$(hold "$g")" -m "$SEGMENTD" -c "$conf" --node "$(node_of "$g")"
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

start_ha() {   # start_ha G: conntrackd, then keepalived (in G's /run)
	local g=$1
	topo_exec "$g" conntrackd -C "$D/$g/conntrackd.conf" -d ||
		fail "conntrackd on $g did not start: $(cat "$D/$g/conntrackd.log")"
	topo_spawn "$g" "$D/$g/keepalived.log" nsenter -t "$(hold "$g")" -m \
		keepalived -n -l -D -P -f "$D/$g/keepalived.conf" \
		-p "$D/$g/keepalived.pid" -r "$D/$g/vrrp.pid"
	eval "KA_$g=$TOPO_PID"
}

sctl() { SEGMENTD_SOCKET="$D/$1/control" "$SEGMENTCTL" "${@:2}"; }
weight() { cat "/proc/$(hold "$1")/root/run/segmentd/ha-weight" 2>/dev/null; }
weight_is() { [ "$(weight "$1")" = "$2" ]; }
heard() { sctl "$1" --json status | grep -q '"heard":true'; }
# keepalived's state: the last group transition keepalived wrote to its
# notify fifo.  (Not the notify script's log: two notifies forked at once,
# MASTER then BACKUP when a higher priority preempts at start, can log in
# either order.)
ka_state() { awk '$1 == "GROUP" { s = $3 } END { print s }' "$D/$1/state.log" 2>/dev/null; }
ka_state_is() { [ "$(ka_state "$1")" = "$2" ]; }
has_vip() { topo_exec "$1" ip -4 addr show | grep -q 'inet 10\.91\.1\.1/'; }
no_vip() { ! has_vip "$1"; }
masters() {
	local n=0
	has_vip g1 && n=$((n + 1))
	has_vip g2 && n=$((n + 1))
	echo "$n"
}
one_master() { [ "$(masters)" = 1 ]; }
two_masters() { [ "$(masters)" = 2 ]; }
g1_master_alone() { has_vip g1 && ! has_vip g2; }

# --- forbidden traffic and its counters ------------------------------------
# arm_counter NS UDP_MATCH SYN_MATCH FIN_MATCH: counters c_udp, c_syn and
# c_fin (scenario 8's stateless FIN/RSTs) in NS.
arm_counter() {
	topo_exec "$1" nft -f - <<NFT || fail "cannot arm the counters in $1"
table inet ha_arrivals {
	counter c_udp { }
	counter c_syn { }
	counter c_fin { }
	chain prerouting {
		type filter hook prerouting priority -400; policy accept;
		$2 udp dport 9 counter name "c_udp"
		$3 tcp dport 22 tcp flags & (syn|ack) == syn counter name "c_syn"
		$4 counter name "c_fin"
	}
}
NFT
}

FIN_SPORT=61999   # above the ephemeral ports (32768-60999): no other stream uses it
arm_counters() {
	arm_counter cl "ip saddr 10.91.2.20 ip daddr 10.91.1.10" "ip saddr 10.91.2.0/24 ip daddr 10.91.1.10" \
		"ip saddr 10.91.2.10 tcp sport 443 tcp dport $FIN_SPORT"
	arm_counter sv "ip saddr 10.91.1.10 ip daddr 10.91.2.20" "ip saddr 10.91.1.10" \
		"ip saddr 10.91.1.10 tcp sport $FIN_SPORT tcp dport 443"
	# what g2 forwards from lg-term (scenarios 2, 5, 7, 9)
	topo_exec g2 nft -f - <<'NFT' || fail "cannot arm g2's forwarding counter"
table inet ha_fwd {
	counter c_fwd { }
	chain postrouting {
		type filter hook postrouting priority 400; policy accept;
		ip saddr 10.91.1.10 counter name "c_fwd"
	}
}
NFT
}

count() {   # count NS NAME: packets, and reset
	topo_exec "$1" nft reset counter inet ha_arrivals "c_$2" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
fwd_g2() {   # the packets from lg-term g2 forwarded, and reset
	topo_exec g2 nft reset counter inet ha_fwd c_fwd | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

forbidden_total() {
	echo $(($(count cl udp) + $(count cl syn) + $(count sv udp) + $(count sv syn) +
		$(count cl fin) + $(count sv fin)))
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

# send_fins NS SRC SPORT DST DPORT N: N FIN|ACK and N RST segments of a
# connection nobody has (conntrack: INVALID).
send_fins() {
	topo_exec "$1" /usr/bin/python3 - "$2" "$3" "$4" "$5" "$6" <<'PY'
import socket, struct, sys
src, sport, dst, dport, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.bind((src, 0))
for flags in [0x11] * n + [0x04] * n:
    h = struct.pack("!HHIIBBHHH", sport, dport, 7000, 9000, 5 << 4, flags, 64240, 0, 0)
    p = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(h))
    s.sendto(h[:16] + struct.pack("!H", csum(p + h)) + h[18:], (dst, 0))
PY
}

# The positive control: with nothing but forwarding in the way (no segmentd,
# no keepalived: g1 holds the virtual addresses by hand), each forbidden
# stream reaches its receiver, and so do the FIN/RSTs of scenario 8.
control() {
	local a b c d e
	topo_exec g1 ip addr add 10.91.1.1/24 dev l0
	topo_exec g1 ip addr add 10.91.2.1/24 dev s0
	forbidden_total >/dev/null
	floods_start 1 1000 50
	send_fins cl 10.91.1.10 "$FIN_SPORT" 10.91.2.10 443 5
	sleep 1.3
	floods_stop timed
	a=$(count cl udp) b=$(count cl syn) c=$(count sv udp) d=$(count sv syn) e=$(count sv fin)
	count cl fin >/dev/null   # vbrowser's RSTs answering the FINs
	say "control without segmentd: cl udp=$a syn=$b, sv udp=$c syn=$d fin/rst=$e"
	[ "$a" -gt 100 ] && [ "$c" -gt 100 ] && [ "$b" -gt 5 ] && [ "$d" -gt 10 ] && [ "$e" = 10 ] ||
		fail "the positive control: the forbidden streams do not arrive without segmentd"
	topo_exec g1 ip addr del 10.91.1.1/24 dev l0
	topo_exec g1 ip addr del 10.91.2.1/24 dev s0
	topo_exec cl ip neigh flush all
	topo_exec sv ip neigh flush all
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

ports() {   # ports G up|down PORT...: G's switch ports (y sync, l, s), in one go
	local g=$1 st=$2 p
	shift 2
	for p in "$@"; do echo "link set $g-$p $st"; done | topo_exec sw ip -batch -
}

# notify_master G T0: ms from T0 to G's MASTER stamp (keepalived sets the
# addresses, then runs the notify script: its stamp comes a moment after
# the addresses can be seen)
notify_master() {
	awk -v t="$2" '$4 == "MASTER" && $1 > t { printf "%d", ($1 - t) * 1000; f = 1; exit }
		END { exit !f }' "$D/$1/notify.log"
}

# never_master G SECONDS: G holds no virtual address during SECONDS
never_master() {
	local end
	end=$(awk -v t="$(now)" -v s="$2" 'BEGIN { printf "%.2f", t + s }')
	while awk -v t="$(now)" -v e="$end" 'BEGIN { exit !(t < e) }'; do
		! has_vip "$1" || return 1
		sleep 0.05
	done
}

# --- the run --------------------------------------------------------------
build
write_confs
arm_counters
topo_spawn sv "$D/server.log" "${TRAFFIC[@]}" serve 10.91.2.10 443 3389 "$D/server.ready"
topo_wait_file "$D/server.ready" "$TOPO_PID" || fail "the traffic server did not start"
control

# 1. start: segmentd on both (one file), then conntrackd and keepalived
for g in g1 g2; do start_holder "$g"; start_segmentd "$g"; done
for g in g1 g2; do
	topo_wait_until 5 heard "$g" || fail "start: $g does not hear its peer: $(sctl "$g" status)"
	topo_wait_until 3 weight_is "$g" 0 || fail "start: $g's weight $(weight "$g"), want 0"
	sctl "$g" status >"$D/$g/status" || fail "start: $g not enforcing: $(cat "$D/$g/status")"
done
fp1=$(sctl g1 --json status | sed 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/')
fp2=$(sctl g2 --json status | sed 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/')
[ -n "$fp1" ] && [ "$fp1" = "$fp2" ] || fail "start: rulesets differ: $fp1 / $fp2"
for g in g1 g2; do   # the shipped file passes keepalived's own check
	topo_exec "$g" keepalived -t -f "$D/$g/keepalived.conf" >"$D/$g/keepalived-t.out" 2>&1 ||
		fail "start: keepalived -t on $g's keepalived.conf: $(cat "$D/$g/keepalived-t.out")"
done
t0=$(now)
for g in g1 g2; do start_ha "$g"; done
topo_wait_until 5 g1_master_alone || fail "start: no single MASTER g1 ($(masters) MASTERs)"
sleep 1
g1_master_alone || fail "start: $(masters) MASTERs a second later (VRRP dropped?)"
topo_wait_until 3 ka_state_is g2 BACKUP || fail "start: g2 is $(ka_state g2), not BACKUP"
topo_exec g1 ip -4 addr show dev vrrp.51 | grep -q 'inet 10\.91\.1\.1/' ||
	fail "start: the address is not on g1's VMAC interface vrrp.51"
figure "start: one MASTER (g1, the addresses on its VMAC interfaces) after $(ms_since "$t0") ms, both enforcing, peers heard, weights 0, ruleset ${fp1:0:12}"
: >"$D/client.report"
topo_spawn cl "$D/client.log" "${TRAFFIC[@]}" client 10.91.1.10 10.91.2.10 443 3389 "$D/client.report"
CLIENT=$TOPO_PID
floods_start "" 1000 50
sleep 3
check_window start 50 300
no_forbidden start

# 2. the master is cut off silently (its switch ports down, the sync first)
sleep 1
# only this failover's notify steps count
: >"$D/g2/notify.err"
fwd_g2 >/dev/null
t0=$(now)
ports g1 down y l s
topo_wait_until 5 has_vip g2 || fail "failover: g2 did not take the addresses"
seen=$(ms_since "$t0")
topo_wait_until 5 notify_master g2 "$t0" ||
	fail "failover: g2 has the addresses but its notify script logged no MASTER"
takeover=$(notify_master g2 "$t0")
figure "failover: takeover_ms=$takeover (addresses seen by polling after ${seen} ms)"
[ "$takeover" -le 1000 ] || fail "failover: takeover $takeover ms > 1000 ms"
sleep 3
check_window failover 500 1000
no_forbidden failover
# the control of 5, 7 and 9: as MASTER, g2 forwards lg-term's traffic
n=$(fwd_g2)
[ "$n" -gt 100 ] || fail "failover: g2 (MASTER) forwarded only $n packets from lg-term"
# the MASTER steps: conntrackd's commit and segmentctl ct-audit --repair
! grep -q 'failed\|cannot' "$D/g2/notify.err" 2>/dev/null ||
	fail "failover: g2's notify script failed: $(cat "$D/g2/notify.err")"

# 3. failback: g1 returns, resyncs and preempts
t0=$(now)
ports g1 up y l s
topo_wait_until 10 has_vip g1 || fail "failback: g1 did not take the addresses back"
topo_wait_until 3 no_vip g2 || fail "failback: g2 kept the addresses"
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
sleep 1.1   # last_apply has 1 s resolution: g1's reload must be the newer
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

# 5. config skew: what 4 left.  g1 enforces the newer ruleset, g2 the older,
# different one: g2 writes -254 and keepalived puts it into FAULT.  g1
# loses its zone links (the sync link stays: g2 still hears it): g2 is not
# promoted.  Then g2 loads the same file: weight 0, BACKUP.
topo_wait_until 5 weight_is g2 -254 || fail "skew: g2 (older, different) has weight $(weight g2), want -254"
topo_wait_until 3 ka_state_is g2 FAULT || fail "skew: g2's keepalived is $(ka_state g2), not FAULT"
weight_is g1 0 || fail "skew: g1 (newer) has weight $(weight g1), want 0"
sctl g1 --json status | grep -q '"ruleset":"differs"' || fail "skew: g1 does not report the difference"
window skew-before
t0=$(now)
ports g1 down l s
topo_wait_until 3 no_vip g1 || fail "skew: g1 kept the addresses without its zone links"
fwd_g2 >/dev/null
never_master g2 3 || fail "skew: g2 (weight -254) took the addresses"
n=$(fwd_g2)
[ "$n" = 0 ] || fail "skew: g2 (FAULT) forwarded $n packets from lg-term (the switch floods the virtual MAC to it)"
heard g2 || fail "skew: g2 no longer hears g1 over the sync link"
figure "skew: g2 (older ruleset, weight -254, FAULT) was not promoted and forwarded nothing for 3 s after g1 lost its zone links"
ports g1 up l s
topo_wait_until 5 has_vip g1 || fail "skew: g1 did not take the addresses back"
figure "skew: no MASTER for $(ms_since "$t0") ms (availability, not segmentation)"
cp "$D/revoked.conf" "$D/g2/segmentd.conf"
sctl g2 reload >"$D/g2/reload.out" || fail "skew: reload on g2: $(cat "$D/g2/reload.out")"
topo_wait_until 5 weight_is g2 0 || fail "skew: g2 (the same ruleset again) has weight $(weight g2), want 0"
topo_wait_until 3 ka_state_is g2 BACKUP || fail "skew: g2's keepalived is $(ka_state g2), not BACKUP"
no_vip g2 || fail "skew: g2 took the addresses from g1"
sleep 1
window skew
case $WIN in tcp=alive*) ;; *) fail "skew: the long-lived TCP connection died" ;; esac
no_forbidden skew

# 6. a forged entry on the MASTER (a valid flow mark on a forbidden tuple,
# lg-term -> inet-host udp/3389) is copied to the peer by conntrackd, which
# has no authentication; ct-audit finds it, --repair deletes it on g1, and
# the deletion reaches g2's copy too.
screen_mark() {
	topo_exec g1 conntrack -L -p tcp --dport 443 2>/dev/null | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1
}
screen_marked() { [ "$(screen_mark)" -ge 2147483648 ] 2>/dev/null; }
topo_wait_until 10 screen_marked || fail "forged: no flow mark on the screen connection's entry"
mark=$(screen_mark)
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

# 7. a degraded backup is not promoted.  g2's segmentd is killed (SIGKILL:
# its weight file keeps the 0 it wrote) and restarted on an invalid config:
# it keeps the table it finds (degraded) and must write -254 itself.
eval "pid=\$SD_g2"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
weight_is g2 0 || fail "degraded: the control: the killed daemon's weight file says $(weight g2), not 0"
cp "$D/broken.conf" "$D/g2/segmentd.conf"
start_segmentd g2
sctl g2 status | grep -q DEGRADED || fail "degraded: g2 is not degraded: $(sctl g2 status)"
topo_wait_until 3 weight_is g2 -254 || fail "degraded: g2's weight is $(weight g2), want -254"
topo_wait_until 3 ka_state_is g2 FAULT || fail "degraded: g2's keepalived is $(ka_state g2), not FAULT"
t0=$(now)
ports g1 down y l s
topo_wait_until 3 no_vip g1 || fail "degraded: g1 kept the addresses without its links"
fwd_g2 >/dev/null
never_master g2 3 || fail "degraded: g2 (degraded, weight -254) took the addresses"
n=$(fwd_g2)
[ "$n" = 0 ] || fail "degraded: g2 (FAULT) forwarded $n packets from lg-term"
figure "degraded: g2 (invalid config, weight -254, FAULT) was not promoted and forwarded nothing for 3 s after g1 was cut off"
ports g1 up y l s
topo_wait_until 5 has_vip g1 || fail "degraded: g1 did not take the addresses back"
figure "degraded: no MASTER for $(ms_since "$t0") ms (availability, not segmentation)"
cp "$D/revoked.conf" "$D/g2/segmentd.conf"
sctl g2 reload >"$D/g2/reload.out" || fail "degraded: reload on g2: $(cat "$D/g2/reload.out")"
topo_wait_until 5 heard g2 || fail "degraded: g2 does not hear g1 after its reload"
topo_wait_until 5 weight_is g2 0 || fail "degraded: g2 (valid again) has weight $(weight g2), want 0"
topo_wait_until 3 ka_state_is g2 BACKUP || fail "degraded: g2's keepalived is $(ka_state g2), not BACKUP"
sleep 1
window degraded
case $WIN in tcp=alive*) ;; *) fail "degraded: the long-lived TCP connection died" ;; esac
no_forbidden degraded

# 8. INVALID under keepalived: FIN/RSTs of the allowed service (lg-term ->
# vbrowser tcp/443) with no connection behind them, through the MASTER's
# VMAC interface, as an allowed flow's packets look after state loss.  g1
# counts them as invalid in lgwan (counters, metrics), not as a denial of
# the pair (denied), and none arrive (the control showed they do without
# segmentd).
invalid_pkts() { sctl g1 --json counters | sed -n 's/.*"invalid_lgwan":{"packets":\([0-9]*\).*/\1/p'; }
inv0=$(invalid_pkts)
[ -n "$inv0" ] || fail "invalid: no invalid_lgwan in g1's counters: $(sctl g1 --json counters)"
send_fins cl 10.91.1.10 "$FIN_SPORT" 10.91.2.10 443 5
invalid_counted() { [ "$(invalid_pkts)" -ge $((inv0 + 10)) ]; }
topo_wait_until 3 invalid_counted || fail "invalid: g1 counted $(($(invalid_pkts) - inv0)) invalid packets, want 10"
sctl g1 metrics | grep -q '^segmentd_invalid_packets_total{zone="lgwan"} [1-9]' ||
	fail "invalid: g1's metrics: $(sctl g1 metrics | grep invalid)"
# denied: the allowed service only on invalid rows, never as a pair's denial
sctl g1 denied >"$D/g1/denied"
grep -q " invalid lgwan  *tcp/443 " "$D/g1/denied" ||
	fail "invalid: denied has no invalid row for tcp/443: $(cat "$D/g1/denied")"
! grep "tcp/443" "$D/g1/denied" | grep -qv " invalid lgwan " ||
	fail "invalid: shown as a policy denial: $(grep tcp/443 "$D/g1/denied")"
figure "invalid: 10 stateless FIN/RSTs of tcp/443 via g1's VMAC: invalid_lgwan +$(($(invalid_pkts) - inv0)) (counters, metrics), denied lists them as invalid, not as a pair's denial"
no_forbidden invalid

# 9. split brain: the sync link cut and VRRP lost between the nodes (a
# bridge rule in the switch drops protocol 112): both become MASTER.  That
# costs availability, not segmentation.  After the heal g2 gives the
# addresses up and its VMAC interface receives nothing more from lg-term.
t0=$(now)
ports g1 down y
topo_exec sw nft -f - <<'NFT' || fail "split: cannot block VRRP in the switch"
table bridge ha_split {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip protocol 112 drop
	}
}
NFT
topo_wait_until 5 two_masters || fail "split: not both MASTER ($(masters))"
figure "split: both MASTER after $(ms_since "$t0") ms"
fwd_g2 >/dev/null
sleep 4
figure "split: g2 forwarded $(fwd_g2) packets from lg-term in 4 s"
window split
no_forbidden split
t0=$(now)
topo_exec sw nft delete table bridge ha_split
ports g1 up y
topo_wait_until 5 no_vip g2 || fail "split: g2 kept the addresses after the heal"
topo_wait_until 3 ka_state_is g2 BACKUP || fail "split: g2's keepalived is $(ka_state g2), not BACKUP"
heal=$(ms_since "$t0")
has_vip g1 || fail "split: g1 lost the addresses in the heal"
# the switch moves the virtual MAC to g1 at g1's next gratuitous ARP (at
# once on g2's lower priority advert, at the latest at the 10 s refresh);
# until then g2 receives lg-term's traffic.  Without a VMAC the hosts would
# keep g2's MAC and g2 would forward for good (ha-notes F9).
fwd_g2 >/dev/null
quiet=
for _ in $(seq 24); do   # half-second windows, up to 12 s
	sleep 0.5
	[ "$(fwd_g2)" = 0 ] && { quiet=$(ms_since "$t0"); break; }
done
[ -n "$quiet" ] || fail "split: g2 (BACKUP) still forwards lg-term's traffic 12 s after the heal"
sleep 1
n=$(fwd_g2)
figure "split: healed after $heal ms (g2 BACKUP); g2's last forwarding of lg-term's traffic within $quiet ms of the heal (a quiet half second ending then; $n packets in the next second)"
[ "$n" = 0 ] || fail "split: g2 (BACKUP) forwards lg-term's traffic again: $n packets in 1 s"
sleep 1
window heal
no_forbidden heal

floods_stop
no_forbidden end
for g in g1 g2; do
	eval "pid=\$SD_$g"
	topo_stop "$pid" "segmentd on $g" || fail "segmentd on $g exited with an error"
	sanitizer_check "$D/$g/segmentd.log" || fail "sanitizer report from $g"
done
say "PASS"
