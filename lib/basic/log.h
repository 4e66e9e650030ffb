/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for migguard.  The library only ever logs at debug level; the
 * binaries' main() pick the target (journal, stderr or both) and the
 * maximum level.  Every decision migguard takes is logged once as a
 * structured journal entry with its own MESSAGE_ID and fields naming the
 * domain, host, disk and check, so admins can `journalctl MESSAGE_ID=...`.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "basic/macro.h"

/* One MESSAGE_ID per kind of decision (see docs in README). */
#define MG_MSGID_REFUSED "afe7c15ebcd94544bc83fbeed94ebc1a"
#define MG_MSGID_PROVISIONED "3b9c2ec23ead41a99df7fbc8848393c7"
#define MG_MSGID_CLEANED_UP "dcab1523d02a4a70930aed85c0a2a9bf"
#define MG_MSGID_COMMITTED "08697c5fb0e44d5da67248931e49b661"
#define MG_MSGID_PUBLISHED "d2fbba595dfa457b9e79e5f43c9d94c3"
#define MG_MSGID_WARNING "bc485e8d9b594ad895aa60e95d039e50"
#define MG_MSGID_POOL "cc99bf4bfca847c09f2b4b14bcc8cb52"
#define MG_MSGID_DAEMON "de3c8d85ee9b4afcb575cf67f9230547"
#define MG_MSGID_PERSISTED "5b0c9f1e27a44d0f9a63c1e8d4b7a210"
#define MG_MSGID_GUARDED "9e4f2a7c61d84b3b8f05d2c7a6e1b394"
#define MG_MSGID_PINNED "4c2d8e6f0a1b4c3d9e7f5a6b8c0d2e41"
#define MG_MSGID_CONVERGE "7a3e9d51c2f84b6e8d0a4c19f5b2e637"

/* Short name of a MESSAGE_ID above ("refused", "provisioned"...), or NULL. */
const char *log_message_id_kind(const char *message_id);

typedef enum LogTarget {
        LOG_TARGET_STDERR = 1 << 0,
        LOG_TARGET_JOURNAL = 1 << 1,
} LogTarget;

void log_setup(const char *ident, int targets, int max_level);
/*
 * Also append every structured decision as one JSON line to @path (for
 * `migguard status` and hosts without a journal).  NULL disables.
 */
void log_set_decision_file(const char *path);
/* The same as DIR/decisions.jsonl; -ENOMEM. */
int log_set_decision_dir(const char *dir);
#define DECISION_LOG_NAME "decisions.jsonl"
#define DECISION_LOG_MAX_SIZE (1024 * 1024)
/* Journal if its socket exists (optionally below root), stderr otherwise. */
int log_targets_auto(void);
int log_get_max_level(void);
void log_set_max_level(int level);

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...)
        _printf_(6, 7);

/*
 * A structured decision: MESSAGE_ID plus MIGGUARD_DOMAIN/DISK/CHECK fields
 * (NULL fields are left out).  Returns -abs(error) like the others.
 */
typedef struct LogFields {
        const char *message_id;
        const char *domain;
        const char *disk;
        const char *check;
        const char *path;
} LogFields;

int log_struct_internal(int level, int error, const LogFields *fields, const char *format, ...) _printf_(4, 5);

#define log_full_errno(level, error, ...) log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_struct(level, fields, ...) log_struct_internal((level), 0, (fields), __VA_ARGS__)
