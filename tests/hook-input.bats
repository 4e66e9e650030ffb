#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook's contract with libvirt and its handling of hostile input, run
# directly (as libvirt runs it: argv, XML on stdin, cleared environment),
# plain and under valgrind.

load helpers

setup() {
        HOOK=$MIGGUARD_DESTDIR/usr/libexec/migguard/migguard-hook
        [ -x "$HOOK" ]
        RUN=$BATS_TEST_TMPDIR/run CONF=$BATS_TEST_TMPDIR/etc/migguard.conf
        IMGDIR=$BATS_TEST_TMPDIR/images
        mkdir -p "$RUN" "$BATS_TEST_TMPDIR/etc" "$IMGDIR"
        printf '[provision]\nallowed-dirs = %s\n[cpu]\ncheck = off\nvcpus-over-cores = off\n[network]\ncheck = off\n' "$IMGDIR" >"$CONF"
}

# hook OP SUBOP < xml: run like libvirt does (env cleared but for our test dirs).
hook() {
        env -i MIGGUARD_RUN_DIR="$RUN" MIGGUARD_STATE_DIR="$RUN" MIGGUARD_CONFIG="$CONF" ${WRAP:-} "$HOOK" guest "$1" "$2" -
}

domain() { # extra disk XML
        cat <<EOF2
<domain type='qemu'><name>guest</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$IMGDIR/g.qcow2'/><target dev='vda'/></disk>$1</devices></domain>
EOF2
}

assert_nothing_created() {
        [ -z "$(ls -A "$IMGDIR")" ]
        [ -z "$(ls -A "$RUN/incoming" 2>/dev/null | grep -v '^.lock$')" ]
}

@test "unhandled operations exit 0 at once and print nothing, reconnect included" {
        for op in "reconnect begin" "start begin" "started begin" "stopped end" "attach begin" "restore begin"; do
                run bash -c "echo garbage | env -i '$HOOK' guest $op -"
                [ "$status" -eq 0 ]
                [ -z "$output" ]
        done
}

@test "malformed XML at migrate begin: clear one-line refusal, no file" {
        run hook migrate begin <<<"<domain><name>x</name"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == "migguard: refused: malformed domain XML (line "* ]]
        [ "$(echo "$output" | wc -l)" -eq 1 ]
        assert_nothing_created
}

@test "truncated XML: refused" {
        domain "" | head -c 150 >"$BATS_TEST_TMPDIR/t.xml"
        run hook migrate begin <"$BATS_TEST_TMPDIR/t.xml"
        [ "$status" -eq 1 ]
        [[ "$output" == "migguard: refused: malformed domain XML"* ]]
        assert_nothing_created
}

@test "oversized XML (> 16 MiB): refused without reading it all" {
        { domain "" | head -c 100; head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' '; } >"$BATS_TEST_TMPDIR/big.xml"
        run hook migrate begin <"$BATS_TEST_TMPDIR/big.xml"
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$output" = "migguard: refused: domain XML larger than 16 MiB" ]
        assert_nothing_created
}

@test "entity expansion and external entities (XXE) are refused" {
        cat >"$BATS_TEST_TMPDIR/xxe.xml" <<'EOF2'
<?xml version="1.0"?>
<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/shadow"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<domain type='qemu'><name>&x;&b;</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid></domain>
EOF2
        run hook migrate begin <"$BATS_TEST_TMPDIR/xxe.xml"
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$output" = "migguard: refused: domain XML must not contain a DOCTYPE" ]
        assert_nothing_created
}

@test "not a domain, no uuid, hostile uuid: refused" {
        run hook migrate begin <<<"<network><name>x</name></network>"
        [ "$status" -eq 1 ]
        [[ "$output" == *"root element is not <domain>"* ]]
        run hook migrate begin <<<"<domain><name>x</name><uuid>../../etc/passwd</uuid></domain>"
        [ "$status" -eq 1 ]
        [[ "$output" == *"no valid <uuid>"* ]]
        assert_nothing_created
}

@test "hostile disk paths are refused, each on its own line, nothing created" {
        ln -s /etc "$IMGDIR/link"
        domain "<disk type='file' device='disk'><driver type='qcow2'/><source file='$IMGDIR/../escape.qcow2'/><target dev='vdb'/></disk>
<disk type='file' device='disk'><driver type='qcow2'/><source file='$IMGDIR/link/x.qcow2'/><target dev='vdc'/></disk>
<disk type='file' device='disk'><driver type='qcow2'/><source file='/tmp/elsewhere.qcow2'/><target dev='vdd'/></disk>
<disk type='file' device='disk'><driver type='qcow2'/><source file='relative.qcow2'/><target dev='vde'/></disk>
<disk type='file' device='disk'><driver type='vmdk'/><source file='$IMGDIR/v.vmdk'/><target dev='vdf'/></disk>" >"$BATS_TEST_TMPDIR/h.xml"
        run hook migrate begin <"$BATS_TEST_TMPDIR/h.xml"
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(echo "$output" | grep -c '^migguard: refused: disk ')" -eq 5 ]
        [[ "$output" == *"disk vdb: path '$IMGDIR/../escape.qcow2' is not a plain absolute path"* ]]
        [[ "$output" == *"disk vdc: path '$IMGDIR/link/x.qcow2' goes through a symlink"* ]]
        [[ "$output" == *"disk vdd: image '/tmp/elsewhere.qcow2' is missing and outside [provision] allowed-dirs"* ]]
        [[ "$output" == *"disk vde: path 'relative.qcow2' is not a plain absolute path"* ]]
        [[ "$output" == *"disk vdf: cannot provision image format 'vmdk'"* ]]
        rm "$IMGDIR/link"
        assert_nothing_created
}

@test "policy errors name file and line and refuse the migration" {
        printf '[provision]\nallowed-dirs = %s\n[cpu]\nchek = enforce\n' "$IMGDIR" >"$CONF"
        run hook migrate begin < <(domain "")
        echo "$output"
        [ "$status" -eq 1 ]
        grep -qx "migguard: $CONF:4: unknown key 'chek'" <<<"$output"
}

@test "missing image but migguardd not running: refused with instructions" {
        run hook migrate begin < <(domain "")
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"migguardd is not running here; start it (systemctl start migguardd) and retry"* ]]
        assert_nothing_created
}

@test "prepare and release for a domain migguard knows nothing about: exit 0, silent" {
        run bash -c "$(declare -f domain); IMGDIR=$IMGDIR domain '' | env -i MIGGUARD_RUN_DIR=$RUN MIGGUARD_CONFIG=$CONF $HOOK guest prepare begin -"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run bash -c "echo '<broken' | env -i MIGGUARD_RUN_DIR=$RUN $HOOK guest release end -"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

# hold_state_lock: another process holds the lock of incoming migrations
# (as a stuck migration's hook would); prints its PID.
hold_state_lock() {
        mkdir -p "$RUN/incoming"
        # not holding our stdout: the caller's $(...) would wait for it
        (
                exec 9>"$RUN/incoming/.lock"
                flock 9
                exec sleep 60
        ) >/dev/null 2>&1 &
        local pid=$! i
        for ((i = 0; i < 100; i++)); do
                flock -n "$RUN/incoming/.lock" true 2>/dev/null || break
                sleep 0.05
        done
        flock -n "$RUN/incoming/.lock" true 2>/dev/null && return 1 # never taken
        echo "$pid"
}

@test "prepare and release of a domain with no record never wait for the state lock, even while it is held" {
        holder=$(hold_state_lock)
        start=$(date +%s%N)
        run hook prepare begin < <(domain "")
        prepare_status=$status prepare_output=$output
        run hook release end < <(domain "")
        elapsed_ms=$((($(date +%s%N) - start) / 1000000))
        kill "$holder"
        wait "$holder" 2>/dev/null || true
        echo "prepare: $prepare_status '$prepare_output'; release: $status '$output'; ${elapsed_ms} ms"
        [ "$prepare_status" -eq 0 ]
        [ -z "$prepare_output" ]
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ "$elapsed_ms" -lt 2000 ]
}

@test "prepare of a domain with a record does wait for the lock: it has work to do" {
        # a record from migrate begin, then a lock nobody releases (the
        # message at the hook's deadline is checked by tests/unit/test-incoming)
        mkdir -p "$RUN/incoming"
        printf '{"uuid":"0f0e0d0c-0b0a-0908-0706-050403020100","name":"guest","begin-usec":%s,"phase":"planned","disks":[]}' \
                "$(($(date +%s) * 1000000))" >"$RUN/incoming/0f0e0d0c-0b0a-0908-0706-050403020100.json"
        holder=$(hold_state_lock)
        run timeout 3 env -i MIGGUARD_RUN_DIR="$RUN" MIGGUARD_STATE_DIR="$RUN" MIGGUARD_CONFIG="$CONF" \
                "$HOOK" guest prepare begin - < <(domain "")
        kill "$holder"
        wait "$holder" 2>/dev/null || true
        # still waiting when cut off: it would have waited for the lock
        [ "$status" -eq 124 ]
}

@test "valgrind: every input above, no errors, no leaks" {
        requires valgrind
        WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
        for input in "<domain" "$(domain '')" "<network/>" \
                "$(domain "<disk type='file' device='disk'><driver type='qcow2'/><source file='/x/../y'/><target dev='vdb'/></disk>")"; do
                run hook migrate begin <<<"$input"
                echo "$output"
                [ "$status" -eq 1 ]
                [[ "$output" != *"=="* ]]
        done
        run hook prepare begin <<<"$(domain '')"
        [ "$status" -eq 0 ]
}

@test "parity checks cannot reach libvirt: refused with the reason, nothing created" {
        printf '[provision]\nallowed-dirs = %s\n' "$IMGDIR" >"$CONF"
        run env -i MIGGUARD_RUN_DIR="$RUN" MIGGUARD_STATE_DIR="$RUN" MIGGUARD_CONFIG="$CONF" \
                MIGGUARD_CONNECT_URI="qemu+unix:///system?socket=$BATS_TEST_TMPDIR/no-such-socket" \
                "$HOOK" guest migrate begin - <<<"$(domain '')"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"migguard: cannot check CPU, network and storage parity: cannot connect to libvirt to check CPU and networks"* ]]
        assert_nothing_created
}
