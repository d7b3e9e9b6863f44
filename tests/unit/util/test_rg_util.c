/* util/: string helpers and the UTF-8 text check used for names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/rg_util.h"

static void test_hex_value(void **state)
{
    (void)state;
    assert_int_equal(rg_hex_value('0'), 0);
    assert_int_equal(rg_hex_value('9'), 9);
    assert_int_equal(rg_hex_value('a'), 10);
    assert_int_equal(rg_hex_value('F'), 15);
    assert_int_equal(rg_hex_value('g'), -1);
    assert_int_equal(rg_hex_value('%'), -1);
    assert_int_equal(rg_hex_value('\0'), -1);
}

static void test_clean_text_accepts_utf8(void **state)
{
    (void)state;
    assert_true(rg_utf8_is_clean_text("plain", 5));
    assert_true(rg_utf8_is_clean_text("\xc3\xa4\xe4\xb8\xad\xf0\x9f\x98\x80", 9));
    assert_true(rg_utf8_is_clean_text("", 0));
}

static void test_clean_text_rejects_controls(void **state)
{
    (void)state;
    assert_false(rg_utf8_is_clean_text("a\tb", 3));
    assert_false(rg_utf8_is_clean_text("a\x7f", 2));
    assert_false(rg_utf8_is_clean_text("\xc2\x85", 2)); /* U+0085, a C1 control */
    assert_false(rg_utf8_is_clean_text("a\0b", 3));
}

static void test_clean_text_rejects_bad_utf8(void **state)
{
    (void)state;
    assert_false(rg_utf8_is_clean_text("\xc3", 1));         /* truncated */
    assert_false(rg_utf8_is_clean_text("\xc0\xaf", 2));     /* overlong */
    assert_false(rg_utf8_is_clean_text("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(rg_utf8_is_clean_text("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(rg_utf8_is_clean_text("\xff", 1));
}

/* One character at a time, controls included; a sequence cut by len is none. */
static void test_utf8_char(void **state)
{
    uint32_t cp = 0;

    (void)state;
    assert_int_equal(rg_utf8_char("\t", 1, &cp), 1);
    assert_int_equal(cp, 9);
    assert_int_equal(rg_utf8_char("\xe4\xb8\xad!", 4, &cp), 3);
    assert_int_equal(cp, 0x4E2D);
    assert_int_equal(rg_utf8_char("\xf0\x9f\x98\x80", 4, NULL), 4);
    assert_int_equal(rg_utf8_char("\xf0\x9f\x98\x80", 3, NULL), 0);
    assert_int_equal(rg_utf8_char("\xe9t\xe9", 3, NULL), 0); /* Latin-1 */
    assert_int_equal(rg_utf8_char("\xc0\xaf", 2, NULL), 0);
    assert_int_equal(rg_utf8_char("a", 0, NULL), 0);
}

static void test_strings(void **state)
{
    char *s;

    (void)state;
    assert_int_equal(rg_strcasecmp("Root/CIMv2", "root/cimv2"), 0);
    assert_true(rg_strcasecmp("a", "b") < 0);
    assert_int_equal(rg_strncasecmp("HTTPS://x", "https://y", 8), 0);
    assert_true(rg_strncasecmp("http:", "https", 5) < 0);
    assert_int_equal(rg_strncasecmp("ab", "ab", 9), 0);
    assert_int_equal(rg_strncasecmp("a", "b", 0), 0);
    assert_int_equal(rg_http_scheme_len("HTTP://h/x"), 7);
    assert_int_equal(rg_http_scheme_len("https://h"), 8);
    assert_int_equal(rg_http_scheme_len("http:/h"), 0);
    assert_int_equal(rg_http_scheme_len("/x"), 0);
    assert_null(rg_strdup(NULL));
    s = rg_asprintf("%s-%d", "RG", 7);
    assert_string_equal(s, "RG-7");
    free(s);
    s = rg_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
}

static void test_buf_grows_and_stays_terminated(void **state)
{
    struct rg_buf b = {0};
    char chunk[100];

    (void)state;
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 50; i++)
        rg_buf_add(&b, chunk, sizeof(chunk));
    rg_buf_add(&b, "end", 3);
    assert_false(b.failed);
    assert_int_equal(b.len, 5003);
    assert_int_equal(strlen(b.p), 5003);
    assert_string_equal(b.p + 5000, "end");
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_value),
        cmocka_unit_test(test_clean_text_accepts_utf8),
        cmocka_unit_test(test_clean_text_rejects_controls),
        cmocka_unit_test(test_clean_text_rejects_bad_utf8),
        cmocka_unit_test(test_utf8_char),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_buf_grows_and_stays_terminated),
    };

    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
