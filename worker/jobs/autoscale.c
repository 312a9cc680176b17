/*
 * worker/jobs/autoscale.c: the ops.autoscale job family — once a minute
 * (SCHEDULE "ops.autoscale@1m": the scheduler enqueues it exactly once
 * across replicas) it sizes the worker service from the queues, with the
 * computation of queue/scale.h, and sets the count through Render's API
 * (external-apis.md §10.2).
 *
 * One run:
 *   1. reads, in parallel, the queue names, the worker registry and its own
 *      state hash <prefix>:autoscale (the previous sample and the time of the
 *      last change, shared by every replica);
 *   2. per queue: the stats script (ready, oldest age, enqueued counter) and
 *      the jobstats hash (mean run time); per worker: its WORKER_QUEUES;
 *   3. arrival rate = enqueued counter's growth since the previous sample;
 *      the current count is Render's numInstances (GET /services/{id}) when
 *      RENDER_API_KEY and RENDER_WORKER_SERVICE_ID are set, else the live
 *      workers (advice only: nothing is called);
 *   4. scale_decide with the SCALE_* policy and the last change for the
 *      cooldown; POST /services/{id}/scale when the count is to change;
 *   5. records the decision in the state hash (the API exports it on
 *      /metrics as sentia_autoscale_*) and logs it.
 * Render failing (outage, 429, a bad key) is logged and counted
 * (render_errors) and the run still succeeds: the next minute's run tries
 * again, and the cooldown only starts from a change Render accepted.
 * A run that cannot read Redis fails (one attempt: the next run replaces it).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "queue/queue.h"
#include "queue/scale.h"
#include "worker/jobs/autoscale.h"
#include "worker/jobs/jobs.h"

enum {
    AUTOSCALE_TIMEOUT_MS = 30000,
    AUTOSCALE_HTTP_TIMEOUT_MS = 10000,
    AUTOSCALE_RESPONSE_MAX = 256 * 1024,
    AUTOSCALE_QUEUES_MAX = 64,
    AUTOSCALE_WORKERS_MAX = 256,
    AUTOSCALE_SAMPLE_MAX_MS = 15 * 60 * 1000, /* older samples give no rate */
};

static const struct config_var jobs_autoscale_config_vars[] = {
    {"RENDER_API_KEY", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"RENDER_WORKER_SERVICE_ID", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"RENDER_API_BASE", CONFIG_URL_HTTP, "https://api.render.com/v1", 0, 0, 0, NULL, false},
    {"SCALE_MIN_WORKERS", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_MAX_WORKERS", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_DRAIN_S", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_AGE_MAX_S", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_UTILISATION", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_DOWN_MARGIN", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_STEP_UP", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_STEP_DOWN", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_COOLDOWN_UP_S", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"SCALE_COOLDOWN_DOWN_S", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

/* One run's state (owned by the run, freed by autoscale_free). */
struct autoscale {
    struct job_run *run;
    const struct config *cfg;
    struct scale_policy policy;
    bool render_on;
    int64_t now_ms;
    int pending;
    char *redis_error;              /* first Redis failure, or NULL */
    json_t *state;                  /* the state hash as {field: text} */
    char **names;                   /* queue names */
    struct scale_queue *qs;
    int64_t *enqueued;              /* each queue's counter now */
    size_t n;
    char **worker_ids;
    size_t nworkers;
    int live;
    char *spec;                     /* a live worker's WORKER_QUEUES */
    int current;
    struct scale_decision d;
    bool applied;
    char render[160];               /* "ok", "off", or what went wrong */
};

static void autoscale_free(void *data)
{
    struct autoscale *a = data;
    for (size_t i = 0; i < a->n; i++)
        free(a->names[i]);
    for (size_t i = 0; i < a->nworkers; i++)
        free(a->worker_ids[i]);
    free(a->names);
    free(a->qs);
    free(a->enqueued);
    free(a->worker_ids);
    free(a->spec);
    free(a->redis_error);
    json_decref(a->state);
    free(a);
}

/* ---- configuration ------------------------------------------------------------------ */

static bool autoscale_set(const struct config *cfg, const char *name)
{
    const char *v = config_str(cfg, name);
    return v != NULL && v[0] != '\0';
}

/* Render is called only when both its key and the service id are set. */
static bool autoscale_render_on(const struct config *cfg)
{
    return autoscale_set(cfg, "RENDER_API_KEY") && autoscale_set(cfg, "RENDER_WORKER_SERVICE_ID");
}

/* The SCALE_* policy from `get`; 0, or -1 with the bad variable's name in *bad. */
static int autoscale_policy(const char *(*get)(const char *name, void *ctx), void *ctx,
                            struct scale_policy *p, const char **bad)
{
    scale_policy_default(p);
    for (size_t i = 0; scale_policy_names[i]; i++) {
        const char *v = get(scale_policy_names[i], ctx);
        if (v != NULL && v[0] != '\0' && scale_policy_set(p, scale_policy_names[i], v) != 0) {
            *bad = scale_policy_names[i];
            return -1;
        }
    }
    *bad = "SCALE_MIN_WORKERS";
    return scale_policy_check(p);
}

static const char *autoscale_env(const char *name, void *ctx)
{
    const char *(*get)(const char *) = *(const char *(**)(const char *))ctx;
    return get(name);
}

void jobs_autoscale_config_check(const char *(*get)(const char *name), struct buf *err)
{
    struct scale_policy p;
    const char *bad;
    if (autoscale_policy(autoscale_env, &get, &p, &bad) != 0)
        buf_printf(err, "%s%s is out of range, or SCALE_MIN_WORKERS is above SCALE_MAX_WORKERS",
                   err->len ? "; " : "", bad);
}

static const char *autoscale_cfg(const char *name, void *ctx)
{
    return config_str(ctx, name);
}

/* ---- 5. record ---------------------------------------------------------------------- */

/* Every reply of the record step; the last one ends the run. */
static void autoscale_on_recorded(struct job_run *run, const redisReply *reply,
                                  const char *error, void *data)
{
    struct autoscale *a = data;
    (void)reply;
    if (error != NULL)
        log_warn(LOG_FIELDS(LF_STR("error", error)), "autoscale: decision not recorded");
    if (--a->pending == 0)
        job_run_succeed(run);
}

static void autoscale_log(const struct autoscale *a)
{
    log_info(LOG_FIELDS(LF_INT("current", a->d.current), LF_INT("need", a->d.need),
                        LF_INT("need_down", a->d.need_down), LF_INT("desired", a->d.desired),
                        LF_STR("reason", scale_reason_name(a->d.reason)),
                        LF_STR("queue", a->d.queue ? a->d.queue : ""),
                        LF_BOOL("applied", a->applied), LF_STR("render", a->render)),
             "autoscale decision");
}

/* Sends one command of the record step. */
static void autoscale_send(struct autoscale *a, struct redis_args *r)
{
    a->pending++;
    job_run_redis(a->run, NULL, 0, r, autoscale_on_recorded, a);
    redis_args_dispose(r);
}

/* HINCRBY <prefix>:autoscale field 1. */
static void autoscale_count(struct autoscale *a, const char *field)
{
    struct redis_args r;
    redis_args_init(&r);
    redis_args_add(&r, "HINCRBY");
    redis_args_add_fmt(&r, "%s:autoscale", job_run_services(a->run)->prefix);
    redis_args_add(&r, field);
    redis_args_add(&r, "1");
    autoscale_send(a, &r);
}

static void autoscale_add_field(struct redis_args *r, const char *field, long long v)
{
    redis_args_add(r, field);
    redis_args_add_int(r, v);
}

/* The decision's fields, this sample's counters and (after a change) its time. */
static void autoscale_store(struct autoscale *a)
{
    struct redis_args r;
    redis_args_init(&r);
    redis_args_add(&r, "HSET");
    redis_args_add_fmt(&r, "%s:autoscale", job_run_services(a->run)->prefix);
    autoscale_add_field(&r, "sample_ms", a->now_ms);
    for (size_t i = 0; i < a->n; i++) {
        redis_args_add_fmt(&r, "enqueued|%s", a->names[i]);
        redis_args_add_int(&r, a->enqueued[i]);
    }
    if (a->applied)
        autoscale_add_field(&r, "changed_ms", a->now_ms);
    autoscale_add_field(&r, "current", a->d.current);
    autoscale_add_field(&r, "need", a->d.need);
    autoscale_add_field(&r, "need_down", a->d.need_down);
    autoscale_add_field(&r, "desired", a->d.desired);
    autoscale_add_field(&r, "enabled", a->render_on);
    redis_args_add(&r, "reason");
    redis_args_add(&r, scale_reason_name(a->d.reason));
    redis_args_add(&r, "queue");
    redis_args_add(&r, a->d.queue ? a->d.queue : "");
    redis_args_add(&r, "render");
    redis_args_add(&r, a->render);
    autoscale_send(a, &r);
}

/* Stores the decision, counts it (decisions|<reason>, scales, render_errors). */
static void autoscale_record(struct autoscale *a, bool render_failed)
{
    char field[48];
    autoscale_log(a);
    a->pending = 0;
    autoscale_store(a);
    snprintf(field, sizeof field, "decisions|%s", scale_reason_name(a->d.reason));
    autoscale_count(a, field);
    if (a->applied)
        autoscale_count(a, "scales");
    if (render_failed)
        autoscale_count(a, "render_errors");
}

/* ---- 4. decide and scale ------------------------------------------------------------ */

static int64_t autoscale_state_int(const struct autoscale *a, const char *field)
{
    const char *v = json_string_value(json_object_get(a->state, field));
    return v ? strtoll(v, NULL, 10) : 0;
}

static void autoscale_decide(struct autoscale *a)
{
    scale_decide(&a->policy, a->qs, a->n, a->current, autoscale_state_int(a, "changed_ms"),
                 a->now_ms, &a->d);
}

/* Why a Render answer is not a success, into a->render (never the key). */
static void autoscale_render_error(struct autoscale *a, const char *what,
                                   const struct http_response *res)
{
    const char *reset = http_response_header(res, "Ratelimit-Reset");
    if (res->status == 0)
        snprintf(a->render, sizeof a->render, "%s: %s", what, res->error ? res->error : "failed");
    else if (res->status == 429)
        snprintf(a->render, sizeof a->render, "%s: 429 rate limited (Ratelimit-Reset %s)", what,
                 reset ? reset : "?");
    else
        snprintf(a->render, sizeof a->render, "%s: HTTP %ld", what, res->status);
    log_warn(LOG_FIELDS(LF_STR("render", a->render), LF_INT("status", res->status)),
             "autoscale: Render API call failed; the next run tries again");
}

static void autoscale_on_scaled(void *data, const struct http_response *res)
{
    struct autoscale *a = data;
    bool ok = res->status == 202 || res->status == 200;
    if (ok) {
        a->applied = true;
        snprintf(a->render, sizeof a->render, "ok");
    } else {
        autoscale_render_error(a, "scale", res);
    }
    autoscale_record(a, !ok);
}

/* Render's URL for this service, plus `tail`. */
static char *autoscale_url(const struct autoscale *a, const char *tail)
{
    const char *base = config_str(a->cfg, "RENDER_API_BASE");
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    return mem_printf("%.*s/services/%s%s", (int)len, base,
                      config_str(a->cfg, "RENDER_WORKER_SERVICE_ID"), tail);
}

static void autoscale_call(struct autoscale *a, const char *method, const char *tail,
                           const char *body, http_cb cb)
{
    char *url = autoscale_url(a, tail);
    char *auth = mem_printf("Authorization: Bearer %s", config_str(a->cfg, "RENDER_API_KEY"));
    const char *headers[] = {"Accept: application/json", "Content-Type: application/json", auth,
                             NULL};
    struct http_request req = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = AUTOSCALE_HTTP_TIMEOUT_MS,
        .max_response_bytes = AUTOSCALE_RESPONSE_MAX,
    };
    job_run_http(a->run, &req, cb, a);
    free(url);
    memset(auth, 0, strlen(auth));
    free(auth);
}

static void autoscale_scale(struct autoscale *a)
{
    char body[48];
    snprintf(body, sizeof body, "{\"numInstances\":%d}", a->d.desired);
    autoscale_call(a, "POST", "/scale", body, autoscale_on_scaled);
}

/* numInstances and autoscaling.enabled of a Service document; -1 if absent. */
static int autoscale_parse_service(const struct http_response *res, bool *render_autoscales)
{
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *details = json_object_get(doc, "serviceDetails");
    json_t *n = json_object_get(details, "numInstances");
    int count = json_is_integer(n) && json_integer_value(n) >= 0 &&
                        json_integer_value(n) <= SCALE_WORKERS_LIMIT
                    ? (int)json_integer_value(n)
                    : -1;
    *render_autoscales =
        json_is_true(json_object_get(json_object_get(details, "autoscaling"), "enabled"));
    json_decref(doc);
    return count;
}

static void autoscale_on_service(void *data, const struct http_response *res)
{
    struct autoscale *a = data;
    bool render_autoscales = false;
    int count = res->status == 200 ? autoscale_parse_service(res, &render_autoscales) : -1;
    if (count < 0) {
        if (res->status == 200)
            log_warn(LOG_FIELDS(LF_STR("render", "service: no serviceDetails.numInstances")),
                     "autoscale: Render API answer unreadable; the next run tries again");
        autoscale_render_error(a, "service", res);
        autoscale_decide(a); /* the advice from the live workers, not applied */
        autoscale_record(a, true);
        return;
    }
    a->current = count;
    autoscale_decide(a);
    if (render_autoscales) {
        snprintf(a->render, sizeof a->render, "render autoscaling is on: /scale would be ignored");
        autoscale_record(a, false);
    } else if (a->d.desired != a->d.current) {
        autoscale_scale(a);
    } else {
        snprintf(a->render, sizeof a->render, "ok");
        autoscale_record(a, false);
    }
}

/* ---- 3. figures --------------------------------------------------------------------- */

/* Arrival rates from the previous sample, slots from the worker spec. */
static void autoscale_figures(struct autoscale *a)
{
    int64_t prev_ms = autoscale_state_int(a, "sample_ms");
    double window_s = (double)(a->now_ms - prev_ms) / 1000.0;
    bool rate_ok = prev_ms > 0 && window_s >= 1 && a->now_ms - prev_ms <= AUTOSCALE_SAMPLE_MAX_MS;
    for (size_t i = 0; i < a->n; i++) {
        char field[160];
        snprintf(field, sizeof field, "enqueued|%s", a->names[i]);
        json_t *prev = json_object_get(a->state, field);
        int64_t grew = prev ? a->enqueued[i] - strtoll(json_string_value(prev), NULL, 10) : 0;
        a->qs[i].arrival_per_s = rate_ok && prev && grew > 0 ? (double)grew / window_s : 0;
        a->qs[i].slots = a->spec ? scale_slots_of(a->spec, a->names[i]) : 0;
    }
}

static void autoscale_measured(struct autoscale *a)
{
    if (a->redis_error != NULL) {
        job_run_fail(a->run, "autoscale: redis: %s", a->redis_error);
        return;
    }
    autoscale_figures(a);
    a->current = a->live;
    if (!a->render_on) {
        snprintf(a->render, sizeof a->render, "off");
        autoscale_decide(a);
        autoscale_record(a, false);
        return;
    }
    autoscale_call(a, "GET", "", NULL, autoscale_on_service);
}

/* ---- 2. per queue and per worker ------------------------------------------------------ */

static bool autoscale_reply_ok(struct autoscale *a, const char *error)
{
    if (error != NULL && a->redis_error == NULL)
        a->redis_error = mem_strdup(error);
    return error == NULL;
}

static void autoscale_on_stats(struct job_run *run, const redisReply *reply, const char *error,
                               void *data)
{
    struct autoscale *a = job_run_state(run);
    size_t i = (size_t)(uintptr_t)data;
    struct queue_stats s;
    if (autoscale_reply_ok(a, error) && queue_parse_stats(reply, &s) == 0) {
        a->qs[i].ready = s.ready;
        a->qs[i].oldest_age_s = (double)s.oldest_age_ms / 1000.0;
        a->enqueued[i] = s.counters.enqueued;
    }
    if (--a->pending == 0)
        autoscale_measured(a);
}

static void autoscale_on_jobstats(struct job_run *run, const redisReply *reply,
                                  const char *error, void *data)
{
    struct autoscale *a = job_run_state(run);
    size_t i = (size_t)(uintptr_t)data;
    if (autoscale_reply_ok(a, error))
        a->qs[i].mean_run_s = scale_mean_run_s(reply);
    if (--a->pending == 0)
        autoscale_measured(a);
}

static void autoscale_on_worker(struct job_run *run, const redisReply *reply, const char *error,
                                void *data)
{
    struct autoscale *a = job_run_state(run);
    (void)data;
    if (autoscale_reply_ok(a, error) && reply->type == REDIS_REPLY_STRING) {
        a->live++;
        if (a->spec == NULL)
            a->spec = mem_strdup(reply->str);
    }
    if (--a->pending == 0)
        autoscale_measured(a);
}

static void autoscale_ask_queue(struct autoscale *a, size_t i)
{
    const char *prefix = job_run_services(a->run)->prefix;
    struct queue_op op;
    struct redis_args r;
    queue_op_stats(&op, prefix, a->names[i]);
    job_run_redis(a->run, op.script, op.nkeys, &op.args, autoscale_on_stats, (void *)(uintptr_t)i);
    queue_op_dispose(&op);
    redis_args_init(&r);
    redis_args_add(&r, "HGETALL");
    redis_args_add_fmt(&r, "%s:{%s}:jobstats", prefix, a->names[i]);
    job_run_redis(a->run, NULL, 0, &r, autoscale_on_jobstats, (void *)(uintptr_t)i);
    redis_args_dispose(&r);
}

static void autoscale_ask_worker(struct autoscale *a, size_t i)
{
    struct redis_args r;
    redis_args_init(&r);
    redis_args_add(&r, "HGET");
    redis_args_add_fmt(&r, "%s:worker:%s", job_run_services(a->run)->prefix, a->worker_ids[i]);
    redis_args_add(&r, "queues");
    job_run_redis(a->run, NULL, 0, &r, autoscale_on_worker, NULL);
    redis_args_dispose(&r);
}

static void autoscale_measure(struct autoscale *a)
{
    if (a->redis_error != NULL || a->n + a->nworkers == 0) {
        autoscale_measured(a);
        return;
    }
    a->pending = (int)(2 * a->n + a->nworkers);
    for (size_t i = 0; i < a->n; i++)
        autoscale_ask_queue(a, i);
    for (size_t i = 0; i < a->nworkers; i++)
        autoscale_ask_worker(a, i);
}

/* ---- 1. names, registry, state -------------------------------------------------------- */

/* The strings of an array reply, at most max, copied. */
static char **autoscale_strings(const redisReply *r, size_t max, size_t *n)
{
    size_t count = r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    count = count < max ? count : max;
    char **out = mem_calloc(count ? count : 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < count; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            out[(*n)++] = mem_strdup(r->element[i]->str);
    return out;
}

static void autoscale_first_done(struct autoscale *a)
{
    if (--a->pending == 0)
        autoscale_measure(a);
}

static void autoscale_on_names(struct job_run *run, const redisReply *reply, const char *error,
                               void *data)
{
    struct autoscale *a = data;
    if (autoscale_reply_ok(a, error)) {
        a->names = autoscale_strings(reply, AUTOSCALE_QUEUES_MAX, &a->n);
        a->qs = mem_calloc(a->n ? a->n : 1, sizeof *a->qs);
        a->enqueued = mem_calloc(a->n ? a->n : 1, sizeof *a->enqueued);
        for (size_t i = 0; i < a->n; i++)
            a->qs[i].name = a->names[i];
    }
    (void)run;
    autoscale_first_done(a);
}

static void autoscale_on_workers(struct job_run *run, const redisReply *reply,
                                 const char *error, void *data)
{
    struct autoscale *a = data;
    if (autoscale_reply_ok(a, error))
        a->worker_ids = autoscale_strings(reply, AUTOSCALE_WORKERS_MAX, &a->nworkers);
    (void)run;
    autoscale_first_done(a);
}

static void autoscale_on_state(struct job_run *run, const redisReply *reply, const char *error,
                               void *data)
{
    struct autoscale *a = data;
    if (autoscale_reply_ok(a, error) && reply->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < reply->elements; i += 2)
            json_object_set_new(a->state, reply->element[i]->str,
                                json_string(reply->element[i + 1]->str));
    (void)run;
    autoscale_first_done(a);
}

/* cmd <prefix>:<key> [extra -1] */
static void autoscale_command(struct autoscale *a, const char *cmd, const char *key,
                              const char *extra, job_redis_cb cb)
{
    struct redis_args r;
    redis_args_init(&r);
    redis_args_add(&r, cmd);
    redis_args_add_fmt(&r, "%s:%s", job_run_services(a->run)->prefix, key);
    if (extra != NULL) {
        redis_args_add(&r, extra);
        redis_args_add(&r, "-1");
    }
    job_run_redis(a->run, NULL, 0, &r, cb, a);
    redis_args_dispose(&r);
}

static void autoscale_run(struct job_run *run)
{
    const struct config *cfg = job_run_services(run)->cfg;
    struct autoscale *a = mem_calloc(1, sizeof *a);
    const char *bad;
    a->run = run;
    a->cfg = cfg;
    a->state = json_object();
    job_run_set_state(run, a, autoscale_free);
    if (autoscale_policy(autoscale_cfg, (void *)cfg, &a->policy, &bad) != 0) {
        job_run_fail_permanent(run, "autoscale: %s is out of range", bad);
        return;
    }
    a->render_on = autoscale_render_on(cfg);
    a->now_ms = clock_wall_ms();
    a->pending = 3;
    autoscale_command(a, "SMEMBERS", "queues", NULL, autoscale_on_names);
    autoscale_command(a, "ZRANGE", "workers", "0", autoscale_on_workers);
    autoscale_command(a, "HGETALL", "autoscale", NULL, autoscale_on_state);
}

static const struct job_handler jobs_autoscale_handlers[] = {
    {"ops.autoscale", autoscale_run, 1, AUTOSCALE_TIMEOUT_MS},
    {NULL, NULL, 0, 0},
};

const struct job_family jobs_ops = {
    .name = "ops",
    .handlers = jobs_autoscale_handlers,
    .config = jobs_autoscale_config_vars,
};
