#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemd unit as installed (confinement, ordering) and reload-libvirt
# without systemd (SIGHUP to the daemon named by its own pid file, never a
# restart).  No libvirt hosts needed.

setup() {
        [ -n "${MIGGUARD_DESTDIR:-}" ] || { echo "MIGGUARD_DESTDIR not set (use tests/run-tests)" >&2; return 1; }
        UNIT=$MIGGUARD_DESTDIR/usr/lib/systemd/system/migguardd.service
        RELOAD=$MIGGUARD_DESTDIR/usr/libexec/migguard/reload-libvirt
        T=$(mktemp -d)
}

teardown() {
        [ -z "${FAKE:-}" ] || kill "$FAKE" 2>/dev/null || true
        rm -rf "$T"
}

@test "unit: systemd-analyze security exposure is at most 2.0" {
        command -v systemd-analyze
        run systemd-analyze security --offline=true --no-pager "$UNIT"
        echo "$output" | tail -n 3
        score=$(echo "$output" | sed -n 's/.*Overall exposure level for migguardd.service: \([0-9.]*\).*/\1/p')
        [ -n "$score" ]
        awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
}

@test "unit: Type=notify, ordered after libvirtd or virtqemud, installed paths substituted" {
        grep -qx 'Type=notify' "$UNIT"
        grep -q '^After=.*libvirtd.service' "$UNIT"
        grep -q '^After=.*virtqemud.service' "$UNIT"
        grep -qx 'ExecStart=/usr/sbin/migguardd --config /etc/migguard/migguard.conf' "$UNIT"
        ! grep -qE '@[A-Z]+@' "$UNIT"
}

# A stand-in daemon: a script named libvirtd (so its comm is "libvirtd")
# that counts SIGHUPs and keeps running.
fake_daemon() { # NAME
        mkdir -p "$T/bin" "$T/run/libvirt"
        printf '#!/bin/bash\ntrap "echo hup >>%s/hups" HUP\nwhile :; do sleep 0.1; done\n' "$T" >"$T/bin/$1"
        chmod +x "$T/bin/$1"
        "$T/bin/$1" &
        FAKE=$!
        echo "$FAKE" >"$T/run/libvirt/$1.pid"
        for ((i = 0; i < 50; i++)); do
                [ "$(cat /proc/$FAKE/comm 2>/dev/null)" = "$1" ] && return 0
                sleep 0.1
        done
        return 1
}

@test "reload-libvirt without systemd: SIGHUP to the running libvirtd, which keeps running" {
        fake_daemon libvirtd
        run env RUNDIR="$T/run" "$RELOAD"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "migguard: sent SIGHUP to libvirtd ($FAKE)" ]
        for ((i = 0; i < 50; i++)); do [ -s "$T/hups" ] && break; sleep 0.1; done
        [ "$(wc -l <"$T/hups")" -eq 1 ]
        kill -0 "$FAKE"
}

@test "reload-libvirt: a stale pid file naming another program is not signalled; nothing running is fine" {
        run env RUNDIR="$T/run" "$RELOAD"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        sleep 1000 &
        FAKE=$!
        mkdir -p "$T/run/libvirt"
        echo "$FAKE" >"$T/run/libvirt/virtqemud.pid"
        run env RUNDIR="$T/run" "$RELOAD"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        kill -0 "$FAKE"
}

# generator CONFIG-TEXT: runs the installed generator against a policy with
# CONFIG-TEXT into $T/gen; the unit and its generated drop-in in $T/units
generator() {
        printf "$1" >"$T/migguard.conf"
        mkdir -p "$T/gen" "$T/units"
        run env MIGGUARD_CONFIG="$T/migguard.conf" \
                "$MIGGUARD_DESTDIR/usr/lib/systemd/system-generators/migguard-generator" "$T/gen" "$T/early" "$T/late"
}

@test "generator: [provision] allowed-dirs become the unit's ReadWritePaths=, which systemd accepts" {
        generator '[provision]\nallowed-dirs = /var/lib/libvirt/images /srv/vm%%images\n'
        echo "$output"
        [ "$status" -eq 0 ]
        dropin=$T/gen/migguardd.service.d/50-migguard-allowed-dirs.conf
        cat "$dropin"
        grep -qx 'ReadWritePaths= "-/var/lib/libvirt/images" "-/srv/vm%%images"' "$dropin"
        # systemd parses it: the unit (ExecStart made runnable here) with the drop-in
        sed 's|^ExecStart=.*|ExecStart=/bin/true|' "$UNIT" >"$T/units/migguardd.service"
        cp -r "$T/gen/migguardd.service.d" "$T/units/"
        run env SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify --man=no "$T/units/migguardd.service"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" != *ReadWritePaths* ]]
}

@test "generator: a policy that does not load writes no drop-in, says why, and does not fail the boot" {
        generator '[provision]\nallowed-dirs = relative/dir\n'
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == "migguard-generator: policy not loaded, no ReadWritePaths= written: "* ]]
        [ ! -e "$T/gen/migguardd.service.d" ]
}

@test "catalog: journalctl explains every MESSAGE_ID migguard logs (what happened, what to do)" {
        mkdir -p "$T/root/usr/lib/systemd/catalog"
        cp "$MIGGUARD_DESTDIR/usr/lib/systemd/catalog/migguard.catalog" "$T/root/usr/lib/systemd/catalog/"
        run journalctl --root="$T/root" --update-catalog
        echo "$output"
        [ "$status" -eq 0 ]
        ids=$(sed -n 's/^#define MG_MSGID_[A-Z_]* "\([0-9a-f]\{32\}\)"$/\1/p' "$BATS_TEST_DIRNAME/../lib/basic/log.h")
        [ "$(echo "$ids" | wc -l)" -ge 12 ]
        listed=$(journalctl --root="$T/root" --list-catalog)
        for id in $ids; do
                grep -q "^$id migguard: " <<<"$listed" || { echo "no catalog entry for $id"; false; }
                entry=$(journalctl --root="$T/root" --dump-catalog "$id")
                [[ "$entry" == *"What happened:"* ]]
                [[ "$entry" == *"What to do:"* ]]
        done
        # and nothing in the catalog that migguard does not log
        [ "$(echo "$listed" | grep -c ' migguard: ')" -eq "$(echo "$ids" | wc -l)" ]
}
