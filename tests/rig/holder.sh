#!/bin/bash
# holder.sh HOST ADDR HOSTDIR
#
# The long-lived process of one test host of the rig. Started by rig_up as
#   ip netns exec mg-HOST unshare --mount --uts --propagation private holder.sh ...
# Stage 1 (cgroups, unless RIG_CGROUPS=0): moves itself into a child group
# "mgrig-HOST" of its current group in every cgroup v1 hierarchy and re-execs
# itself in a new cgroup namespace rooted there, so that this host's libvirt
# sees its own cgroup tree (its /machine/... groups cannot collide with the
# other host's, and they stay below the caller's memory limits).
# Stage 2 (through subreaper.pl): is a child subreaper (daemonized QEMU
# processes and other orphans of the host are re-parented to it and reaped
# here, instead of staying zombies under a PID 1 that does not reap), sets
# the hostname, mounts the
# host's private directories over the system paths, starts virtlogd and
# libvirtd in the foreground as its children, and serves a control FIFO
# (HOSTDIR/ctl):
#   restart-libvirtd  stop this host's libvirtd and start a new one
#   spawn NAME   run HOSTDIR/spawn/NAME.sh as a child; its PID goes to
#                HOSTDIR/NAME.pid, its stdout+stderr to HOSTDIR/NAME.log
#   stop         stop everything and exit (SIGTERM does the same)
# All files it writes are under HOSTDIR. Its PID (the same in both stages)
# is in HOSTDIR/holder.pid; the cgroups it made are listed in
# HOSTDIR/cgroup-dirs as "CONTROLLERS PATH-IN-HIERARCHY" lines.
#
# With MGRIG_ROOT=DIR (another Debian release's root) the host runs from DIR:
# DIR becomes a mount point (libvirt's per-QEMU mount namespaces need the
# root to be one), /proc, /dev and /tmp are bound into it, the private
# directories go over DIR/etc/libvirt, ... instead of the real paths, /sys
# (with this host's cgroups) is bound in last, and the daemons and spawned
# programs run under `chroot DIR`. migguard comes from MGRIG_DESTDIR there,
# seen both at /usr/libexec/migguard and at MIGGUARD_DESTDIR.
set -u

[ $# -eq 3 ] || { echo "usage: holder.sh HOST ADDR HOSTDIR" >&2; exit 2; }
HOST=$1 ADDR=$2 H=$3
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "holder[$HOST]: $(date +%T.%N | cut -c1-12) $*" >&2; }
fail() {
    log "FATAL: $*"
    echo "$*" >"$H/holder.failed"
    declare -F shutdown_all >/dev/null && shutdown_all
    exit 1
}

# --- stage 1 ------------------------------------------------------------------
if [ "${MGRIG_STAGE:-1}" = 1 ]; then
    echo $$ >"$H/holder.pid"
    cgns=""
    if [ "${RIG_CGROUPS:-1}" = 1 ]; then
        # `ip netns exec` mounted a fresh /sys without the cgroup file
        # systems: mount the hierarchies, move into mgrig-HOST, unmount.
        cg=$(cat /proc/$$/cgroup) || fail "cannot read /proc/$$/cgroup"
        mount -t tmpfs -o mode=0755 mgrig-cgroup /sys/fs/cgroup ||
            fail "cannot mount tmpfs on /sys/fs/cgroup"
        : >"$H/cgroup-dirs"
        while IFS=: read -r id ctrls path; do
            [ -n "$ctrls" ] || continue            # the v2 line "0::/"
            dir=${ctrls#name=}
            case $ctrls in
                name=*) opts=none,$ctrls ;;
                *) opts=$ctrls ;;
            esac
            mkdir -p "/sys/fs/cgroup/$dir" &&
                mount -t cgroup -o "$opts" "mgrig-$dir" "/sys/fs/cgroup/$dir" ||
                fail "cannot mount cgroup hierarchy $ctrls (RIG_CGROUPS=0 runs without cgroups)"
            parent=/sys/fs/cgroup/$dir${path%/}
            d=$parent/mgrig-$HOST
            mkdir -p "$d" || fail "cannot create cgroup $d"
            # For rig_down: "CONTROLLERS PATH" (PATH within the hierarchy).
            echo "$ctrls ${path%/}/mgrig-$HOST" >>"$H/cgroup-dirs"
            case ,$ctrls, in
                *,cpuset,*)
                    for f in cpuset.cpus cpuset.mems; do
                        cat "$parent/$f" >"$d/$f" || fail "cannot set $d/$f"
                    done ;;
            esac
            echo $$ >"$d/cgroup.procs" || fail "cannot move into cgroup $d"
        done <<<"$cg"
        umount -R /sys/fs/cgroup || fail "cannot unmount /sys/fs/cgroup"
        cgns=--cgroup
    fi
    export MGRIG_STAGE=2
    exec unshare $cgns -- perl "$(dirname "$0")/subreaper.pl" exec /bin/bash "$0" "$@"
    fail "exec unshare/subreaper.pl failed"
fi
unset MGRIG_STAGE

# --- stage 2 ------------------------------------------------------------------

# PIDs of direct children (including adopted orphans).
children() {
    local f ppid
    for f in /proc/[0-9]*/status; do
        ppid=$(awk '/^PPid:/ { print $2; exit }' "$f" 2>/dev/null) || continue
        [ "$ppid" = $$ ] || continue
        f=${f#/proc/}
        echo "${f%/status}"
    done
}

# stop_pids SIG SECS PID...: signal them, wait up to SECS until all are gone.
stop_pids() {
    local sig=$1 secs=$2 p alive i
    shift 2
    [ $# -gt 0 ] || return 0
    kill -"$sig" "$@" 2>/dev/null
    for ((i = 0; i < secs * 10; i++)); do
        alive=0
        for p in "$@"; do
            # A zombie child counts as gone; bash reaps it.
            if [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null; then
                alive=1
            fi
        done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
    return 1
}

shutdown_all() {
    local spawned="" f p
    log "shutting down"
    for f in "$H"/spawn/*.sh; do
        [ -e "$f" ] || continue
        f=${f##*/}
        p=$(cat "$H/${f%.sh}.pid" 2>/dev/null) && spawned="$spawned $p"
    done
    # Spawned daemons (migguardd) and libvirtd first, then whatever is left
    # (QEMU processes adopted by us, hooks, virtlogd), then SIGKILL.
    # shellcheck disable=SC2086
    stop_pids TERM 10 $spawned ${LIBVIRTD_PID:-} || true
    # shellcheck disable=SC2046
    stop_pids TERM 5 $(children) || true
    # shellcheck disable=SC2046
    stop_pids KILL 5 $(children) || true
    wait 2>/dev/null
    log "stopped"
}

# Identity and private directories.
hostname "$HOST" || fail "hostname $HOST failed"
mount --make-rprivate / || fail "cannot make / private"

bind() {
    [ -e "$2" ] || fail "mount point $2 missing"
    mount --bind "$1" "$2" || fail "cannot bind $1 over $2"
}
R=${MGRIG_ROOT:-}
INROOT=()
if [ -n "$R" ]; then
    INROOT=(chroot "$R")
    bind "$R" "$R"
    for d in /proc /dev /tmp; do
        mount --rbind "$d" "$R$d" || fail "cannot bind $d into $R"
    done
    # The host's own directory (logs, XML files) at the same path inside.
    case $H in
        /tmp/*) ;;
        *) bind "$H" "$R$H" ;;
    esac
fi
bind "$H/etc-libvirt" "$R/etc/libvirt"
bind "$H/var-lib-libvirt" "$R/var/lib/libvirt"
bind "$H/var-log-libvirt" "$R/var/log/libvirt"
bind "$H/var-cache-libvirt" "$R/var/cache/libvirt"
bind "$H/etc-migguard" "$R/etc/migguard"
bind "$H/var-lib-migguard" "$R/var/lib/migguard"
bind "$H/etc-hosts" "$R/etc/hosts"
mount -t tmpfs -o mode=0755 mgrig-run-libvirt "$R/run/libvirt" ||
    fail "cannot mount tmpfs on $R/run/libvirt"
mount -t tmpfs -o mode=0755 mgrig-run-migguard "$R/run/migguard" ||
    fail "cannot mount tmpfs on $R/run/migguard"
if [ -n "${MIGGUARD_DESTDIR:-}" ]; then
    if [ -n "$R" ]; then
        [ -n "${MGRIG_DESTDIR:-}" ] || fail "no MGRIG_DESTDIR for the root $R"
        bind "$MGRIG_DESTDIR/usr/libexec/migguard" "$R/usr/libexec/migguard"
        bind "$MGRIG_DESTDIR" "$R$MIGGUARD_DESTDIR"
    else
        bind "$MIGGUARD_DESTDIR/usr/libexec/migguard" /usr/libexec/migguard
    fi
fi

# cgroups, as seen from this host's cgroup namespace (rooted at mgrig-HOST).
if [ "${RIG_CGROUPS:-1}" = 1 ]; then
    mount -t tmpfs -o mode=0755 mgrig-cgroup /sys/fs/cgroup ||
        fail "cannot mount tmpfs on /sys/fs/cgroup"
    while IFS=: read -r id ctrls path; do
        [ -n "$ctrls" ] || continue
        dir=${ctrls#name=}
        case $ctrls in
            name=*) opts=none,$ctrls ;;
            *) opts=$ctrls ;;
        esac
        mkdir -p "/sys/fs/cgroup/$dir" &&
            mount -t cgroup -o "$opts" "cgroup" "/sys/fs/cgroup/$dir" ||
            fail "cannot mount cgroup hierarchy $ctrls in the cgroup namespace"
    done <<<"$(cat /proc/$$/cgroup)"
    # Read-only tmpfs, as on a normal host.
    mount -o remount,ro /sys/fs/cgroup 2>/dev/null || true
fi
if [ -n "$R" ]; then
    mount --rbind /sys "$R/sys" || fail "cannot bind /sys into $R"
fi

# Daemons.
trap 'STOP=1' TERM INT HUP
STOP=0

"${INROOT[@]}" virtlogd -p /run/libvirt/virtlogd.pid </dev/null >>"$H/virtlogd.log" 2>&1 &
VIRTLOGD_PID=$!
echo $VIRTLOGD_PID >"$H/virtlogd.pid"
for ((i = 0; i < 100; i++)); do
    [ -S "$R/run/libvirt/virtlogd-sock" ] && break
    kill -0 $VIRTLOGD_PID 2>/dev/null || fail "virtlogd exited (see $H/virtlogd.log)"
    sleep 0.05
done
[ -S "$R/run/libvirt/virtlogd-sock" ] || fail "virtlogd socket did not appear"

"${INROOT[@]}" libvirtd -l -p /run/libvirt/libvirtd.pid </dev/null >>"$H/libvirtd.log" 2>&1 &
LIBVIRTD_PID=$!
echo $LIBVIRTD_PID >"$H/libvirtd.pid"
log "$ADDR: virtlogd $VIRTLOGD_PID, libvirtd $LIBVIRTD_PID started"

# Control loop.
exec 9<>"$H/ctl" || fail "cannot open $H/ctl"
while [ $STOP = 0 ]; do
    cmd="" arg=""
    if read -r -t 1 cmd arg <&9; then
        case $cmd in
            spawn)
                case $arg in
                    '' | *[!A-Za-z0-9_.-]*) log "bad spawn name '$arg'"; continue ;;
                esac
                [ -f "$H/spawn/$arg.sh" ] || { log "no $H/spawn/$arg.sh"; continue; }
                (exec 9>&-; exec "${INROOT[@]}" /bin/bash "$H/spawn/$arg.sh") \
                    </dev/null >>"$H/$arg.log" 2>&1 &
                echo $! >"$H/$arg.pid.tmp"
                mv -f "$H/$arg.pid.tmp" "$H/$arg.pid"
                log "spawned $arg as $!"
                ;;
            restart-libvirtd)
                # As `systemctl restart libvirtd` would: stop, then start again.
                if [ -n "${LIBVIRTD_PID:-}" ]; then
                    kill -TERM "$LIBVIRTD_PID" 2>/dev/null
                    wait "$LIBVIRTD_PID" 2>/dev/null
                fi
                "${INROOT[@]}" libvirtd -l -p /run/libvirt/libvirtd.pid </dev/null >>"$H/libvirtd.log" 2>&1 &
                LIBVIRTD_PID=$!
                echo $LIBVIRTD_PID >"$H/libvirtd.pid"
                rm -f "$H/holder.failed"
                log "libvirtd restarted as $LIBVIRTD_PID"
                ;;
            stop) STOP=1 ;;
            '') ;;
            *) log "unknown command '$cmd'" ;;
        esac
    fi
    if [ -n "${LIBVIRTD_PID:-}" ] && ! kill -0 "$LIBVIRTD_PID" 2>/dev/null; then
        log "libvirtd $LIBVIRTD_PID exited (see $H/libvirtd.log)"
        echo "libvirtd exited" >"$H/holder.failed"
        LIBVIRTD_PID=""
    fi
done
exec 9>&-
shutdown_all
exit 0
