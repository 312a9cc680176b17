/*
 * tests/test_main.c: runs the cases registered by TEST() in one unit-test
 * binary and prints the per-case lines and the closing count line that
 * ./dev test adds up (see tests/test.h).
 */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

enum { TEST_MAX_CASES = 1024 };

static struct {
    const char *name;
    test_fn fn;
} test_cases[TEST_MAX_CASES];
static size_t test_ncases;
static bool test_current_failed;

void test__register(const char *name, test_fn fn)
{
    if (test_ncases == TEST_MAX_CASES) {
        fprintf(stderr, "too many test cases (limit %d)\n", TEST_MAX_CASES);
        abort();
    }
    test_cases[test_ncases].name = name;
    test_cases[test_ncases].fn = fn;
    test_ncases++;
}

void test__fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    test_current_failed = true;
    fprintf(stdout, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

bool test__failed(void)
{
    return test_current_failed;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    const char *self = strrchr(argv[0], '/');
    size_t passed = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < test_ncases; i++) {
        if (only != NULL && strcmp(only, test_cases[i].name) != 0)
            continue;
        test_current_failed = false;
        test_cases[i].fn();
        if (test_current_failed) {
            failed++;
            printf("FAIL %s\n", test_cases[i].name);
        } else {
            passed++;
            printf("ok %s\n", test_cases[i].name);
        }
    }
    printf("%s: %zu passed, %zu failed\n", self ? self + 1 : argv[0], passed,
           failed);
    return failed == 0 ? 0 : 1;
}
