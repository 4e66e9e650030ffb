#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The tree's layers (basics <- core <- capabilities <- programs) and the
# hook without libvirt, as tests/check-layering enforces them at build
# time: it passes on the tree and fails on a planted upward include, a
# sideways include between two capabilities, a bare include of another
# room's header, and a hook binary that links libvirt.
#
# No libvirt and no rig.  Not loading helpers.bash on purpose (it loads
# the rig).

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
        cd "$TOP" || return 1
        COPY=$(mktemp -d)
        # the layered directories only: what check-layering reads
        cp -a lib provision parity persist pinning hooks daemon cli "$COPY"/
}

teardown() {
        rm -rf "$COPY"
}

@test "the tree passes the layering check" {
        run bash tests/check-layering
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "each capability has its room at the top level" {
        for room in provision parity persist pinning hooks daemon cli lib/basic lib/core units policies; do
                [ -d "$room" ]
        done
        run find lib -maxdepth 1 -type f
        [ -z "$output" ]
}

@test "an include from a layer above fails the check, naming file and line" {
        sed -i '0,/^#include "basic\/strv.h"/s||#include "basic/strv.h"\n#include "core/policy.h"|' "$COPY/lib/basic/strv.c"
        run bash tests/check-layering --root "$COPY"
        [ "$status" -eq 1 ]
        [[ "$output" == *"lib/basic/strv.c:"*"includes \"core/policy.h\" from a layer above its own (lib/basic)"* ]]
}

@test "a capability including another capability fails the check" {
        printf '#include "parity/parity.h"\n' >>"$COPY/pinning/pinner.c"
        run bash tests/check-layering --root "$COPY"
        [ "$status" -eq 1 ]
        [[ "$output" == *"pinning/pinner.c:"*"from another room of its layer (pinning -> parity)"* ]]
}

@test "a program's header included by a capability fails the check" {
        printf '#include "daemon/daemon.h"\n' >>"$COPY/provision/provision.c"
        run bash tests/check-layering --root "$COPY"
        [ "$status" -eq 1 ]
        [[ "$output" == *"provision/provision.c:"*"from a layer above its own (provision)"* ]]
}

@test "a bare include of another room's header fails the check" {
        printf '#include "policy.h"\n' >>"$COPY/parity/parity.c"
        run bash tests/check-layering --root "$COPY"
        [ "$status" -eq 1 ]
        [[ "$output" == *"parity/parity.c:"*"without its room"* ]]
}

@test "the hook does not link libvirt; a binary that does fails the check" {
        [ -x build/migguard-hook ] || make -s all
        run bash tests/check-layering --hook build/migguard-hook
        [ "$status" -eq 0 ]
        run bash tests/check-layering --hook build/migguard-storage
        [ "$status" -eq 1 ]
        [[ "$output" == *"build/migguard-storage links libvirt"* ]]
}

@test "make fails before compiling anything when the layering is broken" {
        work=$(mktemp -d)
        cp -a Makefile lib provision parity persist pinning hooks daemon cli tests "$work"/
        printf '#include "hooks/incoming.h"\n' >>"$work/lib/core/policy.c"
        run make -C "$work" -s BUILD="$work/build" all
        rm -rf "$work"
        [ "$status" -ne 0 ]
        [[ "$output" == *"lib/core/policy.c:"*"includes \"hooks/incoming.h\" from a layer above its own"* ]]
        [[ "$output" != *"error:"* ]]
}
