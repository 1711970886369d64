# tests/lib/sanitizer.sh - judging how a daemon of a test ended.
# shellcheck shell=sh
# Sourced by tests/lib/segmentd.sh and tests/lib/private.sh.
#
#   sanitizer_check LOG...    prints every ASan/LSan/UBSan report found in
#                             the LOGs; returns 1 if there was one
#   exit_check WHAT RC LOG [WANT]
#                             the daemon WHAT exited RC: returns 1 (saying
#                             why) unless RC is WANT (default 0) and LOG
#                             holds no sanitizer report
#
# A sanitizer build reports leaks only at exit (LeakSanitizer, exit status
# 23): a test that does not stop its daemon and look at both never sees
# them.  -fno-sanitize-recover=all makes UBSan fatal too.

SANITIZER_PATTERN='ERROR: (Address|Leak|Undefined|Memory|Thread)Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'

sanitizer_check() {
	local f found=0
	for f in "$@"; do
		[ -f "$f" ] || continue
		grep -q -E "$SANITIZER_PATTERN" "$f" || continue
		found=1
		echo "sanitizer report in $f:"
		grep -m 20 -A 12 -E "$SANITIZER_PATTERN" "$f" || true
	done
	[ "$found" = 0 ]
}

exit_check() {
	if [ "$2" != "${4:-0}" ]; then
		echo "$1 exited $2, want ${4:-0}; the last lines of its log ($3):"
		tail -n 30 "$3" 2>/dev/null || true
		sanitizer_check "$3" || true
		return 1
	fi
	sanitizer_check "$3"
}
