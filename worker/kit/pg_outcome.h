/*
 * worker/kit/pg_outcome.h: the one owner of the Postgres failure rule every
 * job family applies to a failed statement (lib/pgpool.h), and the one-row
 * JSON result a family's SQL function returns.
 *
 * The rule: data the database refuses outright — SQLSTATE class 22 (data
 * exception) or 23 (integrity constraint violation) — can never succeed as
 * sent, so the job goes to dead at once with the SQLSTATE and the message.
 * Everything else is transient and retried: connection loss and timeouts
 * (the runtime defers while Postgres is unavailable), serialization failures
 * (40001) and deadlocks (40P01), and any other server error.
 *
 * Ownership: pg_outcome_json() returns a new jansson reference (or NULL)
 * the caller releases; the PGresult stays the pool's.
 */
#ifndef SENTIA_WORKER_KIT_PG_OUTCOME_H
#define SENTIA_WORKER_KIT_PG_OUTCOME_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "worker/core/handler.h"

/* True when the rule says `err` can never succeed (class 22 or 23). */
bool pg_outcome_permanent(const struct pgpool_error *err);

/*
 * "<what>: refused by the database (SQLSTATE <s>): <message>" when
 * permanent, else "<what>: postgres: <message>", into out (NUL-terminated,
 * truncated to size). `what` names the statement.
 */
void pg_outcome_describe(const char *what, const struct pgpool_error *err, char *out,
                         size_t size);

/* Finishes a run after a failed statement by the rule: dead at once when
 * permanent, else a transient failure (retried), with pg_outcome_describe's text. */
void pg_outcome_fail(struct job_run *run, const char *what, const struct pgpool_error *err);

/* The single text column of a one-row result parsed as JSON, or NULL. */
json_t *pg_outcome_json(PGresult *res);

#endif
