#!/bin/bash
# peer: the HA peer check between two gateways (g1 = gw-a 10.91.3.1, g2 =
# gw-b 10.91.3.2 on the sync link "sy", a veth pair), each running segmentd
# on the same conf/examples/ha-pair.conf (key_file in the test directory,
# the node named with --node, each daemon with its own private /run, where
# it writes /run/segmentd/ha-weight: read through /proc/PID/root).
#   a. both up: each hears the other through its own input chain (the
#      beacon port is admitted from the peer's sync address only), the
#      rulesets are the same, both weights 0
#   b. a beacon under another key, sent from the peer's address: refused
#      and counted, the peer still heard
#   c. config skew: g2 reloads a config without the flow: g2's ruleset is
#      newer and differs, so g1 (the older) writes -254 and g2 keeps 0
#   d. g2 stops: g1 says NOT HEARD within 5 s, and its weight goes back to 0
# status, audit and metrics are each checked on what they say of the peer.
. tests/lib/kernel.sh
command -v python3 >/dev/null || topo_skip "python3 is missing"
D=$TOPO_DIR
CONF=$D/ha.conf

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/ha.key"
chmod 0600 "$D/ha.key"
sed "s|/etc/segmentd/ha.key|$D/ha.key|" conf/examples/ha-pair.conf >"$CONF"
grep -q "$D/ha.key" "$CONF" || fail "key_file not found in the example"

for g in g1 g2; do topo_add_ns "$g"; mkdir -p "$D/$g"; done
ip link add sy netns "$(topo_ns g1)" type veth peer name sy netns "$(topo_ns g2)"
for i in 1 2; do
	topo_exec "g$i" ip addr add "10.91.3.$i/24" dev sy
	topo_exec "g$i" ip link set sy up
done

start_node() {   # start_node G NODE: SD_G is its pid
	sd_spawn_in "$1" "$D/$1/segmentd.log" "$D/$1/control" "$CONF" --node "$2" ||
		fail "segmentd on $1 did not come up"
	eval "SD_$1=$TOPO_PID"
}
sctl() { SEGMENTD_SOCKET="$D/$1/control" "$SEGMENTCTL" "${@:2}"; }
weight() { local p; p=$(eval echo "\$SD_$1"); cat "/proc/$p/root/run/segmentd/ha-weight" 2>/dev/null; }
weight_is() { [ "$(weight "$1")" = "$2" ]; }
heard() { sctl "$1" --json status | grep -q '"heard":true'; }
not_heard() { sctl "$1" --json status | grep -q '"heard":false'; }
json_num() { sctl "$1" --json status | sed -n "s/.*\"$2\":\([-0-9]*\).*/\1/p"; }

echo "== a. both up"
start_node g1 gw-a
start_node g2 gw-b
for g in g1 g2; do
	topo_wait_until 5 heard "$g" || { sctl "$g" status; tail -n 5 "$D/$g/segmentd.log"; fail "$g does not hear its peer"; }
	sctl "$g" --json status | grep -q '"ruleset":"same"' || fail "$g: the rulesets are not the same: $(sctl "$g" status | grep -A1 'ha peer')"
	topo_wait_until 3 weight_is "$g" 0 || fail "$g: weight $(weight "$g"), want 0"
done
sctl g1 status | grep "ha peer" | sed 's/^/g1: /'
sctl g1 audit | grep -q "\[PASS\] 12. HA peer gw-b: heard, the same ruleset" ||
	fail "g1's audit: $(sctl g1 audit | grep -A2 'HA peer')"
sctl g2 metrics | grep -qx "segmentd_ha_peer_heard 1" || fail "g2's metrics: no segmentd_ha_peer_heard 1"
echo "ok: each hears the other, the same ruleset, weights 0 0 (audit and metrics agree)"

echo "== b. a beacon under another key, from the peer's address"
refused=$(json_num g1 beacons_refused)
topo_exec g2 python3 -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.91.3.2", 0))
s.sendto(b"SGPB" + os.urandom(220), ("10.91.3.1", 3781))'
topo_wait_until 3 sh -c "[ \"\$(SEGMENTD_SOCKET=$D/g1/control $SEGMENTCTL --json status | sed -n 's/.*\"beacons_refused\":\([0-9]*\).*/\1/p')\" -gt $refused ]" ||
	fail "the forged beacon was not refused (refused: $(json_num g1 beacons_refused))"
grep -q "ha: beacon refused" "$D/g1/segmentd.log" || fail "no 'beacon refused' in g1's log"
heard g1 || fail "g1 lost its peer over a forged beacon"
weight_is g1 0 || fail "g1's weight moved over a forged beacon: $(weight g1)"
echo "ok: refused ($(grep -m1 'ha: beacon refused' "$D/g1/segmentd.log" | sed 's/^.*ha: //'))"

echo "== c. config skew: g2 reloads without the flow"
sed '/^flows = (/,/^);/d' "$CONF" >"$D/ha-b.conf"
sleep 1.1    # last_apply has 1 s resolution: g2's must be the newer
cp "$CONF" "$D/ha-a.conf"
cp "$D/ha-b.conf" "$CONF"
sctl g2 reload >/dev/null || fail "g2's reload"
cp "$D/ha-a.conf" "$CONF"
topo_wait_until 5 sh -c "SEGMENTD_SOCKET=$D/g1/control $SEGMENTCTL --json status | grep -q '\"ruleset\":\"differs\"'" ||
	fail "g1 does not see the difference: $(sctl g1 status | grep -A1 'ha peer')"
topo_wait_until 3 weight_is g1 -254 || fail "g1 (older config) weight $(weight g1), want -254"
weight_is g2 0 || fail "g2 (newer config) weight $(weight g2), want 0"
grep -q "not promoted: the peer enforces a newer, different ruleset" "$D/g1/segmentd.log" ||
	fail "g1's log does not say why"
sctl g1 audit | grep -q "\[FAIL\] 12. HA peer gw-b: enforces a different ruleset" ||
	fail "g1's audit does not fail the skew: $(sctl g1 audit | grep -A2 'HA peer')"
sctl g1 metrics | grep -qx "segmentd_ha_weight -254" || fail "g1's metrics: no segmentd_ha_weight -254"
echo "ok: g1 -254 (older, differs), g2 0; g1's audit fails, its metrics say -254"

echo "== d. g2 stops"
topo_stop "$SD_g2" "segmentd on g2" || fail "segmentd on g2 exit status"
grep -q "weight -254 written .*segmentd stops" "$D/g2/segmentd.log" ||
	fail "g2 did not block its promotion when it stopped: $(tail -n 3 "$D/g2/segmentd.log")"
topo_wait_until 5 not_heard g1 || fail "g1 still hears a stopped peer"
topo_wait_until 3 weight_is g1 0 || fail "g1's weight $(weight g1) with no peer heard, want 0"
sctl g1 status | grep "ha peer" | sed 's/^/g1: /'
echo "ok: not heard, weight back to 0"
topo_stop "$SD_g1" "segmentd on g1" || fail "segmentd on g1 exit status"
for g in g1 g2; do
	sanitizer_check "$D/$g/segmentd.log" || fail "sanitizer report from $g"
done
echo "peer: all checks passed"
