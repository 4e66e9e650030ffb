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

MG() { # HOST ARGS...: the CLI inside HOST
        local h=$1
        shift
        rig_exec "$h" "$(rig_migguard_path)" "$@"
}

# dirty_guest NAME RATE SET: a 256 MiB guest on ha dirtying SET MiB at RATE MiB/s
dirty_guest() {
        rig_guest_create ha "$1" --memory 256 --cmdline-extra "mgrig.dirty=$2,$3,96"
}

# job_ms HOST NAME: the completed migration's elapsed time as libvirt reports it
job_ms() {
        rig_virsh "$1" domjobinfo --completed "$2" | sed -n 's/^Time elapsed: *\([0-9]*\) *ms.*/\1/p'
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
}

@test "convergence: dirty rate above the bandwidth: check warns it will not converge, and the migration does not end; a migrating guest is not measured" {
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
        run rig_virsh ha domjobinfo cv2
        echo "$output"
        [[ "$output" == *"Outgoing migration"* ]]
        rig_virsh ha domjobabort cv2
        run wait "$mpid"
        [ "$status" -ne 0 ]
        cat "$BATS_TEST_TMPDIR/migrate.out"
        assert_running ha cv2
        assert_counter_advances ha cv2
        assert_no_domain hb cv2
}
