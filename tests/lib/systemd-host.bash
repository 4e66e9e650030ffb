# SPDX-License-Identifier: LGPL-2.1-or-later
# A test host that boots systemd as PID 1: systemd-nspawn over the cached
# Debian 12 root (tests/rig/make-trixie-root.sh with
# ROOT_FLAVOUR=systemd-bookworm), with a throw-away overlay on top
# (--volatile=overlay: the cached root is never written), in a network
# namespace of its own.  libvirt runs there as its own systemd services,
# and migguard is installed from the built .deb with apt, as a user would.
#
#   sdh_up NAME ROOT     boot; returns when systemd reports the boot done
#   sdh_exec NAME CMD... run CMD in the host (all its namespaces)
#   sdh_down NAME        power it off, remove its namespace
#   sdh_link A ADDR-A B ADDR-B
#                        a veth pair between the two hosts' namespaces
#   sdh_libvirt NAME ADDR
#                        libvirt as a migration host: its own name and host
#                        UUID, TCP without authentication (libvirtd-tcp.socket,
#                        as in the rig), migrations to and from ADDR;
#                        SDH_HOSTS: lines for its /etc/hosts
#   sdh_prepare TMPDIR   what every host of a suite needs, made once (below)
#   sdh_install NAME DEB LOG
#                        apt-get install of the .deb (seen in the host as
#                        /mnt/dist/DEB), output to LOG
#   sdh_virsh NAME ARGS  virsh -c qemu:///system on NAME
#   sdh_journal NAME [ARGS]
#                        migguardd's and the hook's (libvirtd's) messages
#   sdh_guest NAME GUEST a persistent TCG guest started on NAME (below)
#   sdh_common_machine A B
#                        the newest pc-i440fx-X.Y both hosts' QEMUs know
#   sdh_threads NAME GUEST
#                        "comm<TAB>Cpus_allowed_list" of each thread of
#                        GUEST's QEMU on NAME
#   sdh_wait_placed NAME GUEST REGEX MIN
#                        until MIN threads so named run, all of them allowed
#                        only the housekeeping CPUs, vCPU 0 still on CPU 0
#   sdh_wait_storage_facts NAME GUEST
#                        until migguardd published GUEST's storage identity
#   sdh_share_mount EXPORT MNT / sdh_share_umount MNT
#                        a shared file system for the hosts to bind: EXPORT
#                        through a FUSE passthrough (bindfs) at MNT, of the
#                        type libvirt takes for shared storage (fuse.glusterfs)
#
# nspawn runs in the foreground under this shell (no machined here:
# --register=no --keep-unit); sdh_down stops it by its PID.  The container
# keeps CAP_NET_ADMIN (nspawn drops it by default) for libvirt's tap
# devices and bridges; its network namespace is its own.

SDH_RUN=${SDH_RUN:-/tmp/migguard-sdh}
SDH_NETNS_PREFIX=mgsd-

_sdh_err() { echo "systemd-host: $*" >&2; }

# _sdh_leader NAME: the container's PID 1 as seen from here
_sdh_leader() {
        local nspawn p
        nspawn=$(cat "$SDH_RUN/$1/nspawn.pid" 2>/dev/null) || return 1
        for p in $(ps -o pid= --ppid "$nspawn"); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && { echo "$p"; return 0; }
        done
        return 1
}

sdh_exec() {
        local h=$1 leader
        shift
        leader=$(_sdh_leader "$h") || { _sdh_err "host $h is not running"; return 1; }
        nsenter -t "$leader" -m -u -i -n -p -C -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER= "$@"
}

sdh_up() {
        local h=$1 root=$2 d i state
        d=$SDH_RUN/$h
        mkdir -p "$d" || return 1
        ip netns add "$SDH_NETNS_PREFIX$h" || { _sdh_err "cannot create network namespace $SDH_NETNS_PREFIX$h"; return 1; }
        ip -n "$SDH_NETNS_PREFIX$h" link set lo up || return 1
        systemd-nspawn --quiet --boot --register=no --keep-unit --volatile=overlay \
                --directory="$root" --machine="mgsd-$h" --hostname="$h" \
                --network-namespace-path="/run/netns/$SDH_NETNS_PREFIX$h" \
                --console=pipe --capability=CAP_NET_ADMIN ${SDH_BIND:+$SDH_BIND} \
                </dev/null >"$d/console.log" 2>&1 &
        echo $! >"$d/nspawn.pid"
        for ((i = 0; i < 300; i++)); do
                if _sdh_leader "$h" >/dev/null; then
                        state=$(sdh_exec "$h" systemctl is-system-running 2>/dev/null) || true
                        case $state in
                                running | degraded) echo "$state" >"$d/boot-state"; return 0 ;;
                        esac
                fi
                kill -0 "$(cat "$d/nspawn.pid")" 2>/dev/null || {
                        _sdh_err "nspawn for $h exited: $(tail -n 3 "$d/console.log" | tr '\n' ' ')"
                        return 1
                }
                sleep 0.2
        done
        _sdh_err "systemd in $h did not finish booting in 60 s (state: ${state:-none})"
        return 1
}

sdh_down() {
        local h=$1 d pid leader i
        d=$SDH_RUN/$h
        pid=$(cat "$d/nspawn.pid" 2>/dev/null) || true
        leader=$(_sdh_leader "$h" 2>/dev/null) || true
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                # guests first: a poweroff would wait for them to shut down
                sdh_exec "$h" sh -c 'for g in $(virsh -c qemu:///system list --name 2>/dev/null); do
                        virsh -c qemu:///system destroy "$g"; done' >/dev/null 2>&1 || true
                # nspawn turns SIGTERM into SIGRTMIN+3 for systemd: a clean poweroff
                kill -TERM "$pid"
                for ((i = 0; i < 100 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do sleep 0.2; done
                # still up: the container's PID 1 takes its whole PID namespace with it
                if kill -0 "$pid" 2>/dev/null; then
                        [ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null || true
                        sleep 1
                        kill -KILL "$pid" 2>/dev/null || true
                fi
                wait "$pid" 2>/dev/null || true
        fi
        # a container whose nspawn is gone
        if [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]; then
                kill -KILL "$leader" 2>/dev/null || true
        fi
        ip netns del "$SDH_NETNS_PREFIX$h" 2>/dev/null || true
        rm -rf "$d"
}

sdh_link() {
        local a=$1 aa=$2 b=$3 ba=$4
        ip link add mgsd0 netns "$SDH_NETNS_PREFIX$a" type veth peer name mgsd0 netns "$SDH_NETNS_PREFIX$b" || return 1
        ip -n "$SDH_NETNS_PREFIX$a" addr add "$aa/24" dev mgsd0 && ip -n "$SDH_NETNS_PREFIX$a" link set mgsd0 up &&
                ip -n "$SDH_NETNS_PREFIX$b" addr add "$ba/24" dev mgsd0 && ip -n "$SDH_NETNS_PREFIX$b" link set mgsd0 up
}

sdh_libvirt() {
        local h=$1 addr=$2
        sdh_exec "$h" sh -c "
                hostname $h && echo $h >/etc/hostname &&
                printf 'auth_tcp = \"none\"\nhost_uuid = \"%s\"\n' \$(cat /proc/sys/kernel/random/uuid) >>/etc/libvirt/libvirtd.conf &&
                printf 'migration_address = \"$addr\"\nmigration_host = \"$addr\"\n' >>/etc/libvirt/qemu.conf" || return 1
        printf '%s\n' "${SDH_HOSTS:-}" | sdh_exec "$h" sh -c 'cat >>/etc/hosts' || return 1
        sdh_exec "$h" systemctl stop libvirtd.service || return 1
        sdh_exec "$h" systemctl start libvirtd-tcp.socket libvirtd.service
}

# sdh_prepare TMPDIR, from the top of the tree: the guests' kernel and
# initramfs as the rig makes them (KNAME, INAME, in RIG_CACHE), the .deb of
# this tree (DEB; packaging.bats builds it, made again here only if
# something it is made from changed since; the log in TMPDIR), and
# SDH_BIND showing both in the hosts (/mnt/dist, /var/lib/libvirt/boot).
sdh_prepare() {
        local boot
        . tests/lib/rig.bash
        boot=$(_rig_boot_files) || return 1
        KNAME=${boot% *} INAME=${boot#* }
        DEB=$(ls -t dist/migguard_*_amd64.deb 2>/dev/null | head -n 1)
        if [ -z "$DEB" ] || [ -n "$(find Makefile lib provision parity persist pinning storage converge hooks daemon \
                cli generator units packaging man policies completion -type f -newer "$DEB" | head -n 1)" ]; then
                make -s deb >"$1/deb.log" 2>&1 || { tail -n 5 "$1/deb.log" >&2; return 1; }
                DEB=$(ls -t dist/migguard_*_amd64.deb | head -n 1)
        fi
        SDH_BIND="--bind-ro=$PWD/dist:/mnt/dist --bind-ro=$RIG_CACHE/$KNAME:/var/lib/libvirt/boot/$KNAME
                --bind-ro=$RIG_CACHE/$INAME:/var/lib/libvirt/boot/$INAME"
        export KNAME INAME DEB SDH_BIND
}

sdh_install() {
        sdh_exec "$1" apt-get install -y "/mnt/dist/$2" >"$3" 2>&1 || { tail -n 20 "$3" >&2; return 1; }
}

sdh_virsh() {
        local h=$1
        shift
        sdh_exec "$h" virsh -c qemu:///system "$@"
}

sdh_journal() {
        local h=$1
        shift
        sdh_exec "$h" journalctl --no-pager -o cat -u migguardd.service -u libvirtd.service "$@"
}

# sdh_guest HOST NAME: a persistent TCG guest (kernel KNAME and initramfs
# INAME in /var/lib/libvirt/boot, bound there by the caller) with a
# qcow2 disk GUEST_DIR/NAME.qcow2 (default /var/lib/libvirt/images) holding
# 8 MiB of data, vCPU 0 pinned to CPU 0, started on HOST.  GUEST_SIZE (the
# disk's, 64M), GUEST_VCPUS (1),
# GUEST_MEM (MiB, 128), GUEST_CACHE (the disk's cache mode, QEMU's default
# if empty), GUEST_CMDLINE (added to the kernel's), GUEST_DEVICES (more
# devices, XML), GUEST_MACHINE (pc).
sdh_guest() {
        local h=$1 n=$2 img=${GUEST_DIR:-/var/lib/libvirt/images}/$2.qcow2
        sdh_exec "$h" qemu-img create -q -f qcow2 "$img" "${GUEST_SIZE:-64M}" || return 1
        sdh_exec "$h" qemu-io -f qcow2 -c "write -P 0x5a 0 8M" "$img" >/dev/null || return 1
        sdh_exec "$h" sh -c "cat >/tmp/$n.xml" <<EOF
<domain type='qemu'>
  <name>$n</name>
  <memory unit='MiB'>${GUEST_MEM:-128}</memory>
  <vcpu>${GUEST_VCPUS:-1}</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='0'/></cputune>
  <os>
    <type arch='x86_64' machine='${GUEST_MACHINE:-pc}'>hvm</type>
    <kernel>/var/lib/libvirt/boot/$KNAME</kernel>
    <initrd>/var/lib/libvirt/boot/$INAME</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 ${GUEST_CMDLINE:-}</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'${GUEST_CACHE:+ cache='$GUEST_CACHE'}/>
      <source file='$img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    ${GUEST_DEVICES:-}
    <serial type='file'><source path='/var/log/libvirt/qemu/$n-serial.log'/></serial>
  </devices>
</domain>
EOF
        sdh_virsh "$h" -q define "/tmp/$n.xml" >/dev/null && sdh_virsh "$h" -q start "$n" >/dev/null
}

# _sdh_i440fx HOST: the versioned pc-i440fx machine types HOST's QEMU knows
_sdh_i440fx() {
        sdh_exec "$1" qemu-system-x86_64 -machine help | awk '$1 ~ /^pc-i440fx-[0-9]+\.[0-9]+$/ { print $1 }' | sort -u
}

sdh_common_machine() {
        comm -12 <(_sdh_i440fx "$1") <(_sdh_i440fx "$2") | sort -V | tail -n 1 | grep . || {
                _sdh_err "the QEMUs of $1 and $2 have no pc-i440fx machine type in common"
                return 1
        }
}

sdh_threads() {
        sdh_exec "$1" sh -c '
                pid=$(cat /run/libvirt/qemu/'"$2"'.pid) || exit 1
                for t in /proc/$pid/task/*; do
                        printf "%s\t%s\n" "$(cat $t/comm)" "$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" $t/status)"
                done' 2>/dev/null
}

# The CPUs migguard's default policy (cpus = auto) leaves to migration
# threads when vCPU 0 is pinned to CPU 0: all the others.
_sdh_housekeeping() {
        local n
        n=$(nproc)
        if [ "$n" -le 2 ]; then echo 1; else echo "1-$((n - 1))"; fi
}

sdh_wait_placed() {
        local h=$1 g=$2 re=$3 min=$4 hk i t
        hk=$(_sdh_housekeeping)
        for ((i = 0; i < 300; i++)); do
                t=$(sdh_threads "$h" "$g")
                if awk -F'\t' -v re="^($re)$" -v hk="$hk" -v min="$min" '
                        $1 ~ re { n++; if ($2 != hk) bad = 1 }
                        $1 == "CPU 0/TCG" || $1 == "CPU 0/KVM" { if ($2 != "0") bad = 1 }
                        END { exit !(n >= min && !bad) }' <<<"$t"; then
                        printf '%s: %s\n' "$h" "$(grep -E "^($re|CPU 0/...)"$'\t' <<<"$t" | tr '\t\n' '=,')"
                        return 0
                fi
                sleep 0.2
        done
        echo "$h: no $min threads matching '$re' allowed only CPU $hk with vCPU 0 on CPU 0:" >&2
        echo "$t" >&2
        return 1
}

sdh_wait_storage_facts() {
        local i
        for ((i = 0; i < 100; i++)); do
                sdh_virsh "$1" dumpxml "$2" 2>/dev/null | grep -q ':storage target=' && return 0
                sleep 0.1
        done
        _sdh_err "no storage identity published for $2 on $1"
        return 1
}

sdh_share_mount() {
        local i
        mkdir -p "$1" "$2" || return 1
        bindfs -f -o subtype=glusterfs,use_ino "$1" "$2" >/dev/null 2>&1 &
        echo $! >"$2.bindfs.pid"
        for ((i = 0; i < 100; i++)); do
                awk -v m="$2" '$5 == m && / - fuse.glusterfs / { f = 1 } END { exit !f }' /proc/self/mountinfo && return 0
                sleep 0.05
        done
        _sdh_err "bindfs did not mount $1 at $2"
        return 1
}

sdh_share_umount() {
        local pid i
        pid=$(cat "$1.bindfs.pid" 2>/dev/null) || return 0
        umount "$1" 2>/dev/null || true
        # unmounted, bindfs ends; it is not always this shell's child
        for ((i = 0; i < 50; i++)); do
                [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = bindfs ] || break
                sleep 0.1
        done
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != bindfs ] || kill -TERM "$pid"
        wait "$pid" 2>/dev/null || true
        rm -f "$1.bindfs.pid"
}
