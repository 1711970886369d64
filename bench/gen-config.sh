#!/bin/sh
# bench/gen-config.sh N OUT - a segmentd config for the benchmarks.
#
# OUT is the shipped config (conf/segmentd.conf, or $SEGMENTD_BASE_CONF)
# with the lgwan zone holding N IPv4 and N IPv6 networks:
#
#   IPv4: the original 10.2.0.0/16 plus N-1 /28s spaced a /27 apart from
#         10.64.0.0 on (inside 10.64.0.0/10: room for 131072)
#   IPv6: the original fd00:2::/48 plus N-1 /64s fd00:2:H:L::/64 with
#         H = 1 + i/32768, L = 2*(i%32768)+1, i = 0..N-2 (inside
#         fd00:2::/32, outside fd00:2::/48; odd /64s only, so no two are
#         adjacent)
#
# segmentd merges adjacent and overlapping intervals; the gaps keep every
# network a separate set element.  Nothing overlaps the other zones
# (10.1/16, 10.3/16, 172.20/16, fd00:1::/48, fd00:3::/48), the host
# addresses of the shipped config stay inside their zones, and the cloud
# zone ("any") becomes the complement, so it holds about N intervals per
# family as well.  `segmentd --print -c OUT` shows zone_lgwan_v4 and
# zone_lgwan_v6 with N elements each (bench/program.sh counts them).

set -eu

usage() {
	echo "usage: $0 N OUT   (1 <= N <= 131072)" >&2
	exit 64
}

[ $# -eq 2 ] || usage
n=$1
out=$2
case $n in '' | *[!0-9]*) usage ;; esac
[ "$n" -ge 1 ] && [ "$n" -le 131072 ] || usage

top=$(cd "$(dirname "$0")/.." && pwd)
base=${SEGMENTD_BASE_CONF:-$top/conf/segmentd.conf}
[ -r "$base" ] || { echo "$0: cannot read $base" >&2; exit 1; }

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

# Replace the networks list of the zone named "lgwan" (its line holds
# name = "lgwan" and, on the same or a later line of that zone entry,
# networks = [ ... ];).
awk -v n="$n" '
# prints the networks list (no string building: quadratic in some awks)
function netlist(   i, a) {
	printf "networks = [\n      \"10.2.0.0/16\", \"fd00:2::/48\""
	for (i = 1; i < n; i++) {
		a = 10 * 16777216 + 64 * 65536 + (i - 1) * 32
		printf ",\n      \"%d.%d.%d.%d/28\"", int(a / 16777216),
		       int(a / 65536) % 256, int(a / 256) % 256, a % 256
	}
	for (i = 1; i < n; i++)
		printf ",\n      \"fd00:2:%x:%x::/64\"",
		       1 + int((i - 1) / 32768), ((i - 1) % 32768) * 2 + 1
	printf "\n    ]"
}
/name[ \t]*=[ \t]*"lgwan"[ \t]*;/ { inzone = 1 }
inzone && match($0, /networks[ \t]*=[ \t]*\[[^]]*\]/) {
	printf "%s", substr($0, 1, RSTART - 1)
	netlist()
	print substr($0, RSTART + RLENGTH)
	done++
	inzone = 0
	next
}
{ print }
END { if (done != 1) exit 3 }
' "$base" >"$tmp" || {
	echo "$0: did not find the networks list of the lgwan zone in $base" >&2
	exit 1
}
mv "$tmp" "$out"
trap - EXIT
