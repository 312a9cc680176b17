/*
 * api/ctx.h: everything a route handler (api/routes/) or a webhook source
 * (api/hooks/) may see of sentia-api — and the only api/ header they
 * include besides their own folder's. Never server.h: the server's threads,
 * listeners and shutdown are none of a handler's business.
 *
 * - The call: the request, its route row, the path's {param}s and the
 *   caller the gates established (api/gate.h), handed to the handler.
 * - Request accessors and responses (api/request.h): headers, JSON and
 *   error answers with the request id.
 * - The caller's identity and the role order (api/caller.h).
 * - Thread services, found from the request: the settings, the thread's
 *   Redis client and its deadline list (api/pending.h: a handler that waits
 *   on I/O arms a record there, because an HTTP/2 reset frees the request
 *   while it waits), the thread's loop, the rejection counters.
 *
 * Lifetimes: a struct api_call lives in the request's pool; it is valid
 * while the request is (a handler that goes asynchronous keeps an
 * api_pending record instead and looks at the call again only after
 * api_pending_end() returned the request). Services return borrowed
 * pointers owned by the thread; use them on the request's thread only.
 */
#ifndef SENTIA_API_CTX_H
#define SENTIA_API_CTX_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/caller.h"
#include "api/config.h"
#include "api/pending.h"
#include "api/request.h"
#include "api/router.h"

struct api_thread;
struct api_server;
struct redis_client;
struct api_queue_depth;
struct pgpool;

/* A matched request on its way through the gates to its handler. */
struct api_call {
    h2o_req_t *req;
    const struct api_route *route;
    struct api_caller caller; /* API_CALLER_ANONYMOUS until authenticated */
    size_t nparams;
    struct {
        const char *name;  /* from the pattern */
        const char *value; /* NUL-terminated copy of the segment, in the pool */
    } params[API_PARAMS_MAX];
};

/*
 * Creates the call for req from a router match (in the request's pool; the
 * params are copied so they are strings). Used by the server.
 */
struct api_call *api_call_create(h2o_req_t *req, const struct api_match *m);

/* The value of {name} in the matched path, or NULL when the route has none. */
const char *api_call_param(const struct api_call *c, const char *name);

/* ---- thread services ---------------------------------------------------- */

const struct api_config *api_ctx_config(h2o_req_t *req);
/* The thread's Redis client (never NULL while the thread runs). */
struct redis_client *api_ctx_redis(h2o_req_t *req);
/* True when the thread's Redis connection is up right now. */
bool api_ctx_redis_up(h2o_req_t *req);
/* The thread's deadline list for records waiting on Redis (REDIS_TIMEOUT_MS). */
struct api_pending_list *api_ctx_pending(h2o_req_t *req);
uv_loop_t *api_ctx_loop(h2o_req_t *req);
struct auth;
/* The process's authenticator state (lib/auth/auth.h), or NULL when none is
 * installed: the admin routes drop revoked keys from its cache. */
struct auth *api_ctx_auth(h2o_req_t *req);
/*
 * The thread's Postgres pools (lib/pgpool.h), NULL without DATABASE_URL:
 * api_ctx_pg is read-write (API keys, audit rows), api_ctx_pg_read runs
 * every statement in a read-only transaction (the dashboard reads). Both
 * have statement_timeout = API_QUERY_TIMEOUT_MS.
 */
struct pgpool *api_ctx_pg(h2o_req_t *req);
struct pgpool *api_ctx_pg_read(h2o_req_t *req);
/* The thread's deadline list for records waiting on Postgres
 * (API_QUERY_TIMEOUT_MS + 2 s: a backstop behind statement_timeout). */
struct api_pending_list *api_ctx_db_pending(h2o_req_t *req);
/* The thread's read micro-cache (api/cache.h) and its clock (loop ms). */
struct api_cache *api_ctx_read_cache(h2o_req_t *req);
uint64_t api_ctx_now_ms(h2o_req_t *req);
/* Counts a refused webhook of source index src (api/hooks/sources.h) for /metrics. */
void api_ctx_count_rejection(h2o_req_t *req, unsigned src, unsigned reason);
/* Counts an accepted webhook of source src in the acknowledgement histogram
 * (request start → now, as its 200 goes out after Redis confirmed). */
void api_ctx_count_ack(h2o_req_t *req, unsigned src);
/* Microseconds since h2o began processing req (or received its first byte). */
uint64_t api_ctx_elapsed_us(const h2o_req_t *req);
/* Counts a verified webhook under the secret slot that matched. */
void api_ctx_count_secret_match(h2o_req_t *req, unsigned src, unsigned slot);
/* Counts a verified webhook answered without a job (unhandled topic). */
void api_ctx_count_ignored(h2o_req_t *req, unsigned src);
/* Counts a verified webhook refused because its queue is full. */
void api_ctx_count_queue_full(h2o_req_t *req, unsigned src);
/* The thread's cached webhook queue depth (api/limits.h). */
struct api_queue_depth *api_ctx_queue_depth(h2o_req_t *req);
/* The server, opaque, for api/metrics.h's renderer. */
const struct api_server *api_ctx_server(h2o_req_t *req);
double api_ctx_uptime_s(h2o_req_t *req);
int64_t api_ctx_started_wall_ms(h2o_req_t *req);

/*
 * Spends one of the client address's rate tokens: a webhook whose
 * verification failed, a credential that was refused (see api/limits.h).
 */
void api_ctx_rate_penalize(h2o_req_t *req);
/*
 * The same, telling whether a token was left: false (and *retry_after_s)
 * when the address's bucket was already empty. Always true with no limit.
 */
bool api_ctx_rate_spend(h2o_req_t *req, int *retry_after_s);

#endif
