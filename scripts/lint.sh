#!/bin/bash
# scripts/lint.sh [FILE...] - static checks of the sources (default src/*.c src/*/*.c):
#   1. the compilers: gcc and clang -fsyntax-only with the Makefile's
#      warnings (-Wall -Wextra -Wshadow ... -Werror);
#   2. cppcheck (warning, portability, performance);
#   3. clang-tidy with the checks of .clang-tidy (bugprone-*, the static
#      analyzer, cert-err34-c).
# Exit 0 when all are clean, 1 on any finding, 77 when a tool is missing.
# A finding that is wrong is silenced where it is, with its reason:
#     /* NOLINT(check-name): why */   (clang-tidy)
#     // cppcheck-suppress id         (cppcheck, on the line before)
# Environment: LINT_JOBS (parallel clang-tidy runs, default nproc).
set -u
cd "$(dirname "$0")/.." || exit 1
PKGS="libnftnl libmnl libconfig"
for tool in gcc clang cppcheck clang-tidy pkg-config; do
	command -v "$tool" >/dev/null || { echo "lint: $tool not installed"; exit 77; }
done
if [ "$#" -gt 0 ]; then files=("$@"); else files=(src/*.c src/*/*.c); fi
JOBS=${LINT_JOBS:-$(nproc)}
# The Makefile's flags (CFLAGS) without the build-only ones.
# shellcheck disable=SC2086,SC2207 # pkg-config prints words
FLAGS=(-std=gnu11 -D_GNU_SOURCE -Iinclude -DSEGMENTD_VERSION='"lint"'
       -DSYSCONFDIR='"/etc"' $(pkg-config --cflags $PKGS))
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wformat=2 -Wno-unused-parameter)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

step() {   # step NAME LOG: prints the findings, remembers the failure
	if [ -s "$2" ]; then
		echo "lint: $1: findings:"
		sed 's/^/  /' "$2"
		status=1
	else
		echo "lint: $1: clean"
	fi
}

for cc in gcc clang; do
	for f in "${files[@]}"; do
		"$cc" "${FLAGS[@]}" "${WARN[@]}" -fsyntax-only "$f" 2>&1
	done | grep -Ev '^[0-9]+ warnings? generated\.$' >"$tmp/$cc.log"
	step "$cc ${WARN[*]}" "$tmp/$cc.log"
done
# the test build's variant of the files with fault hooks (Makefile: hooks/)
for cc in gcc clang; do
	for f in src/kernel/nft.c src/kernel/nft_apply.c; do
		"$cc" "${FLAGS[@]}" "${WARN[@]}" -DSEGMENTD_TEST_HOOKS -fsyntax-only "$f" 2>&1
	done | grep -Ev '^[0-9]+ warnings? generated\.$' >"$tmp/$cc-hooks.log"
	step "$cc -DSEGMENTD_TEST_HOOKS" "$tmp/$cc-hooks.log"
done

# cppcheck reads no system headers: the libmnl iteration macros it would
# otherwise call "unknown" come from this small library file.
cat >"$tmp/libmnl.cfg" <<'CFG'
<?xml version="1.0"?>
<def format="2">
  <define name="mnl_attr_for_each_nested(attr, nest)" value="for ((attr) = mnl_attr_get_payload(nest); mnl_attr_ok((attr), 0); (attr) = mnl_attr_next(attr))"/>
  <define name="mnl_attr_for_each(attr, nlh, offset)" value="for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (offset)); mnl_attr_ok((attr), 0); (attr) = mnl_attr_next(attr))"/>
  <define name="mnl_attr_for_each_payload(payload, payload_size)" value="for ((attr) = (payload); mnl_attr_ok((attr), (payload_size)); (attr) = mnl_attr_next(attr))"/>
</def>
CFG
# Not reported: the non-reentrant libc functions (getgrnam, gmtime, ...):
# segmentd has one thread (one epoll loop, no threads: style.md 8).
nonreentrant=
for f in getgrnam getgrgid getpwnam getpwuid localtime gmtime ctime asctime \
	 strtok readdir getlogin ttyname rand; do
	nonreentrant="$nonreentrant --suppress=${f}Called"
done
# shellcheck disable=SC2086 # the suppressions are words
cppcheck --std=c11 --enable=warning,portability,performance --inline-suppr \
	--quiet --library=posix --library="$tmp/libmnl.cfg" $nonreentrant \
	--suppress=missingIncludeSystem --template='{file}:{line}: {severity}: {message} [{id}]' \
	-D_GNU_SOURCE -D__linux__ -Iinclude "${files[@]}" >"$tmp/cppcheck.log" 2>&1
step cppcheck "$tmp/cppcheck.log"

# One clang-tidy per file, JOBS at a time; only the warnings (with their
# notes) are kept, not the "N warnings generated" chatter.
# shellcheck disable=SC2016 # expanded by that sh
printf '%s\n' "${files[@]}" | xargs -P "$JOBS" -I{} sh -c \
	'clang-tidy --quiet "$1" -- "$@" >"$0/tidy.$(echo "$1" | tr / _).log" 2>/dev/null' \
	"$tmp" {} "${FLAGS[@]}" "${WARN[@]}"
cat "$tmp"/tidy.*.log 2>/dev/null | grep -E '^[^ ].*: (warning|error): ' |
	sed "s|^$PWD/||" | sort -u >"$tmp/tidy.log"
step "clang-tidy (.clang-tidy)" "$tmp/tidy.log"
exit $status
