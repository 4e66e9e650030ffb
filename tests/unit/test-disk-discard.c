/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for provision/disk-discard.c: which disks get discard='unmap'. */
#include "provision/disk-discard.h"
#include "basic/strv.h"
#include "tests.h"

#define DISK(fmt, extra, dev)                                                                                          \
        "<disk type='file' device='disk'><driver name='qemu' type='" fmt "'" extra "/>"                                \
        "<source file='/var/lib/libvirt/images/" dev "'/><target dev='" dev "' bus='virtio'/></disk>"

static const char xml[] =
        "<domain type='qemu'><name>g</name><devices>" DISK("raw", "", "vda") DISK("raw", " discard='ignore'", "vdb")
                DISK("qcow2", "", "vdc") DISK("raw", " cache='none'", "vdd") "</devices></domain>";

TEST(only_listed_raw_disks_without_a_choice) {
        char *const targets[] = { (char *) "vda", (char *) "vdb", (char *) "vdc", NULL };
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **changed = NULL;

        ASSERT_OK(disk_discard_unmap(xml, strlen(xml), targets, &out, &changed));
        ASSERT_EQ(strv_length(changed), 1); /* vdb: the admin chose; vdc: qcow2; vdd: not provisioned */
        ASSERT_STREQ(changed[0], "vda");
        ASSERT_CONTAINS(out, "<driver name=\"qemu\" type=\"raw\" discard=\"unmap\" detect_zeroes=\"unmap\"/>");
        ASSERT_CONTAINS(out, "discard=\"ignore\"");
        ASSERT_CONTAINS(out, "<driver name=\"qemu\" type=\"raw\" cache=\"none\"/>");
}

TEST(nothing_to_change) {
        char *const targets[] = { (char *) "vdc", NULL };
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **changed = NULL;
        ASSERT_OK(disk_discard_unmap(xml, strlen(xml), targets, &out, &changed));
        ASSERT_NULL(out);
        ASSERT_EQ(strv_length(changed), 0);
        ASSERT_TRUE(disk_discard_unmap("<domain", 7, targets, &out, &changed) < 0);
}

int main(void) {
        RUN(only_listed_raw_disks_without_a_choice);
        RUN(nothing_to_change);
        return tests_done();
}
