# segmentd - plain Makefile.  make; make check; make install; make demo
# Variables: PREFIX DESTDIR SYSCONFDIR PKG_CONFIG CC SANITIZE=1 V=1

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKG_CONFIG ?= pkg-config
CC         ?= cc

VERSION := 0.1.0
PKGS    := libnftnl libmnl libconfig

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter \
	   -MMD -MP -Iinclude -DSEGMENTD_VERSION='"$(VERSION)"' \
	   -DSYSCONFDIR='"$(SYSCONFDIR)"' \
	   $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS))
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   ?= build-san
endif
BUILD ?= build

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The sources, one folder per wing (README "Source layout"): base/ (plain
# helpers), load/ (config -> compiled ruleset, never the kernel), kernel/
# (netlink: batches, reads, conntrack), keep/ (events, foreign hooks),
# report/ (audit, matrix, diff, metrics), daemon/, ctl/ (the control
# socket and segmentctl); src/segmentd.c is the CLI.
# The library: everything but the programs' main() files.
LIB_SRC  := $(filter-out src/segmentd.c src/ctl/segmentctl.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

all: $(BUILD)/segmentd $(BUILD)/segmentctl tools

$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsegmentd.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/segmentd: $(BUILD)/segmentd.o $(BUILD)/libsegmentd.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The daemon the fault tests drive (reject.sh, genid.sh, verify.sh): the same
# code with the test-only hooks (SEGMENTD_FAULT_*) compiled in.  Built by
# make check and make kernel, never installed or packaged: the daemon of a
# gateway (build/segmentd) does not have them.
HOOK_OBJ := $(BUILD)/hooks/nft.o $(BUILD)/hooks/nft_apply.o
$(BUILD)/hooks/%.o: src/kernel/%.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $< (test hooks)"
	$(Q)$(CC) $(CFLAGS) -DSEGMENTD_TEST_HOOKS -c -o $@ $<

$(BUILD)/hooks/segmentd.o: src/segmentd.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $< (test hooks)"
	$(Q)$(CC) $(CFLAGS) -DSEGMENTD_TEST_HOOKS -c -o $@ $<

$(BUILD)/hooks/segmentd: $(BUILD)/hooks/segmentd.o $(HOOK_OBJ) $(BUILD)/libsegmentd.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test-bins: $(BUILD)/hooks/segmentd

# segmentctl speaks the protocol and nothing else of the daemon.
CTL_OBJ := $(BUILD)/ctl/segmentctl.o $(BUILD)/ctl/control.o \
	   $(BUILD)/ctl/control_client.o $(BUILD)/base/utf8.o
$(BUILD)/segmentctl: $(CTL_OBJ)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsegmentd.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -DTOP_SRCDIR='"$(CURDIR)"' $(LDFLAGS) \
		-o $@ $< $(BUILD)/libsegmentd.a $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

tools: $(TOOL_BIN)

deps:
	@scripts/deps.sh

# Unit tests (no root), then kernel tests (namespaces; root).
check: deps
	$(Q)$(MAKE) --no-print-directory all unit-bins test-bins
	$(Q)tests/run-unit.sh $(BUILD)
	$(Q)tests/run-kernel.sh $(BUILD)

unit-bins: $(UNIT_BIN)

unit: all unit-bins
	$(Q)tests/run-unit.sh $(BUILD)

kernel: all test-bins
	$(Q)tests/run-kernel.sh $(BUILD)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(BUILD)

# Fuzzing (clang + libFuzzer, tests/fuzz/README.md): replays saved inputs,
# then FUZZ_SECONDS per target.  Long run: FUZZ_JOBS=$(nproc) scripts/fuzz.sh 28800
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)BUILD=$(BUILD) scripts/fuzz.sh $(FUZZ_SECONDS)

# The README's two commands on a fresh Debian 12 root filesystem
# (debootstrap; a git clone and a release tarball in /root): tests/fresh.sh.
fresh: deps
	$(Q)tests/fresh.sh

# Static checks: gcc/clang warnings, cppcheck, clang-tidy (.clang-tidy).
lint:
	$(Q)scripts/lint.sh

# Rewrites tests/golden/*.nft from the shipped configs (review the diff!).
golden: all unit-bins
	$(Q)UPDATE_GOLDEN=1 $(BUILD)/tests/test_compile >/dev/null

bench: all
	$(Q)bench/run.sh $(BUILD)

# The units in systemd/ are templates: @SBINDIR@ becomes $(SBINDIR), the
# directory this install puts the programs in.  Rewritten on every run, so
# `make install PREFIX=/usr` never installs a unit made for another prefix.
UNITS := segmentd.service segmentd-metrics.service segmentd-metrics.timer
units:
	@mkdir -p $(BUILD)/systemd
	$(Q)for u in $(UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/$$u >$(BUILD)/systemd/$$u.tmp && \
		mv -f $(BUILD)/systemd/$$u.tmp $(BUILD)/systemd/$$u || exit 1; \
	done

install: all units
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/segmentd \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/segmentd $(DESTDIR)$(SBINDIR)/segmentd
	install -m 0755 $(BUILD)/segmentctl $(DESTDIR)$(SBINDIR)/segmentctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/segmentd/segmentd.conf ] || \
		install -m 0600 conf/segmentd.conf $(DESTDIR)$(SYSCONFDIR)/segmentd/segmentd.conf
	install -m 0644 man/segmentd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/segmentd.8 man/segmentctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 $(UNITS:%=$(BUILD)/systemd/%) $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 scripts/bash-completion/segmentctl $(DESTDIR)$(BASHCOMPDIR)/segmentctl

# The Debian package (debian/, debhelper), into $(DEBOUT)/.  debian/rules
# compiles in debian/build, apart from $(BUILD); no fakeroot needed
# (Rules-Requires-Root: no).  debian/rules gets none of this make's
# variables (BUILD=...); two runs in one tree take turns (flock).  The
# Makefile's VERSION and debian/changelog's must agree.
DEBOUT ?= build
deb:
	$(Q)dpkg-checkbuilddeps
	$(Q)v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "deb: debian/changelog says '$$v', the Makefile $(VERSION)" >&2; exit 1; }
	@mkdir -p $(DEBOUT)
	$(Q)unset MAKEFLAGS MFLAGS MAKELEVEL && \
		export DEB_RULES_REQUIRES_ROOT=no DEB_OUTDIR=$(abspath $(DEBOUT)) && \
		flock debian/.lock sh -c \
		'debian/rules clean && debian/rules build && debian/rules binary'
	@echo "deb: $(DEBOUT)/segmentd_$(VERSION)_$$(dpkg --print-architecture).deb"

# debian/rules clean without debhelper: what a package build leaves in debian/.
DEB_LEFTOVERS := debian/build debian/segmentd debian/.debhelper debian/files \
	debian/.lock debian/debhelper-build-stamp debian/*.substvars debian/*.debhelper.log \
	debian/*.debhelper

clean:
	rm -rf build build-san $(DEB_LEFTOVERS)

.PHONY: all tools deps check unit unit-bins test-bins kernel demo golden bench install \
	units deb clean fuzz lint fresh

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
