# tests/lib/flood.sh - a forbidden flood (tests/tools/flood) with the
# shellcheck shell=bash
# controls that make "nothing arrived" mean something.  Source
# tests/lib/kernel.sh first (topo_*, fail, FLOOD).
#
#   flood_init FROM SRC TO DST PORT [PROTO]   the flood's path: from zone
#                          FROM's address SRC to zone TO's address DST, PORT;
#                          PROTO udp (the default), tcp (SYNs, each a new
#                          connection) or both (alternating); a missing
#                          flood tool fails (make builds it)
#   flood_control          the positive control, run where the path is open
#                          (no segmentd, or a rule letting it through): a
#                          0.3 s flood must be sent, be seen at the gateway
#                          and be counted at the receiver
#   flood_start            the flood in the background (pid in FLOOD_PID)
#                          and a counter at the receiver; returns once the
#                          gateway sees it arriving
#   flood_stop             ends it; fails unless it ran the whole time and
#                          sent, the gateway received at least FLOOD_MIN
#                          packets on the flood's interface meanwhile and
#                          still receives it at the end, and the receiver
#                          counted none
#
# At the receiver the count is an nftables counter per protocol in TO's own
# namespace (prerouting, priority -400, the flood's addresses and port; for
# TCP only SYNs): it sees a packet that got through even if no socket takes
# it.  FLOOD_GOT is the sum, FLOOD_GOT_BY "udp N tcp N".  At the gateway it
# is the rx_packets of FROM's interface (no rule there: the daemon under
# test would report a foreign base chain); the probes of a test add a few
# dozen packets at most, far below FLOOD_MIN.

FLOOD_MIN=${FLOOD_MIN:-1000}
# FLOOD_RATE: packets per second of flood_control and flood_start (empty:
# as fast as the sender can)
FLOOD_RATE=${FLOOD_RATE:-}

flood_init() {
	FLOOD_FROM=$1 FLOOD_SRC=$2 FLOOD_TO=$3 FLOOD_DST=$4 FLOOD_PORT=$5
	FLOOD_PROTO=${6:-udp}
	case $FLOOD_PROTO in udp | tcp | both) ;; *) fail "flood: protocol '$FLOOD_PROTO'" ;; esac
	[ -x "$FLOOD" ] || fail "flood: $FLOOD is missing (make tools)"
	FLOOD_IF=$(topo_links_table | awk -v z="$FLOOD_FROM" '$1 == z { print $2 }')
	[ -n "$FLOOD_IF" ] || fail "flood: no gateway interface for zone $FLOOD_FROM"
	FLOOD_PID=
}

# The gateway's received packets on the flood's interface.
flood_gw_rx() {
	topo_exec gw cat "/sys/class/net/$FLOOD_IF/statistics/rx_packets"
}

flood_count_start() {
	local fam=ip
	case $FLOOD_DST in *:*) fam=ip6 ;; esac
	topo_exec "$FLOOD_TO" nft -f - <<EOF || fail "flood: cannot arm the receiver's counters"
table inet flood_arrivals {
	counter seen_udp { }
	counter seen_tcp { }
	chain prerouting {
		type filter hook prerouting priority -400; policy accept;
		$fam saddr $FLOOD_SRC $fam daddr $FLOOD_DST udp dport $FLOOD_PORT counter name "seen_udp"
		$fam saddr $FLOOD_SRC $fam daddr $FLOOD_DST tcp dport $FLOOD_PORT tcp flags syn counter name "seen_tcp"
	}
}
EOF
}

# The receiver's count so far into FLOOD_GOT (and FLOOD_GOT_BY).
flood_count_peek() {
	local out u t
	out=$(topo_exec "$FLOOD_TO" nft list counters table inet flood_arrivals) ||
		fail "flood: the receiver's counters are gone"
	u=$(echo "$out" | sed -n '/seen_udp/,/}/s/.*packets \([0-9]*\).*/\1/p')
	t=$(echo "$out" | sed -n '/seen_tcp/,/}/s/.*packets \([0-9]*\).*/\1/p')
	{ [ -n "$u" ] && [ -n "$t" ]; } || fail "flood: no count in: $out"
	FLOOD_GOT=$((u + t))
	FLOOD_GOT_BY="udp $u tcp $t"
}

# The receiver's count into FLOOD_GOT (and FLOOD_GOT_BY); removes the counters.
flood_count_read() {
	flood_count_peek
	topo_exec "$FLOOD_TO" nft delete table inet flood_arrivals
}

# flood_require_sent SENT GW_RX: the flood said it sent, the gateway saw it.
flood_require_sent() {
	case $1 in '' | *[!0-9]*) fail "flood: no packet count from the flood tool: '$1'" ;; esac
	[ "$1" -gt 0 ] || fail "flood: the flood tool sent nothing"
	[ "$2" -ge "$FLOOD_MIN" ] ||
		fail "flood: the gateway received $2 packets on $FLOOD_IF (flood tool: $1 sent), fewer than $FLOOD_MIN: no flood"
}

flood_control() {
	local rx0 sent rx
	flood_count_start
	rx0=$(flood_gw_rx)
	sent=$(topo_exec "$FLOOD_FROM" "$FLOOD" -s "$FLOOD_SRC" -p "$FLOOD_PROTO" \
		${FLOOD_RATE:+-r "$FLOOD_RATE"} -d 0.3 \
		"$FLOOD_DST" "$FLOOD_PORT") ||
		fail "flood: the flood tool failed"
	rx=$(( $(flood_gw_rx) - rx0 ))
	flood_count_read
	echo "flood control (path open): sent $sent, the gateway received $rx on $FLOOD_IF," \
		"the receiver ($FLOOD_TO $FLOOD_DST) counted $FLOOD_GOT ($FLOOD_GOT_BY)"
	flood_require_sent "$sent" "$rx"
	case "$FLOOD_PROTO $FLOOD_GOT_BY" in
	"both udp 0 "* | "both "*" tcp 0")
		fail "flood: both protocols must reach $FLOOD_DST with the path open ($FLOOD_GOT_BY)" ;;
	esac
	[ "$FLOOD_GOT" -gt 0 ] || fail "flood: the flood does not reach $FLOOD_DST even with the path open"
}

flood_arriving() { [ "$(flood_gw_rx)" -ge "$((FLOOD_RX0 + FLOOD_MIN))" ]; }

flood_start() {
	flood_count_start
	FLOOD_RX0=$(flood_gw_rx)
	topo_spawn "$FLOOD_FROM" "$TOPO_DIR/flood.out" "$FLOOD" -s "$FLOOD_SRC" -p "$FLOOD_PROTO" \
		${FLOOD_RATE:+-r "$FLOOD_RATE"} -d 3600 "$FLOOD_DST" "$FLOOD_PORT"
	FLOOD_PID=$TOPO_PID
	topo_wait_until 10 flood_arriving ||
		fail "flood: the flood does not arrive at the gateway ($FLOOD_IF)"
}

flood_stop() {
	local pid=$FLOOD_PID rx rc=0 sent
	[ -n "$pid" ] || fail "flood: flood_stop without flood_start"
	FLOOD_PID=
	kill -0 "$pid" 2>/dev/null ||
		fail "flood: the flood ended before the test did: $(cat "$TOPO_DIR/flood.out")"
	rx=$(( $(flood_gw_rx) - FLOOD_RX0 ))
	FLOOD_RX0=$(flood_gw_rx)    # and it still arrives now, at the end
	topo_wait_until 5 flood_arriving ||
		fail "flood: the flood no longer arrives at the gateway ($FLOOD_IF) at the end of the run"
	topo_stop "$pid" flood || rc=$?
	[ "$rc" = 0 ] || fail "flood: the flood tool exited $rc: $(cat "$TOPO_DIR/flood.out")"
	sent=$(tail -n 1 "$TOPO_DIR/flood.out")
	flood_count_read
	echo "flood: sent $sent, the gateway received $rx on $FLOOD_IF," \
		"the receiver ($FLOOD_TO $FLOOD_DST) counted $FLOOD_GOT ($FLOOD_GOT_BY)"
	flood_require_sent "$sent" "$rx"
	[ "$FLOOD_GOT" = 0 ] || fail "$FLOOD_GOT forbidden packets ($FLOOD_GOT_BY) reached $FLOOD_DST"
}
