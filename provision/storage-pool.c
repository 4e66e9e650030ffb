/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Storage pool handling through libvirt's public storage API. */
#include "provision/storage-pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "basic/alloc-util.h"
#include "basic/time-util.h"
#include "basic/xml-util.h"
#include "core/virt-util.h"

static int last_error(char **ret_error, const char *what) {
        if (ret_error && asprintf(ret_error, "%s: %s", what, virt_last_error_message()) < 0)
                *ret_error = NULL;
        return -EIO;
}

int storage_connect(const char *fallback_uri, virConnectPtr *ret) {
        virt_errors_silence();
        virConnectPtr c = virConnectOpen(STORAGE_URI);
        if (!c && fallback_uri)
                c = virConnectOpen(fallback_uri);
        if (!c)
                return -ECONNREFUSED;
        *ret = c;
        return 0;
}

int storage_pool_name_for_dir(const char *dir, char **ret) {
        /* FNV-1a keeps names unique for paths that sanitise alike. */
        uint32_t h = 2166136261u;
        char clean[48];
        size_t n = 0;

        for (const char *c = dir; *c; c++) {
                h = (h ^ (unsigned char) *c) * 16777619u;
                if (n + 1 < sizeof(clean) && (c != dir || *c != '/'))
                        clean[n++] = (char) ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '-');
        }
        clean[n] = 0;
        return asprintf(ret, "migguard-%s-%08x", clean, h) < 0 ? -ENOMEM : 0;
}

static int pool_xml(const char *name, const char *dir, char **ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlNewDoc((const xmlChar *) "1.0");
        xmlNodePtr pool = xmlNewNode(NULL, (const xmlChar *) "pool");
        if (!doc || !pool)
                return -ENOMEM;
        xmlDocSetRootElement(doc, pool);
        xmlNewProp(pool, (const xmlChar *) "type", (const xmlChar *) "dir");
        xmlNewTextChild(pool, NULL, (const xmlChar *) "name", (const xmlChar *) name);
        xmlNodePtr target = xmlNewChild(pool, NULL, (const xmlChar *) "target", NULL);
        xmlNewTextChild(target, NULL, (const xmlChar *) "path", (const xmlChar *) dir);

        return xml_doc_to_string(doc, ret);
}

/* Is any of @paths (missing on disk) still listed as a volume? */
static bool cache_is_stale(virConnectPtr conn, char *const *paths) {
        for (char *const *p = paths; p && *p; p++) {
                _cleanup_(virStorageVolFreep) virStorageVolPtr v = virStorageVolLookupByPath(conn, *p);
                if (v)
                        return true;
        }
        return false;
}

/*
 * Refresh fails while the pool runs an asynchronous job, which is what
 * libvirt's pre-creation for a concurrent migration is: retry, bounded.
 */
static int refresh_bounded(virStoragePoolPtr pool, usec_t deadline) {
        for (;;) {
                if (virStoragePoolRefresh(pool, 0) == 0)
                        return 0;
                if (!strstr(virt_last_error_message(), "asynchronous jobs"))
                        return -EIO;
                if (deadline_passed(deadline))
                        return -ETIMEDOUT;
                (void) usleep(100 * 1000);
        }
}

int storage_pool_ensure(virConnectPtr conn, const char *dir, char *const *missing, usec_t deadline,
                        char **ret_pool_name, char **ret_error) {
        _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = virStoragePoolLookupByTargetPath(conn, dir);

        if (pool) {
                int active = virStoragePoolIsActive(pool);
                if (active < 0)
                        return last_error(ret_error, "cannot query storage pool");
                if (!active && virStoragePoolCreate(pool, 0) < 0)
                        return last_error(ret_error, "cannot start storage pool");
        } else {
                _cleanup_free_ char *name = NULL, *xml = NULL;
                if (storage_pool_name_for_dir(dir, &name) < 0 || pool_xml(name, dir, &xml) < 0)
                        return -ENOMEM;
                pool = virStoragePoolCreateXML(conn, xml, 0);
                if (!pool)
                        return last_error(ret_error, "cannot create storage pool");
        }

        /* The volume list is a cache: a file removed behind its back stays
         * listed and libvirt would skip pre-creating it.  Only refresh when
         * that is the case: it competes with concurrent pre-creation. */
        if (!missing || cache_is_stale(conn, missing)) {
                int r = refresh_bounded(pool, deadline);
                if (r == -ETIMEDOUT) {
                        if (ret_error && asprintf(ret_error,
                                                  "storage pool for %s stayed busy with other "
                                                  "migrations' images until the deadline",
                                                  dir) < 0)
                                *ret_error = NULL;
                        return r;
                }
                if (r < 0)
                        return last_error(ret_error, "cannot refresh storage pool");
        }

        if (ret_pool_name) {
                const char *n = virStoragePoolGetName(pool);
                *ret_pool_name = strdup(n ? n : "?");
        }
        return 0;
}
