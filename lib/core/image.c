/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-img front end.  Image formats are qemu-img's business: we read its
 * JSON report with json-c and pass creation options back to it.
 */
#include "core/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "basic/spawn-util.h"

void image_info_init(ImageInfo *i) {
        *i = (ImageInfo){ .lazy_refcounts = -1, .extended_l2 = -1, .sparse = -1 };
}

void image_info_done(ImageInfo *i) {
        free(i->target);
        free(i->format);
        free(i->compat);
        free(i->compression_type);
        image_info_init(i);
}

static int dup_opt(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int image_info_copy(const ImageInfo *from, ImageInfo *to) {
        ImageInfo n = *from;
        n.target = n.format = n.compat = n.compression_type = NULL;
        if (dup_opt(from->target, &n.target) < 0 || dup_opt(from->format, &n.format) < 0 ||
            dup_opt(from->compat, &n.compat) < 0 || dup_opt(from->compression_type, &n.compression_type) < 0) {
                image_info_done(&n);
                return -ENOMEM;
        }
        *to = n;
        return 0;
}

bool image_format_supported(const char *format) {
        return format && (streq(format, "qcow2") || streq(format, "raw"));
}

static const char *json_str(struct json_object *o, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int json_u64(struct json_object *o, const char *key, uint64_t *ret) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -ENOENT;
        int64_t n = json_object_get_int64(v);
        if (n < 0)
                return -ERANGE;
        *ret = (uint64_t) n;
        return 0;
}

static int json_flag(struct json_object *o, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
                return -1;
        return json_object_get_boolean(v) ? 1 : 0;
}

int image_info_from_json(const char *json, ImageInfo *ret) {
        ImageInfo i;
        struct json_object *root = json_tokener_parse(json), *spec, *data;

        if (!root || !json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return -EBADMSG;
        }
        image_info_init(&i);
        if (dup_opt(json_str(root, "format"), &i.format) < 0 || !i.format ||
            json_u64(root, "virtual-size", &i.virtual_size) < 0) {
                image_info_done(&i);
                json_object_put(root);
                return -EBADMSG;
        }
        (void) json_u64(root, "actual-size", &i.actual_size);
        (void) json_u64(root, "cluster-size", &i.cluster_size);
        if (json_object_object_get_ex(root, "format-specific", &spec) &&
            json_object_object_get_ex(spec, "data", &data) && streq(i.format, "qcow2")) {
                if (dup_opt(json_str(data, "compat"), &i.compat) < 0 ||
                    dup_opt(json_str(data, "compression-type"), &i.compression_type) < 0) {
                        image_info_done(&i);
                        json_object_put(root);
                        return -ENOMEM;
                }
                i.lazy_refcounts = json_flag(data, "lazy-refcounts");
                i.extended_l2 = json_flag(data, "extended-l2");
        }
        json_object_put(root);
        *ret = i;
        return 0;
}

int image_info_query(const char *path, usec_t deadline, ImageInfo *ret) {
        char *argv[] = { (char *) "qemu-img",
                         (char *) "info",
                         (char *) "--output=json",
                         (char *) "-U",
                         (char *) "--",
                         (char *) path,
                         NULL };
        SpawnResult res = { 0 };
        int r = spawn_run(argv, deadline, &res);
        if (r < 0)
                return r;
        if (res.exit_status != 0 || !res.out)
                r = -EIO;
        else
                r = image_info_from_json(res.out, ret);
        spawn_result_done(&res);
        return r;
}

static bool opt_safe(const char *v) {
        /* Values come from the (untrusted) domain metadata: no separators. */
        return v && *v && strlen(v) < 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.") == strlen(v);
}

int image_create_options(const char *format, const ImageInfo *opts, bool sparse, char **ret) {
        char buf[512];
        size_t n = 0;

#define APPEND(...) n += (size_t) snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__)
        APPEND("preallocation=%s", sparse ? "off" : "falloc");
        if (streq(format, "qcow2") && opts) {
                bool v2 = opts->compat && streq(opts->compat, "0.10");
                if (opts->cluster_size >= 512 && opts->cluster_size <= 2 * 1024 * 1024 &&
                    !(opts->cluster_size & (opts->cluster_size - 1)))
                        APPEND(",cluster_size=%llu", (unsigned long long) opts->cluster_size);
                if (opt_safe(opts->compat))
                        APPEND(",compat=%s", opts->compat);
                if (opts->lazy_refcounts >= 0 && !v2)
                        APPEND(",lazy_refcounts=%s", opts->lazy_refcounts ? "on" : "off");
                if (opts->extended_l2 >= 0 && !v2)
                        APPEND(",extended_l2=%s", opts->extended_l2 ? "on" : "off");
                if (opt_safe(opts->compression_type) && !v2)
                        APPEND(",compression_type=%s", opts->compression_type);
        }
#undef APPEND
        if (n >= sizeof(buf))
                return -E2BIG;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int image_create(const char *path, const char *format, uint64_t size, const ImageInfo *opts, bool sparse,
                 usec_t deadline, char **ret_error) {
        _cleanup_free_ char *o = NULL;
        char sizebuf[32];
        int r;

        if (!image_format_supported(format))
                return -EOPNOTSUPP;
        r = image_create_options(format, opts, sparse, &o);
        if (r < 0)
                return r;
        snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long) size);

        char *argv[] = {
                (char *) "qemu-img", (char *) "create", (char *) "-q", (char *) "-f", (char *) format, (char *) "-o", o,
                (char *) "--",       (char *) path,     sizebuf,       NULL
        };
        SpawnResult res = { 0 };
        r = spawn_run(argv, deadline, &res);
        if (r < 0)
                return r;
        if (res.exit_status != 0) {
                if (ret_error && res.err) {
                        res.err[strcspn(res.err, "\n")] = 0;
                        *ret_error = TAKE_PTR(res.err);
                }
                r = -EIO;
        }
        spawn_result_done(&res);
        return r;
}
