/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network pools of another host (see storage-pool-view.h). */
#include "storage/storage-pool-view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/path-util.h"
#include "basic/xml-util.h"
#include "core/virt-util.h"

void pool_view_done(PoolView *v) {
        free(v->name);
        free(v->type);
        free(v->source);
        free(v->target);
        *v = (PoolView){ 0 };
}

/* 1 when @xml is a network pool whose target holds @path. */
static int view_of_xml(const char *xml, const char *path, PoolView *ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        if (xml_parse_xpath(xml, strlen(xml), &doc, &ctx, NULL) < 0)
                return 0;
        _cleanup_free_ char *type = xpath_string(ctx, NULL, "/pool/@type");
        _cleanup_free_ char *target = xpath_string(ctx, NULL, "/pool/target/path");
        if (!type || !target || !(streq(type, "netfs") || streq(type, "gluster")))
                return 0;
        path_strip_trailing_slashes(target);
        if (!path_startswith_dir(path, target))
                return 0;
        _cleanup_free_ char *host = xpath_string(ctx, NULL, "/pool/source/host/@name");
        _cleanup_free_ char *dir = xpath_string(ctx, NULL, "/pool/source/dir/@path");
        _cleanup_free_ char *name = xpath_string(ctx, NULL, "/pool/name");
        _cleanup_free_ char *format = xpath_string(ctx, NULL, "/pool/source/format/@type");
        PoolView v = { .name = TAKE_PTR(name), .type = TAKE_PTR(type), .target = TAKE_PTR(target) };
        /* what libvirt mounts (storage_backend_fs.c), so what mountinfo shows */
        int k = streq_ptr(format, "cifs") ? asprintf(&v.source, "//%s/%s", strna(host), dir ? dir : "")
                                          : asprintf(&v.source, "%s:%s", strna(host), dir ? dir : "/");
        if (k < 0) {
                pool_view_done(&v);
                return -ENOMEM;
        }
        *ret = v;
        return 1;
}

/* Nested mounts: the pool mounted deepest holds the path, as in mountinfo. */
int pool_view_of(virConnectPtr conn, const char *path, PoolView *ret) {
        virStoragePoolPtr *pools = NULL;
        int n = virConnectListAllStoragePools(conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
        PoolView best = { 0 };
        int r = 0;
        if (n < 0)
                return -EIO;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *xml = r >= 0 ? virStoragePoolGetXMLDesc(pools[i], 0) : NULL;
                PoolView v = { 0 };
                int k = xml ? view_of_xml(xml, path, &v) : 0;
                if (k < 0)
                        r = k;
                else if (k > 0 && (!best.target || strlen(v.target) > strlen(best.target))) {
                        pool_view_done(&best);
                        best = v;
                        r = 1;
                } else
                        pool_view_done(&v);
                virStoragePoolFree(pools[i]);
        }
        free(pools);
        if (r > 0)
                *ret = best;
        else
                pool_view_done(&best);
        return r;
}
