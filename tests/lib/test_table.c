/*
 * tests/lib/test_table.c: table cells reach the terminal with their control
 * characters (C0, DEL, C1 in UTF-8 or raw, invalid UTF-8) as visible escapes,
 * printable UTF-8 kept and widths counted on what is printed.
 */
#include <stdlib.h>

#include "lib/table.h"
#include "tests/test.h"

static void check_escape(const char *in, const char *want)
{
    char *got = table_escape(in);
    if (strcmp(got, want) != 0)
        test__fail(__FILE__, __LINE__, "escape: got \"%s\", want \"%s\"", got, want);
    free(got);
}

TEST(escape_c0_del_and_backslash)
{
    check_escape("plain text", "plain text");
    check_escape("\x1b[2J\x1b]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07");
    check_escape("a\tb\nc\rd\x7f", "a\\x09b\\x0ac\\x0dd\\x7f");
    check_escape("C:\\path", "C:\\\\path");
    check_escape("", "");
}

TEST(escape_c1_encoded_and_raw)
{
    check_escape("\xc2\x9b" "31m", "\\u009b31m");          /* CSI as UTF-8 */
    check_escape("\xc2\x80 \xc2\x9f", "\\u0080 \\u009f");
    check_escape("\x9b" "31m", "\\x9b31m");                 /* raw 8-bit CSI */
    check_escape("\x85\x90", "\\x85\\x90");
}

TEST(escape_keeps_valid_utf8_and_refuses_invalid)
{
    check_escape("caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xf0\x9f\x93\xa6",
                 "caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xf0\x9f\x93\xa6");
    check_escape("\xc0\x9b", "\\xc0\\x9b");             /* overlong ESC */
    check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");    /* surrogate */
    check_escape("\xe2\x82", "\\xe2\\x82");             /* cut short */
    check_escape("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
}

TEST(cells_are_escaped_when_printed)
{
    static const char *const headers[] = {"ID", "LAST_ERROR", ">N"};
    struct table *t = table_create(3, headers);
    const char *row[] = {"j1", "boom\x1b[31m\xc2\x9b", "7"};
    table_add(t, row);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    table_print(t, f);
    fclose(f);
    table_free(t);
    CHECK(strchr(text, 0x1b) == NULL);
    CHECK(strstr(text, "\xc2\x9b") == NULL);
    CHECK(strstr(text, "boom\\x1b[31m\\u009b") != NULL);
    CHECK(strstr(text, "ID  LAST_ERROR") != NULL);
    free(text);
}
