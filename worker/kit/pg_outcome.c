/*
 * worker/kit/pg_outcome.c: failure rule and JSON result of a handler's
 * Postgres statement (pg_outcome.h).
 */
#include "worker/kit/pg_outcome.h"

#include <string.h>

void pg_outcome_fail(struct job_run *run, const char *what, const struct pgpool_error *err)
{
    const char *state = err->sqlstate ? err->sqlstate : "";
    if (!err->transient && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
        job_run_fail_permanent(run, "%s: refused by the database: %s", what, err->message);
    else
        job_run_fail(run, "%s: postgres: %s", what, err->message);
}

json_t *pg_outcome_json(PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0))
        return NULL;
    return json_loads(PQgetvalue(res, 0, 0), 0, NULL);
}
