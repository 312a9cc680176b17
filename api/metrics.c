/*
 * api/metrics.c: per-thread HTTP counters and the Prometheus exposition
 * (see metrics.h).
 */
#include "api/metrics.h"

#include <stddef.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/router.h"
#include "api/server.h"
#include "api/snapshot.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/git_commit.h"
#include "lib/meminfo.h"
#include "lib/mem.h"
#include "queue/queue.h"

/* Upper bounds of the HTTP latency buckets, µs and label; +Inf last. */
/* docs/OPERATIONS.md's HTTP set: the SLO line (p95 < 500 ms) and the
 * alert lines (p95 > 2 s, > 5 s) both fall on a bound. */
static const uint64_t metrics_http_le_us[METRICS_HTTP_BUCKETS - 1] = {
    1000,   2500,   5000,    10000,   25000,   50000,    100000,
    250000, 500000, 1000000, 2000000, 5000000, 10000000,
};
static const char *const metrics_http_le[METRICS_HTTP_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",  "0.5",    "1",     "2",    "5",     "10",   "+Inf",
};

/* Single-writer increment: a relaxed load and store, no locked instruction. */
static inline void metrics_add(metrics_counter *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t metrics_get(const metrics_counter *c)
{
    return atomic_load_explicit((metrics_counter *)c, memory_order_relaxed);
}

/* Counts one answer in this minute's slot (cleared first when it held an older one). */
static void metrics_minute_add(struct metrics_thread *m, size_t bucket, bool error)
{
    uint64_t minute = (uint64_t)(clock_wall_ms() / 60000);
    struct metrics_minute *slot = &m->minutes[minute % METRICS_MINUTES];
    if (metrics_get(&slot->stamp) != minute) {
        atomic_store_explicit(&slot->requests, 0, memory_order_relaxed);
        atomic_store_explicit(&slot->errors, 0, memory_order_relaxed);
        for (size_t b = 0; b < METRICS_HTTP_BUCKETS; b++)
            atomic_store_explicit(&slot->buckets[b], 0, memory_order_relaxed);
        atomic_store_explicit(&slot->stamp, minute, memory_order_relaxed);
    }
    metrics_add(&slot->requests, 1);
    metrics_add(&slot->errors, error);
    metrics_add(&slot->buckets[bucket], 1);
}

void metrics_window_sum(const struct api_server *s, int64_t now_ms, int minutes,
                        struct metrics_window *out)
{
    uint64_t now = (uint64_t)(now_ms / 60000);
    memset(out, 0, sizeof *out);
    for (unsigned t = 0; t < s->nthreads; t++)
        for (int i = 0; i < minutes && i < METRICS_MINUTES; i++) {
            const struct metrics_minute *slot =
                &s->threads[t].metrics.minutes[(now - (uint64_t)i) % METRICS_MINUTES];
            if (metrics_get(&slot->stamp) != now - (uint64_t)i)
                continue;
            out->requests += metrics_get(&slot->requests);
            out->errors += metrics_get(&slot->errors);
            for (size_t b = 0; b < METRICS_HTTP_BUCKETS; b++)
                out->buckets[b] += metrics_get(&slot->buckets[b]);
        }
}

double metrics_window_quantile(const struct metrics_window *w, double q)
{
    uint64_t total = 0, cum = 0;
    for (size_t b = 0; b < METRICS_HTTP_BUCKETS; b++)
        total += w->buckets[b];
    if (total == 0)
        return -1;
    double rank = q * (double)total;
    for (size_t b = 0; b < METRICS_HTTP_BUCKETS - 1; b++) {
        if ((double)(cum + w->buckets[b]) >= rank) {
            double lo = b ? (double)metrics_http_le_us[b - 1] / 1e6 : 0;
            double hi = (double)metrics_http_le_us[b] / 1e6;
            return w->buckets[b] ? lo + (hi - lo) * (rank - (double)cum) / (double)w->buckets[b]
                                 : hi;
        }
        cum += w->buckets[b];
    }
    /* in +Inf: the highest finite bound, as histogram_quantile answers */
    return (double)metrics_http_le_us[METRICS_HTTP_BUCKETS - 2] / 1e6;
}

uint64_t metrics_window_slower(const struct metrics_window *w, double le_s)
{
    uint64_t n = 0;
    for (size_t b = 0; b < METRICS_HTTP_BUCKETS; b++)
        if (b == METRICS_HTTP_BUCKETS - 1 || (double)metrics_http_le_us[b] / 1e6 > le_s + 1e-9)
            n += w->buckets[b];
    return n;
}

/* The HTTP-set bucket of a duration. */
static size_t metrics_http_bucket(uint64_t duration_us)
{
    size_t b = 0;
    while (b < METRICS_HTTP_BUCKETS - 1 && duration_us > metrics_http_le_us[b])
        b++;
    return b;
}

void metrics_webhook_ack(struct metrics_thread *m, unsigned src, uint64_t duration_us)
{
    if (src >= API_SOURCES_MAX)
        return;
    metrics_add(&m->ack_buckets[src][metrics_http_bucket(duration_us)], 1);
    metrics_add(&m->ack_sum_us[src], duration_us);
}

void metrics_observe_http(struct metrics_thread *m, unsigned route, int status,
                          uint64_t duration_us)
{
    if (status < METRICS_STATUS_MIN || status >= METRICS_STATUS_MIN + METRICS_STATUS_SLOTS)
        status = 500;
    size_t b = metrics_http_bucket(duration_us);
    if (route >= API_ROUTE_LABELS)
        route = API_ROUTE_OTHER;
    metrics_add(&m->requests[route][status - METRICS_STATUS_MIN], 1);
    metrics_add(&m->buckets[route][b], 1);
    metrics_add(&m->sum_us[route], duration_us);
    metrics_minute_add(m, b, status >= 500);
}

void metrics_reject(struct metrics_thread *m, unsigned src, enum webhook_reason reason)
{
    if (src >= API_SOURCES_MAX)
        return;
    metrics_add(&m->rejections[src][reason], 1);
}

void metrics_secret_match(struct metrics_thread *m, unsigned src, unsigned slot)
{
    if (src < API_SOURCES_MAX && slot < API_SECRET_SLOTS)
        metrics_add(&m->secret_matches[src][slot], 1);
}

void metrics_ignored(struct metrics_thread *m, unsigned src)
{
    if (src < API_SOURCES_MAX)
        metrics_add(&m->ignored[src], 1);
}

void metrics_queue_full(struct metrics_thread *m, unsigned src)
{
    if (src < API_SOURCES_MAX)
        metrics_add(&m->queue_full[src], 1);
}

void metrics_h2c_closed(struct metrics_thread *m, enum metrics_h2c_reason why)
{
    if (why < METRICS_H2C_REASONS)
        metrics_add(&m->h2c_closed[why], 1);
}

int metrics_label(struct buf *out, const char *v)
{
    int rc = 0;
    for (; *v; v++) {
        if (*v == '\\')
            rc |= buf_puts(out, "\\\\");
        else if (*v == '"')
            rc |= buf_puts(out, "\\\"");
        else if (*v == '\n')
            rc |= buf_puts(out, "\\n");
        else
            rc |= buf_putc(out, *v);
    }
    return rc;
}

int64_t metrics_rss_bytes(void)
{
    return meminfo_rss_bytes();
}

/* ---- HTTP series -------------------------------------------------------- */

/* True when label id r names a series: the first row of its pattern, or "other". */
static bool metrics_label_used(const struct api_server *s, unsigned r)
{
    const struct api_route *row = api_router_row(s->router, r);
    return r == API_ROUTE_OTHER || (row != NULL && row->label == r);
}

static void metrics_render_requests(struct buf *out, const struct api_server *s)
{
    buf_puts(out, "# HELP sentia_http_requests_total HTTP requests answered, by route and status.\n"
                  "# TYPE sentia_http_requests_total counter\n");
    for (unsigned r = 0; r < API_ROUTE_LABELS; r++) {
        if (!metrics_label_used(s, r))
            continue;
        for (int st = 0; st < METRICS_STATUS_SLOTS; st++) {
            uint64_t n = 0;
            for (unsigned t = 0; t < s->nthreads; t++)
                n += metrics_get(&s->threads[t].metrics.requests[r][st]);
            if (n > 0)
                buf_printf(out, "sentia_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                           api_router_label_text(s->router, r), st + METRICS_STATUS_MIN,
                           (unsigned long long)n);
        }
    }
}

static void metrics_render_latency(struct buf *out, const struct api_server *s)
{
    buf_puts(out, "# HELP sentia_http_request_duration_seconds Time from request start to "
                  "response end.\n# TYPE sentia_http_request_duration_seconds histogram\n");
    for (unsigned r = 0; r < API_ROUTE_LABELS; r++) {
        uint64_t cum = 0, sum_us = 0;
        const char *label = api_router_label_text(s->router, r);
        if (!metrics_label_used(s, r))
            continue;
        for (unsigned t = 0; t < s->nthreads; t++)
            sum_us += metrics_get(&s->threads[t].metrics.sum_us[r]);
        for (int b = 0; b < METRICS_HTTP_BUCKETS; b++) {
            for (unsigned t = 0; t < s->nthreads; t++)
                cum += metrics_get(&s->threads[t].metrics.buckets[r][b]);
            buf_printf(out, "sentia_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
                       label, metrics_http_le[b], (unsigned long long)cum);
        }
        buf_printf(out, "sentia_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   label, (double)sum_us / 1e6);
        buf_printf(out, "sentia_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   label, (unsigned long long)cum);
    }
}

static void metrics_render_rejections(struct buf *out, const struct api_server *s)
{
    buf_puts(out, "# HELP sentia_webhook_rejections_total Webhooks refused, by source and reason.\n"
                  "# TYPE sentia_webhook_rejections_total counter\n");
    for (size_t src = 0; src < api_router_source_count(s->router) && src < API_SOURCES_MAX; src++)
        for (int r = 0; r < WEBHOOK_REASON_COUNT; r++) {
            uint64_t n = 0;
            for (unsigned t = 0; t < s->nthreads; t++)
                n += metrics_get(&s->threads[t].metrics.rejections[src][r]);
            buf_printf(out, "sentia_webhook_rejections_total{source=\"%s\",reason=\"%s\"} %llu\n",
                       api_router_source_name(s->router, (unsigned)src), webhook_reason_names[r],
                       (unsigned long long)n);
        }
}

/* One counter per source, summed over threads; `field` picks it. */
static void metrics_render_per_source(struct buf *out, const struct api_server *s,
                                      const char *name, const char *help,
                                      size_t offset)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (size_t src = 0; src < api_router_source_count(s->router) && src < API_SOURCES_MAX; src++) {
        uint64_t n = 0;
        for (unsigned t = 0; t < s->nthreads; t++) {
            const metrics_counter *c =
                (const metrics_counter *)((const char *)&s->threads[t].metrics + offset);
            n += metrics_get(&c[src]);
        }
        buf_printf(out, "%s{source=\"%s\"} %llu\n", name, api_router_source_name(s->router, (unsigned)src),
                   (unsigned long long)n);
    }
}

static void metrics_render_acks(struct buf *out, const struct api_server *s)
{
    buf_puts(out, "# HELP sentia_webhook_ack_duration_seconds Receipt of an accepted webhook to "
                  "its 200, sent once Redis confirmed the job.\n"
                  "# TYPE sentia_webhook_ack_duration_seconds histogram\n");
    for (size_t src = 0; src < api_router_source_count(s->router) && src < API_SOURCES_MAX; src++) {
        const char *name = api_router_source_name(s->router, (unsigned)src);
        uint64_t cum = 0, sum_us = 0;
        for (unsigned t = 0; t < s->nthreads; t++)
            sum_us += metrics_get(&s->threads[t].metrics.ack_sum_us[src]);
        for (int b = 0; b < METRICS_HTTP_BUCKETS; b++) {
            for (unsigned t = 0; t < s->nthreads; t++)
                cum += metrics_get(&s->threads[t].metrics.ack_buckets[src][b]);
            buf_printf(out, "sentia_webhook_ack_duration_seconds_bucket{source=\"%s\",le=\"%s\"} "
                            "%llu\n", name, metrics_http_le[b], (unsigned long long)cum);
        }
        buf_printf(out, "sentia_webhook_ack_duration_seconds_sum{source=\"%s\"} %.6f\n"
                        "sentia_webhook_ack_duration_seconds_count{source=\"%s\"} %llu\n",
                   name, (double)sum_us / 1e6, name, (unsigned long long)cum);
    }
}

static void metrics_render_webhook_extras(struct buf *out, const struct api_server *s)
{
    static const char *const h2c[METRICS_H2C_REASONS] = {"stream_rate", "idle", "lifetime"};
    buf_puts(out, "# HELP sentia_webhook_secret_matches_total Verified webhooks by the secret "
                  "that matched (slot 0 new, 1 old).\n"
                  "# TYPE sentia_webhook_secret_matches_total counter\n");
    for (size_t src = 0; src < api_router_source_count(s->router) && src < API_SOURCES_MAX; src++)
        for (unsigned slot = 0; slot < API_SECRET_SLOTS; slot++) {
            uint64_t n = 0;
            for (unsigned t = 0; t < s->nthreads; t++)
                n += metrics_get(&s->threads[t].metrics.secret_matches[src][slot]);
            buf_printf(out, "sentia_webhook_secret_matches_total{source=\"%s\",slot=\"%u\"} %llu\n",
                       api_router_source_name(s->router, (unsigned)src), slot, (unsigned long long)n);
        }
    metrics_render_per_source(out, s, "sentia_webhook_ignored_total",
                              "Verified webhooks answered 200 without a job (unhandled topic).",
                              offsetof(struct metrics_thread, ignored));
    metrics_render_per_source(out, s, "sentia_webhook_queue_full_total",
                              "Verified webhooks answered 503 because MAX_QUEUE_DEPTH was reached.",
                              offsetof(struct metrics_thread, queue_full));
    buf_puts(out, "# HELP sentia_h2c_connections_closed_total HTTP/2 connections closed by "
                  "the h2c guard.\n# TYPE sentia_h2c_connections_closed_total counter\n");
    for (int r = 0; r < METRICS_H2C_REASONS; r++) {
        uint64_t n = 0;
        for (unsigned t = 0; t < s->nthreads; t++)
            n += metrics_get(&s->threads[t].metrics.h2c_closed[r]);
        buf_printf(out, "sentia_h2c_connections_closed_total{reason=\"%s\"} %llu\n", h2c[r],
                   (unsigned long long)n);
    }
}

/* ---- queue series ------------------------------------------------------- */

static void metrics_queue_sample(struct buf *out, const char *name, const char *queue,
                                 const char *label, const char *value, long long n)
{
    buf_printf(out, "%s{queue=\"", name);
    metrics_label(out, queue);
    if (label != NULL) {
        buf_printf(out, "\",%s=\"", label);
        metrics_label(out, value);
    }
    buf_printf(out, "\"} %lld\n", n);
}

/* The queues' lifecycle counters, dead jobs dropped at the cap, and pause flags. */
static void metrics_render_queue_counters(struct buf *out, const struct snapshot *snap)
{
    buf_puts(out, "# HELP sentia_queue_events_total Queue lifecycle counters.\n"
                  "# TYPE sentia_queue_events_total counter\n");
    for (size_t i = 0; i < snap->nqueues; i++)
        for (size_t k = 0; snap->queues[i].ok && queue_counter_names[k]; k++)
            metrics_queue_sample(out, "sentia_queue_events_total", snap->queues[i].name,
                                 "event", queue_counter_names[k],
                                 queue_counter_get(&snap->queues[i].stats.counters, k));
    buf_puts(out, "# HELP sentia_queue_dead_evicted_total Dead jobs dropped at MAX_DEAD_JOBS.\n"
                  "# TYPE sentia_queue_dead_evicted_total counter\n");
    for (size_t i = 0; i < snap->nqueues; i++)
        if (snap->queues[i].ok)
            metrics_queue_sample(out, "sentia_queue_dead_evicted_total", snap->queues[i].name,
                                 NULL, NULL, snap->queues[i].stats.counters.dead_evicted);
    buf_puts(out, "# HELP sentia_queue_paused 1 while the queue is paused.\n"
                  "# TYPE sentia_queue_paused gauge\n");
    for (size_t i = 0; i < snap->nqueues; i++)
        if (snap->queues[i].ok)
            metrics_queue_sample(out, "sentia_queue_paused", snap->queues[i].name, NULL, NULL,
                                 snap->queues[i].stats.paused);
}

static void metrics_render_queues(struct buf *out, const struct snapshot *snap)
{
    static const char *const states[] = {"ready", "delayed", "active", "dead"};
    buf_puts(out, "# HELP sentia_queue_jobs Jobs in a queue, by state.\n# TYPE sentia_queue_jobs gauge\n");
    for (size_t i = 0; i < snap->nqueues; i++) {
        const struct snapshot_queue *q = &snap->queues[i];
        int64_t v[] = {q->stats.ready, q->stats.delayed, q->stats.active, q->stats.dead};
        for (size_t k = 0; q->ok && k < 4; k++)
            metrics_queue_sample(out, "sentia_queue_jobs", q->name, "state", states[k], v[k]);
    }
    buf_puts(out, "# HELP sentia_queue_oldest_ready_age_seconds Age of the next ready job.\n"
                  "# TYPE sentia_queue_oldest_ready_age_seconds gauge\n");
    for (size_t i = 0; i < snap->nqueues; i++) {
        const struct snapshot_queue *q = &snap->queues[i];
        if (!q->ok)
            continue;
        buf_puts(out, "sentia_queue_oldest_ready_age_seconds{queue=\"");
        metrics_label(out, q->name);
        buf_printf(out, "\"} %.3f\n", (double)q->stats.oldest_age_ms / 1000.0);
    }
    metrics_render_queue_counters(out, snap);
}

/* One job type's figures gathered from a jobstats hash. */
struct metrics_jobtype {
    char *type;
    int64_t completed, failed, dead, sum_us;
    int64_t le[QUEUE_BUCKETS];
};

/* Adds field "<type>|<what>" = v into the table; returns the new count. */
static size_t metrics_jobtype_add(struct metrics_jobtype *tab, size_t n, const char *field,
                                  int64_t v)
{
    const char *bar = strrchr(field, '|');
    if (bar == NULL || bar == field)
        return n;
    size_t tl = (size_t)(bar - field);
    size_t i = 0;
    while (i < n && !(strlen(tab[i].type) == tl && strncmp(tab[i].type, field, tl) == 0))
        i++;
    if (i == n) {
        if (n == SNAPSHOT_QUEUES_MAX * 4)
            return n; /* a bounded number of types per scrape */
        memset(&tab[n], 0, sizeof tab[n]);
        tab[n].type = mem_strndup(field, tl);
        n++;
    }
    const char *what = bar + 1;
    if (strcmp(what, "completed") == 0)
        tab[i].completed = v;
    else if (strcmp(what, "failed") == 0)
        tab[i].failed = v;
    else if (strcmp(what, "dead") == 0)
        tab[i].dead = v;
    else if (strcmp(what, "sum_us") == 0)
        tab[i].sum_us = v;
    else if (strncmp(what, "le:", 3) == 0)
        for (int b = 0; b < QUEUE_BUCKETS; b++)
            if (strcmp(what + 3, queue_bucket_labels[b]) == 0)
                tab[i].le[b] = v;
    return n;
}

static void metrics_job_labels(struct buf *out, const char *queue, const char *type)
{
    buf_puts(out, "{queue=\"");
    metrics_label(out, queue);
    buf_puts(out, "\",type=\"");
    metrics_label(out, type);
    buf_puts(out, "\"");
}

static void metrics_render_jobtype(struct buf *hist, struct buf *totals, const char *queue,
                                   const struct metrics_jobtype *jt)
{
    int64_t cum = 0;
    for (int b = 0; b < QUEUE_BUCKETS; b++) {
        cum += jt->le[b];
        buf_puts(hist, "sentia_job_duration_seconds_bucket");
        metrics_job_labels(hist, queue, jt->type);
        buf_printf(hist, ",le=\"%s\"} %lld\n", queue_bucket_labels[b], (long long)cum);
    }
    buf_puts(hist, "sentia_job_duration_seconds_sum");
    metrics_job_labels(hist, queue, jt->type);
    buf_printf(hist, "} %.6f\n", (double)jt->sum_us / 1e6);
    buf_puts(hist, "sentia_job_duration_seconds_count");
    metrics_job_labels(hist, queue, jt->type);
    buf_printf(hist, "} %lld\n", (long long)cum);
    const char *outcomes[] = {"completed", "failed", "dead"};
    int64_t v[] = {jt->completed, jt->failed, jt->dead};
    for (int k = 0; k < 3; k++) {
        buf_puts(totals, "sentia_jobs_total");
        metrics_job_labels(totals, queue, jt->type);
        buf_printf(totals, ",outcome=\"%s\"} %lld\n", outcomes[k], (long long)v[k]);
    }
}

static void metrics_render_jobs(struct buf *out, const struct snapshot *snap)
{
    struct buf hist, totals;
    buf_init(&hist, out->cap);
    buf_init(&totals, out->cap);
    struct metrics_jobtype *tab = mem_calloc(SNAPSHOT_QUEUES_MAX * 4, sizeof *tab);
    for (size_t i = 0; i < snap->nqueues; i++) {
        const struct snapshot_queue *q = &snap->queues[i];
        size_t n = 0;
        for (size_t f = 0; f < q->nfields; f++)
            n = metrics_jobtype_add(tab, n, q->fields[f], q->values[f]);
        for (size_t k = 0; k < n; k++) {
            metrics_render_jobtype(&hist, &totals, q->name, &tab[k]);
            free(tab[k].type);
        }
    }
    free(tab);
    buf_puts(out, "# HELP sentia_job_duration_seconds Job run time, by queue and type.\n"
                  "# TYPE sentia_job_duration_seconds histogram\n");
    buf_append(out, buf_str(&hist), hist.len);
    buf_puts(out, "# HELP sentia_jobs_total Finished job runs, by outcome.\n"
                  "# TYPE sentia_jobs_total counter\n");
    buf_append(out, buf_str(&totals), totals.len);
    buf_dispose(&hist);
    buf_dispose(&totals);
}

static void metrics_render_workers(struct buf *out, const struct snapshot *snap)
{
    size_t live = 0;
    for (size_t w = 0; w < snap->nworkers; w++)
        live += snap->workers[w].live;
    buf_printf(out, "# HELP sentia_workers_live Workers whose registry entry is fresh.\n"
                    "# TYPE sentia_workers_live gauge\nsentia_workers_live %zu\n", live);
}

/* Live workers per queue (docs/OPERATIONS.md: 0 for a queue nobody serves)
 * and each live worker's Postgres as it reports it. */
static void metrics_render_serving(struct buf *out, const struct snapshot *snap)
{
    buf_puts(out, "# HELP sentia_queue_workers_live Live workers whose WORKER_QUEUES lists the "
                  "queue.\n# TYPE sentia_queue_workers_live gauge\n");
    for (size_t i = 0; i < snap->nqueues; i++) {
        long long n = 0;
        for (size_t w = 0; w < snap->nworkers; w++)
            n += snapshot_worker_serves(&snap->workers[w], snap->queues[i].name);
        metrics_queue_sample(out, "sentia_queue_workers_live", snap->queues[i].name, NULL, NULL,
                             n);
    }
    buf_puts(out, "# HELP sentia_worker_postgres_up 1 when a live worker reports Postgres up, "
                  "0 down.\n# TYPE sentia_worker_postgres_up gauge\n");
    for (size_t w = 0; w < snap->nworkers; w++) {
        const struct snapshot_worker *wk = &snap->workers[w];
        if (!wk->live || wk->postgres == NULL || (strcmp(wk->postgres, "up") != 0 &&
                                                  strcmp(wk->postgres, "down") != 0))
            continue;
        buf_puts(out, "sentia_worker_postgres_up{worker=\"");
        metrics_label(out, wk->id);
        buf_printf(out, "\"} %d\n", strcmp(wk->postgres, "up") == 0);
    }
}

/* sentia_queue_wait_seconds{queue}: enqueue (or due) → start of the run. */
static void metrics_render_waits(struct buf *out, const struct snapshot *snap)
{
    buf_puts(out, "# HELP sentia_queue_wait_seconds Time from enqueue (or due) to the start of "
                  "the run.\n# TYPE sentia_queue_wait_seconds histogram\n");
    for (size_t i = 0; i < snap->nqueues; i++) {
        const struct snapshot_queue *q = &snap->queues[i];
        int64_t cum = 0;
        if (!q->has_wait)
            continue;
        for (int b = 0; b < QUEUE_BUCKETS; b++) {
            cum += q->wait_le[b];
            buf_puts(out, "sentia_queue_wait_seconds_bucket{queue=\"");
            metrics_label(out, q->name);
            buf_printf(out, "\",le=\"%s\"} %lld\n", queue_bucket_labels[b], (long long)cum);
        }
        metrics_queue_sample(out, "sentia_queue_wait_seconds_count", q->name, NULL, NULL, cum);
        buf_puts(out, "sentia_queue_wait_seconds_sum{queue=\"");
        metrics_label(out, q->name);
        buf_printf(out, "\"} %.6f\n", (double)q->wait_sum_us / 1e6);
    }
}

/* One per-worker gauge from a registry figure (left out when not published). */
static void metrics_render_worker_gauge(struct buf *out, const struct snapshot *snap,
                                        const char *name, const char *help, size_t offset)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (size_t w = 0; w < snap->nworkers; w++) {
        const struct snapshot_worker *wk = &snap->workers[w];
        int64_t v = *(const int64_t *)((const char *)wk + offset);
        if (!wk->live || v <= 0)
            continue;
        buf_printf(out, "%s{worker=\"", name);
        metrics_label(out, wk->id);
        buf_printf(out, "\"} %lld\n", (long long)v);
    }
}

/* One autoscale gauge or counter from the state hash, if the field is there. */
static void metrics_autoscale_one(struct buf *out, const struct snapshot *snap,
                                  const char *name, const char *type, const char *help,
                                  const char *field, double scale)
{
    const char *v = snapshot_autoscale(snap, field);
    if (v == NULL)
        return;
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name,
               strtod(v, NULL) * scale);
}

/* The ops.autoscale decisions (worker/jobs/autoscale.c), when it ever ran. */
static void metrics_render_autoscale(struct buf *out, const struct snapshot *snap)
{
    static const char *const reasons[] = {"steady", "up", "down", "cooldown", "capped", "bounds"};
    if (snapshot_autoscale(snap, "sample_ms") == NULL)
        return;
    metrics_autoscale_one(out, snap, "sentia_autoscale_current_workers", "gauge",
                          "Worker instances at the last decision.", "current", 1);
    metrics_autoscale_one(out, snap, "sentia_autoscale_need_workers", "gauge",
                          "Worker instances the queues need (queue/scale.h).", "need", 1);
    metrics_autoscale_one(out, snap, "sentia_autoscale_desired_workers", "gauge",
                          "Worker instances the last decision set or advised.", "desired", 1);
    metrics_autoscale_one(out, snap, "sentia_autoscale_enabled", "gauge",
                          "1 when the decisions are applied through Render's API.", "enabled", 1);
    metrics_autoscale_one(out, snap, "sentia_autoscale_last_decision_timestamp_seconds", "gauge",
                          "When the last decision was taken.", "sample_ms", 0.001);
    buf_puts(out, "# HELP sentia_autoscale_decisions_total Autoscale decisions, by reason.\n"
                  "# TYPE sentia_autoscale_decisions_total counter\n");
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        char field[48];
        snprintf(field, sizeof field, "decisions|%s", reasons[i]);
        const char *v = snapshot_autoscale(snap, field);
        buf_printf(out, "sentia_autoscale_decisions_total{reason=\"%s\"} %lld\n", reasons[i],
                   v ? strtoll(v, NULL, 10) : 0LL);
    }
    const char *scales = snapshot_autoscale(snap, "scales");
    const char *errors = snapshot_autoscale(snap, "render_errors");
    buf_printf(out, "# HELP sentia_autoscale_scales_total Scale calls Render accepted.\n"
                    "# TYPE sentia_autoscale_scales_total counter\nsentia_autoscale_scales_total "
                    "%lld\n# HELP sentia_autoscale_render_errors_total Render API calls that "
                    "failed.\n# TYPE sentia_autoscale_render_errors_total counter\n"
                    "sentia_autoscale_render_errors_total %lld\n",
               scales ? strtoll(scales, NULL, 10) : 0LL, errors ? strtoll(errors, NULL, 10) : 0LL);
}

int64_t metrics_memory_limit_bytes(void)
{
    return meminfo_limit_bytes();
}

static void metrics_render_build(struct buf *out, const struct api_server *s)
{
    buf_puts(out, "# HELP sentia_build_info What this instance runs.\n"
                  "# TYPE sentia_build_info gauge\nsentia_build_info{version=\"");
    metrics_label(out, SENTIA_VERSION);
    buf_puts(out, "\",commit=\"");
    metrics_label(out, SENTIA_GIT_COMMIT);
    buf_puts(out, "\",environment=\"");
    metrics_label(out, s->cfg.env_name ? s->cfg.env_name : "");
    buf_printf(out, "\"} 1\n# HELP sentia_memory_limit_bytes The instance's memory (cgroup "
                    "limit, else MemTotal).\n# TYPE sentia_memory_limit_bytes gauge\n"
                    "sentia_memory_limit_bytes %lld\n",
               (long long)metrics_memory_limit_bytes());
}

int metrics_render(struct buf *out, const struct api_server *s, const struct snapshot *snap)
{
    bool redis = snap != NULL && snap->redis_ok && snap->complete;
    metrics_render_requests(out, s);
    metrics_render_latency(out, s);
    metrics_render_rejections(out, s);
    metrics_render_webhook_extras(out, s);
    metrics_render_acks(out, s);
    buf_printf(out, "# HELP sentia_redis_up 1 when Redis answered the scrape's snapshot.\n"
                    "# TYPE sentia_redis_up gauge\nsentia_redis_up %d\n", redis ? 1 : 0);
    if (redis) {
        metrics_render_queues(out, snap);
        metrics_render_jobs(out, snap);
        metrics_render_workers(out, snap);
        metrics_render_serving(out, snap);
        metrics_render_waits(out, snap);
        metrics_render_worker_gauge(out, snap, "sentia_worker_resident_memory_bytes",
                                    "RSS each live worker publishes with its heartbeat.",
                                    offsetof(struct snapshot_worker, rss_bytes));
        metrics_render_worker_gauge(out, snap, "sentia_worker_memory_limit_bytes",
                                    "That worker's instance memory.",
                                    offsetof(struct snapshot_worker, memory_limit_bytes));
        metrics_render_autoscale(out, snap);
    }
    metrics_render_build(out, s);
    buf_printf(out, "# HELP sentia_process_resident_memory_bytes Resident set size.\n"
                    "# TYPE sentia_process_resident_memory_bytes gauge\n"
                    "sentia_process_resident_memory_bytes %lld\n",
               (long long)metrics_rss_bytes());
    return buf_printf(out, "# HELP sentia_process_uptime_seconds Seconds since start.\n"
                           "# TYPE sentia_process_uptime_seconds gauge\n"
                           "sentia_process_uptime_seconds %.3f\n",
                      api_server_uptime_s(s));
}

/* ---- PostgreSQL series ---------------------------------------------------- */

static void metrics_gauge(struct buf *out, const char *name, const char *help, const json_t *v)
{
    if (!json_is_number(v))
        return;
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name,
               json_number_value(v));
}

static void metrics_render_integrations(struct buf *out, const json_t *list)
{
    size_t i;
    const json_t *it;
    buf_puts(out, "# HELP sentia_integration_last_success_timestamp_seconds End of the last "
                  "successful sync pass (0: never).\n"
                  "# TYPE sentia_integration_last_success_timestamp_seconds gauge\n");
    json_array_foreach(list, i, it) {
        const char *src = json_string_value(json_object_get(it, "source"));
        const char *res = json_string_value(json_object_get(it, "resource"));
        if (src == NULL || res == NULL)
            continue;
        buf_puts(out, "sentia_integration_last_success_timestamp_seconds{provider=\"");
        metrics_label(out, src);
        buf_puts(out, "\",resource=\"");
        metrics_label(out, res);
        buf_printf(out, "\"} %.3f\n",
                   json_number_value(json_object_get(it, "last_success_s")));
    }
}

static void metrics_render_forecast(struct buf *out, const json_t *f)
{
    const char *status = json_string_value(json_object_get(f, "status"));
    if (status == NULL)
        return;
    buf_printf(out, "# HELP sentia_forecast_last_run_success 1 when the newest finished "
                    "forecast run succeeded.\n# TYPE sentia_forecast_last_run_success gauge\n"
                    "sentia_forecast_last_run_success %d\n", strcmp(status, "succeeded") == 0);
    metrics_gauge(out, "sentia_forecast_last_run_sku_success_ratio",
                  "Share of the newest run's SKUs forecast without error.",
                  json_object_get(f, "success_rate"));
}

void metrics_render_data(struct buf *out, bool configured, bool up, const json_t *data)
{
    if (configured)
        buf_printf(out, "# HELP sentia_postgres_up 1 when SELECT 1 on this instance's pool "
                        "answered in time.\n# TYPE sentia_postgres_up gauge\n"
                        "sentia_postgres_up %d\n", up ? 1 : 0);
    if (data == NULL)
        return;
    metrics_render_integrations(out, json_object_get(data, "integrations"));
    metrics_render_forecast(out, json_object_get(data, "forecast"));
    metrics_gauge(out, "sentia_forecast_last_success_timestamp_seconds",
                  "End of the newest successful forecast run.",
                  json_object_get(data, "forecast_last_success_s"));
    metrics_gauge(out, "sentia_working_capital_last_computed_timestamp_seconds",
                  "When the newest working-capital snapshot was computed.",
                  json_object_get(data, "working_capital_s"));
}
