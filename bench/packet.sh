#!/bin/bash
# bench/packet.sh [BUILD] - forwarding cost of segmentd's ruleset.
#
# iperf3 from an LGWAN terminal (10.2.8.10) through a gateway namespace to
# the virtual browser (10.3.1.10): the allowed flow "screen-transfer" of
# conf/segmentd.conf (tcp/443 for TCP, udp/3389 for UDP; iperf3's control
# connection for the UDP test is tcp/3389, also allowed).  Rulesets, in
# the gateway namespace only:
#
#   empty       no table (no conntrack either): the baseline
#   conntrack   a minimal table (forward: ct state established,related
#               accept; accept): what conntrack alone costs
#   N=1         segmentd --once with the shipped config (bench/gen-config.sh
#               1: one network per family in the lgwan zone): the rules
#   N=1000      segmentd --once with bench/gen-config.sh 1000
#   N=100000    segmentd --once with bench/gen-config.sh 100000
#   ($BENCH_PKT_SIZES: the sizes; the set-size target compares the two
#   largest)
#
# Every forwarded packet from the terminal looks its source up in the lgwan
# set (anti-spoofing, then the established/ct mark rule), so the set size
# is on the packet path.  Per run and ruleset: TCP throughput (-t
# $BENCH_PKT_SECONDS) and UDP with 64-byte payloads at full speed (-u -l 64
# -b 0), both read at the receiver.  $BENCH_PKT_RUNS runs, rulesets
# interleaved (order rotated per run); medians; ratios against "empty".
#
# BENCH_PKT_FROM=cloud sends from the `any` zone instead: the sender sits
# on the cloud zone's interface (wan0, 198.51.100.7/24), each config gets
# a flow cloud -> vbrowser (tcp/443, tcp/3389, udp/3389), and every packet
# passes the any zone's anti-spoofing (a lookup of the complement set, or
# one positive lookup per other zone with BENCH_PKT_ANY=negated, which
# sets any_zone = "negated": segmentd.conf(5), Sets and maps).
#
# Topology (namespaces sdbench<pid>-{gw,lg,in}, removed on exit):
#   lg: eth0 10.2.8.10/16 --- lg0 10.2.0.1/16 [gw] inet0 10.3.0.1/16 --- in: eth0 10.3.1.10/16
# Forwarding is switched on inside gw only.  Nothing here touches the
# caller's network namespace.  Measurements, never asserts.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
SEGMENTD=${SEGMENTD:-$build/segmentd}
RUNS=${BENCH_PKT_RUNS:-3}
DUR=${BENCH_PKT_SECONDS:-3}
SIZES=${BENCH_PKT_SIZES:-1 1000 100000}
FROM=${BENCH_PKT_FROM:-lgwan}
case $FROM in
lgwan) SIF=lg0 GWADDR=10.2.0.1/16 SADDR=10.2.8.10/16 FLOW=screen-transfer ;;
cloud) SIF=wan0 GWADDR=198.51.100.1/24 SADDR=198.51.100.7/24 FLOW=bench-any ;;
*) echo "packet.sh: BENCH_PKT_FROM: lgwan or cloud" >&2; exit 2 ;;
esac
UDP_LEN=64
TABLE=segmentd

die() {
	echo "packet.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in ip nft iperf3 jq awk ss; do
	command -v "$c" >/dev/null 2>&1 ||
		die "'$c' is not installed (apt-get install -y iperf3 jq iproute2)"
done
[ -x "$SEGMENTD" ] || die "$SEGMENTD not built (make)"

ID=sdbench$$
NS_GW=$ID-gw
NS_LG=$ID-lg
NS_IN=$ID-in
NAMESPACES=
PIDS=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-packet.XXXXXX")

cleanup() {
	local pid ns
	for pid in $PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	for ns in $NAMESPACES; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

add_ns() {
	ip netns add "$1" || die "cannot create namespace $1"
	NAMESPACES="$NAMESPACES $1"
	ip -n "$1" link set lo up
}

build_topology() {
	add_ns "$NS_GW"
	add_ns "$NS_LG"
	add_ns "$NS_IN"
	ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_GW" link add "$SIF" type veth peer name eth0 netns "$NS_LG"
	ip -n "$NS_GW" link add inet0 type veth peer name eth0 netns "$NS_IN"
	ip -n "$NS_GW" addr add "$GWADDR" dev "$SIF"
	ip -n "$NS_GW" addr add 10.3.0.1/16 dev inet0
	ip -n "$NS_LG" addr add "$SADDR" dev eth0
	ip -n "$NS_IN" addr add 10.3.1.10/16 dev eth0
	ip -n "$NS_GW" link set "$SIF" up
	ip -n "$NS_GW" link set inet0 up
	ip -n "$NS_LG" link set eth0 up
	ip -n "$NS_IN" link set eth0 up
	ip -n "$NS_LG" route add default via "${GWADDR%/*}"
	ip -n "$NS_IN" route add default via 10.3.0.1
}

# iperf3 servers on the virtual browser; `ip netns exec` execs, so $! is
# iperf3's own pid
start_servers() {
	local port tries
	for port in 443 3389; do
		ip netns exec "$NS_IN" iperf3 -s -B 10.3.1.10 -p "$port" \
			>"$WORK/iperf3-$port.log" 2>&1 &
		PIDS="$PIDS $!"
	done
	for port in 443 3389; do
		tries=250
		until ip netns exec "$NS_IN" ss -Hltn "sport = :$port" | grep -q .; do
			tries=$((tries - 1))
			[ "$tries" -gt 0 ] || die "iperf3 -s -p $port did not start: $(cat "$WORK/iperf3-$port.log")"
			sleep 0.02
		done
	done
}

gw() {
	ip netns exec "$NS_GW" "$@"
}

clear_rules() {
	gw nft delete table inet "$TABLE" 2>/dev/null
	# --once leaves the guard table too (policy drop for what the main
	# table did not mark): the empty and conntrack rows must not keep it
	gw nft delete table inet "$TABLE-guard" 2>/dev/null
	gw nft delete table inet sdbench_ct 2>/dev/null
	return 0
}

# load_ruleset NAME: empty | conntrack | a size from $SIZES
load_ruleset() {
	clear_rules
	case $1 in
	empty) ;;
	conntrack)
		gw nft -f - <<'EOF' || die "cannot load the conntrack-only table"
table inet sdbench_ct {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		accept
	}
}
EOF
		;;
	*)
		gw "$SEGMENTD" --once -c "$WORK/$1.conf" 2>"$WORK/once.err" ||
			die "segmentd --once (N=$1) failed: $(cat "$WORK/once.err")"
		;;
	esac
}

# Sender (and with it the forwarding, which veth runs in the sender's
# softirq) on CPU 0, receiver on CPU 1, when there are two CPUs.
AFFINITY=
[ "$(nproc)" -ge 2 ] && AFFINITY="-A 0,1"

# The sender's CPU time (perf stat task-clock: with the forwarding done in
# its softirq context, this is the cost of the whole path up to the
# receiving socket) per packet / per byte: a figure that does not depend on
# how much of the CPU the neighbours leave us.  "-" without perf.
PERF=
if command -v perf >/dev/null 2>&1 &&
	perf stat -x, -e task-clock -o /dev/null true >/dev/null 2>&1; then
	PERF=perf
fi

# client OUTFILE ARGS...: iperf3 client; JSON in OUTFILE, the sender's
# task-clock (ms) in OUTFILE.cpu (one retry: server busy)
client() {
	local out=$1
	shift
	for _ in 1 2; do
		rm -f "$out.cpu"
		if [ -n "$PERF" ]; then
			# shellcheck disable=SC2086
			ip netns exec "$NS_LG" timeout $((DUR + 30)) perf stat -x, -e task-clock -o "$out.perf" \
				iperf3 -c 10.3.1.10 -t "$DUR" $AFFINITY -J "$@" >"$out" 2>&1
			awk -F, '$3 ~ /^task-clock/ { print $1 }' "$out.perf" >"$out.cpu"
		else
			# shellcheck disable=SC2086
			ip netns exec "$NS_LG" timeout $((DUR + 30)) iperf3 -c 10.3.1.10 -t "$DUR" $AFFINITY -J "$@" >"$out" 2>&1
		fi
		jq -e '.end.sum_received and .end.sum_sent' "$out" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

cpu_of() {
	if [ -s "$1.cpu" ]; then cat "$1.cpu"; else echo -; fi
}

# received bit/s, sender CPU ns per KiB sent
measure_tcp() {
	local f=$WORK/tcp.json cpu
	client "$f" -p 443 || { echo "- -"; return; }
	cpu=$(cpu_of "$f")
	jq -r --arg cpu "$cpu" '.end | "\(.sum_received.bits_per_second) \(if $cpu == "-" then "-" else ($cpu | tonumber) * 1e6 / (.sum_sent.bytes / 1024) end)"' "$f"
}

# received packets/s, received payload bit/s, sent packets/s, sender CPU
# ns per packet sent
measure_udp() {
	local f=$WORK/udp.json cpu
	client "$f" -p 3389 -u -l "$UDP_LEN" -b 0 || { echo "- - - -"; return; }
	cpu=$(cpu_of "$f")
	jq -r --argjson len "$UDP_LEN" --arg cpu "$cpu" '.end |
		"\(.sum_received.bytes / $len / .sum_received.seconds) \(.sum_received.bits_per_second) \(.sum_sent.packets / .sum_sent.seconds) \(if $cpu == "-" then "-" else ($cpu | tonumber) * 1e6 / .sum_sent.packets end)"' "$f"
}

# fmtv VALUE DIVISOR FORMAT ("-" passes through)
fmtv() {
	awk -v v="$1" -v d="$2" -v f="$3" 'BEGIN { if (v == "-" || v == "") print "-"; else printf f, v / d }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

med() {
	if [ -s "$1" ]; then median <"$1"; else echo -; fi
}

flow_packets() {
	gw nft list counter inet "$TABLE" "flow_$FLOW" 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

for n in $SIZES; do
	"$top/bench/gen-config.sh" "$n" "$WORK/$n.conf" || die "gen-config.sh $n failed"
	[ "${BENCH_PKT_ANY:-set}" = negated ] &&
		sed -i 's|^settings = {|settings = {\n  any_zone = "negated";|' "$WORK/$n.conf"
	[ "$FROM" = lgwan ] && continue
	sed -i 's|^flows = (|flows = (\n  { name = "bench-any"; from = "cloud"; to = "vbrowser"; services = [ "tcp/443", "tcp/3389", "udp/3389" ]; comment = "bench"; },|' "$WORK/$n.conf"
	grep -q bench-any "$WORK/$n.conf" || die "could not add the cloud flow (N=$n)"
done
build_topology
start_servers

read -ra sizes <<<"$SIZES"
rulesets=(empty conntrack "${sizes[@]}")
echo "== forwarding through the gateway: iperf3 ${SADDR%/*} ($FROM) -> 10.3.1.10 (vbrowser) =="
echo "iperf3 $(iperf3 --version | sed -n '1s/^iperf \([^ ]*\).*/\1/p'); $RUNS runs x ${DUR} s per ruleset and test, rulesets interleaved; medians${AFFINITY:+; iperf3 $AFFINITY}"
echo
for r in $(seq "$RUNS"); do
	k=$(( (r - 1) % ${#rulesets[@]} ))
	for rs in "${rulesets[@]:k}" "${rulesets[@]:0:k}"; do
		load_ruleset "$rs"
		before=$(flow_packets)
		tcp=$(measure_tcp)
		udp=$(measure_udp)
		after=$(flow_packets)
		# run ruleset tcp_bps tcp_ns_per_KiB udp_rx_pps udp_rx_bps udp_tx_pps udp_ns_per_pkt
		echo "$r $rs $tcp $udp" >>"$WORK/runs"
		case $rs in
		empty | conntrack) ;;
		*)	# the traffic went through segmentd's accept rule
			[ "${after:-0}" -gt "${before:-0}" ] ||
				echo "packet.sh: warning: flow_$FLOW counter did not move (N=$rs)" >&2 ;;
		esac
		set -- $tcp $udp
		printf '  run %d %-9s TCP %s Gbit/s, UDP received %s kpps (sent %s, %s ns/pkt)\n' "$r" "$rs" \
			"$(fmtv "$1" 1e9 %.2f)" "$(fmtv "$3" 1e3 %.1f)" "$(fmtv "$5" 1e3 %.1f)" "$(fmtv "$6" 1 %.0f)" >&2
	done
done
clear_rules

# paired ratios: each run's figure against the same run's "empty" figure
# (the rulesets of a run are measured back to back, so load that drifts
# over the minutes cancels out); the ratio columns are their medians.
# Throughputs: value / empty; CPU costs: empty / value (so that for both,
# below 1 means slower than without a ruleset).
awk '$2 == "empty" { for (i = 3; i <= NF; i++) e[$1, i] = $i }
	{ row[NR] = $0 }
	END { for (k = 1; k <= NR; k++) { n = split(row[k], f, " "); line = f[2]
		for (i = 3; i <= n; i++) {
			b = e[f[1], i]
			if (f[i] == "-" || b == "" || b == "-" || f[i] == 0 || b == 0) v = "-"
			else v = (i == 4 || i == 8) ? b / f[i] : f[i] / b
			line = line " " v }
		print line } }' "$WORK/runs" >"$WORK/paired"
# pmed RULESET COLUMN (columns as in $WORK/runs)
pmed() {
	awk -v rs="$1" -v c="$(($2 - 1))" '$1 == rs && $c != "-" { print $c }' "$WORK/paired" | median |
		awk '{ if ($1 == "-") print "-"; else printf "%.3f", $1 }'
}
# cmed RULESET COLUMN: median of the raw figures
cmed() {
	awk -v rs="$1" -v c="$2" '$2 == rs && $c != "-" { print $c }' "$WORK/runs" | median
}
label() {
	case $1 in empty | conntrack) echo "$1" ;; *) echo "N=$1" ;; esac
}

hdr='%-10s %10s %7s %11s %7s\n'
echo "TCP (tcp/443)"
printf "$hdr" ruleset "Gbit/s" ratio "CPU ns/KiB" ratio
for rs in "${rulesets[@]}"; do
	printf "$hdr" "$(label "$rs")" "$(fmtv "$(cmed "$rs" 3)" 1e9 %.2f)" "$(pmed "$rs" 3)" \
		"$(fmtv "$(cmed "$rs" 4)" 1 %.1f)" "$(pmed "$rs" 4)"
done
echo
hdr='%-10s %10s %8s %7s %10s %7s %10s %7s\n'
echo "UDP (udp/3389), ${UDP_LEN}-byte payloads, -b 0"
printf "$hdr" ruleset "recv kpps" "Mbit/s" ratio "sent kpps" ratio "CPU ns/pkt" ratio
for rs in "${rulesets[@]}"; do
	printf "$hdr" "$(label "$rs")" "$(fmtv "$(cmed "$rs" 5)" 1e3 %.1f)" "$(fmtv "$(cmed "$rs" 6)" 1e6 %.1f)" \
		"$(pmed "$rs" 5)" "$(fmtv "$(cmed "$rs" 7)" 1e3 %.1f)" "$(pmed "$rs" 7)" \
		"$(fmtv "$(cmed "$rs" 8)" 1 %.0f)" "$(pmed "$rs" 8)"
	echo "$rs $(pmed "$rs" 3) $(pmed "$rs" 5) $(pmed "$rs" 4) $(pmed "$rs" 8)" >>"$WORK/ratios"
done
echo
echo "per run (TCP Gbit/s, CPU ns/KiB; UDP recv kpps, sent kpps, CPU ns/pkt):"
while read -r r rs t tc ur _ us uc; do
	printf '  run %d %-9s %7s %7s   %7s %7s %6s\n' "$r" "$rs" "$(fmtv "$t" 1e9 %.2f)" \
		"$(fmtv "$tc" 1 %.1f)" "$(fmtv "$ur" 1e3 %.1f)" "$(fmtv "$us" 1e3 %.1f)" "$(fmtv "$uc" 1 %.0f)"
done <"$WORK/runs"
echo "recv: packets/s and payload Mbit/s at the receiver; sent: at the sender.  CPU: the sender's"
echo "task-clock per KiB / per packet sent; veth runs the forwarding (and the ruleset) in the sender's"
echo "softirq, so this is the CPU cost of the whole path, whatever share of the CPU we got.  Ratios:"
echo "medians of per-run ratios against the same run's empty ruleset (CPU: empty cost / cost)."
echo "conntrack: a table with only 'ct state established,related accept; accept'; N=1: the shipped config."
echo

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	if (v == "-") { print "n/a"; exit }
	ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "MISSED" }'; }
small=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 2 | head -n 1)
big=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 1)
echo "targets (ratios against the empty ruleset; by throughput at the receiver / by the sender's CPU cost):"
while read -r rs rt ru ct cu; do
	case $rs in empty | conntrack) continue ;; esac
	printf '  N=%-7s TCP         %6s %-6s / %6s %-6s (target >= 0.95)\n' "$rs" \
		"$rt" "$(verdict "$rt" 0.95 ">=")" "$ct" "$(verdict "$ct" 0.95 ">=")"
	printf '  N=%-7s UDP 64-byte %6s %-6s / %6s %-6s (target >= 0.75)\n' "$rs" \
		"$ru" "$(verdict "$ru" 0.75 ">=")" "$cu" "$(verdict "$cu" 0.75 ">=")"
done <"$WORK/ratios"
r1=$(awk -v n="$small" '$1 == n' "$WORK/ratios")
r2=$(awk -v n="$big" '$1 == n' "$WORK/ratios")
diff_of() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%+.3f", b - a }'
}
absv() {
	awk -v d="$1" 'BEGIN { if (d == "-") print "-"; else print (d < 0 ? -d : d) }'
}
if [ -n "$r1" ] && [ -n "$r2" ] && [ "$small" != "$big" ]; then
	read -r _ t1 u1 c1 v1 <<<"$r1"
	read -r _ t2 u2 c2 v2 <<<"$r2"
	for x in "TCP $t1 $t2 $c1 $c2" "UDP $u1 $u2 $v1 $v2"; do
		read -r what a1 a2 b1 b2 <<<"$x"
		d1=$(diff_of "$a1" "$a2")
		d2=$(diff_of "$b1" "$b2")
		printf '  N=%s vs N=%s %s ratio difference %6s %-6s / %6s %-6s (target within 0.05)\n' \
			"$big" "$small" "$what" "$d1" "$(verdict "$(absv "$d1")" 0.05 "<=")" \
			"$d2" "$(verdict "$(absv "$d2")" 0.05 "<=")"
	done
fi
