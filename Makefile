# SPDX-License-Identifier: LGPL-2.1-or-later
# migguard build.  Plain GNU make: `make`, `make check`, `make install
# DESTDIR= PREFIX= SYSCONFDIR=`, `make uninstall`, `make asan`, `make coverage`.

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/libexec
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
GENERATORDIR ?= $(PREFIX)/lib/systemd/system-generators
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=

CC         ?= cc
MAKEFLAGS  += --no-print-directory
PKG_CONFIG ?= pkg-config
PKGS       := libvirt libxml-2.0 libsystemd inih json-c libcap-ng libnl-route-3.0 mount
# migguard-hook runs on every domain start and stop: no libvirt in it.
HOOK_PKGS  := libxml-2.0 libsystemd inih json-c

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
            -Wno-unused-parameter -Wno-format-nonliteral
override CPPFLAGS += -I. -Ilib -D_GNU_SOURCE -DMIGGUARD_CONFIG_DIR='"$(SYSCONFDIR)/migguard"' \
                     -DMIGGUARD_LIBEXEC_DIR='"$(LIBEXECDIR)/migguard"' \
                     -DMIGGUARD_SYSCONF_DIR='"$(SYSCONFDIR)"'
override CFLAGS   += -std=gnu17 $(WARN) $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

BUILD    ?= build
# Layers, each depending only on those before it (tests/check-layering):
# basics <- core <- capabilities (one room each) <- programs.
BASIC_DIR := lib/basic
CORE_DIR  := lib/core
CAP_DIRS  := provision parity persist pinning storage converge
PROG_DIRS := hooks daemon cli generator
LIB_SRC  := $(wildcard $(BASIC_DIR)/*.c $(CORE_DIR)/*.c $(addsuffix /*.c,$(CAP_DIRS)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA     := $(BUILD)/libmigguard.a
BINS     := $(BUILD)/migguard-hook $(BUILD)/migguard-storage $(BUILD)/migguard-parity $(BUILD)/migguardd $(BUILD)/migguard \
            $(BUILD)/migguard-generator
HEADERS  := $(wildcard $(BASIC_DIR)/*.h $(CORE_DIR)/*.h $(addsuffix /*.h,$(CAP_DIRS) $(PROG_DIRS)) tests/unit/*.h)
# The hook's own logic (destination operations), shared with its unit test.
HOOK_OBJ := $(BUILD)/hooks/incoming.o
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DAEMON_SRC := $(wildcard daemon/*.c)
CLI_SRC    := $(wildcard cli/*.c)
LAYERED_SRC := $(LIB_SRC) $(HEADERS) $(wildcard $(addsuffix /*.c,$(PROG_DIRS)))
LAYERING := $(BUILD)/layering.ok

all: $(BINS)

# An include from a layer above fails the build, before anything compiles.
$(LAYERING): tests/check-layering $(LAYERED_SRC)
	@mkdir -p $(dir $@)
	bash tests/check-layering
	@touch $@

$(BUILD)/%.o: %.c $(HEADERS) | $(LAYERING)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	$(AR) rcs $@ $^

# migguard-hook runs on every domain start and stop: it must not load libvirt.
$(BUILD)/migguard-hook: $(BUILD)/hooks/migguard-hook.o $(HOOK_OBJ) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs $(HOOK_PKGS))
	bash tests/check-layering --hook $@

$(BUILD)/migguard-storage: $(BUILD)/hooks/migguard-storage.o $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/migguard-parity: $(BUILD)/hooks/migguard-parity.o $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/migguardd: $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/migguard: $(CLI_SRC:%.c=$(BUILD)/%.o) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/migguard-generator: $(BUILD)/generator/migguard-generator.o $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(HOOK_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $(VALGRIND) $$t; done

fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk BUILD=$(BUILD)/fuzz

# Full suite: unit tests (plain, valgrind, ASan+UBSan), bounded fuzzing,
# bats integration on two real libvirt hosts.  Needs root.
check: all
	bash tests/run-tests

# The README's two commands: they also install the Debian packages needed.
deps:
	bash .ci/install-deps

check-all: deps
	$(MAKE) check

demo: deps all
	bash tests/demo

asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all unit

coverage:
	$(MAKE) BUILD=build-cov CFLAGS="-O0 -g --coverage" LDFLAGS="--coverage" all unit

install: all
	install -d $(DESTDIR)$(LIBEXECDIR)/migguard $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d $(DESTDIR)$(SYSCONFDIR)/migguard/policy.d \
	  $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/daemon.d \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(GENERATORDIR) $(DESTDIR)$(CATALOGDIR) \
	  $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/migguard-hook $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-hook
	install -m 0755 $(BUILD)/migguard-storage $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-storage
	install -m 0755 $(BUILD)/migguard-parity $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-parity
	install -m 0755 $(BUILD)/migguardd $(DESTDIR)$(SBINDIR)/migguardd
	install -m 0755 $(BUILD)/migguard $(DESTDIR)$(BINDIR)/migguard
	install -m 0755 units/reload-libvirt.sh $(DESTDIR)$(LIBEXECDIR)/migguard/reload-libvirt
	ln -sf $(LIBEXECDIR)/migguard/migguard-hook $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/50-migguard
	# The daemon hook only records that libvirt (re)loaded its hooks: `migguard status`.
	ln -sf $(LIBEXECDIR)/migguard/migguard-hook $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/daemon.d/50-migguard
	install -m 0644 policies/migguard.conf $(DESTDIR)$(SYSCONFDIR)/migguard/migguard.conf
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' units/migguardd.service.in \
	  > $(DESTDIR)$(UNITDIR)/migguardd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/migguardd.service
	install -m 0644 units/migguard.tmpfiles $(DESTDIR)$(TMPFILESDIR)/migguard.conf
	install -m 0755 $(BUILD)/migguard-generator $(DESTDIR)$(GENERATORDIR)/migguard-generator
	install -m 0644 units/migguard.catalog $(DESTDIR)$(CATALOGDIR)/migguard.catalog
	install -m 0644 man/migguard.8 man/migguardd.8 man/migguard-hook.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/migguard.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/migguard $(DESTDIR)$(BASHCOMPDIR)/migguard

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-hook $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-storage \
	  $(DESTDIR)$(LIBEXECDIR)/migguard/migguard-parity $(DESTDIR)$(LIBEXECDIR)/migguard/reload-libvirt \
	  $(DESTDIR)$(SBINDIR)/migguardd \
	  $(DESTDIR)$(BINDIR)/migguard $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/50-migguard \
	  $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/daemon.d/50-migguard \
	  $(DESTDIR)$(MANDIR)/man8/migguard.8 $(DESTDIR)$(MANDIR)/man8/migguardd.8 \
	  $(DESTDIR)$(MANDIR)/man8/migguard-hook.8 $(DESTDIR)$(MANDIR)/man5/migguard.conf.5 \
	  $(DESTDIR)$(BASHCOMPDIR)/migguard \
	  $(DESTDIR)$(SYSCONFDIR)/migguard/migguard.conf $(DESTDIR)$(UNITDIR)/migguardd.service \
	  $(DESTDIR)$(TMPFILESDIR)/migguard.conf $(DESTDIR)$(GENERATORDIR)/migguard-generator \
	  $(DESTDIR)$(CATALOGDIR)/migguard.catalog
	-rmdir $(DESTDIR)$(LIBEXECDIR)/migguard $(DESTDIR)$(SYSCONFDIR)/migguard/policy.d \
	  $(DESTDIR)$(SYSCONFDIR)/migguard 2>/dev/null

# Static analysis: cppcheck (memleak/resourceLeak off: it does not model
# __attribute__((cleanup)), which owns every resource here) and clang-tidy.
LINT_SRC := $(LIB_SRC) $(wildcard $(addsuffix /*.c,$(PROG_DIRS)))
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 -D_GNU_SOURCE \
	  -I. -Ilib --suppress=missingIncludeSystem --suppress=memleak --suppress=resourceLeak $(LINT_SRC)
	@set -e; for f in $(LINT_SRC); do \
	  clang-tidy -quiet $$f -- -std=gnu17 -D_GNU_SOURCE -I. -Ilib $(shell $(PKG_CONFIG) --cflags $(PKGS)) 2>/dev/null; \
	done

FORMAT_SRC := $(LINT_SRC) $(HEADERS) $(wildcard tests/unit/*.c tests/fuzz/*.c bench/*.c)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

format:
	clang-format -i $(FORMAT_SRC)

# Packages: `make deb` (dpkg-buildpackage, binary only) and `make rpm`
# (rpmbuild) build from a tarball of the tree unpacked under $(BUILD)/pkg,
# with packaging/deb/debian as its debian/, and leave the packages in dist/.
# The version is MIGGUARD_VERSION in cli/migguard.c; the Debian changelog
# and the spec must carry the same, which is checked here.
PKG_VERSION := $(shell sed -n 's/^\#define MIGGUARD_VERSION "\(.*\)"$$/\1/p' cli/migguard.c)
PKG_DIR     := $(BUILD)/pkg
PKG_TAR     := $(PKG_DIR)/migguard-$(PKG_VERSION).tar.gz

pkg-tarball:
	@test -n "$(PKG_VERSION)" || { echo "no MIGGUARD_VERSION in cli/migguard.c" >&2; exit 1; }
	rm -rf $(PKG_DIR)
	mkdir -p $(PKG_DIR) dist
	tar --exclude-vcs --exclude=./build --exclude='./build-*' --exclude=./dist --sort=name \
	  --owner=0 --group=0 --numeric-owner --transform 's,^\.,migguard-$(PKG_VERSION),' -czf $(PKG_TAR) .

deb: pkg-tarball
	@v=$$(dpkg-parsechangelog -l packaging/deb/debian/changelog -S Version); [ "$${v%-*}" = "$(PKG_VERSION)" ] || \
	  { echo "packaging/deb/debian/changelog is at $$v, cli/migguard.c at $(PKG_VERSION)" >&2; exit 1; }
	tar -C $(PKG_DIR) -xzf $(PKG_TAR)
	cp -a packaging/deb/debian $(PKG_DIR)/migguard-$(PKG_VERSION)/debian
	cd $(PKG_DIR)/migguard-$(PKG_VERSION) && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS dpkg-buildpackage -us -uc -b
	rm -f dist/migguard_*.deb dist/migguard-dbgsym_*.deb
	cp $(PKG_DIR)/*.deb dist/

# On a non-RPM host (Debian) rpmbuild cannot see the BuildRequires (--nodeps)
# and needs packaging/rpm/macros.non-rpm-host (systemd macros, brp fix).
rpm: pkg-tarball
	@v=$$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/migguard.spec); [ "$$v" = "$(PKG_VERSION)" ] || \
	  { echo "packaging/rpm/migguard.spec is at $$v, cli/migguard.c at $(PKG_VERSION)" >&2; exit 1; }
	rm -f dist/migguard-*.rpm
	set --; rpm -q --quiet rpm 2>/dev/null || set -- --nodeps --load=packaging/rpm/macros.non-rpm-host; \
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS rpmbuild -bb "$$@" --define '_topdir $(abspath $(PKG_DIR))/rpm' \
	  --define '_sourcedir $(abspath $(PKG_DIR))' --define '_rpmdir $(abspath dist)' \
	  --define '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' packaging/rpm/migguard.spec

.PHONY: pkg-tarball deb rpm

clean:
	rm -rf build build-asan build-cov dist

.PHONY: all unit fuzz check deps check-all demo lint format-check format asan coverage install uninstall clean
