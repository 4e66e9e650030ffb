#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The admin CLI on real hosts: `migguard status` (including a hook installed
# under a running libvirtd, made live by a reload) and `migguard check`
# (the destination hook's verdicts, before migrating).

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }

policy() { # HOST TEXT
        printf '%b' "$2" >"$(rig_hostdir "$1")/etc-migguard/policy.d/50-test.conf"
}

libvirtd_pid() { cat "$(rig_hostdir "$1")/libvirtd.pid"; }

# verdict VERDICT CHECK TEXT: check's output (in $output or $check) has the
# line "VERDICT CHECK TEXT..." (columns padded with spaces)
verdict() {
        echo "${check:-$output}" | tr -s ' ' | grep -qF -- "$1 $2 $3"
}

qemu_pid() { # HOST NAME
        rig_exec "$1" cat "/run/libvirt/qemu/$2.pid"
}

@test "status: daemon, hook active in libvirtd, policy and the last decisions" {
        rig_guest_create ha s1 --disks "qcow2:64M:2"
        migrate s1 --live --copy-storage-all
        run MG hb status
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"migguardd running (pid $(rig_daemon_pid hb))"* ]]
        [[ "$output" == *"installed: /etc/libvirt/hooks/qemu.d/50-migguard -> /usr/libexec/migguard/migguard-hook"* ]]
        [[ "$output" == *"hook active: libvirtd (pid $(libvirtd_pid hb)) loaded it"* ]]
        [[ "$output" == *"provision on, allowed-dirs /var/lib/libvirt/images"* ]]
        echo "$output" | grep -Eq 'provisioned +s1 +disk vda: provisioned thin qcow2'
}

@test "status: migguardd not running is reported with the fix, exit 1" {
        rig_daemon_stop hb
        run MG hb status
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"NOT running: start it with 'systemctl start migguardd'"* ]]
}

@test "hook installed under a running libvirtd: status says so; a reload (not a restart) makes it live, guests keep running" {
        H=$(rig_hostdir hb)
        rm -f "$H/etc-libvirt/hooks/qemu.d/50-migguard" "$H/etc-libvirt/hooks/daemon.d/50-migguard"
        rig_libvirtd_restart hb
        rig_guest_create hb keep --disks "qcow2:64M:1"
        qpid=$(qemu_pid hb keep)
        lpid=$(libvirtd_pid hb)
        sleep 1.1 # the links must be visibly younger than the daemon
        ln -s /usr/libexec/migguard/migguard-hook "$H/etc-libvirt/hooks/qemu.d/50-migguard"
        ln -s /usr/libexec/migguard/migguard-hook "$H/etc-libvirt/hooks/daemon.d/50-migguard"

        run MG hb status
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"hook NOT active: libvirtd (pid $lpid) started at"*"before the hook was installed"*"run 'systemctl reload libvirtd'"* ]]

        run rig_exec hb /usr/libexec/migguard/reload-libvirt
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"sent SIGHUP to libvirtd ($lpid)"* ]]
        for ((i = 0; i < 50; i++)); do
                MG hb status >/dev/null 2>&1 && break
                sleep 0.1
        done
        run MG hb status
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"hook active: libvirtd (pid $lpid) loaded it"* ]]
        [ "$(libvirtd_pid hb)" = "$lpid" ]
        [ "$(qemu_pid hb keep)" = "$qpid" ]
        assert_running hb keep

        # and it really runs: a storage migration into hb is provisioned thin
        rig_guest_create ha live1 --disks "qcow2:256M:4"
        migrate live1 --live --copy-storage-all
        assert_running hb live1
        assert_thin "$(img ha live1-vda.qcow2)" "$(img hb live1-vda.qcow2)"
}

@test "check: matching hosts pass every check, and the migration then works" {
        rig_guest_create ha c1 --disks "qcow2:64M:2"
        wait_facts ha c1
        run MG ha check c1 "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 0 ]
        for c in resolve cpu vcpus network provision; do
                echo "$output" | grep -Eq "^ok +$c "
        done
        verdict ok resolve "destination hostname 'hb' resolves to 192.0.2.2"
        [[ "$output" == *"disk vda: '/var/lib/libvirt/images/c1-vda.qcow2' will be provisioned"* ]]
        [[ "$output" == *"c1 -> $(rig_uri hb): ok"* ]]
        migrate c1 --live --copy-storage-all
        assert_running hb c1
}

@test "check gives the destination hook's own refusals (vCPUs, image directory), exit 1" {
        policy ha "[cpu]\nvcpus-over-cores = enforce\n"
        policy hb "[cpu]\nvcpus-over-cores = enforce\n"
        mkdir -p "$(rig_hostdir ha)/var-lib-libvirt/other" "$(rig_hostdir hb)/var-lib-libvirt/other"
        rig_exec ha qemu-img create -q -f qcow2 /var/lib/libvirt/other/c2.qcow2 64M
        rig_guest_create ha c2 --vcpus 4 --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/other/c2.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        run MG ha check c2 "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 1 ]
        check=$output
        [[ "$check" == *"REFUSED (2 refusal(s)"* ]]

        run migrate c2 --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        # every refusal the hook printed is one of check's lines, verbatim
        n=0
        while IFS= read -r line; do
                msg=${line#*migguard: refused: }
                echo "hook: $msg"
                echo "$check" | grep -F -- "$msg" | grep -q '^refuse'
                n=$((n + 1))
        done < <(echo "$output" | grep -o 'migguard: refused: .*')
        [ "$n" -ge 1 ]
        verdict refuse vcpus "vcpus: guest has 4 vCPUs, this host has $(rig_exec hb nproc) online CPUs"
        verdict refuse provision "disk vdb: image '/var/lib/libvirt/other/c2.qcow2' is missing and outside [provision] allowed-dirs"
        assert_running ha c2
        assert_no_domain hb c2
        unset check
        rm -rf "$(rig_hostdir ha)/var-lib-libvirt/other" "$(rig_hostdir hb)/var-lib-libvirt/other"
}

@test "check: the destination's hostname not resolving, or resolving to loopback, is refused" {
        rig_guest_create ha c3 --disks "qcow2:64M:1"
        rig_exec hb hostname nowhere.invalid
        run MG ha check c3 "$(rig_uri hb)"
        rig_exec hb hostname hb
        echo "$output"
        [ "$status" -eq 1 ]
        verdict refuse resolve "destination hostname 'nowhere.invalid' does not resolve here"
        [[ "$output" == *"Unable to resolve address"* ]]

        rig_exec hb hostname localhost
        run MG ha check c3 "$(rig_uri hb)"
        rig_exec hb hostname hb
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"destination hostname 'localhost' resolves to loopback ("* ]]
}

@test "check: usage errors exit 2, an unknown guest or host exits 3" {
        run MG ha check
        [ "$status" -eq 2 ]
        run MG ha check nosuchvm "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 3 ]
        [[ "$output" == *"no domain 'nosuchvm' on qemu:///system"* ]]
        rig_guest_create ha c4 --disks "qcow2:64M:1"
        run MG ha check c4 qemu+tcp://192.0.2.9/system
        echo "$output"
        [ "$status" -eq 3 ]
        [[ "$output" == *"cannot connect to qemu+tcp://192.0.2.9/system"* ]]
}
