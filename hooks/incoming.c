/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination hook operations.  Order of events, from libvirt 9.0's
 * qemu_migration.c: migrate hook -> storage pre-creation -> prepare hook
 * (qemuProcessInit) -> QEMU started with -incoming -> data moves.  On any
 * failure after the prepare hook, stopped and release hooks run; if
 * pre-creation itself fails no hook runs (migguardd reconciles that).
 *
 * `prepare begin` and `release end` run for every start and stop of every
 * domain: they look for a record or a guard first, without any lock, and
 * leave at once when there is neither.  The state lock serialises only
 * the work on records; it is never held while a helper talks to libvirt.
 */
#include "hooks/incoming.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "basic/alloc-util.h"
#include "basic/spawn-util.h"
#include "basic/strv.h"
#include "core/daemon-lock.h"
#include "core/domain-xml.h"
#include "core/incoming-state.h"
#include "core/policy.h"
#include "persist/guard.h"
#include "provision/disk-discard.h"
#include "provision/provision.h"

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

static int note(HookResult *res, NoteKind kind, CheckKind check, const char *disk, const char *path, const char *text) {
        HookNote *n = realloc(res->notes, sizeof(HookNote) * (res->n_notes + 1));
        if (!n)
                return -ENOMEM;
        res->notes = n;
        n = &res->notes[res->n_notes++];
        *n = (HookNote){ .kind = kind, .check = check };
        n->disk = disk ? strdup(disk) : NULL;
        n->path = path ? strdup(path) : NULL;
        n->text = strdup(text);
        return n->text ? 0 : -ENOMEM;
}

/* A refusal: one line on the admin's virsh error, one journal entry. */
static int refuse(HookResult *res, CheckKind check, const char *line) {
        _cleanup_free_ char *l = NULL;
        if (asprintf(&l, "migguard: refused: %s", line) < 0)
                return -ENOMEM;
        res->exit_status = 1;
        if (note(res, NOTE_REFUSED, check, NULL, NULL, line) < 0)
                return -ENOMEM;
        return strv_push(&res->stderr_lines, l);
}

static int fail(HookResult *res, const char *line) {
        _cleanup_free_ char *l = NULL;
        if (asprintf(&l, "migguard: %s", line) < 0)
                return -ENOMEM;
        res->exit_status = 1;
        (void) note(res, NOTE_WARNING, _CHECK_KIND_INVALID, NULL, NULL, line);
        return strv_push(&res->stderr_lines, l);
}

static int lock_state(const HookEnv *env, HookResult *res, int *ret_fd) {
        int r = incoming_state_lock(env->incoming_dir, env->deadline, ret_fd);
        if (r == -ETIMEDOUT) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line,
                             "gave up waiting for the lock on %s at the hook's deadline: another migration's hook "
                             "holds it",
                             env->incoming_dir) < 0)
                        return -ENOMEM;
                return fail(res, line);
        }
        if (r < 0)
                return fail(res, "cannot lock the state of incoming migrations");
        return 1;
}

static int parse(const char *xml, size_t len, HookResult *res, DomainXml **ret) {
        _cleanup_free_ char *err = NULL;
        int r = domain_xml_parse(xml, len, ret, &err);
        if (r < 0)
                return r;
        res->domain = strdup((*ret)->name);
        return res->domain ? 0 : -ENOMEM;
}

/* What an earlier incoming migration of this domain left.  A planned one
 * never got to QEMU (libvirt's pre-creation failed, or it is pre-creating
 * right now for a migration that will fail on the domain that exists):
 * the files made since its start are removed.  A prepared one is a
 * migration in progress, or one migguardd has yet to reconcile: refused,
 * nothing touched. */
static int forget_stale(const HookEnv *env, const DomainXml *d, HookResult *res) {
        _cleanup_(incoming_state_freep) IncomingState *old = NULL;
        _cleanup_strv_free_ char **removed = NULL;

        if (incoming_state_load(env->incoming_dir, d->uuid, &old) < 0)
                return 0;
        if (old->phase == INCOMING_PREPARED) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line,
                             "an incoming migration of %s is already in progress here; retry once it has ended "
                             "(migguardd tidies up a failed one within seconds)",
                             d->name) < 0)
                        return -ENOMEM;
                return refuse(res, CHECK_KIND_PROVISION, line);
        }
        if (provision_cleanup_unprepared(old, &removed) >= 0)
                for (char **p = removed; p && *p; p++)
                        (void) note(res, NOTE_CLEANED_UP, CHECK_KIND_PROVISION, NULL, *p,
                                    "removed image left by an earlier failed pre-creation");
        (void) incoming_state_remove(env->incoming_dir, d->uuid);
        return 0;
}

/* Pool work runs in migguard-storage, so this hook never loads libvirt. */
static int ensure_pool(const HookEnv *env, const char *dir, const IncomingState *s, HookResult *res) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *line = NULL;
        char within[32];
        SpawnResult out = { 0 };
        int r;

        if (strv_push(&argv, env->storage_helper) < 0 || strv_push(&argv, "ensure") < 0)
                return -ENOMEM;
        if (env->deadline != USEC_INFINITY) {
                snprintf(within, sizeof(within), "%d", deadline_left_ms(env->deadline));
                if (strv_push(&argv, "--within-ms") < 0 || strv_push(&argv, within) < 0)
                        return -ENOMEM;
        }
        if (strv_push(&argv, dir) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++)
                if (strv_push(&argv, s->disks[i].path) < 0)
                        return -ENOMEM;
        r = spawn_run(argv, env->deadline, &out);
        if (r == -ETIMEDOUT) {
                if (asprintf(&line, "directory %s: the storage pool helper did not finish within the hook's %d s", dir,
                             HOOK_DEADLINE_SEC) < 0)
                        return -ENOMEM;
                return fail(res, line);
        }
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
        return note(res, NOTE_POOL, CHECK_KIND_PROVISION, NULL, dir, line);
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

/* The findings migguard-parity printed: [{"check": "cpu", "text": "..."}, ...]. */
static int read_findings(struct json_object *o, const char *key, bool refusals, HookResult *res) {
        struct json_object *a, *v;
        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *f = json_object_array_get_idx(a, i);
                const char *text = json_object_object_get_ex(f, "text", &v) ? json_object_get_string(v) : NULL;
                CheckKind check = json_object_object_get_ex(f, "check", &v)
                                          ? check_kind_from_string(json_object_get_string(v))
                                          : _CHECK_KIND_INVALID;
                if (!text)
                        continue;
                int r = refusals ? refuse(res, check, text) : note(res, NOTE_WARNING, check, NULL, NULL, text);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* CPU, vCPU and network parity and shared-storage identity, in
 * migguard-parity (it needs libvirt and libmount). */
static int check_parity(const HookEnv *env, const Policy *p, const char *xml, size_t len, HookResult *res) {
        char *argv[] = { (char *) env->parity_helper, (char *) env->config_file,
                         (char *) (env->uri ? env->uri : "qemu:///system"), NULL };
        _cleanup_free_ char *line = NULL;
        SpawnResult out = { 0 };

        if (p->cpu_check == CHECK_OFF && p->vcpus_over_cores == CHECK_OFF && p->network_check == CHECK_OFF &&
            p->storage_identity == CHECK_OFF)
                return 0;
        int r = spawn_run_input(argv, xml, len, env->deadline, &out);
        if (r < 0 || out.exit_status != 0 || !out.out) {
                if (out.err)
                        out.err[strcspn(out.err, "\n")] = 0;
                r = asprintf(&line, "cannot check CPU, network and storage parity: %s",
                             r == -ETIMEDOUT       ? "migguard-parity did not finish within the hook's deadline"
                             : r < 0               ? strerror(-r)
                             : out.err && *out.err ? out.err
                                                   : "checker failed");
                spawn_result_done(&out);
                return r < 0 ? -ENOMEM : fail(res, line);
        }
        _cleanup_json_ struct json_object *o = json_tokener_parse(out.out);
        spawn_result_done(&out);
        if (!o)
                return fail(res, "cannot check CPU, network and storage parity: unreadable checker output");
        r = read_findings(o, "refusals", true, res);
        return r < 0 ? r : read_findings(o, "warnings", false, res);
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
                r = note(res, NOTE_PROVISIONED, CHECK_KIND_PROVISION, *t, NULL, line);
        }
        return r == -ENOMEM ? r : 0;
}

/* Under the lock: forget what an earlier attempt left, then plan.
 * Returns 1 when this migration needs images. */
static int plan(const HookEnv *env, const Policy *p, const DomainXml *d, IncomingState **ret, HookResult *res) {
        _cleanup_close_ int lock = -1;
        Findings refusals = { 0 };
        int r = lock_state(env, res, &lock);
        if (r <= 0)
                return r;
        r = forget_stale(env, d, res);
        if (r < 0 || res->exit_status)
                return r;
        r = provision_plan(p, d, ret, &refusals);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < refusals.n; i++)
                r = refuse(res, refusals.items[i].check, refusals.items[i].text);
        findings_done(&refusals);
        if (r < 0 || res->exit_status)
                return r;
        /* Every incoming migration gets a record: migguardd persists the
         * guest once it resumed, and prepare begin lets it start. */
        if ((*ret)->n_disks == 0) {
                r = incoming_state_save(env->incoming_dir, *ret);
                return r < 0 ? fail(res, "cannot save state in /run/migguard") : 0;
        }
        return 1;
}

static int save_planned(const HookEnv *env, const IncomingState *s, HookResult *res) {
        _cleanup_close_ int lock = -1;
        int r = lock_state(env, res, &lock);
        if (r <= 0)
                return r;
        r = incoming_state_save(env->incoming_dir, s);
        return r < 0 ? fail(res, "cannot save state in /run/migguard") : 0;
}

int incoming_migrate_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = domain_xml_parse(xml, len, &d, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(res, _CHECK_KIND_INVALID, err ? err : "unreadable domain XML");
        res->domain = strdup(d->name);

        r = policy_load(env->config_file, &p, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(res, err ? err : "cannot load policy");
        /* the domain's own settings: checked here for a clear refusal,
         * applied by the parity helper */
        r = policy_apply_domain(p, d->policy_override, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(res, _CHECK_KIND_INVALID, err ? err : "malformed domain policy");

        /* No lock held: the parity helper talks to libvirt.  A refusal
         * leaves every record as it is. */
        r = check_parity(env, p, xml, len, res);
        if (r < 0 || res->exit_status)
                return r;

        r = plan(env, p, d, &s, res);
        if (r <= 0 || res->exit_status)
                return r;
        r = daemon_lock_is_held(env->run_dir);
        if (r <= 0) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line,
                             "disk %s: image '%s' must be provisioned but migguardd is not running here; "
                             "start it (systemctl start migguardd) and retry",
                             strna(s->disks[0].opts.target), s->disks[0].path) < 0)
                        return -ENOMEM;
                return refuse(res, CHECK_KIND_PROVISION, line);
        }
        /* No lock held: the storage helper talks to libvirt. */
        r = ensure_pools(env, s, res);
        if (r < 0 || res->exit_status)
                return r;
        r = save_planned(env, s, res);
        if (r < 0 || res->exit_status)
                return r;
        return p->sparse ? keep_raw_thin(xml, len, s, res) : 0;
}

/* A plain start of a guest that migrated away from here: refuse. */
static int check_guard(const HookEnv *env, const DomainXml *d, HookResult *res) {
        _cleanup_(guard_freep) Guard *g = NULL;
        _cleanup_free_ char *msg = NULL;

        int r = guard_load(env->state_dir, d->uuid, &g);
        if (r == -ENOENT)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* a guard we cannot read still says "maybe running elsewhere" */
                if (asprintf(&msg,
                             "%s may have migrated away (its guard in %s cannot be read: %s); if it does not run "
                             "elsewhere, release it with: migguard release %s",
                             d->name, env->state_dir, strerror(-r), d->name) < 0)
                        return -ENOMEM;
                return refuse(res, CHECK_KIND_PERSIST, msg);
        }
        if (g->released)
                return 0;
        if (guard_message(g, &msg) < 0)
                return -ENOMEM;
        return refuse(res, CHECK_KIND_PERSIST, msg);
}

static int note_provisioned(const IncomingState *s, HookResult *res) {
        for (size_t i = 0; i < s->n_disks; i++) {
                _cleanup_free_ char *line = NULL;
                const IncomingDisk *disk = &s->disks[i];
                if (!disk->created)
                        continue;
                if (asprintf(&line, "disk %s: provisioned thin %s image '%s' of %llu bytes", strna(disk->opts.target),
                             strna(disk->opts.format), disk->path, (unsigned long long) disk->opts.virtual_size) < 0)
                        return -ENOMEM;
                (void) note(res, NOTE_PROVISIONED, CHECK_KIND_PROVISION, disk->opts.target, disk->path, line);
        }
        return 0;
}

int incoming_prepare_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        /* prepare runs for every domain start: anything not ours passes. */
        r = parse(xml, len, res, &d);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (!incoming_state_exists(env->incoming_dir, d->uuid))
                return guard_exists(env->state_dir, d->uuid) ? check_guard(env, d, res) : 0;
        r = lock_state(env, res, &lock);
        if (r <= 0)
                return r;
        if (incoming_state_load(env->incoming_dir, d->uuid, &s) < 0)
                return check_guard(env, d, res);
        if (s->phase != INCOMING_PLANNED ||
            (int64_t) now_usec(CLOCK_REALTIME) - s->begin_usec > (int64_t) INCOMING_PREPARE_WINDOW_SEC * 1000000) {
                /* not a migration in progress: an old record, never act on it */
                (void) note(res, NOTE_WARNING, CHECK_KIND_PROVISION, NULL, NULL, "ignoring stale provisioning record");
                if (s->phase == INCOMING_PLANNED)
                        (void) incoming_state_remove(env->incoming_dir, d->uuid);
                return 0;
        }

        r = policy_load(env->config_file, &p, &err);
        if (r < 0)
                return r == -ENOMEM ? r : fail(res, err ? err : "cannot load policy");
        r = provision_prepare(p, s, env->incoming_dir, env->deadline, &err);
        if (r < 0)
                return r == -ENOMEM ? r : fail(res, err ? err : "cannot provision images");
        return note_provisioned(s, res);
}

int incoming_release_end(const HookEnv *env, const char *xml, size_t len, HookResult *res) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        /* release runs after every domain stop; its exit code is ignored */
        if (parse(xml, len, res, &d) < 0 || !incoming_state_exists(env->incoming_dir, d->uuid))
                return 0;
        if (incoming_state_lock(env->incoming_dir, env->deadline, &lock) < 0)
                return 0;
        if (incoming_state_load(env->incoming_dir, d->uuid, &s) < 0)
                return 0;

        /* A record still here means the migration never completed: migguardd
         * removes it when the guest resumes.  If migguardd is down we cannot
         * tell a failed migration from a finished one, so keep the files. */
        if (s->phase == INCOMING_PREPARED && daemon_lock_is_held(env->run_dir) <= 0) {
                for (size_t i = 0; i < s->n_disks; i++)
                        if (s->disks[i].created)
                                (void) note(res, NOTE_WARNING, CHECK_KIND_PROVISION, s->disks[i].opts.target,
                                            s->disks[i].path,
                                            "migguardd not running: kept image, cannot tell whether migration failed");
                return 0;
        }
        r = s->phase == INCOMING_PREPARED ? provision_cleanup(s, &removed) : provision_cleanup_unprepared(s, &removed);
        for (char **p = removed; p && *p; p++)
                (void) note(res, NOTE_CLEANED_UP, CHECK_KIND_PROVISION, NULL, *p,
                            "removed image made for a failed migration");
        if (r >= 0)
                (void) incoming_state_remove(env->incoming_dir, d->uuid);
        return 0;
}
