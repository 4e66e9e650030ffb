# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared bats helpers: the two-host rig with migguard installed, and
# assertions that say what went wrong.  Sourced by every tests/*.bats.
# shellcheck shell=bash

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$TESTS_DIR/lib/rig.bash"

# requires CMD...: skip when a tool is missing, except in CI where a
# missing tool is a failure (it must be installed by .ci/install-deps).
requires() {
        local c
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 && continue
                if [ -n "${CI:-}" ]; then
                        echo "required tool '$c' is missing" >&2
                        return 1
                fi
                skip "requires $c"
        done
}

# Start both hosts with the staged install and migguardd on both.
mg_setup_file() {
        requires virsh qemu-img qemu-system-x86_64 ip nsenter unshare
        [ -n "${MIGGUARD_DESTDIR:-}" ] || { echo "MIGGUARD_DESTDIR not set (use tests/run-tests)" >&2; return 1; }
        rig_down >/dev/null 2>&1 || true
        rig_up
}

mg_teardown_file() {
        rig_down
}

mg_setup() {
        rig_guest_destroy_all
        local h
        for h in ha hb; do
                rig_daemon_stop "$h"
                rig_exec "$h" sh -c 'rm -f /etc/migguard/policy.d/*.conf'
                rig_daemon_start "$h" >/dev/null
        done
        mg_wait_daemon ha
        mg_wait_daemon hb
}

# mg_wait_daemon HOST: until migguardd holds its lock (bounded).
mg_wait_daemon() {
        local i
        for ((i = 0; i < 100; i++)); do
                rig_exec "$1" sh -c 'flock -n -s /run/migguard/migguardd.lock true' 2>/dev/null || return 0
                sleep 0.05
        done
        echo "migguardd on $1 did not take its lock" >&2
        return 1
}

# mixed_releases: true when ha and hb run different Debian releases (a
# cross-release run of tests/run-tests), so their QEMUs differ.
mixed_releases() {
        [ "$(rig_host_root ha)" != "$(rig_host_root hb)" ]
}

# raw_copy_stays_thin: false for a raw disk copied from a Debian 13 source
# (libvirt 11, QEMU 10) to Debian 12.
# That libvirt mirrors a raw disk straight into an NBD node opened without
# discard, so QEMU sends every hole as a "write zeroes, no hole" request,
# which the destination's QEMU 7.2 must allocate (seen with strace:
# NBD_CMD_WRITE_ZEROES with NBD_CMD_FLAG_NO_HOLE, then FALLOC_FL_ZERO_RANGE).
# Nothing on the destination can undo it while the guest runs; migguardd
# says so (assert_holes_lost_reported).  libvirt's remedy,
# --migrate-disks-detect-zeroes, needs libvirt >= 10.9 on both ends: the
# libvirt 9 destination refuses it ("parameter ... not supported").
raw_copy_stays_thin() {
        ! { mixed_releases && [ -n "$(rig_host_root ha)" ]; }
}

# assert_holes_lost_reported HOST TARGET IMAGE: migguardd on HOST logged
# that TARGET's raw IMAGE arrived fully allocated, naming libvirt's remedy.
assert_holes_lost_reported() {
        local i
        for ((i = 0; i < 100; i++)); do
                decisions "$1" | grep "disk $2: .*$3.*arrived fully allocated" |
                        grep -q -- "--migrate-disks-detect-zeroes $2" && return 0
                sleep 0.1
        done
        echo "no 'arrived fully allocated' warning for $2 on $1" >&2
        decisions "$1" | tail -n 5 >&2
        return 1
}

# img HOST NAME: path outside the host of HOST's /var/lib/libvirt/images/NAME.
img() {
        echo "$(rig_hostdir "$1")/var-lib-libvirt/images/$2"
}

# alloc_bytes FILE: bytes allocated to FILE; fails when FILE cannot be read.
alloc_bytes() {
        local b
        b=$(stat -c '%b %B' "$1") || return 1
        echo $((${b% *} * ${b#* }))
}

# The image's own virtual size: the top-level key (QEMU >= 8 also prints
# its children, e.g. the file node, whose "virtual-size" is the file length,
# and may print them first).
vsize() { # HOST PATH-inside-host
        rig_exec "$1" qemu-img info -U --output=json "$2" | sed -n 's/^    "virtual-size": \([0-9]*\).*/\1/p' | head -n1
}

MG() { # HOST ARGS...: the migguard CLI inside HOST
        local h=$1
        shift
        rig_exec "$h" "$(rig_migguard_path)" "$@"
}

migrate() { # NAME [virsh migrate options...]: ha -> hb
        local name=$1
        shift
        rig_virsh ha migrate "$@" "$name" "$(rig_uri hb)"
}

assert_running() { # HOST NAME
        rig_guest_running "$1" "$2" || { echo "guest $2 is not running on $1" >&2; return 1; }
}

assert_no_domain() { # HOST NAME
        if rig_virsh "$1" dominfo "$2" >/dev/null 2>&1; then
                echo "domain $2 exists on $1" >&2
                return 1
        fi
}

assert_absent() { # FILE
        if [ -e "$1" ]; then
                echo "$1 exists" >&2
                return 1
        fi
}

# assert_counter_advances HOST NAME: the guest's serial counter goes on.
# Right after a migration the destination's serial log may not hold a line
# yet (a TCG guest on a loaded 2-core machine prints late), so the first
# reading may be missing: the rig's helper counts that as 0 and waits.
assert_counter_advances() {
        rig_guest_counter_advances "$1" "$2" 15
}

# assert_thin SRC DST: DST allocation <= 1.1 x SRC + 4 MiB.
assert_thin() {
        local s d
        s=$(alloc_bytes "$1") || return 1
        d=$(alloc_bytes "$2") || return 1
        if [ "$d" -gt $((s * 11 / 10 + 4 * 1024 * 1024)) ]; then
                echo "not thin: $2 has $d bytes allocated, source $s" >&2
                return 1
        fi
}

# assert_identical HOSTA PATHA HOSTB PATHB: qemu-img compare across hosts.
assert_identical() {
        local a b
        a=$(rig_hostdir "$1")/var-lib-libvirt/images/$(basename "$2")
        b=$(rig_hostdir "$3")/var-lib-libvirt/images/$(basename "$4")
        qemu-img compare -U "$a" "$b"
}

# assert_no_incoming_state HOST: no incoming-migration record left.  When
# libvirt fails before any hook runs, migguardd reconciles within ~10 s.
assert_no_incoming_state() {
        local n i
        for ((i = 0; i < 75; i++)); do
                n=$(rig_exec "$1" sh -c 'ls /run/migguard/incoming/*.json 2>/dev/null | wc -l')
                [ "$n" = 0 ] && return 0
                sleep 0.2
        done
        echo "incoming records left on $1" >&2
        return 1
}

# decisions HOST: migguard's decision log on HOST.
decisions() {
        cat "$(rig_hostdir "$1")/var-lib-migguard/decisions.jsonl" 2>/dev/null
}

# wait_facts HOST NAME: until migguardd published disk facts for NAME.
wait_facts() {
        local i
        for ((i = 0; i < 100; i++)); do
                rig_virsh "$1" dumpxml "$2" 2>/dev/null | grep -q 'urn:migguard:domain:1' && return 0
                sleep 0.1
        done
        echo "no migguard facts published for $2 on $1" >&2
        return 1
}
