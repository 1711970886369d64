#!/bin/bash
# invalid: a packet conntrack finds INVALID is counted apart from the policy
# denials.  With nf_conntrack_tcp_loose=0 in the gateway's own namespace, a
# mid-stream TCP ACK of an allowed flow (lgwan 10.2.8.10 -> internet
# 10.3.1.10 tcp/3389, flow screen-transfer) with no conntrack entry (as
# after a failover without state sync) must raise invalid_lgwan and leave
# pair_lgwan_internet_drop at 0, and it must not arrive at the receiver.
# A control run first proves, without a ruleset, that the same ACKs leave
# the sender and are counted at the receiver, so "not arrived" means drop.
. tests/lib/kernel.sh
topo_build
PY=/usr/bin/python3
[ -x "$PY" ] || topo_skip "no /usr/bin/python3"
N=5

# send_acks: N bare TCP ACKs (no handshake) from lgwan to 10.3.1.10:3389.
send_acks() {
	topo_exec lgwan "$PY" - "$N" <<'PYEOF'
import socket, struct, sys
src, dst, sport, dport = "10.2.8.10", "10.3.1.10", 40000, 3389
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, 0x10, 64240, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.bind((src, 0))
for _ in range(int(sys.argv[1])):
    s.sendto(hdr, (dst, 0))
PYEOF
}

# arrived: ACKs to port 3389 counted by a table of the receiver's own.
topo_exec internet nft -f - <<'NFT'
table inet acks {
	counter acks { }
	chain pre { type filter hook prerouting priority raw; policy accept;
		tcp dport 3389 tcp flags == ack counter name acks
	}
}
NFT
arrived() {
	topo_exec internet nft list counter inet acks acks |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
counter() {
	topo_exec gw nft list counter inet segmentd "$1" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
acks_arrived() { [ "$(arrived)" -ge "$N" ]; }
invalid_counted() { [ "$(counter invalid_lgwan)" -ge "$N" ]; }
topo_exec gw sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 ||
	fail "cannot set nf_conntrack_tcp_loose=0 in the gateway namespace"

echo "== control: no ruleset, the ACKs must arrive"
send_acks
topo_wait_until 5 acks_arrived ||
	fail "control: $(arrived)/$N ACKs arrived without a ruleset"
echo "ok: control: $(arrived)/$N ACKs arrived"
topo_exec gw conntrack -F >/dev/null 2>&1 || true
topo_exec internet nft reset counter inet acks acks >/dev/null

echo "== segmentd --once -c conf/segmentd.conf"
sd_once conf/segmentd.conf
topo_exec gw conntrack -F >/dev/null 2>&1 || true
send_acks
topo_wait_until 5 invalid_counted ||
	fail "invalid_lgwan is $(counter invalid_lgwan), expected $N"
echo "ok: invalid_lgwan counted $(counter invalid_lgwan) packets"
[ "$(counter pair_lgwan_internet_drop)" = 0 ] ||
	fail "pair_lgwan_internet_drop is $(counter pair_lgwan_internet_drop): INVALID counted as a pair denial"
echo "ok: pair_lgwan_internet_drop stays 0"
[ "$(arrived)" = 0 ] || fail "$(arrived) INVALID ACKs arrived at the receiver"
echo "ok: none arrived at the receiver"
echo "invalid: all checks passed"
