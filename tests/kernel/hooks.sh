#!/bin/bash
# hooks: every kind of foreign hook the README names is REPORTED (a
# `foreign hook:` WARNING in the log, `segmentctl status`, the audit) and
# NEVER TOUCHED (each foreign object is still there, byte for byte, after
# the daemon scanned it, reloaded and stopped).  All in the gateway
# namespace of the test topology:
#  - netdev ingress `fwd` (around the IP stack) and `dup` (copies out of
#    another port);
#  - a raw prerouting chain with `notrack` in another table: reported, and
#    it opens nothing (untracked packets are never "ct state new");
#  - NAT (a dnat chain in another table);
#  - NFQUEUE: an iptables-nft mangle rule `-j NFQUEUE`, a legacy one, and
#    a process bound to the queue (/proc/net/netfilter/nfnetlink_queue);
#  - iptables: rules through iptables-nft (nftables tables) and through
#    iptables-legacy (x_tables, invisible to nftables netlink);
#  - a zone interface (lgw0) made a bridge port, with
#    bridge-nf-call-iptables off;
#  - tc ingress `mirred` on a zone interface;
#  - an XDP program (tests/tools/bpf/xdp_pass.c, built here with
#    clang -target bpf) on a zone interface.
. tests/lib/kernel.sh
NFQ_BIND=$PWD/$BUILD/tools/nfq_bind
[ -x "$SEGMENTCTL" ] && [ -x "$NFQ_BIND" ] || topo_skip "segmentctl or tools/nfq_bind not built (make)"
topo_require_cmd tc iptables-nft iptables-legacy clang
export SEGMENTD_SOCKET=$TOPO_DIR/control
QUEUE=3

# The XDP program: no BPF support in clang, the kernel or iproute2 is a
# failure with the reason, not a skip (the README promises the report).
clang -O2 -target bpf -I/usr/include/"$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)" \
	-c tests/tools/bpf/xdp_pass.c -o "$TOPO_DIR/xdp_pass.o" 2>"$TOPO_DIR/clang.out" ||
	fail "clang cannot build the XDP program: $(cat "$TOPO_DIR/clang.out")"

topo_build
sd_start conf/segmentd.conf
ctl --json status | grep -q '"foreign_hooks":\[\]' || fail "foreign hooks at start: $(ctl status)"

# Everything foreign in the gateway, as text: the whole nftables ruleset
# but our tables (the main one and its guard; stateless: no counters), both iptables back ends, tc,
# XDP, the bridge, its sysctl and the bound queue.
foreign_state() {
	topo_exec gw nft -s list ruleset 2>/dev/null |
		awk '/^table inet segmentd(-guard)? \{/ { skip = 1 } !skip { print } skip && /^\}/ { skip = 0 }'
	for t in filter mangle; do
		topo_exec gw iptables-legacy -t "$t" -S 2>/dev/null
		topo_exec gw iptables-nft -t "$t" -S 2>/dev/null
	done
	topo_exec gw tc filter show dev inet0 ingress
	topo_exec gw ip -d link show mn0 | grep -o 'prog/xdp id [0-9]* name [a-z_]* tag [0-9a-f]*'
	topo_exec gw ip link show lgw0 | grep -o 'master [a-z0-9]*'
	topo_exec gw cat /proc/sys/net/bridge/bridge-nf-call-iptables
	topo_exec gw cat /proc/net/netfilter/nfnetlink_queue
}

topo_exec gw nft -f - <<'NFT'
table ip rawish {
	chain pre { type filter hook prerouting priority -300; policy accept; notrack; }
}
table netdev evil {
	chain in { type filter hook ingress device "lg0" priority -500; policy accept;
		ip daddr 198.51.100.7 fwd to "wan0"; }
	chain copy { type filter hook ingress device "mn0" priority -400; policy accept;
		ip saddr 10.1.1.20 dup to "wan0"; }
}
table ip natty {
	chain pre { type nat hook prerouting priority -100; policy accept;
		ip daddr 10.3.9.9 dnat to 10.1.1.20; }
}
NFT
topo_exec gw tc qdisc add dev inet0 clsact
topo_exec gw tc filter add dev inet0 ingress protocol ip u32 match u32 0 0 \
	action mirred egress redirect dev lg0
# NFQUEUE (through both iptables back ends) for an address nobody uses, so
# no packet waits for a verdict; the queue has a bound handler.
topo_exec gw iptables-nft -t mangle -A FORWARD -d 198.51.100.99 -j NFQUEUE --queue-num "$QUEUE"
topo_exec gw iptables-legacy -t mangle -A FORWARD -d 198.51.100.99 -j NFQUEUE --queue-num "$QUEUE"
topo_spawn gw "$TOPO_DIR/nfq.out" "$NFQ_BIND" -r "$TOPO_DIR/nfq.ready" "$QUEUE"
NFQ_PID=$TOPO_PID
topo_wait_file "$TOPO_DIR/nfq.ready" "$NFQ_PID" || fail "nfq_bind: $(cat "$TOPO_DIR/nfq.out")"
# iptables rules that would open the isolated zone if they could
topo_exec gw iptables-nft -A FORWARD -d 10.1.1.20 -j ACCEPT
topo_exec gw iptables-legacy -A FORWARD -d 10.1.1.20 -j ACCEPT
# a bridged zone port, bridged traffic not seen by the inet hooks
topo_exec gw ip link add br-evil type bridge
topo_exec gw ip link set lgw0 master br-evil
topo_exec gw sysctl -qw net.bridge.bridge-nf-call-iptables=0
topo_exec gw ip link set dev mn0 xdp obj "$TOPO_DIR/xdp_pass.o" sec xdp 2>"$TOPO_DIR/xdp.out" ||
	fail "the kernel or iproute2 cannot attach XDP here: $(cat "$TOPO_DIR/xdp.out")"
before=$(foreign_state)
echo "$before" | grep -q 'prog/xdp id' || fail "no XDP program on mn0 after attaching it"

# The report: each kind, in status, the audit and the log.  tc and XDP
# raise no nftables event: the daemon rescans every 10 ticks (10 s).
want=(
	"nftables: ip table 'rawish' chain 'pre' hook prerouting priority -300: notrack"
	"nftables: netdev table 'evil' chain 'in' hook ingress device lg0 priority -500: fwd"
	"nftables: netdev table 'evil' chain 'copy' hook ingress device mn0 priority -400: dup"
	"nftables: ip table 'natty' chain 'pre' hook prerouting priority -100: nat"
	"nftables: ip table 'mangle' chain 'FORWARD' hook forward priority -150"
	"nftables: ip table 'filter' chain 'FORWARD' hook forward priority 0"
	"legacy iptables table: mangle"
	"legacy iptables table: filter"
	"NFQUEUE bound (queue portid ...): *$QUEUE "
	"bridge: zone interface 'lgw0' is a bridge port"
	"bridge: /proc/sys/net/bridge/bridge-nf-call-iptables is off"
	"tc: ingress filter 'u32' on zone interface 'inet0': mirred"
	"xdp: a program is attached to zone interface 'mn0'"
)
all_reported() {
	local w s
	s=$(ctl status) || return 1
	for w in "${want[@]}"; do
		grep -q -- "$w" <<<"$s" || return 1
	done
}
topo_wait_until 15 all_reported || {
	ctl status
	for w in "${want[@]}"; do
		ctl status | grep -q -- "$w" || echo "missing in status: $w"
	done
	fail "segmentctl status does not report every foreign hook"
}
status=$(ctl status)
audit=$(ctl audit || true)
for w in "${want[@]}"; do
	grep -q -- "foreign hook: .*$w" "$TOPO_DIR/segmentd.log" || fail "no 'foreign hook:' WARNING for: $w"
	grep -q -- "$w" <<<"$audit" || fail "the audit does not name: $w"
done
echo "ok: ${#want[@]} foreign hooks reported in status ($(grep -o 'foreign hooks: [0-9]*' <<<"$status")), audit and log:"
printf '    %s\n' "${want[@]}"

topo_expect "notrack: forbidden mynumber -> internet still dropped" drop mynumber tcp 10.1.1.20 10.3.1.10 443
topo_expect "notrack: forbidden internet -> lgwan still dropped" drop internet udp 10.3.5.5 10.2.1.25 53
ctl verify >/dev/null || fail "our table changed"

# Never touched: after the scans, a reload and the daemon's stop.
[ "$(foreign_state)" = "$before" ] || {
	diff <(echo "$before") <(foreign_state) || true
	fail "a foreign hook changed while segmentd ran"
}
kill -HUP "$SD_PID"
topo_wait_until 5 grep -q "reload: table" "$TOPO_DIR/segmentd.log" || fail "no reload on SIGHUP"
ctl status >/dev/null
[ "$(foreign_state)" = "$before" ] || {
	diff <(echo "$before") <(foreign_state) || true
	fail "a foreign hook changed with the reload"
}
sd_stop || fail "segmentd exit status on SIGTERM"
[ "$(foreign_state)" = "$before" ] || {
	diff <(echo "$before") <(foreign_state) || true
	fail "a foreign hook changed when segmentd stopped"
}
echo "ok: every foreign object is byte for byte as it was (after the scans, a reload, the stop)"

# The report follows the removal (a new daemon, the hooks taken away).
sd_start conf/segmentd.conf
topo_exec gw nft delete table netdev evil
topo_exec gw nft delete table ip rawish
topo_exec gw nft delete table ip natty
topo_exec gw iptables-nft -t mangle -F FORWARD
topo_exec gw iptables-nft -F FORWARD
topo_exec gw nft delete table ip mangle
topo_exec gw nft delete table ip filter
topo_exec gw tc qdisc del dev inet0 clsact
topo_exec gw ip link set dev mn0 xdp off
topo_exec gw ip link set lgw0 nomaster
topo_exec gw ip link del br-evil
topo_stop "$NFQ_PID" nfq_bind || true
report_left() { ctl status | grep -o 'foreign hooks: [0-9]*'; }
# the legacy x_tables tables cannot be unregistered: only they stay
topo_wait_until 15 sh -c "'$SEGMENTCTL' -s '$SEGMENTD_SOCKET' status | grep -q 'foreign hooks: 2 '" ||
	fail "after the removal: $(report_left) (want 2, the legacy tables): $(ctl status)"
echo "ok: the report follows the removal ($(report_left): the legacy tables, which stay registered)"
sd_stop || fail "segmentd exit status on SIGTERM"
echo "hooks: all checks passed"
