/*
 * api/metrics.h: /metrics in the Prometheus text format 0.0.4.
 *
 * HTTP counters live per thread (struct metrics_thread, inside each
 * api_thread) and are written only by their own thread, with relaxed
 * atomic loads and stores (no read-modify-write, no lock): the request path
 * pays a plain increment. A scrape sums every thread's counters. Queue
 * series come from a Redis snapshot (api/snapshot.h) taken for the scrape.
 *
 * Series (all prefixed sentia_): http_requests_total{route,status},
 * http_request_duration_seconds{route} histogram, webhook_rejections_total
 * {source,reason}, webhook_secret_matches_total{source,slot},
 * webhook_ignored_total{source}, webhook_queue_full_total{source},
 * h2c_connections_closed_total{reason}, queue_jobs{queue,state}, queue_oldest_ready_age_seconds,
 * queue_events_total{queue,event}, queue_paused, workers_live,
 * job_duration_seconds{queue,type} histogram, jobs_total{queue,type,outcome},
 * redis_up, process_resident_memory_bytes, process_uptime_seconds,
 * queue_workers_live{queue}, worker_postgres_up{worker}, autoscale_* (the
 * ops.autoscale state hash), build_info{version,commit,environment},
 * memory_limit_bytes. Names, units and buckets: docs/OPERATIONS.md.
 * Route labels are patterns from api/router.h (rows sharing a pattern share
 * a label), so cardinality is bounded; sources come from api/hooks/sources.h.
 */
#ifndef SENTIA_API_METRICS_H
#define SENTIA_API_METRICS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/config.h"
#include "api/router.h"
#include "api/webhook_reason.h"

enum {
    METRICS_STATUS_MIN = 100,
    METRICS_STATUS_SLOTS = 500, /* 100..599: every status h2o can send */
    METRICS_HTTP_BUCKETS = 14,  /* latency buckets, +Inf last */
};

/* Why the h2c guard (api/h2guard.h) closed an HTTP/2 connection. */
enum metrics_h2c_reason {
    METRICS_H2C_STREAM_RATE, /* more streams per second than H2C_MAX_STREAMS_PER_S */
    METRICS_H2C_IDLE,        /* no new stream within REQUEST_TIMEOUT_MS (PING-only) */
    METRICS_H2C_LIFETIME,    /* older than H2C_MAX_CONNECTION_S */
    METRICS_H2C_REASONS,
};

typedef _Atomic uint64_t metrics_counter;

enum { METRICS_MINUTES = 1440 }; /* a day of per-minute HTTP figures, for /api/v1/slo */

/* One minute of one thread's answers; `stamp` is the epoch minute it holds
 * (the writer clears a slot when the minute it holds has passed). */
struct metrics_minute {
    metrics_counter stamp, requests, errors; /* errors: 5xx */
    metrics_counter buckets[METRICS_HTTP_BUCKETS]; /* non-cumulative, HTTP set */
};

/* HTTP figures over the last n minutes, summed over the server's threads. */
struct metrics_window {
    uint64_t requests, errors;
    uint64_t buckets[METRICS_HTTP_BUCKETS]; /* non-cumulative */
};

struct metrics_thread {
    metrics_counter requests[API_ROUTE_LABELS][METRICS_STATUS_SLOTS];
    metrics_counter buckets[API_ROUTE_LABELS][METRICS_HTTP_BUCKETS]; /* non-cumulative */
    metrics_counter sum_us[API_ROUTE_LABELS];
    metrics_counter rejections[API_SOURCES_MAX][WEBHOOK_REASON_COUNT];
    metrics_counter secret_matches[API_SOURCES_MAX][API_SECRET_SLOTS];
    metrics_counter ignored[API_SOURCES_MAX];
    metrics_counter queue_full[API_SOURCES_MAX];
    metrics_counter h2c_closed[METRICS_H2C_REASONS];
    metrics_counter ack_buckets[API_SOURCES_MAX][METRICS_HTTP_BUCKETS]; /* non-cumulative */
    metrics_counter ack_sum_us[API_SOURCES_MAX];
    struct metrics_minute minutes[METRICS_MINUTES];
};

/* Counts one answered request under a route label id (api_router_label). */
void metrics_observe_http(struct metrics_thread *m, unsigned label,
                          int status, uint64_t duration_us);
/* Counts one refused webhook of source index src (api/hooks/sources.h). */
void metrics_reject(struct metrics_thread *m, unsigned src,
                    enum webhook_reason reason);
/* Counts an accepted webhook's acknowledgement time (HTTP bucket set). */
void metrics_webhook_ack(struct metrics_thread *m, unsigned src, uint64_t duration_us);
/* Counts a verified webhook by the secret slot that matched (0 new, 1 old). */
void metrics_secret_match(struct metrics_thread *m, unsigned src, unsigned slot);
/* Counts a verified webhook answered 200 without a job (unhandled topic). */
void metrics_ignored(struct metrics_thread *m, unsigned src);
/* Counts a verified webhook answered 503 because its queue was full. */
void metrics_queue_full(struct metrics_thread *m, unsigned src);
/* Counts an HTTP/2 connection closed by the h2c guard. */
void metrics_h2c_closed(struct metrics_thread *m, enum metrics_h2c_reason why);

struct api_server;
struct snapshot;
struct buf;

/*
 * Appends the whole exposition to out: HTTP and rejection counters summed
 * over the server's threads, process figures, and the queue series of
 * `snap` (NULL or failed: Redis down, queue series omitted, redis_up 0).
 * Returns 0, or -1 if out's cap was reached.
 */
int metrics_render(struct buf *out, const struct api_server *s,
                   const struct snapshot *snap);

/*
 * Appends the PostgreSQL series: sentia_postgres_up (when configured), and
 * from ops_data_status()'s document (NULL: left out, never reported as 0)
 * the integration freshness, forecast and working-capital gauges.
 */
void metrics_render_data(struct buf *out, bool configured, bool up, const json_t *data);

/* Sums the last `minutes` (≤ METRICS_MINUTES) minutes up to now_ms. */
void metrics_window_sum(const struct api_server *s, int64_t now_ms, int minutes,
                        struct metrics_window *out);
/* The q-quantile (0-1) of a window's latency in seconds, interpolated in
 * its bucket as Prometheus' histogram_quantile does; -1 without requests. */
double metrics_window_quantile(const struct metrics_window *w, double q);
/* Requests of the window slower than the bucket bound le_s (one of the set). */
uint64_t metrics_window_slower(const struct metrics_window *w, double le_s);

/* Appends v as a label value (escapes \, " and newline). */
int metrics_label(struct buf *out, const char *v);

/* Resident set size of this process in bytes, from /proc/self/statm. */
int64_t metrics_rss_bytes(void);
/* The instance's memory: cgroup v2 memory.max (v1 memory.limit_in_bytes),
 * MemTotal of /proc/meminfo when the cgroup sets no lower limit; -1 if none. */
int64_t metrics_memory_limit_bytes(void);

#endif
