/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guard files (see guard.h), JSON through json-c, written atomically. */
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "path-util.h"

void guard_free(Guard *g) {
        if (!g)
                return;
        free(g->uuid);
        free(g->name);
        free(g->destination);
        free(g);
}

static int guard_path(const char *state_dir, const char *uuid, const char *suffix, char **ret) {
        if (strlen(uuid) != 36 || strspn(uuid, "0123456789abcdef-") != 36)
                return -EINVAL;
        return asprintf(ret, "%s/" GUARD_DIR_NAME "/%s.json%s", state_dir, uuid, suffix) < 0 ? -ENOMEM : 0;
}

int guard_save(const char *state_dir, const Guard *g) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
        int r;

        if (asprintf(&dir, "%s/" GUARD_DIR_NAME, state_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0750);
        if (r < 0)
                return r;
        if ((r = guard_path(state_dir, g->uuid, "", &path)) < 0 ||
            (r = guard_path(state_dir, g->uuid, ".tmp", &tmp)) < 0)
                return r;

        struct json_object *o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "uuid", json_object_new_string(g->uuid));
        json_object_object_add(o, "name", json_object_new_string(g->name ? g->name : ""));
        json_object_object_add(o, "destination", json_object_new_string(g->destination ? g->destination : ""));
        json_object_object_add(o, "time", json_object_new_int64(g->time));
        json_object_object_add(o, "released", json_object_new_boolean(g->released));
        json_object_object_add(o, "autostart-was-on", json_object_new_boolean(g->autostart_was_on));
        r = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PRETTY) < 0 ? -EIO : 0;
        json_object_put(o);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

static const char *get_str(struct json_object *o, const char *k) {
        struct json_object *v;
        return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : "";
}

int guard_load(const char *state_dir, const char *uuid, Guard **ret) {
        _cleanup_free_ char *path = NULL;
        struct json_object *o, *v;
        struct stat st;
        int r = guard_path(state_dir, uuid, "", &path);
        if (r < 0)
                return r;
        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size > 65536)
                return -EBADMSG;
        o = json_object_from_file(path);
        if (!o)
                return -EBADMSG;
        Guard *g = calloc(1, sizeof(Guard));
        if (g) {
                g->uuid = strdup(uuid);
                g->name = strdup(get_str(o, "name"));
                g->destination = strdup(get_str(o, "destination"));
                g->time = json_object_object_get_ex(o, "time", &v) ? json_object_get_int64(v) : 0;
                g->released = json_object_object_get_ex(o, "released", &v) && json_object_get_boolean(v);
                g->autostart_was_on =
                        json_object_object_get_ex(o, "autostart-was-on", &v) && json_object_get_boolean(v);
        }
        json_object_put(o);
        if (!g || !g->uuid || !g->name || !g->destination) {
                guard_free(g);
                return -ENOMEM;
        }
        *ret = g;
        return 0;
}

int guard_remove(const char *state_dir, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        int r = guard_path(state_dir, uuid, "", &path);
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
