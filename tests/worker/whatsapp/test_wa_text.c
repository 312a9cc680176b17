/*
 * tests/worker/whatsapp/test_wa_text.c: UTF-8 decoding, UTF-16 lengths and echo
 * copies (worker/whatsapp/wa_text.c), worked by hand.
 */
#include "tests/test.h"
#include "worker/whatsapp/wa_text.h"

static uint32_t decode1(const char *s, size_t *n)
{
    uint32_t cp;
    *n = wa_text_decode(s, strlen(s), &cp);
    return cp;
}

TEST(decode_valid_sequences)
{
    size_t n;
    CHECK_INT(decode1("A", &n), 'A');
    CHECK_INT(n, 1);
    CHECK_INT(decode1("\xC3\xA9", &n), 0xE9); /* é */
    CHECK_INT(n, 2);
    CHECK_INT(decode1("\xE2\x82\xAC", &n), 0x20AC); /* € */
    CHECK_INT(n, 3);
    CHECK_INT(decode1("\xF0\x9F\x98\x80", &n), 0x1F600); /* 😀 */
    CHECK_INT(n, 4);
}

TEST(decode_invalid_sequences_take_one_byte)
{
    size_t n;
    CHECK_INT(decode1("\xC0\x80", &n), WA_TEXT_REPLACEMENT); /* overlong NUL */
    CHECK_INT(n, 1);
    CHECK_INT(decode1("\xED\xA0\x80", &n), WA_TEXT_REPLACEMENT); /* surrogate */
    CHECK_INT(n, 1);
    CHECK_INT(decode1("\xE2\x82", &n), WA_TEXT_REPLACEMENT); /* truncated */
    CHECK_INT(n, 1);
    CHECK_INT(decode1("\xF5\x80\x80\x80", &n), WA_TEXT_REPLACEMENT); /* > U+10FFFF */
    CHECK_INT(n, 1);
    CHECK_INT(decode1("\x80", &n), WA_TEXT_REPLACEMENT); /* lone continuation */
    CHECK_INT(n, 1);
}

TEST(units_count_astral_code_points_twice)
{
    CHECK_INT(wa_text_units("", 0), 0);
    CHECK_INT(wa_text_units("abc", 3), 3);
    CHECK_INT(wa_text_units("\xC3\xA9t\xC3\xA9", 5), 3);              /* été */
    CHECK_INT(wa_text_units("a\xF0\x9F\x98\x80", 5), 3);              /* a😀 */
    CHECK_INT(wa_text_units("\xE4\xBD\xA0\xE5\xA5\xBD", 6), 2);       /* 你好 */
    CHECK_INT(wa_text_units("\xFF\xFE", 2), 2);                       /* invalid bytes */
}

TEST(encode_round_trips)
{
    char out[4];
    CHECK_INT(wa_text_encode(0x1F600, out), 4);
    CHECK(memcmp(out, "\xF0\x9F\x98\x80", 4) == 0);
    CHECK_INT(wa_text_encode(0xE9, out), 2);
    CHECK(memcmp(out, "\xC3\xA9", 2) == 0);
}

TEST(echo_cleans_and_cuts)
{
    char dst[WA_TEXT_ECHO_SIZE(10)];
    const char *s = "  two\t\n words\x01 ";
    wa_text_echo(dst, sizeof dst, s, strlen(s), 10);
    CHECK_STR(dst, "two words");
    s = "abcdefghijklmnop";
    wa_text_echo(dst, sizeof dst, s, strlen(s), 10);
    CHECK_STR(dst, "abcdefghij\xE2\x80\xA6");
    s = "\xF0\x9F\x8D\x95\xFF";
    wa_text_echo(dst, sizeof dst, s, strlen(s), 10);
    CHECK_STR(dst, "\xF0\x9F\x8D\x95\xEF\xBF\xBD"); /* 🍕 then U+FFFD */
}

TEST(echo_fits_its_buffer_with_four_byte_code_points)
{
    char dst[WA_TEXT_ECHO_SIZE(3)];
    const char *s = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
    size_t n = wa_text_echo(dst, sizeof dst, s, strlen(s), 3);
    CHECK_INT(n, 15); /* three emoji and the ellipsis */
    CHECK(strcmp(dst + 12, "\xE2\x80\xA6") == 0);
    char tiny[5]; /* room for one byte, the ellipsis and the NUL */
    wa_text_echo(tiny, sizeof tiny, "abc", 3, 3);
    CHECK_STR(tiny, "a\xE2\x80\xA6");
}

TEST(unicode_spaces)
{
    CHECK(wa_text_is_space(0xA0));
    CHECK(wa_text_is_space(0x200B));
    CHECK(wa_text_is_space(0x3000));
    CHECK(wa_text_is_space(0xFEFF));
    CHECK(!wa_text_is_space('a'));
    CHECK(!wa_text_is_space(0x200D)); /* zero-width joiner joins emoji */
}
