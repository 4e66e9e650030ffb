#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The package where packagers ship it: a Debian 12 host that boots systemd
# as PID 1 (systemd-nspawn, tests/lib/systemd-host.bash), libvirt as
# libvirtd.service, migguard installed from the built .deb with apt and
# running as migguardd.service with the shipped unit, unchanged.  Two such
# hosts (sa 192.0.2.11, sb 192.0.2.12, a veth pair between their network
# namespaces), booted once for the file; TCG guests migrate between them
# with plain virsh migrate.  Shared storage: two exports of this machine
# through bindfs (FUSE, of the type libvirt takes for shared storage), bound
# into both hosts: /var/lib/libvirt/images/shared is export a on both,
# /var/lib/libvirt/images/other is a on sa and b on sb.

load helpers
. "$BATS_TEST_DIRNAME/lib/systemd-host.bash"
. "$BATS_TEST_DIRNAME/lib/systemd-cases.bash"

H=sa
SA=192.0.2.11 SB=192.0.2.12

setup_file() {
        requires systemd-nspawn debootstrap dpkg-deb
        cd "$BATS_TEST_DIRNAME/.."
        ROOT=$(ROOT_FLAVOUR=systemd-bookworm bash tests/rig/make-trixie-root.sh) || return 1
        sdh_prepare "$BATS_FILE_TMPDIR" || return 1
        # a second version of the package, for the upgrade: the same files,
        # the Debian revision one higher
        mkdir -p "$BATS_FILE_TMPDIR/debs/x"
        dpkg-deb -R "$DEB" "$BATS_FILE_TMPDIR/debs/x" &&
                sed -i 's/^Version: \(.*\)-\([0-9]*\)$/Version: \1-99/' "$BATS_FILE_TMPDIR/debs/x/DEBIAN/control" &&
                dpkg-deb -b "$BATS_FILE_TMPDIR/debs/x" "$BATS_FILE_TMPDIR/debs/migguard-upgrade.deb" >/dev/null || return 1
        rm -rf "$BATS_FILE_TMPDIR/debs/x"
        sdh_down sa 2>/dev/null || true
        sdh_down sb 2>/dev/null || true
        SHARES=$BATS_FILE_TMPDIR/shares
        sdh_share_mount "$BATS_FILE_TMPDIR/exports/a" "$SHARES/a" || return 1
        sdh_share_mount "$BATS_FILE_TMPDIR/exports/b" "$SHARES/b" || return 1
        bind="$SDH_BIND --bind-ro=$BATS_FILE_TMPDIR/debs:/mnt/debs --bind=$SHARES/a:/var/lib/libvirt/images/shared"
        t0=$(date +%s%N)
        SDH_BIND="$bind --bind=$SHARES/a:/var/lib/libvirt/images/other" sdh_up sa "$ROOT" || return 1
        echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >"$BATS_FILE_TMPDIR/boot-ms"
        SDH_BIND="$bind --bind=$SHARES/b:/var/lib/libvirt/images/other" sdh_up sb "$ROOT" || return 1
        sdh_link sa "$SA" sb "$SB" || return 1
        export SDH_HOSTS="$SA sa
$SB sb"
        sdh_libvirt sa "$SA" || return 1
        sdh_libvirt sb "$SB" || return 1
        # libvirtd.service runs before migguard arrives: its PID shows
        # whether installing restarted it
        sdh_exec sa systemctl show -P MainPID libvirtd.service >"$BATS_FILE_TMPDIR/libvirtd-pid"
        for h in sa sb; do
                sdh_install "$h" "${DEB##*/}" "$BATS_FILE_TMPDIR/apt-$h.log" || return 1
        done
}

teardown_file() {
        sdh_down sa
        sdh_down sb
        sdh_share_umount "$BATS_FILE_TMPDIR/shares/a"
        sdh_share_umount "$BATS_FILE_TMPDIR/shares/b"
}

main_pid() { sdh_exec "$H" systemctl show -P MainPID migguardd.service; }
journal() { sdh_exec "$H" journalctl --no-pager -o cat -u migguardd.service "$@"; }

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
        [ "$(grep -c . <<<"$output")" -ge 6 ]
        # effective and permitted: CAP_SYS_NICE, CAP_DAC_OVERRIDE,
        # CAP_DAC_READ_SEARCH; CAP_NET_ADMIN dropped
        [ -z "$(grep -E 'Cap(Eff|Prm):' <<<"$output" | grep -v ':\s*0000000000800006$')" ]
        # the bounding set is the unit's (CapabilityBoundingSet=, with
        # CAP_NET_ADMIN): without CAP_SETPCAP migguardd cannot shrink it
        [ -z "$(grep 'CapBnd:' <<<"$output" | grep -v ':\s*0000000000801006$')" ]
}

@test "a guest under libvirtd.service: migguardd publishes its facts; no EPERM, SIGSYS or permission denial from migguardd" {
        run sdh_guest "$H" sd1
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

@test "migrate --copy-storage-all between systemd hosts: image provisioned, guest persistent there, source guarded, migration threads on the housekeeping CPU" {
        sdh_case_provision sa sb "$SB" m1 'multifdrecv_[0-9]+'
}

@test "an aborted storage migration between systemd hosts: the half-made image removed, the source guest running" {
        sdh_case_abort sa sb "$SB" m2
}

@test "a parity refusal between systemd hosts: the guest's bridge missing on the destination, one line in virsh, nothing left there" {
        sdh_exec sa sh -c 'ip link add mgbr0 type bridge && ip link set mgbr0 up'
        GUEST_DEVICES="<interface type='bridge'><source bridge='mgbr0'/><model type='virtio'/></interface>" sdh_guest sa m3
        mac=$(sdh_virsh sa domiflist m3 | awk '/mgbr0/ { print $5 }')
        sdh_case_refused sa sb "$SB" m3 "interface $mac bridge mgbr0: bridge mgbr0 does not exist here"
}

@test "shared storage under the unit: the same export on both hosts migrates without a copy; another export at the same path is refused" {
        sdh_case_shared sa sb "$SB" s1

        GUEST_DIR=/var/lib/libvirt/images/other GUEST_CACHE=none sdh_guest sa s2
        sdh_wait_storage_facts sa s2
        ex=$BATS_FILE_TMPDIR/exports
        cp "$ex/a/s2.qcow2" "$ex/b/s2.qcow2"
        sum=$(sha256sum <"$ex/b/s2.qcow2") mtime=$(stat -c %Y "$ex/b/s2.qcow2")
        run sdh_virsh sa migrate --live s2 "qemu+tcp://$SB/system"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"migguard: refused: disk vda: /var/lib/libvirt/images/other/s2.qcow2 here is on fuse.glusterfs $ex/b, on the source on fuse.glusterfs $ex/a: another export is mounted at this path"* ]]
        [ "$(sdh_virsh sa domstate s2)" = running ]
        run sdh_virsh sb dominfo s2
        [ "$status" -ne 0 ]
        [ "$(sha256sum <"$ex/b/s2.qcow2")" = "$sum" ]
        [ "$(stat -c %Y "$ex/b/s2.qcow2")" = "$mtime" ]
}

@test "the convergence guard under the unit: a migration that does not converge is aborted, the guest keeps running here" {
        sdh_case_converge_abort sa sb "$SB" c1
}

@test "a migration that never started, into an image directory outside the default: migguardd itself removes what libvirt pre-created there" {
        # the destination's directory: in the policy (the generator makes it
        # writable for the service), too small for the second disk, which
        # libvirt 9.0 pre-creates fully allocated: libvirt fails after
        # creating the first, before any hook runs
        sdh_exec sb sh -c 'mkdir -p /srv/mg-images && mount -t tmpfs -o size=40m mg-small /srv/mg-images &&
                printf "[provision]\nallowed-dirs = /var/lib/libvirt/images /srv/mg-images\n" >/etc/migguard/policy.d/70-dirs.conf &&
                systemctl daemon-reload && systemctl restart migguardd.service'
        sdh_exec sa mkdir -p /srv/mg-images
        sdh_exec sa qemu-img create -q -f qcow2 /srv/mg-images/nf-vdb.qcow2 512M
        sdh_exec sa qemu-io -f qcow2 -c "write -P 0x33 0 48M" /srv/mg-images/nf-vdb.qcow2 >/dev/null
        GUEST_DIR=/srv/mg-images GUEST_SIZE=16M GUEST_DEVICES="<disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='/srv/mg-images/nf-vdb.qcow2'/><target dev='vdb' bus='virtio'/></disk>" \
                sdh_guest sa nf
        run sdh_virsh sa migrate --live --copy-storage-all nf "qemu+tcp://$SB/system"
        echo "$output"
        [ "$status" -ne 0 ]
        for ((i = 0; i < 100; i++)); do
                [ -z "$(sdh_exec sb ls -A /srv/mg-images)" ] && break
                sleep 0.2
        done
        left=$(sdh_exec sb ls -A /srv/mg-images)
        run sdh_exec sb journalctl --no-pager -o cat -u migguardd.service MIGGUARD_DOMAIN=nf
        echo "$output"
        sdh_exec sb sh -c 'umount /srv/mg-images && rm /etc/migguard/policy.d/70-dirs.conf &&
                systemctl daemon-reload && systemctl restart migguardd.service'
        [ -z "$left" ]
        [[ "$output" == *"Removed /srv/mg-images/nf.qcow2, pre-created for a migration of nf that never started"* ]]
        [[ "$output" != *"Read-only file system"* ]]
        [ "$(sdh_virsh sa domstate nf)" = running ]
        run sdh_virsh sb dominfo nf
        [ "$status" -ne 0 ]
}

@test "after the migrations: no EPERM, SIGSYS or permission denial from migguardd on either host, no restart" {
        sdh_case_clean_journal sa
        sdh_case_clean_journal sb
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
