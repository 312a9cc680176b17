/*
 * api/h2guard.c: the HTTP/2 cleartext bounds (see h2guard.h).
 */
#include "api/h2guard.h"

#include <h2o/http2.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

/*
 * The first fields of h2o 2.2.5's struct st_h2o_http2_conn_t
 * (h2o/http2_internal.h, which the package cannot compile: it includes
 * khash.h, not shipped). Only pull_stream_ids.max_open is read, and only
 * after checking that `sock` is the guarded socket, so a different layout
 * is detected (the guard then counts handler runs alone).
 */
struct api_h2conn_prefix {
    h2o_conn_t super;
    h2o_socket_t *sock;
    h2o_http2_settings_t peer_settings;
    void *streams;
    struct {
        uint32_t max_open;
        uint32_t max_processed;
    } pull_stream_ids;
};

void api_h2guard_init(struct api_h2guard *g, h2o_socket_t *sock, uint64_t now_ms)
{
    *g = (struct api_h2guard){.sock = sock, .accepted_ms = now_ms, .window_ms = now_ms,
                              .last_stream_ms = now_ms};
    h2o_conn_t *conn = sock->data; /* h2o_accept made the HTTP/1 connection */
    g->http1 = conn ? conn->callbacks : NULL;
    sock->on_close.data = g; /* unused by h2o's server connections */
}

typedef struct api_h2conn_prefix api_h2conn;

/* The HTTP/2 connection on the guarded socket, or NULL while it speaks HTTP/1. */
static api_h2conn *api_h2guard_conn(const struct api_h2guard *g)
{
    h2o_conn_t *conn = g->sock->data;
    if (conn == NULL || conn->callbacks == g->http1)
        return NULL;
    return (api_h2conn *)conn;
}

/* Streams the client opened so far (client stream ids are odd and rise). */
static uint32_t api_h2guard_opened(const struct api_h2guard *g, const api_h2conn *c)
{
    if (c->sock != g->sock) /* not the layout we know: handler runs only */
        return g->seen_ids;
    return (c->pull_stream_ids.max_open + 1) / 2;
}

/*
 * Remembers when; from now on its requests are refused without work and the
 * next sweep writes GOAWAY and shuts the socket (h2o then reads EOF and
 * closes the connection, freeing its streams safely).
 */
static void api_h2guard_condemn(struct api_h2guard *g, const api_h2conn *c, int errnum,
                                enum metrics_h2c_reason why, uint64_t now_ms,
                                struct metrics_thread *m)
{
    static const char *const names[METRICS_H2C_REASONS] = {"stream_rate", "idle", "lifetime"};
    if (g->condemned_ms != 0)
        return;
    g->condemned_ms = now_ms;
    g->errnum = errnum;
    metrics_h2c_closed(m, why);
    log_info(LOG_FIELDS(LF_STR("reason", names[why]),
                        LF_INT("streams", (long long)api_h2guard_opened(g, c)),
                        LF_INT("age_ms", (long long)(now_ms - g->accepted_ms))),
             "http2 connection closed by the guard");
}

void api_h2guard_goaway(const struct api_h2guard *g, int fd)
{
    uint8_t f[17] = {0, 0, 8, 7, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    uint32_t code = (uint32_t)-g->errnum; /* h2o's codes are negated */
    f[13] = (uint8_t)(code >> 24);
    f[14] = (uint8_t)(code >> 16);
    f[15] = (uint8_t)(code >> 8);
    f[16] = (uint8_t)code;
    ssize_t n = send(fd, f, sizeof f, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n; /* best effort: the close follows either way */
}

/* Rolls the rate window forward; true when the connection is past the bound. */
static bool api_h2guard_over(struct api_h2guard *g, const api_h2conn *c,
                             const struct api_h2limits *l, uint64_t now_ms)
{
    uint32_t opened = api_h2guard_opened(g, c);
    if (opened != g->seen_ids) {
        g->seen_ids = opened;
        g->last_stream_ms = now_ms;
    }
    if (now_ms - g->window_ms >= API_H2GUARD_WINDOW_MS) {
        g->window_ms = now_ms;
        g->window_ids = opened;
        g->window_reqs = 0;
    }
    uint32_t bound = (uint32_t)l->streams_per_s;
    return opened - g->window_ids > bound || g->window_reqs > bound;
}

bool api_h2guard_sweep(struct api_h2guard *g, const struct api_h2limits *l, uint64_t now_ms,
                       struct metrics_thread *m)
{
    if (g->condemned_ms != 0 && !g->shut && now_ms - g->condemned_ms >= API_H2GUARD_LINGER_MS)
        return g->shut = true;
    if (g->condemned_ms != 0)
        return false;
    const api_h2conn *c = api_h2guard_conn(g);
    if (c == NULL)
        return false;
    if (api_h2guard_over(g, c, l, now_ms))
        api_h2guard_condemn(g, c, H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM, METRICS_H2C_STREAM_RATE,
                            now_ms, m);
    else if (now_ms - g->accepted_ms >= l->lifetime_ms)
        api_h2guard_condemn(g, c, H2O_HTTP2_ERROR_NONE, METRICS_H2C_LIFETIME, now_ms, m);
    else if (now_ms - g->last_stream_ms >= l->idle_ms)
        api_h2guard_condemn(g, c, H2O_HTTP2_ERROR_NONE, METRICS_H2C_IDLE, now_ms, m);
    return false;
}

bool api_h2guard_admit(h2o_req_t *req, const struct api_h2limits *l, uint64_t now_ms,
                       struct metrics_thread *m)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    struct api_h2guard *g = sock ? sock->on_close.data : NULL;
    if (g == NULL || g->sock != sock)
        return true;
    const api_h2conn *c = (const api_h2conn *)req->conn;
    g->last_stream_ms = now_ms;
    if (g->condemned_ms != 0)
        return false;
    g->window_reqs++;
    if (!api_h2guard_over(g, c, l, now_ms))
        return true;
    api_h2guard_condemn(g, c, H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM, METRICS_H2C_STREAM_RATE, now_ms,
                        m);
    return false;
}
