# rig.bash: two real libvirt hosts on one machine, for migguard's
# integration tests. Source it from bats tests or scripts (as root):
#
#   . tests/lib/rig.bash
#   rig_up                                   # hosts ha (192.0.2.1), hb (192.0.2.2)
#   rig_guest_create ha g1 --disks "qcow2:200M:10"
#   rig_virsh hb pool-create-as imgs dir --target /var/lib/libvirt/images
#   rig_virsh ha migrate --live --copy-storage-all g1 "$(rig_uri hb)"
#   rig_guest_counter hb g1
#   rig_down
#
# Every public function returns non-zero with a one-line message on stderr
# when it fails. Nothing here changes the caller's shell options; it works
# under `set -eu` (bats). Call rig_up and rig_down from the same shell
# process (e.g. bats' setup_file/teardown_file, not through `run`): the
# holders are its children and rig_down reaps them.
#
# Each host is a network namespace (mg-ha / mg-hb, joined by the veth pair
# mg-ha0 <-> mg-hb0, nothing else reachable) plus mount, UTS and cgroup
# namespaces owned by a holder process (tests/rig/holder.sh) that runs the
# host's virtlogd and `libvirtd -l` in the foreground. Private per-host
# directories live in $RIG_DIR/hosts/HOST/ and are bind-mounted inside the
# host over:
#   /etc/libvirt        etc-libvirt/        (copy of the real /etc/libvirt)
#   /var/lib/libvirt    var-lib-libvirt/    (boot/, images/, qemu/)
#   /var/log/libvirt    var-log-libvirt/    (qemu/NAME-serial.log ...)
#   /var/cache/libvirt  var-cache-libvirt/
#   /etc/migguard       etc-migguard/
#   /var/lib/migguard   var-lib-migguard/
#   /etc/hosts          etc-hosts           (names ha and hb)
# with a tmpfs over /run/libvirt and /run/migguard. Logs of the host's
# daemons: $RIG_DIR/hosts/HOST/{holder,virtlogd,libvirtd,migguardd}.log.
# Each host has its own cgroup (v1) tree, rooted at a group mgrig-HOST below
# the caller's; libvirt puts its guests in /machine/... there.
#
# Environment:
#   RIG_DIR           state directory (default /tmp/migguard-rig); must be on
#                     a file system with O_DIRECT (not tmpfs) for cache=none
#   RIG_CACHE         kernel/initramfs/QEMU-capabilities cache
#                     (default /var/cache/migguard-rig)
#   RIG_KERNEL        guest kernel (default: newest /boot/vmlinuz-*)
#   RIG_CGROUPS       1 (default): cgroups inside the hosts; 0: none
#   RIG_UP_TIMEOUT    seconds rig_up waits for both libvirtds (default 30)
#   RIG_BOOT_TIMEOUT  seconds rig_guest_create waits for the counter (60)
#   MIGGUARD_DESTDIR  a `make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc`
#                     tree to install into both hosts at rig_up
#   RIG_MIGGUARDD     migguardd binary for rig_daemon_start (default: from
#                     MIGGUARD_DESTDIR)
#   RIG_HA_ROOT, RIG_HB_ROOT
#                     run that host from another Debian release's root (made
#                     by tests/rig/make-trixie-root.sh) instead of this
#                     machine's: see "Hosts of another release" below
#   RIG_HA_DESTDIR, RIG_HB_DESTDIR
#                     for such a host, migguard installed from a build made
#                     inside that root (tests/rig/build-in-root.sh); it is
#                     what the host sees at /usr/libexec/migguard and at
#                     MIGGUARD_DESTDIR
#   RIG_MACHINE       machine type of rig_guest_create's guests (default pc;
#                     when the hosts run different QEMUs, the newest
#                     pc-i440fx-X.Y that all of them know, as a mixed cluster
#                     must use for a guest to be able to migrate everywhere)
#
# Hosts of another release: with RIG_HB_ROOT=DIR, host hb's holder makes DIR
# a mount point in hb's mount namespace, binds /proc, /dev, /tmp and (after
# its cgroups) /sys into it, puts the per-host directories above over
# DIR/etc/libvirt, DIR/var/lib/libvirt, ... instead of the real ones, and
# runs virtlogd, libvirtd and migguardd with `chroot DIR`. rig_exec (and so
# rig_virsh, qemu-img in the host, ...) runs commands in that chroot too. The
# paths rig_hostdir and rig_guest_serial_log print work unchanged. The QEMU
# capabilities that root's libvirt probes are cached per root in
# RIG_CACHE/qemu-capabilities-ROOTNAME; rig_up makes the first probe happen
# at once (it took under 5 s for QEMU 10 on the 2-core development machine,
# 45 s were seen elsewhere) and reports its time on stderr and in
# RIG_CACHE/qemu-capabilities-ROOTNAME.probe.
#
# Only one rig can be up on a machine at a time (fixed names and addresses).

RIG_DIR=${RIG_DIR:-/tmp/migguard-rig}
RIG_CACHE=${RIG_CACHE:-/var/cache/migguard-rig}
RIG_HOSTS="ha hb"
RIG_NETNS_PREFIX=mg-
RIG_BOOT_DIR=/var/lib/libvirt/boot
RIG_IMAGES_DIR=/var/lib/libvirt/images
RIG_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../rig" && pwd)

# --- internals --------------------------------------------------------------

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

# The root HOST runs from: empty for this machine's, else RIG_HA_ROOT or
# RIG_HB_ROOT.
_rig_root() {
    case $1 in
        ha) echo "${RIG_HA_ROOT:-}" ;;
        hb) echo "${RIG_HB_ROOT:-}" ;;
    esac
}

# The migguard install tree HOST runs (MIGGUARD_DESTDIR for this machine's
# root, RIG_HA_DESTDIR / RIG_HB_DESTDIR for another root).
_rig_destdir() {
    if [ -z "$(_rig_root "$1")" ]; then
        echo "${MIGGUARD_DESTDIR:-}"
        return
    fi
    case $1 in
        ha) echo "${RIG_HA_DESTDIR:-}" ;;
        hb) echo "${RIG_HB_DESTDIR:-}" ;;
    esac
}

# Where the QEMU capabilities libvirt probed in HOST's root are cached.
_rig_caps_cache() {
    local r
    r=$(_rig_root "$1")
    if [ -z "$r" ]; then
        echo "$RIG_CACHE/qemu-capabilities"
    else
        echo "$RIG_CACHE/qemu-capabilities-$(basename "$r")"
    fi
}

# Checks RIG_HA_ROOT / RIG_HB_ROOT and their install trees.
_rig_check_roots() {
    local h r d
    for h in $RIG_HOSTS; do
        r=$(_rig_root "$h")
        [ -n "$r" ] || continue
        case $r in
            /?*) ;;
            *) _rig_err "the root of host $h must be an absolute path ('$r')"; return 1 ;;
        esac
        case $r in
            *..* | *//* | */ | *[!A-Za-z0-9/_.+-]*)
                _rig_err "refusing root '$r' for host $h (not a plain path)"; return 1 ;;
        esac
        if [ ! -x "$r/usr/sbin/libvirtd" ] || [ ! -x "$r/usr/sbin/virtlogd" ] ||
            [ ! -x "$r/usr/bin/virsh" ] || [ ! -x "$r/usr/bin/qemu-img" ]; then
            _rig_err "$r is not a rig root (libvirtd, virtlogd, virsh or qemu-img missing; see tests/rig/make-trixie-root.sh)"
            return 1
        fi
        [ -n "${MIGGUARD_DESTDIR:-}" ] || continue
        d=$(_rig_destdir "$h")
        case $d in
            /*) ;;
            *) _rig_err "host $h runs from $r: set RIG_${h^^}_DESTDIR to migguard built in that root (absolute path)"
                return 1 ;;
        esac
        [ -d "$d/usr/libexec/migguard" ] || { _rig_err "no $d/usr/libexec/migguard"; return 1; }
    done
}

# The machine type for guests: RIG_MACHINE; pc when both hosts run the same
# QEMU; else the newest pc-i440fx-X.Y both QEMUs know (cached in RIG_DIR).
_rig_machine() {
    local h r m
    if [ -n "${RIG_MACHINE:-}" ]; then
        echo "$RIG_MACHINE"
        return
    fi
    if [ "$(_rig_root ha)" = "$(_rig_root hb)" ]; then
        echo pc
        return
    fi
    if [ ! -s "$RIG_DIR/machine" ]; then
        for h in $RIG_HOSTS; do
            r=$(_rig_root "$h")
            if [ -n "$r" ]; then
                chroot "$r" qemu-system-x86_64 -machine help
            else
                qemu-system-x86_64 -machine help
            fi | awk '$1 ~ /^pc-i440fx-[0-9]+\.[0-9]+$/ { print $1 }' | sort -u >"$RIG_DIR/machines-$h" ||
                { _rig_err "cannot list the machine types of host $h's QEMU"; return 1; }
        done
        m=$(comm -12 "$RIG_DIR/machines-ha" "$RIG_DIR/machines-hb" | sort -V | tail -n 1)
        [ -n "$m" ] || { _rig_err "the hosts' QEMUs have no pc-i440fx machine type in common"; return 1; }
        echo "$m" >"$RIG_DIR/machine" || return 1
    fi
    cat "$RIG_DIR/machine"
}

_rig_check_rig_dir() {
    case $RIG_DIR in
        /tmp/?* | /?*/?*) ;;
        *) _rig_err "refusing RIG_DIR='$RIG_DIR' (use a dedicated directory)"; return 1 ;;
    esac
    case $RIG_DIR in
        *..* | *//* | */) _rig_err "refusing RIG_DIR='$RIG_DIR' (not a plain path)"; return 1 ;;
    esac
}

_rig_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# True if PID is alive and not a zombie.
_rig_pid_alive() {
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Prints the holder PID of HOST if it is alive (and really a holder).
_rig_holder_pid() {
    local pid
    pid=$(cat "$(_rig_hostdir "$1")/holder.pid" 2>/dev/null) || return 1
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

# virsh inside HOST with a time limit, for the rig's own housekeeping.
_rig_virsh_t() {
    local h=$1 secs=$2
    shift 2
    rig_exec "$h" timeout "$secs" virsh -c qemu:///system "$@"
}

# Makes sure the cached guest kernel and initramfs exist; prints their file
# names "KERNEL INITRD" (the same names are used in each host's boot dir).
_rig_boot_files() {
    local k kver ksum isum kname iname
    k=${RIG_KERNEL:-}
    if [ -z "$k" ]; then
        k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
    fi
    if [ -z "$k" ] || [ ! -r "$k" ]; then
        _rig_err "no guest kernel (/boot/vmlinuz-*; install linux-image-amd64)"
        return 1
    fi
    kver=${k##*/vmlinuz-}
    ksum=$(sha1sum "$RIG_HELPERS/make-kernel.sh" | cut -c1-8) || return 1
    isum=$(sha1sum "$RIG_HELPERS/make-initramfs.sh" | cut -c1-8) || return 1
    kname=mgrig-kernel-$kver-$ksum
    iname=mgrig-initrd-$kver-$isum.img
    mkdir -p "$RIG_CACHE" || { _rig_err "cannot create $RIG_CACHE"; return 1; }
    if [ ! -s "$RIG_CACHE/$kname" ]; then
        bash "$RIG_HELPERS/make-kernel.sh" "$k" "$RIG_CACHE/$kname" ||
            { _rig_err "preparing the guest kernel failed"; return 1; }
        # Drop what older versions of the helper scripts made.
        find "$RIG_CACHE" -maxdepth 1 -name "mgrig-kernel-$kver-*" ! -name "$kname" -delete || true
    fi
    if [ ! -s "$RIG_CACHE/$iname" ]; then
        bash "$RIG_HELPERS/make-initramfs.sh" "$kver" "$RIG_CACHE/$iname" ||
            { _rig_err "building the guest initramfs failed"; return 1; }
        find "$RIG_CACHE" -maxdepth 1 -name "mgrig-initrd-$kver-*" ! -name "$iname" -delete || true
    fi
    echo "$kname $iname"
}

# Copies the boot files into HOST's /var/lib/libvirt/boot if missing there.
_rig_host_boot_files() {
    local h=$1 f dir
    dir=$(_rig_hostdir "$h")/var-lib-libvirt/boot
    for f in $2 $3; do
        [ -s "$dir/$f" ] && continue
        cp "$RIG_CACHE/$f" "$dir/$f.tmp" && chmod 644 "$dir/$f.tmp" &&
            mv -f "$dir/$f.tmp" "$dir/$f" ||
            { _rig_err "cannot copy $f into host $h"; return 1; }
    done
}

# _rig_tls_certs DIR: a CA and one certificate for both hosts (their
# addresses and names; server and client use), as QEMU's migration TLS
# reads them from a directory: ca-cert.pem, server-*.pem, client-*.pem.
# Keys readable by all: QEMU runs as libvirt-qemu and this is a test CA.
_rig_tls_certs() {
    local d=$1 ext
    [ -s "$d/client-key.pem" ] && return 0
    command -v openssl >/dev/null || { _rig_err "openssl is not installed"; return 1; }
    mkdir -p "$d" || return 1
    ext="subjectAltName=IP:$(_rig_addr ha),IP:$(_rig_addr hb),DNS:ha,DNS:hb
extendedKeyUsage=serverAuth,clientAuth
keyUsage=digitalSignature,keyEncipherment
basicConstraints=CA:FALSE"
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=migguard rig CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$d/ca-key.pem" -out "$d/ca-cert.pem" &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=migguard rig host" \
                -keyout "$d/server-key.pem" -out "$d/server.csr" &&
            openssl x509 -req -in "$d/server.csr" -CA "$d/ca-cert.pem" -CAkey "$d/ca-key.pem" \
                -CAcreateserial -days 3650 -extfile <(echo "$ext") -out "$d/server-cert.pem"
    } >"$d/openssl.log" 2>&1 || { _rig_err "making TLS certificates failed (see $d/openssl.log)"; return 1; }
    cp "$d/server-cert.pem" "$d/client-cert.pem" && cp "$d/server-key.pem" "$d/client-key.pem" &&
        chmod 644 "$d"/*.pem && chmod 755 "$d"
}

# Directories on the real root that serve as mount points. Created only if
# absent (and recorded, so rig_down can remove them again if still empty).
_rig_mountpoints() {
    echo /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt \
        /run/libvirt /etc/migguard /var/lib/migguard /run/migguard
    [ -z "${MIGGUARD_DESTDIR:-}" ] || echo /usr/libexec/migguard
}

_rig_prepare_host() {
    local h=$1 kname=$2 iname=$3 H addr root destdir caps m
    H=$(_rig_hostdir "$h")
    addr=$(_rig_addr "$h")
    root=$(_rig_root "$h")
    destdir=$(_rig_destdir "$h")
    caps=$(_rig_caps_cache "$h")
    mkdir -p "$H"/{etc-libvirt,var-lib-libvirt,var-log-libvirt,var-cache-libvirt} \
        "$H"/{etc-migguard,var-lib-migguard,spawn,xml} || return 1
    if [ -n "$root" ]; then
        # Mount points in the other root (a rig-only root: creating them
        # there is harmless).
        for m in $(_rig_mountpoints) /usr/libexec/migguard /etc/hosts \
            ${MIGGUARD_DESTDIR:+"$MIGGUARD_DESTDIR"}; do
            [ -e "$root$m" ] && continue
            if [ "$m" = /etc/hosts ]; then
                : >"$root$m" || return 1
            else
                mkdir -p "$root$m" || return 1
            fi
        done
        case $H in
            /tmp/*) ;;
            *) mkdir -p "$root$H" || return 1 ;;
        esac
    fi

    # /etc/libvirt: a copy of the real one (of the host's root), minus
    # anything that would make the host differ from a fresh install
    # (domains, pools, autostart, hooks).
    cp -a "$root"/etc/libvirt/. "$H/etc-libvirt/" || return 1
    rm -rf "$H/etc-libvirt/hooks" "$H/etc-libvirt/storage" \
        "$H"/etc-libvirt/qemu/*.xml "$H/etc-libvirt/qemu/autostart" \
        "$H"/etc-libvirt/qemu/networks/autostart/* || return 1
    # libvirtd only runs hooks if this directory exists when it starts.
    mkdir -p "$H/etc-libvirt/hooks/qemu.d" "$H/etc-libvirt/hooks/daemon.d" || return 1
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
# What libvirt picks by itself on a machine without AppArmor/SELinux (DAC
# stays on): the same behaviour on every test machine.
security_driver = "none"
# for --tls: the rig's own CA and certificate (_rig_tls_certs)
default_tls_x509_cert_dir = "/etc/libvirt/pki-qemu"
EOF
    # one CA for both hosts
    _rig_tls_certs "$RIG_DIR/pki" && mkdir -p "$H/etc-libvirt/pki-qemu" &&
        cp -p "$RIG_DIR"/pki/{ca-cert,server-cert,server-key,client-cert,client-key}.pem \
            "$H/etc-libvirt/pki-qemu/" || return 1
    # A host chrooted into another release's root: libvirt's private /dev
    # for each QEMU cannot find /dev/kvm there ("Could not access KVM kernel
    # module"); without the per-QEMU mount namespace QEMU uses the root's.
    if [ -n "$(_rig_root "$h")" ]; then
        echo 'namespaces = [ ]' >>"$H/etc-libvirt/qemu.conf" || return 1
    fi
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n192.0.2.1\tha\n192.0.2.2\thb\n' \
        >"$H/etc-hosts" || return 1

    # Ownership and modes as in a fresh install.
    mkdir -p "$H/var-lib-libvirt"/{boot,images,qemu} "$H/var-log-libvirt/qemu" || return 1
    chmod 711 "$H/var-lib-libvirt/boot" "$H/var-lib-libvirt/images" \
        "$H/var-cache-libvirt" || return 1
    chmod 700 "$H/var-log-libvirt/qemu" || return 1
    chown libvirt-qemu:libvirt-qemu "$H/var-lib-libvirt/qemu" || return 1
    chmod 751 "$H/var-lib-libvirt/qemu" || return 1
    # QEMU capabilities probed by an earlier rig (libvirt re-probes by itself
    # if they do not match the installed QEMU/libvirt): saves ~4 s per host.
    if [ -d "$caps" ]; then
        mkdir -p "$H/var-cache-libvirt/qemu" &&
            cp -a "$caps" "$H/var-cache-libvirt/qemu/capabilities" ||
            return 1
    fi
    _rig_host_boot_files "$h" "$kname" "$iname" || return 1

    # migguard, if an install tree was given.
    if [ -n "${MIGGUARD_DESTDIR:-}" ]; then
        if [ -d "$destdir/etc/migguard" ]; then
            cp -a "$destdir/etc/migguard/." "$H/etc-migguard/" || return 1
        fi
        ln -s /usr/libexec/migguard/migguard-hook \
            "$H/etc-libvirt/hooks/qemu.d/50-migguard" || return 1
        ln -s /usr/libexec/migguard/migguard-hook \
            "$H/etc-libvirt/hooks/daemon.d/50-migguard" || return 1
    fi
    rm -f "$H/ctl" && mkfifo -m 600 "$H/ctl" || return 1
}

# Polls until HOST's libvirtd answers or DEADLINE (epoch seconds) passes.
_rig_wait_host_ready() {
    local h=$1 deadline=$2 H pid
    H=$(_rig_hostdir "$h")
    while [ "$(date +%s)" -le "$deadline" ]; do
        if [ -e "$H/holder.failed" ]; then
            _rig_err "host $h failed: $(cat "$H/holder.failed") (logs in $H)"
            return 1
        fi
        pid=$(cat "$H/holder.pid" 2>/dev/null) || pid=$(cat "$H/nanny.pid" 2>/dev/null) || true
        if ! _rig_pid_alive "$pid"; then
            _rig_err "holder of host $h exited: $(tail -n 1 "$H/holder.log" 2>/dev/null)"
            return 1
        fi
        if [ -s "$H/libvirtd.pid" ] &&
            _rig_virsh_t "$h" 20 version >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    _rig_err "libvirtd on host $h did not answer within ${RIG_UP_TIMEOUT:-30} s (logs in $H)"
    return 1
}

# Mount point (in this mount namespace) of the cgroup v1 hierarchy with the
# controllers CTRLS (comma-separated, as in /proc/PID/cgroup).
_rig_cgroup_mountpoint() {
    awk -v want="$1" '
        BEGIN { n = split(want, w, ","); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        {
            for (i = 7; $i != "-"; i++) ;
            if ($(i + 1) != "cgroup") next
            m = split($(i + 3), o, ","); hit = 0
            for (j = 1; j <= m; j++) if (o[j] in need) hit++
            if (hit == n) { print $5; exit }
        }' /proc/self/mountinfo
}

# Removes the cgroups a holder made (HOSTDIR/cgroup-dirs), deepest first.
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

# --- hosts ------------------------------------------------------------------

# rig_up: start both hosts; one retry after a clean rig_down, so a
# transient start-up failure (shown on stderr) does not fail a whole suite.
rig_up() {
    _rig_up_once && return 0
    _rig_err "rig_up failed once; retrying"
    _rig_up_once
}

_rig_up_once() {
    local t0 c h H m boot kname iname pid pids ok missing="" up_timeout caps p t_hosts
    t0=$(_rig_now_ms)
    [ "$(id -u)" = 0 ] || { _rig_err "rig_up must run as root"; return 1; }
    for c in ip unshare nsenter libvirtd virtlogd virsh qemu-img qemu-io \
        qemu-system-x86_64 perl cpio gzip xz mkfifo timeout busybox; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] || { _rig_err "missing commands:$missing"; return 1; }
    _rig_check_rig_dir || return 1
    if [ -n "${MIGGUARD_DESTDIR:-}" ]; then
        case $MIGGUARD_DESTDIR in
            /*) ;;
            *) _rig_err "MIGGUARD_DESTDIR must be an absolute path"; return 1 ;;
        esac
        [ -d "$MIGGUARD_DESTDIR/usr/libexec/migguard" ] ||
            { _rig_err "no $MIGGUARD_DESTDIR/usr/libexec/migguard"; return 1; }
    fi
    _rig_check_roots || return 1

    if [ -e "$RIG_DIR" ] || ip netns list 2>/dev/null | grep -q "^${RIG_NETNS_PREFIX}h[ab]\b"; then
        rig_down || return 1
    fi

    boot=$(_rig_boot_files) || return 1
    kname=${boot% *} iname=${boot#* }
    mkdir -p "$RIG_DIR/hosts" || { _rig_err "cannot create $RIG_DIR"; return 1; }
    for m in $(_rig_mountpoints); do
        if [ ! -d "$m" ]; then
            mkdir -p "$m" || { _rig_err "cannot create mount point $m"; rig_down; return 1; }
            echo "$m" >>"$RIG_DIR/created-mountpoints"
        fi
    done

    # Network: two namespaces, one veth pair, lo up.
    for h in $RIG_HOSTS; do
        if ! ip netns add "$RIG_NETNS_PREFIX$h" ||
            ! ip -n "$RIG_NETNS_PREFIX$h" link set lo up; then
            _rig_err "creating network namespace $RIG_NETNS_PREFIX$h failed"
            rig_down; return 1
        fi
    done
    if ! ip link add "${RIG_NETNS_PREFIX}ha0" netns "${RIG_NETNS_PREFIX}ha" type veth \
        peer name "${RIG_NETNS_PREFIX}hb0" netns "${RIG_NETNS_PREFIX}hb"; then
        _rig_err "creating the veth pair failed"; rig_down; return 1
    fi
    for h in $RIG_HOSTS; do
        if ! ip -n "$RIG_NETNS_PREFIX$h" addr add "$(_rig_addr "$h")/24" dev "$RIG_NETNS_PREFIX${h}0" ||
            ! ip -n "$RIG_NETNS_PREFIX$h" link set "$RIG_NETNS_PREFIX${h}0" up; then
            _rig_err "configuring the address of host $h failed"; rig_down; return 1
        fi
    done

    # Hosts: private directories, then the holder (fd 3 closed so that bats
    # does not wait for it).
    t_hosts=$(_rig_now_ms)
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        if ! _rig_prepare_host "$h" "$kname" "$iname"; then
            _rig_err "preparing $H failed"; rig_down; return 1
        fi
        # subreaper.pl run: reaps whatever the host leaves, even if the
        # holder itself gets killed; it exits when nothing is left.
        MGRIG_ROOT=$(_rig_root "$h") MGRIG_DESTDIR=$(_rig_destdir "$h") \
            perl "$RIG_HELPERS/subreaper.pl" run \
            ip netns exec "$RIG_NETNS_PREFIX$h" unshare --mount --uts --propagation private \
            /bin/bash "$RIG_HELPERS/holder.sh" "$h" "$(_rig_addr "$h")" "$H" \
            </dev/null >>"$H/holder.log" 2>&1 3>&- &
        echo $! >"$H/nanny.pid"
    done

    # Wait for both at once: a libvirtd without cached QEMU capabilities
    # probes QEMU on its first connection, which takes seconds.
    pids=""
    for h in $RIG_HOSTS; do
        up_timeout=${RIG_UP_TIMEOUT:-30}
        # Another root's libvirt without cached capabilities may probe QEMU
        # before it answers (about 45 s for QEMU 10 on two cores).
        if [ -n "$(_rig_root "$h")" ] && [ ! -d "$(_rig_caps_cache "$h")" ] &&
            [ "$up_timeout" -lt 180 ]; then
            up_timeout=180
        fi
        _rig_wait_host_ready "$h" $(($(date +%s) + up_timeout)) &
        pids="$pids $!"
    done
    ok=1
    for pid in $pids; do
        wait "$pid" || ok=0
    done
    if [ $ok = 0 ]; then
        for h in $RIG_HOSTS; do
            echo "rig: last lines of $h's holder.log:" >&2
            tail -n 15 "$(_rig_hostdir "$h")/holder.log" 2>/dev/null | sed 's/^/rig:   /' >&2
        done
        rig_down
        return 1
    fi

    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        caps=$(_rig_caps_cache "$h")
        [ ! -d "$caps" ] || continue
        if [ -n "$(_rig_root "$h")" ]; then
            # Probe now, once, rather than in the first test that starts or
            # receives a guest there; and say what it cost (libvirt may have
            # probed while starting up: count from the holders' start).
            _rig_virsh_t "$h" 300 domcapabilities --virttype qemu >/dev/null ||
                { _rig_err "probing QEMU's capabilities on host $h failed"; rig_down; return 1; }
            p="libvirtd start with the first QEMU capabilities probe of $(_rig_root "$h") took $((($(_rig_now_ms) - t_hosts) / 1000)) s on $(date +%F) (cached in $caps)"
            _rig_err "host $h: $p"
            echo "$p" >"$caps.probe" || true
        fi
        if [ -n "$(ls -A "$H/var-cache-libvirt/qemu/capabilities/" 2>/dev/null)" ]; then
            rm -rf "$caps.tmp.$$" &&
                cp -a "$H/var-cache-libvirt/qemu/capabilities" "$caps.tmp.$$" &&
                mv -T "$caps.tmp.$$" "$caps" 2>/dev/null ||
                true
            rm -rf "$caps.tmp.$$" || true
        fi
    done
    RIG_UP_MS=$(($(_rig_now_ms) - t0))
    return 0
}

# rig_down: stops everything rig_up started (by PID), removes the
# namespaces, the veth pair, the host cgroups, the mount points rig_up
# created (if empty) and $RIG_DIR. Idempotent; safe after a partial rig_up.
rig_down() {
    local h H pid d ns ino p pids sig m i rc=0
    _rig_check_rig_dir || return 1

    # Clean shutdown where things still answer: daemons, running guests.
    for h in $RIG_HOSTS; do
        _rig_holder_pid "$h" >/dev/null || continue
        rig_daemon_stop "$h" >/dev/null 2>&1 || true
        for d in $(_rig_virsh_t "$h" 10 list --name 2>/dev/null); do
            _rig_virsh_t "$h" 10 destroy "$d" >/dev/null 2>&1 || true
        done
    done
    # The holders stop libvirtd, virtlogd and anything else they adopted.
    pids=""
    for h in $RIG_HOSTS; do
        pid=$(_rig_holder_pid "$h") || continue
        kill -TERM "$pid" 2>/dev/null || true
        pids="$pids $pid"
    done
    for pid in $pids; do
        _rig_wait_gone "$pid" 30 || _rig_err "holder $pid did not stop within 30 s"
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
            sig=TERM
            [ $i = 2 ] && sig=KILL
            # shellcheck disable=SC2086
            kill -$sig $pids 2>/dev/null || true
            for p in $pids; do _rig_wait_gone "$p" 5 || true; done
        done
    done
    # The reapers exit once nothing of their host is left; reap them in turn
    # (they are children of this shell if rig_up ran in it).
    for h in $RIG_HOSTS; do
        pid=$(cat "$(_rig_hostdir "$h")/nanny.pid" 2>/dev/null) || continue
        _rig_wait_gone "$pid" 10 || { _rig_err "reaper $pid of $h did not exit"; rc=1; }
        wait "$pid" 2>/dev/null || true
    done
    for h in $RIG_HOSTS; do
        if [ -e "/run/netns/$RIG_NETNS_PREFIX$h" ]; then
            ip netns del "$RIG_NETNS_PREFIX$h" ||
                { _rig_err "ip netns del $RIG_NETNS_PREFIX$h failed"; rc=1; }
        fi
        # A veth end left in this namespace by a failed rig_up.
        if ip link show "$RIG_NETNS_PREFIX${h}0" >/dev/null 2>&1; then
            ip link del "$RIG_NETNS_PREFIX${h}0" || rc=1
        fi
        _rig_remove_cgroups "$(_rig_hostdir "$h")" || rc=1
    done
    # The rig mounts nothing in this namespace; make sure before rm -rf.
    while read -r m; do
        umount -l "$m" || rc=1
    done < <(awk -v d="$RIG_DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' \
        /proc/self/mountinfo | sort -r)
    if [ -f "$RIG_DIR/created-mountpoints" ]; then
        while read -r m; do
            rmdir "$m" 2>/dev/null || true
        done < <(sort -r "$RIG_DIR/created-mountpoints")
    fi
    rm -rf "$RIG_DIR" || { _rig_err "cannot remove $RIG_DIR"; rc=1; }
    [ $rc = 0 ] || _rig_err "rig_down left something behind"
    return $rc
}

# rig_exec HOST CMD...: runs CMD inside HOST (its mount, UTS, network and
# cgroup namespaces; in its root, when it runs from another root).
rig_exec() {
    local h=${1:-} pid root
    _rig_check_host "$h" || return 1
    shift
    [ $# -gt 0 ] || { _rig_err "rig_exec: no command"; return 1; }
    pid=$(_rig_holder_pid "$h") || { _rig_err "host $h is not running"; return 1; }
    root=$(_rig_root "$h")
    if [ -n "$root" ]; then
        nsenter -t "$pid" -m -u -n -C -- chroot "$root" "$@"
    else
        nsenter -t "$pid" -m -u -n -C -- "$@"
    fi
}

# rig_virsh HOST ARGS...: virsh against HOST's own libvirtd.
rig_virsh() {
    local h=${1:-}
    _rig_check_host "$h" || return 1
    shift
    rig_exec "$h" virsh -c qemu:///system "$@"
}

# rig_host_root HOST: the other release's root HOST runs from (RIG_HA_ROOT /
# RIG_HB_ROOT), empty when it runs from this machine's root.
rig_host_root() {
    _rig_check_host "${1:-}" || return 1
    _rig_root "$1"
}

# rig_uri HOST: the URI other hosts use to reach HOST's libvirtd.
rig_uri() {
    _rig_check_host "${1:-}" || return 1
    echo "qemu+tcp://$(_rig_addr "$1")/system"
}

# rig_addr HOST: HOST's address (192.0.2.1 or 192.0.2.2).
rig_addr() {
    _rig_check_host "${1:-}" || return 1
    _rig_addr "$1"
}

# rig_hostdir HOST: the directory with HOST's private files and logs.
rig_hostdir() {
    _rig_check_host "${1:-}" || return 1
    _rig_hostdir "$1"
}

# --- migguard -----------------------------------------------------------------

# rig_migguardd_path / rig_migguard_path: the installed binaries (from
# MIGGUARD_DESTDIR); the paths work inside the hosts too.
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

# rig_daemon_start HOST [ARGS...]: starts `migguardd --foreground ARGS`
# inside HOST, as a child of the host's holder (which reaps it; it does not
# inherit the caller's fds, and gets the environment rig_up had, plus the
# NAME=VALUE words in RIG_DAEMON_ENV). stdout+stderr are appended to
# $RIG_DIR/hosts/HOST/migguardd.log. Prints its PID. Fails if it exits
# within 0.3 s.
rig_daemon_start() {
    local h=${1:-} H bin pid i a cmd
    _rig_check_host "$h" || return 1
    shift
    H=$(_rig_hostdir "$h")
    _rig_holder_pid "$h" >/dev/null || { _rig_err "host $h is not running"; return 1; }
    bin=${RIG_MIGGUARDD:-}
    [ -n "$bin" ] || bin=$(rig_migguardd_path) || return 1
    pid=$(cat "$H/migguardd.pid" 2>/dev/null) || true
    if _rig_pid_alive "$pid"; then
        _rig_err "migguardd already running on $h (pid $pid)"; return 1
    fi
    rm -f "$H/migguardd.pid" || return 1
    cmd="exec $(printf '%q' "$bin") --foreground"
    for a in "$@"; do cmd="$cmd $(printf '%q' "$a")"; done
    {
        echo "# written by rig_daemon_start"
        for a in ${RIG_DAEMON_ENV:-}; do
            case $a in
                [A-Za-z_]*=*) echo "export $(printf '%q' "$a")" ;;
                *) _rig_err "bad RIG_DAEMON_ENV entry '$a' (NAME=VALUE)"; return 1 ;;
            esac
        done
        printf 'echo "=== rig: $(date +%%T) pid $$: "%q >&2\n' "$cmd"
        echo "$cmd"
    } >"$H/spawn/migguardd.sh" || return 1
    timeout 5 bash -c 'echo "spawn migguardd" >"$1"' _ "$H/ctl" ||
        { _rig_err "cannot talk to the holder of $h"; return 1; }
    # The holder polls its control FIFO once a second; under load give it
    # time, and ask once more if the first request got lost.
    for ((i = 0; i < 300; i++)); do
        [ -s "$H/migguardd.pid" ] && break
        if [ $i = 150 ]; then
            _rig_err "holder of $h did not spawn migguardd yet; asking again"
            timeout 5 bash -c 'echo "spawn migguardd" >"$1"' _ "$H/ctl" || true
        fi
        sleep 0.05
    done
    pid=$(cat "$H/migguardd.pid" 2>/dev/null) || true
    [ -n "$pid" ] || { _rig_err "migguardd did not start on $h (see $H/holder.log)"; return 1; }
    sleep 0.3
    if ! _rig_pid_alive "$pid"; then
        _rig_err "migguardd on $h exited at once: $(tail -n 1 "$H/migguardd.log" 2>/dev/null)"
        return 1
    fi
    echo "$pid"
}

# rig_libvirtd_restart HOST: restart HOST's libvirtd (new PID) and wait
# until it answers again.
rig_libvirtd_restart() {
    local h=${1:-} H old i
    _rig_check_host "$h" || return 1
    H=$(_rig_hostdir "$h")
    old=$(cat "$H/libvirtd.pid" 2>/dev/null)
    echo "restart-libvirtd" >"$H/ctl" || { _rig_err "cannot talk to the holder of $h"; return 1; }
    for ((i = 0; i < 300; i++)); do
        if [ "$(cat "$H/libvirtd.pid" 2>/dev/null)" != "$old" ] &&
            rig_exec "$h" timeout 5 virsh -c qemu:///system version >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    _rig_err "libvirtd on $h did not come back"
    return 1
}

# rig_daemon_pid HOST: prints the PID of migguardd on HOST if it runs.
rig_daemon_pid() {
    local h=${1:-} pid
    _rig_check_host "$h" || return 1
    pid=$(cat "$(_rig_hostdir "$h")/migguardd.pid" 2>/dev/null) || true
    _rig_pid_alive "$pid" || { _rig_err "migguardd is not running on $h"; return 1; }
    echo "$pid"
}

# rig_daemon_stop HOST: SIGTERM to migguardd, up to RIG_DAEMON_STOP_TIMEOUT
# (10) s, then SIGKILL. Succeeds also when it was not running.
rig_daemon_stop() {
    local h=${1:-} H pid
    _rig_check_host "$h" || return 1
    H=$(_rig_hostdir "$h")
    pid=$(cat "$H/migguardd.pid" 2>/dev/null) || true
    if _rig_pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! _rig_wait_gone "$pid" "${RIG_DAEMON_STOP_TIMEOUT:-10}"; then
            _rig_err "migguardd ($pid) on $h ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            _rig_wait_gone "$pid" 5 || { _rig_err "cannot kill migguardd $pid"; return 1; }
        fi
    fi
    rm -f "$H/migguardd.pid"
}

# --- guests -------------------------------------------------------------------

# rig_guest_create HOST NAME [--disks "SPEC ..."] [--vcpus N] [--memory MiB]
#     [--transient] [--nic | --nic-bridge BR | --nic-network NET]
#     [--cache MODE] [--xml-extra XML] [--devices-extra XML] [--no-wait]
# Defines and starts (or, with --transient, creates) a TCG guest: the Debian
# kernel with a busybox initramfs that prints "mgrig-counter N" every 0.2 s
# on its serial console (/var/log/libvirt/qemu/NAME-serial.log in the host).
# SPEC is FORMAT:SIZE[:FILL_MiB], FORMAT qcow2 or raw: disk i is vd<a+i>, a
# virtio disk with cache MODE (default none) at
# /var/lib/libvirt/images/NAME-vdX.qcow2 (raw: .img), its first FILL MiB
# written with 0xab. --xml-extra goes inside <domain> (<cputune>,
# <metadata>, <cpu>...), --devices-extra inside <devices>. --nic adds a
# virtio NIC with user-mode networking (the guest never configures it).
# Waits until the counter shows (RIG_BOOT_TIMEOUT, 60 s) unless --no-wait.
rig_guest_create() {
    local h=${1:-} name=${2:-} disks="" vcpus=1 mem=128 transient=0 nic="" cache=none cmdline_extra=""
    local xml_extra="" dev_extra="" wait=1 H xml spec fmt size fill rest letter i path ext
    local disk_xml="" boot kname iname log deadline machine
    _rig_check_host "$h" || return 1
    case $name in
        '' | *[!A-Za-z0-9_.-]* | .*) _rig_err "bad guest name '$name'"; return 1 ;;
    esac
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
            --disks | --vcpus | --memory | --nic-bridge | --nic-network | --cache | \
                --xml-extra | --devices-extra | --cmdline-extra)
                [ $# -ge 2 ] || { _rig_err "rig_guest_create: $1 needs a value"; return 1; } ;;
        esac
        case $1 in
            --disks) disks=$2; shift ;;
            --vcpus) vcpus=$2; shift ;;
            --memory) mem=$2; shift ;;
            --transient) transient=1 ;;
            --nic) nic="<interface type='user'><model type='virtio'/></interface>" ;;
            --nic-bridge)
                nic="<interface type='bridge'><source bridge='$2'/><model type='virtio'/></interface>"
                shift ;;
            --nic-network)
                nic="<interface type='network'><source network='$2'/><model type='virtio'/></interface>"
                shift ;;
            --cache) cache=$2; shift ;;
            --xml-extra) xml_extra=$2; shift ;;
            --devices-extra) dev_extra=$2; shift ;;
            --no-wait) wait=0 ;;
            --cmdline-extra) cmdline_extra=" $2"; shift ;;
            *) _rig_err "rig_guest_create: unknown option '$1'"; return 1 ;;
        esac
        shift
    done
    case $vcpus in '' | *[!0-9]* | 0) _rig_err "bad --vcpus '$vcpus'"; return 1 ;; esac
    case $mem in '' | *[!0-9]*) _rig_err "bad --memory '$mem'"; return 1 ;; esac
    H=$(_rig_hostdir "$h")
    _rig_holder_pid "$h" >/dev/null || { _rig_err "host $h is not running"; return 1; }
    if _rig_virsh_t "$h" 30 domstate "$name" >/dev/null 2>&1; then
        _rig_err "guest $name already exists on $h"; return 1
    fi
    boot=$(_rig_boot_files) || return 1
    kname=${boot% *} iname=${boot#* }
    _rig_host_boot_files "$h" "$kname" "$iname" || return 1
    machine=$(_rig_machine) || return 1

    i=0
    for spec in $disks; do
        IFS=: read -r fmt size fill rest <<<"$spec"
        case $fmt in
            qcow2) ext=qcow2 ;;
            raw) ext=img ;;
            *) _rig_err "bad disk spec '$spec' (FORMAT must be qcow2 or raw)"; return 1 ;;
        esac
        if [ -z "$size" ] || [ -n "$rest" ]; then
            _rig_err "bad disk spec '$spec' (FORMAT:SIZE[:FILL_MiB])"; return 1
        fi
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
    <type arch='x86_64' machine='$machine'>hvm</type>
    <kernel>$RIG_BOOT_DIR/$kname</kernel>
    <initrd>$RIG_BOOT_DIR/$iname</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 mitigations=off$cmdline_extra</cmdline>
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
    log=$H/var-log-libvirt/qemu/$name-serial.log
    rm -f "$log"
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
    i=0
    while [ "$(date +%s)" -le "$deadline" ]; do
        grep -aq '^mgrig-counter [0-9]' "$log" 2>/dev/null && return 0
        i=$((i + 1))
        if [ $((i % 10)) = 0 ] && ! rig_guest_running "$h" "$name"; then
            _rig_err "guest $name on $h stopped while booting (see $log)"
            return 1
        fi
        sleep 0.2
    done
    _rig_err "guest $name on $h printed no counter within ${RIG_BOOT_TIMEOUT:-60} s (see $log)"
    return 1
}

# rig_guest_serial_log HOST NAME: the path (outside the host) of NAME's
# serial log on HOST.
rig_guest_serial_log() {
    _rig_check_host "${1:-}" || return 1
    [ -n "${2:-}" ] || { _rig_err "rig_guest_serial_log: no guest name"; return 1; }
    echo "$(_rig_hostdir "$1")/var-log-libvirt/qemu/$2-serial.log"
}

# rig_guest_counter HOST NAME: the last counter value NAME printed on HOST.
rig_guest_counter() {
    local log n
    log=$(rig_guest_serial_log "${1:-}" "${2:-}") || return 1
    [ -e "$log" ] || { _rig_err "no serial log for ${2:-} on ${1:-}"; return 1; }
    # The last line may be half written: take the larger of the last two.
    n=$(grep -a '^mgrig-counter [0-9]' "$log" 2>/dev/null | tail -n 2 | tr -dc '0-9\n' |
        sort -n | tail -n 1) || true
    [ -n "$n" ] || { _rig_err "guest ${2:-} printed no counter on ${1:-}"; return 1; }
    echo "$n"
}

# rig_guest_counter_advances HOST NAME [SECS]: true if NAME's counter on HOST
# grows within SECS (default 5) seconds.
rig_guest_counter_advances() {
    local h=${1:-} name=${2:-} secs=${3:-5} c0 c i
    c0=$(rig_guest_counter "$h" "$name" 2>/dev/null) || c0=0
    for ((i = 0; i < secs * 10; i++)); do
        c=$(rig_guest_counter "$h" "$name" 2>/dev/null) || c=0
        [ "$c" -gt "$c0" ] && return 0
        sleep 0.1
    done
    _rig_err "the counter of $name on $h did not advance in $secs s (stuck at $c0)"
    return 1
}

# rig_guest_running HOST NAME: true if `virsh domstate NAME` is running.
rig_guest_running() {
    local st
    _rig_check_host "${1:-}" || return 1
    st=$(rig_virsh "$1" domstate "${2:-}" 2>/dev/null) || return 1
    [ "$(echo "$st" | head -n 1)" = running ]
}

# rig_guest_destroy_all: destroys and undefines every domain on both hosts,
# removes all images, serial logs and rig XML files.
rig_guest_destroy_all() {
    local h H d left rc=0
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        _rig_holder_pid "$h" >/dev/null || continue
        for d in $(_rig_virsh_t "$h" 30 list --all --name 2>/dev/null); do
            _rig_virsh_t "$h" 30 destroy "$d" >/dev/null 2>&1 || true
            if _rig_virsh_t "$h" 30 dominfo "$d" >/dev/null 2>&1; then
                _rig_virsh_t "$h" 30 undefine "$d" --managed-save --snapshots-metadata \
                    --checkpoints-metadata >/dev/null 2>&1 ||
                    _rig_virsh_t "$h" 30 undefine "$d" >/dev/null 2>&1 || true
            fi
        done
        left=$(_rig_virsh_t "$h" 30 list --all --name 2>/dev/null | grep -c .) || true
        if [ "${left:-0}" != 0 ]; then
            _rig_err "could not remove all domains on $h"; rc=1
        fi
        rm -rf "$H"/var-lib-libvirt/images/* "$H"/var-log-libvirt/qemu/* "$H"/xml/* || rc=1
    done
    return $rc
}

# rig_pools_destroy_all: destroys and undefines every storage pool on both
# hosts (the files in them stay).
rig_pools_destroy_all() {
    local h p
    for h in $RIG_HOSTS; do
        _rig_holder_pid "$h" >/dev/null || continue
        for p in $(_rig_virsh_t "$h" 30 pool-list --all --name 2>/dev/null); do
            _rig_virsh_t "$h" 30 pool-destroy "$p" >/dev/null 2>&1 || true
            _rig_virsh_t "$h" 30 pool-undefine "$p" >/dev/null 2>&1 || true
        done
        if [ -n "$(_rig_virsh_t "$h" 30 pool-list --all --name 2>/dev/null)" ]; then
            _rig_err "could not remove all storage pools on $h"; return 1
        fi
    done
}

# rig_reset: between tests: stops migguardd, removes all domains, images and
# pools, empties /var/lib/migguard and /run/migguard and restores
# /etc/migguard from MIGGUARD_DESTDIR (empty without it), on both hosts.
rig_reset() {
    local h H rc=0
    for h in $RIG_HOSTS; do
        rig_daemon_stop "$h" || rc=1
    done
    rig_guest_destroy_all || rc=1
    rig_pools_destroy_all || rc=1
    for h in $RIG_HOSTS; do
        H=$(_rig_hostdir "$h")
        _rig_holder_pid "$h" >/dev/null || continue
        rig_exec "$h" find /run/migguard /var/lib/migguard /etc/migguard \
            -mindepth 1 -delete || rc=1
        if [ -n "${MIGGUARD_DESTDIR:-}" ] && [ -d "$(_rig_destdir "$h")/etc/migguard" ]; then
            cp -a "$(_rig_destdir "$h")/etc/migguard/." "$H/etc-migguard/" || rc=1
        fi
    done
    [ $rc = 0 ] || _rig_err "rig_reset did not finish cleanly"
    return $rc
}
