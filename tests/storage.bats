#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared storage proven to be the same storage on both hosts, with real
# migrations without storage copy.  A shared file system: a FUSE
# passthrough (bindfs) over one directory of this machine, mounted in both
# hosts with the type libvirt recognises as shared (fuse.glusterfs) and
# the real inode numbers.  A LUN: a loop device bind-mounted at the same
# /dev path in both hosts (or another one in the destination).

load helpers

setup_file() {
        requires bindfs losetup
        mg_setup_file
        EXPORTS=$RIG_DIR/exports
        mkdir -p "$EXPORTS/a" "$EXPORTS/b"
        export EXPORTS
}

teardown_file() {
        mg_teardown_file
        rm -rf "$RIG_DIR/exports"
}

setup() {
        mg_setup
        SHARES=() LOOPS=() LUN_BOUND=()
}

teardown() {
        local h l
        rig_guest_destroy_all
        for h in "${LUN_BOUND[@]}"; do host_ns "$h" umount "$(host_path "$h" /dev/mg-lun)" || true; done
        rm -f /dev/mg-lun
        for h in ha hb; do share_umount "$h"; done
        for l in "${LOOPS[@]}"; do losetup -d "$l" || true; done
        rm -f "$RIG_DIR"/lun-*.img
}

# host_ns HOST CMD...: CMD in HOST's mount namespace, not chrooted into the
# root of another release (bindfs and losetup are this machine's).
host_ns() {
        local h=$1
        shift
        nsenter -t "$(_rig_holder_pid "$h")" -m -- "$@"
}

# host_path HOST PATH: PATH as host_ns sees it.
host_path() {
        echo "$(rig_host_root "$1")$2"
}

SHARED=/var/lib/libvirt/images/shared

# share_mount HOST EXPORT: EXPORT ("a" or "b") mounted at $SHARED in HOST.
share_mount() {
        local h=$1 mnt i
        mnt=$(host_path "$h" "$SHARED")
        host_ns "$h" mkdir -p "$mnt"
        host_ns "$h" bindfs -f -o subtype=glusterfs,use_ino "$EXPORTS/$2" "$mnt" >/dev/null 2>&1 &
        echo "$!" >"$BATS_TEST_TMPDIR/share-$h.pid"
        for ((i = 0; i < 100; i++)); do
                host_ns "$h" awk -v m="$mnt" '$5 == m && / - fuse.glusterfs / { f = 1 } END { exit !f }' \
                        /proc/self/mountinfo && return 0
                sleep 0.05
        done
        echo "bindfs did not mount $EXPORTS/$2 in $h" >&2
        return 1
}

share_umount() {
        local h=$1 pid
        [ -f "$BATS_TEST_TMPDIR/share-$h.pid" ] || return 0
        pid=$(cat "$BATS_TEST_TMPDIR/share-$h.pid")
        host_ns "$h" umount "$(host_path "$h" "$SHARED")" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -f "$BATS_TEST_TMPDIR/share-$h.pid"
}

# shared_guest NAME: a guest on ha whose disk vdb is $SHARED/NAME.qcow2.
shared_guest() {
        rig_exec ha qemu-img create -q -f qcow2 "$SHARED/$1.qcow2" 64M
        rig_exec ha qemu-io -c 'write -P 0xab 0 4M' "$SHARED/$1.qcow2" >/dev/null
        rig_guest_create ha "$1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='$SHARED/$1.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        wait_storage_facts ha "$1"
}

wait_storage_facts() { # HOST NAME
        local i
        for ((i = 0; i < 100; i++)); do
                rig_virsh "$1" dumpxml "$2" 2>/dev/null | grep -q ':storage target="vdb"' && return 0
                sleep 0.1
        done
        echo "no storage identity published for $2 on $1" >&2
        return 1
}

# lun NAME: a 16 MiB loop device backed by $RIG_DIR/lun-NAME.img; prints it.
lun() {
        local dev
        truncate -s 16M "$RIG_DIR/lun-$1.img"
        dev=$(losetup -f --show "$RIG_DIR/lun-$1.img")
        LOOPS+=("$dev")
        echo "$dev"
}

# lun_bind HOST DEV: DEV appears as /dev/mg-lun in HOST.
lun_bind() {
        touch /dev/mg-lun
        [ -z "$(rig_host_root "$1")" ] || touch "$(host_path "$1" /dev/mg-lun)"
        host_ns "$1" mount --bind "$2" "$(host_path "$1" /dev/mg-lun)"
        LUN_BOUND+=("$1")
}

lun_guest() { # NAME
        rig_guest_create ha "$1" --devices-extra "
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/mg-lun'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        wait_storage_facts ha "$1"
}

# assert_refused_untouched NAME FILE-SEEN-FROM-OUTSIDE SUM MTIME: refused
# earlier; the source runs, nothing on hb, the file there unchanged.
assert_refused_untouched() {
        assert_running ha "$1"
        assert_no_domain hb "$1"
        assert_no_incoming_state hb
        [ "$(sha256sum <"$2")" = "$3" ]
        [ "$(stat -c %Y "$2")" = "$4" ]
}

policy_hb() {
        printf '%b' "$1" >"$(rig_hostdir hb)/etc-migguard/policy.d/50-storage.conf"
}

@test "same shared storage on both hosts: migrates without storage copy, nothing created" {
        share_mount ha a
        share_mount hb a
        shared_guest sh1
        before=$(ls -A "$(rig_hostdir hb)/var-lib-libvirt/images")
        run migrate sh1 --live
        echo "$output"
        [ "$status" -eq 0 ]
        assert_running hb sh1
        assert_counter_advances hb sh1
        [ "$(ls -A "$(rig_hostdir hb)/var-lib-libvirt/images")" = "$before" ]
        [ -z "$(decisions hb | grep '"check":"storage"')" ]
}

@test "share not mounted on the destination, a stale copy in the way: refused, the copy untouched" {
        share_mount ha a
        shared_guest sh2
        stale=$(rig_hostdir hb)/var-lib-libvirt/images/shared/sh2.qcow2
        mkdir -p "$(dirname "$stale")"
        cp "$EXPORTS/a/sh2.qcow2" "$stale"
        touch -d '2026-01-02 03:04:05' "$stale"
        sum=$(sha256sum <"$stale") mtime=$(stat -c %Y "$stale")
        run migrate sh2 --live
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: disk vdb: $SHARED/sh2.qcow2 here is on "*", on the source it is on fuse.glusterfs $EXPORTS/a: the export is not mounted here, or a stale copy is in the way; remove that file, or set [storage] identity = warn"* ]]
        [ "$(grep -c 'migguard: refused' <<<"$output")" -eq 1 ]
        assert_refused_untouched sh2 "$stale" "$sum" "$mtime"
        decisions hb | grep '"check":"storage"' | grep -q 'the export is not mounted here'
}

@test "another export mounted at the same path: refused" {
        share_mount ha a
        share_mount hb b
        shared_guest sh3
        cp "$EXPORTS/a/sh3.qcow2" "$EXPORTS/b/sh3.qcow2"
        sum=$(sha256sum <"$EXPORTS/b/sh3.qcow2") mtime=$(stat -c %Y "$EXPORTS/b/sh3.qcow2")
        run migrate sh3 --live
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: disk vdb: $SHARED/sh3.qcow2 here is on fuse.glusterfs $EXPORTS/b, on the source on fuse.glusterfs $EXPORTS/a: another export is mounted at this path"* ]]
        assert_refused_untouched sh3 "$EXPORTS/b/sh3.qcow2" "$sum" "$mtime"
}

@test "the same LUN at the same /dev path: migrates" {
        dev=$(lun a)
        lun_bind ha "$dev"
        lun_bind hb "$dev"
        lun_guest lu1
        run migrate lu1 --live
        echo "$output"
        [ "$status" -eq 0 ]
        assert_running hb lu1
        assert_counter_advances hb lu1
}

@test "another LUN under the same /dev name: refused, naming both" {
        a=$(lun a)
        b=$(lun b)
        lun_bind ha "$a"
        lun_bind hb "$b"
        lun_guest lu2
        sum=$(sha256sum <"$RIG_DIR/lun-b.img") mtime=$(stat -c %Y "$RIG_DIR/lun-b.img")
        run migrate lu2 --live
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: disk vdb: /dev/mg-lun here is a loop device backed by $RIG_DIR/lun-b.img, on the source a loop device backed by $RIG_DIR/lun-a.img: name the disk by /dev/disk/by-id"* ]]
        assert_refused_untouched lu2 "$RIG_DIR/lun-b.img" "$sum" "$mtime"
}

@test "identity = warn for one domain (its urn:migguard:policy:1 metadata); a setting a domain may not make is refused" {
        share_mount ha a
        share_mount hb b
        shared_guest sd1
        cp "$EXPORTS/a/sd1.qcow2" "$EXPORTS/b/sd1.qcow2"
        rig_virsh ha metadata sd1 --live --uri urn:migguard:policy:1 --key mgpolicy \
                --set "<policy><provision allowed-dirs='/'/></policy>"
        run migrate sd1 --live
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: domain policy: [provision] allowed-dirs cannot be set per domain"* ]]
        assert_running ha sd1
        assert_no_domain hb sd1

        rig_virsh ha metadata sd1 --live --uri urn:migguard:policy:1 --key mgpolicy \
                --set "<policy><storage identity='warn'/></policy>"
        run migrate sd1 --live
        echo "$output"
        [ "$status" -eq 0 ]
        assert_running hb sd1
        decisions hb | grep '"check":"storage"' | grep sd1 | grep -q 'another export is mounted at this path'
}

@test "[storage] identity = warn lets it go on with a warning, = off silently" {
        share_mount ha a
        share_mount hb b
        shared_guest sw1
        cp "$EXPORTS/a/sw1.qcow2" "$EXPORTS/b/sw1.qcow2"
        policy_hb "[storage]\nidentity = warn\n"
        run migrate sw1 --live
        echo "$output"
        [ "$status" -eq 0 ]
        assert_running hb sw1
        decisions hb | grep '"check":"storage"' | grep -q 'another export is mounted at this path'

        rig_virsh hb destroy sw1
        shared_guest sw2
        cp "$EXPORTS/a/sw2.qcow2" "$EXPORTS/b/sw2.qcow2"
        policy_hb "[storage]\nidentity = off\n"
        run migrate sw2 --live
        echo "$output"
        [ "$status" -eq 0 ]
        assert_running hb sw2
        [ -z "$(decisions hb | grep '"check":"storage"' | grep sw2)" ]
}

@test "migguard check: the source's export against the destination's netfs pool" {
        share_mount ha a
        share_mount hb a
        shared_guest ck1
        run rig_exec ha "$(rig_migguard_path)" check ck1 "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 0 ]
        echo "$output" | tr -s ' ' | grep -qF "ok storage disk vdb: $SHARED/ck1.qcow2 is shared storage here; the destination's hook proves it"
}
