/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy loading.  inih does the INI tokenising; every (section, key) pair
 * is looked up in one table, so an unknown key, a bad value or a
 * duplicate-free list is reported once with file and line.
 */
#include "core/policy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "basic/log.h"
#include "basic/cpu-set.h"
#include "basic/fileio.h"
#include "basic/path-util.h"
#include "basic/strv.h"

typedef struct ParseState {
        Policy *policy;
        const char *next; /* unread text, for policy_ini_reader() */
        int line;         /* line inih is working on */
        int error_line;   /* line of *error */
        char *error;      /* first problem, without the file:line prefix */
} ParseState;

typedef int (*ValueParser)(Policy *p, void *field, const char *value, char **ret_error);

typedef struct PolicyKey {
        const char *section;
        const char *key;
        ValueParser parse;
        size_t offset;
} PolicyKey;

static int errorf(char **ret_error, const char *fmt, const char *arg) {
        if (asprintf(ret_error, fmt, arg) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

static int parse_bool_value(const char *v, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcasecmp(v, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

static int parse_bool(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (parse_bool_value(v, field) < 0)
                return errorf(ret_error, "invalid boolean '%s' (expected yes or no)", v);
        return 0;
}

static int parse_check_mode(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        static const char *const names[] = { "off", "warn", "enforce" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(v, names[i]))
                        return *(CheckMode *) field = (CheckMode) i, 0;
        return errorf(ret_error, "invalid value '%s' (expected off, warn or enforce)", v);
}

static int parse_cpu_match(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (streq(v, "compatible"))
                *(CpuMatch *) field = CPU_MATCH_COMPATIBLE;
        else if (streq(v, "same-model"))
                *(CpuMatch *) field = CPU_MATCH_SAME_MODEL;
        else
                return errorf(ret_error, "invalid value '%s' (expected compatible or same-model)", v);
        return 0;
}

static int parse_subnet_check(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (streq(v, "auto"))
                *(SubnetCheck *) field = SUBNET_CHECK_AUTO;
        else if (streq(v, "off"))
                *(SubnetCheck *) field = SUBNET_CHECK_OFF;
        else
                return errorf(ret_error, "invalid value '%s' (expected auto or off)", v);
        return 0;
}

static int parse_persist_source(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        static const char *const names[] = { "keep", "guard", "undefine" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(v, names[i]))
                        return *(PersistSource *) field = (PersistSource) i, 0;
        return errorf(ret_error, "invalid value '%s' (expected keep, guard or undefine)", v);
}

/* A whole number from @min to @max; -ERANGE otherwise. */
static int parse_range(const char *v, unsigned long min, unsigned long max, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || end == v || *end || *v == '-' || *v == '+' || n < min || n > max)
                return -ERANGE;
        *ret = (unsigned) n;
        return 0;
}

static int parse_percent(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (parse_range(v, 0, 99, field) < 0)
                return errorf(ret_error, "invalid percentage '%s' (expected 0 to 99)", v);
        return 0;
}

static int parse_downtime(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (parse_range(v, 100, 60000, field) < 0)
                return errorf(ret_error, "invalid max downtime '%s' (expected 100 to 60000 ms)", v);
        return 0;
}

static int parse_stall_seconds(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (parse_range(v, 5, 3600, field) < 0)
                return errorf(ret_error, "invalid stall time '%s' (expected 5 to 3600 seconds)", v);
        return 0;
}

static int parse_converge_action(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        if (streq(v, "abort"))
                *(ConvergeAction *) field = CONVERGE_ACTION_ABORT;
        else if (streq(v, "continue"))
                *(ConvergeAction *) field = CONVERGE_ACTION_CONTINUE;
        else
                return errorf(ret_error, "invalid value '%s' (expected abort or continue)", v);
        return 0;
}

static int parse_dirs(Policy *p _unused_, void *field, const char *v, char **ret_error) {
        _cleanup_strv_free_ char **l = NULL;
        char ***dirs = field;

        if (strv_split_ws(v, &l) < 0)
                return -ENOMEM;
        if (!l[0])
                return errorf(ret_error, "%sempty directory list", "");
        for (char **d = l; *d; d++) {
                if (!path_is_safe_absolute(*d))
                        return errorf(ret_error,
                                      "invalid directory '%s' (must be absolute, without '..' or '.' components)", *d);
                path_normalize_slashes(*d);
        }
        strv_free(*dirs);
        *dirs = TAKE_PTR(l);
        return 0;
}

static int parse_pinning_cpus(Policy *p, void *field _unused_, const char *v, char **ret_error) {
        if (streq(v, "auto")) {
                p->pinning_auto = true;
                return 0;
        }
        if (cpu_set_parse(v, &p->pinning_cpus) < 0)
                return errorf(ret_error, "invalid CPU list '%s' (expected auto or a list like 2-3,6)", v);
        p->pinning_auto = false;
        return 0;
}

#define KEY(s, k, fn, member)                                                                                          \
        { s, k, fn, offsetof(Policy, member) }
static const PolicyKey policy_keys[] = {
        KEY("provision", "enabled", parse_bool, provision_enabled),
        KEY("provision", "allowed-dirs", parse_dirs, allowed_dirs),
        KEY("provision", "sparse", parse_bool, sparse),
        KEY("provision", "min-free-percent", parse_percent, min_free_percent),
        KEY("cpu", "check", parse_check_mode, cpu_check),
        KEY("cpu", "match", parse_cpu_match, cpu_match),
        KEY("cpu", "vcpus-over-cores", parse_check_mode, vcpus_over_cores),
        KEY("network", "check", parse_check_mode, network_check),
        KEY("network", "subnet-check", parse_subnet_check, subnet_check),
        KEY("persist", "destination", parse_bool, persist_destination),
        KEY("persist", "source", parse_persist_source, persist_source),
        KEY("storage", "identity", parse_check_mode, storage_identity),
        KEY("converge", "guard", parse_bool, converge_guard),
        KEY("converge", "max-downtime", parse_downtime, converge_max_downtime),
        KEY("converge", "stall-seconds", parse_stall_seconds, converge_stall_seconds),
        KEY("converge", "action", parse_converge_action, converge_action),
        KEY("pinning", "enabled", parse_bool, pinning_enabled),
        KEY("pinning", "cpus", parse_pinning_cpus, pinning_cpus),
};
#undef KEY

static bool segment_name_valid(const char *n) {
        if (!*n || strlen(n) > 64)
                return false;
        for (const char *c = n; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("-_.", *c))
                        return false;
        return true;
}

static int segment_get(Policy *p, const char *name, Segment **ret) {
        for (size_t i = 0; i < p->n_segments; i++)
                if (streq(p->segments[i].name, name))
                        return *ret = &p->segments[i], 0;

        Segment *n = realloc(p->segments, sizeof(Segment) * (p->n_segments + 1));
        if (!n)
                return -ENOMEM;
        p->segments = n;
        Segment *s = &p->segments[p->n_segments];
        *s = (Segment){ .name = strdup(name) };
        if (!s->name)
                return -ENOMEM;
        p->n_segments++;
        *ret = s;
        return 0;
}

static int handle_segment(ParseState *st, const char *name, const char *key, const char *value) {
        Segment *s;
        char ***field;

        if (!segment_name_valid(name))
                return errorf(&st->error, "invalid segment name '%s'", name);
        if (segment_get(st->policy, name, &s) < 0)
                return -ENOMEM;
        if (streq(key, "bridges"))
                field = &s->bridges;
        else if (streq(key, "networks"))
                field = &s->networks;
        else if (streq(key, "devices"))
                field = &s->devices;
        else
                return errorf(&st->error, "unknown key '%s' in [segment] section", key);

        _cleanup_strv_free_ char **l = NULL;
        if (strv_split_ws(value, &l) < 0)
                return -ENOMEM;
        /* "br0 # lab" is not a comment to inih: do not take '#' as a name */
        for (char **i = l; *i; i++)
                if (strchr(";#", (*i)[0]))
                        return errorf(&st->error, "invalid name '%s' (names cannot start with ';' or '#')", *i);
        strv_free(*field);
        *field = TAKE_PTR(l);
        return 0;
}

/* inih callback: returns 1 to continue, 0 to flag this line as an error. */
static int policy_ini_handler(void *user, const char *section, const char *key, const char *value) {
        ParseState *st = user;
        char *msg = NULL;
        int r;

        if (st->error)
                return 1; /* report only the first problem */
        st->error_line = st->line;

        if (strncmp(section, "segment ", 8) == 0) {
                r = handle_segment(st, section + 8, key, value);
                return r < 0 ? 0 : 1;
        }

        bool section_known = false;
        for (size_t i = 0; i < ELEMENTSOF(policy_keys); i++) {
                const PolicyKey *k = &policy_keys[i];
                if (!streq(k->section, section))
                        continue;
                section_known = true;
                if (!streq(k->key, key))
                        continue;
                r = k->parse(st->policy, (char *) st->policy + k->offset, value, &msg);
                if (r < 0) {
                        st->error = msg ? msg : strdup("out of memory");
                        return 0;
                }
                return 1;
        }
        if (section_known)
                errorf(&st->error, "unknown key '%s'", key);
        else if (!*section)
                errorf(&st->error, "key '%s' outside of any section", key);
        else
                errorf(&st->error, "unknown section [%s]", section);
        return 0;
}

int policy_new(Policy **ret) {
        _cleanup_(policy_freep) Policy *p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;

        *p = (Policy){
                .n_ref = 1,
                .provision_enabled = true,
                .sparse = true,
                .min_free_percent = 5,
                .cpu_check = CHECK_ENFORCE,
                .cpu_match = CPU_MATCH_COMPATIBLE,
                .vcpus_over_cores = CHECK_WARN,
                .network_check = CHECK_ENFORCE,
                .subnet_check = SUBNET_CHECK_AUTO,
                .persist_destination = true,
                .persist_source = PERSIST_SOURCE_GUARD,
                .storage_identity = CHECK_ENFORCE,
                .converge_guard = true,
                .converge_max_downtime = 1000,
                .converge_stall_seconds = 30,
                .converge_action = CONVERGE_ACTION_ABORT,
                .pinning_enabled = true,
                .pinning_auto = true,
        };
        if (strv_push(&p->allowed_dirs, "/var/lib/libvirt/images") < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

Policy *policy_ref(Policy *p) {
        if (p)
                __atomic_add_fetch(&p->n_ref, 1, __ATOMIC_RELAXED);
        return p;
}

void policy_unref(Policy *p) {
        if (p && __atomic_sub_fetch(&p->n_ref, 1, __ATOMIC_ACQ_REL) == 0)
                policy_free(p);
}

void policy_free(Policy *p) {
        if (!p)
                return;
        strv_free(p->allowed_dirs);
        for (size_t i = 0; i < p->n_segments; i++) {
                free(p->segments[i].name);
                strv_free(p->segments[i].bridges);
                strv_free(p->segments[i].networks);
                strv_free(p->segments[i].devices);
        }
        free(p->segments);
        free(p);
}

/*
 * inih's own string reader keeps no line count we can see from the handler,
 * and splits a line longer than its buffer into two lines.  This reader
 * counts lines and turns an overlong one into an error instead.  It also
 * drops leading white space: inih would take an indented line as the
 * continuation of the previous value and hand it over as a replacement
 * value, so "allowed-dirs = /a" + "  /b" silently meant "/b" only.
 */
static char *policy_ini_reader(char *str, int num, void *stream) {
        ParseState *st = stream;
        const char *l = st->next;

        if (!*l || num < 2)
                return NULL;
        size_t n = strcspn(l, "\n");
        st->next = l + n + (l[n] == '\n');
        st->line++;
        for (; n > 0 && isspace((unsigned char) *l); n--)
                l++;
        if (n >= (size_t) num) {
                if (!st->error) {
                        st->error_line = st->line;
                        if (asprintf(&st->error, "line too long (more than %d characters)", num - 1) < 0)
                                st->error = NULL;
                }
                n = 0; /* hand inih an empty line */
        }
        memcpy(str, l, n);
        str[n] = 0;
        return str;
}

static int report(const char *name, int line, ParseState *st, char **ret_error) {
        /* inih flags a syntax error it found itself with no message of ours */
        bool ours = st->error && (line == 0 || st->error_line <= line);
        int r = asprintf(ret_error, "%s:%d: %s", name, ours ? st->error_line : line, ours ? st->error : "syntax error");
        if (r < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int policy_parse_string(Policy *p, const char *name, const char *text, char **ret_error) {
        ParseState st = { .policy = p, .next = text };

        int line = ini_parse_stream(policy_ini_reader, &st, policy_ini_handler, &st);
        if (line < 0) {
                free(st.error);
                return -ENOMEM;
        }
        if (line > 0 || st.error) {
                int r = report(name, line, &st, ret_error);
                free(st.error);
                return r;
        }
        return 0;
}

/* What a domain may set for itself: how strict the destination's checks
 * are for it.  Not where images go, nor anything of the host's own. */
static const char *const domain_keys[] = {
        "cpu/check", "cpu/match", "cpu/vcpus-over-cores", "network/check", "network/subnet-check", "storage/identity",
};

int policy_apply_domain(Policy *p, const char *text, char **ret_error) {
        char section[64] = "";
        if (!text)
                return 0;
        for (const char *l = text; *l; l = strchrnul(l, '\n'), l += !!*l) {
                size_t n = strcspn(l, "\n");
                if (n == 0)
                        continue;
                if (*l == '[') {
                        snprintf(section, sizeof(section), "%.*s", (int) (n > 2 ? n - 2 : 0), l + 1);
                        continue;
                }
                char key[128];
                snprintf(key, sizeof(key), "%s/%.*s", section, (int) strcspn(l, " ="), l);
                bool allowed = false;
                for (size_t i = 0; i < ELEMENTSOF(domain_keys); i++)
                        allowed = allowed || streq(key, domain_keys[i]);
                if (!allowed) {
                        char *slash = strchr(key, '/');
                        *slash = 0;
                        if (asprintf(ret_error, "domain policy: [%s] %s cannot be set per domain", key, slash + 1) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
        }
        return policy_parse_string(p, "domain policy", text, ret_error);
}

int policy_parse_file(Policy *p, const char *path, char **ret_error) {
        /* Read it ourselves so a size cap and O_NOFOLLOW-free symlinked
         * drop-ins (common in packaging) both work, then hand text to inih. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return errorf(ret_error, "%s: not a regular file", path);
        if (st.st_size > POLICY_MAX_FILE_SIZE)
                return errorf(ret_error, "%s: file too large", path);

        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r = read_full_fd(fd, POLICY_MAX_FILE_SIZE, &buf, &n);
        if (r == -EFBIG)
                return errorf(ret_error, "%s: file too large", path);
        if (r < 0)
                return r;
        if (memchr(buf, 0, n))
                return errorf(ret_error, "%s: contains a NUL byte", path);
        return policy_parse_string(p, path, buf, ret_error);
}

static int conf_filter(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && streq(de->d_name + l - 5, ".conf");
}

int policy_load(const char *main_conf, Policy **ret, char **ret_error) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *dir = NULL, *dropins = NULL;
        int r;

        r = policy_new(&p);
        if (r < 0)
                return r;

        const char *slash = strrchr(main_conf, '/');
        dir = slash ? strndup(main_conf, (size_t) (slash - main_conf)) : strdup(".");
        if (!dir || asprintf(&dropins, "%s/policy.d", dir) < 0)
                return -ENOMEM;

        r = policy_parse_file(p, main_conf, ret_error);
        if (r < 0 && r != -ENOENT)
                return r == -EINVAL ? r : errorf(ret_error, "%s: cannot read", main_conf);

        struct dirent **names = NULL;
        int n = scandir(dropins, &names, conf_filter, alphasort);
        if (n < 0 && errno != ENOENT)
                return errorf(ret_error, "%s: cannot read directory", dropins);
        r = 0;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (r >= 0 && asprintf(&path, "%s/%s", dropins, names[i]->d_name) < 0)
                        r = -ENOMEM;
                if (r >= 0) {
                        r = policy_parse_file(p, path, ret_error);
                        if (r < 0 && r != -EINVAL)
                                r = errorf(ret_error, "%s: cannot read", path);
                }
                free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}

bool policy_path_allowed(const Policy *p, const char *path) {
        for (char **d = p->allowed_dirs; d && *d; d++)
                if (path_startswith_dir(path, *d))
                        return true;
        return false;
}

const char *check_mode_to_string(CheckMode m) {
        static const char *const names[] = { "off", "warn", "enforce" };
        return (size_t) m < ELEMENTSOF(names) ? names[m] : "?";
}

const char *converge_action_to_string(ConvergeAction a) {
        return a == CONVERGE_ACTION_CONTINUE ? "continue" : "abort";
}

const char *persist_source_to_string(PersistSource s) {
        static const char *const names[] = { "keep", "guard", "undefine" };
        return (size_t) s < ELEMENTSOF(names) ? names[s] : "?";
}

static void dump_list(FILE *f, const char *key, char **l) {
        _cleanup_free_ char *j = NULL;
        if (strv_join(l, " ", &j) >= 0)
                fprintf(f, "%s = %s\n", key, j);
}

int policy_dump(const Policy *p, FILE *f) {
        fprintf(f, "[provision]\nenabled = %s\n", p->provision_enabled ? "yes" : "no");
        dump_list(f, "allowed-dirs", p->allowed_dirs);
        fprintf(f, "sparse = %s\nmin-free-percent = %u\n\n", p->sparse ? "yes" : "no", p->min_free_percent);
        fprintf(f, "[cpu]\ncheck = %s\nmatch = %s\nvcpus-over-cores = %s\n\n", check_mode_to_string(p->cpu_check),
                p->cpu_match == CPU_MATCH_SAME_MODEL ? "same-model" : "compatible",
                check_mode_to_string(p->vcpus_over_cores));
        fprintf(f, "[network]\ncheck = %s\nsubnet-check = %s\n\n", check_mode_to_string(p->network_check),
                p->subnet_check == SUBNET_CHECK_AUTO ? "auto" : "off");
        for (size_t i = 0; i < p->n_segments; i++) {
                fprintf(f, "[segment %s]\n", p->segments[i].name);
                dump_list(f, "bridges", p->segments[i].bridges);
                dump_list(f, "networks", p->segments[i].networks);
                dump_list(f, "devices", p->segments[i].devices);
                fputc('\n', f);
        }
        fprintf(f, "[persist]\ndestination = %s\nsource = %s\n\n", p->persist_destination ? "yes" : "no",
                persist_source_to_string(p->persist_source));
        fprintf(f, "[storage]\nidentity = %s\n\n", check_mode_to_string(p->storage_identity));
        fprintf(f, "[converge]\nguard = %s\nmax-downtime = %u\nstall-seconds = %u\naction = %s\n\n",
                p->converge_guard ? "yes" : "no", p->converge_max_downtime, p->converge_stall_seconds,
                converge_action_to_string(p->converge_action));
        fprintf(f, "[pinning]\nenabled = %s\ncpus = ", p->pinning_enabled ? "yes" : "no");
        if (p->pinning_auto)
                fputs("auto", f);
        else {
                char cpus[4096];
                if (cpu_set_format(&p->pinning_cpus, cpus, sizeof(cpus)) < 0)
                        return -ENOBUFS;
                fputs(cpus, f);
        }
        fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}
