/*
 * worker/jobs/sys.c: built-in job types for smoke tests and benchmarks.
 *
 *   sys.noop     does nothing; succeeds at once (drain benchmarks).
 *   sys.sleep    payload {"ms": N}, 0 ≤ N ≤ SYS_SLEEP_MAX_MS: waits on a
 *                timer without blocking the loop, then succeeds.
 *   sys.db_ping  runs SELECT 1 through the Postgres pool: an operator's check
 *                that the worker reaches its database. A Postgres outage makes
 *                it fail transient (and the runtime defers it).
 */
#include <jansson.h>
#include <string.h>

#include "worker/jobs/jobs.h"
#include "worker/kit/pg_outcome.h"

enum {
    SYS_SLEEP_MAX_MS = 3600 * 1000, /* an hour: longer waits belong in a delayed job */
    SYS_SLEEP_TIMEOUT_MS = 60000,   /* a job's own timeout_ms may shorten it */
};

static void sys_noop(struct job_run *run)
{
    job_run_succeed(run);
}

static void sys_slept(struct job_run *run, void *data)
{
    (void)data;
    job_run_succeed(run);
}

static void sys_sleep(struct job_run *run)
{
    json_t *ms = json_object_get(job_run_job(run)->payload, "ms");
    if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
        json_integer_value(ms) > SYS_SLEEP_MAX_MS) {
        job_run_fail_permanent(run, "payload.ms must be an integer from 0 to %d",
                               SYS_SLEEP_MAX_MS);
        return;
    }
    job_run_after(run, (uint64_t)json_integer_value(ms), sys_slept, NULL);
}

static void sys_db_ponged(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    if (err != NULL)
        pg_outcome_fail(run, "db_ping", err);
    else if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "1") != 0)
        job_run_fail(run, "postgres: unexpected answer to SELECT 1");
    else
        job_run_succeed(run);
}

static void sys_db_ping(struct job_run *run)
{
    job_run_query(run, "SELECT 1", 0, NULL, sys_db_ponged, run);
}

static const struct job_handler jobs_sys_handlers[] = {
    {"sys.noop", sys_noop, 0, 0},
    {"sys.sleep", sys_sleep, 0, SYS_SLEEP_TIMEOUT_MS},
    {"sys.db_ping", sys_db_ping, 0, 0},
    {NULL, NULL, 0, 0},
};

const struct job_family jobs_sys = {
    .name = "sys",
    .handlers = jobs_sys_handlers,
};
