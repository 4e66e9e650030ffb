/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for incoming_state_from_json(): the state files in
 * /run/migguard/incoming are migguard's own, but a corrupt or truncated
 * one must never crash the hook.  Accepted states must serialise to JSON
 * that reads back to the same JSON.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/incoming-state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL, *t = NULL;
        _cleanup_free_ char *text = malloc(size + 1), *j1 = NULL, *j2 = NULL;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        int r = incoming_state_from_json(text, &s);
        if (r < 0) {
                assert(!s);
                assert(r == -EBADMSG || r == -ENOMEM);
                return 0;
        }
        assert(s && s->uuid && s->name);
        for (size_t i = 0; i < s->n_disks; i++)
                assert(s->disks[i].path);

        if (incoming_state_to_json(s, &j1) < 0)
                return 0;
        r = incoming_state_from_json(j1, &t);
        if (r < 0) {
                fprintf(stderr, "serialised state does not parse (%d):\n%s\n", r, j1);
                abort();
        }
        if (incoming_state_to_json(t, &j2) < 0)
                return 0;
        if (strcmp(j1, j2) != 0) {
                fprintf(stderr, "state changes on re-read:\n--- first\n%s\n--- second\n%s\n", j1, j2);
                abort();
        }
        return 0;
}
