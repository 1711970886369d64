#!/bin/sh
# bench/gen-config2.sh OUT [list|file] - the second config of issue 12:
# 100,000 internet CIDRs, 20,000 LGWAN CIDRs, 2,000 hosts, 2,000 flows and
# no "any" zone.
#
#   zone inet   (internet): 100,000 /28s spaced a /27 apart from 100.64.0.0
#   zone lgwan  (lgwan):     20,000 /28s spaced a /27 apart from 10.64.0.0
#   zone office (general):   10.200.0.0/16
#   hosts: office-I (10.200.I/256.I%256, I = 0..999) and web-I (the first
#          address of the I-th inet /28, I = 0..999)
#   flows: office-I -> web-I on tcp/443, and office-I -> web-((I+1)%1000)
#          on tcp/8443
#
# With "file" the two big lists are networks_file = "OUT.inet" and
# "OUT.lgwan" (plain CIDR lines) instead of libconfig lists.
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT [list|file]" >&2; exit 64; }
out=$1
mode=${2:-list}
case $mode in list | file) ;; *) echo "$0: list or file, not '$mode'" >&2; exit 64 ;; esac

# cidrs BASE COUNT QUOTE SEP: COUNT /28s from BASE (a 32-bit number)
cidrs() {
	awk -v base="$1" -v n="$2" -v q="$3" -v sep="$4" 'BEGIN {
		for (i = 0; i < n; i++) {
			a = base + i * 32
			printf "%s%s%d.%d.%d.%d/28%s", i ? sep : "", q, int(a / 16777216),
			       int(a / 65536) % 256, int(a / 256) % 256, a % 256, q
		}
		print ""
	}'
}

inet_base=$((100 * 16777216 + 64 * 65536))
lgwan_base=$((10 * 16777216 + 64 * 65536))
netlist() {   # netlist NAME BASE COUNT
	if [ "$mode" = file ]; then
		{ echo "# zone $1: $3 networks (bench/gen-config2.sh)"; cidrs "$2" "$3" "" "
"; } >"$out.$1"
		echo "networks_file = \"$(basename "$out").$1\";"
	else
		echo "networks = ["
		cidrs "$2" "$3" '"' ",
"
		echo "];"
	fi
}

{
	echo 'version = 1;'
	echo 'settings = { table = "segmentd"; };'
	echo 'zones = ('
	echo '  { name = "inet"; class = "internet"; interfaces = [ "inet0" ];'
	netlist inet "$inet_base" 100000
	echo '  },'
	echo '  { name = "lgwan"; class = "lgwan"; interfaces = [ "lg0" ];'
	netlist lgwan "$lgwan_base" 20000
	echo '  },'
	echo '  { name = "office"; class = "general"; interfaces = [ "of0" ];'
	echo '    networks = [ "10.200.0.0/16" ]; }'
	echo ');'
	awk -v base="$inet_base" 'BEGIN {
		print "hosts = ("
		for (i = 0; i < 1000; i++) {
			a = base + i * 32
			printf "  { name = \"office-%d\"; zone = \"office\"; addresses = [ \"10.200.%d.%d\" ]; },\n", i, int(i / 256), i % 256
			printf "  { name = \"web-%d\"; zone = \"inet\"; addresses = [ \"%d.%d.%d.%d\" ]; }%s\n", i,
			       int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256, i < 999 ? "," : ""
		}
		print ");"
		print "flows = ("
		for (i = 0; i < 1000; i++) {
			printf "  { name = \"f%d\"; from = \"office-%d\"; to = \"web-%d\"; services = [ \"tcp/443\" ]; comment = \"bench\"; },\n", i, i, i
			printf "  { name = \"g%d\"; from = \"office-%d\"; to = \"web-%d\"; services = [ \"tcp/8443\" ]; comment = \"bench\"; }%s\n", i, i, (i + 1) % 1000, i < 999 ? "," : ""
		}
		print ");"
	}'
} >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
