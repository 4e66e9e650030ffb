/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Disk facts on the source, arrival check on the destination (see disk-facts.h). */
#include "provision/disk-facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "provision/provision.h"

void disk_facts_free(ImageInfo *facts, size_t n) {
        for (size_t i = 0; i < n; i++)
                image_info_done(&facts[i]);
        free(facts);
}

int disk_facts_collect(const DomainXml *x, usec_t deadline, ImageInfo **ret, size_t *ret_n) {
        ImageInfo *items = calloc(x->n_disks ? x->n_disks : 1, sizeof(ImageInfo));
        size_t n = 0;
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_disks; i++) {
                const DomainDisk *disk = &x->disks[i];
                ImageInfo info;
                if (!disk_is_copy_candidate(disk) || !streq(disk->type, "file"))
                        continue;
                if (image_info_query(disk->source, deadline, &info) < 0) {
                        log_debug("Cannot read image facts of %s", disk->source);
                        continue;
                }
                info.target = strdup(disk->target);
                if (!info.target) {
                        image_info_done(&info);
                        disk_facts_free(items, n);
                        return -ENOMEM;
                }
                /* the allocation changes all the time; whether the image is
                 * mostly holes seldom does, and tells the destination
                 * whether a fully allocated copy lost its holes */
                if (info.actual_size > 0 && info.virtual_size > 0)
                        info.sparse = info.actual_size < info.virtual_size / 2;
                info.actual_size = 0;
                items[n++] = info;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

/* A raw image migguard made thin, copied from a sparse source, now fully
 * allocated: the source's libvirt sent its holes as zeroes to be written
 * (libvirt 11 mirrors a raw disk into an NBD node without a format layer,
 * hence without discard, so QEMU marks every zero write "no hole").  Nothing
 * on this side can undo that safely while the guest runs; say so, with
 * what gives the space back and libvirt's option that avoids it (which a
 * destination older than libvirt 10.9 refuses). */
int provision_check_arrival(const IncomingState *s, Findings *warnings) {
        for (size_t i = 0; i < s->n_disks; i++) {
                const IncomingDisk *disk = &s->disks[i];
                struct stat st;
                if (!disk->created || disk->opts.sparse != 1 || !streq_ptr(disk->opts.format, "raw") ||
                    disk->opts.virtual_size == 0 || stat(disk->path, &st) < 0)
                        continue;
                uint64_t allocated = (uint64_t) st.st_blocks * 512;
                if (allocated < disk->opts.virtual_size / 10 * 9)
                        continue;
                int r = findings_addf(
                        warnings, CHECK_KIND_PROVISION,
                        "disk %s: %s arrived fully allocated (%llu of %llu bytes) although its source image is "
                        "sparse: the source's libvirt sent its holes as zeroes to write; fstrim in the guest "
                        "gives unused space back (discard='unmap'), and between libvirt >= 10.9 hosts "
                        "'virsh migrate --migrate-disks-detect-zeroes %s' keeps the holes",
                        strna(disk->opts.target), disk->path, (unsigned long long) allocated,
                        (unsigned long long) disk->opts.virtual_size, strna(disk->opts.target));
                if (r < 0)
                        return r;
        }
        return 0;
}
