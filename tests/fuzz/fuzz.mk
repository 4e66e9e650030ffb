# SPDX-License-Identifier: LGPL-2.1-or-later
# libFuzzer builds of tests/fuzz/fuzz-*.c.  The library sources are built
# again here with clang, the main Makefile's flags and the sanitizers, so a
# fuzz build never mixes with build/ or build-asan/.
#   make -f tests/fuzz/fuzz.mk [BUILD=build/fuzz]      (or: make fuzz)
#   tests/fuzz/run-fuzzers                             builds and runs them

CLANG      ?= clang
PKG_CONFIG ?= pkg-config
PKGS       := libvirt libxml-2.0 libsystemd inih json-c libcap-ng libnl-route-3.0 mount
BUILD      ?= build/fuzz

WARN       := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
              -Wno-unused-parameter -Wno-format-nonliteral
FUZZ_OPT   ?= -O1 -g -fno-omit-frame-pointer
SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS := -I. -Ilib -D_GNU_SOURCE -DMIGGUARD_CONFIG_DIR='"/etc/migguard"' \
                 -DMIGGUARD_LIBEXEC_DIR='"/usr/local/libexec/migguard"'
FUZZ_CFLAGS   := -std=gnu17 $(WARN) $(FUZZ_OPT) $(SAN) $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_LDLIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

LIB_DIRS   := lib/basic lib/core provision parity persist pinning storage converge
LIB_SRC    := $(wildcard $(addsuffix /*.c,$(LIB_DIRS)))
LIB_HDR    := $(wildcard $(addsuffix /*.h,$(LIB_DIRS)))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS    := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)

all: $(FUZZERS)

# Library objects get coverage instrumentation but not libFuzzer's main().
$(BUILD)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_OBJ) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(FUZZ_LDLIBS)

clean:
	rm -rf $(BUILD)

# keep the library objects between runs (they are intermediate files to make)
.SECONDARY: $(LIB_OBJ)

.PHONY: all clean
