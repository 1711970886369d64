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
	ip -n "$NS_GW" link add lg0 type veth peer name eth0 netns "$NS_LG"
	ip -n "$NS_GW" link add inet0 type veth peer name eth0 netns "$NS_IN"
	ip -n "$NS_GW" addr add 10.2.0.1/16 dev lg0
	ip -n "$NS_GW" addr add 10.3.0.1/16 dev inet0
	ip -n "$NS_LG" addr add 10.2.8.10/16 dev eth0
	ip -n "$NS_IN" addr add 10.3.1.10/16 dev eth0
	ip -n "$NS_GW" link set lg0 up
	ip -n "$NS_GW" link set inet0 up
	ip -n "$NS_LG" link set eth0 up
	ip -n "$NS_IN" link set eth0 up
	ip -n "$NS_LG" route add default via 10.2.0.1
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

# client ARGS...: iperf3 client JSON on stdout (one retry: server busy)
client() {
	local out
	# shellcheck disable=SC2086
	out=$(ip netns exec "$NS_LG" iperf3 -c 10.3.1.10 -t "$DUR" $AFFINITY -J "$@" 2>&1)
	if ! echo "$out" | jq -e '.end.sum_received' >/dev/null 2>&1; then
		sleep 1
		# shellcheck disable=SC2086
		out=$(ip netns exec "$NS_LG" iperf3 -c 10.3.1.10 -t "$DUR" $AFFINITY -J "$@" 2>&1)
	fi
	echo "$out"
}

measure_tcp() {
	client -p 443 | jq -r '.end.sum_received.bits_per_second // "-"'
}

# received packets/s, received Mbit/s (payload), sent packets/s
measure_udp() {
	client -p 3389 -u -l "$UDP_LEN" -b 0 |
		jq -r --argjson len "$UDP_LEN" '.end | select(.sum_received and .sum_sent) |
			"\(.sum_received.bytes / $len / .sum_received.seconds) \(.sum_received.bits_per_second) \(.sum_sent.packets / .sum_sent.seconds)"'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

med() {
	if [ -s "$1" ]; then median <"$1"; else echo -; fi
}

ratio() {
	case "$1$2" in *-*) echo - ;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }' ;; esac
}

flow_packets() {
	gw nft list counter inet "$TABLE" flow_screen-transfer 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

for n in $SIZES; do
	"$top/bench/gen-config.sh" "$n" "$WORK/$n.conf" || die "gen-config.sh $n failed"
done
build_topology
start_servers

read -ra sizes <<<"$SIZES"
rulesets=(empty conntrack "${sizes[@]}")
echo "== forwarding through the gateway: iperf3 10.2.8.10 (lgwan) -> 10.3.1.10 (vbrowser) =="
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
		[ -n "$tcp" ] && [ "$tcp" != - ] && echo "$tcp" >>"$WORK/$rs.tcp"
		if [ -n "$udp" ]; then
			set -- $udp
			echo "$1" >>"$WORK/$rs.pps"
			echo "$2" >>"$WORK/$rs.udpbps"
			echo "$3" >>"$WORK/$rs.sent"
		fi
		echo "$r $rs ${tcp:--} ${1:--} ${3:--}" >>"$WORK/runs"
		case $rs in
		empty | conntrack) ;;
		*)	# the traffic went through segmentd's accept rule
			[ "${after:-0}" -gt "${before:-0}" ] ||
				echo "packet.sh: warning: flow_screen-transfer counter did not move (N=$rs)" >&2 ;;
		esac
		printf '  run %d %-9s TCP %s Gbit/s, UDP received %s kpps (sent %s)\n' "$r" "$rs" \
			"$(awk -v v="${tcp:-0}" 'BEGIN { printf "%.2f", v / 1e9 }')" \
			"$(awk -v v="${1:-0}" 'BEGIN { printf "%.1f", v / 1e3 }')" \
			"$(awk -v v="${3:-0}" 'BEGIN { printf "%.1f", v / 1e3 }')" >&2
	done
done
clear_rules

# paired ratios: each run's figure over the same run's "empty" figure
# (rulesets of a run are measured back to back, so load that drifts over
# the minutes cancels out); the ratio columns are their medians.
awk '$2 == "empty" { t[$1] = $3; u[$1] = $4; s[$1] = $5 }
	{ row[NR] = $0 }
	END { for (i = 1; i <= NR; i++) { split(row[i], f, " ")
		printf "%s %s %s %s\n", f[2],
			(f[3] == "-" || t[f[1]] == "" || t[f[1]] == "-") ? "-" : f[3] / t[f[1]],
			(f[4] == "-" || u[f[1]] == "" || u[f[1]] == "-") ? "-" : f[4] / u[f[1]],
			(f[5] == "-" || s[f[1]] == "" || s[f[1]] == "-") ? "-" : f[5] / s[f[1]] } }' \
	"$WORK/runs" >"$WORK/paired"
pmed() {
	awk -v rs="$1" -v c="$2" '$1 == rs && $c != "-" { print $c }' "$WORK/paired" | median |
		awk '{ if ($1 == "-") print "-"; else printf "%.3f", $1 }'
}
hdr='%-10s %10s %7s %11s %10s %7s %11s %7s\n'
printf "$hdr" ruleset "TCP Gbit/s" ratio "UDP64 recv" "recv" ratio "UDP64 sent" ratio
printf "$hdr" "" "" "" kpps Mbit/s "" kpps ""
for rs in "${rulesets[@]}"; do
	tcp=$(med "$WORK/$rs.tcp")
	pps=$(med "$WORK/$rs.pps")
	bps=$(med "$WORK/$rs.udpbps")
	sent=$(med "$WORK/$rs.sent")
	name=$rs
	case $rs in empty | conntrack) ;; *) name="N=$rs" ;; esac
	printf "$hdr" "$name" \
		"$(awk -v v="$tcp" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", v / 1e9 }')" \
		"$(pmed "$rs" 2)" \
		"$(awk -v v="$pps" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e3 }')" \
		"$(awk -v v="$bps" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e6 }')" \
		"$(pmed "$rs" 3)" \
		"$(awk -v v="$sent" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e3 }')" \
		"$(pmed "$rs" 4)"
	echo "$rs $(pmed "$rs" 2) $(pmed "$rs" 3)" >>"$WORK/ratios"
done
echo
echo "per run (TCP Gbit/s, UDP received kpps, UDP sent kpps):"
while read -r r rs tcp pps sent; do
	printf '  run %d %-9s %7s %9s %9s\n' "$r" "$rs" \
		"$(awk -v v="$tcp" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", v / 1e9 }')" \
		"$(awk -v v="$pps" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e3 }')" \
		"$(awk -v v="$sent" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e3 }')"
done <"$WORK/runs"
echo "UDP: ${UDP_LEN}-byte payloads sent at full speed (-b 0); recv = packets/s and payload Mbit/s at the"
echo "receiver, sent = at the sender (whose CPU also runs the forwarding: veth processes it in the"
echo "sender's softirq).  Ratios: medians of per-run ratios against the same run's empty ruleset."
echo "conntrack: a table with only 'ct state established,related accept; accept'; N=1: the shipped config."
echo

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	if (v == "-") { print "n/a"; exit }
	ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "MISSED" }'; }
small=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 2 | head -n 1)
big=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 1)
echo "targets (ratios against the empty ruleset):"
while read -r rs rt ru; do
	case $rs in empty | conntrack) continue ;; esac
	printf '  N=%-7s TCP %6s (target >= 0.95) %-7s UDP 64-byte %6s (target >= 0.75) %s\n' \
		"$rs" "$rt" "$(verdict "$rt" 0.95 ">=")" "$ru" "$(verdict "$ru" 0.75 ">=")"
done <"$WORK/ratios"
r1=$(awk -v n="$small" '$1 == n' "$WORK/ratios")
r2=$(awk -v n="$big" '$1 == n' "$WORK/ratios")
if [ -n "$r1" ] && [ -n "$r2" ] && [ "$small" != "$big" ]; then
	set -- $r1 $r2
	dt=$(awk -v a="$2" -v b="$5" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", b - a }')
	du=$(awk -v a="$3" -v b="$6" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", b - a }')
	adt=$(awk -v d="$dt" 'BEGIN { print (d == "-") ? "-" : (d < 0 ? -d : d) }')
	adu=$(awk -v d="$du" 'BEGIN { print (d == "-") ? "-" : (d < 0 ? -d : d) }')
	printf '  N=%s vs N=%s: TCP ratio difference %s (target within 0.05) %s; UDP %s %s\n' \
		"$big" "$small" "$dt" "$(verdict "$adt" 0.05 "<=")" "$du" "$(verdict "$adu" 0.05 "<=")"
fi
