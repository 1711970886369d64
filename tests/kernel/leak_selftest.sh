#!/bin/bash
# leak_selftest: the drop checks must catch a leak that a timeout hides.
#
# An unmarked accept for one forbidden service is inserted in one forward
# chain of a table programmed by `segmentd --once` (the table stays, with
# no owner, so nft can change it; a tamper or a compiler bug looks like
# this).  The forbidden packets then reach the receiver, but its replies
# carry no flow mark and are dropped, so the probe times out exactly as if
# the packet had been dropped.  The flows matrix must fail exactly the rows
# of that zone pair and service, each as "leaked" (counted at the
# receiver), and pass every other row; topo_expect must fail the same probe.
# Once with UDP (internet -> mynumber udp/53) and once with TCP, where what
# leaks is the SYN (internet -> mynumber tcp/443).
. tests/lib/kernel.sh
. tests/lib/flows.sh
topo_build
sd_once conf/segmentd.conf >"$TOPO_DIR/once.out" 2>&1 ||
	fail "segmentd --once: $(cat "$TOPO_DIR/once.out")"

# leak_rows FROM TO SERVICE < flows.result: the rows an accept of SERVICE
# in fwd_FROM_TO opens: drop rows probing from zone FROM to an address of
# zone TO.  Spoofed rows are not among them: in_FROM drops a spoofed
# source before any forward chain.
leak_rows() {
	local from=$1 to=$2 svc=$3 row zone src dst service expect rest
	while read -r row zone src dst service expect rest; do
		case $src in spoof:*) continue ;; esac
		[ "$zone $service $expect" = "$from $svc drop" ] || continue
		[ "$(topo_zone_of "$dst")" = "$to" ] && echo "$row"
	done
	return 0
}

# leak_check FROM TO SERVICE RULE EXAMPLE...: inserts RULE (no mark) in
# fwd_FROM_TO or, when the pair has no flow (and so no chain), in in_FROM
# after its established rule, limited to TO's interface; runs the matrix, compares its failing rows with leak_rows;
# EXAMPLE is a topo_expect probe (ZONE PROTO SRC DST PORT) it opens.
leak_check() {
	local from=$1 to=$2 svc=$3 rule=$4 chain="fwd_$1_$2" handle ghandle want got out
	local where="" oif
	shift 4
	if ! topo_exec gw nft list chain inet "$SD_TABLE" "$chain" >/dev/null 2>&1; then
		chain="in_$from"
		oif=$(topo_exec gw nft list map inet "$SD_TABLE" zone_in |
			grep -o "\"[a-z0-9]*\" : goto in_$to\b" | head -n 1 | cut -d'"' -f2)
		where=$(topo_exec gw nft -a list chain inet "$SD_TABLE" "$chain" |
			grep 'ct mark @flow_marks' | sed -n 's/.*# handle \([0-9]*\)$/\1/p')
		[ -n "$oif" ] && [ -n "$where" ] || fail "no interface of $to or no established rule in $chain"
		rule="oifname $oif $rule"
	fi
	want=$(leak_rows "$from" "$to" "$svc" <"$TOPO_DIR/baseline.result" | paste -sd ' ')
	[ -n "$want" ] || fail "flows.list has no drop row for $from -> $to $svc: the test would prove nothing"
	# shellcheck disable=SC2086 # RULE is nft's words
	handle=$(topo_exec gw nft -e -a add rule inet "$SD_TABLE" "$chain" ${where:+position $where} $rule |
		sed -n 's/.*# handle \([0-9]*\)$/\1/p')
	[ -n "$handle" ] || fail "could not insert '$rule' in $chain"
	# the guard table drops what the main table did not mark: open it too
	# (with the main table's rule alone nothing leaks: faults.sh shows it)
	# shellcheck disable=SC2086 # RULE is nft's words
	ghandle=$(topo_exec gw nft -e -a insert rule inet "$SD_TABLE-guard" forward $rule |
		sed -n 's/.*# handle \([0-9]*\)$/\1/p')
	[ -n "$ghandle" ] || fail "could not insert '$rule' in the guard table"
	echo "== '$rule' (no mark) inserted in $chain: rows $want must fail as leaked, no other"
	flows_run >"$TOPO_DIR/leak.out" || true
	grep -E ' FAIL$|^      |^[0-9]+ probes:' "$TOPO_DIR/leak.out"
	got=$(awk '$8 == "FAIL" { print $1 }' "$TOPO_DIR/flows.result" | paste -sd ' ')
	[ "$got" = "$want" ] || { cat "$TOPO_DIR/leak.out"; fail "failing rows '$got', expected '$want'"; }
	awk '$8 == "FAIL" && $7 != "leaked" { bad = 1 } END { exit bad }' "$TOPO_DIR/flows.result" ||
		fail "a failing row was not judged 'leaked' (counted at the receiver)"
	out=$(topo_expect "$*" drop "$@") && fail "topo_expect judged the leaked probe a drop: $out"
	echo "ok: topo_expect fails it too: $out"
	topo_exec gw nft delete rule inet "$SD_TABLE" "$chain" handle "$handle"
	topo_exec gw nft delete rule inet "$SD_TABLE-guard" forward handle "$ghandle"
	echo "ok: exactly rows $want failed, as leaked"
}

echo "== baseline: the matrix passes"
flows_run >"$TOPO_DIR/baseline.out" || { cat "$TOPO_DIR/baseline.out"; fail "baseline matrix"; }
tail -n 1 "$TOPO_DIR/baseline.out"
cp "$TOPO_DIR/flows.result" "$TOPO_DIR/baseline.result"

leak_check internet mynumber udp/53 "udp dport 53 accept" internet udp 10.3.1.10 10.1.1.20 53
leak_check internet mynumber tcp/443 "tcp dport 443 accept" internet tcp 10.3.2.25 10.1.1.50 443
# (the TCP run passing row 33 shows that the UDP rule was removed)
echo "leak_selftest: passed"
