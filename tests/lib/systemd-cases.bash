# SPDX-License-Identifier: LGPL-2.1-or-later
# The migrations the systemd suites run between two systemd hosts
# (tests/lib/systemd-host.bash), one function per capability, each a whole
# bats case: SRC migrates guest NAME to DST, whose address is ADDR.  The
# suites call them for 12 -> 12 (tests/systemd.bats) and across releases
# (tests/systemd-cross.bats).
#
#   sdh_case_provision SRC DST ADDR NAME DST_RECV
#       --copy-storage-all --persistent --parallel: the threads of both
#       QEMUs placed while it runs (DST_RECV: the names of the destination's
#       receiving threads), the image provisioned (qcow2, the source's
#       size), the guest persistent there, the source's definition guarded
#   sdh_case_abort SRC DST ADDR NAME
#       domjobabort during a throttled storage copy: the half-made image
#       on DST removed (the hook's cleanup message), NAME running on SRC
#   sdh_case_refused SRC DST ADDR NAME TEXT
#       the migration refused with one `migguard: refused:` line holding
#       TEXT; nothing of NAME left on DST
#   sdh_case_shared SRC DST ADDR NAME
#       NAME's disk on /var/lib/libvirt/images/shared, the same export on
#       both: migrates without a copy, nothing created on DST
#   sdh_case_converge_abort SRC DST ADDR NAME
#       a guest dirtying 20 MiB/s over an 8 MiB/s link: SRC's guard aborts
#       the migration, NAME keeps running on SRC
#   sdh_case_clean_journal HOST
#       no EPERM, SIGSYS, permission denial or read-only file system in
#       migguardd's journal, no restart, and no libvirtd error caused by
#       migguardd asking about an incoming migration

# the MESSAGE_IDs of lib/basic/log.h these cases look for
_SDH_MSGID_PINNED=4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41
_SDH_MSGID_CLEANED_UP=dcab1523d02a4a70930aed85c0a2a9bf

sdh_case_provision() {
        local src=$1 dst=$2 addr=$3 n=$4 recv=$5 rc=0 mig
        sdh_guest "$src" "$n"
        sdh_virsh "$src" migrate --live --persistent --copy-storage-all --parallel --parallel-connections 2 \
                --bandwidth 16 "$n" "qemu+tcp://$addr/system" >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
        # while it runs: the migration threads of both QEMUs allowed only
        # the housekeeping CPU, vCPU 0 still on CPU 0
        run sdh_wait_placed "$src" "$n" 'live_migration|mig/src/main|multifdsend_[0-9]+|mig/src/send_[0-9]+' 3
        echo "$output"
        [ "$status" -eq 0 ]
        run sdh_wait_placed "$dst" "$n" "$recv" 2
        echo "$output"
        [ "$status" -eq 0 ]
        wait "$mig" || rc=$?
        cat "$BATS_TEST_TMPDIR/mig.out"
        [ "$rc" -eq 0 ]
        [ "$(sdh_virsh "$dst" domstate "$n")" = running ]
        sdh_virsh "$dst" dominfo "$n" | grep -Eq '^Persistent: +yes'
        # provisioned by migguard: qcow2, the source's size
        run sdh_exec "$dst" qemu-img info -U --output=json "/var/lib/libvirt/images/$n.qcow2"
        echo "$output"
        [[ "$output" == *'"format": "qcow2"'* ]]
        [[ "$output" == *'"virtual-size": 67108864'* ]]
        sdh_journal "$dst" MIGGUARD_DOMAIN="$n" | grep -q "provisioned thin qcow2 image '/var/lib/libvirt/images/$n.qcow2'"
        # the definition left on the source cannot start
        run sdh_virsh "$src" start "$n"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: "* ]]
        # and migguardd says what it placed, on both sides
        sdh_exec "$src" journalctl --no-pager -o cat MESSAGE_ID=$_SDH_MSGID_PINNED MIGGUARD_DOMAIN="$n" |
                grep -q "Placed migration thread"
        sdh_exec "$dst" journalctl --no-pager -o cat MESSAGE_ID=$_SDH_MSGID_PINNED MIGGUARD_DOMAIN="$n" |
                grep -q "Placed migration thread"
}

sdh_case_abort() {
        local src=$1 dst=$2 addr=$3 n=$4 img=/var/lib/libvirt/images/$4.qcow2 rc=0 mig i
        sdh_guest "$src" "$n"
        sdh_virsh "$src" migrate --live --copy-storage-all --bandwidth 1 "$n" "qemu+tcp://$addr/system" \
                >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
        for ((i = 0; i < 100; i++)); do
                sdh_exec "$dst" test -e "$img" && break
                sleep 0.2
        done
        sdh_exec "$dst" test -e "$img"
        sleep 1
        sdh_virsh "$src" domjobabort "$n"
        wait "$mig" || rc=$?
        cat "$BATS_TEST_TMPDIR/mig.out"
        [ "$rc" -ne 0 ]
        for ((i = 0; i < 100; i++)); do
                sdh_exec "$dst" test -e "$img" || break
                sleep 0.2
        done
        sdh_journal "$dst" | tail -n 5
        run sdh_exec "$dst" test -e "$img"
        [ "$status" -ne 0 ]
        sdh_exec "$dst" journalctl --no-pager -o cat MESSAGE_ID=$_SDH_MSGID_CLEANED_UP | grep -qF "$img"
        [ "$(sdh_virsh "$src" domstate "$n")" = running ]
        run sdh_virsh "$dst" dominfo "$n"
        [ "$status" -ne 0 ]
}

sdh_case_refused() {
        local src=$1 dst=$2 addr=$3 n=$4 text=$5
        run sdh_virsh "$src" migrate --live --copy-storage-all "$n" "qemu+tcp://$addr/system"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: $text"* ]]
        [ "$(grep -c 'migguard: refused' <<<"$output")" -eq 1 ]
        [ "$(sdh_virsh "$src" domstate "$n")" = running ]
        run sdh_virsh "$dst" dominfo "$n"
        [ "$status" -ne 0 ]
        run sdh_exec "$dst" test -e "/var/lib/libvirt/images/$n.qcow2"
        [ "$status" -ne 0 ]
}

sdh_case_shared() {
        local src=$1 dst=$2 addr=$3 n=$4 before
        GUEST_DIR=/var/lib/libvirt/images/shared GUEST_CACHE=none sdh_guest "$src" "$n"
        sdh_wait_storage_facts "$src" "$n"
        before=$(sdh_exec "$dst" ls -A /var/lib/libvirt/images)
        run sdh_virsh "$src" migrate --live --persistent "$n" "qemu+tcp://$addr/system"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(sdh_virsh "$dst" domstate "$n")" = running ]
        [ "$(sdh_exec "$dst" ls -A /var/lib/libvirt/images)" = "$before" ]
        # no storage finding on either side
        run sdh_journal "$dst" MIGGUARD_DOMAIN="$n" MIGGUARD_CHECK=storage
        [ -z "$output" ]
}

sdh_case_converge_abort() {
        local src=$1 dst=$2 addr=$3 n=$4
        sdh_exec "$src" sh -c 'printf "[converge]\nmax-downtime = 300\nstall-seconds = 10\n" >/etc/migguard/policy.d/60-converge.conf'
        sdh_exec "$src" systemctl reload migguardd.service
        # on the shared export: the guard leaves storage copies alone
        GUEST_DIR=/var/lib/libvirt/images/shared GUEST_CACHE=none GUEST_MEM=256 GUEST_CMDLINE=mgrig.dirty=20,32,32 \
                sdh_guest "$src" "$n"
        run sdh_virsh "$src" migrate --live --bandwidth 8 "$n" "qemu+tcp://$addr/system"
        echo "$output"
        sdh_exec "$src" rm /etc/migguard/policy.d/60-converge.conf
        sdh_exec "$src" systemctl reload migguardd.service
        [ "$status" -ne 0 ]
        [[ "$output" == *"operation aborted"* ]]
        run sdh_journal "$src" MIGGUARD_DOMAIN="$n"
        echo "$output"
        [[ "$output" == *"Migration of $n aborted: it does not converge: stalled for "*" at max downtime 300 ms; it keeps running here"* ]]
        [ "$(sdh_virsh "$src" domstate "$n")" = running ]
        run sdh_virsh "$dst" dominfo "$n"
        [ "$status" -ne 0 ]
}

sdh_case_clean_journal() {
        local h=$1
        run sdh_exec "$h" journalctl --no-pager -o cat -u migguardd.service
        [[ "$output" != *EPERM* ]]
        [[ "$output" != *SIGSYS* ]]
        [[ "$output" != *"Permission denied"* ]]
        [[ "$output" != *"Operation not permitted"* ]]
        [[ "$output" != *"Read-only file system"* ]]
        [ "$(sdh_exec "$h" systemctl show -P NRestarts migguardd.service)" = 0 ]
        # the convergence guard and persistence do not ask about incoming
        # migrations, which would make libvirtd log an error each time
        run sdh_exec "$h" journalctl --no-pager -o short-monotonic -u libvirtd.service
        echo "$output" | grep -B1 "available only on the source host" || true
        [[ "$output" != *"available only on the source host"* ]]
}
