/*
 * worker/main.c: sentia-worker's entry point — configuration, process-wide
 * set-up (libcurl, SIGPIPE), then the runtime (worker/core/runtime.c) until it has
 * shut down.
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when the services
 * could not be created, 78 for bad configuration (every problem reported in
 * one message).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/process.h"
#include "lib/startup.h"
#include "worker/core/runtime.h"
#include "worker/core/scheduler.h"
#include "worker/jobs/autoscale.h"
#include "worker/jobs/jobs.h"
#include "worker/jobs/planning.h"
#include "worker/kit/scripts.h"
#include "worker/kit/sync.h"

enum {
    /* libuv's default thread pool, and the threads kept free of forecast
     * work for DNS look-ups and Postgres cancels */
    WORKER_UV_THREADS_DEFAULT = 4,
    WORKER_UV_THREADS_SPARE = 2,
};

/* What sentia-worker reads besides config_common_vars (docs/WORKER.md). */
static const struct config_var worker_config_vars[] = {
    {"WORKER_QUEUES", CONFIG_STR, "webhooks:32,notify:16,sync:4,forecast:1", 0, 0, 0, NULL, false},
    {"DATABASE_URL", CONFIG_URL_POSTGRES, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, true},
    {"PG_POOL_SIZE", CONFIG_INT, "4", 0, 1, 64, NULL, false},
    {"SHUTDOWN_TIMEOUT", CONFIG_INT, "25", 0, 0, 3600, NULL, false},
    {"JOB_TIMEOUT_MS", CONFIG_INT, "30000", 0, 1, 86400000, NULL, false},
    {"WORKER_LEASE_MS", CONFIG_INT, "30000", 0, 300, 3600000, NULL, false},
    {"REDIS_TIMEOUT_MS", CONFIG_INT, "2000", 0, 100, 60000, NULL, false},
    {"MAX_DEAD_JOBS", CONFIG_INT, "10000", 0, 1, 10000000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};
/* The tables above, the shared ones, then each job family's (worker_compose). */
static const struct config_var *worker_config_tables[4 + JOBS_FAMILIES_MAX + 1] = {
    config_common_vars, worker_config_vars, sync_config_vars, scheduler_config_vars};

/* Adds every job family's configuration table to worker_config_tables. */
static void worker_compose(struct worker_settings *s)
{
    size_t n = 4;
    for (size_t i = 0; jobs_families[i] && i < JOBS_FAMILIES_MAX; i++)
        if (jobs_families[i]->config != NULL)
            worker_config_tables[n++] = jobs_families[i]->config;
    worker_config_tables[n] = NULL;
    s->families = jobs_families;
    s->scripts = kit_script_list;
}

/* A variable's text, or its default from the worker's config tables. */
static const char *worker_env_or_default(const char *name)
{
    const char *v = getenv(name);
    if (v != NULL && v[0] != '\0')
        return v;
    for (size_t t = 0; worker_config_tables[t]; t++)
        for (const struct config_var *d = worker_config_tables[t]; d->name; d++)
            if (strcmp(d->name, name) == 0)
                return d->def;
    return NULL;
}

/* Checks what the tables cannot; appends problems to err (startup_check_fn). */
static void worker_check(const struct config *cfg, struct buf *err, void *ctx)
{
    struct worker_settings *s = ctx;
    (void)cfg;
    char why[256];
    if (worker_queues_parse(worker_env_or_default("WORKER_QUEUES"), s->queues, &s->nqueues,
                            why, sizeof why) != 0)
        buf_printf(err, "%sWORKER_QUEUES: %s", err->len ? "; " : "", why);
    if (scheduler_check(getenv("SCHEDULE"), why, sizeof why) != 0)
        buf_printf(err, "%sSCHEDULE: %s", err->len ? "; " : "", why);
    if (!queue_prefix_valid(worker_env_or_default("QUEUE_PREFIX")))
        buf_printf(err, "%sQUEUE_PREFIX must be 1-64 of A-Z a-z 0-9 _ . - :",
                   err->len ? "; " : "");
    jobs_forecast_config_check(worker_env_or_default, err);
    jobs_autoscale_config_check(worker_env_or_default, err);
}

static void worker_settings_fill(const struct config *cfg, struct worker_settings *s)
{
    s->redis_url = config_str(cfg, "REDIS_URL");
    s->database_url = config_str(cfg, "DATABASE_URL");
    s->prefix = config_str(cfg, "QUEUE_PREFIX");
    s->pg_pool_size = (int)config_int(cfg, "PG_POOL_SIZE");
    s->shutdown_timeout_ms = (int)config_int(cfg, "SHUTDOWN_TIMEOUT") * 1000;
    s->job_timeout_ms = (int)config_int(cfg, "JOB_TIMEOUT_MS");
    s->lease_ms = (int)config_int(cfg, "WORKER_LEASE_MS");
    s->redis_timeout_ms = (int)config_int(cfg, "REDIS_TIMEOUT_MS");
    s->max_dead_jobs = (int)config_int(cfg, "MAX_DEAD_JOBS");
}

/*
 * Grows libuv's thread pool so FORECAST_PARALLELISM forecast chunks can run
 * with threads to spare; must run before the loop first uses the pool (it
 * reads UV_THREADPOOL_SIZE once). An operator's own UV_THREADPOOL_SIZE wins.
 */
static void worker_size_threadpool(const struct config *cfg)
{
    int want = jobs_forecast_parallelism(cfg) + WORKER_UV_THREADS_SPARE;
    char value[16];
    if (getenv("UV_THREADPOOL_SIZE") != NULL || want <= WORKER_UV_THREADS_DEFAULT)
        return;
    snprintf(value, sizeof value, "%d", want);
    setenv("UV_THREADPOOL_SIZE", value, 1);
}

int main(void)
{
    static struct worker_settings settings;
    process.service = "sentia-worker";
    worker_compose(&settings);
    struct config *cfg = startup_config_or_exit(worker_config_tables, worker_check, &settings);
    process_configure(cfg, "sentia-worker");
    worker_settings_fill(cfg, &settings);
    worker_size_threadpool(cfg);
    signal(SIGPIPE, SIG_IGN); /* hiredis writes with write(2): a closed peer is an error, not a kill */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        log_error(NULL, "curl_global_init failed");
        config_free(cfg);
        return 1;
    }
    int rc = worker_runtime_run(cfg, &settings);
    curl_global_cleanup();
    config_free(cfg);
    return rc;
}
