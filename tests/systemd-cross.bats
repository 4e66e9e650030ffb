#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The package under systemd across releases: a Debian 12 host (d12,
# 192.0.2.21, libvirt 9.0 / QEMU 7.2) and a Debian 13 host (d13, 192.0.2.23,
# libvirt 11.3 / QEMU 10), both booting systemd as PID 1
# (tests/lib/systemd-host.bash), migguard installed from the same .deb with
# apt.  Debian 13's libvirt is the monolithic libvirtd, socket-activated
# (libvirtd.socket; libvirtd.service --timeout 120): Debian packages no
# modular daemons (no virtqemud, virtstoraged).  One real migration per
# capability, each in one direction between the releases.  Shared storage:
# one export of this machine through bindfs (FUSE, of the type libvirt
# takes for shared storage) at /var/lib/libvirt/images/shared in both.

load helpers
. "$BATS_TEST_DIRNAME/lib/systemd-host.bash"
. "$BATS_TEST_DIRNAME/lib/systemd-cases.bash"

A12=192.0.2.21 A13=192.0.2.23

setup_file() {
        requires systemd-nspawn debootstrap bindfs
        cd "$BATS_TEST_DIRNAME/.."
        ROOT12=$(ROOT_FLAVOUR=systemd-bookworm bash tests/rig/make-trixie-root.sh) || return 1
        ROOT13=$(ROOT_FLAVOUR=systemd-trixie bash tests/rig/make-trixie-root.sh) || return 1
        sdh_prepare "$BATS_FILE_TMPDIR" || return 1
        sdh_down d12 2>/dev/null || true
        sdh_down d13 2>/dev/null || true
        SHARE=$BATS_FILE_TMPDIR/share
        sdh_share_mount "$BATS_FILE_TMPDIR/export" "$SHARE" || return 1
        SDH_BIND="$SDH_BIND --bind=$SHARE:/var/lib/libvirt/images/shared"
        sdh_up d12 "$ROOT12" || return 1
        sdh_up d13 "$ROOT13" || return 1
        sdh_link d12 "$A12" d13 "$A13" || return 1
        export SDH_HOSTS="$A12 d12
$A13 d13"
        sdh_libvirt d12 "$A12" || return 1
        sdh_libvirt d13 "$A13" || return 1
        # guests both QEMUs can run
        GUEST_MACHINE=$(sdh_common_machine d12 d13) || return 1
        export GUEST_MACHINE
        sdh_install d12 "${DEB##*/}" "$BATS_FILE_TMPDIR/apt-d12.log" || return 1
        # on 13, migguard arrives under a running guest
        sdh_guest d13 g0 || return 1
        sdh_exec d13 systemctl show -P MainPID libvirtd.service >"$BATS_FILE_TMPDIR/libvirtd-pid"
        sdh_exec d13 cat /run/libvirt/qemu/g0.pid >"$BATS_FILE_TMPDIR/g0-pid"
        sdh_install d13 "${DEB##*/}" "$BATS_FILE_TMPDIR/apt-d13.log" || return 1
}

teardown_file() {
        sdh_down d12
        sdh_down d13
        sdh_share_umount "$BATS_FILE_TMPDIR/share"
}

@test "Debian 13: apt-get install under a running guest: libvirtd reloaded, not restarted, the guest's QEMU untouched, migguard status: hook active" {
        cat "$BATS_FILE_TMPDIR/apt-d13.log"
        sdh_exec d13 dpkg-query -W -f='${Package} ${Version}\n' libvirt-daemon systemd qemu-system-x86
        [ "$(sdh_exec d13 systemctl is-active migguardd.service)" = active ]
        pid=$(cat "$BATS_FILE_TMPDIR/libvirtd-pid")
        [ "$(sdh_exec d13 systemctl show -P MainPID libvirtd.service)" = "$pid" ]
        [ "$(sdh_exec d13 cat /run/libvirt/qemu/g0.pid)" = "$(cat "$BATS_FILE_TMPDIR/g0-pid")" ]
        [ "$(sdh_virsh d13 domstate g0)" = running ]
        run sdh_exec d13 migguard status
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"libvirt:   hook active: libvirtd (pid $pid) loaded it at"* ]]
        [[ "$output" == *"qemu:///system answers: libvirt 11."* ]]
        # under systemd 257 too, every thread keeps only CAP_SYS_NICE,
        # CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
        main=$(sdh_exec d13 systemctl show -P MainPID migguardd.service)
        run sdh_exec d13 sh -c "grep -H '^Cap\(Eff\|Prm\)' /proc/$main/task/*/status"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(grep -c . <<<"$output")" -ge 4 ]
        [ -z "$(grep -v ':\s*0000000000800006$' <<<"$output")" ]
}

@test "Debian 13, socket activation: with libvirtd stopped, status names the socket that starts it with the hook; the next client starts it, hook active" {
        sdh_exec d13 systemctl stop migguardd.service
        sdh_exec d13 systemctl stop libvirtd.service
        [ "$(sdh_exec d13 systemctl is-active libvirtd.socket)" = active ]
        run sdh_exec d13 migguard status
        echo "$output"
        [[ "$output" == *"libvirt:   libvirtd not running; /run/libvirt/libvirt-sock starts it on the next connection, with the hook active"* ]]
        # migguardd is that next client
        sdh_exec d13 systemctl start migguardd.service
        [ "$(sdh_exec d13 systemctl is-active libvirtd.service)" = active ]
        run sdh_exec d13 migguard status
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"libvirt:   hook active: libvirtd (pid $(sdh_exec d13 systemctl show -P MainPID libvirtd.service))"* ]]
        # the guest ran on through it
        [ "$(sdh_exec d13 cat /run/libvirt/qemu/g0.pid)" = "$(cat "$BATS_FILE_TMPDIR/g0-pid")" ]
        [ "$(sdh_virsh d13 domstate g0)" = running ]
}

@test "12 -> 13: migrate --copy-storage-all --persistent --parallel: provisioned, persistent there, source guarded, migration threads on the housekeeping CPU on both" {
        # QEMU 7.2 sends, QEMU 10 receives: each names its threads its way
        sdh_case_provision d12 d13 "$A13" x1 'mig/dst/recv_[0-9]+'
}

@test "13 -> 12: an aborted storage migration: the half-made image on 12 removed, the guest running on 13" {
        sdh_case_abort d13 d12 "$A12" x2
}

@test "13 -> 12: a parity refusal (more vCPUs than 12 has CPUs, enforce there): one line in virsh, nothing left on 12" {
        sdh_exec d12 sh -c 'printf "[cpu]\nvcpus-over-cores = enforce\n" >/etc/migguard/policy.d/60-vcpus.conf'
        GUEST_VCPUS=3 sdh_guest d13 x3
        sdh_case_refused d13 d12 "$A12" x3 "vcpus: guest has 3 vCPUs, this host has $(nproc) online CPUs"
        sdh_exec d12 rm /etc/migguard/policy.d/60-vcpus.conf
}

@test "12 -> 13: shared storage: the same export on both migrates without a copy, nothing created on 13" {
        sdh_case_shared d12 d13 "$A13" x4
}

@test "13 -> 12: the convergence guard on a libvirt 11 source: a migration that does not converge is aborted, the guest keeps running on 13" {
        sdh_case_converge_abort d13 d12 "$A12" x5
}

@test "after the migrations: no EPERM, SIGSYS or permission denial from migguardd on 12 or 13, no restart, no libvirtd error caused by it" {
        sdh_case_clean_journal d12
        sdh_case_clean_journal d13
}
