#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian and RPM packages: `make deb` and `make rpm` build, lintian and
# rpmlint find nothing unexplained, and the .deb installs on this host (hook
# live through a libvirt reload, unit enabled, conffile registered) and
# purges without a trace.  No rig: this host itself is the target, and it
# is left as it was found, even when a test fails.

load helpers

TOP=$(cd "$TESTS_DIR/.." && pwd)
APT=(apt-get -y -q -o DPkg::Lock::Timeout=120)

setup_file() {
        requires dpkg-buildpackage dh lintian rpmbuild rpmlint apt-get pkg-config
        local st
        st=$(dpkg-query -W -f='${db:Status-Status}' migguard 2>/dev/null || true)
        if [ -n "$st" ] && [ "$st" != not-installed ]; then
                echo "a migguard package is already on this host (dpkg status '$st'); not touching it:" \
                        "remove it (apt purge migguard) to run tests/packaging.bats" >&2
                return 1
        fi
}

teardown_file() {
        # Purge only what this file installed (the marker), whatever failed.
        if [ -e "$BATS_FILE_TMPDIR/installed" ]; then
                DEBIAN_FRONTEND=noninteractive "${APT[@]}" purge migguard >/dev/null 2>&1 || true
        fi
        fake_libvirtd_stop
}

# A stand-in libvirtd for the maintainer scripts' reload: a process named
# libvirtd with its pid in /run/libvirt/libvirtd.pid that counts SIGHUPs.
# Only when this host runs no libvirtd of its own (no such pid file); libvirt
# clients may create /run/libvirt meanwhile, so only our pid file goes.
fake_libvirtd_start() {
        [ -e /run/libvirt/libvirtd.pid ] && return 1
        if [ ! -d /run/libvirt ]; then
                if mkdir -m 0755 /run/libvirt; then
                        touch "$BATS_FILE_TMPDIR/created-run-libvirt"
                fi
        fi
        local bin=$BATS_FILE_TMPDIR/bin/libvirtd
        mkdir -p "${bin%/*}"
        printf '#!/bin/bash\ntrap "echo hup >>%s" HUP\nwhile :; do sleep 0.1; done\n' \
                "$BATS_FILE_TMPDIR/hups" >"$bin"
        chmod +x "$bin"
        "$bin" 3>&- </dev/null >/dev/null 2>&1 &
        echo $! >"$BATS_FILE_TMPDIR/fake.pid"
        local i
        for ((i = 0; i < 50; i++)); do
                if [ "$(cat /proc/$!/comm 2>/dev/null)" = libvirtd ]; then
                        echo $! >/run/libvirt/libvirtd.pid
                        return 0
                fi
                sleep 0.1
        done
        echo "fake libvirtd did not start" >&2
        return 1
}

fake_libvirtd_stop() {
        local pid
        pid=$(cat "$BATS_FILE_TMPDIR/fake.pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null
        if [ "$(cat /run/libvirt/libvirtd.pid 2>/dev/null)" = "$pid" ]; then
                rm -f /run/libvirt/libvirtd.pid
        fi
        if [ -e "$BATS_FILE_TMPDIR/created-run-libvirt" ]; then
                rmdir /run/libvirt 2>/dev/null || true
        fi
        rm -f "$BATS_FILE_TMPDIR/fake.pid" "$BATS_FILE_TMPDIR/created-run-libvirt"
        return 0
}

hups() {
        local n
        n=$(grep -c hup "$BATS_FILE_TMPDIR/hups" 2>/dev/null) || true
        echo "${n:-0}"
}

# wait_hups N: until the fake libvirtd counted N SIGHUPs (bounded), or fail.
wait_hups() {
        local i
        for ((i = 0; i < 30; i++)); do
                [ "$(hups)" -ge "$1" ] && break
                sleep 0.1
        done
        [ "$(hups)" = "$1" ] || { echo "libvirtd got $(hups) SIGHUPs, expected $1" >&2; return 1; }
}

one_file() { # GLOB: the single file matching GLOB
        local f=($1)
        if [ ${#f[@]} -ne 1 ] || [ ! -f "${f[0]}" ]; then
                echo "expected exactly one $1, found: ${f[*]}" >&2
                return 1
        fi
        echo "${f[0]}"
}

@test "make deb leaves migguard_VERSION_ARCH.deb in dist/" {
        cd "$TOP"
        run make -s deb
        echo "$output" | tail -n 30
        [ "$status" -eq 0 ]
        deb=$(one_file "dist/migguard_*.deb")
        version=$(sed -n 's/^#define MIGGUARD_VERSION "\(.*\)"$/\1/p' cli/migguard.c)
        [ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ]
        dpkg-deb -f "$deb" Depends | grep -F 'libvirt-daemon-driver-storage | libvirt-daemon (<< 10.6.0-2~)'
}

@test "lintian: no errors, no unexplained warnings" {
        cd "$TOP"
        deb=$(one_file "dist/migguard_*.deb")
        run lintian --fail-on error,warning --display-info "$deb"
        echo "$output"
        [ "$status" -eq 0 ]
}

@test "make rpm leaves migguard-VERSION-1.ARCH.rpm in dist/" {
        cd "$TOP"
        run make -s rpm
        echo "$output" | tail -n 30
        [ "$status" -eq 0 ]
        rpmf=$(one_file "dist/migguard-*.rpm")
        version=$(sed -n 's/^#define MIGGUARD_VERSION "\(.*\)"$/\1/p' cli/migguard.c)
        [ "$(rpm -qp --qf '%{VERSION}' "$rpmf")" = "$version" ]
        # the hooks directories are co-owned, the state directory owned
        run rpm -qlp "$rpmf"
        [ "$status" -eq 0 ]
        for d in /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/daemon.d /var/lib/migguard; do
                echo "$output" | grep -x "$d" >/dev/null || { echo "$d not in the rpm" >&2; return 1; }
        done
        run rpm -qp --scripts "$rpmf"
        [ "$status" -eq 0 ]
        echo "$output" | grep 'systemctl --no-reload preset migguardd.service\|systemd-update-helper install-system-units migguardd.service'
}

@test "rpmlint: no errors, each filtered finding explained in migguard.rpmlintrc" {
        cd "$TOP"
        rpmf=$(one_file "dist/migguard-*.rpm")
        run rpmlint -r packaging/rpm/migguard.rpmlintrc "$rpmf" packaging/rpm/migguard.spec
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *" 0 errors, 0 warnings"* ]]
}

@test "apt install: files in place, unit enabled, conffile registered, libvirt reloaded" {
        cd "$TOP"
        deb=$(one_file "dist/migguard_*.deb")
        faked=0
        if fake_libvirtd_start; then faked=1; fi
        touch "$BATS_FILE_TMPDIR/installed"
        run env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install "$TOP/$deb"
        echo "$output" | tail -n 20
        [ "$status" -eq 0 ]
        [ "$(dpkg-query -W -f='${db:Status-Status}' migguard)" = installed ]

        unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
        for f in /usr/libexec/migguard/migguard-hook /usr/libexec/migguard/migguard-storage \
                /usr/libexec/migguard/migguard-parity /usr/libexec/migguard/reload-libvirt \
                /usr/sbin/migguardd /usr/bin/migguard; do
                [ -x "$f" ] || { echo "$f missing or not executable" >&2; return 1; }
        done
        for l in /etc/libvirt/hooks/qemu.d/50-migguard /etc/libvirt/hooks/daemon.d/50-migguard; do
                [ "$(readlink "$l")" = /usr/libexec/migguard/migguard-hook ] || { echo "$l is not the hook link" >&2; return 1; }
        done
        [ -f /etc/migguard/migguard.conf ]
        [ -d /etc/migguard/policy.d ]
        [ -f "$unitdir/migguardd.service" ]
        [ -f /usr/lib/tmpfiles.d/migguard.conf ]
        [ -x "$(pkg-config --variable=systemdsystemgeneratordir systemd)/migguard-generator" ]
        [ -f /usr/lib/systemd/catalog/migguard.catalog ]
        [ -f /usr/share/man/man8/migguardd.8.gz ]
        [ -f /usr/share/bash-completion/completions/migguard ]
        # enabled: the wants link exists (no systemd as PID 1 needed)
        [ "$(readlink /etc/systemd/system/multi-user.target.wants/migguardd.service)" = "$unitdir/migguardd.service" ]
        # the policy is a conffile
        dpkg-query -W -f='${Conffiles}\n' migguard | grep -E '^ /etc/migguard/migguard.conf [0-9a-f]{32}$'
        # tmpfiles made the state directories
        [ -d /run/migguard ]
        [ "$(stat -c %a /var/lib/migguard)" = 750 ]
        # the CLI reports the package's upstream version
        run migguard version
        [ "$status" -eq 0 ]
        [ "$output" = "migguard $(dpkg-query -W -f='${Version}' migguard | sed 's/-[^-]*$//')" ]

        if [ "$faked" = 1 ]; then
                # reloaded (one SIGHUP), not restarted (same process)
                wait_hups 1
                kill -0 "$(cat "$BATS_FILE_TMPDIR/fake.pid")"
        fi
}

@test "apt purge: every packaged file, the state and the policy are gone" {
        [ -e "$BATS_FILE_TMPDIR/installed" ] || skip "the install test did not run"
        [ "$(dpkg-query -W -f='${db:Status-Status}' migguard)" = installed ]
        mapfile -t files < <(dpkg -L migguard)
        before=$(hups)
        run env DEBIAN_FRONTEND=noninteractive "${APT[@]}" purge migguard
        echo "$output" | tail -n 20
        [ "$status" -eq 0 ]
        rm -f "$BATS_FILE_TMPDIR/installed"
        st=$(dpkg-query -W -f='${db:Status-Status}' migguard 2>/dev/null || true)
        [ -z "$st" ] || [ "$st" = not-installed ]
        left=()
        for f in "${files[@]}"; do
                # directories other packages share (/etc/libvirt/hooks, /usr/bin,
                # /lib when it is usrmerge's symlink...) stay
                [ -d "$f" ] && continue
                if [ -L "$f" ] || [ -e "$f" ]; then left+=("$f"); fi
        done
        for d in /usr/libexec/migguard /etc/migguard /var/lib/migguard /run/migguard \
                /etc/systemd/system/multi-user.target.wants/migguardd.service; do
                if [ -e "$d" ] || [ -L "$d" ]; then left+=("$d"); fi
        done
        if [ ${#left[@]} -gt 0 ]; then
                echo "left after purge: ${left[*]}" >&2
                return 1
        fi
        if [ -e "$BATS_FILE_TMPDIR/fake.pid" ]; then
                # removal reloaded libvirt once more so it forgets the hooks
                wait_hups $((before + 1))
        fi
}
