# tests/lib/flows.sh - runs the probe matrix (tests/lib/flows.list) on the
# shellcheck shell=bash
# topology of tests/lib/topo.sh and prints it as a table.  Source topo.sh
# first.
#
#   flows_run [LIST]   probes every row, prints the table and a summary;
#                      returns 0 when every row got what it expected; the
#                      rows' results also go to $TOPO_DIR/flows.result
#                      (ROW ZONE SOURCE DESTINATION SERVICE EXPECT GOT OK|FAIL)
#
# Every row is judged at its receiver as well as by the reply: before the
# probes, one counter per row is installed in the destination's namespace
# (topo_count_*: one nft call per namespace) and each probe has its own
# source port, so "drop" means no reply AND nothing arrived, and "pass"
# means a reply to a packet that was counted there.  A forbidden packet
# that got through without a reply (replies of unmarked connections are
# dropped) is "leaked".  Spoofed rows cannot get a reply; they are judged by
# the counter alone.
#
# Ordinary rows run in parallel (FLOWS_JOBS at a time); spoofed rows run one
# after the other at the end (the spoofed address is on the link only for
# its probe).  Timeouts: FLOWS_PASS_TIMEOUT_MS for rows that must pass (they
# return as soon as the answer comes), FLOWS_DROP_TIMEOUT_MS for rows that
# must be dropped (how long a reply is waited for).

FLOWS_LIST_DEFAULT=$(dirname "${BASH_SOURCE[0]}")/flows.list
FLOWS_JOBS=${FLOWS_JOBS:-12}
FLOWS_PASS_TIMEOUT_MS=${FLOWS_PASS_TIMEOUT_MS:-2000}
FLOWS_DROP_TIMEOUT_MS=${FLOWS_DROP_TIMEOUT_MS:-500}

# flows_probe ZONE SRC DST SERVICE TIMEOUT_MS [SPORT]: probe's exit status.
flows_probe() {
	local zone=$1 src=$2 dst=$3 svc=$4 ms=$5 sport=${6:-}
	local -a opt=(-t "$ms" -s "$src")
	[ -z "$sport" ] || opt+=(-p "$sport")
	case $svc in
	icmp) topo_exec "$zone" "$PROBE" icmp "${opt[@]}" "$dst" ;;
	tcp/*|udp/*) topo_exec "$zone" "$PROBE" "${svc%%/*}" "${opt[@]}" "$dst" "${svc#*/}" ;;
	*) echo "flows: unknown service '$svc'" >&2; return 3 ;;
	esac
}

# flows_word RC: the probe's exit status in a word.  Only the reply: a
# drop needs the receiver's count as well (topo_verdict).
flows_word() {
	case $1 in
	0) echo pass ;;
	1) echo "no reply" ;;
	2) echo refused ;;
	*) echo "error($1)" ;;
	esac
}

# flows_count_add ROW SRC DST SERVICE SPORT: row's counter "fROW" in the
# destination's namespace (1 when no namespace of ours holds DST).
flows_count_add() {
	local row=$1 src=$2 dst=$3 svc=$4 sport=$5 dzone port=''
	dzone=${TOPO_ZONE_OF[$dst]:-}
	[ -n "$dzone" ] || dzone=$(topo_zone_of "$dst") || return 1
	[ "$svc" = icmp ] || port=${svc#*/}
	topo_count_add "$dzone" "f$row" "${svc%%/*}" "$src" "$dst" "$port" "$sport"
}

# flows_judge SPOOFED RC ARRIVED VAR: the row's result word into VAR.  A
# spoofed row cannot get a reply: what arrived decides.
flows_judge() {
	local spoofed=$1 rc=$2 n=$3
	if [ -z "$spoofed" ]; then
		topo_verdict "$rc" "$n" "$4"
		return
	fi
	case $n in
	'' | *[!0-9]*) printf -v "$4" %s "error(counter)" ;;
	0) printf -v "$4" %s drop ;;
	*) printf -v "$4" %s pass ;;
	esac
}

flows_endpoint() {
	echo "$(topo_name_of "$1") $1"
}

# flows_batch SPOOFED: the probes of flows_run's rows (arrays Z S D V E),
# spoofed ones or the others, FLOWS_JOBS at a time; row i from source port
# sport+i; exit status in $TOPO_DIR/flow.i.rc, stderr in flow.i.err.  In a
# subshell, so that "wait" waits for these probes only (not for the
# caller's servers).
flows_batch() (
	local want=$1 i kind running=0 ms
	for i in "${!Z[@]}"; do
		kind=
		case ${S[i]} in spoof:*) kind=spoofed ;; esac
		[ "$kind" = "$want" ] || continue
		ms=$FLOWS_DROP_TIMEOUT_MS
		[ "${E[i]}" != pass ] || [ -n "$kind" ] || ms=$FLOWS_PASS_TIMEOUT_MS
		( rc=0
		  flows_probe "${Z[i]}" "${S[i]#spoof:}" "${D[i]}" "${V[i]}" "$ms" \
			"$((sport + i))" >/dev/null 2>>"$TOPO_DIR/flow.$i.err" || rc=$?
		  echo "$rc" >"$TOPO_DIR/flow.$i.rc" ) &
		running=$((running + 1))
		if [ "$running" -ge "$FLOWS_JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
	done
	wait
)

# flows_probe_all: every row's probe.  Spoofed rows after the others, with
# their addresses on the links only meanwhile (an address of another zone
# would make that zone's probes local); they do not disturb each other.
flows_probe_all() {
	local i addr spoofs
	flows_batch ''
	spoofs=$(for i in "${!Z[@]}"; do
		case ${S[i]} in spoof:*) echo "${Z[i]} ${S[i]#spoof:}" ;; esac
	done | sort -u)
	[ -n "$spoofs" ] || return 0
	# shellcheck disable=SC2086 # ZONE ADDR pairs
	printf '%s %s\n' $spoofs | while read -r i addr; do topo_addr_add "$i" "$addr"; done
	flows_batch spoofed
	# shellcheck disable=SC2086
	printf '%s %s\n' $spoofs | while read -r i addr; do topo_addr_del "$i" "$addr"; done
}

# flows_row_print ROW: one row of the table (flows_run's arrays, rc and
# count); sets got and mark.
flows_row_print() {
	local i=$1 from spoofed='' n rc
	case ${S[i]} in
	spoof:*) spoofed=1 from="${S[i]#spoof:} (spoofed, ${Z[i]})" ;;
	*) from="${TOPO_NAME_OF[${S[i]}]:-?} ${S[i]}" ;;
	esac
	read -r rc <"$TOPO_DIR/flow.$i.rc" || rc=3
	n=${TOPO_COUNT[f$i]:-}
	flows_judge "$spoofed" "$rc" "$n" got
	mark=OK
	[ "$got" = "${E[i]}" ] || mark=FAIL
	printf '%-3s %-44s %-30s %-28s %-9s %-6s %-7s %s\n' "$((i + 1))" \
		"${P[i]}" "$from" "${TOPO_NAME_OF[${D[i]}]:-?} ${D[i]}" "${V[i]}" \
		"${E[i]}" "$got" "$mark"
	echo "$((i + 1)) ${Z[i]} ${S[i]} ${D[i]} ${V[i]} ${E[i]} $got $mark" \
		>>"$TOPO_DIR/flows.result"
	[ "$mark" = FAIL ] || return 0
	[ ! -s "$TOPO_DIR/flow.$i.err" ] || sed 's/^/      probe: /' "$TOPO_DIR/flow.$i.err"
	echo "      probe exit $rc (0 reply, 1 none, 2 refused, 3 error);" \
		"its packets counted at ${D[i]}: ${n:-none}"
}

flows_run() {
	local list=${1:-$FLOWS_LIST_DEFAULT} i=0 failed=0 sport today
	local zone src dst svc expect purpose got mark
	local -a Z S D V E P H
	[ -r "$list" ] || { echo "flows: cannot read $list" >&2; return 1; }
	today=$(date -u +%F)
	while read -r zone src dst svc expect purpose; do
		case "$zone $src" in
		'# --') H[i]=$(echo "$dst $svc $expect $purpose" | sed 's/ *-*$//') ;;
		' '|'#'*) ;;
		*) Z[i]=$zone S[i]=$src D[i]=$dst V[i]=$svc P[i]=$purpose E[i]=$expect
		   case $expect in pass-until:*)   # pass through that day (UTC)
			E[i]=pass
			[ "$today" \> "${expect#pass-until:}" ] && E[i]=drop ;;
		   esac
		   i=$((i + 1)) ;;
		esac
	done <"$list"

	rm -f "$TOPO_DIR"/flow.*
	sport=$(topo_sport_take "${#Z[@]}")
	for i in "${!Z[@]}"; do
		flows_count_add "$i" "${S[i]#spoof:}" "${D[i]}" "${V[i]}" "$((sport + i))" ||
			echo "no namespace of ours holds ${D[i]}" >"$TOPO_DIR/flow.$i.err"
	done
	topo_count_arm
	flows_probe_all
	topo_count_read

	: >"$TOPO_DIR/flows.result"
	printf '%-3s %-44s %-30s %-28s %-9s %-6s %-7s %s\n' \
		'#' 'flow / purpose' from to service expect got result
	for i in "${!Z[@]}"; do
		[ -z "${H[i]:-}" ] || printf '    -- %s\n' "${H[i]}"
		flows_row_print "$i"
		[ "$mark" = OK ] || failed=$((failed + 1))
	done
	echo
	echo "drop: no reply within ${FLOWS_DROP_TIMEOUT_MS} ms and none of the probe's packets" \
		"counted at the destination; leaked: counted there, no reply"
	echo "${#Z[@]} probes: $(( ${#Z[@]} - failed )) as expected, $failed FAIL"
	[ "$failed" -eq 0 ]
}
