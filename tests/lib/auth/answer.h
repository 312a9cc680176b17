/*
 * tests/lib/auth/answer.h: the answer of one asynchronous authentication
 * (auth_authenticate's callback) as the lib/auth tests read it: on_answer()
 * copies the result into the struct answer passed as its argument.
 *
 * Header-only, for the test files that include it (test_auth.c,
 * test_apikey.c); the caller must include lib/auth/auth.h first.
 */
#ifndef SENTIA_TESTS_AUTH_ANSWER_H
#define SENTIA_TESTS_AUTH_ANSWER_H

#include <stdbool.h>

struct answer {
    bool done;
    const struct auth_error *error;
    struct auth_caller caller;
};

/* An auth callback: records r in the struct answer at arg. */
static void on_answer(void *arg, const struct auth_result *r)
{
    struct answer *a = arg;
    a->done = true;
    a->error = r->error;
    a->caller = r->caller;
}

#endif
