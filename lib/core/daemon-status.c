/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migguardd's status file (see daemon-status.h). */
#include "core/daemon-status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"

#define STATUS_MAX_SIZE 65536

void daemon_status_done(DaemonStatus *s) {
        free(s->policy_file);
        free(s->reload_error);
        *s = (DaemonStatus){ 0 };
}

static int status_path(const char *run_dir, char **ret) {
        return asprintf(ret, "%s/" DAEMON_STATUS_NAME, run_dir) < 0 ? -ENOMEM : 0;
}

int daemon_status_save(const char *run_dir, const DaemonStatus *s) {
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ struct json_object *o = json_object_new_object();
        if (!o || status_path(run_dir, &path) < 0)
                return -ENOMEM;
        json_object_object_add(o, "policy-file", json_object_new_string(s->policy_file ? s->policy_file : ""));
        json_object_object_add(o, "policy-loaded", json_object_new_int64((int64_t) s->policy_loaded));
        json_object_object_add(o, "reload-failed", json_object_new_int64((int64_t) s->reload_failed));
        if (s->reload_error)
                json_object_object_add(o, "reload-error", json_object_new_string(s->reload_error));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0644);
}

static int dup_field(struct json_object *o, const char *key, char **ret) {
        struct json_object *v;
        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return 0;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static time_t time_field(struct json_object *o, const char *key) {
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
                       ? (time_t) json_object_get_int64(v)
                       : 0;
}

int daemon_status_load(const char *run_dir, DaemonStatus *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        DaemonStatus s = { 0 };
        if (status_path(run_dir, &path) < 0)
                return -ENOMEM;
        int r = read_full_file(path, STATUS_MAX_SIZE, &text, NULL);
        if (r < 0)
                return r;
        _cleanup_json_ struct json_object *o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        s.policy_loaded = time_field(o, "policy-loaded");
        s.reload_failed = time_field(o, "reload-failed");
        if (dup_field(o, "policy-file", &s.policy_file) < 0 || dup_field(o, "reload-error", &s.reload_error) < 0) {
                daemon_status_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}
