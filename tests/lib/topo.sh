# tests/lib/topo.sh - the topology of conf/segmentd.conf in network namespaces.
# shellcheck shell=bash
# Sourced by bash scripts (tests/kernel/*.sh, scripts/demo.sh).
#
#                        +----------------- gw ------------------+
#   mynumber  eth0 ---- mn0    10.1.0.1/16    fd00:1::1/48        |
#   lgwan     eth0 ---- lg0    10.2.0.1/16    fd00:2::1/48        |
#   internet  eth0 ---- inet0  10.3.0.1/16    fd00:3::1/48        |
#   lgwan-net eth0 ---- lgw0   172.20.0.1/16                      |
#   cloud     eth0 ---- wan0   192.0.2.1/24   2001:db8::1/64      |
#                        +---- forwarding on, rp_filter off ------+
#
# One namespace per zone holds every host address of that zone (table
# below); the gateway namespace "gw" has the zone interfaces named as in the
# config.  The cloud namespace also plays the upstream router (192.0.2.254,
# 2001:db8::fe: the gateway's default routes) and "the internet"
# (198.51.100.7, 2001:db8:ff::7).  Every namespace runs `probe serve` on
# TOPO_TCP_PORTS / TOPO_UDP_PORTS.  The gateway's rp_filter is off so that
# anti-spoofing is segmentd's job alone.
#
# Use:
#   . tests/lib/topo.sh
#   topo_init BUILD        checks tools and root (exit 77 if missing)
#   trap topo_cleanup EXIT
#   topo_build             namespaces, links, addresses, routes, servers
#   topo_exec ZONE CMD...  runs CMD in ZONE's namespace (ZONE "gw": gateway)
#   topo_spawn ZONE LOG CMD...   same, in the background; pid in TOPO_PID,
#                          killed by topo_cleanup
#   topo_cleanup           ends our processes, deletes our namespaces
#                          (TOPO_KEEP=DIR: its *.log files copied there)
# and: topo_expect (one probe against an expectation), topo_stop PID,
# topo_wait_file / topo_wait_until (wait for a condition, never blindly),
# topo_addr_add / topo_addr_del (extra or spoofed addresses),
# topo_arrivals_start / _read (count what reaches a zone namespace),
# topo_count_* / topo_verdict (per-probe counters at the receiver, below),
# topo_zone_of / topo_name_of ADDR (lookups in the tables below).
# Duplicate address detection is off in every namespace, so IPv6 works at
# once (no first-packet losses while link-local addresses are tentative).
#
# Namespace names are "$TOPO_ID-ZONE"; TOPO_ID is unique per run (pid), so
# parallel runs never collide.  Nothing here touches the caller's own
# network namespace.

TOPO_ZONES="mynumber lgwan internet lgwan-net cloud"
TOPO_TCP_PORTS=22,25,53,443,445,3389,8080
TOPO_UDP_PORTS=53,123,3389

# zone, gateway interface, gateway addresses
topo_links_table() {
	cat <<'EOF'
mynumber   mn0    10.1.0.1/16    fd00:1::1/48
lgwan      lg0    10.2.0.1/16    fd00:2::1/48
internet   inet0  10.3.0.1/16    fd00:3::1/48
lgwan-net  lgw0   172.20.0.1/16
cloud      wan0   192.0.2.1/24   2001:db8::1/64
EOF
}

# zone, host name (from conf/segmentd.conf, or a note), address/prefix
topo_hosts_table() {
	cat <<'EOF'
mynumber   atena              10.1.1.20/16
mynumber   intake             10.1.1.50/16
mynumber   intake             fd00:1::50/48
mynumber   mn-terminal        10.1.10.10/16
lgwan      lg-terminals       10.2.8.10/16
lgwan      lg-terminals       fd00:2:0:8::10/48
lgwan      lg-mail            10.2.1.25/16
lgwan      lg-mail            fd00:2::25/48
lgwan      lg-staging         10.2.1.60/16
lgwan      lg-staging         fd00:2::60/48
lgwan      lg-admin           10.2.9.10/16
internet   vbrowser           10.3.1.10/16
internet   vbrowser           fd00:3:0:1::10/48
internet   mail-relay         10.3.2.25/16
internet   mail-relay         fd00:3::25/48
internet   file-relay         10.3.2.40/16
internet   file-relay         fd00:3::40/48
internet   inet-host          10.3.5.5/16
lgwan-net  chukan             172.20.1.10/16
cloud      sc-proxy           192.0.2.10/24
cloud      sc-mail            192.0.2.25/24
cloud      sc-dns             192.0.2.53/24
cloud      upstream           192.0.2.254/24
cloud      upstream           2001:db8::fe/64
cloud      cloud-host         2001:db8::10/64
cloud      web                198.51.100.7/32
cloud      web                2001:db8:ff::7/128
EOF
}

topo_die() {
	echo "topo: $*" >&2
	exit 1
}

# topo_skip MESSAGE: a missing prerequisite, not a failure (exit 77).
topo_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

topo_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || topo_skip "'$c' is not installed (scripts/deps.sh)"
	done
}

# topo_init BUILD: checks prerequisites, sets TOPO_ID, TOPO_DIR, PROBE and
# FLOOD (the tools of tests/tools, built by make into BUILD/tools).
topo_init() {
	local build=${1:-build}
	[ "$(id -u)" = 0 ] || topo_skip "needs root (network namespaces)"
	topo_require_cmd ip nft sysctl
	case $build in /*) ;; *) build=$PWD/$build ;; esac
	PROBE=$build/tools/probe
	export FLOOD=$build/tools/flood
	[ -x "$PROBE" ] || topo_skip "$PROBE not built (make tools)"
	TOPO_ID=${TOPO_ID:-sd$$}
	TOPO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-$TOPO_ID.XXXXXX")
	TOPO_PIDS=
	TOPO_NAMESPACES=
}

topo_ns() {
	echo "$TOPO_ID-$1"
}

topo_exec() {
	local zone=$1
	shift
	ip netns exec "$(topo_ns "$zone")" "$@"
}

# topo_spawn ZONE LOGFILE CMD...: background process in ZONE; TOPO_PID.
# `ip netns exec` execs the command, so the pid is the command's own.
topo_spawn() {
	local zone=$1 log=$2
	shift 2
	ip netns exec "$(topo_ns "$zone")" "$@" >"$log" 2>&1 &
	TOPO_PID=$!
	TOPO_PIDS="$TOPO_PIDS $TOPO_PID"
}

# topo_wait_file FILE PID [SECONDS]: waits until FILE exists (a ready
# marker); fails early if PID died.
topo_wait_file() {
	local file=$1 pid=$2 tries=$(( ${3:-10} * 50 ))
	while [ ! -e "$file" ]; do
		kill -0 "$pid" 2>/dev/null || { echo "topo: process $pid died before $file" >&2; return 1; }
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "topo: timed out waiting for $file" >&2; return 1; }
		sleep 0.02
	done
}

# topo_wait_until SECONDS CMD...: polls CMD until it succeeds.
topo_wait_until() {
	local tries=$(( $1 * 50 ))
	shift
	until "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.02
	done
}

# topo_stop PID [WHAT]: SIGTERM, waits up to 10 s (then SIGKILL); returns
# the process's exit status (it must be a child of this shell).
topo_stop() {
	local pid=$1 what=${2:-process $1} tries=500 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.02
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "topo: $what ignored SIGTERM for 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	return "$rc"
}

topo_add_ns() {
	local ns
	ns=$(topo_ns "$1")
	ip netns add "$ns" || topo_die "cannot create namespace $ns"
	TOPO_NAMESPACES="$TOPO_NAMESPACES $ns"
	ip -n "$ns" link set lo up
	# no duplicate address detection: link-local addresses usable at once
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

topo_build_gateway() {
	topo_add_ns gw
	topo_exec gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# topo_addr_add_raw NS IFNAME ADDR/PLEN (IPv6 without duplicate detection).
topo_addr_add_raw() {
	case $3 in
	*:*) ip -n "$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$1" addr add "$3" dev "$2" ;;
	esac
}

# One zone: namespace, veth pair (gateway side named as in the config),
# gateway addresses.
topo_build_link() {
	local zone=$1 ifname=$2 gwaddr
	shift 2
	local gw host
	gw=$(topo_ns gw)
	host=$(topo_ns "$zone")
	topo_add_ns "$zone"
	ip -n "$gw" link add "$ifname" type veth peer name eth0 netns "$host"
	ip netns exec "$gw" sysctl -qw "net.ipv4.conf.$ifname.rp_filter=0"
	for gwaddr in "$@"; do
		topo_addr_add_raw "$gw" "$ifname" "$gwaddr"
	done
	ip -n "$gw" link set "$ifname" up
	ip -n "$host" link set eth0 up
}

# Default routes of a zone namespace: via the gateway's first address of
# each family on that zone's link.
topo_build_routes() {
	local zone=$1 gwaddr
	shift
	for gwaddr in "$@"; do
		case $gwaddr in
		*:*) ip -n "$(topo_ns "$zone")" -6 route add default via "${gwaddr%/*}" dev eth0 ;;
		*) ip -n "$(topo_ns "$zone")" route add default via "${gwaddr%/*}" dev eth0 ;;
		esac
	done
}

topo_start_servers() {
	local zone pids='' ready
	for zone in gw $TOPO_ZONES; do
		ready=$TOPO_DIR/serve-$zone.ready
		topo_spawn "$zone" "$TOPO_DIR/serve-$zone.log" "$PROBE" serve -r "$ready" \
			"tcp:$TOPO_TCP_PORTS" "udp:$TOPO_UDP_PORTS"
		pids="$pids $zone:$TOPO_PID"
	done
	for zone in $pids; do
		topo_wait_file "$TOPO_DIR/serve-${zone%%:*}.ready" "${zone#*:}" ||
			topo_die "probe serve in ${zone%%:*} did not start: $(cat "$TOPO_DIR/serve-${zone%%:*}.log")"
	done
}

topo_build() {
	local zone ifname addrs name addr
	topo_build_gateway
	while read -r zone ifname addrs; do
		# shellcheck disable=SC2086
		topo_build_link "$zone" "$ifname" $addrs
	done <<EOF
$(topo_links_table)
EOF
	while read -r zone name addr; do
		topo_addr_add_raw "$(topo_ns "$zone")" eth0 "$addr"
	done <<EOF
$(topo_hosts_table)
EOF
	while read -r zone ifname addrs; do
		# shellcheck disable=SC2086
		topo_build_routes "$zone" $addrs
	done <<EOF
$(topo_links_table)
EOF
	ip -n "$(topo_ns gw)" route add default via 192.0.2.254 dev wan0
	ip -n "$(topo_ns gw)" -6 route add default via 2001:db8::fe dev wan0
	topo_start_servers
}

# The tables above as lookups, read once here: TOPO_ZONE_OF[ADDR] (the
# namespace key, "gw" for the gateway's addresses), TOPO_NAME_OF[ADDR].
declare -gA TOPO_ZONE_OF=() TOPO_NAME_OF=()
topo_tables_load() {
	local zone ifname addrs addr name
	while read -r zone ifname addrs; do
		for addr in $addrs; do
			TOPO_ZONE_OF[${addr%/*}]=gw TOPO_NAME_OF[${addr%/*}]=gateway
		done
	done <<EOF
$(topo_links_table)
EOF
	while read -r zone name addr; do
		TOPO_ZONE_OF[${addr%/*}]=$zone TOPO_NAME_OF[${addr%/*}]=$name
	done <<EOF
$(topo_hosts_table)
EOF
}
topo_tables_load

# topo_zone_of ADDR: the namespace key ("gw" or a zone) holding ADDR; an
# address not in the tables (added by a test) is looked up in our
# namespaces.
topo_zone_of() {
	local want=$1 ns
	[ -z "${TOPO_ZONE_OF[$want]:-}" ] || { echo "${TOPO_ZONE_OF[$want]}"; return 0; }
	for ns in ${TOPO_NAMESPACES:-}; do
		if ip -n "$ns" -o addr show | grep -q "inet6\{0,1\} $want/"; then
			echo "${ns#"$TOPO_ID"-}"
			return 0
		fi
	done
	return 1
}

# topo_name_of ADDR: the host name for ADDR ("gateway" for its addresses).
topo_name_of() {
	echo "${TOPO_NAME_OF[$1]:-?}"
}

# topo_addr_add ZONE ADDR / topo_addr_del ZONE ADDR: an extra (/32, /128)
# address on a zone namespace's link, e.g. a spoofed source.
topo_addr_add() {
	local plen=32
	case $2 in *:*) plen=128 ;; esac
	topo_addr_add_raw "$(topo_ns "$1")" eth0 "$2/$plen"
}

topo_addr_del() {
	local plen=32
	case $2 in *:*) plen=128 ;; esac
	ip -n "$(topo_ns "$1")" addr del "$2/$plen" dev eth0 2>/dev/null || true
}

# topo_arrivals_start ZONE SRC DST PROTO [PORT]: counts, in ZONE's own
# namespace (never the gateway), the packets from SRC to DST that arrive
# there; topo_arrivals_read ZONE prints the count and removes the counter.
# This sees a leak even when the reply cannot come back (spoofed source).
topo_arrivals_start() {
	local zone=$1 src=$2 dst=$3 proto=$4 port=${5:-} fam=ip match
	case $dst in *:*) fam=ip6 ;; esac
	case $proto in
	tcp|udp) match="$proto dport $port" ;;
	icmp) match="meta l4proto { icmp, ipv6-icmp }" ;;
	*) topo_die "topo_arrivals_start: unknown protocol $proto" ;;
	esac
	topo_exec "$zone" nft -f - <<EOF
table inet probe_arrivals {
	counter seen { }
	chain prerouting {
		type filter hook prerouting priority -400; policy accept;
		$fam saddr $src $fam daddr $dst $match counter name "seen"
	}
}
EOF
}

topo_arrivals_read() {
	local zone=$1 out
	out=$(topo_exec "$zone" nft list counter inet probe_arrivals seen)
	topo_exec "$zone" nft delete table inet probe_arrivals
	echo "$out" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# Judging a probe at its receiver.  A timeout alone proves no drop: replies
# of unmarked connections are dropped too, so a forbidden packet that got
# through looks the same.  Each probe gets a named counter in the namespace
# of its destination and its own source port (ICMP: echo id), so that the
# counter sees this probe's packets and no other's.  The counter sits at
# prerouting, priority -400, before anything there could drop it; for the
# gateway's own addresses at input after segmentd's filter chain, since
# what that chain drops has not arrived.
#   topo_sport_take N       first of N source ports not yet used in this run
#                           (61000-65535: above the ephemeral range)
#   topo_count_add ZONE NAME PROTO SRC DST PORT SPORT
#                           declares counter NAME (letters, digits, _)
#   topo_count_arm          installs what was declared: one nft per namespace
#   topo_count_read         reads and removes them (one nft list per
#                           namespace) into TOPO_COUNT[NAME]
#   topo_count_get NAME     packets counted for NAME (after topo_count_read)
#   topo_verdict RC N [VAR] probe exit status and arrivals ("-": not
#                           counted) -> pass, drop, leaked (arrived, no
#                           reply), timeout (not counted), refused, error(..);
#                           printed, or assigned to VAR
TOPO_COUNT_TABLE=probe_count
declare -gA TOPO_COUNT=()

topo_sport_take() {
	local n=$1 file=$TOPO_DIR/sport next
	next=$(cat "$file" 2>/dev/null || echo 61000)
	[ $((next + n)) -le 65536 ] || next=61000
	echo $((next + n)) >"$file"
	echo "$next"
}

topo_count_add() {
	local zone=$1 name=$2 proto=$3 src=$4 dst=$5 port=$6 sport=$7 fam=ip match
	case $dst in *:*) fam=ip6 ;; esac
	case $proto:$fam in
	tcp:*|udp:*) match="$proto sport $sport $proto dport $port" ;;
	icmp:ip) match="icmp type echo-request icmp id $sport" ;;
	icmp:ip6) match="icmpv6 type echo-request icmpv6 id $sport" ;;
	*) topo_die "topo_count_add: unknown protocol $proto" ;;
	esac
	[ -d "$TOPO_DIR/count" ] || mkdir "$TOPO_DIR/count"
	printf 'counter %s { }\n' "$name" >>"$TOPO_DIR/count/$zone.counters"
	printf '%s saddr %s %s daddr %s %s counter name "%s"\n' \
		"$fam" "$src" "$fam" "$dst" "$match" "$name" >>"$TOPO_DIR/count/$zone.rules"
}

topo_count_arm() {
	local f zone hook prio
	for f in "$TOPO_DIR"/count/*.rules; do
		[ -e "$f" ] || continue
		zone=$(basename "$f" .rules)
		hook=prerouting prio=-400
		[ "$zone" != gw ] || hook=input prio=300
		{
			echo "table inet $TOPO_COUNT_TABLE {"
			cat "$TOPO_DIR/count/$zone.counters"
			echo "chain count { type filter hook $hook priority $prio; policy accept;"
			cat "$f"
			printf '}\n}\n'
		} | topo_exec "$zone" nft -f - || topo_die "cannot install the probe counters in $zone"
		echo "$zone" >>"$TOPO_DIR/count/armed"
		rm -f "$f" "$TOPO_DIR/count/$zone.counters"
	done
}

topo_count_read() {
	local zone name n
	TOPO_COUNT=()
	[ -e "$TOPO_DIR/count/armed" ] || return 0
	for zone in $(sort -u "$TOPO_DIR/count/armed"); do
		while read -r name n; do
			TOPO_COUNT[$name]=$n
		done < <(topo_exec "$zone" nft list table inet "$TOPO_COUNT_TABLE" |
			awk '$1 == "counter" && $3 == "{" { name = $2 }
			     $1 == "packets" && name != "" { print name, $2; name = "" }')
		topo_exec "$zone" nft delete table inet "$TOPO_COUNT_TABLE"
	done
	rm -f "$TOPO_DIR/count/armed"
}

topo_count_get() {
	echo "${TOPO_COUNT[$1]:-}"
}

topo_verdict() {
	local rc=$1 n=$2 reply=timeout word
	case $rc in 0) reply=pass ;; 1) ;; 2) reply=refused ;; *) reply="error($rc)" ;; esac
	case $reply:$n in
	refused:* | error*:* | *:-) word=$reply ;;
	*: | *:*[!0-9]*) word="error(counter)" ;;
	pass:0) word="error(uncounted)" ;;
	pass:*) word=pass ;;
	timeout:0) word=drop ;;
	timeout:*) word=leaked ;;
	esac
	if [ -n "${3:-}" ]; then printf -v "$3" %s "$word"; else echo "$word"; fi
}

# topo_expect WHAT pass|drop ZONE tcp|udp|icmp SRC DST [PORT]: one probe
# (1 s timeout); prints "ok: WHAT: ..." and returns 0 when it got WANT,
# else prints "FAIL: ..." and returns 1.  "pass" needs the reply; "drop"
# needs no reply and nothing arrived in DST's namespace (counted there).
topo_expect() {
	local what=$1 want=$2 zone=$3 proto=$4 src=$5 dst=$6 port=${7:-} rc=0
	local dzone sport='' n=- got
	if [ "$want" = drop ]; then
		dzone=$(topo_zone_of "$dst") ||
			{ echo "FAIL: $what: no namespace of ours holds $dst"; return 1; }
		sport=$(topo_sport_take 1)
		topo_count_add "$dzone" expect "$proto" "$src" "$dst" "$port" "$sport"
		topo_count_arm
	fi
	# shellcheck disable=SC2086 # no port for icmp, no -p for pass
	topo_exec "$zone" "$PROBE" "$proto" -t 1000 ${sport:+-p "$sport"} \
		-s "$src" "$dst" $port || rc=$?
	if [ "$want" = drop ]; then
		topo_count_read
		n=$(topo_count_get expect)
	fi
	got=$(topo_verdict "$rc" "$n")
	if [ "$got" = "$want" ]; then
		echo "ok: $what: $want"
		return 0
	fi
	echo "FAIL: $what: expected $want, got $got (probe exit $rc: 0 reply," \
		"1 none, 2 refused, 3 error${sport:+; packets arrived at $dst: $n})"
	return 1
}

# Kills the processes we started (by pid), then any process left in our
# namespaces (by pid), then deletes the namespaces and TOPO_DIR.
topo_cleanup() {
	local pid ns alive tries=250
	for pid in ${TOPO_PIDS:-}; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	while [ "$tries" -gt 0 ]; do   # up to 5 s, then SIGKILL
		alive=
		for pid in ${TOPO_PIDS:-}; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -n "$alive" ] || break
		tries=$((tries - 1))
		sleep 0.02
	done
	for pid in ${TOPO_PIDS:-}; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for ns in ${TOPO_NAMESPACES:-}; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	TOPO_PIDS=
	TOPO_NAMESPACES=
	# A sanitizer build reports into the daemon's log (at exit for leaks):
	# any report fails the test, whatever it checked.
	local san=
	if [ -n "${TOPO_DIR:-}" ]; then
		san=$(grep -l -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
			"$TOPO_DIR"/*.log "$TOPO_DIR"/*.out 2>/dev/null || true)
		for f in $san; do
			echo "FAIL: sanitizer report in $(basename "$f"):"
			grep -m 20 -A 12 -E 'ERROR: |runtime error:' "$f" || true
		done
		# TOPO_KEEP=DIR: the logs kept there for a look afterwards
		if [ -n "${TOPO_KEEP:-}" ] && mkdir -p "$TOPO_KEEP"; then
			cp "$TOPO_DIR"/*.log "$TOPO_KEEP"/ 2>/dev/null || true
		fi
		rm -rf "$TOPO_DIR"
	fi
	TOPO_DIR=
	[ -z "$san" ] || exit 1
}
