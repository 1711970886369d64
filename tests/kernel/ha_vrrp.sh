#!/bin/bash
# ha_vrrp: the ha group's VRRP rule through both tables (main and guard).
# A gateway namespace programmed by `segmentd --once -c
# conf/examples/ha-pair.conf` receives VRRP adverts (IP protocol 112 to
# 224.0.0.18, TTL 255) on l0 from a peer namespace; a raw socket in the
# gateway counts what arrives.  From the peer node's vrrp address
# 10.91.1.3 with TTL 255 they arrive; with TTL 64, or from 10.91.1.50
# (no node address), none do.
# A control run first proves all of them arrive without a ruleset.
set -eu
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -x "$BUILD/segmentd" ] || { echo "SKIP: $BUILD/segmentd not built"; exit 77; }
[ -x "$PY" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
GW=hav-gw-$$ PEER=hav-peer-$$
cleanup() { ip netns del "$GW" 2>/dev/null || true; ip netns del "$PEER" 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ip netns add "$GW"
ip netns add "$PEER"
ip -n "$GW" link add l0 type veth peer name p0 netns "$PEER"
ip -n "$GW" addr add 10.91.1.2/24 dev l0
ip -n "$PEER" addr add 10.91.1.3/24 dev p0
ip -n "$PEER" addr add 10.91.1.50/24 dev p0
ip -n "$GW" link set l0 up
ip -n "$PEER" link set p0 up
ip -n "$PEER" route add 224.0.0.0/4 dev p0

# recv SECONDS: VRRP packets the gateway received (from any source).
recv_start() {
	ip netns exec "$GW" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.18") + socket.inet_aton("10.91.1.2"))
s.settimeout(0.2)
open(sys.argv[1], "w").close()
end, n = time.time() + 3, {}
while time.time() < end:
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    n[a[0]] = n.get(a[0], 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(n.items())))
' "$1" >"$2" &
	RECV=$!
	for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.02; done
	fail "the receiver did not start"
}
# send SRC TTL: 5 adverts to 224.0.0.18.
send() {
	ip netns exec "$PEER" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.bind((sys.argv[1], 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, int(sys.argv[2]))
for _ in range(5):
    s.sendto(bytes([0x31, 51, 100, 1, 0, 10, 0, 0]), ("224.0.0.18", 0))
' "$1" "$2"
}
# round: from the node at TTL 255 and 64, from a stranger at TTL 255.
round() {
	local dir
	dir=$(mktemp -d)
	recv_start "$dir/ready" "$dir/out"
	send 10.91.1.3 255
	send 10.91.1.3 64
	send 10.91.1.50 255
	wait "$RECV"
	OUT=$(cat "$dir/out")
	rm -rf "$dir"
}
round
echo "control (no ruleset): $OUT"
case " $OUT " in *" 10.91.1.3=10 "*) ;; *) fail "control: node adverts missing: $OUT" ;; esac
case " $OUT " in *" 10.91.1.50=5 "*) ;; *) fail "control: stranger adverts missing: $OUT" ;; esac
ip netns exec "$GW" "$BUILD/segmentd" --once -c conf/examples/ha-pair.conf >/dev/null
round
echo "with segmentd: $OUT"
case " $OUT " in *" 10.91.1.3=5 "*) ;; *) fail "the node's adverts did not pass both tables: $OUT" ;; esac
case " $OUT " in *"10.91.1.50"*) fail "a stranger's adverts passed: $OUT" ;; esac
echo "ok: adverts from the node at TTL 255 pass; at TTL 64, or from a stranger, they are dropped"
echo "ha_vrrp: all checks passed"
