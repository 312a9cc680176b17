/*
 * api/server.h: the sentia-api server — configuration, threads, listeners,
 * h2o set-up and graceful shutdown.
 *
 * Shape: one struct api_server owns the shared, read-only h2o_globalconf_t
 * and N struct api_thread. Each thread has its own uv loop, h2o context,
 * SO_REUSEPORT listener, Redis connection, Postgres pools (when
 * DATABASE_URL is set: API_PG_POOL_SIZE read-only connections for the
 * dashboard reads, one read-write connection for API keys and audit rows,
 * all with statement_timeout = API_QUERY_TIMEOUT_MS) and deadline lists, so a request
 * never crosses threads and the request path takes no lock (the rate
 * limiter's striped locks aside). The server finds a request's thread
 * from req->conn->ctx (the h2o context is the thread struct's first
 * member); route handlers and webhook hooks never include this header, they
 * reach the thread's services through api/ctx.h.
 *
 * Shutdown (SIGTERM/SIGINT, DESIGN.md §5): the main thread wakes every
 * thread; each closes its listener, asks h2o for a graceful shutdown (GOAWAY
 * on HTTP/2, no more keep-alive on HTTP/1), waits until its in-flight
 * requests are answered or API_SHUTDOWN_DEADLINE_MS passed, then shuts the
 * remaining (idle) sockets so h2o closes them, closes Redis after its
 * pending replies, then the Postgres pool after its running queries, disposes the context and ends its loop. main() then
 * frees the server and exits 0.
 *
 * Ownership: api_server_create() returns a server the caller frees with
 * api_server_free() after api_server_run() returned.
 */
#ifndef SENTIA_API_SERVER_H
#define SENTIA_API_SERVER_H

#include <h2o.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/config.h"
#include "api/limits.h"
#include "api/metrics.h"
#include "api/pending.h"
#include "lib/log.h"

enum {
    API_SHUTDOWN_DEADLINE_MS = 10000, /* in-flight requests get this long */
    API_LISTEN_BACKLOG = 1024,
};

struct api_limiter;
struct api_router;
struct api_table;
struct api_authenticator;
struct api_cache;
struct api_batch;

struct api_conn;

struct api_thread {
    h2o_context_t ctx; /* first: see container_of in api_thread_of */
    struct api_server *server;
    unsigned index;
    uv_loop_t loop;
    uv_thread_t tid;
    h2o_accept_ctx_t accept;
    int listen_fd;
    uv_tcp_t listener;
    uv_async_t wakeup;
    uv_timer_t shutdown_timer;
    uv_timer_t h2c_timer;   /* the h2c guard's sweep; data NULL when ENABLE_H2C is off */
    struct redis_client *redis;
    struct api_batch *batch;              /* group commit of webhook enqueues (api/batch.h) */
    struct log_batch access_log;          /* this turn's access-log lines */
    uv_prepare_t access_flush;            /* writes them at the end of the turn */
    struct pgpool *pg;                    /* read-write (API keys, audit); NULL without DATABASE_URL */
    struct pgpool *pg_read;               /* read-only transactions (dashboard reads) */
    struct api_pending_list pending;      /* records waiting on Redis */
    struct api_pending_list db_pending;   /* records waiting on Postgres */
    struct api_cache *read_cache;         /* API_READ_CACHE_MS answers of this thread */
    struct api_pending_list auth_pending; /* requests suspended in authentication */
    struct metrics_thread metrics;
    struct api_history_sampler *history_sampler; /* thread 0 only (api/history.h) */
    struct api_queue_depth queue_depth;  /* cached webhook queue depth (limits.h) */
    struct api_conn *conns; /* list of accepted sockets */
    size_t nconns;
    size_t inflight;        /* requests whose handler ran and not yet disposed */
    int phase;              /* shutdown phase, see server.c */
    uint64_t stop_deadline_ms;
    int exit_code;
};

struct api_server {
    struct api_config cfg;
    h2o_globalconf_t globalconf;
    h2o_hostconf_t *hostconf;
    struct api_limiter *limiter;
    struct api_router *router;
    const struct api_authenticator *authenticator; /* NULL: role routes answer 401 */
    struct api_history *history; /* /health/history's samples (api/history.h) */
    struct api_thread *threads;
    unsigned nthreads;
    uint64_t started_mono_ms;
    int64_t started_wall_ms;
    atomic_bool stopping;
};

/* The thread a request runs on. */
static inline struct api_thread *api_thread_of(h2o_req_t *req)
{
    return (struct api_thread *)req->conn->ctx;
}

/*
 * Builds the router from table (borrowed: it must outlive the server, see
 * api/routes/table.h), binds the listeners and prepares h2o; 0, or -1
 * after logging why.
 */
int api_server_create(const struct api_config *cfg, const struct api_table *table,
                      struct api_server **out);
/* Runs until SIGTERM/SIGINT and a graceful shutdown; returns the exit code. */
int api_server_run(struct api_server *s);
void api_server_free(struct api_server *s);

/* Process uptime in seconds. */
double api_server_uptime_s(const struct api_server *s);

/*
 * Installs the authenticator of the gates (api/gate.h) before
 * api_server_run(); a borrowed pointer that must outlive the server.
 */
void api_server_set_authenticator(struct api_server *s, const struct api_authenticator *a);

#endif
