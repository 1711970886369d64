#!/bin/bash
# hooks: foreign hooks that could bypass or starve the segmentation are
# reported (log WARNING, segmentctl status), never modified:
#  - a netdev ingress chain on a zone interface with `fwd` (sends packets
#    around the IP stack and our forward chain);
#  - a tc ingress filter with `mirred` on a zone interface (redirects
#    around the IP stack, like netdev fwd);
#  - a raw prerouting chain with `notrack` in another table: reported, and
#    it opens nothing: untracked packets are never "ct state new", so a
#    forbidden flow stays dropped and an allowed one still needs its rule.
. tests/lib/kernel.sh
SEGMENTCTL=$PWD/$BUILD/segmentctl
export SEGMENTD_SOCKET=$TOPO_DIR/control
ctl() { "$SEGMENTCTL" -s "$SEGMENTD_SOCKET" "$@"; }

topo_build
sd_start conf/segmentd.conf
ctl --json status | grep -q '"foreign_hooks":\[\]' || fail "foreign hooks at start: $(ctl status)"

topo_exec gw nft -f - <<'NFT'
table ip rawish {
	chain pre { type filter hook prerouting priority -300; policy accept; notrack; }
}
table netdev evil {
	chain in { type filter hook ingress device "lg0" priority -500; policy accept;
		ip daddr 198.51.100.7 fwd to "wan0"; }
}
NFT
topo_exec gw tc qdisc add dev inet0 clsact
topo_exec gw tc filter add dev inet0 ingress protocol ip u32 match u32 0 0 \
	action mirred egress redirect dev lg0
topo_wait_until 5 sh -c "'$SEGMENTCTL' -s '$SEGMENTD_SOCKET' status | grep -q 'foreign hooks: 3'" ||
	fail "status does not list 3 foreign hooks: $(ctl status)"
ctl status | grep -q "tc: ingress filter 'u32' on zone interface 'inet0': mirred" ||
	fail "the tc mirred filter is not described: $(ctl status)"
ctl status | grep -q "netdev table 'evil' chain 'in' hook ingress device lg0 priority -500: fwd" ||
	fail "the netdev fwd hook is not described: $(ctl status)"
ctl status | grep -q "ip table 'rawish' chain 'pre' hook prerouting priority -300: notrack" ||
	fail "the notrack hook is not described: $(ctl status)"
grep -q "foreign hook: nftables: netdev table 'evil'" "$TOPO_DIR/segmentd.log" ||
	fail "no log line for the netdev hook"
echo "ok: the three hooks reported (status, log)"
topo_exec gw nft list table netdev evil >/dev/null || fail "segmentd modified the foreign table"
echo "ok: the foreign tables are untouched"

topo_expect "notrack: forbidden mynumber -> internet still dropped" drop mynumber tcp 10.1.1.20 10.3.1.10 443
topo_expect "notrack: forbidden internet -> lgwan still dropped" drop internet udp 10.3.5.5 10.2.1.25 53
ctl verify >/dev/null || fail "our table changed"
topo_exec gw nft delete table netdev evil
topo_exec gw nft delete table ip rawish
topo_exec gw tc qdisc del dev inet0 clsact
topo_wait_until 5 sh -c "'$SEGMENTCTL' -s '$SEGMENTD_SOCKET' status | grep -q 'foreign hooks: 0'" ||
	fail "the hooks are still listed after removal"
echo "ok: the report follows the removal"
sd_stop || true
echo "hooks: all checks passed"
