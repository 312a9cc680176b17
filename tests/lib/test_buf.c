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
