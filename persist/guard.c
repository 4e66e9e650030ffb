/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guard files (see guard.h), JSON through json-c, written atomically. */
#include "persist/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/path-util.h"

void guard_free(Guard *g) {
        if (!g)
                return;
        free(g->uuid);
        free(g->name);
        free(g->destination);
        free(g);
}

#define GUARD_MAX_SIZE 65536

static int guard_path(const char *state_dir, const char *uuid, char **ret) {
        if (strlen(uuid) != 36 || strspn(uuid, "0123456789abcdef-") != 36)
                return -EINVAL;
        return asprintf(ret, "%s/" GUARD_DIR_NAME "/%s.json", state_dir, uuid) < 0 ? -ENOMEM : 0;
}

int guard_save(const char *state_dir, const Guard *g) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        int r;

        if (asprintf(&dir, "%s/" GUARD_DIR_NAME, state_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0750);
        if (r < 0)
                return r;
        r = guard_path(state_dir, g->uuid, &path);
        if (r < 0)
                return r;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "uuid", json_object_new_string(g->uuid));
        json_object_object_add(o, "name", json_object_new_string(g->name ? g->name : ""));
        json_object_object_add(o, "destination", json_object_new_string(g->destination ? g->destination : ""));
        json_object_object_add(o, "time", json_object_new_int64(g->time));
        json_object_object_add(o, "released", json_object_new_boolean(g->released));
        json_object_object_add(o, "autostart-was-on", json_object_new_boolean(g->autostart_was_on));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0640);
}

static const char *get_str(struct json_object *o, const char *k) {
        struct json_object *v;
        return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : "";
}

int guard_load(const char *state_dir, const char *uuid, Guard **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *v;
        int r = guard_path(state_dir, uuid, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, GUARD_MAX_SIZE, &text, NULL);
        if (r == -EFBIG || r == -ELOOP)
                return -EBADMSG;
        if (r < 0)
                return r;
        o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        _cleanup_(guard_freep) Guard *g = calloc(1, sizeof(Guard));
        if (!g)
                return -ENOMEM;
        g->uuid = strdup(uuid);
        g->name = strdup(get_str(o, "name"));
        g->destination = strdup(get_str(o, "destination"));
        g->time = json_object_object_get_ex(o, "time", &v) ? json_object_get_int64(v) : 0;
        g->released = json_object_object_get_ex(o, "released", &v) && json_object_get_boolean(v);
        g->autostart_was_on = json_object_object_get_ex(o, "autostart-was-on", &v) && json_object_get_boolean(v);
        if (!g->uuid || !g->name || !g->destination)
                return -ENOMEM;
        *ret = TAKE_PTR(g);
        return 0;
}

bool guard_exists(const char *state_dir, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r = guard_path(state_dir, uuid, &path);
        if (r == -EINVAL)
                return false; /* not a name a guard can have */
        if (r < 0)
                return true; /* cannot tell: assume it does */
        return lstat(path, &st) == 0 || errno != ENOENT;
}

int guard_remove(const char *state_dir, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        int r = guard_path(state_dir, uuid, &path);
        if (r < 0)
                return r;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int guard_message(const Guard *g, char **ret) {
        char when[64] = "an unknown time";
        struct tm tm;
        time_t t = (time_t) g->time;
        if (g->time > 0 && localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        return asprintf(ret,
                        "%s was migrated to %s at %s and may be running there; starting it here too would corrupt "
                        "its disks. If it does not run there, release it with: migguard release %s",
                        g->name, g->destination && *g->destination ? g->destination : "another host (unknown)", when,
                        g->name) < 0
                       ? -ENOMEM
                       : 0;
}
