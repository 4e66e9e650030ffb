#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# CPU, vCPU and network-segment parity, checked on the destination at
# `migrate begin`, before any data moves, with real libvirt hosts.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }
teardown() { net_cleanup; rig_exec hb sh -c 'umount /dev/kvm 2>/dev/null; true'; }

IMG=/var/lib/libvirt/images

# Devices made by these tests are named brp* (bridges) and mgj* (veths).
net_cleanup() {
        local h l
        for h in ha hb; do
                for l in $(rig_exec $h ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E '^(brp|mgj)'); do
                        rig_exec $h ip link del "$l" 2>/dev/null || true
                done
                for l in $(rig_virsh $h net-list --all --name); do
                        rig_virsh $h net-destroy "$l" >/dev/null 2>&1 || true
                        rig_virsh $h net-undefine "$l" >/dev/null 2>&1 || true
                done
        done
}

mkbridge() { # HOST NAME [CIDR]
        rig_exec "$1" ip link add "$2" type bridge
        rig_exec "$1" ip link set "$2" up
        [ -z "${3:-}" ] || rig_exec "$1" ip addr add "$3" dev "$2"
}

# join NAME: one veth from ha's bridge NAME to hb's bridge NAME (one segment)
join() {
        ip -n mg-ha link add "mgj$1" type veth peer name "mgj$1" netns mg-hb
        ip -n mg-ha link set "mgj$1" master "$1" up
        ip -n mg-hb link set "mgj$1" master "$1" up
}

policy() { # HOST TEXT: a drop-in read by the next hook run
        printf '%b' "$2" >"$(rig_hostdir "$1")/etc-migguard/policy.d/50-test.conf"
}

# assert_refused_cleanly NAME: nothing happened on the destination
assert_refused_cleanly() {
        assert_running ha "$1"
        assert_no_domain hb "$1"
        [ -z "$(ls -A "$(rig_hostdir hb)/var-lib-libvirt/images")" ]
        assert_no_incoming_state hb
}

@test "identical hosts pass: custom qemu64, host-model, maximum; same bridge and subnet joined by a veth" {
        mkbridge ha brp0 198.51.100.1/24
        mkbridge hb brp0 198.51.100.2/24
        join brp0
        rig_guest_create ha p1 --disks "qcow2:64M:2" --nic-bridge brp0 \
                --xml-extra "<cpu mode='custom' match='exact'><model>qemu64</model></cpu>"
        rig_guest_create ha p2 --disks "qcow2:64M:2" --xml-extra "<cpu mode='host-model'/>"
        rig_guest_create ha p3 --disks "qcow2:64M:2" --xml-extra "<cpu mode='maximum'/>"
        for g in p1 p2 p3; do
                wait_facts ha $g
                if [ $g != p1 ] && mixed_releases; then
                        # Not identical hosts: host-model and maximum come
                        # from the source QEMU's TCG CPU (QEMU 7.2 offers
                        # pcommit, 10.0 does not; 10.0 offers features
                        # libvirt 9 does not even know), and libvirt itself
                        # fails such a migration at the destination ("guest
                        # CPU doesn't match specification: missing
                        # features", "unknown CPU feature").  migguard must
                        # refuse it first, naming the CPU.
                        run migrate $g --live --copy-storage-all
                        echo "$output"
                        [ "$status" -ne 0 ]
                        [[ "$output" == *"migguard: refused: cpu: "* ]]
                        assert_running ha $g
                        assert_no_domain hb $g
                        assert_absent "$(img hb $g-vda.qcow2)"
                        continue
                fi
                migrate $g --live --copy-storage-all
                assert_running hb $g
        done
        assert_counter_advances hb p1
        run decisions hb
        [ "$status" -eq 0 ]
        mixed_releases || [[ "$output" != *'"message_id":"afe7c15ebcd94544bc83fbeed94ebc1a"'* ]]
        [[ "$output" != *'"message_id":"bc485e8d9b594ad895aa60e95d039e50"'* ]]
}

@test "more vCPUs than the destination's online CPUs (enforce): refused" {
        policy hb "[cpu]\nvcpus-over-cores = enforce\n"
        rig_guest_create ha v4 --vcpus 4 --disks "qcow2:64M:2"
        run migrate v4 --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        n=$(rig_exec hb nproc)
        [[ "$output" == *"migguard: refused: vcpus: guest has 4 vCPUs, this host has $n online CPUs"* ]]
        assert_refused_cleanly v4
}

@test "more vCPUs than online CPUs with the default policy (warn): migrates, warning logged" {
        rig_guest_create ha v4w --vcpus 4 --disks "qcow2:64M:2"
        migrate v4w --live --copy-storage-all
        assert_running hb v4w
        decisions hb | grep -q 'vcpus: guest has 4 vCPUs'
}

@test "bridge missing on the destination: refused, naming interface and bridge" {
        mkbridge ha brp1
        rig_guest_create ha nb --disks "qcow2:64M:2" --nic-bridge brp1
        mac=$(rig_virsh ha domiflist nb | awk '/brp1/ { print $5 }')
        run migrate nb --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: interface $mac bridge brp1: bridge brp1 does not exist here"* ]]
        assert_refused_cleanly nb
}

@test "same bridge name, different subnet: refused with both subnets" {
        mkbridge ha brp2 198.51.100.1/24
        mkbridge hb brp2 203.0.113.1/24
        rig_guest_create ha ds --disks "qcow2:64M:2" --nic-bridge brp2
        wait_facts ha ds
        mac=$(rig_virsh ha domiflist ds | awk '/brp2/ { print $5 }')
        run migrate ds --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: interface $mac bridge brp2: segment differs: source 198.51.100.0/24, here 203.0.113.0/24"* ]]
        assert_refused_cleanly ds
}

@test "different [segment] names for the same bridge: refused" {
        mkbridge ha brp5 198.51.100.1/24
        mkbridge hb brp5 198.51.100.2/24
        rig_daemon_stop ha
        policy ha "[segment prod]\nbridges = brp5\n"
        rig_daemon_start ha >/dev/null
        policy hb "[segment lab]\nbridges = brp5\n"
        rig_guest_create ha sg --disks "qcow2:64M:2" --nic-bridge brp5
        wait_facts ha sg
        run migrate sg --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"bridge brp5: segment differs: source prod, here lab"* ]]
        assert_refused_cleanly sg
}

@test "libvirt network missing, then inactive, on the destination: refused" {
        mkbridge ha brp3
        mkbridge hb brp3
        net="<network><name>prodnet</name><forward mode='bridge'/><bridge name='brp3'/></network>"
        echo "$net" >"$BATS_TEST_TMPDIR/net.xml"
        rig_virsh ha net-define "$BATS_TEST_TMPDIR/net.xml"
        rig_virsh ha net-start prodnet
        rig_guest_create ha nn --disks "qcow2:64M:2" --nic-network prodnet
        run migrate nn --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"network prodnet: network prodnet does not exist here"* ]]
        assert_refused_cleanly nn

        rig_virsh hb net-define "$BATS_TEST_TMPDIR/net.xml"
        run migrate nn --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"network prodnet: network prodnet is not active here"* ]]
        assert_refused_cleanly nn

        rig_virsh hb net-start prodnet
        migrate nn --live --copy-storage-all
        assert_running hb nn
}

@test "KVM guest to a destination whose /dev/kvm is hidden: refused" {
        # Hardware, not a tool: a machine without a usable KVM cannot run the
        # source guest at all.
        [ -c /dev/kvm ] || skip "no /dev/kvm on this machine"
        cat >"$BATS_TEST_TMPDIR/k.xml" <<XML
<domain type='kvm'><name>kv</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>
XML
        rig_virsh ha define "$BATS_TEST_TMPDIR/k.xml"
        run rig_virsh ha start kv
        if [ "$status" -ne 0 ]; then
                echo "$output"
                [[ "${output,,}" == *kvm* ]]
                skip "/dev/kvm is there but KVM is unusable on this machine"
        fi
        rig_exec hb sh -c ': >/run/migguard/no-kvm && chmod 000 /run/migguard/no-kvm && mount --bind /run/migguard/no-kvm /dev/kvm'
        run migrate kv --live
        echo "$output"
        [ "$status" -ne 0 ]
        # libvirt 11 checks the virt type against its own capabilities before
        # it runs the migrate hook, and refuses by itself, as early.
        if [[ "$output" != *"migguard: refused: cpu: guest type 'kvm' cannot run here: "* ]]; then
                mixed_releases
                [[ "$output" == *"does not support virt type 'kvm'"* ]]
        fi
        assert_running ha kv
        assert_no_domain hb kv
}

@test "destination CPU differs (source host description from another CPU generation, a fixture): refused" {
        rig_guest_create ha fx --disks "qcow2:64M:2" --xml-extra "<cpu mode='maximum'/>"
        wait_facts ha fx
        # The source's migguardd must not overwrite the fixture.
        rig_daemon_stop ha
        cpu=$(grep -v '^<!--\|^  \|^-->' "$TESTS_DIR/fixtures/cpu-icelake-server-host.xml" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
        rig_virsh ha metadata fx --live --uri urn:migguard:domain:1 --key migguard \
                --set "<facts host='ha'><host-cpu model='Icelake-Server'>$cpu</host-cpu></facts>"
        run migrate fx --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: cpu: maximum needs the same host CPU: source Icelake-Server, here "* ]]
        assert_refused_cleanly fx
}

@test "all checks off: everything passes through to libvirt" {
        policy hb "[cpu]\ncheck = off\nvcpus-over-cores = off\n[network]\ncheck = off\n[storage]\nidentity = off\n"
        rig_guest_create ha off4 --vcpus 4 --disks "qcow2:64M:2"
        migrate off4 --live --copy-storage-all
        assert_running hb off4

        mkbridge ha brp4
        rig_guest_create ha offb --disks "qcow2:64M:2" --nic-bridge brp4
        run migrate offb --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" != *"migguard"* ]]
        assert_running ha offb
        assert_no_domain hb offb
}

@test "offline migration (--offline --persistent): checks only warn" {
        mkbridge ha brp6
        rig_guest_create ha ofl --nic-bridge brp6 --no-wait
        rig_virsh ha destroy ofl
        rig_virsh ha migrate --offline --persistent ofl "$(rig_uri hb)"
        rig_virsh hb dominfo ofl | grep -q 'Persistent: *yes'
        decisions hb | grep -q 'bridge brp6: bridge brp6 does not exist here'
}
