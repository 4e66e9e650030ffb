/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination hook operations.  Order of events, from libvirt 9.0's
 * qemu_migration.c: migrate hook -> storage pre-creation -> prepare hook
 * (qemuProcessInit) -> QEMU started with -incoming -> data moves.  On any
 * failure after the prepare hook, stopped and release hooks run; if
 * pre-creation itself fails no hook runs (migguardd reconciles that).
 */
#include "incoming.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "daemon-lock.h"
#include "disk-discard.h"
#include "domain-xml.h"
#include "guard.h"
#include "incoming-state.h"
#include "policy.h"
#include "provision.h"
#include "spawn-util.h"

#include <json-c/json.h>
#include "strv.h"

#define STATE_LOCK_TIMEOUT_MS (30 * 1000)
#define STORAGE_HELPER_TIMEOUT_MS (60 * 1000)
#define PARITY_HELPER_TIMEOUT_MS (30 * 1000)

void hook_result_done(HookResult *r) {
        for (size_t i = 0; i < r->n_notes; i++) {
                free(r->notes[i].disk);
                free(r->notes[i].path);
                free(r->notes[i].text);
        }
        free(r->notes);
        free(r->domain);
        free(r->new_xml);
        strv_free(r->stderr_lines);
        *r = (HookResult){ 0 };
}

static int note(HookResult *res, NoteKind kind, const char *disk, const char *path, const char *text) {
        HookNote *n = realloc(res->notes, sizeof(HookNote) * (res->n_notes + 1));
        if (!n)
                return -ENOMEM;
        res->notes = n;
        n = &res->notes[res->n_notes++];
        *n = (HookNote){ .kind = kind };
        n->disk = disk ? strdup(disk) : NULL;
        n->path = path ? strdup(path) : NULL;
        n->text = strdup(text);
        return n->text ? 0 : -ENOMEM;
}

/* A refusal: one line on the admin's virsh error, one journal entry. */
static int refuse(HookResult *res, const char *line) {
        _cleanup_free_ char *l = NULL;
        if (asprintf(&l, "migguard: refused: %s", line) < 0)
                return -ENOMEM;
        res->exit_status = 1;
        if (note(res, NOTE_REFUSED, NULL, NULL, line) < 0)
                return -ENOMEM;
        return strv_push(&res->stderr_lines, l);
}

static int fail(HookResult *res, const char *line) {
        _cleanup_free_ char *l = NULL;
        if (asprintf(&l, "migguard: %s", line) < 0)
                return -ENOMEM;
        res->exit_status = 1;
        (void) note(res, NOTE_WARNING, NULL, NULL, line);
        return strv_push(&res->stderr_lines, l);
}

static int parse(const char *xml, size_t len, HookResult *res, DomainXml **ret) {
        _cleanup_free_ char *err = NULL;
        int r = domain_xml_parse(xml, len, ret, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return err ? r : -EBADMSG;
        res->domain = strdup((*ret)->name);
        return 0;
}

/* Drop what an earlier, unfinished incoming migration of this domain left. */
static void forget_stale(const HookEnv *env, const char *uuid, HookResult *res) {
        _cleanup_(incoming_state_freep) IncomingState *old = NULL;
        _cleanup_strv_free_ char **removed = NULL;

        if (incoming_state_load(env->state_dir, uuid, &old) < 0)
                return;
        if (old->phase == INCOMING_PLANNED && provision_cleanup_unprepared(old, &removed) >= 0)
                for (char **p = removed; p && *p; p++)
                        (void) note(res, NOTE_CLEANED_UP, NULL, *p,
                                    "removed image left by an earlier failed pre-creation");
        if (old->phase == INCOMING_PREPARED)
                for (size_t i = 0; i < old->n_disks; i++)
                        if (old->disks[i].created)
                                (void) note(res, NOTE_WARNING, old->disks[i].opts.target, old->disks[i].path,
                                            "image from an earlier unfinished migration kept");
        (void) incoming_state_remove(env->state_dir, uuid);
}

/* Pool work runs in migguard-storage, so this hook never loads libvirt. */
static int ensure_pool(const HookEnv *env, const char *dir, const IncomingState *s, HookResult *res) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *line = NULL;
        SpawnResult out = { 0 };
        int r;

        if (strv_push(&argv, env->storage_helper) < 0 || strv_push(&argv, "ensure") < 0 || strv_push(&argv, dir) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++)
                if (strv_push(&argv, s->disks[i].path) < 0)
                        return -ENOMEM;
        r = spawn_run(argv, STORAGE_HELPER_TIMEOUT_MS, &out);
        if (r < 0) {
                if (asprintf(&line, "directory %s: cannot run %s: %s", dir, env->storage_helper, strerror(-r)) < 0)
                        return -ENOMEM;
                return fail(res, line);
        }
        if (out.out)
                out.out[strcspn(out.out, "\n")] = 0;
        if (out.err)
                out.err[strcspn(out.err, "\n")] = 0;
        r = asprintf(&line, out.exit_status == 0 ? "directory %s: storage pool %s ready" : "directory %s: %s", dir,
                     out.exit_status == 0 ? strna(out.out) : (out.err && *out.err ? out.err : "storage helper failed"));
        int ok = out.exit_status == 0;
        spawn_result_done(&out);
        if (r < 0)
                return -ENOMEM;
        if (!ok)
                return fail(res, line);
        return note(res, NOTE_POOL, NULL, dir, line);
}

static int ensure_pools(const HookEnv *env, const IncomingState *s, HookResult *res) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r = provision_plan_dirs(s, &dirs);
        if (r < 0)
                return r;
        for (char **d = dirs; *d && res->exit_status == 0; d++) {
                r = ensure_pool(env, *d, s, res);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* CPU, vCPU and network parity, in migguard-parity (it needs libvirt). */
static int check_parity(const HookEnv *env, const Policy *p, const char *xml, size_t len, HookResult *res) {
        char *argv[] = { (char *) env->parity_helper, (char *) env->config_file,
                         (char *) (env->uri ? env->uri : "qemu:///system"), NULL };
        _cleanup_free_ char *line = NULL;
        SpawnResult out = { 0 };

        if (p->cpu_check == CHECK_OFF && p->vcpus_over_cores == CHECK_OFF && p->network_check == CHECK_OFF)
                return 0;
        int r = spawn_run_input(argv, xml, len, PARITY_HELPER_TIMEOUT_MS, &out);
        if (r < 0 || out.exit_status != 0 || !out.out) {
                if (out.err)
                        out.err[strcspn(out.err, "\n")] = 0;
                r = asprintf(&line, "cannot check CPU and network parity: %s",
                             r < 0                 ? strerror(-r)
                             : out.err && *out.err ? out.err
                                                   : "checker failed");
                spawn_result_done(&out);
                return r < 0 ? -ENOMEM : fail(res, line);
        }
        struct json_object *o = json_tokener_parse(out.out), *a;
        spawn_result_done(&out);
        if (!o)
                return fail(res, "cannot check CPU and network parity: unreadable checker output");
        r = 0;
        if (json_object_object_get_ex(o, "refusals", &a) && json_object_is_type(a, json_type_array))
                for (size_t i = 0; r >= 0 && i < json_object_array_length(a); i++)
                        r = refuse(res, json_object_get_string(json_object_array_get_idx(a, i)));
        if (r >= 0 && json_object_object_get_ex(o, "warnings", &a) && json_object_is_type(a, json_type_array))
                for (size_t i = 0; r >= 0 && i < json_object_array_length(a); i++)
                        r = note(res, NOTE_WARNING, NULL, NULL,
                                 json_object_get_string(json_object_array_get_idx(a, i)));
        json_object_put(o);
        return r;
}

/* See disk-discard.h.  Best effort: without it the image is still right,
 * only not thin. */
static int keep_raw_thin(const char *xml, size_t len, const IncomingState *s, HookResult *res) {
        _cleanup_strv_free_ char **raw = calloc(1, sizeof(char *)), **changed = NULL;
        if (!raw)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++)
                if (streq_ptr(s->disks[i].opts.format, "raw") && s->disks[i].opts.target &&
                    strv_push(&raw, s->disks[i].opts.target) < 0)
                        return -ENOMEM;
        if (!raw[0])
                return 0;
        int r = disk_discard_unmap(xml, len, raw, &res->new_xml, &changed);
        if (r == -ENOMEM)
                return r;
        for (char **t = changed; r >= 0 && t && *t; t++) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line,
                             "disk %s: discard and detect_zeroes 'unmap' on this host keep the copied raw image thin",
                             *t) < 0)
                        return -ENOMEM;
                r = note(res, NOTE_PROVISIONED, *t, NULL, line);
        }
        return r == -ENOMEM ? r : 0;
}

int incoming_migrate_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_strv_free_ char **refusals = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        r = domain_xml_parse(xml, len, &d, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(res, err ? err : "unreadable domain XML");
        res->domain = strdup(d->name);

        r = policy_load(env->config_file, &p, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(res, err ? err : "cannot load policy");

        /* before taking the state lock: no migguard lock is ever held
         * across a libvirt call */
        r = check_parity(env, p, xml, len, res);
        if (r < 0)
                return r;

        r = incoming_state_lock(env->state_dir, STATE_LOCK_TIMEOUT_MS, &lock);
        if (r < 0)
                return fail(res, "cannot lock /run/migguard state (another migration stuck?)");
        forget_stale(env, d->uuid, res);

        r = provision_plan(p, d, &s, &refusals);
        if (r < 0)
                return r;
        for (char **l = refusals; *l; l++) {
                r = refuse(res, *l);
                if (r < 0)
                        return r;
        }
        if (refusals[0] || res->exit_status)
                return 0;
        /* Every incoming migration gets a record: migguardd persists the
         * guest once it resumed, and the guard check below lets it start. */
        if (s->n_disks == 0) {
                r = incoming_state_save(env->state_dir, s);
                return r < 0 ? fail(res, "cannot save state in /run/migguard") : 0;
        }

        r = daemon_lock_is_held(env->run_dir);
        if (r <= 0) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line,
                             "disk %s: image '%s' must be provisioned but migguardd is not running here; "
                             "start it (systemctl start migguardd) and retry",
                             strna(s->disks[0].opts.target), s->disks[0].path) < 0)
                        return -ENOMEM;
                return refuse(res, line);
        }

        r = ensure_pools(env, s, res);
        if (r < 0 || res->exit_status)
                return r;
        r = incoming_state_save(env->state_dir, s);
        if (r < 0)
                return fail(res, "cannot save state in /run/migguard");
        return p->sparse ? keep_raw_thin(xml, len, s, res) : 0;
}

/* A plain start of a guest that migrated away from here: refuse. */
static int check_guard(const HookEnv *env, const DomainXml *d, HookResult *res) {
        _cleanup_(guard_freep) Guard *g = NULL;
        _cleanup_free_ char *msg = NULL;

        if (!env->lib_dir || guard_load(env->lib_dir, d->uuid, &g) < 0 || g->released)
                return 0;
        if (guard_message(g, &msg) < 0)
                return -ENOMEM;
        return refuse(res, msg);
}

int incoming_prepare_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        /* prepare runs for every domain start: anything not ours passes. */
        if (parse(xml, len, res, &d) < 0)
                return 0;
        r = incoming_state_lock(env->state_dir, STATE_LOCK_TIMEOUT_MS, &lock);
        if (r < 0)
                return fail(res, "cannot lock /run/migguard state");
        if (incoming_state_load(env->state_dir, d->uuid, &s) < 0)
                return check_guard(env, d, res);
        if (s->phase != INCOMING_PLANNED ||
            now_realtime_usec() - s->begin_usec > (int64_t) INCOMING_PREPARE_WINDOW_SEC * 1000000) {
                /* not a migration in progress: an old record, never act on it */
                (void) note(res, NOTE_WARNING, NULL, NULL, "ignoring stale provisioning record");
                if (s->phase == INCOMING_PLANNED)
                        (void) incoming_state_remove(env->state_dir, d->uuid);
                return 0;
        }

        r = policy_load(env->config_file, &p, &err);
        if (r < 0)
                return r == -ENOMEM ? r : fail(res, err ? err : "cannot load policy");

        r = provision_prepare(p, s, env->state_dir, &err);
        if (r < 0)
                return r == -ENOMEM ? r : fail(res, err ? err : "cannot provision images");
        for (size_t i = 0; i < s->n_disks; i++) {
                _cleanup_free_ char *line = NULL;
                const IncomingDisk *disk = &s->disks[i];
                if (!disk->created)
                        continue;
                if (asprintf(&line, "disk %s: provisioned thin %s image '%s' of %llu bytes", strna(disk->opts.target),
                             strna(disk->opts.format), disk->path, (unsigned long long) disk->opts.virtual_size) < 0)
                        return -ENOMEM;
                (void) note(res, NOTE_PROVISIONED, disk->opts.target, disk->path, line);
        }
        return 0;
}

int incoming_release_end(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        if (parse(xml, len, res, &d) < 0)
                return 0;
        if (incoming_state_lock(env->state_dir, STATE_LOCK_TIMEOUT_MS, &lock) < 0)
                return 0;
        if (incoming_state_load(env->state_dir, d->uuid, &s) < 0)
                return 0;

        /* A record still here means the migration never completed: migguardd
         * removes it when the guest resumes.  If migguardd is down we cannot
         * tell a failed migration from a finished one, so keep the files. */
        if (s->phase == INCOMING_PREPARED && daemon_lock_is_held(env->run_dir) <= 0) {
                for (size_t i = 0; i < s->n_disks; i++)
                        if (s->disks[i].created)
                                (void) note(res, NOTE_WARNING, s->disks[i].opts.target, s->disks[i].path,
                                            "migguardd not running: kept image, cannot tell whether migration failed");
                return 0;
        }
        r = s->phase == INCOMING_PREPARED ? provision_cleanup(s, &removed) : provision_cleanup_unprepared(s, &removed);
        for (char **p = removed; p && *p; p++)
                (void) note(res, NOTE_CLEANED_UP, NULL, *p, "removed image made for a failed migration");
        if (r >= 0)
                (void) incoming_state_remove(env->state_dir, d->uuid);
        return 0;
}
