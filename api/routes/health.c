/*
 * api/routes/health.c: the probes and the detailed health document (see
 * health.h).
 */
#include "api/routes/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/history.h"
#include "api/metrics.h"
#include "api/server.h"
#include "api/routes/opsdb.h"
#include "api/routes/qcall.h"
#include "api/snapshot.h"
#include "lib/clock.h"
#include "lib/git_commit.h"
#include "lib/mem.h"
#include "lib/redis.h"

/* ---- rules -------------------------------------------------------------- */

const char *health_status_name(enum health_status st)
{
    return st == HEALTH_HEALTHY ? "healthy" : st == HEALTH_DEGRADED ? "degraded" : "unhealthy";
}

bool health_worker_serves(const struct snapshot_worker *w, const char *queue)
{
    return snapshot_worker_serves(w, queue);
}

/* Appends "<what> <name> <why>" to the reasons array. */
static void health_reason(json_t *reasons, const char *what, const char *name,
                          const char *why)
{
    char *s = mem_printf("%s %s %s", what, name, why);
    json_array_append_new(reasons, json_string(s));
    free(s);
}

enum health_status health_evaluate(const struct snapshot *s, int64_t stale_job_ms,
                                   json_t *reasons)
{
    if (!s->redis_ok || !s->complete) {
        json_array_append_new(reasons, json_string(s->redis_ok ? "redis answered only in part"
                                                               : "redis unreachable"));
        return HEALTH_UNHEALTHY;
    }
    enum health_status st = HEALTH_HEALTHY;
    for (size_t i = 0; i < s->nqueues; i++) {
        const struct snapshot_queue *q = &s->queues[i];
        bool served = false;
        for (size_t w = 0; w < s->nworkers && !served; w++)
            served = health_worker_serves(&s->workers[w], q->name);
        if (q->stats.ready > 0 && !served) {
            health_reason(reasons, "queue", q->name, "has ready jobs and no live worker");
            st = HEALTH_DEGRADED;
        }
        if (q->stats.ready > 0 && q->stats.oldest_age_ms > stale_job_ms) {
            health_reason(reasons, "queue", q->name, "has a ready job older than STALE_JOB_MS");
            st = HEALTH_DEGRADED;
        }
    }
    for (size_t w = 0; w < s->nworkers; w++) {
        const struct snapshot_worker *wk = &s->workers[w];
        if (wk->live && wk->postgres && strcmp(wk->postgres, "down") == 0) {
            health_reason(reasons, "worker", wk->id, "reports postgres down");
            st = HEALTH_DEGRADED;
        }
    }
    return st;
}

/* ---- documents ---------------------------------------------------------- */

static json_t *health_queue_json(const struct snapshot *s, const struct snapshot_queue *q)
{
    size_t live = 0;
    for (size_t w = 0; w < s->nworkers; w++)
        live += health_worker_serves(&s->workers[w], q->name);
    return json_pack("{sIsIsIsIsbsIsI}", "ready", (json_int_t)q->stats.ready, "delayed",
                     (json_int_t)q->stats.delayed, "active", (json_int_t)q->stats.active,
                     "dead", (json_int_t)q->stats.dead, "paused", q->stats.paused,
                     "oldest_ready_age_ms", (json_int_t)q->stats.oldest_age_ms,
                     "live_workers", (json_int_t)live);
}

/* Postgres as the workers last reported it: up, down, or unknown. */
static json_t *health_postgres_json(const struct snapshot *s)
{
    size_t up = 0, down = 0;
    int64_t changed = 0;
    for (size_t w = 0; w < s->nworkers; w++) {
        const struct snapshot_worker *wk = &s->workers[w];
        if (!wk->live || wk->postgres == NULL)
            continue;
        up += strcmp(wk->postgres, "up") == 0;
        down += strcmp(wk->postgres, "down") == 0;
        if (wk->postgres_changed_ms > changed)
            changed = wk->postgres_changed_ms;
    }
    const char *st = down ? "down" : up ? "up" : "unknown";
    return json_pack("{sssIsIsI}", "status", st, "workers_up", (json_int_t)up,
                     "workers_down", (json_int_t)down, "last_change_ms", (json_int_t)changed);
}

static json_t *health_workers_json(const struct snapshot *s)
{
    json_t *list = json_array();
    size_t live = 0;
    for (size_t w = 0; w < s->nworkers; w++) {
        const struct snapshot_worker *wk = &s->workers[w];
        if (!wk->live)
            continue;
        live++;
        json_array_append_new(
            list, json_pack("{ss*ss*ss*ss*sI}", "id", wk->id, "host", wk->host, "queues",
                            wk->queues, "postgres", wk->postgres, "heartbeat_ms",
                            (json_int_t)wk->heartbeat_ms));
    }
    return json_pack("{sIso}", "live", (json_int_t)live, "list", list);
}

/* What the Redis look decided, waiting for the Postgres look (opsdb). */
struct health_detail {
    json_t *doc, *reasons;
    enum health_status st;
};

/* RSS above this share of the instance's memory is degraded (the alert's line). */
#define HEALTH_RSS_SHARE 0.85
/* The freshness promise (docs/OPERATIONS.md, "Freshness schedule"). */
#define HEALTH_FRESHNESS_S 1800.0

static void health_degrade(struct health_detail *d, const char *why)
{
    json_array_append_new(d->reasons, json_string(why));
    if (d->st == HEALTH_HEALTHY)
        d->st = HEALTH_DEGRADED;
}

/* Freshness of each synced resource; stale ones degrade. */
static json_t *health_integrations_json(struct health_detail *d, const json_t *data)
{
    json_t *list = json_array();
    double now = json_number_value(json_object_get(data, "now_s")), oldest = 0;
    size_t i, stale = 0;
    const json_t *it;
    json_array_foreach(json_object_get(data, "integrations"), i, it) {
        const char *src = json_string_value(json_object_get(it, "source"));
        const char *res = json_string_value(json_object_get(it, "resource"));
        double last = json_number_value(json_object_get(it, "last_success_s"));
        double age = last > 0 ? now - last : -1;
        if (src == NULL || res == NULL)
            continue;
        if (age < 0 || age > HEALTH_FRESHNESS_S) {
            char *why = mem_printf("integration %s/%s has no successful pass in 30 min", src, res);
            health_degrade(d, why);
            free(why);
            stale++;
        }
        if (age > oldest)
            oldest = age;
        json_array_append_new(list, json_pack("{sssssO}", "provider", src, "resource", res,
                                              "age_s", age < 0 ? json_null() : json_real(age)));
    }
    return json_pack("{sIsIsfsfso}", "resources", (json_int_t)json_array_size(list), "stale",
                     (json_int_t)stale, "promise_s", HEALTH_FRESHNESS_S, "oldest_age_s", oldest,
                     "list", list);
}

static json_t *health_process_json(struct health_detail *d)
{
    struct rusage ru;
    int64_t rss = metrics_rss_bytes(), limit = metrics_memory_limit_bytes();
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    if (limit > 0 && (double)rss > HEALTH_RSS_SHARE * (double)limit)
        health_degrade(d, "process resident memory above 85% of the instance's memory");
    return json_pack("{sIsIsf}", "rss_bytes", (json_int_t)rss, "memory_limit_bytes",
                     (json_int_t)limit, "cpu_seconds", cpu);
}

static void health_detailed_data(h2o_req_t *req, const struct opsdb *o, void *data)
{
    struct health_detail *d = data;
    if (req != NULL) {
        json_t *components = json_object_get(d->doc, "components");
        json_object_set_new(json_object_get(components, "postgres"), "api", opsdb_pool_json(o));
        if (o->configured && !o->up)
            health_degrade(d, "postgres unreachable from this API instance");
        if (o->data != NULL)
            json_object_set_new(components, "integrations", health_integrations_json(d, o->data));
        json_object_set_new(components, "process", health_process_json(d));
        json_object_set_new(d->doc, "status", json_string(health_status_name(d->st)));
        if (d->st == HEALTH_UNHEALTHY)
            api_add_header(req, "retry-after", "5");
        api_respond_json(req, d->st == HEALTH_UNHEALTHY ? 503 : 200, json_incref(d->doc));
    }
    json_decref(d->doc);
    free(d);
}

static void health_detailed_done(h2o_req_t *req, const struct snapshot *s)
{
    struct health_detail *d = mem_calloc(1, sizeof *d);
    d->reasons = json_array();
    d->st = health_evaluate(s, api_ctx_config(req)->stale_job_ms, d->reasons);
    json_t *queues = json_object();
    for (size_t i = 0; i < s->nqueues; i++)
        if (s->queues[i].ok)
            json_object_set_new(queues, s->queues[i].name, health_queue_json(s, &s->queues[i]));
    json_t *redis = json_pack("{ss}", "status", s->redis_ok ? "up" : "down");
    if (s->redis_ok)
        json_object_set_new(redis, "latency_ms", json_real((double)s->ping_us / 1000.0));
    d->doc = json_pack("{sssOsssf}", "status", health_status_name(d->st), "reasons", d->reasons,
                       "version", SENTIA_VERSION, "uptime_s", api_ctx_uptime_s(req));
    json_decref(d->reasons); /* the document holds it */
    json_object_set_new(d->doc, "components",
                        json_pack("{sosososo}", "redis", redis, "queues", queues, "workers",
                                  health_workers_json(s), "postgres",
                                  health_postgres_json(s)));
    opsdb_collect(req, health_detailed_data, d);
}

/* ---- readiness ---------------------------------------------------------- */

struct health_ping {
    struct api_pending pending;
    uint64_t sent_us;
};

static void health_not_ready(h2o_req_t *req, const char *why)
{
    api_add_header(req, "retry-after", "5");
    api_respond_json(req, 503, json_pack("{sssbssssss}", "status", "not_ready", "ready", 0,
                                         "redis", "down", "reason", why, "request_id",
                                         api_request_id(req)));
}

static void health_ping_expired(struct api_pending *p)
{
    h2o_req_t *req = api_pending_end(p);
    if (req != NULL)
        health_not_ready(req, "redis did not answer in time");
}

static void health_ping_reply(void *data, const redisReply *reply, const char *error)
{
    struct health_ping *hp = data;
    bool armed = api_pending_armed(&hp->pending);
    h2o_req_t *req = api_pending_end(&hp->pending);
    if (armed && req != NULL && error == NULL && reply != NULL) {
        double ms = (double)(clock_mono_us() - hp->sent_us) / 1000.0;
        api_respond_json(req, 200, json_pack("{sssbsssf}", "status", "ready", "ready", 1,
                                             "redis", "up", "latency_ms", ms));
    } else if (armed && req != NULL) {
        health_not_ready(req, error ? error : "no reply");
    }
    free(hp);
}

void health_ready(struct api_call *call)
{
    h2o_req_t *req = call->req;
    if (!api_ctx_redis_up(req)) {
        health_not_ready(req, "redis unreachable");
        return;
    }
    struct health_ping *hp = mem_calloc(1, sizeof *hp);
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "PING");
    hp->sent_us = clock_mono_us();
    api_pending_begin(&hp->pending, api_ctx_pending(req), req, health_ping_expired);
    if (redis_client_command(api_ctx_redis(req), 0, health_ping_reply, hp, &a) != 0) {
        api_pending_end(&hp->pending);
        free(hp);
        health_not_ready(req, "redis unreachable");
    }
    redis_args_dispose(&a);
}

/* ---- routes ------------------------------------------------------------- */

void health_ok(struct api_call *call)
{
    h2o_req_t *req = call->req;
    api_respond_json(req, 200,
                     json_pack("{ssssssssssso}", "status", "healthy", "service", "sentia-api",
                               "version", SENTIA_VERSION, "commit", SENTIA_GIT_COMMIT,
                               "environment", api_ctx_config(req)->env_name, "timestamp",
                               qcall_time(clock_wall_ms())));
}

void health_live(struct api_call *call)
{
    api_respond_json(call->req, 200, json_pack("{sssf}", "status", "alive", "uptime_s",
                                               api_ctx_uptime_s(call->req)));
}

void health_history(struct api_call *call)
{
    h2o_req_t *req = call->req;
    const struct api_server *s = api_ctx_server(req);
    api_respond_json(req, 200,
                     json_pack("{sisIso}", "interval_s", s->cfg.history_interval_ms / 1000,
                               "window_s", (json_int_t)(API_HISTORY_WINDOW_MS / 1000), "samples",
                               api_history_json(s->history, clock_wall_ms())));
}

void health_detailed(struct api_call *call)
{
    snapshot_collect(call->req, false, health_detailed_done);
}
