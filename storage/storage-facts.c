/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Publishing and checking storage identities (see storage-facts.h). */
#include "storage/storage-facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "storage/storage-compare.h"

void storage_facts_free(StorageFacts *facts, size_t n) {
        for (size_t i = 0; i < n; i++)
                storage_facts_done(&facts[i]);
        free(facts);
}

static bool disk_has_storage(const DomainDisk *disk) {
        return disk->source && (streq(disk->type, "file") || streq(disk->type, "block"));
}

int storage_facts_collect(const StorageRoots *roots, const DomainXml *x, StorageFacts **ret, size_t *ret_n) {
        StorageFacts *items = calloc(x->n_disks ? x->n_disks : 1, sizeof(StorageFacts));
        size_t n = 0;
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_disks; i++) {
                const DomainDisk *disk = &x->disks[i];
                _cleanup_(storage_identity_done) StorageIdentity id = { 0 };
                if (!disk_has_storage(disk))
                        continue;
                int r = storage_identity_of(roots, disk->source, &id);
                if (r < 0) {
                        log_debug_errno(r, "No storage identity for %s: %m", disk->source);
                        continue;
                }
                StorageFacts *f = &items[n];
                f->target = strdup(disk->target);
                if (!f->target || storage_identity_to_pairs(&id, &f->pairs) < 0) {
                        storage_facts_free(items, n + 1);
                        return -ENOMEM;
                }
                n++;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

/* Is the source's disk on storage both hosts are meant to see? */
static bool source_shared(const StorageIdentity *src) {
        if (storage_identity_is_shared(src))
                return true;
        /* any persistent identity of a block device can be proven, a loop
         * device's backing file included */
        return src->kind == STORAGE_BLOCK && (src->wwid || src->serial || src->dm_uuid || src->loop_backing);
}

/* Nothing at @path here, as opposed to something whose identity cannot be
 * read (no mountinfo, a device sysfs does not know): also -ENOENT. */
static bool path_missing(const char *path) {
        struct stat st;
        return lstat(path, &st) < 0 && errno == ENOENT;
}

static int check_disk(const DomainDisk *disk, const StorageFacts *facts, const StorageRoots *roots,
                      char **ret_refusal) {
        _cleanup_(storage_identity_done) StorageIdentity src = { 0 }, here = { 0 };
        *ret_refusal = NULL;
        if (storage_identity_from_pairs(facts->pairs, &src) < 0 || !source_shared(&src))
                return 0;
        int r = storage_identity_of(roots, disk->source, &here);
        if (r == -ENOENT && path_missing(disk->source))
                return 0; /* nothing here to open by mistake */
        if (r < 0)
                return asprintf(ret_refusal,
                                "disk %s: cannot tell what %s is here: %s; on the source it is shared "
                                "storage",
                                disk->target, disk->source, strerror(-r)) < 0
                               ? -ENOMEM
                               : 1;
        r = storage_identity_compare(disk->target, disk->source, &src, &here, ret_refusal);
        /* a local file where the shared one should be: a stale copy, or a
         * target someone made for copying the disk off shared storage */
        if (r == 1 && here.kind == STORAGE_LOCAL_FS && storage_refusal_add_precreated_hint(ret_refusal) < 0)
                return -ENOMEM;
        return r;
}

int storage_check(const Policy *p, const DomainXml *d, const StorageRoots *roots, Findings *refusals,
                  Findings *warnings) {
        if (p->storage_identity == CHECK_OFF)
                return 0;
        for (size_t i = 0; i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];
                const StorageFacts *facts = domain_xml_find_storage_facts(d, disk->target);
                _cleanup_free_ char *why = NULL;
                if (!facts || !disk_has_storage(disk))
                        continue;
                int r = check_disk(disk, facts, roots, &why);
                if (r < 0)
                        return r;
                if (r > 0 && findings_add(p->storage_identity == CHECK_ENFORCE ? refusals : warnings,
                                          CHECK_KIND_STORAGE, why) < 0)
                        return -ENOMEM;
        }
        return 0;
}
