/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for storage/storage-identity.c, storage/file-identity.c,
 * storage/block-identity.c and storage/shared-fs.c: libvirt's shared file
 * systems by mountinfo name; the mount of a file in a fixture mountinfo
 * (FUSE, NFS, ext4, a bind mount, an overmount) by st_dev, and of a real
 * temporary file; block IDs from a fixture sysfs (SCSI, NVMe, multipath,
 * LVM, loop, a partition's disk) and the VPD page 0x80; /dev/disk/by-id
 * names; the published pairs; and this machine's own root file system.
 * (Comparisons and their messages: test-storage-compare.c.)
 */
#include "tests.h"

#include <dirent.h>
#include <sys/sysmacros.h>

#include "basic/alloc-util.h"
#include "basic/path-util.h"
#include "basic/strv.h"
#include "storage/block-identity.h"
#include "storage/shared-fs.h"
#include "storage/storage-identity.h"

/* Write @len bytes at ROOT/REL, making the directories on the way. */
static void put_bytes(const char *root, const char *rel, const void *data, size_t len) {
        _cleanup_free_ char *path = tests_strdupf("%s/%s", root, rel), *dir = NULL;
        ASSERT_OK(path_split(path, &dir, NULL));
        ASSERT_OK(mkdir_p(dir, 0755));
        FILE *f = fopen(path, "we");
        if (!f)
                TEST_FAIL("fopen(%s): %m", path);
        ASSERT_EQ(fwrite(data, 1, len, f), len);
        ASSERT_EQ(fclose(f), 0);
}

static void put(const char *root, const char *rel, const char *text) {
        put_bytes(root, rel, text, strlen(text));
}

static void put_link(const char *root, const char *rel, const char *target) {
        _cleanup_free_ char *path = tests_strdupf("%s/%s", root, rel), *dir = NULL;
        ASSERT_OK(path_split(path, &dir, NULL));
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_SYS(symlink(target, path));
}

static struct stat fake_stat(mode_t type, unsigned maj, unsigned min, ino_t ino) {
        struct stat st = { .st_mode = type | 0644, .st_ino = ino };
        if (S_ISBLK(type))
                st.st_rdev = makedev(maj, min);
        else
                st.st_dev = makedev(maj, min);
        return st;
}

TEST(kind_strings) {
        static const char *const names[] = { "local", "shared-fs", "block" };
        for (StorageKind k = 0; k < _STORAGE_KIND_MAX; k++) {
                ASSERT_STREQ(storage_kind_to_string(k), names[k]);
                ASSERT_EQ(storage_kind_from_string(names[k]), k);
        }
        ASSERT_NULL(storage_kind_to_string(_STORAGE_KIND_MAX));
        ASSERT_NULL(storage_kind_to_string(_STORAGE_KIND_INVALID));
        ASSERT_EQ(storage_kind_from_string("shared"), _STORAGE_KIND_INVALID);
        ASSERT_EQ(storage_kind_from_string(""), _STORAGE_KIND_INVALID);
        ASSERT_EQ(storage_kind_from_string(NULL), _STORAGE_KIND_INVALID);
}

TEST(shared_fs_types) {
        /* libvirt's virFileSharedFs[] by kernel name, and virFileSharedFsFUSE[] */
        static const char *const shared[] = { "nfs",   "nfs4",   "gfs2",  "ocfs2",          "afs",
                                              "smbfs", "cifs",   "smb3",  "ceph",           "gpfs",
                                              "acfs",  "beegfs", "fhgfs", "fuse.glusterfs", "fuse.quobyte" };
        static const char *const local[] = { "ext4", "xfs",        "btrfs",          "tmpfs",   "overlay",  "zfs",
                                             "fuse", "fuse.sshfs", "fuse.ceph-fuse", "9p",      "virtiofs", "nfsd",
                                             "NFS",  "",           "glusterfs",      "devtmpfs" };
        static const char *const keeps[] = { "nfs", "nfs4", "gfs2", "ocfs2", "ceph", "fuse.glusterfs" };
        static const char *const not_keeps[] = { "afs",  "cifs",   "smb3",         "smbfs", "gpfs",
                                                 "acfs", "beegfs", "fuse.quobyte", "ext4" };

        for (size_t i = 0; i < ELEMENTSOF(shared); i++)
                if (!shared_fs_type(shared[i]))
                        TEST_FAIL("%s should be shared", shared[i]);
        for (size_t i = 0; i < ELEMENTSOF(local); i++)
                if (shared_fs_type(local[i]))
                        TEST_FAIL("'%s' should not be shared", local[i]);
        ASSERT_FALSE(shared_fs_type(NULL));
        for (size_t i = 0; i < ELEMENTSOF(keeps); i++)
                ASSERT_TRUE(shared_fs_keeps_inodes(keeps[i]));
        for (size_t i = 0; i < ELEMENTSOF(not_keeps); i++)
                ASSERT_FALSE(shared_fs_keeps_inodes(not_keeps[i]));
        ASSERT_FALSE(shared_fs_keeps_inodes(NULL));

        ASSERT_STREQ(shared_fs_family("nfs"), "nfs");
        ASSERT_STREQ(shared_fs_family("nfs4"), "nfs");
        ASSERT_STREQ(shared_fs_family("smb3"), "cifs");
        ASSERT_STREQ(shared_fs_family("fhgfs"), "beegfs");
        ASSERT_STREQ(shared_fs_family("fuse.glusterfs"), "fuse.glusterfs");
        ASSERT_STREQ(shared_fs_family("ext4"), "ext4");
        ASSERT_NULL(shared_fs_family(NULL));
}

/* One mountinfo with what a KVM host has: root on ext4, a bind mount of a
 * subdirectory, GlusterFS through FUSE, NFS v4 and v3 (v3 over the bind mount). */
static const char fixture_mountinfo[] =
        "26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
        "40 26 254:1 /srv/images /var/lib/libvirt/images rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
        "41 26 0:50 / /srv/gluster rw,relatime shared:30 - fuse.glusterfs 192.0.2.10:/export "
        "rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072\n"
        "42 26 0:51 / /mnt/nfs4 rw,relatime shared:31 - nfs4 nfs1.example.org:/export "
        "rw,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,"
        "clientaddr=192.0.2.20,local_lock=none,addr=192.0.2.10\n"
        "43 40 0:52 / /var/lib/libvirt/images rw,relatime shared:32 - nfs 192.0.2.12:/vmstore "
        "rw,vers=3,mountaddr=192.0.2.99,mountvers=3,mountproto=udp,addr=192.0.2.12\n"
        "44 26 0:53 /vms /mnt/with\\040space rw,relatime shared:33 - ceph 192.0.2.13:6789:/ rw,name=admin\n";

static char *fixture_proc(const char *mountinfo) {
        char *root = tests_mkdtemp();
        put(root, "self/mountinfo", mountinfo);
        return root;
}

static void check_file(const char *proc, const char *path, struct stat st, StorageKind kind, const char *fstype,
                       const char *source, const char *root_path) {
        _cleanup_(storage_identity_done) StorageIdentity id = {};
        StorageRoots roots = { .proc_root = proc };
        ASSERT_OK(storage_identity_of_stat(&roots, path, &st, &id));
        ASSERT_EQ(id.kind, kind);
        ASSERT_STREQ(id.fstype, fstype);
        ASSERT_STREQ(id.source, source);
        ASSERT_STREQ(id.root_path, root_path);
        ASSERT_U64_EQ(id.ino, st.st_ino);
        ASSERT_EQ(storage_identity_is_shared(&id), kind == STORAGE_SHARED_FS);
        ASSERT_NULL(id.wwid);
        ASSERT_NULL(id.by_id);
}

TEST(mount_by_device) {
        _cleanup_rm_rf_ char *proc = fixture_proc(fixture_mountinfo);

        check_file(proc, "/srv/gluster/vm/db.qcow2", fake_stat(S_IFREG, 0, 50, 7), STORAGE_SHARED_FS, "fuse.glusterfs",
                   "192.0.2.10:/export", "/vm/db.qcow2");
        check_file(proc, "/mnt/nfs4/db.qcow2", fake_stat(S_IFREG, 0, 51, 1234567), STORAGE_SHARED_FS, "nfs4",
                   "nfs1.example.org:/export", "/db.qcow2");
        check_file(proc, "/etc/hostname", fake_stat(S_IFREG, 254, 1, 12), STORAGE_LOCAL_FS, "ext4", "/dev/vda1",
                   "/etc/hostname");
        /* the space is unescaped (\040), the root field is kept */
        check_file(proc, "/mnt/with space/a/b.raw", fake_stat(S_IFREG, 0, 53, 99), STORAGE_SHARED_FS, "ceph",
                   "192.0.2.13:6789:/", "/vms/a/b.raw");

        /* one path, three mounts on it: the file's st_dev says which one holds it */
        const char *img = "/var/lib/libvirt/images/db.qcow2";
        check_file(proc, img, fake_stat(S_IFREG, 0, 52, 5), STORAGE_SHARED_FS, "nfs", "192.0.2.12:/vmstore",
                   "/db.qcow2");
        /* under the bind mount (a file opened before the NFS overmount): its root field */
        check_file(proc, img, fake_stat(S_IFREG, 254, 1, 5), STORAGE_LOCAL_FS, "ext4", "/dev/vda1",
                   "/srv/images/db.qcow2");
        /* the mount point itself, and a sibling that only shares a prefix */
        check_file(proc, "/srv/gluster", fake_stat(S_IFREG, 0, 50, 1), STORAGE_SHARED_FS, "fuse.glusterfs",
                   "192.0.2.10:/export", "/");
        check_file(proc, "/srv/glusterfoo/x", fake_stat(S_IFREG, 254, 1, 1), STORAGE_LOCAL_FS, "ext4", "/dev/vda1",
                   "/srv/glusterfoo/x");

        /* no mount of that device (btrfs subvolume, overlayfs): the longest path match */
        check_file(proc, "/mnt/nfs4/sub/x", fake_stat(S_IFREG, 0, 99, 3), STORAGE_SHARED_FS, "nfs4",
                   "nfs1.example.org:/export", "/sub/x");
        check_file(proc, img, fake_stat(S_IFREG, 0, 99, 3), STORAGE_SHARED_FS, "nfs", "192.0.2.12:/vmstore",
                   "/db.qcow2");
}

TEST(nfs_server_addr) {
        _cleanup_rm_rf_ char *proc = fixture_proc(fixture_mountinfo);
        StorageRoots roots = { .proc_root = proc };
        struct stat st = fake_stat(S_IFREG, 0, 51, 8);
        _cleanup_(storage_identity_done) StorageIdentity v4 = {}, v3 = {}, gl = {};

        ASSERT_OK(storage_identity_of_stat(&roots, "/mnt/nfs4/a", &st, &v4));
        ASSERT_STREQ(v4.server_addr, "192.0.2.10");
        st = fake_stat(S_IFREG, 0, 52, 8);
        ASSERT_OK(storage_identity_of_stat(&roots, "/var/lib/libvirt/images/a", &st, &v3));
        ASSERT_STREQ(v3.server_addr, "192.0.2.12"); /* addr=, not mountaddr= */
        st = fake_stat(S_IFREG, 0, 50, 8);
        ASSERT_OK(storage_identity_of_stat(&roots, "/srv/gluster/a", &st, &gl));
        ASSERT_NULL(gl.server_addr);
}

TEST(mountinfo_bad_line) {
        /* libmount skips a line it cannot parse; the others still count */
        _cleanup_rm_rf_ char *proc = fixture_proc("26 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
                                                  "this is not a mountinfo line\n"
                                                  "41 26 0:50 / /srv/gluster rw - fuse.glusterfs h:/e rw\n");
        check_file(proc, "/srv/gluster/x", fake_stat(S_IFREG, 0, 50, 2), STORAGE_SHARED_FS, "fuse.glusterfs", "h:/e",
                   "/x");
}

TEST(mount_errors) {
        _cleanup_rm_rf_ char *proc = fixture_proc("41 26 0:50 / /srv/gluster rw - fuse.glusterfs h:/e rw\n");
        StorageRoots roots = { .proc_root = proc };
        StorageIdentity id = { .kind = STORAGE_BLOCK };
        struct stat st = fake_stat(S_IFREG, 0, 7, 1);

        ASSERT_ERR(storage_identity_of_stat(&roots, "/elsewhere/x", &st, &id), -ENXIO);
        ASSERT_ERR(storage_identity_of_stat(&roots, "relative/x", &st, &id), -EINVAL);
        st = fake_stat(S_IFDIR, 0, 50, 1);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/srv/gluster/d", &st, &id), -EMEDIUMTYPE);
        st = fake_stat(S_IFCHR, 1, 3, 1);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/dev/null", &st, &id), -EMEDIUMTYPE);
        st = fake_stat(S_IFLNK, 0, 50, 1);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/srv/gluster/l", &st, &id), -ELOOP);
        ASSERT_EQ(id.kind, STORAGE_BLOCK); /* untouched on failure */

        _cleanup_free_ char *nothing = tests_strdupf("%s/nothing", proc);
        roots.proc_root = nothing;
        st = fake_stat(S_IFREG, 0, 50, 1);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/srv/gluster/x", &st, &id), -ENOENT);
}

/* The real temporary directory, declared an NFS mount by a mountinfo line
 * with its real device numbers: storage_identity_of() stats the real file. */
TEST(real_file_fixture_mount) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_rm_rf_ char *proc = tests_mkdtemp();
        _cleanup_free_ char *export = tests_strdupf("%s/export", dir), *sub = tests_strdupf("%s/export/sub", dir);
        _cleanup_free_ char *img = tests_strdupf("%s/img.qcow2", sub), *info = NULL;
        struct stat st;

        ASSERT_OK(mkdir_p(sub, 0755));
        tests_write_file(img, "QFI\xfb");
        ASSERT_SYS(stat(export, &st));
        info = tests_strdupf("1 0 1:1 / / rw - ext4 /dev/sda1 rw\n"
                             "50 1 %u:%u /vm %s rw,relatime - nfs4 192.0.2.10:/export rw,vers=4.2,addr=192.0.2.10\n",
                             major(st.st_dev), minor(st.st_dev), export);
        put(proc, "self/mountinfo", info);
        StorageRoots roots = { .proc_root = proc, .sys_root = "/nonexistent", .dev_root = "/nonexistent" };

        _cleanup_(storage_identity_done) StorageIdentity id = {};
        ASSERT_OK(storage_identity_of(&roots, img, &id));
        ASSERT_SYS(stat(img, &st));
        ASSERT_EQ(id.kind, STORAGE_SHARED_FS);
        ASSERT_STREQ(id.fstype, "nfs4");
        ASSERT_STREQ(id.source, "192.0.2.10:/export");
        ASSERT_STREQ(id.server_addr, "192.0.2.10");
        ASSERT_STREQ(id.root_path, "/vm/sub/img.qcow2");
        ASSERT_U64_EQ(id.ino, st.st_ino);

        /* a symlinked directory and doubled slashes name the same file */
        _cleanup_free_ char *link = tests_strdupf("%s/link", dir), *via = tests_strdupf("%s//link/sub//img.qcow2", dir);
        ASSERT_SYS(symlink("export", link));
        _cleanup_(storage_identity_done) StorageIdentity again = {};
        ASSERT_OK(storage_identity_of(&roots, via, &again));
        ASSERT_STREQ(again.root_path, "/vm/sub/img.qcow2");
        ASSERT_U64_EQ(again.ino, id.ino);

        /* what is not an image file */
        _cleanup_free_ char *lnk = tests_strdupf("%s/img-link", sub), *missing = tests_strdupf("%s/missing", sub);
        _cleanup_free_ char *dots = tests_strdupf("%s/../sub/img.qcow2", sub);
        ASSERT_SYS(symlink("img.qcow2", lnk));
        StorageIdentity none = { .kind = _STORAGE_KIND_INVALID };
        ASSERT_ERR(storage_identity_of(&roots, lnk, &none), -ELOOP);
        ASSERT_ERR(storage_identity_of(&roots, sub, &none), -EMEDIUMTYPE);
        ASSERT_ERR(storage_identity_of(&roots, missing, &none), -ENOENT);
        ASSERT_ERR(storage_identity_of(&roots, dots, &none), -EINVAL);
        ASSERT_ERR(storage_identity_of(&roots, "img.qcow2", &none), -EINVAL);
        ASSERT_ERR(storage_identity_of(&roots, "/", &none), -EINVAL);
        ASSERT_EQ(none.kind, _STORAGE_KIND_INVALID);
        ASSERT_NULL(none.fstype);
}

/* A SCSI page 0x80: qualifier/type, page code, length, serial. */
static const uint8_t vpd_sdb[] = { 0x00, 0x80, 0x00, 0x14, ' ', ' ', ' ', ' ', '6', '0', '0', '1',
                                   '4',  '0',  '5',  'f',  '2', 'a', '8', 'a', ' ', ' ', ' ', ' ' };

TEST(vpd_pg80) {
        char *s = NULL;
        ASSERT_OK(block_vpd_pg80_serial(vpd_sdb, sizeof(vpd_sdb), &s));
        ASSERT_STREQ(s, "6001405f2a8a");
        RESET_FREE(s);

        /* the page length counts, not the file's: trailing bytes past it are not the serial */
        static const uint8_t longer[] = { 0x00, 0x80, 0x00, 0x03, 'A', 'B', 'C', 'D', 'E' };
        ASSERT_OK(block_vpd_pg80_serial(longer, sizeof(longer), &s));
        ASSERT_STREQ(s, "ABC");
        RESET_FREE(s);

        /* a page longer than what was read: what is there */
        static const uint8_t truncated[] = { 0x00, 0x80, 0x01, 0x00, 'S', 'N', '1' };
        ASSERT_OK(block_vpd_pg80_serial(truncated, sizeof(truncated), &s));
        ASSERT_STREQ(s, "SN1");
        RESET_FREE(s);

        /* NUL padding and control bytes are dropped, inner spaces kept */
        static const uint8_t odd[] = { 0x00, 0x80, 0x00, 0x09, 0, 'X', 'Y', ' ', 'Z', '\n', 0x01, 0xff, 0 };
        ASSERT_OK(block_vpd_pg80_serial(odd, sizeof(odd), &s));
        ASSERT_STREQ(s, "XY Z");
        RESET_FREE(s);

        static const uint8_t blank[] = { 0x00, 0x80, 0x00, 0x04, ' ', 0, ' ', ' ' };
        static const uint8_t empty[] = { 0x00, 0x80, 0x00, 0x00 };
        static const uint8_t page83[] = { 0x00, 0x83, 0x00, 0x02, 'A', 'B' };
        ASSERT_ERR(block_vpd_pg80_serial(blank, sizeof(blank), &s), -ENODATA);
        ASSERT_ERR(block_vpd_pg80_serial(empty, sizeof(empty), &s), -ENODATA);
        ASSERT_ERR(block_vpd_pg80_serial(page83, sizeof(page83), &s), -EBADMSG);
        ASSERT_ERR(block_vpd_pg80_serial(vpd_sdb, 3, &s), -EBADMSG);
        ASSERT_ERR(block_vpd_pg80_serial(vpd_sdb, 0, &s), -EBADMSG);
        ASSERT_NULL(s);
}

#define SCSI_DEV "devices/pci0000:00/0000:00:05.0/host2/target2:0:0/2:0:0:1"
#define SCSI_DEV2 "devices/pci0000:00/0000:00:05.0/host2/target2:0:0/2:0:0:2"
#define NVME_CTRL "devices/pci0000:00/0000:00:06.0/nvme/nvme0"
#define WWID_SDB "naa.6001405f2a8a3e4f9cd4d2a8b8e6c1f0"

/* /sys as the kernel lays it out: dev/block/MAJ:MIN links into devices/. */
static char *fixture_sys(void) {
        char *sys = tests_mkdtemp();
        put(sys, SCSI_DEV "/wwid", WWID_SDB "\n");
        put_bytes(sys, SCSI_DEV "/vpd_pg80", vpd_sdb, sizeof(vpd_sdb));
        put_link(sys, SCSI_DEV "/block/sdb/device", "../../../2:0:0:1");
        put(sys, SCSI_DEV "/block/sdb/sdb2/partition", "2\n");
        put_link(sys, "dev/block/8:16", "../../" SCSI_DEV "/block/sdb");
        put_link(sys, "dev/block/8:18", "../../" SCSI_DEV "/block/sdb/sdb2");
        /* no WWID, only the VPD serial */
        put_bytes(sys, SCSI_DEV2 "/vpd_pg80", vpd_sdb, sizeof(vpd_sdb));
        put_link(sys, SCSI_DEV2 "/block/sdc/device", "../../../2:0:0:2");
        put_link(sys, "dev/block/8:32", "../../" SCSI_DEV2 "/block/sdc");
        /* NVMe: the namespace's wwid, the controller's space-padded serial */
        put(sys, NVME_CTRL "/serial", "S4EWNX0R123456      \n");
        put(sys, NVME_CTRL "/nvme0n1/wwid", "eui.0025388b91b2a5c1\n");
        put_link(sys, NVME_CTRL "/nvme0n1/device", "../../nvme0");
        put(sys, NVME_CTRL "/nvme0n1/nvme0n1p1/partition", "1\n");
        put_link(sys, "dev/block/259:0", "../../" NVME_CTRL "/nvme0n1");
        put_link(sys, "dev/block/259:1", "../../" NVME_CTRL "/nvme0n1/nvme0n1p1");
        /* device mapper and loop devices */
        put(sys, "devices/virtual/block/dm-0/dm/uuid", "mpath-3600a098038303053453f463045727a4b\n");
        put(sys, "devices/virtual/block/dm-1/dm/uuid", "LVM-hJ3bW0xWmPTgw8Xh0d8hOFzpZBEfs1X9\n");
        put(sys, "devices/virtual/block/dm-2/dm/uuid", "CRYPT-LUKS2-0b5e6c0c8d3b4f6b-luks\n");
        put(sys, "devices/virtual/block/dm-3/dm/uuid", "part1-mpath-3600a098038303053453f463045727a4b\n");
        put(sys, "devices/virtual/block/loop3/loop/backing_file", "/srv/shared/lun.img\n");
        put(sys, "devices/virtual/block/loop4/loop/backing_file", "/srv/d\xc3\xa9j\xc3\xa0\t vu.img (deleted)\n");
        put(sys, "devices/virtual/block/vdb/size", "2097152\n");
        static const char *const virt[][2] = { { "253:0", "dm-0" }, { "253:1", "dm-1" }, { "253:2", "dm-2" },
                                               { "253:3", "dm-3" }, { "7:3", "loop3" },  { "7:4", "loop4" },
                                               { "252:16", "vdb" } };
        for (size_t i = 0; i < ELEMENTSOF(virt); i++) {
                _cleanup_free_ char *rel = tests_strdupf("dev/block/%s", virt[i][0]);
                _cleanup_free_ char *target = tests_strdupf("../../devices/virtual/block/%s", virt[i][1]);
                put_link(sys, rel, target);
        }
        return sys;
}

typedef struct BlockCase {
        unsigned maj, min;
        unsigned partition;
        const char *wwid, *serial, *dm_uuid, *loop_backing;
        bool shared;
} BlockCase;

TEST(block_ids) {
        _cleanup_rm_rf_ char *sys = fixture_sys();
        _cleanup_rm_rf_ char *dev = tests_mkdtemp(); /* no disk/by-id: no names, no error */
        StorageRoots roots = { .proc_root = "/nonexistent", .sys_root = sys, .dev_root = dev };
        static const BlockCase cases[] = {
                { 8, 16, 0, WWID_SDB, "6001405f2a8a", NULL, NULL, true },
                { 8, 18, 2, WWID_SDB, "6001405f2a8a", NULL, NULL, true }, /* sdb2: sdb's IDs */
                { 8, 32, 0, NULL, "6001405f2a8a", NULL, NULL, true },
                { 259, 0, 0, "eui.0025388b91b2a5c1", "S4EWNX0R123456", NULL, NULL, true },
                { 259, 1, 1, "eui.0025388b91b2a5c1", "S4EWNX0R123456", NULL, NULL, true },
                { 253, 0, 0, NULL, NULL, "mpath-3600a098038303053453f463045727a4b", NULL, true },
                { 253, 1, 0, NULL, NULL, "LVM-hJ3bW0xWmPTgw8Xh0d8hOFzpZBEfs1X9", NULL, true },
                { 253, 2, 0, NULL, NULL, "CRYPT-LUKS2-0b5e6c0c8d3b4f6b-luks", NULL, false },
                { 253, 3, 0, NULL, NULL, "part1-mpath-3600a098038303053453f463045727a4b", NULL, true },
                { 7, 3, 0, NULL, NULL, NULL, "/srv/shared/lun.img", false }, /* a loop device is no SAN */
                /* UTF-8 kept, control characters dropped: it may end up in a message */
                { 7, 4, 0, NULL, NULL, NULL, "/srv/d\xc3\xa9j\xc3\xa0 vu.img (deleted)", false },
                { 252, 16, 0, NULL, NULL, NULL, NULL, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const BlockCase *c = &cases[i];
                _cleanup_(storage_identity_done) StorageIdentity id = {};
                struct stat st = fake_stat(S_IFBLK, c->maj, c->min, 0);
                ASSERT_OK(storage_identity_of_stat(&roots, "/dev/whatever", &st, &id));
                ASSERT_EQ(id.kind, STORAGE_BLOCK);
                ASSERT_EQ(id.partition, c->partition);
                ASSERT_STREQ(id.wwid, c->wwid);
                ASSERT_STREQ(id.serial, c->serial);
                ASSERT_STREQ(id.dm_uuid, c->dm_uuid);
                ASSERT_STREQ(id.loop_backing, c->loop_backing);
                ASSERT_NULL(id.fstype);
                ASSERT_NULL(id.by_id);
                if (storage_identity_is_shared(&id) != c->shared)
                        TEST_FAIL("%u:%u: shared should be %d", c->maj, c->min, c->shared);
        }

        /* sysfs does not know it */
        StorageIdentity id = { .kind = _STORAGE_KIND_INVALID };
        struct stat st = fake_stat(S_IFBLK, 8, 64, 0);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/dev/sde", &st, &id), -ENOENT);
        put(sys, SCSI_DEV "/block/sdb/sdb2/partition", "two\n");
        st = fake_stat(S_IFBLK, 8, 18, 0);
        ASSERT_ERR(storage_identity_of_stat(&roots, "/dev/sdb2", &st, &id), -EBADMSG);
        ASSERT_EQ(id.kind, _STORAGE_KIND_INVALID);
}

static bool can_mknod(void) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *node = tests_strdupf("%s/node", dir);
        return mknod(node, S_IFBLK | 0600, makedev(8, 16)) == 0;
}

static void put_node(const char *root, const char *rel, mode_t type, unsigned maj, unsigned min) {
        _cleanup_free_ char *path = tests_strdupf("%s/%s", root, rel);
        ASSERT_SYS(mknod(path, type | 0600, makedev(maj, min)));
}

TEST(by_id) {
        _cleanup_rm_rf_ char *sys = fixture_sys();
        _cleanup_rm_rf_ char *dev = tests_mkdtemp();
        put_node(dev, "sdb", S_IFBLK, 8, 16);
        put_node(dev, "sdb2", S_IFBLK, 8, 18);
        put_node(dev, "tty-like", S_IFCHR, 8, 16); /* same numbers, not a block device */
        put_link(dev, "disk/by-id/wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0", "../../sdb");
        put_link(dev, "disk/by-id/scsi-36001405f2a8a3e4f9cd4d2a8b8e6c1f0", "../../sdb");
        put_link(dev, "disk/by-id/scsi-36001405f2a8a3e4f9cd4d2a8b8e6c1f0-part2", "../../sdb2");
        put_link(dev, "disk/by-id/char-device", "../../tty-like");
        put_link(dev, "disk/by-id/dangling", "../../gone");
        put_link(dev, "disk/by-id/loop", "../by-id/wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0"); /* a chain */
        put_node(dev, "disk/by-id/not-a-link", S_IFBLK, 8, 16);

        StorageRoots roots = { .sys_root = sys, .dev_root = dev };
        _cleanup_(storage_identity_done) StorageIdentity disk = {}, part = {};
        struct stat st = fake_stat(S_IFBLK, 8, 16, 0);
        ASSERT_OK(storage_identity_of_stat(&roots, "/dev/sdb", &st, &disk));
        ASSERT_EQ(strv_length(disk.by_id), 3);
        ASSERT_STREQ(disk.by_id[0], "loop");
        ASSERT_STREQ(disk.by_id[1], "scsi-36001405f2a8a3e4f9cd4d2a8b8e6c1f0");
        ASSERT_STREQ(disk.by_id[2], "wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0");
        st = fake_stat(S_IFBLK, 8, 18, 0);
        ASSERT_OK(storage_identity_of_stat(&roots, "/dev/sdb2", &st, &part));
        ASSERT_EQ(strv_length(part.by_id), 1);
        ASSERT_STREQ(part.by_id[0], "scsi-36001405f2a8a3e4f9cd4d2a8b8e6c1f0-part2");
        ASSERT_EQ(part.partition, 2);

        char **names = NULL;
        ASSERT_OK(block_by_id_names(dev, makedev(8, 32), &names));
        ASSERT_NULL(names);

        /* the path may be a by-id name itself: the device it leads to */
        _cleanup_free_ char *by_name = tests_strdupf("%s/disk/by-id/wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0", dev);
        _cleanup_(storage_identity_done) StorageIdentity named = {};
        ASSERT_OK(storage_identity_of(&roots, by_name, &named));
        ASSERT_EQ(named.kind, STORAGE_BLOCK);
        ASSERT_STREQ(named.wwid, WWID_SDB);
        ASSERT_EQ(strv_length(named.by_id), 3);
        /* but not to a character device */
        _cleanup_free_ char *to_char = tests_strdupf("%s/disk/by-id/char-device", dev);
        ASSERT_ERR(storage_identity_of(&roots, to_char, &named), -ELOOP);
}

TEST(pairs_roundtrip) {
        char *by_id[] = { "scsi-36001405f2a8a3e4f9cd4d2a8b8e6c1f0", "wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0", NULL };
        StorageIdentity full = {
                .kind = STORAGE_BLOCK,
                .fstype = "nfs4",
                .source = "192.0.2.10:/export",
                .server_addr = "192.0.2.10",
                .root_path = "/vm/a b.qcow2",
                .ino = UINT64_MAX,
                .partition = 2,
                .wwid = WWID_SDB,
                .serial = "6001405f2a8a",
                .dm_uuid = "mpath-3600a",
                .loop_backing = "/srv/lun.img",
                .by_id = by_id,
        };
        _cleanup_strv_free_ char **pairs = NULL;
        ASSERT_OK(storage_identity_to_pairs(&full, &pairs));
        ASSERT_EQ(strv_length(pairs), 2 * 12);
        ASSERT_STREQ(pairs[0], "kind");
        ASSERT_STREQ(pairs[1], "block");

        _cleanup_(storage_identity_done) StorageIdentity back = {};
        ASSERT_OK(storage_identity_from_pairs(pairs, &back));
        ASSERT_EQ(back.kind, STORAGE_BLOCK);
        ASSERT_STREQ(back.fstype, "nfs4");
        ASSERT_STREQ(back.source, "192.0.2.10:/export");
        ASSERT_STREQ(back.server_addr, "192.0.2.10");
        ASSERT_STREQ(back.root_path, "/vm/a b.qcow2");
        ASSERT_U64_EQ(back.ino, UINT64_MAX);
        ASSERT_EQ(back.partition, 2);
        ASSERT_STREQ(back.wwid, WWID_SDB);
        ASSERT_STREQ(back.serial, "6001405f2a8a");
        ASSERT_STREQ(back.dm_uuid, "mpath-3600a");
        ASSERT_STREQ(back.loop_backing, "/srv/lun.img");
        ASSERT_EQ(strv_length(back.by_id), 2);
        ASSERT_STREQ(back.by_id[1], by_id[1]);

        /* only what is known is published */
        StorageIdentity bare = { .kind = STORAGE_LOCAL_FS };
        _cleanup_strv_free_ char **few = NULL;
        ASSERT_OK(storage_identity_to_pairs(&bare, &few));
        ASSERT_EQ(strv_length(few), 2);
        ASSERT_STREQ(few[1], "local");
}

TEST(pairs_untrusted) {
        static const char *const ok_unknown[] = { "kind", "shared-fs", "future-fact", "x", "by-id", "", NULL };
        _cleanup_(storage_identity_done) StorageIdentity id = {};
        ASSERT_OK(storage_identity_from_pairs((char **) ok_unknown, &id));
        ASSERT_EQ(id.kind, STORAGE_SHARED_FS);
        ASSERT_NULL(id.by_id);

        /* later wins, like the policy files */
        static const char *const twice[] = { "kind", "block", "wwid", "a", "wwid", "b", NULL };
        _cleanup_(storage_identity_done) StorageIdentity t = {};
        ASSERT_OK(storage_identity_from_pairs((char **) twice, &t));
        ASSERT_STREQ(t.wwid, "b");

        static const char *const bad[][5] = {
                { "source", "h:/e", NULL },              /* no kind */
                { "kind", "nfs", NULL },                 /* unknown kind */
                { "kind", "block", "wwid", NULL },       /* odd */
                { "kind", "block", "ino", "12x", NULL }, /* numbers */
                { "kind", "block", "ino", "-1", NULL },
                { "kind", "block", "ino", "+1", NULL },
                { "kind", "block", "ino", "", NULL },
                { "kind", "block", "ino", "18446744073709551616", NULL },
                { "kind", "block", "partition", "65536", NULL },
                { "kind", "block", "wwid", "naa.1\nrefused: fake", NULL }, /* one line, always */
                { "kind", "block", "serial", "a\x1b[31m", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                StorageIdentity b = { .kind = _STORAGE_KIND_INVALID };
                if (storage_identity_from_pairs((char **) bad[i], &b) != -EBADMSG)
                        TEST_FAIL("case %zu should be refused", i);
                ASSERT_EQ(b.kind, _STORAGE_KIND_INVALID);
        }
        StorageIdentity b = { .kind = _STORAGE_KIND_INVALID };
        ASSERT_ERR(storage_identity_from_pairs(NULL, &b), -EBADMSG);

        char *huge = malloc(PATH_MAX_LEN + 2);
        ASSERT_NOT_NULL(huge);
        memset(huge, 'a', PATH_MAX_LEN + 1);
        huge[PATH_MAX_LEN + 1] = 0;
        char *long_value[] = { "kind", "shared-fs", "root-path", huge, NULL };
        ASSERT_ERR(storage_identity_from_pairs(long_value, &b), -EBADMSG);
        huge[PATH_MAX_LEN] = 0;
        ASSERT_OK(storage_identity_from_pairs(long_value, &b));
        storage_identity_done(&b);
        free(huge);
}

/* This machine: a file on the root file system is local and names its mount. */
TEST(real_root_fs) {
        _cleanup_(storage_identity_done) StorageIdentity id = {};
        struct stat st;
        ASSERT_OK(storage_identity_of(&storage_roots_system, "/etc/passwd", &id));
        ASSERT_SYS(stat("/etc/passwd", &st));
        ASSERT_EQ(id.kind, STORAGE_LOCAL_FS);
        ASSERT_TRUE(id.fstype && *id.fstype);
        ASSERT_TRUE(id.source && *id.source);
        ASSERT_TRUE(id.root_path && id.root_path[0] == '/');
        ASSERT_CONTAINS(id.root_path, "passwd");
        ASSERT_U64_EQ(id.ino, st.st_ino);
        ASSERT_FALSE(storage_identity_is_shared(&id));

        _cleanup_(storage_identity_done) StorageIdentity dflt = {};
        ASSERT_OK(storage_identity_of(NULL, "/etc/passwd", &dflt));
        ASSERT_STREQ(dflt.fstype, id.fstype);
        ASSERT_STREQ(dflt.source, id.source);
}

/* The first block device node in /dev, if this machine (or container) has one. */
static char *first_block_device(void) {
        _cleanup_(closedirp) DIR *d = opendir("/dev");
        for (struct dirent *de; d && (de = readdir(d));) {
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISBLK(st.st_mode))
                        return tests_strdupf("/dev/%s", de->d_name);
        }
        return NULL;
}

TEST(real_block_device) {
        _cleanup_free_ char *node = first_block_device();
        ASSERT_NOT_NULL(node);
        _cleanup_(storage_identity_done) StorageIdentity id = {};
        ASSERT_OK(storage_identity_of(NULL, node, &id));
        ASSERT_EQ(id.kind, STORAGE_BLOCK);
        ASSERT_NULL(id.fstype);
        ASSERT_U64_EQ(id.ino, 0);
}

int main(void) {
        RUN(kind_strings);
        RUN(shared_fs_types);
        RUN(mount_by_device);
        RUN(nfs_server_addr);
        RUN(mountinfo_bad_line);
        RUN(mount_errors);
        RUN(real_file_fixture_mount);
        RUN(vpd_pg80);
        RUN(block_ids);
        RUN_IF(by_id, can_mknod(), "root (block device nodes in the /dev fixture)");
        RUN(pairs_roundtrip);
        RUN(pairs_untrusted);
        RUN(real_root_fs);
        _cleanup_free_ char *node = first_block_device();
        if (node) /* a container may have none: not a missing dependency */
                RUN(real_block_device);
        else
                tests_skip("real_block_device", "no block device in /dev");
        return tests_done();
}
