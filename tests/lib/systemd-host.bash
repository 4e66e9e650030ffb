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
#
# nspawn runs in the foreground under this shell (no machined here:
# --register=no --keep-unit); sdh_down stops it by its PID.

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
                --console=pipe ${SDH_BIND:+$SDH_BIND} \
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
