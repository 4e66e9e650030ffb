#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make-trixie-root.sh [DIR]
#
# Builds (once) a Debian 13 "trixie" root for the test rig's cross-release
# hosts: `debootstrap --variant=minbase trixie`, then libvirt 11 / QEMU 10
# (monolithic libvirtd, QEMU driver, storage and network drivers), qemu-utils
# and what building migguard inside it needs. DIR defaults to
# $RIG_CACHE/trixie-root (RIG_CACHE: /var/cache/migguard-rig), outside any
# work tree.
# With ROOT_FLAVOUR=systemd-bookworm: a Debian 12 root that boots under
# systemd-nspawn (systemd as PID 1, libvirt-daemon-system with its units,
# migguard's run-time libraries, so that the built .deb installs with apt
# and no network), in $RIG_CACHE/systemd-bookworm-root. Idempotent: a root whose stamp (DIR/.mgrig-root) matches the
# suite, ROOT_VERSION and package list below is left alone and the script prints its path and exits 0. Concurrent
# builds wait for each other (flock on DIR.lock). The build happens in
# DIR.new and is renamed into place at the end, so an interrupted build never
# leaves a half-made root behind. On failure: one line on stderr, status 1
# (details in DIR.log).
#
# Environment: RIG_MIRROR (default http://deb.debian.org/debian).
#
# The users and groups libvirt runs QEMU with (libvirt-qemu, kvm, libvirt)
# are created in the root with this machine's IDs before the packages are
# installed, so that files and devices shared with the real root (images,
# /dev/kvm) have the same owners on both sides.
set -u

RIG_CACHE=${RIG_CACHE:-/var/cache/migguard-rig}
MIRROR=${RIG_MIRROR:-http://deb.debian.org/debian}
FLAVOUR=${ROOT_FLAVOUR:-trixie}
case $FLAVOUR in
    trixie)
        SUITE=trixie
        # Runtime of a rig host, then the build dependencies of migguard.
        PKGS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-storage
 libvirt-daemon-driver-network libvirt-clients qemu-system-x86 qemu-utils
 iproute2 procps kmod
 build-essential pkg-config libvirt-dev libxml2-dev libsystemd-dev libinih-dev
 libjson-c-dev libcap-ng-dev libnl-3-dev libnl-route-3-dev libmount-dev"
        NEEDED="libvirtd virtlogd virsh qemu-img qemu-io qemu-system-x86_64 gcc make pkg-config"
        ;;
    systemd-bookworm)
        SUITE=bookworm
        # systemd as PID 1, libvirt as its services, migguard's run-time
        # dependencies (the .deb's Depends and shared libraries)
        PKGS="systemd systemd-sysv dbus libvirt-daemon-system libvirt-daemon-driver-qemu
 libvirt-clients qemu-system-x86 qemu-utils
 iproute2 procps kmod libinih1 libjson-c5 libcap-ng0 libnl-3-200 libnl-route-3-200
 libmount1 libxml2 libsystemd0 libvirt0"
        NEEDED="systemd libvirtd virtlogd virsh qemu-img qemu-system-x86_64 apt-get"
        ;;
    systemd-trixie)
        SUITE=trixie
        # the same for Debian 13.  Debian ships no modular daemons
        # (virtqemud, virtstoraged: not in libvirt-daemon-driver-qemu, nor in
        # any other package of 13 or sid); its libvirtd is socket-activated
        # (libvirtd.socket, libvirtd.service --timeout 120).
        PKGS="systemd systemd-sysv dbus libvirt-daemon-system libvirt-daemon-driver-qemu
 libvirt-daemon-driver-storage libvirt-clients qemu-system-x86 qemu-utils
 iproute2 procps kmod libinih1 libjson-c5 libcap-ng0 libnl-3-200 libnl-route-3-200
 libmount1 libxml2 libsystemd0 libvirt0"
        NEEDED="systemd libvirtd virtlogd virsh qemu-img qemu-system-x86_64 apt-get"
        ;;
    *) echo "make-trixie-root: unknown ROOT_FLAVOUR '$FLAVOUR'" >&2; exit 1 ;;
esac
DIR=${1:-$RIG_CACHE/$FLAVOUR-root}

die() {
    echo "make-trixie-root ($FLAVOUR): $*" >&2
    exit 1
}

case $DIR in
    /?*/?*) ;;
    *) die "refusing root directory '$DIR' (use an absolute, dedicated path)" ;;
esac
DIR=${DIR%/}
[ "$(id -u)" = 0 ] || die "must run as root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# What the root was built for: the suite, the layout version (bump it when
# the way the root is built changes) and the package list.
ROOT_VERSION=1
STAMP="$SUITE v$ROOT_VERSION $(echo $PKGS | sha1sum | cut -c1-12)"
if [ "$(cat "$DIR/.mgrig-root" 2>/dev/null)" = "$STAMP" ]; then
    echo "$DIR"
    exit 0
fi

mkdir -p "$(dirname "$DIR")" || die "cannot create $(dirname "$DIR")"
exec 8>"$DIR.lock" || die "cannot open $DIR.lock"
flock 8 || die "cannot lock $DIR.lock"
# Someone else may have built it while we waited.
if [ "$(cat "$DIR/.mgrig-root" 2>/dev/null)" = "$STAMP" ]; then
    echo "$DIR"
    exit 0
fi

NEW=$DIR.new
LOG=$DIR.log
: >"$LOG"

# Unmounts whatever a previous, interrupted run left mounted in NEW.
unmount_new() {
    local m
    for m in $(awk -v p="$NEW/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
}

unmount_new
rm -rf --one-file-system "$NEW" || die "cannot remove the old $NEW"

t0=$(date +%s)
echo "make-trixie-root: debootstrap $SUITE into $NEW (log: $LOG)" >&2
if ! debootstrap --variant=minbase "$SUITE" "$NEW" "$MIRROR" >>"$LOG" 2>&1; then
    unmount_new
    die "debootstrap $SUITE from $MIRROR failed: $(grep -E '^(E|W):' "$LOG" | tail -n 1 || tail -n 1 "$LOG") (see $LOG)"
fi
t1=$(date +%s)

in_root() { chroot "$NEW" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# The IDs of this machine (see above).
grp() { getent group "$1" | cut -d: -f3; }
for g in kvm libvirt libvirt-qemu; do
    gid=$(grp "$g")
    [ -n "$gid" ] || continue
    in_root getent group "$g" >/dev/null ||
        in_root groupadd --system --gid "$gid" "$g" >>"$LOG" 2>&1 ||
        die "cannot create group $g ($gid) in the root (see $LOG)"
done
if uid=$(id -u libvirt-qemu 2>/dev/null); then
    in_root getent passwd libvirt-qemu >/dev/null ||
        in_root useradd --system --uid "$uid" --gid "$(id -g libvirt-qemu)" \
            --groups "$(id -Gn libvirt-qemu | tr ' ' ,)" --home-dir /var/lib/libvirt \
            --no-create-home --shell /usr/sbin/nologin libvirt-qemu >>"$LOG" 2>&1 ||
        die "cannot create user libvirt-qemu ($uid) in the root (see $LOG)"
fi

# No daemons may start in the chroot while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$NEW/usr/sbin/policy-rc.d" && chmod 755 "$NEW/usr/sbin/policy-rc.d" ||
    die "cannot write policy-rc.d"
mount -t proc proc "$NEW/proc" || die "cannot mount /proc in $NEW"
# shellcheck disable=SC2086
if ! in_root apt-get update >>"$LOG" 2>&1 ||
    ! in_root apt-get install -y --no-install-recommends $PKGS >>"$LOG" 2>&1; then
    unmount_new
    die "apt-get install in the $SUITE root failed: $(grep -E '^(E|W):' "$LOG" | tail -n 1) (see $LOG)"
fi
in_root apt-get clean >>"$LOG" 2>&1
unmount_new
rm -f "$NEW/usr/sbin/policy-rc.d"
for c in $NEEDED; do
    [ -x "$NEW/usr/sbin/$c" ] || [ -x "$NEW/usr/bin/$c" ] || [ -x "$NEW/lib/systemd/$c" ] ||
        die "$c is missing in the $SUITE root after installing (see $LOG)"
done
t2=$(date +%s)
in_root dpkg-query -W -f='${Package} ${Version}\n' libvirt-daemon qemu-system-x86 >>"$LOG" 2>&1

case $FLAVOUR in systemd-*)
    # Boots as a container: a machine ID (no first-boot wizard), nspawn
    # mounts the cgroup v1 controllers read-only (libvirt cannot make a
    # guest's cgroups there), no /dev/kvm (TCG guests), and a rig-only
    # libvirtd listening on TCP like the rig's other hosts.
    systemd-id128 new >"$NEW/etc/machine-id" &&
        echo 'cgroup_controllers = [ ]' >>"$NEW/etc/libvirt/qemu.conf" &&
        echo 'security_driver = "none"' >>"$NEW/etc/libvirt/qemu.conf" ||
        die "cannot configure the root"
    in_root dpkg-query -W -f='${Package} ${Version}\n' systemd >>"$LOG" 2>&1
    ;;
esac
echo "$STAMP" >"$NEW/.mgrig-root" || die "cannot write the stamp"
if [ -e "$DIR" ]; then
    rm -rf --one-file-system "$DIR" || die "cannot remove the old $DIR"
fi
mv "$NEW" "$DIR" || die "cannot move $NEW to $DIR"
echo "make-trixie-root: debootstrap $((t1 - t0)) s, apt-get $((t2 - t1)) s, $(du -sm "$DIR" | cut -f1) MiB" >&2
echo "$DIR"
