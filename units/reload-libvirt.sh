#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# reload-libvirt: make a running libvirtd/virtqemud notice added or removed
# hook scripts. libvirt looks for hooks when it starts and again on SIGHUP
# (the daemon "reload" hook re-runs its hook detection), so a reload is
# enough and running guests are left alone: never a restart.
#
# Called by the package's maintainer scripts; always exits 0.
# RUNDIR (default /run) is only for tests.

rundir=${RUNDIR:-/run}

for d in libvirtd virtqemud; do
        if [ -d "$rundir/systemd/system" ] && command -v systemctl >/dev/null 2>&1; then
                if systemctl is-active --quiet "$d.service" 2>/dev/null; then
                        systemctl reload "$d.service" && echo "migguard: reloaded $d.service"
                fi
                continue
        fi
        # No systemd: the daemon's own pid file (libvirt's default
        # /run/NAME.pid, or /run/libvirt/ with -p), if it names a live $d.
        pid=$(cat "$rundir/$d.pid" 2>/dev/null) || pid=$(cat "$rundir/libvirt/$d.pid" 2>/dev/null) || continue
        case $pid in '' | *[!0-9]*) continue ;; esac
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$d" ] || continue
        kill -HUP "$pid" && echo "migguard: sent SIGHUP to $d ($pid)"
done
exit 0
