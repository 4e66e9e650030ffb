# rig.bash: two real libvirt hosts on one machine, for migguard's
# integration tests. Source it from bats tests or scripts (as root):
#
#   . tests/lib/rig.bash
#   rig_up                                   # hosts ha (192.0.2.1), hb (192.0.2.2)
#   rig_guest_create ha g1 --disks "qcow2:200M:10"
#   rig_virsh ha migrate --live --copy-storage-all g1 "$(rig_uri hb)"
#   rig_guest_counter hb g1
#   rig_down
#
# Every function returns non-zero with a one-line message on stderr when it
# fails. Nothing here changes the caller's shell options; everything works
# under `set -eu`.
#
# Each host is a network namespace (mg-ha / mg-hb, joined by the veth pair
# mg-ha0 <-> mg-hb0) plus a mount and UTS namespace owned by a holder process
# (tests/rig/holder.sh) that runs the host's virtlogd and `libvirtd -l` in the
# foreground. Private per-host directories live in $RIG_DIR/hosts/HOST/ and are
# bind-mounted inside the host over:
#   /etc/libvirt        etc-libvirt/        (copy of the real /etc/libvirt)
#   /var/lib/libvirt    var-lib-libvirt/    (boot/, images/, qemu/)
#   /var/log/libvirt    var-log-libvirt/    (qemu/NAME-serial.log ...)
#   /var/cache/libvirt  var-cache-libvirt/
#   /etc/migguard       etc-migguard/
#   /var/lib/migguard   var-lib-migguard/
#   /etc/hosts          etc-hosts           (names ha and hb)
# and a tmpfs over /run/libvirt and /run/migguard. Logs of the host's
# daemons: $RIG_DIR/hosts/HOST/{holder,virtlogd,libvirtd,migguardd}.log.
#
# Environment:
#   RIG_DIR           state directory (default /tmp/migguard-rig); it must be
#                     on a file system with O_DIRECT (not tmpfs) for cache=none
#   RIG_CACHE         initramfs/kernel cache (default /var/cache/migguard-rig)
#   RIG_KERNEL        guest kernel (default: newest /boot/vmlinuz-*)
#   RIG_UP_TIMEOUT    seconds rig_up waits for both libvirtds (default 30)
#   RIG_BOOT_TIMEOUT  seconds rig_guest_create waits for the counter (default 60)
#   MIGGUARD_DESTDIR  a `make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc`
#                     tree to install into both hosts (see rig_up)

RIG_DIR=${RIG_DIR:-/tmp/migguard-rig}
RIG_CACHE=${RIG_CACHE:-/var/cache/migguard-rig}
RIG_HOSTS="ha hb"
RIG_NETNS_PREFIX=mg-
RIG_BOOT_DIR=/var/lib/libvirt/boot
RIG_IMAGES_DIR=/var/lib/libvirt/images
RIG_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../rig" && pwd)

# --- small internals -----------------------------------------------------------

_rig_err() { echo "rig: $*" >&2; }

_rig_check_host() {
    case ${1:-} in
        ha | hb) return 0 ;;
        *) _rig_err "unknown host '${1:-}' (expected ha or hb)"; return 1 ;;
    esac
}

_rig_addr() {
    case $1 in
        ha) echo 192.0.2.1 ;;
        hb) echo 192.0.2.2 ;;
    esac
}

_rig_uuid() {
    case $1 in
        ha) echo 6d670a00-3c1e-4b7a-9f21-5a1c0e7d0a01 ;;
        hb) echo 6d670b00-3c1e-4b7a-9f21-5a1c0e7d0b02 ;;
    esac
}

_rig_hostdir() { echo "$RIG_DIR/hosts/$1"; }

# True if PID is alive and not a zombie.
_rig_pid_alive() {
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# The holder PID of HOST if it is alive (and really our holder), else fail.
_rig_holder_pid() {
    local h=$1 pid
    pid=$(cat "$(_rig_hostdir "$h")/holder.pid" 2>/dev/null) || return 1
    _rig_pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'holder\.sh' || return 1
    echo "$pid"
}

# Wait until PID is gone (or a zombie), at most SECS seconds.
_rig_wait_gone() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        _rig_pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# The kernel used for guests and its version.
_rig_kernel() {
    local k=${RIG_KERNEL:-}
    if [ -z "$k" ]; then
        k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
    fi
    [ -n "$k" ] && [ -r "$k" ] || { _rig_err "no guest kernel (/boot/vmlinuz-*; install linux-image-amd64)"; return 1; }
    echo "$k"
}

# Make sure the cached kernel + initramfs exist; print "KERNEL INITRD" names
# (file names only; the same names are used in each host's boot dir).
_rig_boot_files() {
    local k kver sum kname iname
    k=$(_rig_kernel) || return 1
    kver=${k##*/vmlinuz-}
    sum=$(sha1sum "$RIG_HELPERS/make-initramfs.sh" | cut -c1-8) || return 1
    kname=mgrig-vmlinuz-$kver
    iname=mgrig-initrd-$kver-$sum.img
    mkdir -p "$RIG_CACHE" || { _rig_err "cannot create $RIG_CACHE"; return 1; }
    if [ ! -s "$RIG_CACHE/$iname" ]; then
        bash "$RIG_HELPERS/make-initramfs.sh" "$kver" "$RIG_CACHE/$iname" ||
            { _rig_err "building the guest initramfs failed"; return 1; }
    fi
    if [ ! -s "$RIG_CACHE/$kname" ] || ! cmp -s "$k" "$RIG_CACHE/$kname"; then
        cp "$k" "$RIG_CACHE/$kname.tmp.$$" && chmod 644 "$RIG_CACHE/$kname.tmp.$$" &&
            mv -f "$RIG_CACHE/$kname.tmp.$$" "$RIG_CACHE/$kname" ||
            { _rig_err "cannot copy $k into $RIG_CACHE"; return 1; }
    fi
    echo "$kname $iname"
}

# Directories on the real root that serve as mount points; created only if
# absent (and recorded, so rig_down can remove them again if still empty).
_rig_mountpoints() {
    echo /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt \
        /run/libvirt /etc/migguard /var/lib/migguard /run/migguard
    [ -z "${MIGGUARD_DESTDIR:-}" ] || echo /usr/libexec/migguard
}

_rig_prepare_host() {
    local h=$1 H addr d f
    H=$(_rig_hostdir "$h")
    addr=$(_rig_addr "$h")
    mkdir -p "$H"/{etc-libvirt,var-lib-libvirt,var-log-libvirt,var-cache-libvirt} \
        "$H"/{etc-migguard,var-lib-migguard,spawn,xml} || return 1

    # /etc/libvirt: a copy of the real one, minus anything that would make
    # the host differ from a fresh install (domains, pools, autostart, hooks).
    cp -a /etc/libvirt/. "$H/etc-libvirt/" || return 1
    rm -rf "$H/etc-libvirt/hooks" "$H/etc-libvirt/storage" || return 1
    rm -f "$H"/etc-libvirt/qemu/*.xml "$H"/etc-libvirt/qemu/autostart/* \
        "$H"/etc-libvirt/qemu/networks/autostart/* 2>/dev/null
    mkdir -p "$H/etc-libvirt/hooks/qemu.d" || return 1
    cat >"$H/etc-libvirt/libvirtd.conf" <<EOF || return 1
# written by the migguard test rig for host $h
listen_tls = 0
listen_tcp = 1
listen_addr = "$addr"
auth_tcp = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0700"
host_uuid = "$(_rig_uuid "$h")"
log_outputs = "3:stderr"
EOF
    cat >"$H/etc-libvirt/qemu.conf" <<EOF || return 1
# written by the migguard test rig for host $h
migration_address = "$addr"
migration_host = "$addr"
EOF
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n192.0.2.1\tha\n192.0.2.2\thb\n' \
        >"$H/etc-hosts" || return 1

    # /var/lib/libvirt with the ownership and modes of a fresh install.
    mkdir -p "$H/var-lib-libvirt"/{boot,images,qemu} "$H/var-log-libvirt/qemu" || return 1
    chmod 711 "$H/var-lib-libvirt/boot" "$H/var-lib-libvirt/images"
    chown libvirt-qemu:libvirt-qemu "$H/var-lib-libvirt/qemu" 2>/dev/null &&
        chmod 751 "$H/var-lib-libvirt/qemu"
    chmod 700 "$H/var-log-libvirt/qemu"
    chmod 711 "$H/var-cache-libvirt"
    if [ -d "$RIG_CACHE/qemu-capabilities" ]; then
        mkdir -p "$H/var-cache-libvirt/qemu" &&
            cp -a "$RIG_CACHE/qemu-capabilities" "$H/var-cache-libvirt/qemu/capabilities" ||
            return 1
    fi
    # Boot files for guests, the same path on both hosts.
    cp "$RIG_CACHE/$RIG_KERNEL_NAME" "$RIG_CACHE/$RIG_INITRD_NAME" \
        "$H/var-lib-libvirt/boot/" || return 1
    chmod 644 "$H/var-lib-libvirt/boot"/*

    # migguard, if an install tree was given.
    if [ -n "${MIGGUARD_DESTDIR:-}" ]; then
        d=$MIGGUARD_DESTDIR
        [ -d "$d/usr/libexec/migguard" ] ||
            { _rig_err "MIGGUARD_DESTDIR has no usr/libexec/migguard"; return 1; }
        if [ -d "$d/etc/migguard" ]; then
            cp -a "$d/etc/migguard/." "$H/etc-migguard/" || return 1
        fi
        ln -s /usr/libexec/migguard/migguard-hook \
            "$H/etc-libvirt/hooks/qemu.d/50-migguard" || return 1
    fi
    rm -f "$H/ctl" && mkfifo -m 600 "$H/ctl" || return 1
}

# Poll until HOST's libvirtd answers or DEADLINE (epoch seconds) passes.
_rig_wait_host_ready() {
    local h=$1 deadline=$2 H pid
    H=$(_rig_hostdir "$h")
    while [ "$(date +%s)" -le "$deadline" ]; do
        if [ -e "$H/holder.failed" ]; then
            _rig_err "host $h failed: $(cat "$H/holder.failed") (logs in $H)"
            return 1
        fi
        pid=$(cat "$H/holder.started-pid" 2>/dev/null)
        if ! _rig_pid_alive "$pid"; then
            _rig_err "holder of host $h exited: $(tail -n 1 "$H/holder.log" 2>/dev/null)"
            return 1
        fi
        if [ -s "$H/holder.pid" ] && [ -s "$H/libvirtd.pid" ] &&
            rig_exec "$h" timeout 20 virsh -c qemu:///system version >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    _rig_err "libvirtd on host $h did not answer within ${RIG_UP_TIMEOUT:-30} s (logs in $H)"
    return 1
}

# Mount point (in this mount namespace) of the cgroup v1 hierarchy with
# exactly the controllers CTRLS (comma-separated, as in /proc/PID/cgroup).
_rig_cgroup_mountpoint() {
    local want=$1
    awk -v want="$want" '
        BEGIN { n = split(want, w, ","); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        {
            for (i = 7; $i != "-"; i++) ;
            if ($(i + 1) != "cgroup") next
            m = split($(i + 3), o, ","); hit = 0
            for (j = 1; j <= m; j++) if (o[j] in need) hit++
            if (hit == n) { print $5; exit }
        }' /proc/self/mountinfo
}

# Remove the cgroups a holder made (listed in HOSTDIR/cgroup-dirs), deepest
# first. Only empty groups can be removed; a failure is reported.
_rig_remove_cgroups() {
    local H=$1 ctrls rel mp d rc=0
    [ -f "$H/cgroup-dirs" ] || return 0
    while read -r ctrls rel; do
        case $rel in */mgrig-h[ab]) ;; *) continue ;; esac
        mp=$(_rig_cgroup_mountpoint "$ctrls")
        [ -n "$mp" ] && [ -d "$mp$rel" ] || continue
        while read -r d; do
            rmdir "$d" 2>/dev/null || { _rig_err "cannot remove cgroup $d"; rc=1; }
        done < <(find "$mp$rel" -depth -type d)
    done <"$H/cgroup-dirs"
    return $rc
}

# --- public functions ------------------------------------------------------------

# rig_up: create hosts ha and hb and wait until both libvirtds answer.
rig_up() {
    local t0 c h H pid addr deadline boot m ok missing=""
    t0=$(date +%s%N)
    [ "$(id -u)" = 0 ] || { _rig_err "rig_up must run as root"; return 1; }
    for c in ip unshare nsenter libvirtd virtlogd virsh qemu-img qemu-io \
        qemu-system-x86_64 perl cpio gzip mkfifo; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] || { _rig_err "missing commands:$missing"; return 1; }
    case $RIG_DIR in
        /?*/?* | /tmp/?*) ;;
        *) _rig_err "refusing RIG_DIR='$RIG_DIR' (use a dedicated directory)"; return 1 ;;
    esac
    if [ -n "${MIGGUARD_DESTDIR:-}" ]; then
        case $MIGGUARD_DESTDIR in
            /*) ;;
            *) _rig_err "MIGGUARD_DESTDIR must be an absolute path"; return 1 ;;
        esac
    fi

    # Leftovers of an earlier rig (crashed test run): clean them first.
    if [ -e "$RIG_DIR" ] || ip netns list 2>/dev/null | grep -q "^${RIG_NETNS_PREFIX}h[ab]\b"; then
        rig_down || return 1
    fi

    boot=$(_rig_boot_files) || return 1
    RIG_KERNEL_NAME=${boot% *}
    RIG_INITRD_NAME=${boot#* }
    mkdir -p "$RIG_DIR/hosts" || { _rig_err "cannot create $RIG_DIR"; return 1; }
    for m in $(_rig_mountpoints); do
        if [ ! -d "$m" ]; then
            mkdir -p "$m" || { _rig_err "cannot create mount point $m"; return 1; }
            echo "$m" >>"$RIG_DIR/created-mountpoints"
        fi
    done

    # Network: two namespaces, one veth pair, lo up.
    for h in $RIG_HOSTS; do
        ip netns add "$RIG_NETNS_PREFIX$h" ||
            { _rig_err "ip netns add $RIG_NETNS_PREFIX$h failed"; rig_down; return 1; }
        ip -n "$RIG_NETNS_PREFIX$h" link set lo up || { _rig_err "lo up failed"; rig_down; return 1; }
    done
    if ! ip link add "${RIG_NETNS_PREFIX}ha0" netns "${RIG_NETNS_PREFIX}ha" type veth \
        peer name "${RIG_NETNS_PREFIX}hb0" netns "${RIG_NETNS_PREFIX}hb"; then
        _rig_err "creating the veth pair failed"; rig_down; return 1
    fi
    for h in $RIG_HOSTS; do
        addr=$(_rig_addr "$h")
        if ! ip -n "$RIG_NETNS_PREFIX$h" addr add "$addr/24" dev "$RIG_NETNS_PREFIX${h}0" ||
            ! ip -n "$RIG_NETNS_PREFIX$h" link set "$RIG_NETNS_PREFIX${h}0" up; then
            _rig_err "configuring $addr on host $h failed"; rig_down; return 1
        fi
    done

    # Hosts: private directories, then the holder.
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        _rig_prepare_host "$h" || { _rig_err "preparing $H failed"; rig_down; return 1; }
        # fd 3 is closed so that bats does not wait for the holder.
        ip netns exec "$RIG_NETNS_PREFIX$h" unshare --mount --uts --propagation private \
            /bin/bash "$RIG_HELPERS/holder.sh" "$h" "$(_rig_addr "$h")" "$H" \
            </dev/null >>"$H/holder.log" 2>&1 3>&- &
        echo $! >"$H/holder.started-pid"
    done

    # Wait until both libvirtds answer (in parallel: the first connection
    # may make libvirtd probe QEMU's capabilities, which takes seconds).
    deadline=$(($(date +%s) + ${RIG_UP_TIMEOUT:-30}))
    pids=""
    for h in $RIG_HOSTS; do
        _rig_wait_host_ready "$h" "$deadline" &
        pids="$pids $!"
    done
    ok=1
    for pid in $pids; do
        wait "$pid" || ok=0
    done
    if [ $ok = 0 ]; then
        rig_down
        return 1
    fi
    # Keep QEMU's probed capabilities for the next rig_up (libvirt re-probes
    # by itself if they no longer match the installed QEMU/libvirt).
    H=$(_rig_hostdir ha)
    if [ ! -d "$RIG_CACHE/qemu-capabilities" ] &&
        [ -n "$(ls "$H/var-cache-libvirt/qemu/capabilities/" 2>/dev/null)" ]; then
        rm -rf "$RIG_CACHE/qemu-capabilities.tmp.$$"
        cp -a "$H/var-cache-libvirt/qemu/capabilities" "$RIG_CACHE/qemu-capabilities.tmp.$$" &&
            mv -T "$RIG_CACHE/qemu-capabilities.tmp.$$" "$RIG_CACHE/qemu-capabilities" 2>/dev/null
        rm -rf "$RIG_CACHE/qemu-capabilities.tmp.$$"
    fi
    RIG_UP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    return 0
}

# rig_exec HOST CMD...: run CMD inside HOST (its mount, UTS and network
# namespaces).
rig_exec() {
    local h=${1:-} pid
    _rig_check_host "$h" || return 1
    shift
    [ $# -gt 0 ] || { _rig_err "rig_exec: no command"; return 1; }
    pid=$(_rig_holder_pid "$h") || { _rig_err "host $h is not running"; return 1; }
    nsenter -t "$pid" -m -u -n -- "$@"
}

# rig_virsh HOST ARGS...: virsh against HOST's own libvirtd.
rig_virsh() {
    local h=${1:-}
    _rig_check_host "$h" || return 1
    shift
    rig_exec "$h" virsh -c qemu:///system "$@"
}

# rig_uri HOST: the URI other hosts use to reach HOST's libvirtd.
rig_uri() {
    _rig_check_host "${1:-}" || return 1
    echo "qemu+tcp://$(_rig_addr "$1")/system"
}

# rig_hostdir HOST: the directory with HOST's private files and logs.
rig_hostdir() {
    _rig_check_host "${1:-}" || return 1
    _rig_hostdir "$1"
}

# rig_migguardd_path / rig_migguard_path: installed binaries (from
# MIGGUARD_DESTDIR), usable as-is inside a host via rig_exec.
rig_migguardd_path() {
    [ -n "${MIGGUARD_DESTDIR:-}" ] || { _rig_err "MIGGUARD_DESTDIR is not set"; return 1; }
    [ -x "$MIGGUARD_DESTDIR/usr/sbin/migguardd" ] ||
        { _rig_err "no $MIGGUARD_DESTDIR/usr/sbin/migguardd"; return 1; }
    echo "$MIGGUARD_DESTDIR/usr/sbin/migguardd"
}

rig_migguard_path() {
    [ -n "${MIGGUARD_DESTDIR:-}" ] || { _rig_err "MIGGUARD_DESTDIR is not set"; return 1; }
    [ -x "$MIGGUARD_DESTDIR/usr/bin/migguard" ] ||
        { _rig_err "no $MIGGUARD_DESTDIR/usr/bin/migguard"; return 1; }
    echo "$MIGGUARD_DESTDIR/usr/bin/migguard"
}

# rig_daemon_start HOST [ARGS...]: start `migguardd --foreground ARGS` inside
# HOST as a child of the host's holder (which reaps it). stdout and stderr go
# to $RIG_DIR/hosts/HOST/migguardd.log; PID in .../migguardd.pid.
rig_daemon_start() {
    local h=${1:-} H bin pid i a cmd
    _rig_check_host "$h" || return 1
    shift
    H=$(_rig_hostdir "$h")
    _rig_holder_pid "$h" >/dev/null || { _rig_err "host $h is not running"; return 1; }
    bin=${RIG_MIGGUARDD:-}
    [ -n "$bin" ] || bin=$(rig_migguardd_path) || return 1
    pid=$(cat "$H/migguardd.pid" 2>/dev/null)
    if _rig_pid_alive "$pid"; then
        _rig_err "migguardd already running on $h (pid $pid)"; return 1
    fi
    rm -f "$H/migguardd.pid"
    cmd="exec $(printf '%q' "$bin") --foreground"
    for a in "$@"; do cmd="$cmd $(printf '%q' "$a")"; done
    printf '# started by rig_daemon_start\necho "=== $(date +%%T) pid $$: %s" >&2\n%s\n' \
        "${cmd//%/%%}" "$cmd" >"$H/spawn/migguardd.sh" || return 1
    echo "spawn migguardd" >"$H/ctl" || { _rig_err "cannot talk to the holder of $h"; return 1; }
    for ((i = 0; i < 100; i++)); do
        [ -s "$H/migguardd.pid" ] && break
        sleep 0.05
    done
    pid=$(cat "$H/migguardd.pid" 2>/dev/null)
    [ -n "$pid" ] || { _rig_err "migguardd did not start on $h"; return 1; }
    echo "$pid"
}

# rig_daemon_pid HOST: PID of migguardd on HOST if it is running.
rig_daemon_pid() {
    local h=${1:-} pid
    _rig_check_host "$h" || return 1
    pid=$(cat "$(_rig_hostdir "$h")/migguardd.pid" 2>/dev/null)
    _rig_pid_alive "$pid" || { _rig_err "migguardd is not running on $h"; return 1; }
    echo "$pid"
}

# rig_daemon_stop HOST: SIGTERM migguardd, wait up to 10 s, then SIGKILL.
# Returns 0 also when it was not running.
rig_daemon_stop() {
    local h=${1:-} H pid
    _rig_check_host "$h" || return 1
    H=$(_rig_hostdir "$h")
    pid=$(cat "$H/migguardd.pid" 2>/dev/null)
    if _rig_pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        if ! _rig_wait_gone "$pid" "${RIG_DAEMON_STOP_TIMEOUT:-10}"; then
            _rig_err "migguardd ($pid) on $h ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null
            _rig_wait_gone "$pid" 5 || { _rig_err "cannot kill migguardd $pid"; return 1; }
        fi
    fi
    rm -f "$H/migguardd.pid"
    return 0
}

# rig_guest_create HOST NAME [--disks "SPEC ..."] [--vcpus N] [--memory MiB]
#                  [--transient] [--nic] [--nic-bridge BR] [--nic-network NET]
#                  [--cache MODE] [--xml-extra XML] [--devices-extra XML]
#                  [--no-wait]
# SPEC is FORMAT:SIZE[:FILL_MiB] with FORMAT qcow2 or raw, e.g. qcow2:200M:10.
# Disk N (0-based) is vd<a+N> at /var/lib/libvirt/images/NAME-vdX.FORMAT
# (raw: .img), its first FILL MiB written with 0xab. --xml-extra goes inside
# <domain> (e.g. <cputune>, <metadata>, <cpu>), --devices-extra inside
# <devices>. Starts the guest and waits until it prints its counter.
rig_guest_create() {
    local h=${1:-} name=${2:-} disks="" vcpus=1 mem=128 transient=0 nic="" cache=none
    local xml_extra="" dev_extra="" wait=1 H xml spec fmt size fill rest letter i path ext
    local disk_xml="" nic_xml="" deadline
    _rig_check_host "$h" || return 1
    case $name in
        '' | *[!A-Za-z0-9_.-]*) _rig_err "bad guest name '$name'"; return 1 ;;
    esac
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
            --disks) disks=${2-}; shift ;;
            --vcpus) vcpus=${2-}; shift ;;
            --memory) mem=${2-}; shift ;;
            --transient) transient=1 ;;
            --nic) nic="<interface type='user'><model type='virtio'/></interface>" ;;
            --nic-bridge) nic="<interface type='bridge'><source bridge='${2-}'/><model type='virtio'/></interface>"; shift ;;
            --nic-network) nic="<interface type='network'><source network='${2-}'/><model type='virtio'/></interface>"; shift ;;
            --cache) cache=${2-}; shift ;;
            --xml-extra) xml_extra=${2-}; shift ;;
            --devices-extra) dev_extra=${2-}; shift ;;
            --no-wait) wait=0 ;;
            *) _rig_err "rig_guest_create: unknown option '$1'"; return 1 ;;
        esac
        shift || { _rig_err "rig_guest_create: missing value"; return 1; }
    done
    case $vcpus in '' | *[!0-9]*) _rig_err "bad --vcpus '$vcpus'"; return 1 ;; esac
    case $mem in '' | *[!0-9]*) _rig_err "bad --memory '$mem'"; return 1 ;; esac
    H=$(_rig_hostdir "$h")
    _rig_holder_pid "$h" >/dev/null || { _rig_err "host $h is not running"; return 1; }
    [ -n "${RIG_KERNEL_NAME:-}" ] || {
        local b
        b=$(_rig_boot_files) || return 1
        RIG_KERNEL_NAME=${b% *} RIG_INITRD_NAME=${b#* }
    }

    i=0
    for spec in $disks; do
        IFS=: read -r fmt size fill rest <<<"$spec"
        case $fmt in
            qcow2) ext=qcow2 ;;
            raw) ext=img ;;
            *) _rig_err "bad disk spec '$spec' (FORMAT must be qcow2 or raw)"; return 1 ;;
        esac
        [ -n "$size" ] && [ -z "$rest" ] || { _rig_err "bad disk spec '$spec' (FORMAT:SIZE[:FILL_MiB])"; return 1; }
        case ${fill:-0} in *[!0-9]*) _rig_err "bad fill in disk spec '$spec'"; return 1 ;; esac
        [ $i -lt 26 ] || { _rig_err "too many disks"; return 1; }
        letter=$(printf "\\x$(printf %x $((97 + i)))")
        path=$RIG_IMAGES_DIR/$name-vd$letter.$ext
        rig_exec "$h" qemu-img create -q -f "$fmt" "$path" "$size" ||
            { _rig_err "qemu-img create $path ($size) on $h failed"; return 1; }
        if [ "${fill:-0}" -gt 0 ]; then
            rig_exec "$h" qemu-io -f "$fmt" -c "write -P 0xab 0 ${fill}M" "$path" >/dev/null ||
                { _rig_err "filling $path on $h failed"; return 1; }
        fi
        disk_xml="$disk_xml
    <disk type='file' device='disk'>
      <driver name='qemu' type='$fmt' cache='$cache'/>
      <source file='$path'/>
      <target dev='vd$letter' bus='virtio'/>
    </disk>"
        i=$((i + 1))
    done

    xml=$H/xml/$name.xml
    cat >"$xml" <<EOF || { _rig_err "cannot write $xml"; return 1; }
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>$vcpus</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$RIG_BOOT_DIR/$RIG_KERNEL_NAME</kernel>
    <initrd>$RIG_BOOT_DIR/$RIG_INITRD_NAME</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 mitigations=off</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  $xml_extra
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>$disk_xml
    $nic
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/$name-serial.log'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
    $dev_extra
  </devices>
</domain>
EOF
    rm -f "$H/var-log-libvirt/qemu/$name-serial.log"
    if [ $transient = 1 ]; then
        rig_virsh "$h" create "$xml" >/dev/null ||
            { _rig_err "virsh create $name on $h failed"; return 1; }
    else
        rig_virsh "$h" define "$xml" >/dev/null ||
            { _rig_err "virsh define $name on $h failed"; return 1; }
        rig_virsh "$h" start "$name" >/dev/null ||
            { _rig_err "virsh start $name on $h failed"; return 1; }
    fi
    [ $wait = 1 ] || return 0
    deadline=$(($(date +%s) + ${RIG_BOOT_TIMEOUT:-60}))
    while [ "$(date +%s)" -le "$deadline" ]; do
        if grep -aq '^mgrig-counter [0-9]' "$H/var-log-libvirt/qemu/$name-serial.log" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    _rig_err "guest $name on $h printed no counter within ${RIG_BOOT_TIMEOUT:-60} s (see $H/var-log-libvirt/qemu/$name-serial.log)"
    return 1
}

# rig_guest_serial_log HOST NAME: path (outside the host) of NAME's serial log.
rig_guest_serial_log() {
    _rig_check_host "${1:-}" || return 1
    [ -n "${2:-}" ] || { _rig_err "rig_guest_serial_log: no guest name"; return 1; }
    echo "$(_rig_hostdir "$1")/var-log-libvirt/qemu/$2-serial.log"
}

# rig_guest_counter HOST NAME: last counter value NAME printed on HOST.
rig_guest_counter() {
    local log n
    log=$(rig_guest_serial_log "${1:-}" "${2:-}") || return 1
    [ -e "$log" ] || { _rig_err "no serial log for ${2:-} on ${1:-}"; return 1; }
    n=$(grep -a '^mgrig-counter [0-9][0-9]*' "$log" 2>/dev/null | tail -n 1 | tr -dc 0-9)
    [ -n "$n" ] || { _rig_err "guest ${2:-} printed no counter on ${1:-}"; return 1; }
    echo "$n"
}

# rig_guest_running HOST NAME: true if `virsh domstate NAME` is running.
rig_guest_running() {
    local st
    _rig_check_host "${1:-}" || return 1
    st=$(rig_virsh "$1" domstate "${2:-}" 2>/dev/null) || return 1
    [ "$(echo "$st" | head -n 1)" = running ]
}

# rig_guest_destroy_all: destroy and undefine every domain on both hosts and
# remove images, serial logs and rig XML files.
rig_guest_destroy_all() {
    local h H d rc=0
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        _rig_holder_pid "$h" >/dev/null || continue
        for d in $(rig_exec "$h" timeout 30 virsh -c qemu:///system list --all --name 2>/dev/null); do
            rig_exec "$h" timeout 30 virsh -c qemu:///system destroy "$d" >/dev/null 2>&1
            if rig_exec "$h" timeout 30 virsh -c qemu:///system dominfo "$d" >/dev/null 2>&1; then
                rig_exec "$h" timeout 30 virsh -c qemu:///system undefine "$d" \
                    --managed-save --snapshots-metadata --checkpoints-metadata >/dev/null 2>&1 ||
                    rig_exec "$h" timeout 30 virsh -c qemu:///system undefine "$d" >/dev/null 2>&1
            fi
        done
        d=$(rig_exec "$h" timeout 30 virsh -c qemu:///system list --all --name 2>/dev/null | grep -c .)
        if [ "$d" != 0 ]; then
            _rig_err "could not remove all domains on $h"; rc=1
        fi
        rm -rf "$H"/var-lib-libvirt/images/* "$H"/var-log-libvirt/qemu/* "$H"/xml/*
    done
    return $rc
}

# rig_pools_destroy_all: destroy and undefine every storage pool on both hosts
# (files in them are left alone).
rig_pools_destroy_all() {
    local h p
    for h in $RIG_HOSTS; do
        _rig_holder_pid "$h" >/dev/null || continue
        for p in $(rig_exec "$h" timeout 30 virsh -c qemu:///system pool-list --all --name 2>/dev/null); do
            rig_exec "$h" timeout 30 virsh -c qemu:///system pool-destroy "$p" >/dev/null 2>&1
            rig_exec "$h" timeout 30 virsh -c qemu:///system pool-undefine "$p" >/dev/null 2>&1
        done
    done
    return 0
}

# rig_down: stop everything rig_up started, by PID; remove the namespaces,
# the veth pair, the mount points it created (if empty) and $RIG_DIR.
# Idempotent; safe after a partial rig_up.
rig_down() {
    local h H pid ns ino p pids m rc=0 i
    case $RIG_DIR in
        /?*/?* | /tmp/?*) ;;
        *) _rig_err "refusing RIG_DIR='$RIG_DIR'"; return 1 ;;
    esac
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        rig_daemon_stop "$h" >/dev/null 2>&1
        if _rig_holder_pid "$h" >/dev/null; then
            # Clean guest shutdown where libvirtd still answers.
            for p in $(rig_exec "$h" timeout 10 virsh -c qemu:///system list --name 2>/dev/null); do
                rig_exec "$h" timeout 10 virsh -c qemu:///system destroy "$p" >/dev/null 2>&1
            done
        fi
        pid=$(_rig_holder_pid "$h") && {
            kill -TERM "$pid" 2>/dev/null
            _rig_wait_gone "$pid" 30 || _rig_err "holder $pid of $h did not stop in 30 s"
        }
    done
    # Anything still running in the hosts' network namespaces, by PID.
    for h in $RIG_HOSTS; do
        ns=/run/netns/$RIG_NETNS_PREFIX$h
        [ -e "$ns" ] || continue
        ino=$(stat -L -c %i "$ns" 2>/dev/null) || continue
        for i in 1 2 3; do
            pids=""
            for p in /proc/[0-9]*; do
                [ "$(readlink "$p/ns/net" 2>/dev/null)" = "net:[$ino]" ] || continue
                _rig_pid_alive "${p#/proc/}" && pids="$pids ${p#/proc/}"
            done
            [ -n "$pids" ] || break
            if [ $i = 3 ]; then
                _rig_err "processes left in $RIG_NETNS_PREFIX$h:$pids"; rc=1; break
            fi
            # shellcheck disable=SC2086
            kill -$([ $i = 1 ] && echo TERM || echo KILL) $pids 2>/dev/null
            for p in $pids; do _rig_wait_gone "$p" 5; done
        done
    done
    # Reap holders that are children of this shell.
    for h in $RIG_HOSTS; do
        pid=$(cat "$(_rig_hostdir "$h")/holder.started-pid" 2>/dev/null) &&
            wait "$pid" 2>/dev/null
    done
    for h in $RIG_HOSTS; do
        if ip netns list 2>/dev/null | grep -q "^$RIG_NETNS_PREFIX$h\b"; then
            ip netns del "$RIG_NETNS_PREFIX$h" || { _rig_err "ip netns del $RIG_NETNS_PREFIX$h failed"; rc=1; }
        fi
        # A veth end left in this namespace by a failed rig_up.
        if ip link show "$RIG_NETNS_PREFIX${h}0" >/dev/null 2>&1; then
            ip link del "$RIG_NETNS_PREFIX${h}0" 2>/dev/null
        fi
    done
    for h in $RIG_HOSTS; do
        _rig_remove_cgroups "$(_rig_hostdir "$h")" || rc=1
    done
    # Nothing is mounted in this namespace by the rig; be sure before rm -rf.
    if grep -q " ${RIG_DIR}[/ ]" /proc/self/mountinfo; then
        awk -v d="$RIG_DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
            sort -r | while read -r m; do umount -l "$m"; done
    fi
    if [ -f "$RIG_DIR/created-mountpoints" ]; then
        sort -r "$RIG_DIR/created-mountpoints" | while read -r m; do
            rmdir "$m" 2>/dev/null
        done
    fi
    rm -rf "$RIG_DIR" || { _rig_err "cannot remove $RIG_DIR"; rc=1; }
    [ $rc = 0 ] || _rig_err "rig_down left something behind"
    return $rc
}
