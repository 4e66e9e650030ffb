#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Persistent on the destination, single owner on the source, on real hosts.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() {
        mg_setup
        rm -rf "$(rig_hostdir ha)"/var-lib-migguard/guards "$(rig_hostdir hb)"/var-lib-migguard/guards
}

persistent() { # HOST NAME
        rig_virsh "$1" dominfo "$2" | grep -q '^Persistent: *yes'
}

# wait_persistent HOST NAME: migguardd defines the guest once the job ended
wait_persistent() {
        local i
        for ((i = 0; i < 100; i++)); do
                persistent "$1" "$2" && return 0
                sleep 0.1
        done
        echo "$2 is not persistent on $1" >&2
        return 1
}

policy() { # HOST TEXT
        printf '%b' "$2" >"$(rig_hostdir "$1")/etc-migguard/policy.d/50-test.conf"
}

MIGGUARD() { # HOST ARGS...
        local h=$1
        shift
        rig_exec "$h" env MIGGUARD_STATE_DIR=/var/lib/migguard "$(rig_migguard_path)" "$@"
}

@test "without --persistent the guest becomes persistent on the destination and stays defined after destroy" {
        rig_guest_create ha p1 --disks "qcow2:64M:2"
        wait_facts ha p1
        migrate p1 --live --copy-storage-all
        wait_persistent hb p1
        rig_virsh hb destroy p1
        rig_virsh hb dominfo p1 | grep -q '^State: *shut off'
        decisions hb | grep -q '"message_id":"5b0c9f1e27a44d0f9a63c1e8d4b7a210"'
}

@test "the persisted definition is the source's, pending --config changes included" {
        rig_guest_create ha p2 --disks "qcow2:64M:2"
        rig_virsh ha desc p2 --config --title "pending-title-42"
        for ((i = 0; i < 100; i++)); do
                rig_virsh ha dumpxml p2 | grep -q 'pending-title-42' && break
                sleep 0.1
        done
        [ "$(rig_virsh ha dumpxml p2 | grep -c '&lt;title&gt;pending-title-42')" -ge 1 ]
        migrate p2 --live --copy-storage-all
        wait_persistent hb p2
        rig_virsh hb dumpxml --inactive p2 | grep -q '<title>pending-title-42</title>'
        # the live guest never had it
        [ "$(rig_virsh hb dumpxml p2 | grep -c '<title>')" = 0 ]
        [ "$(rig_virsh hb dumpxml --inactive p2 | grep -c 'urn:migguard')" = 0 ]
}

@test "a transient source guest is persisted with its live definition" {
        rig_guest_create ha p3 --transient --disks "qcow2:64M:2"
        migrate p3 --live --copy-storage-all
        wait_persistent hb p3
        rig_virsh hb dumpxml --inactive p3 | grep -q "<name>p3</name>"
}

@test "--persistent, --dname and --undefinesource keep libvirt's behaviour" {
        rig_guest_create ha p4 --disks "qcow2:64M:2"
        migrate p4 --live --copy-storage-all --persistent --undefinesource --dname p4new
        assert_running hb p4new
        wait_persistent hb p4new
        assert_no_domain hb p4
        assert_no_domain ha p4
}

@test "--suspend: persistent and still paused" {
        rig_guest_create ha p5 --disks "qcow2:64M:2"
        migrate p5 --live --copy-storage-all --suspend
        wait_persistent hb p5
        [ "$(rig_virsh hb domstate p5 | head -1)" = paused ]
}

@test "--offline --persistent keeps libvirt's behaviour" {
        rig_guest_create ha p6 --no-wait
        rig_virsh ha destroy p6
        rig_virsh ha migrate --offline --persistent p6 "$(rig_uri hb)"
        persistent hb p6
        [ "$(rig_virsh hb domstate p6 | head -1)" = "shut off" ]
}

@test "an aborted migration leaves no definition on the destination" {
        rig_guest_create ha p7 --disks "qcow2:256M:64"
        wait_facts ha p7
        rig_virsh ha migrate --live --copy-storage-all --bandwidth 4 p7 "$(rig_uri hb)" >/dev/null 2>&1 &
        mig=$!
        for ((i = 0; i < 100; i++)); do
                rig_virsh ha domjobinfo p7 2>/dev/null | grep -q 'Data processed' && break
                sleep 0.1
        done
        sleep 1
        rig_virsh ha domjobabort p7
        rc=0
        wait $mig || rc=$?
        [ "$rc" -ne 0 ]
        sleep 1
        assert_no_domain hb p7
        assert_running ha p7
        [ ! -e "$(rig_hostdir ha)/var-lib-migguard/guards" ] || [ -z "$(ls -A "$(rig_hostdir ha)/var-lib-migguard/guards")" ]
}

@test "guard (default): autostart off, start refused naming the destination, released by migguard release" {
        rig_guest_create ha g1 --disks "qcow2:64M:2"
        rig_virsh ha autostart g1
        migrate g1 --live --copy-storage-all
        wait_persistent hb g1
        rig_virsh ha dominfo g1 | grep -q '^Autostart: *disable'
        run rig_virsh ha start g1
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: g1 was migrated to hb (192.0.2.2) at "* ]]
        [[ "$output" == *"release it with: migguard release g1"* ]]
        [ "$(rig_virsh ha domstate g1 | head -1)" = "shut off" ]

        run MIGGUARD ha release g1
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == "released g1: it may be started on this host again (autostart restored)" ]]
        rig_virsh ha dominfo g1 | grep -q '^Autostart: *enable'
        rig_virsh ha start g1
        assert_running ha g1
}

@test "[persist] source = keep and = undefine" {
        policy ha "[persist]\nsource = keep\n"
        rig_daemon_stop ha
        rig_daemon_start ha >/dev/null
        rig_guest_create ha k1 --disks "qcow2:64M:2"
        migrate k1 --live --copy-storage-all
        wait_persistent hb k1
        rig_virsh ha start k1
        rig_virsh ha destroy k1

        policy ha "[persist]\nsource = undefine\n"
        rig_daemon_stop ha
        rig_daemon_start ha >/dev/null
        rig_guest_create ha u1 --disks "qcow2:64M:2"
        migrate u1 --live --copy-storage-all
        wait_persistent hb u1
        for ((i = 0; i < 50; i++)); do rig_virsh ha dominfo u1 >/dev/null 2>&1 || break; sleep 0.1; done
        assert_no_domain ha u1
}

@test "migrating back clears the guard" {
        rig_guest_create ha b1 --disks "qcow2:64M:2"
        wait_facts ha b1
        migrate b1 --live --copy-storage-all
        wait_persistent hb b1
        [ -f "$(rig_hostdir ha)/var-lib-migguard/guards/$(rig_virsh ha domuuid b1 | head -1).json" ]
        wait_facts hb b1
        rig_virsh hb migrate --live --copy-storage-all b1 "$(rig_uri ha)"
        assert_running ha b1
        for ((i = 0; i < 50; i++)); do
                [ -e "$(rig_hostdir ha)/var-lib-migguard/guards/$(rig_virsh ha domuuid b1 | head -1).json" ] || break
                sleep 0.1
        done
        [ ! -e "$(rig_hostdir ha)/var-lib-migguard/guards/$(rig_virsh ha domuuid b1 | head -1).json" ]
        # and hb, which the guest left, now guards its definition
        run rig_virsh hb start b1
        [ "$status" -ne 0 ]
        [[ "$output" == *"b1 was migrated to ha (192.0.2.1)"* ]]
}

@test "migguardd stopped on the destination during the migration: on restart the guest is made persistent" {
        rig_guest_create ha d1 --disks "qcow2:128M:32"
        wait_facts ha d1
        rig_virsh ha migrate --live --copy-storage-all --bandwidth 8 d1 "$(rig_uri hb)" >/dev/null 2>&1 &
        mig=$!
        for ((i = 0; i < 100; i++)); do
                rig_virsh ha domjobinfo d1 2>/dev/null | grep -q 'Data processed' && break
                sleep 0.1
        done
        rig_daemon_stop hb
        wait $mig
        assert_running hb d1
        run persistent hb d1
        [ "$status" -ne 0 ]
        rig_daemon_start hb >/dev/null
        wait_persistent hb d1
        # the provisioned image was kept: the guest uses it
        assert_identical ha d1-vda.qcow2 hb d1-vda.qcow2
        assert_no_incoming_state hb
}

@test "migguardd down on the source when the guest left: guarded when it starts again" {
        rig_guest_create ha d2 --disks "qcow2:64M:2"
        wait_facts ha d2
        rig_daemon_stop ha
        migrate d2 --live --copy-storage-all
        rig_daemon_start ha >/dev/null
        for ((i = 0; i < 50; i++)); do
                rig_exec ha sh -c 'ls /var/lib/migguard/guards/*.json' >/dev/null 2>&1 && break
                sleep 0.1
        done
        run rig_virsh ha start d2
        [ "$status" -ne 0 ]
        [[ "$output" == *"d2 was migrated to another host (unknown)"* ]]
}

@test "--persistent-xml keeps libvirt's behaviour" {
        rig_guest_create ha px --disks "qcow2:64M:2"
        rig_virsh ha dumpxml --inactive --migratable px |
                sed 's|</name>|</name><title>from-persistent-xml</title>|' >"$(rig_hostdir ha)/xml/px-persist.xml"
        migrate px --live --copy-storage-all --persistent --persistent-xml "$(rig_hostdir ha)/xml/px-persist.xml"
        wait_persistent hb px
        rig_virsh hb dumpxml --inactive px | grep -q '<title>from-persistent-xml</title>'
}

@test "--p2p and --p2p --tunnelled: persistent on the destination, guarded on the source" {
        rig_guest_create ha t1 --disks "qcow2:64M:2"
        rig_guest_create ha t2 --disks "qcow2:64M:2"
        wait_facts ha t1
        wait_facts ha t2
        migrate t1 --live --p2p --copy-storage-all
        # libvirt 9.0 cannot copy storage through a tunnel ("argument key
        # 'host' must not have null value"): the disk is "shared" here
        cp --sparse=always "$(img ha t2-vda.qcow2)" "$(img hb t2-vda.qcow2)"
        migrate t2 --live --p2p --tunnelled --unsafe
        wait_persistent hb t1
        wait_persistent hb t2
        run rig_virsh ha start t1
        [ "$status" -ne 0 ]
        [[ "$output" == *"t1 was migrated to hb"* ]]
        run rig_virsh ha start t2
        [ "$status" -ne 0 ]
        [[ "$output" == *"t2 was migrated to "* ]]
}
