/*
 * api/history.c: the health history ring and its sampler (see history.h).
 */
#include "api/history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "api/metrics.h"
#include "api/server.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/pgpool.h"
#include "lib/redis.h"

enum { HISTORY_CHECK_TIMEOUT_MS = 5000, HISTORY_REASONS = 4, HISTORY_REASON_MAX = 96 };

#define HISTORY_RSS_SHARE 0.85

struct history_sample {
    int64_t at_ms;
    const char *status;               /* static */
    char reasons[HISTORY_REASONS][HISTORY_REASON_MAX];
    int nreasons;
    double redis_ms, postgres_ms;     /* < 0: no answer */
    bool postgres_configured;
    int64_t rss;
};

struct api_history {
    uv_mutex_t lock;
    struct history_sample ring[API_HISTORY_SAMPLES];
    size_t next, n;
};

struct api_history_sampler {
    struct api_thread *t;
    struct api_history *h;
    uv_timer_t timer;
    int interval_ms;
    int outstanding;      /* checks out + the timer while open */
    bool stopped;
    uint64_t sent_us;
    struct history_sample cur;
};

struct api_history *api_history_create(void)
{
    struct api_history *h = mem_calloc(1, sizeof *h);
    uv_mutex_init(&h->lock);
    return h;
}

void api_history_free(struct api_history *h)
{
    if (h == NULL)
        return;
    uv_mutex_destroy(&h->lock);
    free(h);
}

static json_t *history_latency(double ms)
{
    return ms < 0 ? json_null() : json_real(ms);
}

static json_t *history_sample_json(const struct history_sample *s)
{
    char at[40];
    time_t secs = (time_t)(s->at_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(at + n, sizeof at - n, ".%03dZ", (int)(s->at_ms % 1000));
    json_t *reasons = json_array();
    for (int i = 0; i < s->nreasons; i++)
        json_array_append_new(reasons, json_string(s->reasons[i]));
    return json_pack("{sssssoso*sosI}", "at", at, "status", s->status, "reasons", reasons,
                     "redis_latency_ms", history_latency(s->redis_ms), "postgres_latency_ms",
                     s->postgres_configured ? history_latency(s->postgres_ms) : json_null(),
                     "rss_bytes", (json_int_t)s->rss);
}

json_t *api_history_json(struct api_history *h, int64_t now_ms)
{
    json_t *list = json_array();
    uv_mutex_lock(&h->lock);
    for (size_t i = 1; i <= h->n; i++) {
        const struct history_sample *s =
            &h->ring[(h->next + API_HISTORY_SAMPLES - i) % API_HISTORY_SAMPLES];
        if (now_ms - s->at_ms <= API_HISTORY_WINDOW_MS)
            json_array_append_new(list, history_sample_json(s));
    }
    uv_mutex_unlock(&h->lock);
    return list;
}

/* ---- the sampler ---------------------------------------------------------- */

static void history_reason(struct history_sample *s, const char *why)
{
    if (s->nreasons < HISTORY_REASONS)
        snprintf(s->reasons[s->nreasons++], HISTORY_REASON_MAX, "%s", why);
}

static void history_sampler_release(struct api_history_sampler *s)
{
    if (--s->outstanding == 0)
        free(s);
}

/* Both checks are back: judge and store the sample. */
static void history_store(struct api_history_sampler *s)
{
    struct history_sample *c = &s->cur;
    int64_t limit = metrics_memory_limit_bytes();
    c->rss = metrics_rss_bytes();
    c->status = "healthy";
    if (c->redis_ms < 0) {
        history_reason(c, "redis unreachable");
        c->status = "unhealthy";
    }
    if (c->postgres_configured && c->postgres_ms < 0) {
        history_reason(c, "postgres unreachable from this API instance");
        c->status = c->redis_ms < 0 ? c->status : "degraded";
    }
    if (limit > 0 && (double)c->rss > HISTORY_RSS_SHARE * (double)limit) {
        history_reason(c, "process resident memory above 85% of the instance's memory");
        c->status = c->redis_ms < 0 ? c->status : "degraded";
    }
    uv_mutex_lock(&s->h->lock);
    s->h->ring[s->h->next] = *c;
    s->h->next = (s->h->next + 1) % API_HISTORY_SAMPLES;
    if (s->h->n < API_HISTORY_SAMPLES)
        s->h->n++;
    uv_mutex_unlock(&s->h->lock);
}

/* One check came back; the last one stores the sample. */
static void history_check_done(struct api_history_sampler *s)
{
    if (s->outstanding == 2 && !s->stopped) /* the timer's reference + this check */
        history_store(s);
    history_sampler_release(s);
}

static void history_on_pg(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct api_history_sampler *s = data;
    (void)res;
    if (err == NULL)
        s->cur.postgres_ms = (double)(clock_mono_us() - s->sent_us) / 1000.0;
    history_check_done(s);
}

static void history_on_ping(void *data, const redisReply *reply, const char *error)
{
    struct api_history_sampler *s = data;
    if (error == NULL && reply != NULL && reply->type != REDIS_REPLY_ERROR)
        s->cur.redis_ms = (double)(clock_mono_us() - s->sent_us) / 1000.0;
    history_check_done(s);
}

static void history_tick(uv_timer_t *timer)
{
    struct api_history_sampler *s = timer->data;
    if (s->outstanding > 1 || s->stopped) /* the last round is still out */
        return;
    memset(&s->cur, 0, sizeof s->cur);
    s->cur.at_ms = clock_wall_ms();
    s->cur.redis_ms = s->cur.postgres_ms = -1;
    s->cur.postgres_configured = s->t->pg_read != NULL;
    s->sent_us = clock_mono_us();
    s->outstanding += 1 + s->cur.postgres_configured; /* the ping (+ the query) */
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "PING");
    if (redis_client_command(s->t->redis, HISTORY_CHECK_TIMEOUT_MS, history_on_ping, s, &a) != 0)
        history_check_done(s);
    redis_args_dispose(&a);
    if (s->cur.postgres_configured)
        pgpool_query(s->t->pg_read, "SELECT 1", 0, NULL, HISTORY_CHECK_TIMEOUT_MS, history_on_pg,
                     s);
}

struct api_history_sampler *api_history_sampler_start(struct api_thread *t,
                                                      struct api_history *h, int interval_ms)
{
    struct api_history_sampler *s = mem_calloc(1, sizeof *s);
    s->t = t;
    s->h = h;
    s->interval_ms = interval_ms;
    s->outstanding = 1; /* the timer */
    uv_timer_init(&t->loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, history_tick, (uint64_t)interval_ms, (uint64_t)interval_ms);
    uv_unref((uv_handle_t *)&s->timer); /* never keeps the loop alive */
    return s;
}

static void history_timer_closed(uv_handle_t *handle)
{
    history_sampler_release(handle->data);
}

void api_history_sampler_stop(struct api_history_sampler *s)
{
    if (s == NULL || s->stopped)
        return;
    s->stopped = true;
    uv_close((uv_handle_t *)&s->timer, history_timer_closed);
}
