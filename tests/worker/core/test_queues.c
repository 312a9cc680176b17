/*
 * tests/worker/core/test_queues.c: WORKER_QUEUES parsing and printing, the worker
 * id format, and the handler registry (every built-in type found, no type in
 * two families, unknown types not found).
 */
#include <stdio.h>
#include <string.h>

#include "tests/test.h"
#include "worker/core/handler.h"
#include "worker/core/queues.h"
#include "worker/core/registry.h"
#include "worker/core/runtime.h"
#include "worker/jobs/jobs.h"

TEST(parses_the_default_and_spaces)
{
    struct worker_queue_spec q[WORKER_QUEUES_MAX];
    size_t n = 0;
    char why[128];
    CHECK_INT(worker_queues_parse("webhooks:32,notify:16,sync:4,forecast:1", q, &n, why,
                                  sizeof why), 0);
    CHECK_INT(n, 4);
    CHECK_STR(q[0].name, "webhooks");
    CHECK_INT(q[0].slots, 32);
    CHECK_STR(q[3].name, "forecast");
    CHECK_INT(q[3].slots, 1);
    CHECK_INT(worker_queues_parse(" a:1 , b.c-d_e:1024 ", q, &n, why, sizeof why), 0);
    CHECK_INT(n, 2);
    CHECK_STR(q[1].name, "b.c-d_e");
    char text[WORKER_QUEUES_TEXT_MAX];
    worker_queues_format(q, n, text, sizeof text);
    CHECK_STR(text, "a:1,b.c-d_e:1024");
}

TEST(rejects_malformed_items_with_a_reason)
{
    static const char *const bad[][2] = {
        {"", "is not NAME:COUNT"},
        {"webhooks", "is not NAME:COUNT"},
        {"webhooks:", "is not NAME:COUNT"},
        {":4", "is not NAME:COUNT"},
        {"a:0", "from 1 to 1024"},
        {"a:1025", "from 1 to 1024"},
        {"a:-1", "from 1 to 1024"},
        {"a:1x", "from 1 to 1024"},
        {"a:+1", "from 1 to 1024"},
        {"a b:1", "is not a queue name"},
        {"a:1,,b:2", "is not NAME:COUNT"},
        {"a:1,a:2", "listed twice"},
        {"a{b}:1", "is not a queue name"},
    };
    struct worker_queue_spec q[WORKER_QUEUES_MAX];
    size_t n;
    char why[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = '\0';
        CHECK_INT(worker_queues_parse(bad[i][0], q, &n, why, sizeof why), -1);
        if (strstr(why, bad[i][1]) == NULL) {
            test__fail(__FILE__, __LINE__, "\"%s\": %s", bad[i][0], why);
            return;
        }
    }
}

TEST(limits_the_number_of_queues)
{
    char text[WORKER_QUEUES_MAX * 8 + 16] = "";
    struct worker_queue_spec q[WORKER_QUEUES_MAX];
    size_t n;
    char why[128];
    for (int i = 0; i <= WORKER_QUEUES_MAX; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%sq%d:1", i ? "," : "", i);
    CHECK_INT(worker_queues_parse(text, q, &n, why, sizeof why), -1);
    CHECK(strstr(why, "at most") != NULL);
}

TEST(worker_id_is_host_pid_random)
{
    char a[WORKER_ID_MAX + 1];
    worker_make_id("web-1", 4242, a);
    CHECK(strncmp(a, "web-1-4242-", 11) == 0);
    CHECK_INT(strlen(a), 15);
    CHECK(strspn(a + 11, "0123456789abcdef") == 4);
    char longhost[200];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    worker_make_id(longhost, 1, a);
    CHECK(strlen(a) <= WORKER_ID_MAX);
}

static const struct job_handler *handler_find(const char *type)
{
    return registry_find(jobs_families, type);
}

TEST(registry_finds_builtins_and_has_no_duplicates)
{
    CHECK(handler_find("sys.noop") != NULL);
    CHECK_INT(handler_find("sys.sleep")->timeout_ms, 60000);
    CHECK(handler_find("sys.db_ping") != NULL);
    CHECK(handler_find("sys") == NULL);
    CHECK(handler_find("sys.noop ") == NULL);
    for (const struct job_handler *h = jobs_sys.handlers; h->type; h++) {
        CHECK(handler_find(h->type) == h);
        CHECK(h->run != NULL);
    }
}
