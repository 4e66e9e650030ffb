/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for storage/storage-compare.c: the source's published
 * identity of a disk against this host's, every admin-facing line
 * verbatim (a stale file where an export should be mounted, another
 * export, another file on the same export, another LUN, another loop
 * backing file, local storage), what counts as the same storage (nfs and
 * nfs4, the server by address, inodes only where clients share them, any
 * matching LUN ID with none conflicting), and the pre-created file hint.
 * Identities are built from published pairs, as the hook receives them.
 */
#include "tests.h"

#include "storage/storage-compare.h"
#include "storage/storage-identity.h"

#define IMG "/var/lib/libvirt/images/db.qcow2"
#define NAA_HERE "naa.6001405f2a8a3e4f9cd4d2a8b8e6c1f0"
#define NAA_SOURCE "naa.600140517c7f4c2e8a1f3b5d9e0c4a21"

/* An identity from name/value pairs, NULL-terminated. */
#define IDENT(...) ident((const char *const[]){ __VA_ARGS__, NULL })
static StorageIdentity ident(const char *const *pairs) {
        StorageIdentity id = { .kind = _STORAGE_KIND_INVALID };
        ASSERT_OK(storage_identity_from_pairs((char **) pairs, &id));
        return id;
}

/* Refused, with exactly @expected. */
static void check_refused(const char *disk, const char *path, StorageIdentity source, StorageIdentity here,
                          const char *expected) {
        _cleanup_free_ char *line = NULL;
        ASSERT_EQ(storage_identity_compare(disk, path, &source, &here, &line), 1);
        ASSERT_STREQ(line, expected);
        ASSERT_NULL(strchr(line, '\n'));
        ASSERT_TRUE(line[strlen(line) - 1] != '.');
        storage_identity_done(&source);
        storage_identity_done(&here);
}

static void check_same(StorageIdentity source, StorageIdentity here) {
        char *line = NULL;
        int r = storage_identity_compare("vda", IMG, &source, &here, &line);
        if (r != 0)
                TEST_FAIL("expected the same storage, got %d: %s", r, strna(line));
        ASSERT_NULL(line);
        storage_identity_done(&source);
        storage_identity_done(&here);
}

static StorageIdentity nfs_source(void) {
        return IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/export", "root-path", "/db.qcow2",
                     "ino", "4242");
}

TEST(export_not_mounted) {
        check_refused("vda", IMG, nfs_source(),
                      IDENT("kind", "local", "fstype", "ext4", "source", "/dev/vda1", "root-path", IMG, "ino", "12"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is on ext4 (/dev/vda1), on the source it is "
                      "on nfs 192.0.2.10:/export: the export is not mounted here, or a stale copy is in the way");
        /* a device node where the image should be */
        check_refused("vda", IMG, nfs_source(), IDENT("kind", "block", "wwid", NAA_HERE),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is " NAA_HERE ", on the source it is on nfs "
                      "192.0.2.10:/export: the export is not mounted here, or a stale copy is in the way");
}

TEST(another_export) {
        check_refused("vda", "/srv/gluster/db.qcow2",
                      IDENT("kind", "shared-fs", "fstype", "fuse.glusterfs", "source", "192.0.2.10:/export",
                            "root-path", "/db.qcow2", "ino", "99"),
                      IDENT("kind", "shared-fs", "fstype", "fuse.glusterfs", "source", "192.0.2.11:/other", "root-path",
                            "/db.qcow2", "ino", "99"),
                      "disk vda: /srv/gluster/db.qcow2 here is on fuse.glusterfs 192.0.2.11:/other, on the source on "
                      "fuse.glusterfs 192.0.2.10:/export: another export is mounted at this path");
        /* another protocol on the same server */
        check_refused(
                "vdb", IMG, nfs_source(),
                IDENT("kind", "shared-fs", "fstype", "cifs", "source", "//192.0.2.10/export", "root-path", "/db.qcow2"),
                "disk vdb: /var/lib/libvirt/images/db.qcow2 here is on cifs //192.0.2.10/export, on the source "
                "on nfs 192.0.2.10:/export: another export is mounted at this path");
        /* the same server, another export, the file elsewhere */
        check_refused("vda", IMG,
                      IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/a", "root-path", "/db.qcow2"),
                      IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/b", "root-path", "/db.qcow2"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is on nfs 192.0.2.10:/b, on the source on nfs "
                      "192.0.2.10:/a: another export is mounted at this path");
        /* the same name, but the kernel mounted another server */
        check_refused("vda", IMG,
                      IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "server-addr", "192.0.2.10",
                            "root-path", "/db.qcow2"),
                      IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "server-addr",
                            "198.51.100.10", "root-path", "/db.qcow2"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is on nfs4 nas:/export, on the source on "
                      "nfs4 nas:/export: another export is mounted at this path");
}

TEST(another_file_on_the_export) {
        /* the same place through another export, but another inode */
        check_refused("vda", IMG,
                      IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "root-path", "/vm/db.qcow2",
                            "ino", "4242"),
                      IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export/vm", "root-path", "/db.qcow2",
                            "ino", "77"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is another file on the same export (inode "
                      "77 here, 4242 on the source): a copy, not the source's image");
        check_refused("vda", IMG, nfs_source(),
                      IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/export", "root-path",
                            "/db.qcow2", "ino", "5151"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is another file on the same export (inode "
                      "5151 here, 4242 on the source): a copy, not the source's image");
        check_refused("vda", IMG, nfs_source(),
                      IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/export", "root-path",
                            "/old/db.qcow2", "ino", "4242"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 here is another file on the same export "
                      "(/old/db.qcow2 here, /db.qcow2 on the source): a copy, not the source's image");
        /* inode numbers say nothing on CIFS: the path in the share does */
        check_refused(
                "vda", IMG,
                IDENT("kind", "shared-fs", "fstype", "cifs", "source", "//nas/vm", "root-path", "/a.qcow2", "ino", "1"),
                IDENT("kind", "shared-fs", "fstype", "smb3", "source", "//nas/vm", "root-path", "/b.qcow2", "ino", "2"),
                "disk vda: /var/lib/libvirt/images/db.qcow2 here is another file on the same export "
                "(/b.qcow2 here, /a.qcow2 on the source): a copy, not the source's image");
}

TEST(same_shared_file) {
        check_same(nfs_source(), nfs_source());
        /* nfs and nfs4 are one family; a trailing slash is no other export */
        check_same(nfs_source(), IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "192.0.2.10:/export/",
                                       "root-path", "/db.qcow2", "ino", "4242"));
        /* one host mounted the server by name, the other by address: the kernel's addr= agrees */
        check_same(IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas.example.org:/export", "server-addr",
                         "192.0.2.10", "root-path", "/vm/db.qcow2", "ino", "4242"),
                   IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "192.0.2.10:/export", "server-addr",
                         "192.0.2.10", "root-path", "/vm/db.qcow2", "ino", "4242"));
        check_same(IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "[2001:db8::1]:/export", "server-addr",
                         "2001:db8::1", "root-path", "/db.qcow2"),
                   IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas6:/export", "server-addr", "2001:db8::1",
                         "root-path", "/db.qcow2"));
        /* only one side knows the address: the names as written */
        check_same(IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "server-addr", "192.0.2.10",
                         "root-path", "/db.qcow2"),
                   IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "root-path", "/db.qcow2"));
        /* the source mounted nas:/export at the images directory, this host nas:/export/vm at its vm/ */
        check_same(IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export", "root-path", "/vm/db.qcow2",
                         "ino", "4242"),
                   IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "nas:/export/vm", "root-path", "/db.qcow2",
                         "ino", "4242"));
        /* unknown inode on one side: the rest decides */
        check_same(nfs_source(), IDENT("kind", "shared-fs", "fstype", "nfs", "source", "192.0.2.10:/export",
                                       "root-path", "/db.qcow2"));
        /* inodes differ where clients do not share them */
        check_same(
                IDENT("kind", "shared-fs", "fstype", "cifs", "source", "//nas/vm", "root-path", "/a.qcow2", "ino", "1"),
                IDENT("kind", "shared-fs", "fstype", "smb3", "source", "//nas/vm", "root-path", "/a.qcow2", "ino",
                      "2"));
        check_same(IDENT("kind", "shared-fs", "fstype", "fuse.glusterfs", "source", "192.0.2.10:/export", "root-path",
                         "/db.qcow2", "ino", "11706983469837295843"),
                   IDENT("kind", "shared-fs", "fstype", "fuse.glusterfs", "source", "192.0.2.10:/export", "root-path",
                         "/db.qcow2", "ino", "11706983469837295843"));
}

TEST(another_lun) {
        check_refused("vdb", "/dev/sdb", IDENT("kind", "block", "wwid", NAA_SOURCE, "serial", "SRC1"),
                      IDENT("kind", "block", "wwid", NAA_HERE, "serial", "SRC1"),
                      "disk vdb: /dev/sdb here is " NAA_HERE ", on the source " NAA_SOURCE
                      ": name the disk by /dev/disk/by-id");
        /* the strongest ID both have and disagree on is named */
        check_refused("vdb", "/dev/sdb", IDENT("kind", "block", "wwid", NAA_SOURCE, "serial", "SRC1"),
                      IDENT("kind", "block", "wwid", NAA_SOURCE, "serial", "OTHER"),
                      "disk vdb: /dev/sdb here is OTHER, on the source SRC1: name the disk by /dev/disk/by-id");
        /* here without any persistent ID */
        check_refused("vdb", "/dev/sdb", IDENT("kind", "block", "wwid", NAA_SOURCE),
                      IDENT("kind", "block", "by-id", "virtio-x"),
                      "disk vdb: /dev/sdb here is a block device without a persistent id, on the source " NAA_SOURCE
                      ": name the disk by /dev/disk/by-id");
        /* no ID in common: nothing proves it */
        check_refused(
                "vdb", "/dev/sdb", IDENT("kind", "block", "wwid", NAA_SOURCE), IDENT("kind", "block", "serial", "SRC1"),
                "disk vdb: /dev/sdb here is SRC1, on the source " NAA_SOURCE ": name the disk by /dev/disk/by-id");
        check_refused("vdb", "/dev/mapper/mpatha",
                      IDENT("kind", "block", "dm-uuid", "mpath-3600a098038303053453f463045727a4b"),
                      IDENT("kind", "block", "dm-uuid", "mpath-3600a098038303053453f463045727a4c"),
                      "disk vdb: /dev/mapper/mpatha here is mpath-3600a098038303053453f463045727a4c, on the source "
                      "mpath-3600a098038303053453f463045727a4b: name the disk by /dev/disk/by-id");
        /* the same LUN, another partition */
        check_refused("vdb", "/dev/sdb1", IDENT("kind", "block", "wwid", NAA_SOURCE, "partition", "1"),
                      IDENT("kind", "block", "wwid", NAA_SOURCE, "partition", "2"),
                      "disk vdb: /dev/sdb1 here is partition 2 of " NAA_SOURCE
                      ", on the source partition 1 of " NAA_SOURCE ": name the disk by /dev/disk/by-id");
}

TEST(loop_devices) {
        check_refused("vdb", "/dev/loop3", IDENT("kind", "block", "loop-backing", "/srv/shared/a.img"),
                      IDENT("kind", "block", "loop-backing", "/srv/shared/b.img"),
                      "disk vdb: /dev/loop3 here is a loop device backed by /srv/shared/b.img, on the source a loop "
                      "device backed by /srv/shared/a.img: name the disk by /dev/disk/by-id");
        check_same(IDENT("kind", "block", "loop-backing", "/srv/shared/a.img"),
                   IDENT("kind", "block", "loop-backing", "/srv/shared/a.img"));
}

TEST(same_lun) {
        check_same(IDENT("kind", "block", "wwid", NAA_SOURCE), IDENT("kind", "block", "wwid", NAA_SOURCE));
        /* another kernel shows fewer IDs: one that matches and none that conflicts is enough */
        check_same(IDENT("kind", "block", "wwid", NAA_SOURCE, "serial", "SRC1"),
                   IDENT("kind", "block", "serial", "SRC1", "by-id", "scsi-SRC1"));
        check_same(IDENT("kind", "block", "dm-uuid", "LVM-abc", "partition", "0"),
                   IDENT("kind", "block", "dm-uuid", "LVM-abc"));
        check_same(IDENT("kind", "block", "wwid", "eui.0025388b91b2a5c1", "partition", "3"),
                   IDENT("kind", "block", "wwid", "eui.0025388b91b2a5c1", "partition", "3"));
}

TEST(nothing_to_prove_with) {
        check_refused("vdb", "/dev/vdb", IDENT("kind", "block"), IDENT("kind", "block"),
                      "disk vdb: /dev/vdb is a block device without a persistent id on the source: nothing proves it "
                      "is the same disk here");
        check_refused("vda", IMG,
                      IDENT("kind", "local", "fstype", "ext4", "source", "/dev/vda1", "root-path", IMG, "ino", "12"),
                      IDENT("kind", "local", "fstype", "ext4", "source", "/dev/vda1", "root-path", IMG, "ino", "12"),
                      "disk vda: /var/lib/libvirt/images/db.qcow2 on the source is on ext4 (/dev/vda1), which only "
                      "the source sees: copy it with --copy-storage-all");
}

TEST(kinds_differ) {
        check_refused("vdb", "/dev/sdb", IDENT("kind", "block", "wwid", NAA_SOURCE),
                      IDENT("kind", "local", "fstype", "devtmpfs", "source", "udev", "root-path", "/sdb"),
                      "disk vdb: /dev/sdb here is on devtmpfs (udev), on the source it is " NAA_SOURCE
                      ": the disk is not attached here, or a file is in the way");
        check_refused("vdb", "/dev/sdb", IDENT("kind", "block", "loop-backing", "/srv/a.img"),
                      IDENT("kind", "shared-fs", "fstype", "nfs4", "source", "h:/e"),
                      "disk vdb: /dev/sdb here is on nfs4 h:/e, on the source it is a loop device backed by "
                      "/srv/a.img: the disk is not attached here, or a file is in the way");
}

TEST(invalid) {
        StorageIdentity none = { .kind = _STORAGE_KIND_INVALID }, max = { .kind = _STORAGE_KIND_MAX };
        StorageIdentity ok = { .kind = STORAGE_BLOCK, .wwid = NAA_SOURCE };
        char *line = NULL;
        ASSERT_ERR(storage_identity_compare("vda", IMG, &none, &ok, &line), -EINVAL);
        ASSERT_ERR(storage_identity_compare("vda", IMG, &ok, &none, &line), -EINVAL);
        ASSERT_ERR(storage_identity_compare("vda", IMG, &max, &ok, &line), -EINVAL);
        ASSERT_NULL(line);
}

TEST(precreated_hint) {
        _cleanup_free_ char *line = NULL;
        StorageIdentity source = nfs_source();
        StorageIdentity here = IDENT("kind", "local", "fstype", "ext4", "source", "/dev/vda1", "root-path", IMG);
        ASSERT_EQ(storage_identity_compare("vda", IMG, &source, &here, &line), 1);
        ASSERT_OK(storage_refusal_add_precreated_hint(&line));
        ASSERT_STREQ(line, "disk vda: /var/lib/libvirt/images/db.qcow2 here is on ext4 (/dev/vda1), on the source "
                           "it is on nfs 192.0.2.10:/export: the export is not mounted here, or a stale copy is in "
                           "the way; remove that file, or set [storage] identity = warn for this domain");
        storage_identity_done(&source);
        storage_identity_done(&here);
}

int main(void) {
        RUN(export_not_mounted);
        RUN(another_export);
        RUN(another_file_on_the_export);
        RUN(same_shared_file);
        RUN(another_lun);
        RUN(loop_devices);
        RUN(same_lun);
        RUN(nothing_to_prove_with);
        RUN(kinds_differ);
        RUN(invalid);
        RUN(precreated_hint);
        return tests_done();
}
