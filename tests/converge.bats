#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Migrations that end: `migguard check`'s convergence forecast against
# real migrations.  The guest (256 MiB, TCG) keeps 96 MiB of data and
# rewrites a working set at a rate it is given (mgrig.dirty on its kernel
# command line, tests/rig/make-initramfs.sh); the link is throttled with
# --bandwidth, and check is given the same bandwidth.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }

# dirty_guest NAME RATE SET [FILL]: a 256 MiB guest on ha dirtying SET MiB
# at RATE MiB/s, with FILL MiB (default 96) of data that stays; returns once
# the guest has written its data and rewrites at its rate (its console says
# so), so that a measurement sees that rate and not the filling
dirty_guest() {
        local i log
        rig_guest_create ha "$1" --memory 256 --cmdline-extra "mgrig.dirty=$2,$3,${4:-96}"
        log=$(rig_guest_serial_log ha "$1")
        for ((i = 0; i < 300; i++)); do
                grep -aq '^mgrig-dirty rate=' "$log" 2>/dev/null && return 0
                sleep 0.1
        done
        echo "guest $1 did not start dirtying its memory in 30 s" >&2
        return 1
}

# job_ms HOST NAME [FIELD]: a completed migration's figure in ms as libvirt
# reports it (default: the elapsed time)
job_ms() {
        rig_virsh "$1" domjobinfo --completed "$2" | sed -n "s/^${3:-Time elapsed}: *\([0-9]*\) *ms.*/\1/p"
}

# guard_policy TEXT: ha's [converge] policy, applied by restarting migguardd
guard_policy() {
        printf '[converge]\n%b' "$1" >"$(rig_hostdir ha)/etc-migguard/policy.d/50-test.conf"
        rig_daemon_stop ha
        rig_daemon_start ha >/dev/null
        mg_wait_daemon ha
}

# guard_log HOST NAME: the guard's decisions about NAME
guard_log() {
        decisions "$1" | grep '"check":"convergence"' | grep -F "\"$2\"" || true
}

@test "convergence: dirty rate well under the bandwidth: check says it converges, and the migration takes about that long" {
        dirty_guest cv1 2 16
        run MG ha check --bandwidth 16 cv1 "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 0 ]
        line=$(echo "$output" | grep -E '^ok +convergence ')
        [[ "$line" == *" against 16 MiB/s: converges in about "* ]]
        forecast=$(echo "$line" | sed -n 's/.*converges in about \([0-9]*\) s.*/\1/p')
        [ -n "$forecast" ]

        migrate cv1 --live --bandwidth 16
        actual=$(job_ms hb cv1)
        echo "# forecast ${forecast} s, libvirt's elapsed time ${actual} ms: $line" >&3
        [ -n "$actual" ]
        # within +-35 % of the real migration
        [ $((forecast * 1000 * 100)) -ge $((actual * 65)) ]
        [ $((forecast * 1000 * 100)) -le $((actual * 135)) ]
        assert_running hb cv1
        assert_counter_advances hb cv1
        # the guard left it alone
        [ -z "$(guard_log ha cv1)" ]
}

@test "convergence: dirty rate above the bandwidth: check warns it will not converge, and without the guard the migration does not end; a migrating guest is not measured" {
        guard_policy "guard = off\n"
        dirty_guest cv2 20 32
        run MG ha check --bandwidth 8 cv2 "$(rig_uri hb)"
        echo "$output"
        [ "$status" -eq 0 ]
        line=$(echo "$output" | grep -E '^warn +convergence ')
        [[ "$line" == *" against 8 MiB/s: will not converge; needs >= "*" s downtime (max 300 ms), or --auto-converge / --postcopy / a higher --bandwidth"* ]]
        [[ "$output" == *"cv2 -> $(rig_uri hb): ok (1 warning(s))"* ]]
        echo "# $line" >&3

        rig_virsh ha migrate --live --bandwidth 8 cv2 "$(rig_uri hb)" >"$BATS_TEST_TMPDIR/migrate.out" 2>&1 &
        mpid=$!
        sleep 10
        run MG ha check --bandwidth 8 cv2 "$(rig_uri hb)"
        echo "$output"
        verdict=$(echo "$output" | grep -E '^warn +convergence ')
        [[ "$verdict" == *"the guest is migrating now: its dirty rate is not measured then"* ]]

        # 60 s in all, and still migrating
        sleep 50
        run kill -0 "$mpid"
        [ "$status" -eq 0 ]
        run MG ha status
        echo "$output"
        # the rate as QEMU measures it: 8.0 MiB/s, at times 7.9
        [[ "$output" == *"migrations: cv2 outgoing: "*" MiB sent, "*" MiB left, "*" MiB/s, dirty "*": not converging"* ]]
        run rig_virsh ha domjobinfo cv2
        echo "$output"
        [[ "$output" == *"Outgoing migration"* ]]
        rig_virsh ha domjobabort cv2
        rc=0
        wait "$mpid" || rc=$?
        [ "$rc" -ne 0 ]
        cat "$BATS_TEST_TMPDIR/migrate.out"
        assert_running ha cv2
        assert_counter_advances ha cv2
        assert_no_domain hb cv2
}

@test "convergence guard: a stalled migration gets a higher max downtime and finishes" {
        guard_policy "max-downtime = 6000\nstall-seconds = 10\n"
        dirty_guest cv3 20 32 32
        rig_virsh ha migrate --live --bandwidth 8 cv3 "$(rig_uri hb)" >"$BATS_TEST_TMPDIR/migrate.out" 2>&1 &
        mpid=$!
        for ((i = 0; i < 100; i++)); do
                rig_virsh ha domjobinfo cv3 2>/dev/null | grep -q 'Outgoing migration' && break
                sleep 0.1
        done
        # migguard watch follows it to the end, the guard's step included
        run MG ha watch cv3
        echo "$output"
        [ "$status" -eq 0 ]
        watch=$output
        rc=0
        wait "$mpid" || rc=$?
        cat "$BATS_TEST_TMPDIR/migrate.out"
        [ "$rc" -eq 0 ]
        [[ "$watch" == "outgoing migration of cv3:"* ]]
        [[ "$watch" == *" MiB sent, "*", iteration 1, "*": first copy"* ]]
        [[ "$watch" == *"guard: Migration of cv3 stalled for "*"max downtime raised from 300 to "* ]]
        [[ "$watch" == *"migration of cv3 "* ]]
        assert_running hb cv3
        assert_counter_advances hb cv3
        log=$(guard_log ha cv3)
        echo "$log"
        [[ "$log" == *"Migration of cv3 stalled for "*" s at iteration "*": max downtime raised from 300 to "*" ms ([converge] max-downtime 6000)"* ]]
        downtime=$(job_ms hb cv3 "Total downtime")
        echo "# guard: $(echo "$log" | sed -n 's/.*"message":"\([^"]*\)".*/\1/p' | head -n 3); downtime ${downtime} ms" >&3
        # at most max-downtime, and 1 s for QEMU's estimate of a TCG guest
        [ -n "$downtime" ]
        [ "$downtime" -le 7000 ]
}

@test "convergence guard: action = abort: a migration that still stalls at max-downtime is aborted, the guest keeps running here" {
        guard_policy "max-downtime = 300\nstall-seconds = 10\n"
        dirty_guest cv4 20 32 32
        run migrate cv4 --live --bandwidth 8
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"operation aborted"* ]]
        log=$(guard_log ha cv4)
        echo "$log"
        [[ "$log" == *"Migration of cv4 aborted: it does not converge: stalled for "*" at max downtime 300 ms; it keeps running here. Retry with --auto-converge or --postcopy"* ]]
        assert_running ha cv4
        assert_counter_advances ha cv4
        assert_no_domain hb cv4
}

@test "convergence guard: with --postcopy, a stalled migration switches to post-copy and finishes" {
        guard_policy "max-downtime = 300\nstall-seconds = 10\n"
        dirty_guest cv5 20 32 32
        run migrate cv5 --live --postcopy --bandwidth 8
        echo "$output"
        if [ "$status" -ne 0 ] && [[ "$output" == *"ostcopy is not supported"* || "$output" == *"userfaultfd"* ]]; then
                assert_running ha cv5
                assert_no_domain hb cv5
                skip "QEMU refuses post-copy here: $(echo "$output" | grep -m1 error)"
        fi
        [ "$status" -eq 0 ]
        log=$(guard_log ha cv5)
        [[ "$log" == *"switched to post-copy"* ]]
        assert_running hb cv5
        assert_counter_advances hb cv5
}

@test "convergence guard: a migration the admin aborts, a storage copy and a p2p migration are left alone" {
        guard_policy "stall-seconds = 5\n"
        # the admin aborts a migration that does not converge, before the guard would act
        dirty_guest cv6 20 32 32
        rig_virsh ha migrate --live --bandwidth 8 cv6 "$(rig_uri hb)" >/dev/null 2>&1 &
        mpid=$!
        sleep 8
        rig_virsh ha domjobabort cv6
        rc=0
        wait "$mpid" || rc=$?
        [ "$rc" -ne 0 ]
        assert_running ha cv6
        assert_no_domain hb cv6
        [ -z "$(guard_log ha cv6)" ]

        # storage copy, peer to peer: converge by themselves, untouched
        rig_guest_create ha cv7 --disks "qcow2:64M:8"
        wait_facts ha cv7
        migrate cv7 --live --p2p --copy-storage-all --bandwidth 16
        assert_running hb cv7
        assert_counter_advances hb cv7
        [ -z "$(guard_log ha cv7)" ]
}
