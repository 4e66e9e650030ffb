#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Destination image provisioning, proven by real `virsh migrate` between
# two libvirt hosts with a running guest.

load helpers

setup_file() { mg_setup_file; }
teardown_file() { mg_teardown_file; }
setup() { mg_setup; }

IMG=/var/lib/libvirt/images

@test "qcow2 disk: image provisioned thin, exact size, identical data, guest keeps running" {
        rig_guest_create ha g1 --disks "qcow2:200M:10"
        wait_facts ha g1
        assert_absent "$(img hb g1-vda.qcow2)"

        migrate g1 --live --copy-storage-all

        assert_running hb g1
        assert_counter_advances hb g1
        [ "$(vsize hb $IMG/g1-vda.qcow2)" = "$(vsize ha $IMG/g1-vda.qcow2)" ]
        rig_exec hb qemu-img info -U "$IMG/g1-vda.qcow2" | grep -q 'file format: qcow2'
        assert_thin "$(img ha g1-vda.qcow2)" "$(img hb g1-vda.qcow2)"
        assert_identical ha g1-vda.qcow2 hb g1-vda.qcow2
        decisions hb | grep -q '"message_id":"3b9c2ec23ead41a99df7fbc8848393c7"'
}

@test "qcow2 creation options of the source are kept (cluster size, compat, lazy refcounts, extended L2, zstd)" {
        rig_exec ha qemu-img create -q -f qcow2 \
                -o cluster_size=32768,lazy_refcounts=on,extended_l2=on,compression_type=zstd \
                $IMG/opt-vdb.qcow2 100M
        rig_exec ha qemu-io -f qcow2 -c 'write -P 0x5a 0 3M' $IMG/opt-vdb.qcow2 >/dev/null
        rig_guest_create ha opt --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='$IMG/opt-vdb.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        wait_facts ha opt

        migrate opt --live --copy-storage-all

        assert_running hb opt
        info=$(rig_exec hb qemu-img info -U --output=json $IMG/opt-vdb.qcow2)
        echo "$info"
        echo "$info" | grep -q '"cluster-size": 32768'
        echo "$info" | grep -q '"lazy-refcounts": true'
        echo "$info" | grep -q '"extended-l2": true'
        echo "$info" | grep -q '"compression-type": "zstd"'
        echo "$info" | grep -q '"compat": "1.1"'
        assert_identical ha opt-vdb.qcow2 hb opt-vdb.qcow2
}

@test "raw disk: provisioned sparse with exact size and identical data" {
        rig_guest_create ha r1 --disks "raw:300M:12"
        wait_facts ha r1
        migrate r1 --live --copy-storage-all
        assert_running hb r1
        assert_counter_advances hb r1
        [ "$(stat -c %s "$(img hb r1-vda.img)")" = "$(stat -c %s "$(img ha r1-vda.img)")" ]
        rig_exec hb qemu-img info $IMG/r1-vda.img | grep -q 'file format: raw'
        assert_identical ha r1-vda.img hb r1-vda.img
        if raw_copy_stays_thin; then
                assert_thin "$(img ha r1-vda.img)" "$(img hb r1-vda.img)"
                [ -z "$(decisions hb | grep "arrived fully allocated" | grep r1-vda)" ]
        else
                assert_holes_lost_reported hb vda r1-vda.img
        fi
}

@test "three disks, qcow2 and raw mixed: all provisioned and identical" {
        rig_guest_create ha m3 --disks "qcow2:128M:8 raw:96M:4 qcow2:1G:16"
        wait_facts ha m3
        migrate m3 --live --copy-storage-all
        assert_running hb m3
        assert_counter_advances hb m3
        for f in m3-vda.qcow2 m3-vdb.img m3-vdc.qcow2; do
                assert_identical ha $f hb $f
                if [ $f != m3-vdb.img ] || raw_copy_stays_thin; then
                        assert_thin "$(img ha $f)" "$(img hb $f)"
                fi
        done
        [ "$(vsize hb $IMG/m3-vdc.qcow2)" = 1073741824 ]
        raw_copy_stays_thin || assert_holes_lost_reported hb vdb m3-vdb.img
}

@test "--migrate-disks: only the listed disk is provisioned; the other is used as is" {
        rig_guest_create ha sel --disks "qcow2:64M:2 qcow2:64M:3"
        # vdb is "shared": the destination already has the same file.
        cp --sparse=always "$(img ha sel-vdb.qcow2)" "$(img hb sel-vdb.qcow2)"
        before=$(sha256sum <"$(img hb sel-vdb.qcow2)")
        mtime=$(stat -c %Y.%i "$(img hb sel-vdb.qcow2)")

        # --unsafe: libvirt cannot see that vdb is "shared" in this rig
        migrate sel --live --unsafe --copy-storage-all --migrate-disks vda

        assert_running hb sel
        assert_identical ha sel-vda.qcow2 hb sel-vda.qcow2
        [ "$(stat -c %Y.%i "$(img hb sel-vdb.qcow2)")" = "$mtime" ]
        [ "$(sha256sum <"$(img hb sel-vdb.qcow2)")" = "$before" ]
}

@test "read-only and shareable disks are never provisioned" {
        rig_exec ha qemu-img create -q -f raw $IMG/ro-iso.img 8M
        rig_exec ha qemu-img create -q -f raw $IMG/ro-shared.img 8M
        rig_guest_create ha ro --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$IMG/ro-iso.img'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$IMG/ro-shared.img'/>
      <target dev='vdc' bus='virtio'/>
      <shareable/>
    </disk>"

        run migrate ro --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        assert_absent "$(img hb ro-iso.img)"
        assert_absent "$(img hb ro-shared.img)"
        assert_absent "$(img hb ro-vda.qcow2)"
        assert_running ha ro
        assert_no_domain hb ro
        assert_no_incoming_state hb
}

@test "image directory outside allowed-dirs: refused before data moves, naming the disk" {
        mkdir -p "$(rig_hostdir ha)/var-lib-libvirt/other" "$(rig_hostdir hb)/var-lib-libvirt/other"
        rig_exec ha qemu-img create -q -f qcow2 /var/lib/libvirt/other/out.qcow2 64M
        rig_guest_create ha out --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/other/out.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"

        run migrate out --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: disk vdb: image '/var/lib/libvirt/other/out.qcow2' is missing and outside [provision] allowed-dirs"* ]]
        assert_absent "$(rig_hostdir hb)/var-lib-libvirt/other/out.qcow2"
        assert_absent "$(img hb out-vda.qcow2)"
        assert_running ha out
        assert_no_domain hb out
        rm -rf "$(rig_hostdir ha)/var-lib-libvirt/other" "$(rig_hostdir hb)/var-lib-libvirt/other"
}

@test "image directory reached through a symlink on the destination: refused" {
        mkdir -p "$(rig_hostdir ha)/var-lib-libvirt/images/sub" "$(rig_hostdir hb)/var-lib-libvirt/real"
        ln -s /var/lib/libvirt/real "$(rig_hostdir hb)/var-lib-libvirt/images/sub"
        rig_exec ha qemu-img create -q -f qcow2 $IMG/sub/s.qcow2 64M
        rig_guest_create ha sym --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='$IMG/sub/s.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"

        run migrate sym --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"disk vdb: path '$IMG/sub/s.qcow2' goes through a symlink"* ]]
        [ -z "$(ls -A "$(rig_hostdir hb)/var-lib-libvirt/real")" ]
        assert_running ha sym
        assert_no_domain hb sym
        rm -rf "$(rig_hostdir hb)/var-lib-libvirt/real"
}

@test "destination path is a block device or a directory: refused" {
        rig_guest_create ha bd --disks "qcow2:64M:1 qcow2:64M:1"
        mknod "$(img hb bd-vda.qcow2)" b 7 250
        mkdir "$(img hb bd-vdb.qcow2)"

        run migrate bd --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"disk vda: destination '$IMG/bd-vda.qcow2' is a block device, not an image file"* ]]
        [[ "$output" == *"disk vdb: destination '$IMG/bd-vdb.qcow2' is a directory"* ]]
        [ -b "$(img hb bd-vda.qcow2)" ]
        [ -d "$(img hb bd-vdb.qcow2)" ]
        assert_running ha bd
        assert_no_domain hb bd
        rm -f "$(img hb bd-vda.qcow2)"
        rmdir "$(img hb bd-vdb.qcow2)"
}

@test "a path with '..' is refused" {
        rig_exec ha qemu-img create -q -f qcow2 $IMG/dots.qcow2 64M
        rig_guest_create ha dots --disks "qcow2:64M:1" --devices-extra "
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='$IMG/../images/dots.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
        run migrate dots --live --copy-storage-all
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"disk vdb: path '$IMG/../images/dots.qcow2' is not a plain absolute path"* ]]
        assert_absent "$(img hb dots.qcow2)"
        assert_running ha dots
        assert_no_domain hb dots
}
