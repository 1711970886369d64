#!/bin/bash
# replace_flood: replacing the ruleset never opens a hole.  A forbidden UDP
# flood (internet vbrowser 10.3.1.10 -> mynumber atena 10.1.1.20) runs while
# `segmentd --once` programs the table REPLACES times (default 100),
# alternating between conf/segmentd.conf and a structurally different
# variant (one host and one flow more, flow file-pull removed); a counter
# in atena's namespace must count 0 datagrams.  Controls: the flood does
# reach atena through the bare gateway, it keeps arriving at the gateway
# during the replaces (at least one packet per replace, and FLOOD_MIN), and
# both configs really are different in the kernel.  At the end the shipped
# config's flows still pass.
. tests/lib/kernel.sh
. tests/lib/flood.sh
REPLACES=${REPLACES:-100}
PORT=9999
SHIPPED=$PWD/conf/segmentd.conf
VARIANT=$TOPO_DIR/variant.conf

# The variant: host sc-ntp and flow ntp-via-sc added, flow file-pull gone.
make_variant() {
	awk '
	/^hosts = \(/ { print; print "  { name = \"sc-ntp\"; zone = \"cloud\"; role = \"security-cloud\"; addresses = [ \"192.0.2.123\" ]; },"; next }
	/^flows = \(/ { print; print "  { name = \"ntp-via-sc\"; from = \"internet\"; to = \"sc-ntp\"; services = [ \"udp/123\" ]; comment = \"test variant\"; },"; next }
	/name = "file-pull"/ { skip = 1 }
	skip { if ($0 ~ /\},[[:space:]]*$/) skip = 0; next }
	{ print }
	' "$SHIPPED" >"$VARIANT"
	grep -q 'name = "file-pull"' "$VARIANT" && fail "variant still has file-pull"
	grep -q 'name = "ntp-via-sc"' "$VARIANT" || fail "variant lacks ntp-via-sc"
	topo_exec gw "$SEGMENTD" --check -c "$VARIANT" >/dev/null ||
		fail "the variant config is not valid"
	[ "$(topo_exec gw "$SEGMENTD" --print -c "$VARIANT")" != \
	  "$(topo_exec gw "$SEGMENTD" --print -c "$SHIPPED")" ] ||
		fail "the variant compiles to the same ruleset"
}

topo_build
topo_addr_add cloud 192.0.2.123
make_variant

echo "== control: the flood reaches atena through the bare gateway"
flood_init internet 10.3.1.10 mynumber 10.1.1.20 "$PORT"
flood_control

echo "== both configs are different in the kernel"
sd_once "$VARIANT" >/dev/null
topo_expect "variant: internet -> sc-ntp udp/123 (ntp-via-sc)" pass internet udp 10.3.5.5 192.0.2.123 123
topo_expect "variant: lg-terminals -> file-relay tcp/443 (file-pull gone)" drop lgwan tcp 10.2.8.10 10.3.2.40 443
sd_once "$SHIPPED" >/dev/null
topo_expect "shipped: internet -> sc-ntp udp/123" drop internet udp 10.3.5.5 192.0.2.123 123
topo_expect "shipped: lg-terminals -> file-relay tcp/443 (file-pull)" pass lgwan tcp 10.2.8.10 10.3.2.40 443
topo_expect "shipped: vbrowser -> atena udp/$PORT (the flood's path)" drop internet udp 10.3.1.10 10.1.1.20 "$PORT"

echo "== $REPLACES replaces under the flood"
flood_start
rx_before=$(flood_gw_rx)
start=$(date +%s%N)
for i in $(seq "$REPLACES"); do
	conf=$SHIPPED
	[ $((i % 2)) = 1 ] && conf=$VARIANT
	sd_once "$conf" >"$TOPO_DIR/once.out" 2>&1 ||
		fail "replace $i ($(basename "$conf")) failed: $(cat "$TOPO_DIR/once.out")"
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rx_during=$(( $(flood_gw_rx) - rx_before ))
echo "$REPLACES replaces in $ms ms; the gateway received $rx_during packets on inet0 during them"
[ "$rx_during" -gt "$REPLACES" ] || fail "too little flood traffic during the replaces to prove anything"
flood_stop

echo "== after the replaces (last: the shipped config)"
topo_expect "screen-transfer tcp/3389" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
topo_expect "file-pull tcp/443" pass lgwan tcp 10.2.8.10 10.3.2.40 443
topo_expect "vbrowser -> atena udp/$PORT" drop internet udp 10.3.1.10 10.1.1.20 "$PORT"
echo "replace_flood: all checks passed"
