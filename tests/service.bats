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
