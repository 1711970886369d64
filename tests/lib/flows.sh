# tests/lib/flows.sh - runs the probe matrix (tests/lib/flows.list) on the
# shellcheck shell=bash
# topology of tests/lib/topo.sh and prints it as a table.  Source topo.sh
# first.
#
#   flows_run [LIST]   probes every row, prints the table and a summary;
#                      returns 0 when every row got what it expected
#
# Ordinary rows run in parallel (FLOWS_JOBS at a time); spoofed rows run one
# after the other at the end, each judged by a packet counter in the
# destination's namespace.  Timeouts: FLOWS_PASS_TIMEOUT_MS for rows that
# must pass (they return as soon as the answer comes), FLOWS_DROP_TIMEOUT_MS
# for rows that must be dropped (this is how long "dropped" is waited for).

FLOWS_LIST_DEFAULT=$(dirname "${BASH_SOURCE[0]}")/flows.list
FLOWS_JOBS=${FLOWS_JOBS:-12}
FLOWS_PASS_TIMEOUT_MS=${FLOWS_PASS_TIMEOUT_MS:-2000}
FLOWS_DROP_TIMEOUT_MS=${FLOWS_DROP_TIMEOUT_MS:-500}

# flows_probe ZONE SRC DST SERVICE TIMEOUT_MS: probe's exit status.
flows_probe() {
	local zone=$1 src=$2 dst=$3 svc=$4 ms=$5
	case $svc in
	icmp) topo_exec "$zone" "$PROBE" icmp -t "$ms" -s "$src" "$dst" ;;
	tcp/*|udp/*) topo_exec "$zone" "$PROBE" "${svc%%/*}" -t "$ms" -s "$src" "$dst" "${svc#*/}" ;;
	*) echo "flows: unknown service '$svc'" >&2; return 3 ;;
	esac
}

flows_word() {
	case $1 in
	0) echo pass ;;
	1) echo drop ;;
	2) echo refused ;;
	*) echo "error($1)" ;;
	esac
}

# flows_expect EXPECT: "pass" or "drop" today (pass-until:DATE: pass through
# DATE, UTC, as segmentd's "expires").
flows_expect() {
	case $1 in
	pass-until:*)
		if [ "$(date -u +%F)" \> "${1#pass-until:}" ]; then echo drop; else echo pass; fi ;;
	*) echo "$1" ;;
	esac
}

flows_timeout() {
	[ "$1" = pass ] && echo "$FLOWS_PASS_TIMEOUT_MS" || echo "$FLOWS_DROP_TIMEOUT_MS"
}

# A spoofed row: the source address is added to the zone's link for the
# probe; what arrives in the destination's namespace decides.
flows_spoof() {
	local zone=$1 src=$2 dst=$3 svc=$4 dzone n proto port=''
	dzone=$(topo_zone_of "$dst") || { echo "error(no zone for $dst)"; return; }
	proto=${svc%%/*}
	[ "$svc" = icmp ] || port=${svc#*/}
	topo_addr_add "$zone" "$src"
	topo_arrivals_start "$dzone" "$src" "$dst" "$proto" "$port"
	flows_probe "$zone" "$src" "$dst" "$svc" "$FLOWS_DROP_TIMEOUT_MS" >/dev/null 2>&1 || true
	n=$(topo_arrivals_read "$dzone")
	topo_addr_del "$zone" "$src"
	case $n in
	0) echo drop ;;
	''|*[!0-9]*) echo "error(counter)" ;;
	*) echo pass ;;
	esac
}

flows_endpoint() {
	echo "$(topo_name_of "$1") $1"
}

flows_run() {
	local list=${1:-$FLOWS_LIST_DEFAULT} i=0 running=0 failed=0
	local zone src dst svc expect purpose got from mark
	local -a Z S D V E P H
	[ -r "$list" ] || { echo "flows: cannot read $list" >&2; return 1; }
	while read -r zone src dst svc expect purpose; do
		case "$zone $src" in
		'# --') H[i]=$(echo "$dst $svc $expect $purpose" | sed 's/ *-*$//') ;;
		' '|'#'*) ;;
		*) Z[i]=$zone S[i]=$src D[i]=$dst V[i]=$svc P[i]=$purpose
		   E[i]=$(flows_expect "$expect")
		   i=$((i + 1)) ;;
		esac
	done <"$list"

	# in a subshell, so that "wait" waits for these probes only (not for
	# the caller's servers)
	(
		for i in "${!Z[@]}"; do
			case ${S[i]} in spoof:*) continue ;; esac
			( rc=0
			  flows_probe "${Z[i]}" "${S[i]}" "${D[i]}" "${V[i]}" \
				"$(flows_timeout "${E[i]}")" >/dev/null 2>"$TOPO_DIR/flow.$i.err" || rc=$?
			  flows_word "$rc" >"$TOPO_DIR/flow.$i" ) &
			running=$((running + 1))
			if [ "$running" -ge "$FLOWS_JOBS" ]; then
				wait -n || true
				running=$((running - 1))
			fi
		done
		wait
	)
	for i in "${!Z[@]}"; do
		case ${S[i]} in spoof:*) ;; *) continue ;; esac
		flows_spoof "${Z[i]}" "${S[i]#spoof:}" "${D[i]}" "${V[i]}" >"$TOPO_DIR/flow.$i"
	done

	printf '%-3s %-44s %-30s %-28s %-9s %-6s %-7s %s\n' \
		'#' 'flow / purpose' from to service expect got result
	for i in "${!Z[@]}"; do
		[ -z "${H[i]:-}" ] || printf '    -- %s\n' "${H[i]}"
		got=$(cat "$TOPO_DIR/flow.$i")
		case ${S[i]} in
		spoof:*) from="${S[i]#spoof:} (spoofed, ${Z[i]})" ;;
		*) from=$(flows_endpoint "${S[i]}") ;;
		esac
		mark=OK
		[ "$got" = "${E[i]}" ] || { mark=FAIL; failed=$((failed + 1)); }
		printf '%-3s %-44s %-30s %-28s %-9s %-6s %-7s %s\n' "$((i + 1))" \
			"${P[i]}" "$from" "$(flows_endpoint "${D[i]}")" "${V[i]}" \
			"${E[i]}" "$got" "$mark"
		if [ "$mark" = FAIL ] && [ -s "$TOPO_DIR/flow.$i.err" ]; then
			sed 's/^/      probe: /' "$TOPO_DIR/flow.$i.err"
		fi
	done
	echo
	echo "${#Z[@]} probes: $(( ${#Z[@]} - failed )) as expected, $failed FAIL" \
		"(drop = no answer within ${FLOWS_DROP_TIMEOUT_MS} ms; spoofed rows judged by" \
		"what arrived at the destination)"
	[ "$failed" -eq 0 ]
}
