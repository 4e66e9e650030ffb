#!/bin/bash
# make-kernel.sh KERNEL OUTPUT
#
# Prepares the guest kernel for the integration-test rig. If KERNEL (a
# bzImage such as /boot/vmlinuz-*) was built with CONFIG_PVH, its embedded
# vmlinux is extracted: QEMU boots an ELF kernel with a PVH note directly,
# skipping the BIOS and the in-guest decompression, which saves about 3 s per
# guest boot under TCG. Otherwise (or if extraction fails) KERNEL is copied
# as it is. Written atomically to OUTPUT.
set -u

die() { echo "make-kernel: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: make-kernel.sh KERNEL OUTPUT"
k=$1
out=$2
[ -r "$k" ] || die "cannot read $k"
kver=${k##*/vmlinuz-}
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }

extracted=0
if grep -qx 'CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null; then
    # magic (for grep -P)            decompressor
    while read -r magic tool; do
        command -v "${tool%% *}" >/dev/null 2>&1 || continue
        for off in $(LC_ALL=C grep -obUaP "$magic" "$k" 2>/dev/null | cut -d: -f1 | head -n 5); do
            tail -c +$((off + 1)) "$k" | $tool >"$tmp" 2>/dev/null
            if is_elf "$tmp" && [ "$(stat -c %s "$tmp")" -gt 1048576 ]; then
                extracted=1
                break 2
            fi
        done
    done <<'EOF'
\xfd\x37\x7a\x58\x5a\x00 xz -dc
\x28\xb5\x2f\xfd zstd -qdc
\x1f\x8b\x08 gzip -dc
\x02\x21\x4c\x18 lz4 -dc
\x5d\x00\x00\x00 lzma -dc
\x42\x5a\x68 bzip2 -dc
EOF
fi
if [ $extracted = 0 ]; then
    cp "$k" "$tmp" || die "cannot copy $k"
fi
chmod 644 "$tmp"
mv -f "$tmp" "$out" || die "cannot write $out"
