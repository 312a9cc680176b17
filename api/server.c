/*
 * api/server.c: h2o set-up, threads, the request entry point (route match,
 * then the gates of api/gate.h), the access log, and graceful shutdown (see
 * server.h).
 *
 * Shutdown phases of a thread (driven by its shutdown_timer):
 *   RUNNING --wakeup--> DRAINING: listener closed, h2o asked to shut down;
 *   DRAINING --no request in flight, or the deadline--> CLOSING: every
 *     remaining socket is shut (SHUT_RDWR), so h2o sees EOF and closes it;
 *   CLOSING --no connection left--> REDIS: the Redis client closes after its
 *     pending replies, then the Postgres pool after its running queries;
 *   REDIS --both closed--> DONE: timers and the h2o context are disposed, the loop
 *     runs out of handles and the thread returns.
 */
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "api/batch.h"
#include "api/cache.h"
#include "api/ctx.h"
#include "api/gate.h"
#include "api/h2guard.h"
#include "api/history.h"
#include "api/limits.h"
#include "api/request.h"
#include "api/router.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pgpool.h"
#include "lib/redis.h"
#include "queue/queue.h"
#include "queue/scripts.h"

enum {
    API_CONNECTIONS_MAX = 8192,  /* per thread: beyond, new sockets are closed */
    API_SHUTDOWN_TICK_MS = 50,
    /* The pool's own deadline of a query, past its statement_timeout: the
     * server's cancel normally answers first. */
    API_PG_GRACE_MS = 1000,
    /* Read-write connections per thread: API key look-ups and audit rows are rare. */
    API_PG_WRITERS = 1,
};

enum api_phase { PHASE_RUNNING, PHASE_DRAINING, PHASE_CLOSING, PHASE_REDIS, PHASE_DONE };

struct api_conn {
    uv_tcp_t tcp; /* first: h2o's close callback hands us the handle */
    struct api_thread *t;
    struct api_conn *prev, *next;
    struct api_h2guard guard; /* used when ENABLE_H2C */
};

double api_server_uptime_s(const struct api_server *s)
{
    return (double)(clock_mono_ms() - s->started_mono_ms) / 1000.0;
}

/* ---- HTTP/2 cleartext bounds (api/h2guard.h) ---------------------------- */

static struct api_h2limits api_h2limits_of(const struct api_config *c)
{
    return (struct api_h2limits){
        .streams_per_s = c->h2c_streams_per_s,
        .idle_ms = (uint64_t)c->request_timeout_ms,
        .lifetime_ms = (uint64_t)c->h2c_max_connection_s * 1000u,
    };
}

static void api_h2c_sweep(uv_timer_t *timer)
{
    struct api_thread *t = timer->data;
    struct api_h2limits l = api_h2limits_of(&t->server->cfg);
    uint64_t now = clock_mono_ms();
    for (struct api_conn *c = t->conns; c; c = c->next) {
        uv_os_fd_t fd;
        if (uv_is_closing((uv_handle_t *)&c->tcp) || c->guard.sock == NULL)
            continue;
        if (!api_h2guard_sweep(&c->guard, &l, now, &t->metrics) ||
            uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
            continue;
        if (c->tcp.write_queue_size == 0)
            api_h2guard_goaway(&c->guard, fd);
        shutdown(fd, SHUT_RDWR);
    }
}

/* False (after answering 503) when the request's HTTP/2 connection is past its bound. */
static bool api_h2c_admit(struct api_thread *t, h2o_req_t *req)
{
    if (req->version < 0x200 || t->h2c_timer.data == NULL)
        return true;
    struct api_h2limits l = api_h2limits_of(&t->server->cfg);
    if (api_h2guard_admit(req, &l, clock_mono_ms(), &t->metrics))
        return true;
    api_respond_retry(req, 503, "too_many_streams",
                      "this connection opened too many streams; reconnect", 1);
    return false;
}

/* ---- the request entry point -------------------------------------------- */

static int api_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct api_thread *t = api_thread_of(req);
    struct api_match m;
    (void)self;
    t->inflight++; /* until the access logger sees the request disposed */
    gettimeofday(&req->processed_at.at, NULL); /* precise start for durations */
    api_request_begin(req);
    if (!api_h2c_admit(t, req))
        return 0;
    api_router_match(t->server->router, req->path_normalized.base, req->path_normalized.len,
                     req->method.base, req->method.len, &m);
    api_gate_run(req, &m);
    return 0;
}

/* ---- access log and HTTP metrics ---------------------------------------- */

struct api_logger {
    h2o_logger_t super;
    bool counts_inflight; /* the route path's logger; not the fallback's */
};

/* The end of a loop turn: the turn's access-log lines in one write. */
static void api_access_flush(uv_prepare_t *h)
{
    struct api_thread *t = h->data;
    uv_prepare_stop(h);
    log_batch_flush(&t->access_log);
}

static void api_log_access(h2o_logger_t *self, h2o_req_t *req)
{
    struct api_thread *t = (struct api_thread *)req->conn->ctx;
    if (((struct api_logger *)self)->counts_inflight)
        t->inflight--;
    const struct api_router *router = t->server->router;
    unsigned route = req->path_normalized.base
                         ? api_router_label(router, req->path_normalized.base, req->path_normalized.len)
                         : API_ROUTE_OTHER;
    int status = req->res.status ? req->res.status : 499; /* 499: gone before an answer */
    uint64_t us = api_ctx_elapsed_us(req);
    metrics_observe_http(&t->metrics, route, status, us);
    if (!log_enabled(LOG_LEVEL_INFO))
        return;
    char method[16];
    snprintf(method, sizeof method, "%.*s", (int)(req->input.method.len < 15 ? req->input.method.len : 15),
             req->input.method.base ? req->input.method.base : "");
    log_batch_emit(&t->access_log, LOG_LEVEL_INFO,
                   LOG_FIELDS(LF_STR("request_id", api_request_id(req)), LF_STR("method", method),
                              LF_STR("route", api_router_label_text(router, route)),
                              LF_INT("status", status), LF_INT("duration_us", (long long)us)),
                   "request");
    if (!uv_is_active((uv_handle_t *)&t->access_flush))
        uv_prepare_start(&t->access_flush, api_access_flush);
}

static void api_logger_register(h2o_pathconf_t *pc, bool counts)
{
    struct api_logger *l = (struct api_logger *)h2o_create_logger(pc, sizeof *l);
    l->super.log_access = api_log_access;
    l->counts_inflight = counts;
}

/* ---- connections -------------------------------------------------------- */

static void api_conn_unlink(struct api_conn *c)
{
    struct api_thread *t = c->t;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    t->nconns--;
}

static void api_conn_closed(uv_handle_t *h)
{
    struct api_conn *c = (struct api_conn *)h;
    api_conn_unlink(c);
    free(c);
}

static void api_conn_refused(uv_handle_t *h)
{
    free(h);
}

static void api_on_accept(uv_stream_t *listener, int status)
{
    struct api_thread *t = listener->data;
    if (status != 0)
        return;
    struct api_conn *c = mem_calloc(1, sizeof *c);
    uv_tcp_init(&t->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || t->nconns >= API_CONNECTIONS_MAX ||
        t->phase != PHASE_RUNNING) {
        uv_close((uv_handle_t *)&c->tcp, api_conn_refused);
        return;
    }
    c->t = t;
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    t->nconns++;
    uv_tcp_nodelay(&c->tcp, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, api_conn_closed);
    h2o_accept(&t->accept, sock);
    if (t->h2c_timer.data != NULL)
        api_h2guard_init(&c->guard, sock, clock_mono_ms());
}

/* ---- Redis -------------------------------------------------------------- */

static void api_on_registered(void *data, const redisReply *reply, const char *error)
{
    (void)data;
    (void)reply;
    if (error != NULL)
        log_warn(LOG_FIELDS(LF_STR("error", error)), "queue registration failed");
}

/* Every (re)connection registers the queue we produce into. */
static void api_on_redis_state(void *data, bool up)
{
    struct api_thread *t = data;
    if (!up || t->redis == NULL)
        return;
    struct queue_op op;
    queue_op_register(&op, t->server->cfg.prefix, API_WEBHOOK_QUEUE);
    queue_op_run_async(t->redis, &op, api_on_registered, NULL);
    queue_op_dispose(&op);
}

/* ---- shutdown ----------------------------------------------------------- */

static void api_thread_finish(struct api_thread *t)
{
    t->phase = PHASE_DONE;
    api_history_sampler_stop(t->history_sampler);
    uv_close((uv_handle_t *)&t->shutdown_timer, NULL);
    uv_close((uv_handle_t *)&t->wakeup, NULL);
    if (t->h2c_timer.data != NULL)
        uv_close((uv_handle_t *)&t->h2c_timer, NULL);
    api_batch_close(t->batch);
    api_pending_list_close(&t->pending);
    api_pending_list_close(&t->auth_pending);
    api_pending_list_close(&t->db_pending);
    /* h2o's HTTP/2 shutdown leaves a 1 s "resend GOAWAY" entry on the
     * context; every connection is closed by now, so it has nothing to do. */
    h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
    h2o_context_dispose(&t->ctx);
    log_batch_dispose(&t->access_log); /* no request is left to log */
    uv_close((uv_handle_t *)&t->access_flush, NULL);
}

/* Closes the Postgres pools one after the other, then finishes the thread. */
static void api_pg_closed(void *data)
{
    struct api_thread *t = data;
    struct pgpool **p = t->pg ? &t->pg : t->pg_read ? &t->pg_read : NULL;
    if (p == NULL) {
        api_thread_finish(t);
        return;
    }
    struct pgpool *pool = *p;
    *p = NULL;
    pgpool_close(pool, api_pg_closed, t);
}

static void api_redis_closed(void *data)
{
    struct api_thread *t = data;
    t->redis = NULL;
    api_pg_closed(t);
}

static void api_shut_sockets(struct api_thread *t)
{
    for (struct api_conn *c = t->conns; c; c = c->next) {
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
            shutdown(fd, SHUT_RDWR);
    }
}

static void api_shutdown_tick(uv_timer_t *timer)
{
    struct api_thread *t = timer->data;
    uint64_t now = uv_now(&t->loop);
    if (t->phase == PHASE_DRAINING && (t->inflight == 0 || now >= t->stop_deadline_ms)) {
        if (t->inflight > 0)
            log_warn(LOG_FIELDS(LF_INT("thread", t->index), LF_INT("in_flight", (long long)t->inflight)),
                     "shutdown deadline passed with requests in flight");
        t->phase = PHASE_CLOSING;
        api_shut_sockets(t);
    } else if (t->phase == PHASE_CLOSING && t->nconns == 0) {
        t->phase = PHASE_REDIS;
        uv_timer_stop(timer);
        if (t->redis)
            redis_client_close(t->redis, api_redis_closed, t);
        else
            api_redis_closed(t);
    } else if (t->phase == PHASE_CLOSING) {
        api_shut_sockets(t); /* sockets a late response re-armed */
    }
}

static void api_on_wakeup(uv_async_t *a)
{
    struct api_thread *t = a->data;
    if (t->phase != PHASE_RUNNING || !atomic_load(&t->server->stopping))
        return;
    t->phase = PHASE_DRAINING;
    t->stop_deadline_ms = uv_now(&t->loop) + API_SHUTDOWN_DEADLINE_MS;
    uv_close((uv_handle_t *)&t->listener, NULL);
    h2o_context_request_shutdown(&t->ctx);
    uv_timer_start(&t->shutdown_timer, api_shutdown_tick, API_SHUTDOWN_TICK_MS,
                   API_SHUTDOWN_TICK_MS);
}

/* ---- threads ------------------------------------------------------------ */

/* A listening socket with SO_REUSEPORT (libuv 1.44 cannot ask for it). */
static int api_listen_socket(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/*
 * One pool on DATABASE_URL whose sessions start with statement_timeout (and
 * default_transaction_read_only when read_only): libpq's `options`, so
 * every statement runs under them without a statement of its own.
 */
static int api_pool_create(struct api_thread *t, bool read_only, int size, struct pgpool **out)
{
    const struct api_config *c = &t->server->cfg;
    char *err = NULL;
    char *url = mem_printf("%s%coptions=-c%%20statement_timeout%%3D%d%s", c->database_url,
                           strchr(c->database_url, '?') ? '&' : '?', c->query_timeout_ms,
                           read_only ? "%20-c%20default_transaction_read_only%3Don" : "");
    struct pgpool_options po = {
        .url = url,
        .size = size,
        .query_timeout_ms = c->query_timeout_ms + API_PG_GRACE_MS,
    };
    int rc = pgpool_create(&t->loop, &po, out, &err);
    free(url);
    if (rc != 0) {
        log_error(LOG_FIELDS(LF_STR("error", err)), "cannot create the Postgres pool");
        free(err);
    }
    return rc;
}

/* The thread's Postgres pools, when DATABASE_URL is set; 0, or -1 after logging. */
static int api_thread_pg(struct api_server *s, struct api_thread *t)
{
    if (s->cfg.database_url == NULL)
        return 0;
    if (api_pool_create(t, false, API_PG_WRITERS, &t->pg) != 0)
        return -1;
    return api_pool_create(t, true, s->cfg.pg_pool_size, &t->pg_read);
}

/* Everything a thread needs, built before it starts (so wakeups are safe). */
static int api_thread_prepare(struct api_server *s, struct api_thread *t, unsigned index)
{
    t->server = s;
    t->index = index;
    t->listen_fd = -1;
    uv_loop_init(&t->loop);
    log_batch_init(&t->access_log);
    uv_prepare_init(&t->loop, &t->access_flush);
    t->access_flush.data = t;
    h2o_context_init(&t->ctx, &t->loop, &s->globalconf);
    t->accept.ctx = &t->ctx;
    t->accept.hosts = s->globalconf.hosts;
    uv_async_init(&t->loop, &t->wakeup, api_on_wakeup);
    t->wakeup.data = t;
    uv_timer_init(&t->loop, &t->shutdown_timer);
    t->shutdown_timer.data = t;
    if (s->cfg.enable_h2c) {
        uv_timer_init(&t->loop, &t->h2c_timer);
        t->h2c_timer.data = t;
        uv_timer_start(&t->h2c_timer, api_h2c_sweep, API_H2GUARD_TICK_MS, API_H2GUARD_TICK_MS);
        uv_unref((uv_handle_t *)&t->h2c_timer); /* never keeps the loop alive */
    }
    api_pending_list_init(&t->pending, &t->loop, (uint64_t)s->cfg.redis_timeout_ms);
    api_pending_list_init(&t->auth_pending, &t->loop, API_AUTH_TIMEOUT_MS);
    t->read_cache = api_cache_create((uint64_t)s->cfg.read_cache_ms);
    api_pending_list_init(&t->db_pending, &t->loop,
                          (uint64_t)s->cfg.query_timeout_ms + 2 * API_PG_GRACE_MS);
    if ((t->listen_fd = api_listen_socket(s->cfg.port)) < 0) {
        log_error(LOG_FIELDS(LF_INT("port", s->cfg.port), LF_STR("error", strerror(errno))),
                  "cannot listen");
        return -1;
    }
    uv_tcp_init(&t->loop, &t->listener);
    t->listener.data = t;
    if (uv_tcp_open(&t->listener, t->listen_fd) != 0 ||
        uv_listen((uv_stream_t *)&t->listener, API_LISTEN_BACKLOG, api_on_accept) != 0) {
        log_error(LOG_FIELDS(LF_INT("port", s->cfg.port)), "cannot listen");
        return -1;
    }
    char name[32];
    snprintf(name, sizeof name, "api-%u", index);
    struct redis_client_options o = {
        .url = s->cfg.redis_url,
        .name = name,
        .command_timeout_ms = 2 * s->cfg.redis_timeout_ms + 1000,
        .reconnect_max_ms = 2000,
        .scripts = queue_script_list,
        .on_state = api_on_redis_state,
        .state_data = t,
    };
    const char *why = NULL;
    if (redis_client_create(&t->loop, &o, &t->redis, &why) != 0) {
        log_error(LOG_FIELDS(LF_STR("error", why)), "invalid REDIS_URL");
        return -1;
    }
    t->batch = api_batch_create(&t->loop, t->redis, s->cfg.prefix, API_WEBHOOK_QUEUE);
    return api_thread_pg(s, t);
}

static void api_thread_main(void *arg)
{
    struct api_thread *t = arg;
    if (t->index == 0) /* one sampler per process (api/history.h) */
        t->history_sampler = api_history_sampler_start(t, t->server->history,
                                                       t->server->cfg.history_interval_ms);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&t->loop) != 0)
        log_error(LOG_FIELDS(LF_INT("thread", t->index)), "loop closed with live handles");
}

/* ---- server ------------------------------------------------------------- */

static void api_globalconf_init(struct api_server *s)
{
    h2o_globalconf_t *g = &s->globalconf;
    h2o_config_init(g);
    g->server_name = h2o_iovec_init(H2O_STRLIT("")); /* no Server header */
    g->max_request_entity_size = s->cfg.max_body_bytes;
    g->http1.req_timeout = (uint64_t)s->cfg.request_timeout_ms;
    g->http2.idle_timeout = (uint64_t)s->cfg.request_timeout_ms;
    /* HTTP/2 cleartext only when asked for (api/h2guard.h, docs/SECURITY.md):
     * off, the preface is a malformed HTTP/1 request (400, closed) and
     * Upgrade: h2c is ignored. */
    g->http1.upgrade_to_http2 = s->cfg.enable_h2c;
    /* 0: no context-wide h2o timer; our own deadline closes lingering sockets. */
    g->http2.graceful_shutdown_timeout = 0;
    s->hostconf = h2o_config_register_host(g, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(s->hostconf, "/", 0);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof *h);
    h->on_req = api_on_req;
    api_request_filter_register(pc, s);
    api_logger_register(pc, true);
    api_request_filter_register(&s->hostconf->fallback_path, s);
    api_logger_register(&s->hostconf->fallback_path, false);
}

int api_server_create(const struct api_config *cfg, const struct api_table *table,
                      struct api_server **out)
{
    struct api_server *s = mem_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->started_mono_ms = clock_mono_ms();
    s->started_wall_ms = clock_wall_ms();
    atomic_init(&s->stopping, false);
    s->limiter = cfg->rate_per_min > 0 ? api_limiter_create(cfg->rate_per_min, cfg->rate_burst)
                                       : NULL;
    const char *why = NULL;
    if (api_router_create(table, &s->router, &why) != 0) {
        log_error(LOG_FIELDS(LF_STR("error", why)), "invalid route table");
        api_limiter_free(s->limiter);
        free(s);
        return -1;
    }
    api_globalconf_init(s);
    s->history = api_history_create();
    s->threads = mem_calloc(cfg->threads, sizeof *s->threads);
    for (unsigned i = 0; i < cfg->threads; i++) {
        s->nthreads = i + 1;
        if (api_thread_prepare(s, &s->threads[i], i) != 0) {
            api_server_free(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

/*
 * SIGTERM/SIGINT: wake every thread into its shutdown. The handlers stay
 * installed (only unreferenced, so the main loop returns), so a second
 * signal during the drain is ignored instead of killing the process.
 */
static void api_on_signal(uv_signal_t *sig, int signum)
{
    struct api_server *s = sig->data;
    uv_signal_t *sigs = sig->loop->data;
    if (atomic_exchange(&s->stopping, true))
        return;
    log_info(LOG_FIELDS(LF_INT("signal", signum)), "shutting down");
    for (unsigned i = 0; i < s->nthreads; i++)
        uv_async_send(&s->threads[i].wakeup);
    uv_unref((uv_handle_t *)&sigs[0]);
    uv_unref((uv_handle_t *)&sigs[1]);
}

int api_server_run(struct api_server *s)
{
    uv_loop_t loop;
    uv_signal_t sigs[2];
    uv_loop_init(&loop);
    loop.data = sigs;
    int signums[2] = {SIGTERM, SIGINT};
    for (int i = 0; i < 2; i++) {
        uv_signal_init(&loop, &sigs[i]);
        sigs[i].data = s;
        uv_signal_start(&sigs[i], api_on_signal, signums[i]);
    }
    for (unsigned i = 0; i < s->nthreads; i++)
        uv_thread_create(&s->threads[i].tid, api_thread_main, &s->threads[i]);
    log_info(LOG_FIELDS(LF_INT("port", s->cfg.port), LF_INT("threads", s->nthreads),
                        LF_STR("environment", s->cfg.env_name)),
             "listening");
    uv_run(&loop, UV_RUN_DEFAULT); /* until a signal unreferences the handlers */
    for (unsigned i = 0; i < s->nthreads; i++)
        uv_thread_join(&s->threads[i].tid);
    uv_close((uv_handle_t *)&sigs[0], NULL);
    uv_close((uv_handle_t *)&sigs[1], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    log_info(NULL, "stopped");
    return 0;
}

/* Frees a thread that never ran (start-up failure). */
static void api_thread_abandon(struct api_thread *t)
{
    if (t->redis) {
        redis_client_close(t->redis, NULL, NULL);
        t->redis = NULL;
    }
    if (t->pg) {
        pgpool_close(t->pg, NULL, NULL);
        t->pg = NULL;
    }
    if (t->pg_read) {
        pgpool_close(t->pg_read, NULL, NULL);
        t->pg_read = NULL;
    }
    if (t->listen_fd >= 0 && !uv_is_closing((uv_handle_t *)&t->listener) &&
        t->listener.loop != NULL)
        uv_close((uv_handle_t *)&t->listener, NULL);
    else if (t->listen_fd >= 0)
        close(t->listen_fd);
    api_thread_finish(t);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    uv_loop_close(&t->loop);
}

void api_server_free(struct api_server *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < s->nthreads; i++)
        if (s->threads[i].phase != PHASE_DONE)
            api_thread_abandon(&s->threads[i]);
    for (unsigned i = 0; i < s->nthreads; i++)
        api_cache_free(s->threads[i].read_cache);
    free(s->threads);
    h2o_config_dispose(&s->globalconf);
    api_limiter_free(s->limiter);
    api_router_free(s->router);
    api_history_free(s->history);
    free(s);
}

void api_server_set_authenticator(struct api_server *s, const struct api_authenticator *a)
{
    s->authenticator = a;
}
