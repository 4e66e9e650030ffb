#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-in-root.sh ROOT SRC OUT
#
# Builds migguard for another Debian release: inside ROOT (a root made by
# make-trixie-root.sh), in a chroot, against that root's libvirt, libxml2
# and compiler, then installs it as tests/run-tests does for this machine:
#   make install DESTDIR=OUT/stage PREFIX=/usr SYSCONFDIR=/etc
# SRC is a work tree: the files git knows about plus untracked, not ignored
# ones, as they are on disk now (uncommitted changes included), are copied
# to OUT/src. OUT/src/build is kept between runs (tar keeps the files'
# times, so make rebuilds only what changed). OUT is bind-mounted into the
# chroot in a private mount namespace: nothing is written into ROOT. On
# failure: one line on stderr, status 1 (the log is OUT/build.log).
set -u

die() {
    echo "build-in-root: $*" >&2
    exit 1
}

[ $# -eq 3 ] || die "usage: build-in-root.sh ROOT SRC OUT"
ROOT=${1%/} SRC=$2 OUT=${3%/}
case $ROOT$OUT in *..*) die "refusing paths with '..'" ;; esac
case $OUT in /?*/?*) ;; *) die "OUT must be an absolute, dedicated path" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$ROOT/usr/bin/make" ] && [ -x "$ROOT/usr/bin/pkg-config" ] ||
    die "$ROOT is not a build root (run tests/rig/make-trixie-root.sh)"
[ -d "$SRC/.git" ] || [ -f "$SRC/.git" ] || die "$SRC is not a git work tree"

mkdir -p "$OUT/src" || die "cannot create $OUT/src"
LOG=$OUT/build.log
: >"$LOG"

# A fresh copy of the sources, keeping the previous objects.
find "$OUT/src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} + ||
    die "cannot clean $OUT/src"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$OUT/src" -xf - ||
    die "cannot copy the sources of $SRC"

rm -rf "$OUT/stage" || die "cannot remove the old $OUT/stage"
MNT=/mnt/migguard-build
mkdir -p "$ROOT$MNT" || die "cannot create $ROOT$MNT"
# shellcheck disable=SC2016
if ! unshare --mount --propagation private /bin/bash -c '
    set -e
    ROOT=$1 OUT=$2 MNT=$3
    mount --bind "$OUT" "$ROOT$MNT"
    mount --rbind /dev "$ROOT/dev"
    mount -t proc proc "$ROOT/proc"
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 /bin/sh -c "
        set -e
        cd $MNT/src
        make -s -j\$(nproc) all
        make -s install DESTDIR=$MNT/stage PREFIX=/usr SYSCONFDIR=/etc"
' _ "$ROOT" "$OUT" "$MNT" >>"$LOG" 2>&1; then
    rm -rf "$OUT/stage"
    die "building migguard in $ROOT failed: $(grep -m1 -E 'error:|cannot|No such' "$LOG" || tail -n 1 "$LOG") (see $LOG)"
fi
[ -x "$OUT/stage/usr/libexec/migguard/migguard-hook" ] ||
    die "no migguard-hook in $OUT/stage after the build (see $LOG)"
