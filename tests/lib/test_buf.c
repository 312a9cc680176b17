/*
 * tests/lib/test_buf.c: the capped buffer refuses to grow past its cap and
 * stays unchanged when it refuses.
 */
#include <stdlib.h>

#include "lib/buf.h"
#include "tests/test.h"

TEST(append_and_cap)
{
    struct buf b;
    buf_init(&b, 10);
    CHECK_STR(buf_str(&b), "");
    CHECK_INT(buf_puts(&b, "hello"), 0);
    CHECK_INT(buf_printf(&b, "%d", 1234), 0);
    CHECK_STR(buf_str(&b), "hello1234");
    CHECK_INT(buf_puts(&b, "xy"), -1);
    CHECK_STR(buf_str(&b), "hello1234");
    CHECK_INT(buf_putc(&b, '!'), 0);
    CHECK_INT(b.len, 10);
    CHECK_INT(buf_putc(&b, '!'), -1);
    char *s = buf_steal(&b);
    CHECK_STR(s, "hello1234!");
    CHECK_INT(b.len, 0);
    free(s);
    buf_dispose(&b);
}

TEST(large_growth)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        CHECK_INT(buf_puts(&b, "0123456789"), 0);
    CHECK_INT(b.len, 100000);
    buf_dispose(&b);
}

/* A formatted text that fits the memory already there but not the cap is refused whole. */
TEST(printf_in_place_respects_cap)
{
    struct buf b;
    buf_init(&b, 10);
    CHECK_INT(buf_puts(&b, "hello1234"), 0); /* 64 bytes allocated, cap 10 */
    CHECK_INT(buf_printf(&b, "%d", 56), -1);
    CHECK_STR(buf_str(&b), "hello1234");
    CHECK_INT(buf_printf(&b, "%c", '!'), 0);
    CHECK_STR(buf_str(&b), "hello1234!");
    buf_dispose(&b);
    buf_init(&b, 1 << 16);
    CHECK_INT(buf_puts(&b, "a"), 0);
    CHECK_INT(buf_printf(&b, "%0300d", 7), 0); /* longer than the room: grows, formats again */
    CHECK_INT(b.len, 301);
    CHECK(b.data[300] == '7' && b.data[1] == '0');
    buf_dispose(&b);
}
