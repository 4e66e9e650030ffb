/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/paths.c (and basic/env-util.h under it): the
 * built-in defaults, each environment override on its own, and "" taken
 * as unset (libvirt runs hooks in a cleared environment; an empty
 * variable must not turn into a relative path).
 */
#include "basic/env-util.h"
#include "core/paths.h"
#include "tests.h"

static const char *const vars[] = { "MIGGUARD_CONFIG", "MIGGUARD_RUN_DIR", "MIGGUARD_STATE_DIR" };

static void unset_all(void) {
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                ASSERT_SYS(unsetenv(vars[i]));
}

static void assert_defaults(const Paths *p) {
        ASSERT_STREQ(p->config_file, MIGGUARD_CONFIG_FILE);
        ASSERT_STREQ(p->run_dir, "/run/migguard");
        ASSERT_STREQ(p->incoming_dir, "/run/migguard/incoming");
        ASSERT_STREQ(p->state_dir, "/var/lib/migguard");
}

TEST(defaults) {
        Paths p;
        unset_all();
        ASSERT_OK(paths_load(&p));
        assert_defaults(&p);
        /* the config file lives in the configured directory */
        ASSERT_TRUE(strncmp(p.config_file, MIGGUARD_CONFIG_DIR "/", strlen(MIGGUARD_CONFIG_DIR) + 1) == 0);
        ASSERT_TRUE(p.config_file[0] == '/');
        paths_done(&p);
        ASSERT_NULL(p.config_file);
        ASSERT_NULL(p.incoming_dir);
        paths_done(&p); /* twice is fine */
}

TEST(overrides) {
        Paths p;
        unset_all();
        ASSERT_SYS(setenv("MIGGUARD_CONFIG", "/tmp/t/migguard.conf", 1));
        ASSERT_OK(paths_load(&p));
        ASSERT_STREQ(p.config_file, "/tmp/t/migguard.conf");
        ASSERT_STREQ(p.run_dir, "/run/migguard"); /* each variable on its own */
        paths_done(&p);

        unset_all();
        ASSERT_SYS(setenv("MIGGUARD_RUN_DIR", "/tmp/t/run", 1));
        ASSERT_OK(paths_load(&p));
        ASSERT_STREQ(p.run_dir, "/tmp/t/run");
        ASSERT_STREQ(p.incoming_dir, "/tmp/t/run/incoming"); /* follows the run directory */
        ASSERT_STREQ(p.config_file, MIGGUARD_CONFIG_FILE);
        ASSERT_STREQ(p.state_dir, "/var/lib/migguard");
        paths_done(&p);

        unset_all();
        ASSERT_SYS(setenv("MIGGUARD_STATE_DIR", "/tmp/t/state", 1));
        ASSERT_OK(paths_load(&p));
        ASSERT_STREQ(p.state_dir, "/tmp/t/state");
        ASSERT_STREQ(p.run_dir, "/run/migguard");
        ASSERT_STREQ(p.incoming_dir, "/run/migguard/incoming");
        paths_done(&p);

        /* all at once, and the result owns its strings */
        ASSERT_SYS(setenv("MIGGUARD_CONFIG", "/c", 1));
        ASSERT_SYS(setenv("MIGGUARD_RUN_DIR", "/r", 1));
        ASSERT_OK(paths_load(&p));
        unset_all();
        ASSERT_STREQ(p.config_file, "/c");
        ASSERT_STREQ(p.run_dir, "/r");
        ASSERT_STREQ(p.incoming_dir, "/r/incoming");
        ASSERT_STREQ(p.state_dir, "/tmp/t/state");
        paths_done(&p);
}

TEST(empty_is_unset) {
        Paths p;
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                ASSERT_SYS(setenv(vars[i], "", 1));
        ASSERT_OK(paths_load(&p));
        assert_defaults(&p);
        paths_done(&p);
        unset_all();
}

TEST(env_or) {
        ASSERT_SYS(unsetenv("MIGGUARD_TEST_ENV_OR"));
        ASSERT_STREQ(env_or("MIGGUARD_TEST_ENV_OR", "fallback"), "fallback");
        ASSERT_NULL(env_or("MIGGUARD_TEST_ENV_OR", NULL));
        ASSERT_SYS(setenv("MIGGUARD_TEST_ENV_OR", "", 1));
        ASSERT_STREQ(env_or("MIGGUARD_TEST_ENV_OR", "fallback"), "fallback");
        ASSERT_SYS(setenv("MIGGUARD_TEST_ENV_OR", " ", 1));
        ASSERT_STREQ(env_or("MIGGUARD_TEST_ENV_OR", "fallback"), " ");
        ASSERT_SYS(unsetenv("MIGGUARD_TEST_ENV_OR"));
}

int main(void) {
        RUN(defaults);
        RUN(overrides);
        RUN(empty_is_unset);
        RUN(env_or);
        return tests_done();
}
