#!/bin/bash
# cli: the command lines an admin meets first.
#  - `segmentd --help` names every long option segmentd.c accepts, and
#    `segmentctl --help` every verb the daemon answers (daemon_ctl.c);
#  - `segmentctl names` lists the zones and flows of the enforced config;
#    `segmentctl counters NAME...` shows only those rows and refuses an
#    unknown name;
#  - the bash completion completes verbs, options and, from a running
#    daemon, zone and flow names;
#  - the test-only fault hooks are in build/hooks/segmentd, not in
#    build/segmentd.
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control

# the sources are the truth: every option and verb they handle
for opt in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*argument.*/\1/p' src/segmentd.c); do
	"$SEGMENTD" --help | grep -q -- "--$opt" || fail "segmentd --help does not list --$opt"
done
# (daemon_ctl.c's verb table: { "verb", handler },)
for verb in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", \(cmd\|daemon\)_[a-z_]* },$/\1/p' src/daemon/daemon_ctl.c); do
	"$SEGMENTCTL" --help | grep -qE "^  $verb( |$)" || fail "segmentctl --help does not list '$verb'"
done
echo "help: every option and verb listed"

# the daemon a gateway runs has no test hooks; the test build has them
hooks=$PWD/$BUILD/hooks/segmentd
[ -x "$hooks" ] || fail "$hooks not built (make test-bins)"
! grep -aq SEGMENTD_FAULT_ "$SEGMENTD" || fail "$SEGMENTD has the test-only fault hooks"
grep -aq SEGMENTD_FAULT_REJECT "$hooks" || fail "$hooks lacks the fault hooks"
echo "hooks: none in $BUILD/segmentd, all in $BUILD/hooks/segmentd"

topo_build
sd_start conf/segmentd.conf

names=$("$SEGMENTCTL" names)
for z in mynumber lgwan internet lgwan-net cloud; do
	grep -qx "zone $z" <<<"$names" || fail "names: zone $z missing"
done
for f in mail-in chukan-link mynumber-intake dns-via-sc; do
	grep -qx "flow $f" <<<"$names" || fail "names: flow $f missing"
done
[ "$("$SEGMENTCTL" --json names | head -c 10)" = '{"zones":[' ] || fail "names --json"

# The pairs with counters of their own are those that have a flow (the
# compiled ruleset's pair_A_B_new counters); the rest share one row.
pairs=$("$SEGMENTD" --print -c conf/segmentd.conf |
	sed -n 's/^[[:space:]]*counter pair_\(.*\)_new .*/\1/p' | sed 's/_/ > /')
npairs=$(grep -c . <<<"$pairs")
[ "$npairs" -ge 5 ] || fail "the shipped config compiles to $npairs pair counters"
# one zone: the pairs it is in, its flows, the shared row, not its own row
want=$(grep -E '(^| )lgwan-net( |$)' <<<"$pairs" | sort)
out=$("$SEGMENTCTL" counters lgwan-net)
got=$(sed -n 's/^\([^ ]*\) > \([^ ]*\) .*/\1 > \2/p' <<<"$out" | sort)
[ -n "$want" ] && [ "$got" = "$want" ] ||
	{ echo "$out"; fail "counters lgwan-net: pairs '$got', want '$want'"; }
grep -q '^other pairs (shared) ' <<<"$out" || fail "counters lgwan-net: no shared row"
grep -q '^lgwan-services ' <<<"$out" || fail "counters lgwan-net: flow lgwan-services missing"
grep -q '^chukan-link ' <<<"$out" || fail "counters lgwan-net: flow chukan-link missing"
grep -q '^mail-in ' <<<"$out" && fail "counters lgwan-net: shows mail-in"
grep -q '^unzoned' <<<"$out" && fail "counters lgwan-net: shows the unzoned row"
# one flow: its row and no pair
out=$("$SEGMENTCTL" counters mail-in)
grep -q '^mail-in ' <<<"$out" || fail "counters mail-in: row missing"
grep -q ' > ' <<<"$out" && fail "counters mail-in: shows zone pairs"
json=$("$SEGMENTCTL" --json counters mail-in)
grep -q '"flow_mail-in"' <<<"$json" || fail "counters --json mail-in: $json"
grep -q '"pair_' <<<"$json" && fail "counters --json mail-in shows pairs: $json"
# unfiltered: every pair with a counter, the shared row and the unzoned row
out=$("$SEGMENTCTL" counters)
[ "$(grep -c ' > ' <<<"$out")" = "$npairs" ] || fail "counters: not $npairs pairs"
grep -q '^other pairs (shared) ' <<<"$out" || fail "counters: no shared row"
grep -q '^unzoned' <<<"$out" || fail "counters: no unzoned row"
rc=0
out=$("$SEGMENTCTL" counters no-such-zone) || rc=$?
[ "$rc" = 1 ] || fail "counters no-such-zone: exit $rc, want 1"
grep -q "no zone or flow 'no-such-zone'" <<<"$out" || fail "counters no-such-zone: $out"
echo "names and counters filter: ok"

# completion, as bash runs it on TAB
complete_words() {
	# shellcheck disable=SC1091
	PATH=$PWD/$BUILD:$PATH bash -c '
		. scripts/bash-completion/segmentctl
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_segmentctl; printf "%s\n" "${COMPREPLY[@]}"' complete "$@"
}
got=$(complete_words segmentctl co | sort | tr '\n' ' ')
[ "$got" = "confirm counters " ] || fail "completion of 'co': '$got'"
got=$(complete_words segmentctl --json counters lgwan | sort | tr '\n' ' ')
[ "$got" = "lgwan lgwan-net lgwan-services " ] || fail "completion of zone/flow names: '$got'"
got=$(complete_words segmentctl matrix -- | sort | tr '\n' ' ')
[ "$got" = "--dot --json " ] || fail "completion of matrix options: '$got'"
echo "completion: ok"

sd_stop || fail "segmentd exit status on SIGTERM"
echo "cli: all checks passed"
