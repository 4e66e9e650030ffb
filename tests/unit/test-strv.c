/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/strv.c, the NULL-terminated string vectors behind
 * policy lists and argv: splitting on white space, push, contains, join.
 */
#include "basic/strv.h"
#include "tests.h"

TEST(split_ws) {
        _cleanup_strv_free_ char **l = NULL;
        ASSERT_OK(strv_split_ws("  a\tbb \n ccc  ", &l));
        ASSERT_EQ(strv_length(l), 3);
        ASSERT_STREQ(l[0], "a");
        ASSERT_STREQ(l[1], "bb");
        ASSERT_STREQ(l[2], "ccc");
        ASSERT_NULL(l[3]);
        strv_free(l);

        ASSERT_OK(strv_split_ws("", &l));
        ASSERT_NOT_NULL(l);
        ASSERT_EQ(strv_length(l), 0);
        strv_free(l);

        ASSERT_OK(strv_split_ws(" \t\r\n\v\f ", &l));
        ASSERT_EQ(strv_length(l), 0);
        strv_free(l);

        ASSERT_OK(strv_split_ws("single", &l));
        ASSERT_EQ(strv_length(l), 1);
        ASSERT_STREQ(l[0], "single");
}

TEST(push_contains_length) {
        _cleanup_strv_free_ char **l = NULL;
        ASSERT_EQ(strv_length(NULL), 0);
        ASSERT_FALSE(strv_contains(NULL, "a"));
        for (int i = 0; i < 100; i++) {
                char buf[16];
                snprintf(buf, sizeof(buf), "s%d", i);
                ASSERT_OK(strv_push(&l, buf));
                ASSERT_EQ(strv_length(l), i + 1);
        }
        ASSERT_TRUE(strv_contains(l, "s0"));
        ASSERT_TRUE(strv_contains(l, "s99"));
        ASSERT_FALSE(strv_contains(l, "s100"));
        ASSERT_FALSE(strv_contains(l, "s"));
        ASSERT_FALSE(strv_contains(l, ""));
        ASSERT_OK(strv_push(&l, ""));
        ASSERT_TRUE(strv_contains(l, ""));
}

TEST(join) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(strv_join(NULL, " ", &s));
        ASSERT_STREQ(s, "");
        RESET_FREE(s);

        ASSERT_OK(strv_split_ws("a b c", &l));
        ASSERT_OK(strv_join(l, ", ", &s));
        ASSERT_STREQ(s, "a, b, c");
        RESET_FREE(s);
        ASSERT_OK(strv_join(l, "", &s));
        ASSERT_STREQ(s, "abc");
        RESET_FREE(s);

        strv_free(l);
        l = NULL;
        ASSERT_OK(strv_push(&l, "only"));
        ASSERT_OK(strv_join(l, "--", &s));
        ASSERT_STREQ(s, "only");
}

TEST(free_null) {
        strv_free(NULL);
}

int main(void) {
        RUN(split_ws);
        RUN(push_contains_length);
        RUN(join);
        RUN(free_null);
        return tests_done();
}
