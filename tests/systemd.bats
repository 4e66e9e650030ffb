#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The package where packagers ship it: a Debian 12 host that boots systemd
# as PID 1 (systemd-nspawn, tests/lib/systemd-host.bash), libvirt as
# libvirtd.service, migguard installed from the built .deb with apt and
# running as migguardd.service with the shipped unit, unchanged.  Two such
# hosts (sa 192.0.2.11, sb 192.0.2.12, a veth pair between their network
# namespaces), booted once for the file; TCG guests migrate between them
# with plain virsh migrate.

load helpers
. "$BATS_TEST_DIRNAME/lib/systemd-host.bash"

H=sa
SA=192.0.2.11 SB=192.0.2.12

setup_file() {
        requires systemd-nspawn debootstrap dpkg-deb
        cd "$BATS_TEST_DIRNAME/.."
        ROOT=$(ROOT_FLAVOUR=systemd-bookworm bash tests/rig/make-trixie-root.sh) || return 1
        # the guest's kernel and initramfs, as the rig makes them
        . tests/lib/rig.bash
        boot=$(_rig_boot_files) || return 1
        KNAME=${boot% *} INAME=${boot#* }
        # the .deb of this tree (packaging.bats builds it; again only if
        # something it is made from changed since)
        DEB=$(ls -t dist/migguard_*_amd64.deb 2>/dev/null | head -n 1)
        if [ -z "$DEB" ] || [ -n "$(find Makefile lib provision parity persist pinning storage converge hooks daemon \
                cli generator units packaging man policies completion -type f -newer "$DEB" | head -n 1)" ]; then
                make -s deb >"$BATS_FILE_TMPDIR/deb.log" 2>&1 || { tail -n 5 "$BATS_FILE_TMPDIR/deb.log" >&2; return 1; }
                DEB=$(ls -t dist/migguard_*_amd64.deb | head -n 1)
        fi
        # a second version of the package, for the upgrade: the same files,
        # the Debian revision one higher
        mkdir -p "$BATS_FILE_TMPDIR/debs/x"
        dpkg-deb -R "$DEB" "$BATS_FILE_TMPDIR/debs/x" &&
                sed -i 's/^Version: \(.*\)-\([0-9]*\)$/Version: \1-99/' "$BATS_FILE_TMPDIR/debs/x/DEBIAN/control" &&
                dpkg-deb -b "$BATS_FILE_TMPDIR/debs/x" "$BATS_FILE_TMPDIR/debs/migguard-upgrade.deb" >/dev/null || return 1
        rm -rf "$BATS_FILE_TMPDIR/debs/x"
        sdh_down sa 2>/dev/null || true
        sdh_down sb 2>/dev/null || true
        SDH_BIND="--bind-ro=$PWD/dist:/mnt/dist --bind-ro=$BATS_FILE_TMPDIR/debs:/mnt/debs --bind-ro=$RIG_CACHE/$KNAME:/var/lib/libvirt/boot/$KNAME
                --bind-ro=$RIG_CACHE/$INAME:/var/lib/libvirt/boot/$INAME"
        export SDH_BIND
        t0=$(date +%s%N)
        sdh_up sa "$ROOT" || return 1
        echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >"$BATS_FILE_TMPDIR/boot-ms"
        sdh_up sb "$ROOT" || return 1
        sdh_link sa "$SA" sb "$SB" || return 1
        export SDH_HOSTS="$SA sa
$SB sb"
        sdh_libvirt sa "$SA" || return 1
        sdh_libvirt sb "$SB" || return 1
        # libvirtd.service runs before migguard arrives: its PID shows
        # whether installing restarted it
        sdh_exec sa systemctl show -P MainPID libvirtd.service >"$BATS_FILE_TMPDIR/libvirtd-pid"
        for h in sa sb; do
                sdh_exec "$h" apt-get install -y "/mnt/dist/${DEB##*/}" >"$BATS_FILE_TMPDIR/apt-$h.log" 2>&1 ||
                        { tail -n 20 "$BATS_FILE_TMPDIR/apt-$h.log" >&2; return 1; }
        done
        export KNAME INAME DEB
}

teardown_file() {
        sdh_down sa
        sdh_down sb
}

main_pid() { sdh_exec "$H" systemctl show -P MainPID migguardd.service; }
journal() { sdh_exec "$H" journalctl --no-pager -o cat -u migguardd.service "$@"; }
journal_of() { # HOST [journalctl args]: migguardd's and the hook's (libvirtd's) messages
        local h=$1
        shift
        sdh_exec "$h" journalctl --no-pager -o cat -u migguardd.service -u libvirtd.service "$@"
}

# guest HOST NAME [DEVICES-EXTRA [VCPUS]]: a persistent TCG guest with a
# 64 MiB qcow2 disk holding data, vCPU 0 pinned to CPU 0, started on HOST
guest() {
        local h=$1 n=$2
        sdh_exec "$h" qemu-img create -q -f qcow2 "/var/lib/libvirt/images/$n.qcow2" 64M
        sdh_exec "$h" qemu-io -f qcow2 -c "write -P 0x5a 0 8M" "/var/lib/libvirt/images/$n.qcow2" >/dev/null
        sdh_exec "$h" sh -c "cat >/tmp/$n.xml" <<EOF
<domain type='qemu'>
  <name>$n</name>
  <memory unit='MiB'>128</memory>
  <vcpu>${4:-1}</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='0'/></cputune>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>/var/lib/libvirt/boot/$KNAME</kernel>
    <initrd>/var/lib/libvirt/boot/$INAME</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/$n.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    ${3:-}
    <serial type='file'><source path='/var/log/libvirt/qemu/$n-serial.log'/></serial>
  </devices>
</domain>
EOF
        sdh_exec "$h" virsh -q -c qemu:///system define "/tmp/$n.xml" >/dev/null &&
                sdh_exec "$h" virsh -q -c qemu:///system start "$n" >/dev/null
}

vsh() { # HOST ARGS: virsh on HOST
        local h=$1
        shift
        sdh_exec "$h" virsh -c qemu:///system "$@"
}

@test "apt-get install of the .deb: migguardd.service enabled and running next to libvirtd.service, which was reloaded, not restarted" {
        cat "$BATS_FILE_TMPDIR/apt-sa.log"
        echo "boot to systemd's 'running': $(cat "$BATS_FILE_TMPDIR/boot-ms") ms"
        [ "$(sdh_exec "$H" systemctl is-enabled migguardd.service)" = enabled ]
        [ "$(sdh_exec "$H" systemctl is-active migguardd.service)" = active ]
        [ "$(sdh_exec "$H" systemctl is-active libvirtd.service)" = active ]
        [ "$(sdh_exec "$H" systemctl show -P MainPID libvirtd.service)" = "$(cat "$BATS_FILE_TMPDIR/libvirtd-pid")" ]
        run sdh_exec "$H" migguard status
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"daemon:    migguardd running"* ]]
        # the hook is live in the running libvirtd, which the package reloaded
        [[ "$output" == *"libvirt:   hook active: libvirtd (pid $(cat "$BATS_FILE_TMPDIR/libvirtd-pid")) loaded it at"* ]]
}

@test "systemctl restart migguardd: READY=1 within 5 s" {
        t0=$(date +%s%N)
        sdh_exec "$H" systemctl restart migguardd.service
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        echo "systemctl restart returned after $ms ms (Type=notify: after READY=1)"
        [ "$(sdh_exec "$H" systemctl is-active migguardd.service)" = active ]
        [ "$ms" -lt 5000 ]
}

@test "the running service has exactly the capabilities the README names, in every thread" {
        pid=$(main_pid)
        [ "$pid" -gt 0 ]
        run sdh_exec "$H" sh -c "grep -H '^Cap\(Eff\|Prm\|Bnd\)' /proc/$pid/task/*/status"
        echo "$output"
        [ "$status" -eq 0 ]
        # CAP_SYS_NICE, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH; CAP_NET_ADMIN dropped
        [ -z "$(echo "$output" | grep -v ':\s*0000000000800006$')" ]
}

@test "a guest under libvirtd.service: migguardd publishes its facts; no EPERM, SIGSYS or permission denial from migguardd" {
        run guest "$H" sd1
        echo "$output"
        [ "$status" -eq 0 ]
        for ((i = 0; i < 100; i++)); do
                journal | grep -q "Published facts of 1 disk" && break
                sleep 0.2
        done
        journal | tail -n 20
        journal | grep -q "Published facts of 1 disk"
        run journal
        [[ "$output" != *EPERM* ]]
        [[ "$output" != *SIGSYS* ]]
        [[ "$output" != *"Permission denied"* ]]
        [[ "$output" != *"Operation not permitted"* ]]
        [ "$(sdh_exec "$H" systemctl show -P NRestarts migguardd.service)" = 0 ]
}

@test "systemctl reload migguardd: a new policy is applied; a broken one keeps the old and says so" {
        sdh_exec "$H" sh -c 'printf "[pinning]\nenabled = no\n" >/etc/migguard/policy.d/60-test.conf'
        sdh_exec "$H" systemctl reload migguardd.service
        journal | grep -q "Policy reloaded from /etc/migguard/migguard.conf"
        sdh_exec "$H" sh -c 'printf "[pinning]\nenabled = perhaps\n" >/etc/migguard/policy.d/60-test.conf'
        sdh_exec "$H" systemctl reload migguardd.service
        [ "$(sdh_exec "$H" systemctl is-active migguardd.service)" = active ]
        run journal
        [[ "$output" == *"Policy reload failed, keeping the policy loaded before: /etc/migguard/policy.d/60-test.conf:2"* ]]
        sdh_exec "$H" rm /etc/migguard/policy.d/60-test.conf
        sdh_exec "$H" systemctl reload migguardd.service
}

@test "systemctl restart libvirtd: migguardd reconnects on its own" {
        before=$(journal | grep -c "Connected to qemu:///system")
        sdh_exec "$H" systemctl restart libvirtd.service
        for ((i = 0; i < 100; i++)); do
                [ "$(journal | grep -c "Connected to qemu:///system")" -gt "$before" ] && break
                sleep 0.2
        done
        journal | tail -n 5
        [ "$(journal | grep -c "Connected to qemu:///system")" -gt "$before" ]
        [ "$(sdh_exec "$H" systemctl is-active migguardd.service)" = active ]
}

@test "an image directory outside the default: the generator makes it writable for the service, with no drop-in by hand" {
        sdh_exec "$H" mkdir -p /srv/mg-images /srv/elsewhere
        sdh_exec "$H" sh -c 'printf "[provision]\nallowed-dirs = /var/lib/libvirt/images /srv/mg-images\n" >/etc/migguard/policy.d/70-dirs.conf'
        sdh_exec "$H" systemctl daemon-reload
        sdh_exec "$H" systemctl restart migguardd.service
        run sdh_exec "$H" systemctl show -P ReadWritePaths migguardd.service
        echo "$output"
        [[ "$output" == *"/srv/mg-images"* ]]
        # in the service's own mount namespace: writable there, read-only elsewhere
        pid=$(main_pid)
        run sdh_exec "$H" nsenter -t "$pid" -m sh -c 'touch /srv/mg-images/probe && rm /srv/mg-images/probe'
        echo "$output"
        [ "$status" -eq 0 ]
        run sdh_exec "$H" nsenter -t "$pid" -m touch /srv/elsewhere/probe
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        sdh_exec "$H" rm /etc/migguard/policy.d/70-dirs.conf
        sdh_exec "$H" systemctl daemon-reload
}

@test "journalctl -x explains migguard's decisions from the shipped catalog" {
        run sdh_exec "$H" journalctl --no-pager -x -u migguardd.service MESSAGE_ID=de3c8d85ee9b4afcb575cf67f9230547
        echo "$output" | tail -n 20
        [[ "$output" == *"migguardd started on"* ]]
        [[ "$output" == *"What to do:"* ]]
}

@test "migrate --copy-storage-all between systemd hosts: image provisioned, guest persistent there, source guarded, migration threads placed" {
        guest sa m1
        run vsh sa migrate --live --persistent --copy-storage-all --parallel --parallel-connections 2 m1 "qemu+tcp://$SB/system"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(vsh sb domstate m1)" = running ]
        vsh sb dominfo m1 | grep -Eq '^Persistent: +yes'
        # provisioned by migguard: qcow2, the source's size, thin
        run sdh_exec sb qemu-img info -U --output=json /var/lib/libvirt/images/m1.qcow2
        echo "$output"
        [[ "$output" == *'"format": "qcow2"'* ]]
        [[ "$output" == *'"virtual-size": 67108864'* ]]
        journal_of sb | grep -q "Created /var/lib/libvirt/images/m1.qcow2\|rovisioned.*m1"
        # the definition left on the source cannot start
        run vsh sa start m1
        echo "$output"
        [ "$status" -ne 0 ]
        # migration threads placed on both sides
        sdh_exec sa journalctl --no-pager -o cat MESSAGE_ID=4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41 MIGGUARD_DOMAIN=m1 |
                grep -q "Placed migration thread"
        sdh_exec sb journalctl --no-pager -o cat MESSAGE_ID=4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41 MIGGUARD_DOMAIN=m1 |
                grep -q "Placed migration thread 'multifdrecv_"
}

@test "an aborted storage migration between systemd hosts: the half-made image removed, the source guest running" {
        guest sa m2
        vsh sa migrate --live --copy-storage-all --bandwidth 1 m2 "qemu+tcp://$SB/system" >"$BATS_TEST_TMPDIR/mig.out" 2>&1 &
        mig=$!
        for ((i = 0; i < 100; i++)); do
                sdh_exec sb test -e /var/lib/libvirt/images/m2.qcow2 && break
                sleep 0.2
        done
        sdh_exec sb test -e /var/lib/libvirt/images/m2.qcow2
        sleep 1
        vsh sa domjobabort m2
        run wait "$mig"
        [ "$status" -ne 0 ]
        for ((i = 0; i < 100; i++)); do
                sdh_exec sb test -e /var/lib/libvirt/images/m2.qcow2 || break
                sleep 0.2
        done
        journal_of sb | tail -n 5
        run sdh_exec sb test -e /var/lib/libvirt/images/m2.qcow2
        [ "$status" -ne 0 ]
        sdh_exec sb journalctl --no-pager -o cat MESSAGE_ID=dcab1523d02a4a70930aed85c0a2a9bf | grep -q "m2.qcow2"
        [ "$(vsh sa domstate m2)" = running ]
        run vsh sb dominfo m2
        [ "$status" -ne 0 ]
}

@test "a parity refusal between systemd hosts: more vCPUs than the destination has CPUs, one line in virsh, nothing left there" {
        # (a bridge the destination lacks would be the classic case, but
        # QEMU cannot open /dev/net/tun in these containers)
        sdh_exec sb sh -c 'printf "[cpu]\nvcpus-over-cores = enforce\n" >/etc/migguard/policy.d/60-vcpus.conf'
        guest sa m3 "" 3
        run vsh sa migrate --live --copy-storage-all m3 "qemu+tcp://$SB/system"
        echo "$output"
        sdh_exec sb rm /etc/migguard/policy.d/60-vcpus.conf
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: vcpus: guest has 3 vCPUs, this host has $(nproc) online CPUs"* ]]
        [ "$(vsh sa domstate m3)" = running ]
        run vsh sb dominfo m3
        [ "$status" -ne 0 ]
        run sdh_exec sb test -e /var/lib/libvirt/images/m3.qcow2
        [ "$status" -ne 0 ]
}

@test "after the migrations: no EPERM, SIGSYS or permission denial from migguardd on either host, no restart" {
        for h in sa sb; do
                run sdh_exec "$h" journalctl --no-pager -o cat -u migguardd.service
                [[ "$output" != *EPERM* ]]
                [[ "$output" != *SIGSYS* ]]
                [[ "$output" != *"Permission denied"* ]]
                [[ "$output" != *"Operation not permitted"* ]]
                [[ "$output" != *"Read-only file system"* ]]
                [ "$(sdh_exec "$h" systemctl show -P NRestarts migguardd.service)" = 0 ]
                # the convergence guard does not ask about incoming migrations,
                # which would make libvirtd log an error every second
                run sdh_exec "$h" journalctl --no-pager -o short-monotonic -u libvirtd.service
                echo "$output" | grep -B1 "available only on the source host" || true
                [[ "$output" != *"available only on the source host"* ]]
        done
}

@test "a package upgrade keeps the admin's migguard.conf edits and restarts the service" {
        sdh_exec "$H" sed -i 's/^min-free-percent = .*/min-free-percent = 7/' /etc/migguard/migguard.conf
        sdh_exec "$H" grep -qx 'min-free-percent = 7' /etc/migguard/migguard.conf
        before=$(main_pid)
        run sdh_exec "$H" apt-get install -y /mnt/debs/migguard-upgrade.deb
        echo "$output" | grep -v "Reading database"
        [ "$status" -eq 0 ]
        [[ "$(sdh_exec "$H" dpkg-query -W -f='${Version}' migguard)" == *-99 ]]
        sdh_exec "$H" grep -qx 'min-free-percent = 7' /etc/migguard/migguard.conf
        [ "$(sdh_exec "$H" systemctl is-active migguardd.service)" = active ]
        after=$(main_pid)
        echo "migguardd pid $before -> $after"
        [ "$after" != "$before" ]
        run sdh_exec "$H" migguard status
        [[ "$output" == *"min-free-percent 7"* ]]
}

@test "systemctl stop: a clean stop; apt-get purge: nothing of migguard left" {
        sdh_exec "$H" systemctl stop migguardd.service
        [ "$(sdh_exec "$H" systemctl show -P Result migguardd.service)" = success ]
        files=$(sdh_exec "$H" dpkg -L migguard | grep -v '^/\.$')
        run sdh_exec "$H" apt-get purge -y migguard
        echo "$output" | tail -n 5
        [ "$status" -eq 0 ]
        left=""
        # directories shared with other packages stay; files and links go
        for f in $files; do
                if sdh_exec "$H" test -d "$f"; then continue; fi
                if sdh_exec "$H" test -e "$f" || sdh_exec "$H" test -L "$f"; then left="$left $f"; fi
        done
        for d in /usr/libexec/migguard /etc/migguard /var/lib/migguard /etc/systemd/system/multi-user.target.wants/migguardd.service; do
                if sdh_exec "$H" test -e "$d"; then left="$left $d"; fi
        done
        echo "left: $left"
        [ -z "$left" ]
        [ "$(sdh_exec "$H" systemctl is-active libvirtd.service)" = active ]
}
