/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the policy parser: arbitrary text through
 * policy_parse_string() on fresh defaults.  A refusal must be one
 * "NAME:LINE: reason" line; an accepted policy must dump to text that
 * parses back to the very same dump (what `migguard` shows an admin is
 * valid policy).
 */
#undef NDEBUG
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const Policy *p) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        if (policy_dump(p, f) < 0) {
                fclose(f);
                free(buf);
                return NULL;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static void check_dump_roundtrip(const Policy *p) {
        _cleanup_free_ char *d1 = dump(p), *d2 = NULL, *err = NULL;
        _cleanup_(policy_freep) Policy *q = NULL;

        if (!d1 || policy_new(&q) < 0)
                return;
        int r = policy_parse_string(q, "dump", d1, &err);
        if (r < 0) {
                fprintf(stderr, "dumped policy does not parse (%d: %s):\n%s", r, err ? err : "?", d1);
                abort();
        }
        d2 = dump(q);
        if (d2 && strcmp(d1, d2) != 0) {
                fprintf(stderr, "dump changes on re-parse:\n--- first\n%s--- second\n%s", d1, d2);
                abort();
        }
}

/*
 * The dump writes "key = value" where the input may have had "key=value":
 * a line can grow by two characters, so an input line close to the
 * parser's 199-character limit may legitimately dump to one over it.
 */
static bool lines_leave_room(const char *text) {
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                if (n > 197)
                        return false;
                l += n + (l[n] == '\n');
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *text = malloc(size + 1), *err = NULL;

        if (!text || policy_new(&p) < 0)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        int r = policy_parse_string(p, "fuzz.conf", text, &err);
        if (r < 0) {
                assert(r == -ENOMEM || r == -EINVAL);
                if (r == -EINVAL && err) {
                        assert(strncmp(err, "fuzz.conf:", 10) == 0);
                        assert(!strchr(err, '\n'));
                }
                return 0;
        }
        assert(!err);
        if (lines_leave_room(text))
                check_dump_roundtrip(p);
        return 0;
}
