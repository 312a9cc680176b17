/*
 * worker/kit/pg_outcome.c: failure rule and JSON result of a handler's
 * Postgres statement (pg_outcome.h).
 */
#include "worker/kit/pg_outcome.h"

#include <stdio.h>
#include <string.h>

bool pg_outcome_permanent(const struct pgpool_error *err)
{
    const char *state = err->sqlstate ? err->sqlstate : "";
    return !err->transient && !err->unavailable &&
           (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
}

void pg_outcome_describe(const char *what, const struct pgpool_error *err, char *out,
                         size_t size)
{
    if (pg_outcome_permanent(err))
        snprintf(out, size, "%s: refused by the database (SQLSTATE %s): %s", what, err->sqlstate,
                 err->message);
    else
        snprintf(out, size, "%s: postgres: %s", what, err->message);
}

void pg_outcome_fail(struct job_run *run, const char *what, const struct pgpool_error *err)
{
    char why[1024];
    pg_outcome_describe(what, err, why, sizeof why);
    if (pg_outcome_permanent(err))
        job_run_fail_permanent(run, "%s", why);
    else
        job_run_fail(run, "%s", why);
}

json_t *pg_outcome_json(PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0))
        return NULL;
    return json_loads(PQgetvalue(res, 0, 0), 0, NULL);
}
