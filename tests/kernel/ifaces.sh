#!/bin/bash
# ifaces: one zone with 900 interfaces, under a 20- and a 31-character zone
# name.  The element lists of a netlink message have a 16-bit length: a
# batch cut by element count (not bytes) silently lost most of the
# interface map, or was refused.  For each name: `segmentd --once`
# programs the table, every set and map holds exactly the elements
# `--print` declares (counted in the kernel's own listing), and traffic
# from the last interface of the zone (the topology's real lg0, listed
# after i0..i898) is forwarded as declared.
. tests/lib/kernel.sh
IFACES=900

# conf_with ZONE: conf/segmentd.conf with the lgwan zone renamed ZONE and
# its interfaces i0..i898 then lg0.
conf_with() {
	local zone=$1 list i
	list=$(for ((i = 0; i < IFACES - 1; i++)); do printf '"i%d", ' "$i"; done)
	sed -e "s/\"lgwan\"/\"$zone\"/g" -e "s/class = \"$zone\"/class = \"lgwan\"/" \
	    -e "s/interfaces = \[ \"lg0\" \]/interfaces = [ ${list}\"lg0\" ]/" \
	    conf/segmentd.conf
}

# elements_of TEXT SET: the elements of set/map SET in an nft listing.
elements_of() {
	awk -v set="$2" '
		$1 == "set" || $1 == "map" { inset = ($2 == set); next }
		inset && /elements = \{/ { on = 1; sub(/.*elements = \{/, "") }
		inset && on { n += gsub(/,/, ","); if (/\}/) { on = 0; n++ } }
		END { print n + 0 }' <<<"$1"
}

topo_build
for zone in lgwan-twenty-chars-x lgwan-with-a-thirty-one-chars-x; do
	[ "${#zone}" -ge 20 ] || fail "zone name too short: $zone"
	conf_with "$zone" >"$TOPO_DIR/$zone.conf"
	grep -q '"i898", "lg0"' "$TOPO_DIR/$zone.conf" || fail "config not generated"
	# the main table only (--print also shows its guard table)
	"$SEGMENTD" --print -c "$TOPO_DIR/$zone.conf" |
		sed '/^table inet segmentd-guard {/,$d' >"$TOPO_DIR/$zone.nft" ||
		fail "--print refused the config"
	out=$(sd_once "$TOPO_DIR/$zone.conf" 2>&1) || fail "--once with zone $zone: $out"
	echo "zone ${#zone} chars: $(tail -n 1 <<<"$out")"
	kernel=$(sd_table)
	want_sets=$(awk '$1 == "set" || $1 == "map" { print $2 }' "$TOPO_DIR/$zone.nft")
	for s in $want_sets; do
		want=$(elements_of "$(cat "$TOPO_DIR/$zone.nft")" "$s")
		got=$(elements_of "$kernel" "$s")
		[ "$want" = "$got" ] || fail "zone $zone: set $s has $got elements in the kernel, $want declared"
	done
	[ "$(elements_of "$kernel" zone_in)" -ge "$IFACES" ] || fail "zone_in holds fewer than $IFACES interfaces"
	topo_expect "$zone: lgwan-services from the last interface" pass \
		lgwan tcp 10.2.8.10 172.20.1.10 443
	topo_expect "$zone: screen-transfer from the last interface" pass \
		lgwan tcp 10.2.8.10 10.3.1.10 3389
	topo_expect "$zone: nothing else from the last interface" drop \
		lgwan tcp 10.2.8.10 10.3.5.5 22
	topo_exec gw nft delete table inet segmentd
	topo_exec gw nft delete table inet segmentd-guard
done
echo "ifaces: all checks passed"
