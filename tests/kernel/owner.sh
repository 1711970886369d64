#!/bin/bash
# owner: while `segmentd -c conf/segmentd.conf` runs in the foreground mode
# in the gateway, the kernel refuses every change to its table from another
# process (EPERM, "Operation not permitted") and the ruleset stays exactly
# as segmentd programmed it (`nft flush ruleset` succeeds but skips it).
# After SIGTERM the table persists and still enforces: a forbidden probe is
# still dropped, an allowed one still passes.
. tests/lib/kernel.sh

# This test goes on after a failure (to show every refusal that is missing)
# and counts them.
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
ok() {
	echo "ok: $*"
}

enforcing() {   # enforcing WHEN
	topo_expect "$1: atena -> vbrowser tcp/443 (forbidden)" drop \
		mynumber tcp 10.1.1.20 10.3.1.10 443 || failures=$((failures + 1))
	topo_expect "$1: lg-terminals -> vbrowser tcp/3389 (screen-transfer)" pass \
		lgwan tcp 10.2.8.10 10.3.1.10 3389 || failures=$((failures + 1))
}

# refused DESCRIPTION NFT-ARGS...: nft in the gateway must fail with EPERM.
refused() {
	local what=$1 rc=0
	shift
	topo_exec gw nft "$@" >"$TOPO_DIR/nft.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		fail "$what: nft $* succeeded"
	elif grep -q "Operation not permitted" "$TOPO_DIR/nft.out"; then
		ok "$what: refused (Operation not permitted)"
	else
		fail "$what: nft failed, but not with EPERM: $(head -n 3 "$TOPO_DIR/nft.out")"
	fi
}

# The listing without counter values, the flags line and the owner comment
# ("# progname segmentd"), which are expected to change on SIGTERM.
rules() {
	sd_table | grep -v '^[[:space:]]*flags' | sed 's/ *# progname .*$//'
}

unchanged() {   # unchanged WHEN: compares with $before
	if [ "$(rules)" = "$before" ]; then
		ok "$1: ruleset unchanged"
	else
		fail "$1: ruleset changed:"
		diff <(echo "$before") <(rules) | head -n 40 || true
	fi
}

topo_build
sd_start conf/segmentd.conf
sd_owned || fail "the table is not owned: $(sd_table_flags)"

listing=$(sd_table)
forward=$(echo "$listing" | awk '/^\tchain /{c=$2} /hook forward/{print c; exit}')
input=$(echo "$listing" | awk '/^\tchain /{c=$2} /hook input/{print c; exit}')
set4=$(echo "$listing" | awk '/^\tset /{s=$2} /type ipv4_addr/{print s; exit}')
handle=$(topo_exec gw nft -a list chain inet "$SD_TABLE" "$forward" |
	sed -n 's/.*# handle \([0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$forward" ] || [ -z "$input" ] || [ -z "$set4" ] || [ -z "$handle" ]; then
	echo "cannot find the forward/input chains, a set or a rule handle in:"
	echo "$listing"
	exit 1
fi
echo "table inet $SD_TABLE: forward chain '$forward', input chain '$input', set '$set4'"

before=$(rules)
enforcing "owned"

refused "add rule (accept all)" add rule inet "$SD_TABLE" "$forward" accept
refused "insert rule (accept all)" insert rule inet "$SD_TABLE" "$forward" accept
refused "add rule to input" add rule inet "$SD_TABLE" "$input" tcp dport 22 accept
refused "delete rule" delete rule inet "$SD_TABLE" "$forward" handle "$handle"
refused "flush chain" flush chain inet "$SD_TABLE" "$forward"
refused "flush table" flush table inet "$SD_TABLE"
refused "add chain" add chain inet "$SD_TABLE" evil
refused "delete chain" delete chain inet "$SD_TABLE" "$forward"
refused "add element" add element inet "$SD_TABLE" "$set4" "{ 10.3.1.10 }"
refused "flush set" flush set inet "$SD_TABLE" "$set4"
refused "delete table" delete table inet "$SD_TABLE"
refused "re-add table without flags" add table inet "$SD_TABLE"

rc=0
topo_exec gw nft flush ruleset 2>&1 || rc=$?
if [ "$rc" = 0 ] && sd_table >/dev/null 2>&1; then
	ok "nft flush ruleset: exit 0, our table skipped"
else
	fail "nft flush ruleset: exit $rc, table present: $(sd_table >/dev/null 2>&1 && echo yes || echo no)"
fi

unchanged "after the attempts"
enforcing "after the attempts"

if sd_stop; then
	ok "segmentd exited 0 on SIGTERM"
else
	fail "segmentd exited $? on SIGTERM; log:"
	cat "$TOPO_DIR/segmentd.log"
fi
if sd_table >/dev/null 2>&1; then
	ok "table persists after SIGTERM ($(sd_table_flags | sed 's/ *$//'))"
	unchanged "after SIGTERM"
	enforcing "after SIGTERM"
else
	fail "the table is gone after SIGTERM"
fi

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "owner: all checks passed"
