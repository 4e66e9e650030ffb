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

# watch_threads HOST NAME OUT: every 20 ms, until OUT.stop exists or NAME's
# QEMU on HOST is gone, one line per thread of it: "tid comm allowed state
# cpu" (tab-separated; cpu: where it runs or last ran).  Waits up to 20 s
# for the QEMU (on a destination it starts with the migration).  Builtins
# only, so that the watcher itself hardly loads the 2 CPUs.
watch_threads() {
        local h=$1 name=$2 out=$3 pid="" i t comm allowed k v st
        for ((i = 0; i < 400; i++)); do
                pid=$(rig_exec "$h" cat "/run/libvirt/qemu/$name.pid" 2>/dev/null) && [ -n "$pid" ] && break
                pid=""
                sleep 0.05
        done
        [ -n "$pid" ] || { echo "no QEMU for $name on $h" >"$out"; return 1; }
        while [ ! -e "$out.stop" ] && [ -d "/proc/$pid" ]; do
                for t in /proc/"$pid"/task/*; do
                        { read -r comm <"$t/comm" && read -r st <"$t/stat"; } 2>/dev/null || continue
                        allowed=
                        while read -r k v; do
                                if [ "$k" = Cpus_allowed_list: ]; then
                                        allowed=$v
                                        break
                                fi
                        done <"$t/status" 2>/dev/null
                        [ -n "$allowed" ] || continue # the thread ended meanwhile
                        # fields after the ")" closing comm: state is field 3, processor 39
                        read -r -a f <<<"${st##*) }"
                        printf '%s\t%s\t%s\t%s\t%s\n' "${t##*/}" "$comm" "$allowed" "${f[0]}" "${f[36]}"
                done
                sleep 0.02
        done >"$out"
}

# start_watch NAME: watchers on ha (source) and hb (destination)
start_watch() {
        watch_threads ha "$1" "$BATS_TEST_TMPDIR/src.w" &
        wsrc=$!
        watch_threads hb "$1" "$BATS_TEST_TMPDIR/dst.w" &
        wdst=$!
}

stop_watch() {
        touch "$BATS_TEST_TMPDIR/src.w.stop" "$BATS_TEST_TMPDIR/dst.w.stop"
        wait "$wsrc" "$wdst" || true
}

# wait_seen SIDE REGEX: until the watcher of SIDE (src, dst) saw a thread so named
wait_seen() {
        local i
        for ((i = 0; i < 300; i++)); do
                grep -qE $'^[0-9]+\t('"$2"$')\t' "$BATS_TEST_TMPDIR/$1.w" 2>/dev/null && return 0
                sleep 0.1
        done
        echo "no thread matching '$2' seen on the $1 side" >&2
        return 1
}

# placed SIDE REGEX MIN: at least MIN threads whose whole name matches REGEX
# were seen on SIDE; each ended allowed only on the housekeeping CPUs (all
# but CPU 0, the vCPU's), and once there it stayed so and never ran on
# CPU 0 (the samples before its pin are the unpinned window: counted, not
# failed).
placed() {
        local hk=1
        [ "$(nproc)" -le 2 ] || hk="1-$(($(nproc) - 1))"
        awk -F'\t' -v re="^($2)$" -v min="$3" -v side="$1" -v hk="$hk" '
        $2 ~ re {
                seen[$1] = $2; last[$1] = $3; n[$1]++
                if ($3 == hk) pinned[$1] = 1
                else if (pinned[$1]) bad = bad sprintf("\n  %s (%s) allowed %s after its pin", $2, $1, $3)
                else before[$1]++
                if (pinned[$1] && $4 == "R" && $5 == "0") bad = bad sprintf("\n  %s (%s) ran on CPU %s after its pin", $2, $1, $5)
        }
        END {
                k = 0
                for (t in seen) {
                        k++
                        printf "%s: %s (%s) %d samples, %d before its pin, last allowed %s\n", side, seen[t], t, n[t], before[t], last[t]
                        if (last[t] != hk) bad = bad sprintf("\n  %s (%s) last allowed %s", seen[t], t, last[t])
                }
                if (k < min) bad = bad sprintf("\n  %d threads matching %s, expected at least %d", k, re, min)
                if (bad != "") { print side ":" bad; exit 1 }
        }' "$BATS_TEST_TMPDIR/$1.w"
}

# untouched SIDE REGEX ALLOWED: every sample of a thread so named allowed ALLOWED
untouched() {
        awk -F'\t' -v re="^($2)$" -v want="$3" -v side="$1" '
        $2 ~ re { k++; if ($3 != want) { printf "%s: %s (%s) allowed %s, not %s\n", side, $2, $1, $3, want; bad = 1 } }
        END { if (!k) { printf "%s: no thread matching %s\n", side, re; exit 1 } exit bad }' "$BATS_TEST_TMPDIR/$1.w"
}

# migrate_watched NAME ARGS...: a throttled migration of NAME (vCPU pinned
# to CPU 0) with ARGS, watched on both sides; returns once it runs.
migrate_watched() {
        local name=$1
        shift
        rig_guest_create ha "$name" --memory 256 --xml-extra "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>"
        start_watch "$name"
        rig_virsh ha migrate --live "$@" --bandwidth 2 "$name" "$(rig_uri hb)" >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
}

# end_watched NAME: abort the migration, stop the watchers; NAME runs on ha
end_watched() {
        sleep 1.5 # a few scans with every thread alive
        rig_virsh ha domjobabort "$1" || true
        wait "$mig" || true
        stop_watch
        cat "$BATS_TEST_TMPDIR/mig.out"
        assert_running ha "$1"
}

# The names below are QEMU 7.2 - 9.0's and 9.1+'s (pinning/migration-thread.c).
SRC_MAIN='live_migration|mig/src/main'
SRC_SEND='multifdsend_[0-9]+|mig/src/send_[0-9]+'
DST_RECV='multifdrecv_[0-9]+|mig/dst/recv_[0-9]+'

@test "multifd (--parallel): every migration thread on both hosts stays on housekeeping CPUs; vCPU and main loop untouched" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        migrate_watched pin1 --parallel --parallel-connections 2
        wait_seen src "$SRC_SEND"
        wait_seen dst "$DST_RECV"
        end_watched pin1
        placed src "$SRC_MAIN" 1
        placed src "$SRC_SEND" 2
        placed dst "$DST_RECV" 2
        untouched src 'CPU 0/TCG|CPU 0/KVM' 0
        untouched src 'qemu-system-x86' "0-$(($(nproc) - 1))"
        decisions ha | grep -q '"message_id":"4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41"'
        # after the abort: the vCPU pin untouched, no migration thread left
        threads ha pin1 | grep -qE $'^CPU 0/(TCG|KVM)\t0$'
        [ -z "$(threads ha pin1 | grep -E '^(live_migration|multifd|mig/)')" ]
}

@test "compressed migration (mt): compress threads on the source, decompress threads on the destination on housekeeping CPUs" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        # QEMU 9.1 removed mt compression: only between two QEMU 7.2 - 9.0 hosts
        if mixed_releases; then skip "mt compression needs QEMU < 9.1 on both hosts"; fi
        migrate_watched pinc --compressed --comp-methods mt --comp-mt-threads 2 --comp-mt-dthreads 2
        wait_seen src compress
        wait_seen dst decompress
        end_watched pinc
        placed src "$SRC_MAIN" 1
        placed src compress 2
        # made by the destination's main loop, so they inherit nothing: placed by name
        placed dst decompress 2
        untouched src 'CPU 0/TCG|CPU 0/KVM' 0
}

@test "compressed migration (xbzrle): the encoding source thread on housekeeping CPUs; the destination decodes in its main loop, left alone" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        migrate_watched pinx --compressed --comp-methods xbzrle
        wait_seen src "$SRC_MAIN"
        sleep 2 # into the dirty rounds, where xbzrle encodes
        end_watched pinx
        placed src "$SRC_MAIN" 1
        untouched src 'CPU 0/TCG|CPU 0/KVM' 0
        untouched dst 'qemu-system-x86' "0-$(($(nproc) - 1))"
}

@test "TLS (--tls --parallel): the encrypting threads on both hosts on housekeeping CPUs" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        migrate_watched pint --tls --parallel --parallel-connections 2
        wait_seen src "$SRC_SEND" || { cat "$BATS_TEST_TMPDIR/mig.out"; false; }
        wait_seen dst "$DST_RECV"
        end_watched pint
        placed src "$SRC_MAIN" 1
        placed src "$SRC_SEND" 2
        placed dst "$DST_RECV" 2
        # QEMU 9.1+ names the multifd TLS handshake thread; before, it has no name
        placed src 'mig/src/tls' 0
        untouched src 'CPU 0/TCG|CPU 0/KVM' 0
}

@test "multifd with zstd compression (--parallel --compressed, libvirt >= 9.4): the compressing threads on housekeeping CPUs" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        if mixed_releases; then skip "multifd compression needs libvirt >= 9.4 on both hosts (Debian 12 has 9.0)"; fi
        migrate_watched pinz --parallel --parallel-connections 2 --compressed --comp-methods zstd
        # running (a send thread shows up), or refused by a libvirt
        for ((i = 0; i < 300; i++)); do
                kill -0 "$mig" 2>/dev/null || break
                grep -qE $'^[0-9]+\t('"$SRC_SEND"$')\t' "$BATS_TEST_TMPDIR/src.w" 2>/dev/null && break
                sleep 0.1
        done
        if ! kill -0 "$mig" 2>/dev/null; then
                wait "$mig" || true
                stop_watch
                cat "$BATS_TEST_TMPDIR/mig.out"
                assert_running ha pinz
                # libvirt 9.0 (Debian 12) has no multifd compression
                grep -qiE "unsupported|not supported|invalid compression|unknown compression" "$BATS_TEST_TMPDIR/mig.out"
                skip "libvirt here: $(grep -m1 -o 'error: .*' "$BATS_TEST_TMPDIR/mig.out")"
        fi
        wait_seen src "$SRC_SEND"
        wait_seen dst "$DST_RECV"
        end_watched pinz
        placed src "$SRC_MAIN" 1
        placed src "$SRC_SEND" 2
        placed dst "$DST_RECV" 2
        untouched src 'CPU 0/TCG|CPU 0/KVM' 0
}

@test "post-copy: the destination's fault and listen threads on housekeeping CPUs" {
        [ "$(nproc)" -ge 2 ] || requires two-cpus
        migrate_watched pinp --postcopy
        sleep 2
        run rig_virsh ha migrate-postcopy pinp
        if [ "$status" -ne 0 ]; then
                rig_virsh ha domjobabort pinp || true
                wait "$mig" || true
                stop_watch
                why="$output $(cat "$BATS_TEST_TMPDIR/mig.out")"
                echo "$why"
                assert_running ha pinp
                # QEMU 7.2 here: the destination refuses post-copy (no usable
                # userfaultfd), and the source's migration carries on without it
                [[ "$why" == *"ostcopy is not supported"* || "$why" == *userfaultfd* ||
                        "$why" == *"Enable postcopy with migrate_set_capability"* ]]
                skip "QEMU refuses post-copy here: $(echo "$why" | grep -o "'migrate-set-capabilities': .*" | head -n 1)"
        fi
        wait_seen dst 'fault-default|postcopy/listen|mig/dst/fault|mig/dst/listen'
        wait "$mig"
        stop_watch
        placed dst 'fault-default|mig/dst/fault' 1
        placed dst 'postcopy/listen|mig/dst/listen' 1
        assert_running hb pinp
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
