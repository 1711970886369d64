#!/bin/sh
# bench/gen-zones.sh ZONES FLOWS OUT - a config with many zones.
#
# Zone zI (I = 0..ZONES-1) holds interface eI and 10.X.Y.0/24 (X = I/256,
# Y = I%256: room for 65536 zones); flow fK (K = 0..FLOWS-1) goes from
# zone K%ZONES to zone (K*7+1)%ZONES, tcp/(1000+K).  Used by bench/zones.sh
# and tests/kernel/zones.sh: the cost of the table grows with the flows,
# not with the square of the zones.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 ZONES FLOWS OUT" >&2; exit 64; }
z=$1 f=$2 out=$3
case $z$f in '' | *[!0-9]*) echo "$0: numbers please" >&2; exit 64 ;; esac
[ "$z" -ge 2 ] && [ "$z" -le 65536 ] || { echo "$0: 2 <= ZONES <= 65536" >&2; exit 64; }
awk -v z="$z" -v f="$f" 'BEGIN {
	print "version = 1;"
	print "settings = { table = \"segmentd\"; ownership = false; };"
	print "zones = ("
	for (i = 0; i < z; i++)
		printf "  { name = \"z%d\"; class = \"general\"; interfaces = [ \"e%d\" ]; networks = [ \"10.%d.%d.0/24\" ]; }%s\n", i, i, int(i / 256), i % 256, i < z - 1 ? "," : ""
	print ");"
	print "flows = ("
	for (k = 0; k < f; k++) {
		a = k % z; b = (k * 7 + 1) % z
		if (a == b) b = (b + 1) % z
		printf "  { name = \"f%d\"; from = \"z%d\"; to = \"z%d\"; services = [ \"tcp/%d\" ]; comment = \"bench\"; }%s\n", k, a, b, 1000 + k, k < f - 1 ? "," : ""
	}
	print ");"
}' >"$out"
