/*
 * api/h2guard.h: bounds on HTTP/2 cleartext connections (issue 17 §1).
 *
 * h2o 2.2.5 predates the rapid-reset fixes (CVE-2023-44487) and keeps a
 * connection that only sends PINGs open forever. HTTP/2 is therefore off
 * unless ENABLE_H2C (server.c sets http1.upgrade_to_http2 = 0: the prior-
 * knowledge preface fails to parse as HTTP/1.1 → 400 and the connection
 * closes; Upgrade: h2c is ignored and the request is answered over
 * HTTP/1.1). With it on, each HTTP/2 connection is held to:
 * - H2C_MAX_STREAMS_PER_S streams opened per second. Counted twice: every
 *   request whose handler runs (api_h2guard_admit, before any Redis work)
 *   and every stream id the client opened (the sweep reads h2o's
 *   pull_stream_ids.max_open, so streams reset before their handler ran
 *   count too). Past the bound the connection gets GOAWAY
 *   ENHANCE_YOUR_CALM, its further requests are answered
 *   503 without touching Redis, and the socket is shut at the next sweep
 *   (GOAWAY written just before, when h2o has nothing queued).
 * - a request-rate floor: no new stream within REQUEST_TIMEOUT_MS → GOAWAY
 *   and close (a PING-only connection holds no slot).
 * - H2C_MAX_CONNECTION_S of lifetime → GOAWAY and close.
 * A stream reset before its handler ran costs no Redis work: h2o frees a
 * queued stream without calling us, and a handler already running is
 * protected by api/pending.h.
 *
 * The state lives in struct api_conn (server.c) as a struct api_h2guard;
 * the h2o connection behind a socket is found through h2o's public
 * structures and the first fields of its HTTP/2 connection (a checked
 * mirror: h2o/http2_internal.h does not compile from the package).
 */
#ifndef SENTIA_API_H2GUARD_H
#define SENTIA_API_H2GUARD_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/metrics.h"

enum {
    API_H2GUARD_TICK_MS = 200,       /* sweep period */
    API_H2GUARD_WINDOW_MS = 1000,    /* the rate window */
    API_H2GUARD_LINGER_MS = 100,     /* condemned → closed: answers in flight leave first */
};

struct api_h2guard {
    h2o_socket_t *sock;
    const h2o_conn_callbacks_t *http1; /* the HTTP/1 callbacks: anything else is HTTP/2 */
    uint64_t accepted_ms;
    uint64_t window_ms;      /* start of the current rate window */
    uint32_t window_ids;     /* streams opened (by id) when it started */
    uint32_t window_reqs;    /* handlers run in it */
    uint32_t seen_ids;       /* streams opened at the last look */
    uint64_t last_stream_ms; /* last time a new stream appeared */
    uint64_t condemned_ms;   /* 0, or when the connection was condemned */
    int errnum;              /* the GOAWAY's error (h2o's negated code) */
    bool shut;               /* the sweep shut the socket */
};

struct api_h2limits {
    int streams_per_s;
    uint64_t idle_ms;
    uint64_t lifetime_ms;
};

/* Starts guarding a freshly accepted socket (after h2o_accept). */
void api_h2guard_init(struct api_h2guard *g, h2o_socket_t *sock, uint64_t now_ms);

/*
 * The sweep of one connection at now_ms: true (once) when its socket should
 * get GOAWAY and be shut now (the caller does both); counts closures in m.
 */
bool api_h2guard_sweep(struct api_h2guard *g, const struct api_h2limits *l, uint64_t now_ms,
                       struct metrics_thread *m);

/*
 * Writes GOAWAY(last stream 2^31-1, the condemnation's error) straight on
 * fd, just before the close. Called only when the socket's write queue is
 * empty, so it never lands inside one of h2o's frames.
 */
void api_h2guard_goaway(const struct api_h2guard *g, int fd);

/*
 * Called in the request path for every HTTP/2 request before its handler:
 * false when the connection is past its bound (it is then condemned and
 * the request must be answered without work).
 */
bool api_h2guard_admit(h2o_req_t *req, const struct api_h2limits *l, uint64_t now_ms,
                       struct metrics_thread *m);

#endif
