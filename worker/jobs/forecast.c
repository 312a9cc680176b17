/*
 * worker/jobs/forecast.c: forecast.run and working_capital.compute
 * (forecast.h).
 *
 * forecast.run, one run (docs/FORECAST.md "Jobs"):
 *   1. begin   forecast_run_begin(): a forecast_runs row 'running' for this
 *              job (an earlier attempt left 'running' becomes 'abandoned'),
 *              or NULL when the job already succeeded: nothing to do;
 *   2. read    forecast_inputs(): one row per active SKU with its demand
 *              buckets, lead times and stock, as JSON text;
 *   3. compute chunks of SKUs on the libuv thread pool, at most
 *              FORECAST_PARALLELISM at a time so the pool keeps threads for
 *              DNS and cancels; each chunk runs worker/sku_plan.c on its own
 *              SKUs and builds its own JSON; results are joined on the loop
 *              as chunks come back;
 *   4. finish  ONE statement, forecast_run_finish(): forecasts,
 *              recommendations, failures, counts and status together.
 * A crash or timeout anywhere before 4 commits leaves the run 'running' with
 * no rows and the previous run current; the job runs again (a new run).
 *
 * working_capital.compute: one statement, working_capital_compute(), which
 * stores one snapshot per job id (a re-run returns the stored one).
 *
 * State: struct fc_state (per run, job_run_set_state) owns the SKU items not
 * yet handed to a chunk and the joined output. A chunk is owned by the thread
 * pool while queued or running and comes back to fc_chunk_done, or to
 * fc_chunk_free when the run has ended (timeout, shutdown).
 */
#include "worker/jobs/forecast.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/clock.h"
#include "lib/forecast_stats.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/demand.h"
#include "worker/jobs/pg_outcome.h"
#include "worker/sku_plan.h"

/* The joined JSON of one run: Postgres refuses a text value above 1 GiB; a
 * SKU needs about 1 KiB at horizon 12, so this is several hundred thousand
 * SKUs. */
#define FC_OUTPUT_MAX ((size_t)512 * 1024 * 1024)

enum {
    FC_CHUNK_MAX = 128,      /* SKUs per work item at most: a cancel waits for one */
    FC_CHUNKS_PER_THREAD = 4 /* several chunks per thread even out slow SKUs */
};

const struct config_var jobs_forecast_config_vars[] = {
    {"FORECAST_BUCKET", CONFIG_ENUM, "week", 0, 0, 0, "day|week|month", false},
    {"FORECAST_HORIZON", CONFIG_INT, "12", 0, 1, 520, NULL, false},
    {"FORECAST_HISTORY_WEEKS", CONFIG_INT, "156", 0, 8, 1040, NULL, false},
    {"FORECAST_PARALLELISM", CONFIG_INT, "0", 0, 0, 64, NULL, false},
    {"FORECAST_KEEP_RUNS", CONFIG_INT, "30", 0, 1, 100000, NULL, false},
    {"SERVICE_LEVEL", CONFIG_STR, "0.95", 0, 0, 0, NULL, false},
    {"DEFAULT_LEAD_TIME_DAYS", CONFIG_INT, "14", 0, 0, 730, NULL, false},
    {"REVIEW_PERIOD_DAYS", CONFIG_INT, "7", 0, 0, 365, NULL, false},
    {"BASE_CURRENCY", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"FORECAST_TEST_DELAY_MS", CONFIG_INT, "0", 0, 0, 10000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char begin_sql[] =
    "SELECT forecast_run_begin($1, $2::date, $3, $4::integer, $5::integer, $6::date,"
    " $7::date, $8::jsonb)";
static const char inputs_sql[] =
    "SELECT sku, input::text FROM forecast_inputs($1::date, $2::date, $3)";
static const char finish_sql[] =
    "SELECT forecast_run_finish($1::bigint, $2::jsonb, $3::jsonb, $4::jsonb,"
    " $5::integer)::text";
static const char wc_sql[] =
    "SELECT working_capital_compute($1, $2::date, $3, $4::integer)::text";

/* ---- configuration ---------------------------------------------------------- */

/* SERVICE_LEVEL: a decimal in [0.5, 0.9999]; 0 and *out, else -1. */
static int fc_parse_service_level(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (text == NULL || end == text || *end != '\0' || errno != 0 || !(v >= 0.5) ||
        !(v <= 0.9999))
        return -1;
    *out = v;
    return 0;
}

static bool fc_currency_valid(const char *s)
{
    return s && strlen(s) == 3 && isupper((unsigned char)s[0]) &&
           isupper((unsigned char)s[1]) && isupper((unsigned char)s[2]);
}

void jobs_forecast_config_check(const char *(*get)(const char *name), struct buf *err)
{
    double level;
    const char *base = get("BASE_CURRENCY"), *delay = get("FORECAST_TEST_DELAY_MS");
    const char *env = get("APP_ENV");
    if (fc_parse_service_level(get("SERVICE_LEVEL"), &level) != 0)
        buf_printf(err, "%sSERVICE_LEVEL must be a decimal from 0.5 to 0.9999",
                   err->len ? "; " : "");
    if (base != NULL && base[0] != '\0' && !fc_currency_valid(base))
        buf_printf(err, "%sBASE_CURRENCY must be three capital letters (ISO 4217)",
                   err->len ? "; " : "");
    if (delay != NULL && atoi(delay) > 0 && (env == NULL || strcmp(env, "test") != 0))
        buf_printf(err, "%sFORECAST_TEST_DELAY_MS is a test seam: only with APP_ENV=test",
                   err->len ? "; " : "");
}

int jobs_forecast_parallelism(const struct config *cfg)
{
    long long p = config_int(cfg, "FORECAST_PARALLELISM");
    return p > 0 ? (int)p : (int)uv_available_parallelism();
}

/* The settings of one run, read from the configuration and the clock. */
static void fc_settings(const struct config *cfg, int64_t now_ms, struct sku_plan_settings *s)
{
    enum demand_bucket bucket = DEMAND_WEEK;
    demand_bucket_parse(config_str(cfg, "FORECAST_BUCKET"), &bucket);
    s->today = demand_day_from_ms(now_ms);
    demand_window_init(&s->window, bucket, (int)config_int(cfg, "FORECAST_HISTORY_WEEKS"),
                       s->today);
    s->horizon = (int)config_int(cfg, "FORECAST_HORIZON");
    s->policy.service_level = 0.95;
    fc_parse_service_level(config_str(cfg, "SERVICE_LEVEL"), &s->policy.service_level);
    s->policy.default_lead_days = (double)config_int(cfg, "DEFAULT_LEAD_TIME_DAYS");
    s->policy.review_days = (int)config_int(cfg, "REVIEW_PERIOD_DAYS");
}

/* ---- forecast.run: state --------------------------------------------------------- */

struct fc_item {
    char *sku;
    char *input; /* forecast_inputs() JSON */
};

struct fc_chunk {
    struct sku_plan_settings settings; /* a copy: the thread reads nothing else */
    unsigned delay_ms;                 /* FORECAST_TEST_DELAY_MS, per SKU */
    struct fc_item *items;
    size_t n;
    struct sku_plan_output out;
    int rc; /* sku_plan_run's -1: an output buffer is full */
};

struct fc_state {
    struct job_run *run;
    struct sku_plan_settings settings;
    unsigned delay_ms;
    int parallelism;
    int keep_runs;
    char run_id[24];
    struct fc_item *items; /* entries handed to a chunk are NULL */
    size_t nitems, next, chunk_size;
    int inflight;
    bool overflow;
    struct sku_plan_output all; /* joined chunks; emptied once sent */
    size_t skus_ok, skus_failed;
    uint64_t started_us;
};

static void fc_items_free(struct fc_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].sku);
        free(items[i].input);
    }
    free(items);
}

static void fc_state_free(void *p)
{
    struct fc_state *st = p;
    fc_items_free(st->items, st->nitems);
    sku_plan_output_dispose(&st->all);
    free(st);
}

static void fc_chunk_free(void *p)
{
    struct fc_chunk *c = p;
    fc_items_free(c->items, c->n);
    sku_plan_output_dispose(&c->out);
    free(c);
}

/* ---- forecast.run: steps ----------------------------------------------------------- */

static void fc_finish(struct fc_state *st);
static void fc_dispatch(struct fc_state *st);

/* Thread pool: every SKU of the chunk; stops when an output buffer is full.
 * The test seam's delay makes a run long enough to be killed midway. */
static void fc_chunk_work(void *data)
{
    struct fc_chunk *c = data;
    for (size_t i = 0; i < c->n && c->rc == 0; i++) {
        if (c->delay_ms > 0)
            uv_sleep(c->delay_ms);
        c->rc = sku_plan_run(&c->settings, c->items[i].sku, c->items[i].input, &c->out);
    }
}

/* Appends a chunk's array elements to the run's; -1 when over the cap. */
static int fc_join(struct buf *all, const struct buf *part)
{
    if (part->len == 0)
        return 0;
    if (all->len > 0 && buf_putc(all, ',') != 0)
        return -1;
    return buf_append(all, part->data, part->len);
}

static void fc_chunk_done(struct job_run *run, void *data)
{
    struct fc_chunk *c = data;
    struct fc_state *st = job_run_state(run);
    st->inflight--;
    if (c->rc != 0 || fc_join(&st->all.forecasts, &c->out.forecasts) != 0 ||
        fc_join(&st->all.recommendations, &c->out.recommendations) != 0 ||
        fc_join(&st->all.failures, &c->out.failures) != 0)
        st->overflow = true;
    st->skus_ok += c->out.ok;
    st->skus_failed += c->out.failed;
    fc_chunk_free(c);
    if (!st->overflow) {
        fc_dispatch(st);
    } else if (st->inflight == 0) {
        job_run_fail_permanent(run, "forecast run %s: output over %zu MiB", st->run_id,
                               FC_OUTPUT_MAX >> 20);
    }
}

/* Hands the next SKUs to the thread pool while slots are free; finishes
 * the run once every chunk is back. */
static void fc_dispatch(struct fc_state *st)
{
    while (st->inflight < st->parallelism && st->next < st->nitems) {
        struct fc_chunk *c = mem_calloc(1, sizeof *c);
        size_t n = st->nitems - st->next;
        c->n = n < st->chunk_size ? n : st->chunk_size;
        c->settings = st->settings;
        c->delay_ms = st->delay_ms;
        c->items = mem_alloc(c->n * sizeof *c->items);
        memcpy(c->items, st->items + st->next, c->n * sizeof *c->items);
        memset(st->items + st->next, 0, c->n * sizeof *c->items);
        sku_plan_output_init(&c->out, FC_OUTPUT_MAX);
        st->next += c->n;
        st->inflight++;
        job_run_work(st->run, fc_chunk_work, fc_chunk_done, fc_chunk_free, c);
    }
    if (st->inflight == 0 && st->next == st->nitems)
        fc_finish(st);
}

static void fc_on_finished(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct fc_state *st = data;
    struct job_run *run = st->run;
    if (err != NULL) {
        pg_outcome_fail(run, "forecast_run_finish", err);
        return;
    }
    json_t *r = pg_outcome_json(res);
    const char *status = json_string_value(json_object_get(r, "status"));
    bool failed = status != NULL && strcmp(status, "failed") == 0;
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("run_id", st->run_id),
                        LF_STR("status", status ? status : "?"),
                        LF_INT("skus_ok", st->skus_ok), LF_INT("skus_failed", st->skus_failed),
                        LF_INT("forecast_rows",
                               json_integer_value(json_object_get(r, "forecasts"))),
                        LF_INT("recommendations",
                               json_integer_value(json_object_get(r, "recommendations"))),
                        LF_INT("duration_ms", (clock_mono_us() - st->started_us) / 1000)),
             "forecast run finished");
    json_decref(r);
    if (status == NULL)
        job_run_fail(run, "forecast_run_finish returned no status");
    else if (failed)
        job_run_fail_permanent(run, "forecast run %s: every one of %zu SKUs failed "
                               "(forecast_failures has the reasons)",
                               st->run_id, st->skus_failed);
    else
        job_run_succeed(run);
}

/* Step 4: the one statement that writes the run. */
static void fc_finish(struct fc_state *st)
{
    char keep[16];
    char *forecasts = mem_printf("[%s]", buf_str(&st->all.forecasts));
    char *recs = mem_printf("[%s]", buf_str(&st->all.recommendations));
    char *failures = mem_printf("[%s]", buf_str(&st->all.failures));
    snprintf(keep, sizeof keep, "%d", st->keep_runs);
    sku_plan_output_dispose(&st->all); /* the copies above are what is sent */
    sku_plan_output_init(&st->all, 0);
    const char *params[5] = {st->run_id, forecasts, recs, failures, keep};
    job_run_query(st->run, finish_sql, 5, params, fc_on_finished, st);
    free(forecasts);
    free(recs);
    free(failures);
}

/* Step 2 done: take the SKUs over and start computing. */
static void fc_on_inputs(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct fc_state *st = data;
    if (err != NULL) {
        pg_outcome_fail(st->run, "forecast_inputs", err);
        return;
    }
    /* The payload's optional "skus" (POST /api/v1/forecasts/run) narrows the run. */
    json_t *only = json_object_get(job_run_job(st->run)->payload, "skus");
    size_t rows = (size_t)PQntuples(res);
    st->items = mem_calloc(rows ? rows : 1, sizeof *st->items);
    st->nitems = 0;
    for (size_t i = 0; i < rows; i++) {
        const char *sku = PQgetvalue(res, (int)i, 0);
        bool wanted = !json_is_array(only);
        for (size_t k = 0; !wanted && k < json_array_size(only); k++)
            wanted = json_is_string(json_array_get(only, k)) &&
                     strcmp(json_string_value(json_array_get(only, k)), sku) == 0;
        if (!wanted)
            continue;
        st->items[st->nitems].sku = mem_strdup(sku);
        st->items[st->nitems++].input = mem_strdup(PQgetvalue(res, (int)i, 1));
    }
    size_t per = st->nitems / ((size_t)st->parallelism * FC_CHUNKS_PER_THREAD) + 1;
    st->chunk_size = per < FC_CHUNK_MAX ? per : FC_CHUNK_MAX;
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(st->run)->id), LF_STR("run_id", st->run_id),
                        LF_INT("skus", st->nitems), LF_INT("chunk_size", st->chunk_size),
                        LF_INT("parallelism", st->parallelism)),
             "forecast run computing");
    fc_dispatch(st);
}

/* Step 1 done: a run id, or nothing to do. */
static void fc_on_begun(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct fc_state *st = data;
    char from[11], to[11];
    if (err != NULL) {
        pg_outcome_fail(st->run, "forecast_run_begin", err);
        return;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(st->run)->id)),
                 "forecast run already succeeded for this job; nothing to do");
        job_run_succeed(st->run);
        return;
    }
    snprintf(st->run_id, sizeof st->run_id, "%s", PQgetvalue(res, 0, 0));
    demand_day_format(st->settings.window.first, from);
    demand_day_format(st->settings.window.origin, to);
    const char *params[3] = {from, to, demand_bucket_name(st->settings.window.bucket)};
    job_run_query(st->run, inputs_sql, 3, params, fc_on_inputs, st);
}

/* The settings recorded with the run (forecast_runs.settings). */
static char *fc_settings_json(const struct fc_state *st, int history_weeks)
{
    const struct stock_policy *p = &st->settings.policy;
    json_t *j = json_pack("{s:f, s:f, s:f, s:i, s:i, s:i, s:i}", "service_level",
                          p->service_level, "z", forecast_stats_qnorm(p->service_level),
                          "default_lead_time_days", p->default_lead_days,
                          "review_period_days", p->review_days, "history_weeks",
                          history_weeks, "history_buckets", (int)st->settings.window.n,
                          "parallelism", st->parallelism);
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(j);
    return text;
}

static void forecast_run(struct job_run *run)
{
    const struct config *cfg = job_run_services(run)->cfg;
    struct fc_state *st = mem_calloc(1, sizeof *st);
    char as_of[11], first[11], origin[11], period[8], horizon[8];
    st->run = run;
    st->started_us = clock_mono_us();
    fc_settings(cfg, clock_wall_ms(), &st->settings);
    /* The payload's optional "horizon" (1–520 buckets) overrides FORECAST_HORIZON. */
    json_t *h = json_object_get(job_run_job(run)->payload, "horizon");
    if (json_is_integer(h) && json_integer_value(h) >= 1 && json_integer_value(h) <= 520)
        st->settings.horizon = (int)json_integer_value(h);
    st->parallelism = jobs_forecast_parallelism(cfg);
    st->keep_runs = (int)config_int(cfg, "FORECAST_KEEP_RUNS");
    st->delay_ms = (unsigned)config_int(cfg, "FORECAST_TEST_DELAY_MS");
    sku_plan_output_init(&st->all, FC_OUTPUT_MAX);
    job_run_set_state(run, st, fc_state_free);

    const struct demand_window *w = &st->settings.window;
    demand_day_format(st->settings.today, as_of);
    demand_day_format(w->first, first);
    demand_day_format(w->origin, origin);
    snprintf(period, sizeof period, "%d", demand_period(w->bucket));
    snprintf(horizon, sizeof horizon, "%d", st->settings.horizon);
    char *settings = fc_settings_json(st, (int)config_int(cfg, "FORECAST_HISTORY_WEEKS"));
    const char *params[8] = {job_run_job(run)->id, as_of, demand_bucket_name(w->bucket),
                             period, horizon, first, origin, settings};
    job_run_query(run, begin_sql, 8, params, fc_on_begun, st);
    free(settings);
}

/* ---- working_capital.compute ---------------------------------------------------------- */

/* A snapshot figure as text for the log ("null" when absent). */
static const char *fc_figure(const json_t *snap, const char *key, char *out, size_t size)
{
    const json_t *v = json_object_get(snap, key);
    if (json_is_number(v))
        snprintf(out, size, "%.2f", json_number_value(v));
    else
        snprintf(out, size, "null");
    return out;
}

static void wc_on_result(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    char dso[32], dio[32], dpo[32], ccc[32];
    if (err != NULL) {
        pg_outcome_fail(run, "working_capital_compute", err);
        return;
    }
    json_t *snap = pg_outcome_json(res);
    if (!json_is_object(snap)) {
        json_decref(snap);
        job_run_fail(run, "working_capital_compute returned no snapshot");
        return;
    }
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id),
                        LF_INT("snapshot_id", json_integer_value(json_object_get(snap, "id"))),
                        LF_STR("dso", fc_figure(snap, "dso", dso, sizeof dso)),
                        LF_STR("dio", fc_figure(snap, "dio", dio, sizeof dio)),
                        LF_STR("dpo", fc_figure(snap, "dpo", dpo, sizeof dpo)),
                        LF_STR("ccc", fc_figure(snap, "ccc", ccc, sizeof ccc)),
                        LF_BOOL("replay", json_is_true(json_object_get(snap, "replay")))),
             "working capital computed");
    json_decref(snap);
    job_run_succeed(run);
}

static void working_capital_compute(struct job_run *run)
{
    const struct config *cfg = job_run_services(run)->cfg;
    const char *base = config_str(cfg, "BASE_CURRENCY");
    char as_of[11], days[8];
    demand_day_format(demand_day_from_ms(clock_wall_ms()), as_of);
    snprintf(days, sizeof days, "%d", JOBS_WORKING_CAPITAL_DAYS);
    const char *params[4] = {job_run_job(run)->id, as_of,
                             base && base[0] ? base : NULL, days};
    job_run_query(run, wc_sql, 4, params, wc_on_result, run);
}

struct job *jobs_forecast_working_capital_job(int64_t now_ms)
{
    char day[11];
    int64_t hour = (now_ms / 3600000) % 24;
    demand_day_format(demand_day_from_ms(now_ms), day);
    struct job *job = job_create("forecast", "working_capital.compute", NULL);
    job->dedup_key = mem_printf("wc:%sT%02d", day, (int)(hour < 0 ? hour + 24 : hour));
    return job;
}

/* ---- registry ------------------------------------------------------------------------- */

const struct job_handler jobs_forecast_handlers[] = {
    {.type = "forecast.run", .run = forecast_run, .timeout_ms = JOBS_FORECAST_RUN_TIMEOUT_MS,
     .max_attempts = JOBS_FORECAST_RUN_MAX_ATTEMPTS},
    {.type = "working_capital.compute", .run = working_capital_compute,
     .timeout_ms = JOBS_WORKING_CAPITAL_TIMEOUT_MS},
    {.type = NULL},
};
