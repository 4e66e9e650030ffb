/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON persistence and locking for IncomingState (see incoming-state.h). */
#include "core/incoming-state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/path-util.h"
#include "basic/time-util.h"
#include "basic/strv.h"

#define STATE_MAX_SIZE (4 * 1024 * 1024)

int incoming_state_new(const char *uuid, const char *name, IncomingState **ret) {
        IncomingState *s = calloc(1, sizeof(IncomingState));
        if (!s)
                return -ENOMEM;
        s->uuid = strdup(uuid);
        s->name = strdup(name);
        s->begin_usec = (int64_t) now_usec(CLOCK_REALTIME);
        if (!s->uuid || !s->name) {
                incoming_state_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

void incoming_state_free(IncomingState *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_disks; i++) {
                free(s->disks[i].path);
                image_info_done(&s->disks[i].opts);
        }
        free(s->disks);
        free(s->uuid);
        free(s->name);
        free(s);
}

int incoming_state_add_disk(IncomingState *s, const char *path, const ImageInfo *opts) {
        IncomingDisk *n = realloc(s->disks, sizeof(IncomingDisk) * (s->n_disks + 1));
        if (!n)
                return -ENOMEM;
        s->disks = n;
        IncomingDisk *d = &s->disks[s->n_disks];
        *d = (IncomingDisk){ .path = strdup(path) };
        if (!d->path)
                return -ENOMEM;
        if (image_info_copy(opts, &d->opts) < 0) {
                free(d->path);
                return -ENOMEM;
        }
        s->n_disks++;
        return 0;
}

static void add_str(struct json_object *o, const char *k, const char *v) {
        if (v)
                json_object_object_add(o, k, json_object_new_string(v));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v) {
        json_object_object_add(o, k, json_object_new_int64((int64_t) v));
}

int incoming_state_to_json(const IncomingState *s, char **ret) {
        struct json_object *root = json_object_new_object(), *disks = json_object_new_array();
        if (!root || !disks) {
                json_object_put(root);
                json_object_put(disks);
                return -ENOMEM;
        }
        add_str(root, "uuid", s->uuid);
        add_str(root, "name", s->name);
        json_object_object_add(root, "begin-usec", json_object_new_int64(s->begin_usec));
        add_str(root, "phase", s->phase == INCOMING_PREPARED ? "prepared" : "planned");
        for (size_t i = 0; i < s->n_disks; i++) {
                const IncomingDisk *d = &s->disks[i];
                struct json_object *o = json_object_new_object();
                add_str(o, "path", d->path);
                add_str(o, "target", d->opts.target);
                add_str(o, "format", d->opts.format);
                add_u64(o, "virtual-size", d->opts.virtual_size);
                add_u64(o, "cluster-size", d->opts.cluster_size);
                add_str(o, "compat", d->opts.compat);
                json_object_object_add(o, "lazy-refcounts", json_object_new_int(d->opts.lazy_refcounts));
                json_object_object_add(o, "extended-l2", json_object_new_int(d->opts.extended_l2));
                add_str(o, "compression-type", d->opts.compression_type);
                json_object_object_add(o, "source-sparse", json_object_new_int(d->opts.sparse));
                json_object_object_add(o, "created", json_object_new_boolean(d->created));
                add_u64(o, "dev", d->dev);
                add_u64(o, "ino", d->ino);
                json_object_array_add(disks, o);
        }
        json_object_object_add(root, "disks", disks);
        const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
        *ret = txt ? strdup(txt) : NULL;
        json_object_put(root);
        return *ret ? 0 : -ENOMEM;
}

static const char *get_str(struct json_object *o, const char *k) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *k, int64_t def) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_int64(v);
}

static int disk_from_json(struct json_object *o, IncomingState *s) {
        ImageInfo opts;
        const char *path = get_str(o, "path");
        if (!path)
                return -EBADMSG;

        image_info_init(&opts);
        opts.target = (char *) get_str(o, "target");
        opts.format = (char *) get_str(o, "format");
        opts.virtual_size = (uint64_t) get_int(o, "virtual-size", 0);
        opts.cluster_size = (uint64_t) get_int(o, "cluster-size", 0);
        opts.compat = (char *) get_str(o, "compat");
        opts.lazy_refcounts = (int) get_int(o, "lazy-refcounts", -1);
        opts.extended_l2 = (int) get_int(o, "extended-l2", -1);
        opts.compression_type = (char *) get_str(o, "compression-type");
        opts.sparse = (int) get_int(o, "source-sparse", -1);
        /* add_disk copies the strings; opts only borrows them here. */
        int r = incoming_state_add_disk(s, path, &opts);
        if (r < 0)
                return r;
        IncomingDisk *d = &s->disks[s->n_disks - 1];
        struct json_object *v;
        d->created = json_object_object_get_ex(o, "created", &v) && json_object_get_boolean(v);
        d->dev = (uint64_t) get_int(o, "dev", 0);
        d->ino = (uint64_t) get_int(o, "ino", 0);
        return 0;
}

int incoming_state_from_json(const char *json, IncomingState **ret) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        struct json_object *root = json_tokener_parse(json), *disks;
        int r = -EBADMSG;

        if (!root || !json_object_is_type(root, json_type_object))
                goto out;
        const char *uuid = get_str(root, "uuid"), *name = get_str(root, "name"), *phase = get_str(root, "phase");
        if (!uuid || !name || !phase)
                goto out;
        r = incoming_state_new(uuid, name, &s);
        if (r < 0)
                goto out;
        s->begin_usec = get_int(root, "begin-usec", 0);
        s->phase = streq(phase, "prepared") ? INCOMING_PREPARED : INCOMING_PLANNED;
        r = -EBADMSG;
        if (!json_object_object_get_ex(root, "disks", &disks) || !json_object_is_type(disks, json_type_array))
                goto out;
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                r = disk_from_json(json_object_array_get_idx(disks, i), s);
                if (r < 0)
                        goto out;
        }
        *ret = TAKE_PTR(s);
        r = 0;
out:
        json_object_put(root);
        return r;
}

static int state_path(const char *dir, const char *uuid, char **ret) {
        return asprintf(ret, "%s/%s.json", dir, uuid) < 0 ? -ENOMEM : 0;
}

int incoming_state_save(const char *dir, const IncomingState *s) {
        _cleanup_free_ char *json = NULL, *path = NULL;
        int r;

        r = incoming_state_to_json(s, &json);
        if (r < 0)
                return r;
        if (state_path(dir, s->uuid, &path) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        return write_file_atomic(path, json, strlen(json), 0600);
}

int incoming_state_load(const char *dir, const char *uuid, IncomingState **ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;

        if (state_path(dir, uuid, &path) < 0)
                return -ENOMEM;
        int r = read_full_file(path, STATE_MAX_SIZE, &buf, NULL);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        return incoming_state_from_json(buf, ret);
}

bool incoming_state_exists(const char *dir, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        if (state_path(dir, uuid, &path) < 0)
                return true; /* cannot tell: assume it does */
        return lstat(path, &st) == 0 || errno != ENOENT;
}

int incoming_state_remove(const char *dir, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        if (state_path(dir, uuid, &path) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int incoming_state_list(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                size_t n = strlen(de->d_name);
                if (n != 36 + 5 || !streq(de->d_name + 36, ".json"))
                        continue;
                _cleanup_free_ char *u = strndup(de->d_name, 36);
                if (!u || strv_push(&l, u) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int incoming_state_lock(const char *dir, usec_t deadline, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int r;
        if (asprintf(&path, "%s/.lock", dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (deadline_passed(deadline))
                        return -ETIMEDOUT;
                (void) usleep(10 * 1000);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
