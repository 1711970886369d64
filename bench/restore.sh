#!/bin/bash
# bench/restore.sh [BUILD] - how fast the watchdog puts the table back after
# someone changes it, what it costs at rest and under a tamper storm, and a
# cron-style restorer side by side.
#
# Ownership OFF (a copy of the config with `ownership = false;`), so `nft`
# from another process can change the table.  For each N in $RESTORE_SIZES
# (default 1000 100000 networks per family in the lgwan zone,
# bench/gen-config.sh), in a fresh private network + mount namespace
# (tmpfs on /run), one daemon (a private copy of BUILD's binaries):
#
#   idle        VmRSS/VmHWM/RssAnon after start; utime+stime and context
#               switches over $RESTORE_IDLE_S s.  Meanwhile the cron
#               baseline's `nft -f` is timed in a nested network namespace.
#   rule/nft    `nft delete rule inet segmentd forward handle H` of the
#               vmap rule (small chain), one nft process per tamper, as an
#               admin would: $RESTORE_N_RULE times ($RESTORE_N_RULE_CLI_BIG
#               at N >= 10000: each costs a full dump there, see below)
#   rule/nft-i  the same command $RESTORE_N_RULE times from one `nft -i`
#               fed through a pipe: no nft start-up and no process exit
#               right after the commit (an exiting nft holds the kernel's
#               commit mutex over an RCU grace period while it releases its
#               socket; a restore that comes then waits for it)
#   storm       $RESTORE_STORM_LOOPS parallel loops of `nft -f FILE` for
#               $RESTORE_STORM_S s, each FILE one transaction of 100 rule
#               commands (adds and a flush) on one of our chains: daemon CPU
#               % of one core, drift events, restores, `segmentctl verify`
#   element     `nft delete element inet segmentd zone_lgwan_v4 { E }` (the
#               big interval set), $RESTORE_N_ELEM times ($RESTORE_N_ELEM_BIG
#               at N >= 10000)
#   table       `nft delete table inet segmentd`, $RESTORE_N_TABLE times
#               ($RESTORE_N_TABLE_BIG at N >= 10000)
#   window      then, outside that namespace, tests/kernel/window.sh on the
#               same config (ownership off): the table deleted
#               $RESTORE_WIN_DELETES times (_BIG: 10 at N >= 10000) and
#               `nft flush ruleset` $RESTORE_WIN_FLUSHES times (_BIG: 5)
#               under a flood of forbidden new connections counted at the
#               receiver: the open window (forbidden packets / flood rate)
#               next to the restore times
#
# Latency, up to three views per tamper:
#   daemon    restore_ms of the daemon's restore event (`segmentctl --json
#             events`, checked against its log line): change detected ->
#             restore committed.
#   monitor   (rule tampers) an independent netlink listener (a few lines of
#             python3 in this script; `nft monitor` needs minutes to load
#             its cache at N=100000), every event time-stamped on arrival:
#             it sees the tampering DELRULE -> it sees the restored rule.
#   nft poll  (rule/nft, element, table) the tampering nft exits -> a tight
#             loop of `nft list chain` / `nft get element` first sees it
#             back.  Upper bound: each poll includes nft's start-up and cache
#             load (~2-5 s per call at N=100000; there only for the table,
#             whose polls are cheap while it is missing).
# Every tamper but the nft -i stream waits until the confirming verification
# the daemon runs 100 ms after a restore is over and the daemon is asleep
# (a single tamper on an idle daemon); a tamper counts only if, in the log,
# its drift line (that nft's pid) is followed directly by its restore.
#
# Cron baseline: `while :; do nft -f ruleset.nft; sleep 1; done` with
# ruleset.nft = "table inet segmentd; delete table inet segmentd;" +
# `segmentd --print`.  Its latency is computed: a tamper lands uniformly in
# a period of P = 1 s + T (T = the measured nft -f time) and is repaired
# by the end of the next run: mean P/2 + T, p99 0.99 P + T; it spends T's
# CPU every period whether anything changed or not.
#
# Budget ~5 minutes on a 2-vCPU VM.  At N=100000 an element or table tamper
# costs the daemon a full re-apply of 400 k elements (seconds) and full
# dumps afterwards, so the default sample counts there are small
# (RESTORE_N_ELEM_BIG=3, RESTORE_N_TABLE_BIG=3); raise them for a longer
# run.  Report to stdout and to $RESTORE_RESULTS (default
# bench/results-restore.txt), progress to stderr; RESTORE_KEEP=1 keeps the
# raw figures, RESTORE_NOTE adds a line to the header.  Needs root, nft,
# python3.  Nothing asserts.  Never touches the caller's network namespace.

set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${RESTORE_INNER:-}" ]; then
	build=${1:-build}
	case $build in /*) ;; *) build=$top/$build ;; esac
	SEGMENTD=$build/segmentd
	SEGMENTCTL=$build/segmentctl
fi
SIZES=${RESTORE_SIZES:-1000 100000}
N_RULE=${RESTORE_N_RULE:-200}
N_RULE_CLI_BIG=${RESTORE_N_RULE_CLI_BIG:-0}
N_ELEM=${RESTORE_N_ELEM:-200}
N_ELEM_BIG=${RESTORE_N_ELEM_BIG:-3}
N_TABLE=${RESTORE_N_TABLE:-50}
N_TABLE_BIG=${RESTORE_N_TABLE_BIG:-3}
WIN_DELETES=${RESTORE_WIN_DELETES:-20}
WIN_DELETES_BIG=${RESTORE_WIN_DELETES_BIG:-10}
WIN_FLUSHES=${RESTORE_WIN_FLUSHES:-10}
WIN_FLUSHES_BIG=${RESTORE_WIN_FLUSHES_BIG:-5}
IDLE_S=${RESTORE_IDLE_S:-30}
STORM_S=${RESTORE_STORM_S:-5}
STORM_LOOPS=${RESTORE_STORM_LOOPS:-3}
RESULTS=${RESTORE_RESULTS:-$top/bench/results-restore.txt}
BIG=10000          # from this N on: big-N sample counts, no rule nft poll
CONFIRM_MS=100     # CONFIRM_AFTER_RESTORE_MS in src/daemon/daemon_internal.h

die() {
	echo "restore.sh: $*" >&2
	exit 1
}
T_START=${T_START:-$(date +%s%N)}
export T_START
note() {
	local t=$(($(date +%s%N) - T_START))
	printf 'restore.sh: [%4d.%d s] %s\n' $((t / 1000000000)) $((t / 100000000 % 10)) "$*" >&2
}

# ---------------------------------------------------------------------------
# Inside the private namespaces: one size, raw figures into $OUT.
# ---------------------------------------------------------------------------
inner() {
	local n=$1 conf=$2 OUT=$3
	local log=$OUT/log mon=$OUT/monitor tick
	pid='' mon_pid='' bg=()     # global: the EXIT trap needs them

	[ "$(stat -L -c %i /proc/self/ns/net)" != "$RESTORE_HOST_NETNS" ] ||
		die "inner part runs in the caller's network namespace"
	mount -t tmpfs -o mode=0755 tmpfs /run || die "tmpfs on /run"
	ip link set lo up
	tick=$(getconf CLK_TCK)

	cleanup_inner() {
		local p
		for p in "${bg[@]}" $mon_pid; do
			kill "$p" 2>/dev/null
		done
		if [ -n "$pid" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
		wait 2>/dev/null
	}
	trap cleanup_inner EXIT

	put() { echo "$1=$2" >>"$OUT/res"; }
	now() { REPLY=${EPOCHREALTIME/./}; }          # microseconds
	cpu_ticks() {
		local -a f
		read -r -a f <"/proc/$pid/stat"
		REPLY=$((f[13] + f[14]))
	}
	ctxsw() {
		REPLY=$(awk '/ctxt_switches/ { s += $2 } END { print s }' \
			"/proc/$pid/status")
	}
	status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
	restored() { REPLY=$(grep -c 'restored in' "$log"); REPLY=${REPLY:-0}; return 0; }
	alive() {
		kill -0 "$pid" 2>/dev/null && return 0
		tail -n 5 "$log" >&2
		die "N=$n: segmentd died"
	}

	# until the daemon has been asleep for $1 checks 2 ms apart
	asleep() {
		local want=${1:-3} ok=0 st i
		for ((i = 0; i < 100000; i++)); do
			alive
			read -r _ _ st _ <"/proc/$pid/stat"
			if [ "$st" = S ]; then
				ok=$((ok + 1))
				[ $ok -ge "$want" ] && return 0
			else
				ok=0
			fi
			sleep 0.002
		done
		die "N=$n: daemon never went idle"
	}
	# ready for the next tamper: past the confirming verification the
	# daemon runs CONFIRM_MS after a restore (so also well past the
	# 10 ms minimum gap between restores), and the daemon asleep
	last_seen=0
	settle() {
		while now && [ $REPLY -lt $((last_seen + (CONFIRM_MS + 30) * 1000)) ]; do
			sleep 0.005
		done
		asleep 3
	}
	# waits until the log counts more than $1 restores; sets last_seen
	wait_restored() {
		local before=$1 limit=$2 t0
		now; t0=$REPLY
		while restored && [ "$REPLY" -le "$before" ]; do
			alive
			now
			[ $((REPLY - t0)) -lt $((limit * 1000000)) ] ||
				die "N=$n: no restore within $limit s (log: $log)"
			sleep 0.002
		done
		now; last_seen=$REPLY
	}
	# the daemon's restore_ms of its newest restore event, checked
	# against the log line of the same restore
	daemon_ms() {
		local ev lg
		ev=$("$SEGMENTCTL" --json events |
		     grep -o '"kind":"restore",[^}]*' | tail -n 1 |
		     sed -n 's/.*"restore_ms":\([0-9.]*\).*/\1/p')
		lg=$(grep -o 'restored in [0-9.]* ms' "$log" | tail -n 1 |
		     awk '{ print $3 }')
		[ "$ev" = "$lg" ] || echo "$lg" >>"$OUT/event_mismatch"
		REPLY=${ev:-$lg}
	}
	poll_rule() {   # until `nft list chain` shows the vmap rule
		local out
		while :; do
			out=$(nft list chain inet segmentd forward 2>/dev/null) &&
				[[ $out == *"vmap @zone_in"* ]] && return 0
		done
	}
	poll_elem() {   # until `nft get element` finds $1
		until nft get element inet segmentd zone_lgwan_v4 "{ $1 }" \
			>/dev/null 2>&1; do :; done
	}
	vmap_handle() {
		nft -a list chain inet segmentd forward |
			awk '/vmap @zone_in/ { print $NF }'
	}

	# tamper KIND POLL ARG LIMIT NFT-ARGS...: one measured tamper.
	# POLL: rule, elem (ARG: the element) or none; with the monitor
	# running (rule), ARG is the vmap rule's handle and comes back in
	# h.  A sample counts only if, in the log, the tamper's drift line
	# (this nft's pid) is followed directly by its restore: nothing
	# else (a verification, the periodic check) interleaved.
	tamper() {
		local kind=$1 poll=$2 arg=$3 limit=$4 l0 before mlines
		local npid t1 tp='' line seg tm t2
		shift 4
		settle
		l0=$(wc -l <"$log")
		restored; before=$REPLY
		[ -n "$mon_pid" ] && mlines=$(wc -l <"$mon")
		nft "$@" &
		npid=$!
		wait "$npid" || die "N=$n: nft $* failed"
		now; t1=$REPLY
		case $poll in
		rule) poll_rule; now; tp=$((REPLY - t1)) ;;
		elem) poll_elem "$arg"; now; tp=$((REPLY - t1)) ;;
		esac
		wait_restored "$before" "$limit"
		if [ -n "$mon_pid" ]; then
			# the monitor's own clock: it sees our delete, then
			# the restore re-adding the chain's rules in order, the
			# vmap rule first (its handle is checked after the series)
			line=
			for ((j = 0; j < 1000; j++)); do
				line=$(tail -n +$((mlines + 1)) "$mon" | awk -v h="$arg" '
					!del && $2 == "DELRULE" && $3 == "segmentd" &&
					    $4 == "forward" && $5 == h { del = $1; next }
					del && $2 == "NEWRULE" && $3 == "segmentd" && $4 == "forward" {
						print del, $1, $5; exit
					}') && [ -n "$line" ] && break
				sleep 0.005
			done
			[ -n "$line" ] || die "N=$n: the monitor did not see the rule go and come back"
			read -r tm t2 h <<<"$line"
		fi
		seg=$(tail -n +$((l0 + 1)) "$log" | awk '{ print } /restored in/ { exit }')
		if [ "$(wc -l <<<"$seg")" = 2 ] &&
		   [[ $seg == *"changed by nft (pid $npid)"*"restored in"* ]]; then
			daemon_ms; echo "$REPLY" >>"$OUT/$kind.daemon"
			[ -n "$tp" ] && echo "$tp" >>"$OUT/$kind.poll"
			[ -n "$mon_pid" ] && echo $((t2 - tm)) >>"$OUT/$kind.mon"
			return 0
		fi
		echo "$seg" | sed 's/^/  /' >>"$OUT/$kind.discarded"
		[ -n "$mon_pid" ] && h=$(vmap_handle)   # two restores: re-read
		return 1
	}
	# series KIND COUNT POLL LIMIT NFT-ARGS... (@E in NFT-ARGS: the
	# element of this round, @H: the vmap rule's handle)
	series() {
		local kind=$1 count=$2 poll=$3 limit=$4 got=0 tries=0 k e
		local -a args
		shift 4
		note "N=$n: $count $kind tampers"
		: >"$OUT/$kind.daemon"
		while [ $got -lt "$count" ] && [ $tries -lt $((2 * count + 10)) ]; do
			# the k-th /28 of gen-config.sh: 10.64.0.0 + 32 k, k = 1..10
			k=$((32 * (tries % 10 + 1)))
			e="10.64.$((k / 256)).$((k % 256))/28"
			args=("${@//@E/$e}")
			args=("${args[@]//@H/$h}")
			tries=$((tries + 1))
			if tamper "$kind" "$poll" \
				"$([ "$poll" = elem ] && echo "$e" || echo "$h")" \
				"$limit" "${args[@]}"; then
				got=$((got + 1))
			fi
		done
		put "${kind}_discarded" $((tries - got))
	}
	# stream_rules KIND COUNT: the rule tamper again, from one `nft -i`
	# fed through a pipe (no nft start-up, and no exit right after each
	# commit), the outside view from a netlink listener read as it
	# goes, the daemon's log read as it goes; 15 ms after each restore
	# the next tamper.  Builtins only in the loop (no fork): a round
	# takes a few ms, so the confirming verification 100 ms after a
	# restore does not come between two.  A round where something else
	# came between tamper and restore (a verification, lost events, a
	# stalled machine) is not counted.
	stream_rules() {
		local kind=$1 count=$2 fin=$OUT/nft.in fmon=$OUT/mon.fifo fw=$OUT/wait.fifo
		local ipid mpid k got=0 ts typ tbl ch hd del t2 lost l0 m line seg
		note "N=$n: $count rule tampers from one nft -i"
		settle
		rm -f "$fin" "$fmon" "$fw"
		mkfifo "$fin" "$fmon" "$fw" || die "mkfifo"
		exec 9<>"$fw"                    # never written: read -t 9 = sleep
		python3 -u "$NLMON" >"$fmon" 2>&1 &
		mpid=$!
		bg+=("$mpid")
		exec 8<"$fmon"
		read -t 30 -u 8 -r ts && [ "$ts" = READY ] || die "N=$n: the netlink monitor did not start"
		nft -i <"$fin" >"$OUT/nft-i.out" 2>&1 &
		ipid=$!
		bg+=("$ipid")
		exec 7>"$fin"
		l0=$(wc -l <"$log")
		exec 6<"$log"
		for ((m = 0; m < l0; m++)); do read -r -u 6 line; done
		: >"$OUT/$kind.daemon"
		for ((k = 0; got < count && k < 2 * count + 10; k++)); do
			echo "delete rule inet segmentd forward handle $h" >&7
			del='' t2='' lost=''
			while read -t 5 -u 8 -r ts typ tbl ch hd; do
				[ "$typ" = LOST ] && lost=1
				if [ -z "$del" ]; then
					[ "$typ $tbl $ch $hd" = "DELRULE segmentd forward $h" ] && del=$ts
				elif [ "$typ $tbl $ch" = "NEWRULE segmentd forward" ]; then
					t2=$ts h=$hd
					break
				fi
			done
			# the daemon's two log lines for this round
			seg=
			for ((m = 0; m < 500; m++)); do
				if read -r -u 6 line; then
					seg+="$line"$'\n'
					[[ $line == *"restored in"* ]] && break
				else
					read -t 0.01 -u 9
				fi
			done
			if [ -n "$t2" ] && [ -z "$lost" ] &&
			   [[ $seg =~ ^[^$'\n']*"changed by nft (pid $ipid)"[^$'\n']*$'\n'[^$'\n']*"restored in "([0-9.]+)" ms"[^$'\n']*$'\n'$ ]]; then
				echo "${BASH_REMATCH[1]}" >>"$OUT/$kind.daemon"
				echo $((t2 - del)) >>"$OUT/$kind.mon"
				got=$((got + 1))
				read -t 0.015 -u 9
				continue
			fi
			# not counted: let the daemon finish, find the rule again
			printf '%s' "$seg" | sed 's/^/  /' >>"$OUT/$kind.discarded"
			[ -n "$t2" ] || echo "  (no restore seen by the monitor)" >>"$OUT/$kind.discarded"
			now; last_seen=$REPLY
			settle
			asleep 50
			while read -t 0.2 -u 8 -r line; do :; done
			while read -r -u 6 line; do :; done
			h=$(vmap_handle)
		done
		put "${kind}_discarded" $((k - got))
		exec 7>&- 6<&-
		wait "$ipid" || note "N=$n: nft -i: $(head -n 3 "$OUT/nft-i.out")"
		kill "$mpid" 2>/dev/null
		exec 8<&- 9<&-
		wait "$mpid" 2>/dev/null
		bg=()
		rm -f "$fin" "$fmon" "$fw"
		sleep 0.05
		now; last_seen=$REPLY
		# the log and the newest restore events must agree
		seg=$(tail -n +$((l0 + 1)) "$log" | grep -o 'restored in [0-9.]* ms' | awk '{ print $3 }')
		"$SEGMENTCTL" --json events | grep -o '"kind":"restore",[^}]*' |
			sed -n 's/.*"restore_ms":\([0-9.]*\).*/\1/p' >"$OUT/$kind.events"
		m=$(wc -l <"$OUT/$kind.events")
		[ "$m" -le "$(grep -c . <<<"$seg")" ] || m=$(grep -c . <<<"$seg")
		cmp -s <(tail -n "$m" <<<"$seg") <(tail -n "$m" "$OUT/$kind.events") ||
			echo "$kind: the log and the events differ" >>"$OUT/event_mismatch"
	}

	# --- start -----------------------------------------------------------
	local t0 t1 t2 i
	now; t0=$REPLY
	"$SEGMENTD" -c "$conf" 2>"$log" &
	pid=$!
	for ((i = 0; i < 3000; i++)); do
		"$SEGMENTCTL" version >/dev/null 2>&1 && break
		alive
		sleep 0.02
	done
	"$SEGMENTCTL" version >/dev/null 2>&1 || die "N=$n: daemon did not answer"
	now; put start_ms $(((REPLY - t0) / 1000))
	asleep 25

	# --- idle, with the cron baseline timed next door -------------------
	note "N=$n: idle ${IDLE_S} s (cron baseline nft -f timed meanwhile)"
	put rss_kib "$(status_kib VmRSS)"
	put hwm_kib "$(status_kib VmHWM)"
	put anon_kib "$(status_kib RssAnon)"
	local runs=10 c0 c1 s0 s1
	[ "$n" -ge $BIG ] && runs=3
	{
		echo "table inet segmentd"
		echo "delete table inet segmentd"
		"$SEGMENTD" --print -c "$conf"
	} >"$OUT/cron.nft"
	unshare -n bash -c '
		f=$1 runs=$2 out=$3
		nft -f "$f" || exit 1                 # create; then replace
		TIMEFORMAT="%3R %3U %3S"
		for ((i = 0; i < runs; i++)); do
			{ time nft -f "$f" ; } 2>>"$out" || exit 1
		done' _ "$OUT/cron.nft" "$runs" "$OUT/cron.times" &
	local base_pid=$!
	bg+=("$base_pid")
	cpu_ticks; c0=$REPLY; ctxsw; s0=$REPLY; now; t0=$REPLY
	sleep "$IDLE_S"
	cpu_ticks; c1=$REPLY; ctxsw; s1=$REPLY; now; t1=$REPLY
	put idle_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')"
	put idle_ticks $((c1 - c0))
	put idle_csw $((s1 - s0))
	put tick "$tick"
	wait "$base_pid" || note "N=$n: cron baseline nft -f failed"
	note "N=$n: starting the netlink monitor"

	# --- rule tampers, with an outside monitor ---------------------------
	# (nft monitor needs minutes to load its cache at N=100000: a few
	# lines of Python on a raw netlink socket instead)
	python3 -u "$NLMON" >"$mon" 2>&1 &
	mon_pid=$!
	for ((i = 0; i < 500; i++)); do
		grep -q READY "$mon" 2>/dev/null && break
		sleep 0.01
	done
	grep -q READY "$mon" || die "N=$n: the netlink monitor did not start"
	asleep 10

	h=$(vmap_handle)
	[ -n "$h" ] || die "N=$n: no vmap rule in chain forward"
	local cli=$N_RULE
	[ "$n" -ge $BIG ] && cli=$N_RULE_CLI_BIG
	if [ "$cli" -gt 0 ]; then
		series rule "$cli" "$([ "$n" -lt $BIG ] && echo rule || echo none)" 30 \
			delete rule inet segmentd forward handle @H
	fi
	kill "$mon_pid" 2>/dev/null
	wait "$mon_pid" 2>/dev/null
	mon_pid=
	stream_rules rulei "$N_RULE"
	[ "$h" = "$(vmap_handle)" ] || die "N=$n: lost track of the vmap rule's handle"

	# --- storm -----------------------------------------------------------
	local chains=(forward in_lgwan fwd_lgwan_internet mgmt_lgwan in_internet)
	local ch f end d0 d1 n0 r0 r1 p l0
	for ((k = 0; k < STORM_LOOPS; k++)); do
		ch=${chains[k % ${#chains[@]}]}
		f=$OUT/storm$k.nft
		{
			for ((j = 0; j < 50; j++)); do
				echo "add rule inet segmentd $ch meta mark 0x5707 counter accept"
			done
			echo "flush chain inet segmentd $ch"
			for ((j = 0; j < 49; j++)); do
				echo "add rule inet segmentd $ch meta mark 0x5707 counter accept"
			done
		} >"$f"
	done
	settle
	asleep 50
	note "N=$n: storm ${STORM_S} s, $STORM_LOOPS parallel nft -f loops"
	restored; r0=$REPLY
	l0=$(grep -c 'events were lost' "$log")
	d0=$(grep -c 'changed by' "$log")
	n0=$(grep -c 'changed by nft' "$log")
	now; end=$((REPLY + STORM_S * 1000000))
	cpu_ticks; c0=$REPLY; now; t0=$REPLY
	bg=()
	for ((k = 0; k < STORM_LOOPS; k++)); do
		(
			ok=0 bad=0
			while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
				if nft -f "$OUT/storm$k.nft" 2>/dev/null; then
					ok=$((ok + 1))
				else
					bad=$((bad + 1))
				fi
			done
			echo "$ok $bad" >"$OUT/storm$k.count"
		) &
		bg+=($!)
	done
	for p in "${bg[@]}"; do wait "$p"; done
	bg=()
	cpu_ticks; c1=$REPLY; now; t1=$REPLY
	alive
	put storm_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')"
	put storm_ticks $((c1 - c0))
	put storm_txn "$(cat "$OUT"/storm*.count | awk '{ s += $1 } END { print s }')"
	put storm_txn_failed "$(cat "$OUT"/storm*.count | awk '{ s += $2 } END { print s }')"
	# settle: the last restore, then its confirming verification
	sleep 0.2
	asleep 100
	now; t2=$REPLY
	restored; r1=$REPLY
	d1=$(grep -c 'changed by' "$log")
	put storm_restores $((r1 - r0))
	put storm_drifts $((d1 - d0))
	put storm_drifts_nft $(($(grep -c 'changed by nft' "$log") - n0))
	put storm_settle_ms $(((t2 - t1) / 1000))
	"$SEGMENTCTL" verify >"$OUT/storm.verify" 2>&1
	put storm_verify $?
	put storm_lost "$(($(grep -c 'events were lost' "$log") - l0))"
	now; last_seen=$REPLY

	# --- element and table tampers ----------------------------------------
	local big=0
	[ "$n" -ge $BIG ] && big=1
	# (no nft poll for the element at big N: every poll dumps the whole
	# set for seconds, on the CPU the daemon's re-apply needs; polling
	# for the table is cheap while it is missing)
	series elem "$([ $big = 1 ] && echo "$N_ELEM_BIG" || echo "$N_ELEM")" \
		"$([ $big = 1 ] && echo none || echo elem)" 180 \
		delete element inet segmentd zone_lgwan_v4 "{ @E }"
	series table "$([ $big = 1 ] && echo "$N_TABLE_BIG" || echo "$N_TABLE")" rule 120 \
		delete table inet segmentd

	put failed_restores "$(grep -c 'restoring table .* failed' "$log")"
	put end_rss_kib "$(status_kib VmRSS)"
	put end_hwm_kib "$(status_kib VmHWM)"
	alive
	kill "$pid"
	wait "$pid" 2>/dev/null
	pid=
	put lost_events "$(grep -c 'events were lost' "$log")"
	return 0
}

if [ -n "${RESTORE_INNER:-}" ]; then
	inner "$@"
	exit $?
fi

# ---------------------------------------------------------------------------
# Outside: configs, one namespace per size, the report.
# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in unshare nft ip awk getconf python3; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed"
done
[ -x "$SEGMENTD" ] && [ -x "$SEGMENTCTL" ] || die "$build: segmentd/segmentctl not built (make)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-restore.XXXXXX")
if [ -n "${RESTORE_KEEP:-}" ]; then
	note "keeping $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi
trap 'exit 130' INT TERM
# the outside observer: nftables events, one line each, time-stamped on
# arrival ("<us> DELRULE table chain handle", "<us> NEWGEN - comm pid", ...)
NLMON=$WORK/nlmon.py
cat >"$NLMON" <<'PY'
import socket, struct, sys, time
NETLINK_NETFILTER, SOL_NETLINK, ADD_MEMBERSHIP, NFNLGRP_NFTABLES = 12, 270, 1, 7
NAMES = {0: "NEWTABLE", 2: "DELTABLE", 3: "NEWCHAIN", 5: "DELCHAIN",
         6: "NEWRULE", 8: "DELRULE", 9: "NEWSET", 11: "DELSET", 15: "NEWGEN"}
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((0, 0))
s.setsockopt(SOL_NETLINK, ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
print("READY", flush=True)
while True:
    try:
        buf = s.recv(1 << 20)
    except OSError as e:                  # ENOBUFS: events lost, go on
        print("%d LOST %d" % (time.time_ns() // 1000, e.errno), flush=True)
        continue
    t, off, out = time.time_ns() // 1000, 0, []
    while off + 20 <= len(buf):
        ln, typ = struct.unpack_from("=IH", buf, off)
        if ln < 16:
            break
        if typ >> 8 == 10 and typ & 0xff in NAMES:     # NFNL_SUBSYS_NFTABLES
            a, at = off + 20, {}
            while a + 4 <= off + ln:
                alen, atype = struct.unpack_from("=HH", buf, a)
                if alen < 4:
                    break
                at[atype & 0x7fff] = buf[a + 4:a + alen]
                a += (alen + 3) & ~3
            st = lambda k: at.get(k, b"").split(b"\0")[0].decode(errors="replace") or "-"
            u = lambda k, f, w: struct.unpack(f, at[k])[0] if len(at.get(k, b"")) == w else 0
            name = NAMES[typ & 0xff]
            if name in ("NEWRULE", "DELRULE"):   # table chain handle
                out.append("%d %s %s %s %d" % (t, name, st(1), st(2), u(3, ">Q", 8)))
            elif name == "NEWGEN":               # - comm pid
                out.append("%d NEWGEN - %s %d" % (t, st(3), u(2, ">I", 4)))
            else:                                # table [chain/set]
                out.append("%d %s %s %s" % (t, name, st(1), st(3)))
        off += (ln + 3) & ~3
    if out:
        print("\n".join(out), flush=True)
PY

# private copies: BUILD may be rebuilt while this runs
cp "$SEGMENTD" "$WORK/segmentd" && cp "$SEGMENTCTL" "$WORK/segmentctl" ||
	die "cannot copy the binaries"
BIN_INFO="$SEGMENTD, built $(date -u -r "$SEGMENTD" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$SEGMENTD" | cut -c1-12)"
SEGMENTD=$WORK/segmentd SEGMENTCTL=$WORK/segmentctl
export RESTORE_HOST_NETNS
RESTORE_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
export SEGMENTD SEGMENTCTL N_RULE N_RULE_CLI_BIG N_ELEM N_ELEM_BIG N_TABLE N_TABLE_BIG \
	IDLE_S STORM_S STORM_LOOPS BIG CONFIRM_MS NLMON
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
commit0="$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/ include/)')"

for n in $SIZES; do
	mkdir -p "$WORK/$n"
	"$top/bench/gen-config.sh" "$n" "$WORK/$n/full.conf" || die "gen-config.sh $n"
	sed 's/^\([ \t]*ownership[ \t]*=[ \t]*\)true;/\1false;/' \
		"$WORK/$n/full.conf" >"$WORK/$n/unowned.conf"
	grep -q 'ownership = false;' "$WORK/$n/unowned.conf" ||
		die "could not turn ownership off in the config"
	rm -f "$WORK/$n/full.conf"
	note "N=$n: namespace run"
	unshare -n -m --propagation private env RESTORE_INNER=1 "$0" \
		"$n" "$WORK/$n/unowned.conf" "$WORK/$n" ||
		die "N=$n: the run failed (see above)"
	# the open window beside those restore times: the same config
	# (ownership off), the table deleted and the ruleset flushed under a
	# flood of forbidden new connections counted at the receiver
	if [ "$n" -ge "$BIG" ]; then wd=$WIN_DELETES_BIG wf=$WIN_FLUSHES_BIG
	else wd=$WIN_DELETES wf=$WIN_FLUSHES; fi
	note "N=$n: open window under a flood (tests/kernel/window.sh, ownership off, $wd deletions, $wf flushes)"
	(cd "$top" && WINDOW_UNOWNED=1 WINDOW_NETWORKS=$n BUILD=$build \
		DELETES=$wd FLUSHES=$wf bash tests/kernel/window.sh) \
		>"$WORK/$n/window.out" 2>&1 ||
		{ note "N=$n: tests/kernel/window.sh FAILED:"; tail -n 15 "$WORK/$n/window.out" >&2; }
done

# stats FILE DIV: "count median p99 min max" of the values / DIV
stats() {
	[ -s "$1" ] || { echo "0 - - - -"; return; }
	sort -g "$1" | awk -v d="$2" '
		{ v[NR] = $1 / d }
		END {
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			r = int(0.99 * NR); if (r < 0.99 * NR) r++
			printf "%d %.3f %.3f %.3f %.3f\n", NR, med, v[r], v[1], v[NR]
		}'
}
res() { sed -n "s/^$2=//p" "$WORK/$1/res" | tail -n 1; }
label() {
	case $1 in
	rule) echo "rule/nft" ;; rulei) echo "rule/nft-i" ;; elem) echo element ;; *) echo "$1" ;;
	esac
}
target() {   # target p99 in ms for N KIND
	if [ "$1" -lt 10000 ]; then echo 10
	elif [ "$2" = table ]; then echo 1000
	else echo 50; fi
}
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v + 0 < t + 0) ? "met" : "MISSED" }'; }
fmt() {   # value with sensible precision
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else if (v + 0 >= 100) printf "%.0f", v; else if (v + 0 >= 10) printf "%.1f", v; else printf "%.2f", v }'
}

# the "window: result" lines of tests/kernel/window.sh for N, as rows
window_rows() {
	local out=$WORK/$1/window.out
	if ! grep -q '^window: result .*phase=c' "$out" 2>/dev/null; then
		printf '%-7s %s\n' "$1" "(window.sh failed or did not finish: no figures)"
		return
	fi
	grep '^window: result ' "$out" | awk -v n="$1" '
		function f(k,   i) { for (i = 1; i <= NF; i++) if ($i == k || $i ~ "^" k "=") return $i ~ "=" ? substr($i, length(k) + 2) : $(i + 2); return "-" }
		function g(k, w,   i) { for (i = 1; i < NF; i++) if ($i == k) return w == "median" ? $(i + 2) : $(i + 4); return "-" }
		$0 ~ /phase=c/ { rate = f("rate_pps") }
		{ line[NR] = $0 }
		END {
			for (r = 1; r <= NR; r++) {
				$0 = line[r]
				t = f("tamper"); if (t == "delete-segmentd-guard") continue
				ev = f("events"); fb = f("forbidden")
				if (t == "flush-ruleset")
					win = g("window_ms", "median") " / " g("window_ms", "max")
				else
					win = (rate > 0 && ev > 0) ? sprintf("%.2f (mean)", 1000 * fb / ev / rate) : "-"
				printf "%-7s %-14s %6s %9s %9s  %15s  %17s  %15s\n", n,
				       t == "flush-ruleset" ? "flush ruleset" : "table", ev, rate, fb, win,
				       g("restore_ms", "median") " / " g("restore_ms", "max"),
				       t == "flush-ruleset" ? g("allowed_back_ms", "median") " / " g("allowed_back_ms", "max") : "-"
			}
		}'
}

report() {
	echo "segmentd benchmarks - bench/restore.sh (watchdog: tamper -> restore)"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel:   $(uname -r) ($(uname -m)), $(nproc) CPUs"
	echo "commit:   $commit0 (this tree at the start)"
	echo "binary:   $BIN_INFO"
	[ -z "${RESTORE_NOTE:-}" ] || echo "note:     $RESTORE_NOTE"
	echo "tools:    $(nft --version 2>/dev/null | head -n 1); $(python3 --version 2>&1) (outside monitor)"
	echo "load:     $load0 (1/5/15 min) at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (others' jobs share the CPUs)"
	echo "config:   bench/gen-config.sh N, settings.ownership = false (watchdog only)"
	echo "Shared, noisy 2-vCPU machine: medians and p99 of this run; compare with the baseline."
	echo
	echo "== tamper -> restore latency (ms) =="
	echo "daemon = restore_ms of its restore event (change detected -> restore committed)"
	echo "monitor = a netlink listener (python3) sees the tamper -> sees the restored rule (outside view, one clock)"
	echo "nft poll = tampering nft exits -> a loop of nft list chain / nft get element sees it back"
	echo "           (upper bound: each poll includes nft's start-up and cache load, 2-5 s at N=100000)"
	echo
	printf '%-7s %-10s %5s  %9s %9s  %9s %9s  %9s %9s  %-12s %s\n' \
		N tamper count daemon: p99 monitor: p99 "nft poll:" p99 "target p99" ""
	printf '%-7s %-10s %5s  %9s %9s  %9s %9s  %9s %9s\n' \
		"" "" "" median "" median "" median ""
	local n kind tgt v
	for n in $SIZES; do
		for kind in rule rulei elem table; do
			[ -s "$WORK/$n/$kind.daemon" ] || continue
			read -r cnt dmed dp99 dmin dmax <<<"$(stats "$WORK/$n/$kind.daemon" 1)"
			read -r _ mmed mp99 _ _ <<<"$(stats "$WORK/$n/$kind.mon" 1000)"
			read -r _ pmed pp99 _ _ <<<"$(stats "$WORK/$n/$kind.poll" 1000)"
			tgt=$(target "$n" $kind)
			v=$(verdict "$dp99" "$tgt")
			printf '%-7s %-10s %5s  %9s %9s  %9s %9s  %9s %9s  %-12s %s\n' \
				"$n" "$(label $kind)" "$cnt" "$(fmt "$dmed")" "$(fmt "$dp99")" \
				"$(fmt "$mmed")" "$(fmt "$mp99")" "$(fmt "$pmed")" "$(fmt "$pp99")" \
				"< $tgt ms" "$v"
		done
	done
	echo
	echo "== open window: the same config under a flood of forbidden new connections =="
	echo "tests/kernel/window.sh, ownership off (the guard owned while the daemon runs): UDP datagrams"
	echo "and TCP SYNs internet -> mynumber, counted at the receiver; window = forbidden packets / flood"
	echo "rate per event; restore = the daemon's log (change -> restoring commit); allowed back = end of"
	echo "the nft command -> the first new allowed connection that passes (probes ~50 ms apart)"
	printf '%-7s %-14s %6s %9s %9s  %15s  %17s  %15s\n' N tamper events "pps" forbidden \
		"window ms" "restore ms" "allowed back ms"
	printf '%-7s %-14s %6s %9s %9s  %15s  %17s  %15s\n' "" "" "" "" "" \
		"median / max" "median / max" "median / max"
	for n in $SIZES; do
		window_rows "$n"
	done
	echo
	echo "spread of the daemon's restore_ms (min-max):"
	for n in $SIZES; do
		for kind in rule rulei elem table; do
			[ -s "$WORK/$n/$kind.daemon" ] || continue
			read -r cnt _ _ dmin dmax <<<"$(stats "$WORK/$n/$kind.daemon" 1)"
			printf '  N=%-7s %-10s %s-%s ms over %s;' "$n" "$(label $kind)" \
				"$(fmt "$dmin")" "$(fmt "$dmax")" "$cnt"
			awk -v t="$(target "$n" $kind)" '$1 >= t { o++ } END { printf " %d over the target\n", o }' \
				"$WORK/$n/$kind.daemon"
		done
		for kind in rule rulei elem table; do
			v=$(res "$n" "${kind}_discarded")
			[ "${v:-0}" = 0 ] ||
				echo "  N=$n: $v $(label $kind) tampers not counted (a verification or check came between tamper and restore)"
		done

		[ -s "$WORK/$n/event_mismatch" ] &&
			echo "  N=$n: $(wc -l <"$WORK/$n/event_mismatch") restores where the newest event's restore_ms differed from the log line"
	done
	echo
	echo "== cron-style baseline: while :; do nft -f ruleset.nft; sleep 1; done =="
	echo "ruleset.nft: table + delete table + segmentd --print; T = nft -f wall (replacing the table)"
	printf '%-7s %5s %10s %10s  %11s %11s  %14s\n' N runs "T ms" "CPU ms" "mean ms" "p99 ms" "CPU % of core"
	for n in $SIZES; do
		[ -s "$WORK/$n/cron.times" ] || { echo "$n  (no nft -f times)"; continue; }
		awk -v n="$n" '
			{ w[NR] = $1; c[NR] = $2 + $3 }
			END {
				for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) {
					if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
					if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
				}
				T = NR % 2 ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
				C = NR % 2 ? c[(NR + 1) / 2] : (c[NR / 2] + c[NR / 2 + 1]) / 2
				P = 1 + T
				printf "%-7s %5d %10.1f %10.1f  %11.0f %11.0f  %13.1f%%\n", n, NR,
				       T * 1000, C * 1000, (P / 2 + T) * 1000, (0.99 * P + T) * 1000,
				       100 * C / P
			}' "$WORK/$n/cron.times"
	done
	echo "(mean = P/2 + T, p99 = 0.99 P + T with P = 1 s + T; CPU: nft -f user+sys every period, always)"
	echo
	echo "== resources =="
	printf '%-7s %8s %9s %9s %9s  %12s %10s  %s\n' N "start s" "RSS KiB" "HWM KiB" "anon KiB" \
		"idle CPU %" "wakeups/s" "(idle window)"
	local tick
	for n in $SIZES; do
		tick=$(res "$n" tick)
		printf '%-7s %8s %9s %9s %9s  %12s %10s  %s s\n' "$n" \
			"$(awk -v v="$(res "$n" start_ms)" 'BEGIN { printf "%.1f", v / 1000 }')" \
			"$(res "$n" rss_kib)" "$(res "$n" hwm_kib)" "$(res "$n" anon_kib)" \
			"$(awk -v t="$(res "$n" idle_ticks)" -v h="$tick" -v s="$(res "$n" idle_s)" 'BEGIN { printf "%.3f", 100 * t / h / s }')" \
			"$(awk -v c="$(res "$n" idle_csw)" -v s="$(res "$n" idle_s)" 'BEGIN { printf "%.1f", c / s }')" \
			"$(res "$n" idle_s)"
	done
	echo "(idle CPU: utime+stime over the window, resolution 1 tick = $(( 1000 / $(getconf CLK_TCK) )) ms; wakeups: context switches)"
	echo
	echo "== tamper storm: $STORM_LOOPS parallel loops of nft -f, 100 rule commands per file (adds + a chain flush) =="
	printf '%-7s %6s %6s %8s  %10s %7s %7s %9s  %9s %8s  %s\n' N "secs" "txns" "cmds/s" "daemon CPU" drifts "by nft" restores "settle ms" verify "events lost"
	for n in $SIZES; do
		printf '%-7s %6s %6s %8s  %9s%% %7s %7s %9s  %9s %8s  %s\n' "$n" "$(res "$n" storm_s)" \
			"$(res "$n" storm_txn)" \
			"$(awk -v t="$(res "$n" storm_txn)" -v s="$(res "$n" storm_s)" 'BEGIN { printf "%.0f", 100 * t / s }')" \
			"$(awk -v t="$(res "$n" storm_ticks)" -v h="$(res "$n" tick)" -v s="$(res "$n" storm_s)" 'BEGIN { printf "%.1f", 100 * t / h / s }')" \
			"$(res "$n" storm_drifts)" "$(res "$n" storm_drifts_nft)" "$(res "$n" storm_restores)" \
			"$(res "$n" storm_settle_ms)" "exit $(res "$n" storm_verify)" "$(res "$n" storm_lost)"
	done
	echo "(txns: nft -f runs that committed ($STORM_LOOPS loops), cmds/s = 100 x txns / s; daemon CPU: % of one core over the storm;"
	echo " restores: at most one per 10 ms (RESTORE_MIN_GAP_MS) plus the restore's own time; settle: storm end -> daemon idle"
	echo " after its last restore and confirming verification; verify: segmentctl verify exit status then, 0 = kernel matched"
	echo " without a restore; events lost: ENOBUFS on the daemon's event socket during the storm)"
	for n in $SIZES; do
		[ "$(res "$n" storm_verify)" = 0 ] || sed "s/^/  N=$n verify: /" "$WORK/$n/storm.verify"
		[ "$(res "$n" failed_restores)" = 0 ] ||
			echo "  N=$n: $(res "$n" failed_restores) restores FAILED (whole run)"
		echo "  N=$n: whole run: $(res "$n" lost_events) times the daemon's event socket overflowed (ENOBUFS) and it verified in full"
	done
	echo
	echo "targets:"
	local last big=
	for n in $SIZES; do last=$n; done
	for n in $SIZES; do
		for kind in rule rulei elem table; do
			[ -s "$WORK/$n/$kind.daemon" ] || continue
			read -r _ _ dp99 _ _ <<<"$(stats "$WORK/$n/$kind.daemon" 1)"
			tgt=$(target "$n" $kind)
			printf '  N=%-7s restore p99 %-10s %9s ms  (target < %s ms)  %s\n' "$n" \
				"$(label $kind)" "$(fmt "$dp99")" "$tgt" "$(verdict "$dp99" "$tgt")"
		done
		v=$(awk -v t="$(res "$n" idle_ticks)" -v h="$(res "$n" tick)" -v s="$(res "$n" idle_s)" 'BEGIN { printf "%.3f", 100 * t / h / s }')
		printf '  N=%-7s idle CPU %12s %%  (target ~0: < 0.1 %%)  %s\n' "$n" "$v" "$(verdict "$v" 0.1)"
		printf '  N=%-7s storm: kernel matches afterwards (segmentctl verify exit %s)  %s\n' "$n" \
			"$(res "$n" storm_verify)" "$( [ "$(res "$n" storm_verify)" = 0 ] && echo met || echo MISSED)"
	done
	v=$(awk -v k="$(res "$last" rss_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '  N=%-7s RSS idle %11s MiB  (target < 10 MiB)  %s\n' "$last" "$v" "$(verdict "$v" 10)"
	echo
	echo "samples: rule/nft $N_RULE (N < $BIG) / $N_RULE_CLI_BIG (N >= $BIG); rule/nft-i $N_RULE; element $N_ELEM (N < $BIG) / $N_ELEM_BIG (N >= $BIG); table $N_TABLE / $N_TABLE_BIG; idle $IDLE_S s; storm $STORM_S s"
	echo "total time: $(( $(date +%s) - start )) s"
}

report >"$WORK/report"
cat "$WORK/report"
cp "$WORK/report" "$RESULTS" && note "written to $RESULTS"
