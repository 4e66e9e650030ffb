/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Log sink: formats one line and sends it to the journal (with structured
 * fields) and/or stderr.  %m works because errno is set to the error
 * before formatting, as glibc's printf expands %m from errno.
 */
#include "basic/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include <json-c/json.h>
#include <systemd/sd-journal.h>

static const char *log_ident = "migguard";
static int log_targets = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;
static const char *log_decision_file = NULL;

void log_set_decision_file(const char *path) {
        log_decision_file = path;
}

int log_set_decision_dir(const char *dir) {
        static char *path;
        char *p;
        if (asprintf(&p, "%s/" DECISION_LOG_NAME, dir) < 0)
                return -ENOMEM;
        free(path); /* kept for the life of the process */
        path = p;
        log_set_decision_file(path);
        return 0;
}

static void add_field(struct json_object *o, const char *k, const char *v) {
        if (v)
                json_object_object_add(o, k, json_object_new_string(v));
}

/* One JSON line per decision, appended under flock, rotated at 1 MiB. */
static void decision_append(int level, const LogFields *f, const char *msg) {
        struct json_object *o = json_object_new_object();
        char host[256] = "";
        if (!o)
                return;
        (void) gethostname(host, sizeof(host) - 1);
        json_object_object_add(o, "time", json_object_new_int64((int64_t) time(NULL)));
        json_object_object_add(o, "priority", json_object_new_int(level));
        add_field(o, "host", host);
        add_field(o, "ident", log_ident);
        add_field(o, "message_id", f->message_id);
        add_field(o, "domain", f->domain);
        add_field(o, "disk", f->disk);
        add_field(o, "check", f->check);
        add_field(o, "path", f->path);
        add_field(o, "message", msg);
        const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        int fd = open(log_decision_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd >= 0) {
                struct stat st;
                (void) flock(fd, LOCK_EX);
                if (fstat(fd, &st) == 0 && st.st_size > DECISION_LOG_MAX_SIZE) {
                        /* rotate, then write to the new file (under the old one's lock) */
                        char old[4096];
                        snprintf(old, sizeof(old), "%s.1", log_decision_file);
                        if (rename(log_decision_file, old) == 0) {
                                int nfd = open(log_decision_file,
                                               O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
                                if (nfd >= 0) {
                                        close(fd);
                                        fd = nfd;
                                }
                        }
                }
                dprintf(fd, "%s\n", line);
                close(fd);
        }
        json_object_put(o);
}

const char *log_message_id_kind(const char *message_id) {
        static const struct {
                const char *id, *kind;
        } kinds[] = {
                { MG_MSGID_REFUSED, "refused" },
                { MG_MSGID_PROVISIONED, "provisioned" },
                { MG_MSGID_CLEANED_UP, "cleaned-up" },
                { MG_MSGID_COMMITTED, "committed" },
                { MG_MSGID_PUBLISHED, "published" },
                { MG_MSGID_WARNING, "warning" },
                { MG_MSGID_POOL, "pool" },
                { MG_MSGID_DAEMON, "daemon" },
                { MG_MSGID_PERSISTED, "persisted" },
                { MG_MSGID_GUARDED, "guarded" },
                { MG_MSGID_PINNED, "pinned" },
                { MG_MSGID_CONVERGE, "converge" },
        };
        for (size_t i = 0; message_id && i < ELEMENTSOF(kinds); i++)
                if (streq(message_id, kinds[i].id))
                        return kinds[i].kind;
        return NULL;
}

void log_setup(const char *ident, int targets, int max_level) {
        log_ident = ident;
        log_targets = targets;
        log_max_level = max_level;
}

int log_targets_auto(void) {
        struct stat st;

        if (stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode))
                return LOG_TARGET_JOURNAL;
        return LOG_TARGET_STDERR;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

static void log_emit(int level, const LogFields *f, const char *file, int line, const char *func, const char *msg) {
        if (log_targets & LOG_TARGET_STDERR)
                fprintf(stderr, "%s: %s\n", log_ident, msg);
        if (f && f->message_id && log_decision_file)
                decision_append(level, f, msg);

        if (!(log_targets & LOG_TARGET_JOURNAL))
                return;

        /* sd_journal_send() wants every field as its own argument, so build
         * the list once with the optional fields left out. */
        char buf[8][512];
        struct iovec iov[12];
        size_t n = 0;

#define ADD(fmt, val)                                                                                                  \
        do {                                                                                                           \
                int _l = snprintf(buf[n], sizeof(buf[n]), fmt, val);                                                   \
                if (_l < 0)                                                                                            \
                        break;                                                                                         \
                iov[n] = (struct iovec){ buf[n], (size_t) _l < sizeof(buf[n]) ? (size_t) _l : sizeof(buf[n]) - 1 };    \
                n++;                                                                                                   \
        } while (0)

        ADD("PRIORITY=%d", level);
        ADD("SYSLOG_IDENTIFIER=%s", log_ident);
        if (f && f->message_id)
                ADD("MESSAGE_ID=%s", f->message_id);
        if (f && f->domain)
                ADD("MIGGUARD_DOMAIN=%s", f->domain);
        if (f && f->disk)
                ADD("MIGGUARD_DISK=%s", f->disk);
        if (f && f->check)
                ADD("MIGGUARD_CHECK=%s", f->check);
        if (f && f->path)
                ADD("MIGGUARD_PATH=%s", f->path);
        if (file)
                ADD("CODE_FILE=%s", file);
#undef ADD
        _cleanup_free_ char *m = NULL, *cl = NULL, *cf = NULL;
        if (asprintf(&m, "MESSAGE=%s", msg) < 0)
                return;
        iov[n++] = (struct iovec){ m, strlen(m) };
        if (file && asprintf(&cl, "CODE_LINE=%d", line) >= 0)
                iov[n++] = (struct iovec){ cl, strlen(cl) };
        if (func && asprintf(&cf, "CODE_FUNC=%s", func) >= 0)
                iov[n++] = (struct iovec){ cf, strlen(cf) };
        (void) sd_journal_sendv(iov, (int) n);
}

static int log_vformat(int level, int error, const LogFields *f, const char *file, int line, const char *func,
                       const char *format, va_list ap) {
        int saved = errno;
        char msg[2048];

        if (error < 0)
                error = -error;
        if (level <= log_max_level) {
                errno = error;
                (void) vsnprintf(msg, sizeof(msg), format, ap);
                log_emit(level, f, file, line, func, msg);
        }
        errno = saved;
        return -error;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = log_vformat(level, error, NULL, file, line, func, format, ap);
        va_end(ap);
        return r;
}

int log_struct_internal(int level, int error, const LogFields *fields, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = log_vformat(level, error, fields, NULL, 0, NULL, format, ap);
        va_end(ap);
        return r;
}
