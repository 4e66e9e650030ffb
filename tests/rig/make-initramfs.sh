#!/bin/bash
# make-initramfs.sh KVER OUTPUT
#
# Builds the tiny guest initramfs used by the integration-test rig: a static
# busybox, the virtio modules of kernel KVER (decompressed if needed) and an
# /init that loads them and prints an increasing counter on the serial
# console ("mgrig-counter N", every 0.2 s). Written atomically to OUTPUT.
set -u

die() { echo "make-initramfs: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: make-initramfs.sh KVER OUTPUT"
kver=$1
out=$2
moddir=/lib/modules/$kver/kernel
busybox=${RIG_BUSYBOX:-/bin/busybox}

[ -d "$moddir" ] || die "no modules for kernel $kver in $moddir"
[ -x "$busybox" ] || die "no busybox at $busybox (install busybox-static)"
# A dynamically linked busybox would need its libraries in the initramfs.
if LC_ALL=C file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
    die "$busybox is dynamically linked (install busybox-static)"
fi
command -v cpio >/dev/null 2>&1 || die "cpio not found (install cpio)"
command -v gzip >/dev/null 2>&1 || die "gzip not found"

stage=$(mktemp -d "${TMPDIR:-/tmp}/mgrig-initramfs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules} || die "mkdir failed"
cp "$busybox" "$stage/bin/busybox" || die "copying busybox failed"
ln -s busybox "$stage/bin/sh"
# The kernel's built-in initramfs normally provides /dev/console; add it in
# case this kernel's does not.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

# Load order respects the dependencies (modinfo -F depends).
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
      virtio_blk failover net_failover virtio_net"
loaded=""
for m in $mods; do
    f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \
             -o -name "$m.ko.gz" | head -n 1)
    # Built into the kernel, or not present in this version: skip it.
    [ -n "$f" ] || continue
    dst=$stage/lib/modules/$m.ko
    case $f in
        *.ko.xz)  xz -dc "$f" >"$dst" || die "cannot decompress $f" ;;
        *.ko.zst) zstd -qdc "$f" >"$dst" || die "cannot decompress $f" ;;
        *.ko.gz)  gzip -dc "$f" >"$dst" || die "cannot decompress $f" ;;
        *)        cp "$f" "$dst" || die "cannot copy $f" ;;
    esac
    loaded="$loaded $m"
done

cat >"$stage/init" <<EOF
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
[ -c /dev/ttyS0 ] && exec >/dev/ttyS0 2>&1
read -r up0 rest </proc/uptime
for m in$loaded; do
    insmod /lib/modules/\$m.ko
done
read -r up1 rest </proc/uptime
sleep 0.2
disks=""
for d in /sys/block/vd*; do [ -e "\$d" ] && disks="\$disks \${d##*/}"; done
echo "mgrig-booted uptime=\$up0 modules-loaded=\$up1 disks:\$disks"
# mgrig.busy on the kernel command line: a CPU-bound loop that reports its
# iterations per second ("mgrig-busy N"), for benchmarks of guest impact
case " \$(cat /proc/cmdline) " in
*" mgrig.busy "*)
    (
        while :; do
            n=0
            read -r s rest </proc/uptime
            s=\${s%.*}
            t=\$s
            while [ "\$t" = "\$s" ]; do
                n=\$((n + 1))
                read -r t rest </proc/uptime
                t=\${t%.*}
            done
            echo "mgrig-busy \$n"
        done
    ) &
    ;;
esac
# mgrig.dirty=RATE,SET[,FILL]: rewrites a working set of SET MiB in its
# memory at RATE MiB/s, a chunk at a time; each pass over it writes the
# same random chunk one page further on, so every page changes content
# (page sampling only sees pages whose content changed, and two contents
# taking turns would look unchanged over two passes); FILL MiB more of its
# memory hold data that stays, as in a guest that has run for a while
case " \$(cat /proc/cmdline) " in
*" mgrig.dirty="*)
    spec=\$(sed -n 's/.* mgrig[.]dirty=\([0-9,]*\).*/\1/p' /proc/cmdline)
    rate=\${spec%%,*} rest=\${spec#*,}
    set=\${rest%%,*} fill=0
    [ "\$rest" = "\$set" ] || fill=\${rest#*,}
    chunk=\$((rate / 5))
    [ \$chunk -ge 1 ] || chunk=1
    period=\$((chunk * 1000 / rate))
    mkdir -p /dirty && mount -t tmpfs -o size=\$((set + fill + chunk + 8))m tmpfs /dirty
    dd if=/dev/urandom of=/dirty/src bs=1M count=\$chunk 2>/dev/null
    n=0
    while [ \$n -lt \$fill ]; do cat /dirty/src; n=\$((n + chunk)); done >/dirty/fill
    n=0
    while [ \$n -lt \$set ]; do cat /dirty/src; n=\$((n + chunk)); done >/dirty/w
    echo "mgrig-dirty rate=\$rate set=\$set fill=\$fill chunk=\$chunk period=\$period"
    (
        off=0 shift=1 pages=\$((chunk * 256))
        while :; do
            dd if=/dirty/src of=/dirty/w bs=4096 count=\$pages seek=\$((off * pages + shift)) conv=notrunc 2>/dev/null
            off=\$((off + 1))
            if [ \$((off * chunk)) -ge \$set ]; then
                off=0 shift=\$((shift % 255 + 1))
            fi
            sleep \$((period / 1000)).\$(printf %03d \$((period % 1000)))
        done
    ) &
    ;;
esac
i=0
while :; do
    i=\$((i + 1))
    echo "mgrig-counter \$i"
    sleep 0.2
done
EOF
chmod 755 "$stage/init"

tmp=$out.tmp.$$
( cd "$stage" && find . -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --quiet -R 0:0 | gzip -9n ) >"$tmp" || {
    rm -f "$tmp"; die "cpio/gzip failed"; }
chmod 644 "$tmp"
mv -f "$tmp" "$out" || die "cannot write $out"
