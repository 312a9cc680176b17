/*
 * worker/kit/pg_outcome.h: what a job handler does with the outcome of a
 * Postgres statement that is one unit of work (lib/pgpool.h): the failure
 * rule every such handler shares, and the one-row JSON result its SQL
 * function returns.
 *
 * Ownership: pg_outcome_json() returns a new jansson reference (or NULL)
 * the caller releases; the PGresult stays the pool's.
 */
#ifndef SENTIA_WORKER_JOBS_PG_OUTCOME_H
#define SENTIA_WORKER_JOBS_PG_OUTCOME_H

#include <jansson.h>
#include <libpq-fe.h>

#include "worker/core/handler.h"

/*
 * Finishes a run after a failed statement: connection trouble and the like
 * are retried (the runtime defers while Postgres is down); data the database
 * refuses outright (SQLSTATE class 22 data exception, 23 integrity) can never
 * succeed and goes dead with the reason. `what` names the statement.
 */
void pg_outcome_fail(struct job_run *run, const char *what, const struct pgpool_error *err);

/* The single text column of a one-row result parsed as JSON, or NULL. */
json_t *pg_outcome_json(PGresult *res);

#endif
