#!/bin/bash
# scale: the lgwan zone with NETWORKS (default 100,000) extra IPv4 networks,
# non-adjacent /28s in 10.64.0.0/10 (network k is 10.64.0.0 + 32k, so no
# two merge into one interval and none overlaps another zone), plus the
# shipped hosts.  `segmentd --once` programs it; a source inside the middle
# network and one inside the last pass an allowed flow (lgwan-services to
# chukan tcp/443), a source in the gap right after the middle network (in
# no zone: spoofed) is dropped.  A control run without segmentd shows that
# all three pass through the bare gateway.  With SCALE_NETFILE=1
# (tests/kernel/scale_file.sh) the networks are a networks_file of plain
# CIDR lines instead of the libconfig list.
. tests/lib/kernel.sh
NETWORKS=${NETWORKS:-100000}
CONF=$TOPO_DIR/scale.conf

# addr_of K OFFSET: 10.64.0.0 + 32*K + OFFSET
addr_of() {
	local off=$(( $1 * 32 + $2 ))
	echo "10.$(( 64 + off / 65536 )).$(( off / 256 % 256 )).$(( off % 256 ))"
}

make_config() {
	awk -v n="$NETWORKS" -v nets="${SCALE_NETFILE:+$CONF.nets}" '
	function net(k,   off) {
		off = k * 32
		return sprintf("10.%d.%d.%d/28", 64 + int(off / 65536), int(off / 256) % 256, off % 256)
	}
	/name = "lgwan";/ { zone = 1 }
	zone && /networks = \[.*\];/ {
		tail = $0
		sub(/ *\];.*/, "")
		sub(/.*\]/, "]", tail)
		print
		if (nets != "") {
			print "# scale.sh: " n " networks" >nets
			for (k = 0; k < n; k++)
				print net(k) >nets
			tail = tail " networks_file = \"scale.conf.nets\";"
		} else
			for (k = 0; k < n; k++)
				printf "      , \"%s\"\n", net(k)
		print "    " tail
		zone = 0
		done = 1
		next
	}
	{ print }
	END { if (!done) exit 1 }
	' conf/segmentd.conf >"$CONF" || fail "could not find the lgwan zone's networks in conf/segmentd.conf"
}

# probe_all WHEN MIDDLE-WANT LAST-WANT GAP-WANT
probe_all() {
	local when=$1 src
	shift
	for src in "$MIDDLE" "$LAST" "$GAP"; do
		topo_expect "$when: $src -> chukan 172.20.1.10 tcp/443" "$1" \
			lgwan tcp "$src" 172.20.1.10 443
		shift
	done
}

make_config
MIDDLE=$(addr_of $((NETWORKS / 2)) 5)
LAST=$(addr_of $((NETWORKS - 1)) 9)
GAP=$(addr_of $((NETWORKS / 2)) 20)
grep -qx "\"\\?${MIDDLE%.*}.$(( ${MIDDLE##*.} - 5 ))/28\"\\?" <(sed 's/^ *, //' "$CONF" ${SCALE_NETFILE:+"$CONF.nets"}) ||
	fail "$MIDDLE's network is not in the config"
[ -z "${SCALE_NETFILE:-}" ] || grep -q 'networks_file = "scale.conf.nets"' "$CONF" || fail "no networks_file in the config"
echo "config: lgwan has $NETWORKS extra networks${SCALE_NETFILE:+ in a networks_file} ($(cat "$CONF" ${SCALE_NETFILE:+"$CONF.nets"} | wc -c) bytes);" \
	"inside: $MIDDLE (middle), $LAST (last); outside every network: $GAP"

topo_build
topo_exec gw ip route add 10.64.0.0/10 dev lg0
for a in "$MIDDLE" "$LAST" "$GAP"; do
	topo_addr_add lgwan "$a"
done
probe_all "control, no segmentd" pass pass pass

start=$(date +%s%N)
sd_once "$CONF" >"$TOPO_DIR/once.out" 2>&1 || fail "segmentd --once failed: $(tail -n 5 "$TOPO_DIR/once.out")"
echo "segmentd --once: $(( ($(date +%s%N) - start) / 1000000 )) ms: $(tail -n 1 "$TOPO_DIR/once.out")"
elements=$(sed -n 's/.*(\([0-9]*\) set elements.*/\1/p' "$TOPO_DIR/once.out" | tail -n 1)
if [ -n "$elements" ] && [ "$elements" -lt "$NETWORKS" ]; then
	fail "only $elements set elements for $NETWORKS networks"
fi
probe_all "segmentd" pass pass drop
topo_expect "shipped host lg-terminals -> vbrowser tcp/3389" pass \
	lgwan tcp 10.2.8.10 10.3.1.10 3389
echo "scale: all checks passed"
