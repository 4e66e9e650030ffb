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

# capability_names HEX: the names of the capability bits in HEX (capsh-free).
capability_names() {
        local v=$((16#$1)) n names=()
        local -A known=([1]=CAP_DAC_OVERRIDE [2]=CAP_DAC_READ_SEARCH [12]=CAP_NET_ADMIN [19]=CAP_SYS_PTRACE
                [21]=CAP_SYS_ADMIN [23]=CAP_SYS_NICE)
        for ((n = 0; n < 64; n++)); do
                if ((v & (1 << n))); then names+=("${known[$n]:-cap$n}"); fi
        done
        echo "${names[*]}"
}

@test "migguardd keeps only CAP_SYS_NICE, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, in every thread" {
        pid=$(rig_daemon_pid ha)
        want=0000000000800006 # bits 1, 2, 23
        n=0
        for st in /proc/"$pid"/task/*/status; do
                n=$((n + 1))
                for field in CapEff CapPrm CapBnd; do
                        got=$(awk -v f="$field:" '$1 == f { print $2 }' "$st")
                        echo "$st $field $got: $(capability_names "$got")"
                        [ "$got" = "$want" ]
                done
        done
        # the event loop and the publisher
        [ "$n" -ge 2 ]
        # and it still places migration threads and publishes facts
        rig_guest_create ha cap --disks "qcow2:16M"
        wait_facts ha cap
}

# notify_listen SOCKET OUT: a sd_notify listener writing each datagram as
# one line ('|' for newlines) to OUT; prints its PID.
notify_listen() {
        python3 - "$1" >"$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", "|"), flush=True)
PY
        echo $!
}

# wait_lines FILE PATTERN N: until FILE has N lines matching PATTERN.
wait_lines() {
        local i
        for ((i = 0; i < 100; i++)); do
                [ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
                sleep 0.1
        done
        echo "fewer than $3 lines matching '$2' in $1:" >&2
        cat "$1" >&2
        return 1
}

@test "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1; a broken policy keeps the old one and says so" {
        requires python3
        rig_daemon_stop hb
        sock=$BATS_TEST_TMPDIR/notify.sock out=$BATS_TEST_TMPDIR/notify.out
        listener=$(notify_listen "$sock" "$out")
        for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
        RIG_DAEMON_ENV="NOTIFY_SOCKET=$sock" rig_daemon_start hb
        pid=$(rig_daemon_pid hb)
        wait_lines "$out" 'READY=1' 1
        dropins=$(rig_hostdir hb)/etc-migguard/policy.d

        # a good policy: applied, announced as a reload
        printf '[persist]\nsource = keep\n' >"$dropins/50-keep.conf"
        kill -HUP "$pid"
        wait_lines "$out" 'READY=1' 2
        run grep -n 'RELOADING=1|MONOTONIC_USEC=[0-9][0-9]*$' "$out"
        [ "${#lines[@]}" -eq 1 ]
        [ "$(grep -n 'READY=1' "$out" | tail -n 1 | cut -d: -f1)" -gt "${lines[0]%%:*}" ]
        grep -q 'STATUS=Policy reloaded from' "$out"
        run MG hb status
        [[ "$output" == *"runs with the policy loaded at "* ]]

        # a broken one: the old policy stays, the failure is everywhere
        printf '[persist]\nsource = sometimes\n' >"$dropins/60-bad.conf"
        kill -HUP "$pid"
        wait_lines "$out" 'READY=1' 3
        [ "$(grep -c 'RELOADING=1' "$out")" -eq 2 ]
        grep -q "STATUS=Policy reload failed (/etc/migguard/policy.d/60-bad.conf:2: .*sometimes" "$out"
        grep -q "Policy reload failed, keeping the policy loaded before: /etc/migguard/policy.d/60-bad.conf:2" \
                "$(rig_hostdir hb)/migguardd.log"
        run MG hb status
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"policy reload FAILED at "*"/etc/migguard/policy.d/60-bad.conf:2:"* ]]
        [ "$(rig_daemon_pid hb)" = "$pid" ]

        # fixed: reloaded, status clean again
        rm -f "$dropins/60-bad.conf"
        kill -HUP "$pid"
        wait_lines "$out" 'READY=1' 4
        run MG hb status
        [[ "$output" != *"FAILED"* ]]
        kill "$listener"
}

@test "an unrelated virsh start never waits for migguard's state lock" {
        rig_guest_create ha plain --disks "qcow2:16M"
        rig_virsh ha destroy plain
        # another process holds the lock of incoming migrations for a minute
        rig_exec ha sh -c 'mkdir -p /run/migguard/incoming; exec 9>/run/migguard/incoming/.lock; flock 9;
                echo $$ >/run/migguard/holder.pid; exec sleep 60' &
        for ((i = 0; i < 100; i++)); do
                holder=$(rig_exec ha cat /run/migguard/holder.pid 2>/dev/null) && break
                sleep 0.05
        done
        start=$(date +%s)
        run rig_virsh ha start plain
        elapsed=$(($(date +%s) - start))
        kill "$holder"
        wait
        echo "$output (${elapsed} s)"
        [ "$status" -eq 0 ]
        [ "$elapsed" -lt 15 ]
        rig_guest_running ha plain
}
