/*
 * tests/test.h: the unit-test harness every tests/<path>/test_*.c uses.
 *
 * A test file defines cases with TEST(name) { ... } and links tests/test_main.c,
 * which runs every registered case in order and prints one line per case
 * ("ok name" / "FAIL name: file:line: what") and a closing line
 * "<binary>: N passed, N failed". The exit status is 1 when anything failed.
 *
 * CHECK* macros record the failure and leave the case (return); a case may also
 * call test_skip(reason). Cases must not depend on one another's state.
 * A test may #include the .c under test to reach its statics (STYLE.md 17).
 *
 * Tests that need the servers of ./dev test build their URLs with
 * test_redis_url() and test_pg_url(): ./dev gives both servers a random
 * password per run (SENTIA_TEST_REDIS_PASSWORD, SENTIA_TEST_PG_PASSWORD,
 * docs/SECURITY.md). NULL when SENTIA_TEST_*_PORT is unset: skip the case.
 */
#ifndef SENTIA_TEST_H
#define SENTIA_TEST_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);

void test__register(const char *name, test_fn fn);
void test__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool test__failed(void);

#define TEST(name)                                                          \
    static void name(void);                                                 \
    __attribute__((constructor)) static void test__reg_##name(void)         \
    {                                                                       \
        test__register(#name, name);                                        \
    }                                                                       \
    static void name(void)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            test__fail(__FILE__, __LINE__, "CHECK(%s)", #cond);             \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                     \
    do {                                                                    \
        long long test__a = (long long)(a), test__b = (long long)(b);       \
        if (test__a != test__b) {                                           \
            test__fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a,    \
                       #b, test__a, test__b);                               \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *test__a = (a), *test__b = (b);                          \
        if (test__a == NULL || test__b == NULL ||                           \
            strcmp(test__a, test__b) != 0) {                                \
            test__fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"",    \
                       #a, #b, test__a ? test__a : "(null)",                \
                       test__b ? test__b : "(null)");                       \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                               \
    do {                                                                    \
        double test__a = (a), test__b = (b);                                \
        if (!(fabs(test__a - test__b) <= (eps))) {                          \
            test__fail(__FILE__, __LINE__, "%s ~= %s: %.10g vs %.10g", #a,  \
                       #b, test__a, test__b);                               \
            return;                                                         \
        }                                                                   \
    } while (0)

/* The suite's Redis as redis://[:password@]127.0.0.1:port/db; a static buffer. */
static inline const char *test_redis_url(int db)
{
    static char url[256];
    const char *port = getenv("SENTIA_TEST_REDIS_PORT");
    const char *pw = getenv("SENTIA_TEST_REDIS_PASSWORD");
    if (port == NULL)
        return NULL;
    snprintf(url, sizeof url, "redis://%s%s%s127.0.0.1:%s/%d", pw && *pw ? ":" : "",
             pw && *pw ? pw : "", pw && *pw ? "@" : "", port, db);
    return url;
}

/* The suite's PostgreSQL as role sentia at host/dbname; a static buffer. */
static inline const char *test_pg_url(const char *host, const char *dbname)
{
    static char url[256];
    const char *port = getenv("SENTIA_TEST_PG_PORT");
    const char *pw = getenv("SENTIA_TEST_PG_PASSWORD");
    if (port == NULL)
        return NULL;
    snprintf(url, sizeof url, "postgresql://sentia:%s@%s:%s/%s", pw ? pw : "", host, port,
             dbname);
    return url;
}

#endif
