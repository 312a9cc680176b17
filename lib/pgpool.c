/*
 * lib/pgpool.c: non-blocking libpq connections on a libuv loop (contract in
 * pgpool.h; the libpq traps are in LIBRARIES.md).
 *
 * Connection states:
 *   DOWN --(backoff due)--> RESOLVING --(uv_getaddrinfo)--> CONNECTING
 *   DOWN --(numeric host / socket path)--> CONNECTING
 *   CONNECTING --(PQconnectPoll OK)--> IDLE <--> BUSY (one query)
 *   BUSY --(timeout / cancel)--> DRAINING --(server's answer read)--> IDLE
 *   any --(socket error, connect timeout, server gone)--> DOWN
 * One repeating timer drives reconnects and deadlines; a 0 ms "kick" timer
 * hands queued queries to idle connections, so no callback ever runs inside
 * pgpool_query(). A connection's uv_poll is re-created whenever PQsocket()
 * changes (libpq may switch sockets while it tries addresses), and a poll
 * handle's memory is freed only in its close callback.
 *
 * Lifetimes: a query belongs to the pool from pgpool_query() until its
 * callback returns; the pool itself is freed in the close callback of its
 * tick timer, after every connection has been finished.
 */
#include "lib/pgpool.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pg.h"
#include "lib/process.h"

enum {
    PGPOOL_TICK_MS = 50,            /* deadline precision */
    PGPOOL_BACKOFF_START_MS = 100,
    PGPOOL_BACKOFF_MAX_MS = 2000,   /* a restarted server is found within 2 s */
    PGPOOL_CANCEL_GRACE_MS = 5000,  /* a cancelled query must end by then, else reconnect */
    PGPOOL_SIZE_MAX = 64,           /* more would only crowd max_connections */
    PGPOOL_ERROR_MAX = 512,         /* one readable line */
    PGPOOL_SQL_EXCERPT = 120,       /* bytes of SQL in a slow-query line (< ERROR_MAX) */
};

enum pgconn_state {
    PGC_DOWN,
    PGC_RESOLVING,
    PGC_CONNECTING,
    PGC_IDLE,
    PGC_BUSY,
    PGC_DRAINING,
};

enum pgpool_health { PGPOOL_UNKNOWN, PGPOOL_UP, PGPOOL_DOWN };

struct pgpool_conn;

struct pgpool_poll {
    uv_poll_t handle;
    struct pgpool_conn *conn; /* NULL once closing */
};

struct pgpool_conn {
    struct pgpool *pool;
    PGconn *pg;
    struct pgpool_poll *poll;
    int fd;
    enum pgconn_state state;
    struct pgpool_query *query; /* BUSY only */
    PGresult *result;           /* the query's result so far */
    uint64_t deadline_ms;       /* CONNECTING: connect; DRAINING: give up */
    uint64_t next_attempt_ms;   /* DOWN */
    unsigned backoff_ms;
    uv_getaddrinfo_t gai;
    bool gai_active;
};

struct pgpool_query {
    struct pgpool_query *next; /* wait queue */
    struct pgpool *pool;
    struct pgpool_conn *conn; /* NULL while queued */
    char *sql;
    char **params;
    int nparams;
    uint64_t deadline_ms, start_ms;
    pgpool_cb cb;
    void *data;
};

struct pgpool {
    uv_loop_t *loop;
    char *url;
    char *resolve_host; /* a name to resolve before connecting, or NULL */
    char *target;       /* pg_describe(url), for logs */
    int size, connect_timeout_ms, query_timeout_ms;
    pgpool_state_cb on_state;
    void *state_data;
    struct pgpool_conn *conns;
    struct pgpool_query *head, *tail;
    uv_timer_t tick, kick;
    enum pgpool_health health;
    char down_reason[PGPOOL_ERROR_MAX];
    bool closing;
    int handles_open; /* tick + kick: the pool is freed when both closed */
    void (*on_closed)(void *);
    void *closed_data;
};

/* ---- helpers ------------------------------------------------------------ */

/* libpq's message as one line, without its trailing newline. */
static void pgpool_line(const char *msg, char out[PGPOOL_ERROR_MAX])
{
    size_t n = 0;
    for (const char *p = msg ? msg : ""; *p && n + 1 < PGPOOL_ERROR_MAX; p++)
        out[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, PGPOOL_ERROR_MAX, "unknown error");
}

/* SQLSTATEs worth retrying: connection, serialization, resources, shutdown. */
static bool pgpool_sqlstate_transient(const char *s)
{
    static const char *const exact[] = {"40001", "40P01", "55P03", "57014",
                                        "57P01", "57P02", "57P03", NULL};
    if (s == NULL)
        return true;
    if (strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0)
        return true;
    for (size_t i = 0; exact[i]; i++)
        if (strcmp(s, exact[i]) == 0)
            return true;
    return false;
}

static bool pgpool_sqlstate_unavailable(const char *s)
{
    return s != NULL && (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
                         strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0);
}

static void pgpool_query_free(struct pgpool_query *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    free(q->sql);
    free(q);
}

/* Calls q's callback with an error and frees q. */
static void pgpool_fail_query(struct pgpool_query *q, const char *message,
                              const char *sqlstate, bool transient, bool unavailable)
{
    struct pgpool_error e = {message, sqlstate, transient, unavailable};
    q->cb(q->data, NULL, &e);
    pgpool_query_free(q);
}

/* Warns about a query slower than process.slow_query_ms (never its params). */
static void pgpool_note_duration(const struct pgpool_query *q, uint64_t now_ms)
{
    uint64_t ms = now_ms - q->start_ms;
    if (process.slow_query_ms <= 0 || ms <= (uint64_t)process.slow_query_ms)
        return;
    char excerpt[PGPOOL_ERROR_MAX];
    pgpool_line(q->sql, excerpt);
    excerpt[PGPOOL_SQL_EXCERPT] = '\0';
    log_warn(LOG_FIELDS(LF_INT("duration_ms", ms), LF_STR("sql", excerpt)),
             "slow query");
}

/* Hands res (or the error it carries) to q's callback, then frees q. */
static void pgpool_deliver(struct pgpool_query *q, PGresult *res, uint64_t now_ms)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    pgpool_note_duration(q, now_ms);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        q->cb(q->data, res, NULL);
        pgpool_query_free(q);
        return;
    }
    char msg[PGPOOL_ERROR_MAX];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    pgpool_line(res ? PQresultErrorMessage(res) : "no result", msg);
    pgpool_fail_query(q, msg, state, pgpool_sqlstate_transient(state),
                      pgpool_sqlstate_unavailable(state));
}

/* ---- pool health -------------------------------------------------------- */

static bool pgpool_any_up(const struct pgpool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].state >= PGC_IDLE)
            return true;
    return false;
}

/* Fails every queued query (pool down or closing). */
static void pgpool_fail_queued(struct pgpool *p, const char *why, bool unavailable)
{
    struct pgpool_query *q = p->head;
    p->head = p->tail = NULL;
    while (q) {
        struct pgpool_query *next = q->next;
        pgpool_fail_query(q, why, NULL, true, unavailable);
        q = next;
    }
}

static void pgpool_set_health(struct pgpool *p, enum pgpool_health h)
{
    p->health = h;
    if (h == PGPOOL_UP)
        log_info(LOG_FIELDS(LF_STR("target", p->target)), "postgres up");
    else
        log_warn(LOG_FIELDS(LF_STR("target", p->target), LF_STR("reason", p->down_reason)),
                 "postgres down");
    if (p->on_state)
        p->on_state(p->state_data, h == PGPOOL_UP);
}

/*
 * Re-evaluates up/down after a connection changed state; `why` is the
 * failure that caused the change, or NULL after a success. Going down fails
 * every queued query at once.
 */
static void pgpool_update_health(struct pgpool *p, const char *why)
{
    if (p->closing)
        return;
    bool up = pgpool_any_up(p);
    if (up && p->health != PGPOOL_UP) {
        pgpool_set_health(p, PGPOOL_UP);
    } else if (!up && why != NULL && p->health != PGPOOL_DOWN) {
        snprintf(p->down_reason, sizeof p->down_reason, "%s", why);
        pgpool_set_health(p, PGPOOL_DOWN);
        pgpool_fail_queued(p, "postgres unavailable", true);
    }
}

/* ---- sockets ------------------------------------------------------------ */

static void pgpool_poll_closed(uv_handle_t *h)
{
    free(h->data);
}

static void pgconn_close_poll(struct pgpool_conn *c)
{
    if (c->poll == NULL)
        return;
    c->poll->conn = NULL;
    uv_close((uv_handle_t *)&c->poll->handle, pgpool_poll_closed);
    c->poll = NULL;
    c->fd = -1;
}

static void pgpool_on_poll(uv_poll_t *h, int status, int events);

/* Watches the connection's current socket for `events`; -1 if impossible. */
static int pgconn_watch(struct pgpool_conn *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    if (c->poll != NULL && c->fd != fd)
        pgconn_close_poll(c);
    if (c->poll == NULL) {
        struct pgpool_poll *p = mem_calloc(1, sizeof *p);
        if (uv_poll_init(c->pool->loop, &p->handle, fd) != 0) {
            free(p);
            return -1;
        }
        p->handle.data = p;
        p->conn = c;
        c->poll = p;
        c->fd = fd;
    }
    uv_poll_start(&c->poll->handle, events, pgpool_on_poll);
    return 0;
}

/* Closes the socket and the libpq connection. */
static void pgconn_teardown(struct pgpool_conn *c)
{
    pgconn_close_poll(c);
    if (c->result) {
        PQclear(c->result);
        c->result = NULL;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
}

static void pgpool_maybe_finish_close(struct pgpool *p);
static void pgpool_dispatch(struct pgpool *p);

/*
 * The connection failed or was lost: its query (if any) fails as
 * unavailable, the socket is closed and a reconnect is scheduled with
 * jittered exponential backoff.
 */
static void pgconn_lost(struct pgpool_conn *c, const char *why)
{
    struct pgpool *p = c->pool;
    struct pgpool_query *q = c->query;
    char msg[PGPOOL_ERROR_MAX];
    pgpool_line(why, msg);
    c->query = NULL;
    pgconn_teardown(c);
    c->state = PGC_DOWN;
    uint8_t r;
    crypto_random(&r, 1);
    c->next_attempt_ms = uv_now(p->loop) + c->backoff_ms / 2 + (c->backoff_ms * r) / 510u;
    c->backoff_ms = c->backoff_ms * 2 > PGPOOL_BACKOFF_MAX_MS ? PGPOOL_BACKOFF_MAX_MS
                                                              : c->backoff_ms * 2;
    pgpool_update_health(p, msg);
    if (q != NULL)
        pgpool_fail_query(q, msg, NULL, true, true);
    pgpool_maybe_finish_close(p);
}

/* ---- connecting --------------------------------------------------------- */

static void pgpool_notice(void *arg, const char *message)
{
    char line[PGPOOL_ERROR_MAX];
    (void)arg;
    pgpool_line(message, line);
    log_info(LOG_FIELDS(LF_STR("notice", line)), "postgres notice");
}

/* Advances the non-blocking connect by one PQconnectPoll step. */
static void pgconn_connect_step(struct pgpool_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (pgconn_watch(c, UV_READABLE) != 0)
            pgconn_lost(c, "no socket");
        return;
    case PGRES_POLLING_WRITING:
        if (pgconn_watch(c, UV_WRITABLE) != 0)
            pgconn_lost(c, "no socket");
        return;
    case PGRES_POLLING_OK:
        PQsetnonblocking(c->pg, 1);
        c->state = PGC_IDLE;
        c->backoff_ms = PGPOOL_BACKOFF_START_MS;
        if (pgconn_watch(c, UV_READABLE) != 0) {
            pgconn_lost(c, "no socket");
            return;
        }
        pgpool_update_health(c->pool, NULL);
        pgpool_dispatch(c->pool);
        return;
    default:
        pgconn_lost(c, PQerrorMessage(c->pg));
        return;
    }
}

/* Starts PQconnectStartParams, with hostaddr when the name was resolved. */
static void pgconn_connect(struct pgpool_conn *c, const char *ip)
{
    const char *keys[] = {"dbname", "fallback_application_name", ip ? "hostaddr" : NULL, NULL};
    const char *vals[] = {c->pool->url, process.service, ip, NULL};
    c->pg = PQconnectStartParams(keys, vals, 1);
    if (c->pg == NULL)
        abort(); /* libpq could not allocate: lib/mem.h's policy */
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        pgconn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    PQsetNoticeProcessor(c->pg, pgpool_notice, NULL);
    c->state = PGC_CONNECTING;
    c->deadline_ms = uv_now(c->pool->loop) + (uint64_t)c->pool->connect_timeout_ms;
    if (pgconn_watch(c, UV_WRITABLE) != 0)
        pgconn_lost(c, "no socket");
}

static void pgconn_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct pgpool_conn *c = req->data;
    char ip[ADDR_NAME_MAX];
    c->gai_active = false;
    addr_name(status == 0 ? res : NULL, ip, sizeof ip);
    uv_freeaddrinfo(res);
    if (c->pool->closing) {
        c->state = PGC_DOWN;
        pgpool_maybe_finish_close(c->pool);
    } else if (ip[0] == '\0') {
        char why[PGPOOL_ERROR_MAX];
        snprintf(why, sizeof why, "cannot resolve %s: %s", c->pool->resolve_host,
                 status ? uv_strerror(status) : "no address");
        pgconn_lost(c, why);
    } else {
        pgconn_connect(c, ip);
    }
}

/* Begins a connection attempt (resolving the host first when needed). */
static void pgconn_start(struct pgpool_conn *c)
{
    struct pgpool *p = c->pool;
    if (p->resolve_host == NULL) {
        pgconn_connect(c, NULL);
        return;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->gai.data = c;
    c->state = PGC_RESOLVING;
    if (uv_getaddrinfo(p->loop, &c->gai, pgconn_on_resolved, p->resolve_host, NULL,
                       &hints) != 0) {
        pgconn_lost(c, "cannot start name resolution");
        return;
    }
    c->gai_active = true;
}

/* ---- queries ------------------------------------------------------------ */

static void pgconn_flush(struct pgpool_conn *c)
{
    int r = PQflush(c->pg);
    if (r < 0)
        pgconn_lost(c, PQerrorMessage(c->pg));
    else if (pgconn_watch(c, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        pgconn_lost(c, "no socket");
}

static void pgconn_send(struct pgpool_conn *c, struct pgpool_query *q)
{
    c->state = PGC_BUSY;
    c->query = q;
    q->conn = c;
    q->start_ms = uv_now(c->pool->loop);
    if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL,
                           (const char *const *)q->params, NULL, NULL, 0)) {
        pgconn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    pgconn_flush(c);
}

/* The server finished the statement: hand over the result, take the next. */
static void pgconn_query_done(struct pgpool_conn *c)
{
    struct pgpool *p = c->pool;
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        char msg[PGPOOL_ERROR_MAX];
        pgpool_line(c->result ? PQresultErrorMessage(c->result) : PQerrorMessage(c->pg), msg);
        pgconn_lost(c, msg);
        return;
    }
    struct pgpool_query *q = c->query;
    PGresult *res = c->result;
    c->query = NULL;
    c->result = NULL;
    c->state = PGC_IDLE;
    if (q != NULL)
        pgpool_deliver(q, res, uv_now(p->loop));
    if (res)
        PQclear(res);
    pgpool_dispatch(p);
    pgpool_maybe_finish_close(p);
}

/* Keeps the first result, or the first error if one follows. */
static void pgconn_keep_result(struct pgpool_conn *c, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    bool error = st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
    if (c->result == NULL) {
        c->result = res;
    } else if (error && (PQresultStatus(c->result) == PGRES_TUPLES_OK ||
                         PQresultStatus(c->result) == PGRES_COMMAND_OK)) {
        PQclear(c->result);
        c->result = res;
    } else {
        PQclear(res);
    }
}

/* Reads what the server sent; finishes the query once libpq has it all. */
static void pgconn_read(struct pgpool_conn *c)
{
    if (!PQconsumeInput(c->pg)) {
        pgconn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            pgconn_query_done(c);
            return;
        }
        pgconn_keep_result(c, res);
    }
}

/* An idle connection became readable: a notice, or the server leaving. */
static void pgconn_idle_read(struct pgpool_conn *c)
{
    if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD)
        pgconn_lost(c, PQerrorMessage(c->pg));
}

static void pgpool_on_poll(uv_poll_t *h, int status, int events)
{
    struct pgpool_poll *pp = h->data;
    struct pgpool_conn *c = pp->conn;
    if (c == NULL)
        return;
    if (status < 0)
        events = UV_READABLE | UV_WRITABLE; /* libpq finds the socket error */
    switch (c->state) {
    case PGC_CONNECTING:
        pgconn_connect_step(c);
        break;
    case PGC_IDLE:
        pgconn_idle_read(c);
        break;
    case PGC_BUSY:
    case PGC_DRAINING:
        if (events & UV_WRITABLE)
            pgconn_flush(c);
        if ((events & UV_READABLE) && c->pg != NULL && c->state >= PGC_BUSY)
            pgconn_read(c);
        break;
    default:
        break;
    }
}

struct pgpool_cancel_req {
    uv_work_t req;
    PGcancel *cancel;
};

static void pgpool_cancel_work(uv_work_t *w)
{
    struct pgpool_cancel_req *r = w->data;
    char err[256];
    PQcancel(r->cancel, err, sizeof err); /* blocks: hence the thread pool */
}

static void pgpool_cancel_done(uv_work_t *w, int status)
{
    struct pgpool_cancel_req *r = w->data;
    (void)status;
    PQfreeCancel(r->cancel);
    free(r);
}

/*
 * Gives up on the running query: the caller is answered now with `why`, the
 * server is asked to cancel, and the connection is drained before reuse.
 */
static void pgconn_abort_query(struct pgpool_conn *c, const char *why)
{
    struct pgpool_query *q = c->query;
    c->query = NULL;
    c->state = PGC_DRAINING;
    c->deadline_ms = uv_now(c->pool->loop) + PGPOOL_CANCEL_GRACE_MS;
    PGcancel *cancel = PQgetCancel(c->pg);
    if (cancel != NULL) {
        struct pgpool_cancel_req *r = mem_calloc(1, sizeof *r);
        r->cancel = cancel;
        r->req.data = r;
        if (uv_queue_work(c->pool->loop, &r->req, pgpool_cancel_work,
                          pgpool_cancel_done) != 0) {
            PQfreeCancel(cancel);
            free(r);
        }
    }
    if (q != NULL)
        pgpool_fail_query(q, why, "57014", true, false);
}

/* Hands queued queries to idle connections. */
static void pgpool_dispatch(struct pgpool *p)
{
    for (int i = 0; i < p->size && p->head != NULL; i++) {
        struct pgpool_conn *c = &p->conns[i];
        if (c->state != PGC_IDLE)
            continue;
        struct pgpool_query *q = p->head;
        p->head = q->next;
        if (p->head == NULL)
            p->tail = NULL;
        q->next = NULL;
        pgconn_send(c, q);
    }
}

/* ---- timers ------------------------------------------------------------- */

/* Fails queued queries whose deadline passed while waiting for a connection. */
static void pgpool_expire_queued(struct pgpool *p, uint64_t now)
{
    struct pgpool_query *expired = NULL, **link = &p->head;
    p->tail = NULL;
    while (*link) {
        struct pgpool_query *q = *link;
        if (q->deadline_ms <= now) {
            *link = q->next;
            q->next = expired;
            expired = q;
        } else {
            p->tail = q;
            link = &q->next;
        }
    }
    while (expired) {
        struct pgpool_query *next = expired->next;
        pgpool_fail_query(expired, "timeout waiting for a connection", NULL, true, false);
        expired = next;
    }
}

static void pgconn_tick(struct pgpool_conn *c, uint64_t now)
{
    char why[64];
    switch (c->state) {
    case PGC_DOWN:
        if (!c->pool->closing && now >= c->next_attempt_ms)
            pgconn_start(c);
        break;
    case PGC_CONNECTING:
        if (now >= c->deadline_ms)
            pgconn_lost(c, "connect timeout");
        break;
    case PGC_BUSY:
        if (c->query->deadline_ms <= now) {
            snprintf(why, sizeof why, "query timeout after %llu ms",
                     (unsigned long long)(now - c->query->start_ms));
            pgconn_abort_query(c, why);
        }
        break;
    case PGC_DRAINING:
        if (now >= c->deadline_ms)
            pgconn_lost(c, "cancelled query did not end");
        break;
    default:
        break;
    }
}

static void pgpool_on_tick(uv_timer_t *t)
{
    struct pgpool *p = t->data;
    uint64_t now = uv_now(p->loop);
    for (int i = 0; i < p->size; i++)
        pgconn_tick(&p->conns[i], now);
    pgpool_expire_queued(p, now);
}

/* Runs on the loop after pgpool_query: fail fast when down, else dispatch. */
static void pgpool_on_kick(uv_timer_t *t)
{
    struct pgpool *p = t->data;
    if (p->closing)
        pgpool_fail_queued(p, "shutting down", false);
    else if (p->health == PGPOOL_DOWN)
        pgpool_fail_queued(p, "postgres unavailable", true);
    else
        pgpool_dispatch(p);
}

/* ---- API ---------------------------------------------------------------- */

/* The host to resolve before connecting, or NULL when libpq needs no lookup. */
static char *pgpool_host_to_resolve(const char *url, char **err)
{
    char *perr = NULL, *out = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (opts == NULL) {
        char line[PGPOOL_ERROR_MAX];
        pgpool_line(perr ? perr : "cannot parse", line);
        *err = mem_printf("invalid DATABASE_URL: %s", line);
        PQfreemem(perr);
        return NULL;
    }
    const char *host = NULL, *hostaddr = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
    }
    unsigned char addr[16];
    if (host && host[0] && host[0] != '/' && !strchr(host, ',') &&
        !(hostaddr && hostaddr[0]) && inet_pton(AF_INET, host, addr) != 1 &&
        inet_pton(AF_INET6, host, addr) != 1)
        out = mem_strdup(host);
    PQconninfoFree(opts);
    return out;
}

int pgpool_create(uv_loop_t *loop, const struct pgpool_options *o,
                  struct pgpool **out, char **err)
{
    char *resolve = NULL;
    *err = NULL;
    if (o->url == NULL || o->url[0] == '\0') {
        *err = mem_strdup("DATABASE_URL is empty");
        return -1;
    }
    resolve = pgpool_host_to_resolve(o->url, err);
    if (*err != NULL)
        return -1;
    struct pgpool *p = mem_calloc(1, sizeof *p);
    p->loop = loop;
    p->url = mem_strdup(o->url);
    p->resolve_host = resolve;
    p->target = pg_describe(o->url);
    p->size = o->size > 0 ? (o->size < PGPOOL_SIZE_MAX ? o->size : PGPOOL_SIZE_MAX) : 4;
    p->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    p->query_timeout_ms = o->query_timeout_ms > 0 ? o->query_timeout_ms : 30000;
    p->on_state = o->on_state;
    p->state_data = o->state_data;
    p->conns = mem_calloc((size_t)p->size, sizeof *p->conns);
    uv_timer_init(loop, &p->tick);
    uv_timer_init(loop, &p->kick);
    p->tick.data = p->kick.data = p;
    p->handles_open = 2;
    for (int i = 0; i < p->size; i++) {
        p->conns[i].pool = p;
        p->conns[i].fd = -1;
        p->conns[i].backoff_ms = PGPOOL_BACKOFF_START_MS;
        pgconn_start(&p->conns[i]);
    }
    uv_timer_start(&p->tick, pgpool_on_tick, PGPOOL_TICK_MS, PGPOOL_TICK_MS);
    *out = p;
    return 0;
}

bool pgpool_up(const struct pgpool *p)
{
    return p->health == PGPOOL_UP;
}

struct pgpool_query *pgpool_query(struct pgpool *p, const char *sql, int nparams,
                                  const char *const *params, int timeout_ms,
                                  pgpool_cb cb, void *data)
{
    struct pgpool_query *q = mem_calloc(1, sizeof *q);
    q->pool = p;
    q->sql = mem_strdup(sql);
    q->nparams = nparams;
    q->params = mem_calloc((size_t)(nparams > 0 ? nparams : 1), sizeof *q->params);
    for (int i = 0; i < nparams; i++)
        q->params[i] = params[i] ? mem_strdup(params[i]) : NULL;
    q->deadline_ms = uv_now(p->loop) +
                     (uint64_t)(timeout_ms > 0 ? timeout_ms : p->query_timeout_ms);
    q->cb = cb;
    q->data = data;
    if (p->tail)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    if (!uv_is_active((uv_handle_t *)&p->kick))
        uv_timer_start(&p->kick, pgpool_on_kick, 0, 0);
    return q;
}

void pgpool_cancel(struct pgpool_query *q)
{
    struct pgpool *p = q->pool;
    if (q->conn != NULL) {
        pgconn_abort_query(q->conn, "cancelled");
        return;
    }
    struct pgpool_query *prev = NULL;
    for (struct pgpool_query *it = p->head; it; prev = it, it = it->next) {
        if (it != q)
            continue;
        if (prev)
            prev->next = q->next;
        else
            p->head = q->next;
        if (p->tail == q)
            p->tail = prev;
        break;
    }
    pgpool_fail_query(q, "cancelled", NULL, true, false);
}

/* ---- closing ------------------------------------------------------------ */

static void pgpool_handle_closed(uv_handle_t *h)
{
    struct pgpool *p = h->data;
    if (--p->handles_open > 0)
        return;
    void (*cb)(void *) = p->on_closed;
    void *data = p->closed_data;
    free(p->conns);
    free(p->url);
    free(p->resolve_host);
    free(p->target);
    free(p);
    if (cb)
        cb(data);
}

/* Once nothing runs any more: finish every connection and free the pool. */
static void pgpool_maybe_finish_close(struct pgpool *p)
{
    if (!p->closing || uv_is_closing((uv_handle_t *)&p->tick))
        return;
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].state == PGC_BUSY || p->conns[i].gai_active)
            return;
    for (int i = 0; i < p->size; i++) {
        pgconn_teardown(&p->conns[i]);
        p->conns[i].state = PGC_DOWN;
    }
    uv_close((uv_handle_t *)&p->tick, pgpool_handle_closed);
    uv_close((uv_handle_t *)&p->kick, pgpool_handle_closed);
}

void pgpool_usage(const struct pgpool *p, struct pgpool_usage *out)
{
    *out = (struct pgpool_usage){.size = p->size};
    for (int i = 0; i < p->size; i++) {
        out->in_use += p->conns[i].state == PGC_BUSY;
        out->idle += p->conns[i].state == PGC_IDLE;
    }
    for (const struct pgpool_query *q = p->head; q != NULL; q = q->next)
        out->queued++;
}

void pgpool_close(struct pgpool *p, void (*on_closed)(void *), void *data)
{
    p->on_closed = on_closed;
    p->closed_data = data;
    p->closing = true;
    pgpool_fail_queued(p, "shutting down", false);
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].gai_active)
            uv_cancel((uv_req_t *)&p->conns[i].gai);
    pgpool_maybe_finish_close(p);
}
