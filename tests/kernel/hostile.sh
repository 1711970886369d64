#!/bin/bash
# hostile: names segmentd did not choose reach its --json output escaped and
# as valid UTF-8.  With ownership off, the table is tampered with by an nft
# whose process name (the kernel's NFTA_GEN_PROC_NAME, from the file name)
# holds a quote, a backslash, a control byte, a tab and bytes that are not
# UTF-8, and through nft's JSON input a set and a chain are added whose names
# hold a quote, a backslash and a control byte.  segmentd restores each and
# records who did it; then every command that answers in JSON is asked for
# it, and each answer must parse as strict JSON (no raw control characters)
# from strict UTF-8.  The events must hold the hostile process name, so the
# names did reach the output.
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
need nft python3
need_built
private_tmp

sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf >"$tmp/unowned.conf"
private_start "$tmp/unowned.conf"

restores() { grep -c restored "$tmp/log" || true; }
wait_restore() {   # wait_restore BEFORE WHAT
	for _ in $(seq 250); do
		[ "$(restores)" -gt "$1" ] && break
		sleep 0.02
	done
	[ "$(restores)" -gt "$1" ] || fail "$2: not restored"
	sleep 0.15   # the confirming verification after a restore
	"$SEGMENTCTL" verify >/dev/null || fail "$2: the kernel differs after the restore"
}

# 1. an nft under a hostile name: q " \ ^A <0xff> <tab> <
hostile=$(printf 'q"\\\001\377\t<')
mkdir "$tmp/bin"
cp "$(command -v nft)" "$tmp/bin/$hostile"
n=$(restores)
"$tmp/bin/$hostile" insert rule inet segmentd forward accept || fail "the hostile nft failed"
wait_restore "$n" "a rule from a hostile process name"

# 2. a set and a chain under hostile names (nft's JSON input allows them)
python3 - "$tmp/objs.json" <<'EOF'
import json, sys
name = 'x"\\\x01y'
doc = {"nftables": [
    {"add": {"set": {"family": "inet", "table": "segmentd", "name": name,
                     "type": "ipv4_addr"}}},
    {"add": {"chain": {"family": "inet", "table": "segmentd",
                       "name": "c" + name}}}]}
open(sys.argv[1], "w").write(json.dumps(doc))
EOF
n=$(restores)
nft -j -f "$tmp/objs.json" || fail "nft -j could not add the hostile objects"
wait_restore "$n" "a set and a chain with hostile names"

# 3. every command that answers in JSON; a config to check and diff
cp conf/segmentd.conf "$tmp/other.conf"
cmds=(status verify matrix counters names audit "audit --lang ja" denied
      ct-audit events version check "diff $tmp/other.conf" reload show
      metrics "reload --confirm 60" confirm confirm)
for cmd in "${cmds[@]}"; do
	# shellcheck disable=SC2086 # the command's words
	"$SEGMENTCTL" --json $cmd >"$tmp/out.json" 2>"$tmp/err" || true
	python3 - "$tmp/out.json" "$cmd" <<'EOF' || fail "--json $cmd: $(head -c 600 "$tmp/out.json"; cat "$tmp/err")"
import json, sys
raw = open(sys.argv[1], "rb").read()
try:
    text = raw.decode("utf-8", errors="strict")
    json.loads(text, strict=True)
except Exception as e:
    print("not valid UTF-8 JSON: %s" % e)
    sys.exit(1)
EOF
	echo "hostile: --json $cmd: valid JSON ($(wc -c <"$tmp/out.json") bytes)"
done

# the names did reach the output: the events name the hostile process,
# escaped where it was read from the kernel (\\, \xNN), then for JSON
"$SEGMENTCTL" --json events >"$tmp/events.json" || fail "events"
python3 - "$tmp/events.json" <<'EOF' || fail "the events do not hold the hostile process name: $(cat "$tmp/events.json")"
import json, sys
events = json.load(open(sys.argv[1], encoding="utf-8"))
want = r'q"\\\x01\xff\x09<'
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
sys.exit(0 if any(want in s for s in strings(events)) else 1)
EOF
echo "hostile: the events hold the hostile process name, escaped"
grep -qF 'changed by q"\\\x01\xff\x09< (pid' "$tmp/log" ||
	fail "the log does not name the hostile process, escaped"
# one line per message: no control byte but the newline, valid UTF-8
python3 - "$tmp/log" <<'EOF' || fail "the log holds raw control bytes or bytes that are not UTF-8"
import sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8", errors="strict")
sys.exit(1 if any((b < 0x20 and b != 0x0a) or b == 0x7f for b in raw) else 0)
EOF
echo "hostile: the log holds it escaped, one line a message"
private_stop "$pid" "$tmp/log" || fail "the daemon did not stop cleanly"
pid=
nft delete table inet segmentd 2>/dev/null || true
nft delete table inet segmentd-guard 2>/dev/null || true
echo "hostile: PASS"
