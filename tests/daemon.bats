#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# migguardd on real libvirt hosts: publishes disk facts, follows libvirtd
# restarts, tells systemd it is ready, rejects bad policy, single instance.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }

@test "publishes each running guest's disk facts in its live metadata" {
        rig_exec ha qemu-img create -q -f qcow2 -o cluster_size=16384,lazy_refcounts=on \
                /var/lib/libvirt/images/f-vdb.qcow2 77M
        rig_guest_create ha f --disks "raw:32M" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/images/f-vdb.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        wait_facts ha f
        xml=$(rig_virsh ha dumpxml f)
        echo "$xml" | grep -A4 '<metadata>'
        echo "$xml" | grep -q "target=\"vda\" format=\"raw\" virtual-size=\"33554432\""
        echo "$xml" | grep -q "target=\"vdb\" format=\"qcow2\" virtual-size=\"80740352\" cluster-size=\"16384\" compat=\"1.1\" lazy-refcounts=\"on\""
        # live only: the persistent definition is untouched
        [ "$(rig_virsh ha dumpxml --inactive f | grep -c 'urn:migguard:domain:1')" = 0 ]
}

@test "follows a libvirtd restart and publishes for guests started afterwards" {
        pid=$(rig_daemon_pid ha)
        rig_libvirtd_restart ha
        rig_guest_create ha after --disks "qcow2:16M"
        wait_facts ha after
        [ "$(rig_daemon_pid ha)" = "$pid" ]
        grep -q "Connection to libvirt lost" "$(rig_hostdir ha)/migguardd.log"
}

@test "provisioning still works after the destination's libvirtd restarted" {
        rig_libvirtd_restart hb
        rig_guest_create ha rs --disks "qcow2:64M:4"
        wait_facts ha rs
        migrate rs --live --copy-storage-all
        assert_running hb rs
        assert_identical ha rs-vda.qcow2 hb rs-vda.qcow2
        assert_no_incoming_state hb
}

@test "a slow prepare (another hook) spanning a reconciliation: no lock wait, the migration completes" {
        # libvirt holds the domain's lock while its prepare hooks run; a
        # reconciliation asking libvirt about that domain under the state
        # lock would make migguard's own prepare hook wait for it.
        hooks=$(rig_hostdir hb)/etc-libvirt/hooks/qemu.d
        printf '#!/bin/sh\ncat >/dev/null\n[ "$1 $2 $3" = "sp prepare begin" ] && sleep 7\nexit 0\n' >"$hooks/40-slow-prepare"
        chmod +x "$hooks/40-slow-prepare"
        rig_libvirtd_restart hb
        mg_wait_daemon hb
        rig_guest_create ha sp --disks "qcow2:64M:2"
        wait_facts ha sp
        start=$(date +%s)
        run migrate sp --live --copy-storage-all
        elapsed=$(($(date +%s) - start))
        rm -f "$hooks/40-slow-prepare"
        rig_libvirtd_restart hb
        echo "$output (${elapsed} s)"
        [ "$status" -eq 0 ]
        assert_running hb sp
        assert_no_incoming_state hb
        # the 7 s sleep, not the hook's 30 s lock wait
        [ "$elapsed" -lt 25 ]
}

@test "tells systemd READY=1 (sd_notify)" {
        requires python3
        rig_daemon_stop hb
        sock=$BATS_TEST_TMPDIR/notify.sock
        python3 - "$sock" >"$BATS_TEST_TMPDIR/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
while True:
    m = s.recv(4096).decode()
    print(m, flush=True)
    if "READY=1" in m:
        break
PY
        listener=$!
        for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
        RIG_DAEMON_ENV="NOTIFY_SOCKET=$sock" rig_daemon_start hb
        wait $listener
        grep -q READY=1 "$BATS_TEST_TMPDIR/notify.out"
}

@test "a second migguardd refuses to start" {
        run rig_exec ha "$(rig_migguardd_path)" --foreground
        [ "$status" -eq 1 ]
        [[ "$output" == *"Another migguardd is running"* ]]
}

@test "a bad policy stops migguardd with file and line" {
        rig_daemon_stop hb
        printf '[pinning]\ncpus = 3-1\n' >"$(rig_hostdir hb)/etc-migguard/policy.d/90-bad.conf"
        run rig_exec hb "$(rig_migguardd_path)" --foreground
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"/etc/migguard/policy.d/90-bad.conf:2: invalid CPU list '3-1'"* ]]
}

@test "valgrind: migguardd through a provisioning migration and a libvirtd restart, no errors, no leaks" {
        requires valgrind
        rig_daemon_stop hb
        wrapper=$BATS_TEST_TMPDIR/migguardd-valgrind
        printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=%s "%s" "$@"\n' \
                "$BATS_TEST_TMPDIR/vg.log" "$(rig_migguardd_path)" >"$wrapper"
        chmod +x "$wrapper"
        RIG_MIGGUARDD=$wrapper rig_daemon_start hb
        for ((i = 0; i < 300; i++)); do
                grep -q "migguardd started" "$(rig_hostdir hb)/migguardd.log" && break
                sleep 0.1
        done
        rig_guest_create ha vg --disks "qcow2:64M:4"
        wait_facts ha vg
        migrate vg --live --copy-storage-all
        assert_running hb vg
        for ((i = 0; i < 100; i++)); do
                grep -q "Published facts of 1 disk(s), .* of vg" "$(rig_hostdir hb)/migguardd.log" && break
                sleep 0.1
        done
        rig_libvirtd_restart hb
        sleep 2
        rig_daemon_stop hb
        cat "$BATS_TEST_TMPDIR/vg.log"
        [ ! -s "$BATS_TEST_TMPDIR/vg.log" ]
        grep -q "migguardd stopped" "$(rig_hostdir hb)/migguardd.log"
}
