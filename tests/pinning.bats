#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Migration threads on housekeeping CPUs, on both hosts, during a real
# throttled multifd migration.  The rig's daemons live in their own network
# namespaces, so this exercises the /proc scanning path.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }

# threads HOST NAME: "tid comm<TAB>Cpus_allowed_list" for each QEMU thread of NAME
threads() {
        rig_exec "$1" sh -c '
                pid=$(cat /run/libvirt/qemu/'"$2"'.pid) || exit 1
                for t in /proc/$pid/task/*; do
                        printf "%s\t%s\n" "$(cat $t/comm)" "$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" $t/status)"
                done' 2>/dev/null
}

# wait_threads HOST NAME REGEX: until a thread whose name matches shows up
wait_threads() {
        local i
        for ((i = 0; i < 200; i++)); do
                threads "$1" "$2" | grep -qE "$3" && return 0
                sleep 0.1
        done
        echo "no thread matching '$3' in $2 on $1" >&2
        threads "$1" "$2" >&2
        return 1
}

@test "migration threads run on housekeeping CPUs on both hosts; the vCPU stays on its pin" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        rig_guest_create ha pin1 --memory 256 --xml-extra "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>"
        rig_virsh ha migrate --live --parallel --parallel-connections 2 --bandwidth 2 pin1 "$(rig_uri hb)" \
                >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
        wait_threads ha pin1 '^(live_migration|mig/src/main)'
        wait_threads ha pin1 '^(multifdsend_|mig/src/send_)'
        wait_threads hb pin1 '^(multifdrecv_|mig/dst/recv_)'
        sleep 0.5 # at most a 20 ms scan away
        src=$(threads ha pin1) dst=$(threads hb pin1)
        echo "source:"; echo "$src"; echo "destination:"; echo "$dst"
        # every migration thread on CPU 1 only; the vCPU thread on CPU 0
        [ -z "$(echo "$src" | grep -E '^(live_migration|return path|multifdsend_|mig/)' | grep -v $'\t1$')" ]
        [ -z "$(echo "$dst" | grep -E '^(multifdrecv_|mig/|postcopy)' | grep -v $'\t1$')" ]
        echo "$src" | grep -qE $'^(live_migration|mig/src/main)\t1$'
        echo "$src" | grep -qE $'^CPU 0/TCG\t0$'
        rig_virsh ha domjobabort pin1
        wait $mig || true
        assert_running ha pin1
        # after the abort: the vCPU pin untouched, no migration thread left
        threads ha pin1 | grep -qE $'^CPU 0/TCG\t0$'
        [ -z "$(threads ha pin1 | grep -E '^(live_migration|multifd|mig/)')" ]
        decisions ha | grep -q '"message_id":"4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41"'
}

@test "compressed migration (mt): compress threads on the source and decompress threads on the destination run on housekeeping CPUs" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        # QEMU 9.1 removed mt compression: only between two QEMU 7.2 - 9.0 hosts
        if mixed_releases; then skip "mt compression needs QEMU < 9.1 on both hosts"; fi
        rig_guest_create ha pinc --memory 256 --xml-extra "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>"
        rig_virsh ha migrate --live --compressed --comp-methods mt --comp-mt-threads 2 --comp-mt-dthreads 2 \
                --bandwidth 2 pinc "$(rig_uri hb)" >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
        wait_threads ha pinc $'^compress\t'
        wait_threads hb pinc $'^decompress\t'
        sleep 0.5 # at most a 20 ms scan away
        src=$(threads ha pinc) dst=$(threads hb pinc)
        echo "source:"; echo "$src"; echo "destination:"; echo "$dst"
        [ "$(echo "$src" | grep -c $'^compress\t')" -eq 2 ]
        [ "$(echo "$dst" | grep -c $'^decompress\t')" -eq 2 ]
        [ -z "$(echo "$src" | grep -E '^(live_migration|compress)' | grep -v $'\t1$')" ]
        # the destination's decompress threads are made by its main loop and
        # inherit nothing: placed by name
        [ -z "$(echo "$dst" | grep -E '^decompress' | grep -v $'\t1$')" ]
        echo "$src" | grep -qE $'^CPU 0/TCG\t0$'
        rig_virsh ha domjobabort pinc
        wait $mig || true
        assert_running ha pinc
}

@test "cpus = auto with every CPU carrying a vCPU pin: threads left alone, with a warning" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        rig_guest_create ha pin2 --vcpus 2 --memory 256 \
                --xml-extra "<cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/></cputune>"
        rig_virsh ha migrate --live --bandwidth 2 pin2 "$(rig_uri hb)" >/dev/null 2>&1 &
        mig=$!
        wait_threads ha pin2 '^(live_migration|mig/src/main)'
        sleep 0.5
        threads ha pin2 | grep -E '^(live_migration|mig/src/main)' | grep -q $'\t0-1$'
        rig_virsh ha domjobabort pin2
        wait $mig || true
        decisions ha | grep -q 'No housekeeping CPU left'
}

@test "emulatorpin confines the emulator to the vCPU's CPU: threads left there, the cgroup named" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        rig_guest_create ha pin3 --memory 256 \
                --xml-extra "<cputune><vcpupin vcpu='0' cpuset='0'/><emulatorpin cpuset='0'/></cputune>"
        rig_virsh ha migrate --live --bandwidth 2 pin3 "$(rig_uri hb)" >/dev/null 2>&1 &
        mig=$!
        wait_threads ha pin3 '^(live_migration|mig/src/main)'
        sleep 0.5
        threads ha pin3 | grep -E '^(live_migration|mig/src/main)' | grep -q $'\t0$'
        rig_virsh ha domjobabort pin3
        wait $mig || true
        decisions ha | grep "Cannot place migration thread" | grep -q 'its cpuset cgroup .*emulator'
}

@test "an invalid [pinning] cpus list is refused when the policy loads" {
        printf '[pinning]\ncpus = 1-0\n' >"$(rig_hostdir ha)/etc-migguard/policy.d/60-bad.conf"
        run rig_exec ha "$(rig_migguard_path)" policy check
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"60-bad.conf:2: invalid CPU list '1-0'"* ]]
        rm "$(rig_hostdir ha)/etc-migguard/policy.d/60-bad.conf"
}
