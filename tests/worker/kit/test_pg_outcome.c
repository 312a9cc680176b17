/*
 * tests/worker/kit/test_pg_outcome.c: the Postgres failure rule every job
 * family applies (worker/kit/pg_outcome.c), first on its own, then through
 * real job runs against the Postgres of ./dev test (SENTIA_TEST_PG_PORT;
 * those cases are skipped without it): a data error (class 22 or 23) goes to
 * dead at once with its SQLSTATE and message; a serialization failure
 * (40001), a deadlock (40P01) and any other server error are retried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/pgpool.h"
#include "queue/job.h"
#include "tests/test.h"
#include "worker/core/env.h"
#include "worker/core/job_run.h"
#include "worker/kit/pg_outcome.h"

TEST(the_rule_on_its_own)
{
    struct pgpool_error e = {.message = "m", .sqlstate = "23505"};
    CHECK(pg_outcome_permanent(&e));
    e.sqlstate = "22012";
    CHECK(pg_outcome_permanent(&e));
    char why[256];
    pg_outcome_describe("orders", &e, why, sizeof why);
    CHECK_STR(why, "orders: refused by the database (SQLSTATE 22012): m");
    e.sqlstate = "40001", e.transient = true;
    CHECK(!pg_outcome_permanent(&e));
    e.sqlstate = "40P01";
    CHECK(!pg_outcome_permanent(&e));
    e.sqlstate = "42P01", e.transient = false;
    CHECK(!pg_outcome_permanent(&e));
    pg_outcome_describe("orders", &e, why, sizeof why);
    CHECK_STR(why, "orders: postgres: m");
    e.sqlstate = NULL, e.unavailable = true, e.transient = true;
    CHECK(!pg_outcome_permanent(&e));
}

/* ---- through job runs --------------------------------------------------- */

static void on_result(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    (void)res;
    if (err != NULL)
        pg_outcome_fail(run, "statement", err);
    else
        job_run_succeed(run);
}

#define SQL_HANDLER(fn, sql)                                           \
    static void fn(struct job_run *run)                                \
    {                                                                  \
        job_run_query(run, sql, 0, NULL, on_result, run);              \
    }

#define RAISE(state) "DO $$ BEGIN RAISE EXCEPTION 'rule test' USING ERRCODE = '" state "'; END $$"
SQL_HANDLER(t_division, "SELECT 1 / 0")
SQL_HANDLER(t_unique, RAISE("23505"))
SQL_HANDLER(t_serialization, RAISE("40001"))
SQL_HANDLER(t_deadlock, RAISE("40P01"))
SQL_HANDLER(t_undefined, "SELECT * FROM no_such_table_for_the_rule")
SQL_HANDLER(t_fine, "SELECT 1")

static const struct job_handler rule_handlers[] = {
    {"t.division", t_division, 0, 0},       {"t.unique", t_unique, 0, 0},
    {"t.serialization", t_serialization, 0, 0}, {"t.deadlock", t_deadlock, 0, 0},
    {"t.undefined", t_undefined, 0, 0},     {"t.fine", t_fine, 0, 0},
    {NULL, NULL, 0, 0},
};
static const struct job_family rule_family = {.name = "t", .handlers = rule_handlers};
static const struct job_family *const rule_families[] = {&rule_family, NULL};

struct harness {
    uv_loop_t loop;
    struct worker_settings settings;
    struct worker_runtime rt;
    struct job_run_owner owner;
    struct job_run *last;
};

static void owner_started(void *data, struct job_run *run)
{
    ((struct harness *)data)->last = run;
}

static void owner_finished(void *data, struct job_run *run)
{
    ((struct harness *)data)->last = run;
}

static void pool_closed(void *data)
{
    (void)data;
}

/* Opens a pool on the test server; false (skipped) without one. */
static bool harness_open(struct harness *h)
{
    const char *port = getenv("SENTIA_TEST_PG_PORT");
    char url[256], *err = NULL;
    memset(h, 0, sizeof *h);
    if (port == NULL) {
        printf("  skipped: SENTIA_TEST_PG_PORT not set\n");
        return false;
    }
    uv_loop_init(&h->loop);
    h->settings = (struct worker_settings){.job_timeout_ms = 10000, .prefix = "p",
                                           .families = rule_families};
    h->rt.loop = &h->loop;
    h->rt.settings = &h->settings;
    h->owner = (struct job_run_owner){&h->rt, "q", owner_started, owner_finished, h};
    snprintf(url, sizeof url, "%s", test_pg_url("127.0.0.1", "sentia"));
    struct pgpool_options o = {.url = url, .size = 1, .connect_timeout_ms = 5000};
    if (pgpool_create(&h->loop, &o, &h->rt.pg, &err) != 0) {
        fprintf(stderr, "pgpool_create: %s\n", err);
        free(err);
        abort();
    }
    return true;
}

static void harness_close(struct harness *h)
{
    pgpool_close(h->rt.pg, pool_closed, NULL);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    uv_loop_close(&h->loop);
}

/* Runs one job of `type` to its end; returns the run (free it). */
static struct job_run *run_job(struct harness *h, const char *type)
{
    struct job *j = job_create("q", type, NULL);
    size_t len;
    char *env = job_encode(j, &len);
    run_start(&h->owner, env, len);
    free(env);
    job_free(j);
    struct job_run *r = h->last;
    for (int i = 0; i < 2000 && !r->finished; i++) {
        uv_run(&h->loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    return r;
}

/* The job ends with `mode`; its recorded error contains `text`. */
static void expect(struct harness *h, const char *type, enum queue_fail_mode mode,
                   const char *text)
{
    struct job_run *r = run_job(h, type);
    CHECK(r->finished && r->outcome == RUN_FAIL);
    CHECK_INT(r->failure.mode, mode);
    CHECK(r->failure.envelope && strstr(r->failure.envelope, text) != NULL);
    if (r->failure.envelope && strstr(r->failure.envelope, text) == NULL)
        fprintf(stderr, "  %s: %s\n", type, r->failure.envelope);
    run_free(r);
}

TEST(data_errors_go_dead_at_once_with_their_sqlstate)
{
    struct harness h;
    if (!harness_open(&h))
        return;
    expect(&h, "t.division", QUEUE_FAIL_DEAD, "refused by the database (SQLSTATE 22012)");
    expect(&h, "t.unique", QUEUE_FAIL_DEAD, "(SQLSTATE 23505): ERROR:  rule test");
    harness_close(&h);
}

TEST(serialization_deadlock_and_other_errors_are_retried)
{
    struct harness h;
    if (!harness_open(&h))
        return;
    expect(&h, "t.serialization", QUEUE_FAIL_RETRY, "statement: postgres:");
    expect(&h, "t.deadlock", QUEUE_FAIL_RETRY, "statement: postgres:");
    expect(&h, "t.undefined", QUEUE_FAIL_RETRY, "no_such_table_for_the_rule");
    struct job_run *r = run_job(&h, "t.fine");
    CHECK(r->finished && r->outcome == RUN_ACK);
    run_free(r);
    harness_close(&h);
}
