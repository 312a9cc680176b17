/*
 * lib/pgpool.h: asynchronous PostgreSQL on a libuv loop — a small pool of
 * non-blocking libpq connections (PQconnectStart/PQconnectPoll, one uv_poll
 * per socket; a new poll handle whenever PQsocket changes), so a worker never
 * blocks its loop on the database. A host name in the URL is resolved with
 * uv_getaddrinfo first (libpq's own lookup would block the loop).
 *
 * Discipline: every unit of work is ONE statement (a CTE, an
 * INSERT … SELECT FROM jsonb_to_recordset($1), or a call of a SQL function),
 * so atomicity comes from Postgres' statement-level transaction and a pool
 * connection is never left inside an open transaction.
 *
 * Queries wait in FIFO order for a free connection. Lost connections are
 * re-established with backoff; queries that were on them fail with a
 * transient, `unavailable` error. While the pool is down (no connection up
 * and the last attempt failed) new and queued queries fail at once the same
 * way, so callers never wait out a timeout during an outage. The pool logs
 * "postgres up" / "postgres down" once per change and reports each change to
 * on_state (for the worker registry). Parameters are text, NUL-terminated
 * (libpq reads them with strlen: LIBRARIES.md).
 *
 * Ownership: the pool copies sql and params; results passed to callbacks are
 * borrowed for the duration of the call (PQclear is done by the pool).
 */
#ifndef SENTIA_LIB_PGPOOL_H
#define SENTIA_LIB_PGPOOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

struct pgpool;
struct pgpool_query;

struct pgpool_error {
    const char *message;  /* server or libpq message; never contains the password */
    const char *sqlstate; /* five characters for server errors, else NULL */
    bool transient;       /* connection lost, timeout, cancelled by shutdown,
                             serialization failure / deadlock: worth a retry */
    bool unavailable;     /* the server could not be reached or the connection
                             was lost: says nothing about the statement itself */
};

/* Called exactly once per query: res on success (borrowed), else err. */
typedef void (*pgpool_cb)(void *data, PGresult *res, const struct pgpool_error *err);
typedef void (*pgpool_state_cb)(void *data, bool up);

struct pgpool_options {
    const char *url;            /* DATABASE_URL */
    int size;                   /* PG_POOL_SIZE, default 4 */
    int connect_timeout_ms;     /* default 5000 */
    int query_timeout_ms;       /* default 30000 (per query, client side) */
    pgpool_state_cb on_state;
    void *state_data;
};

/* Starts connecting; returns 0, or -1 and *err (caller frees) if the URL is bad. */
int pgpool_create(uv_loop_t *loop, const struct pgpool_options *o,
                  struct pgpool **out, char **err);
/* Fails queued queries (transient "shutting down"), waits for running ones,
 * closes every connection, frees the pool, then calls on_closed. */
void pgpool_close(struct pgpool *p, void (*on_closed)(void *), void *data);
bool pgpool_up(const struct pgpool *p);

/* What the pool holds now, for health documents. */
struct pgpool_usage {
    int size;    /* connections configured */
    int in_use;  /* running a statement */
    int idle;    /* connected and free */
    int queued;  /* statements waiting for a connection */
};
void pgpool_usage(const struct pgpool *p, struct pgpool_usage *out);

/*
 * Queues one parameterised statement. timeout_ms 0 = the pool default.
 * Returns a handle valid until the callback runs. When the pool is down or
 * closing, the callback runs before pgpool_query returns (and NULL is
 * returned).
 */
struct pgpool_query *pgpool_query(struct pgpool *p, const char *sql, int nparams,
                                  const char *const *params, int timeout_ms,
                                  pgpool_cb cb, void *data);
/*
 * Cancels a query: if still queued it is dropped; if running, a cancel
 * request is sent from the thread pool (PQcancel blocks) and the connection
 * is reused once the server answered. Either way the callback is called with
 * a transient "cancelled" error before pgpool_cancel returns.
 */
void pgpool_cancel(struct pgpool_query *q);

#endif
