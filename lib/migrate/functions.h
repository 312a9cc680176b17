/*
 * lib/migrate/functions.h: the SQL functions of migrations/functions/<name>.sql,
 * re-applied by `sentia-migrate up` whenever a file's bytes change (procedure
 * in docs/MIGRATIONS.md "SQL functions").
 *
 * A function file is <name>.sql (name of a-z, 0-9 and '_') holding
 * CREATE OR REPLACE statements, so applying it again is always safe. After
 * the numbered migrations, under the same advisory lock, every file that is
 * new or whose SHA-256 differs from the one recorded in schema_functions is
 * applied — all of them in one transaction together with their records, so
 * a file that fails to compile leaves every previous definition in place.
 * An unchanged file is never run again.
 *
 * Ownership: a struct migrate_functions owns its files and what was read from
 * the database (migrate_functions_dispose); error strings are freed by the
 * caller.
 */
#ifndef SENTIA_LIB_MIGRATE_FUNCTIONS_H
#define SENTIA_LIB_MIGRATE_FUNCTIONS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/migrate/migrate.h"

/* One function file and where the database stands on it. */
struct migrate_function {
    char *filename; /* "whatsapp_place_order.sql" */
    char *name;     /* "whatsapp_place_order" */
    char *path;     /* folder + "/" + filename, for messages */
    char *sql;      /* the file's bytes, NUL-terminated */
    char checksum[MIGRATE_CHECKSUM_LEN + 1];
    char *recorded;   /* checksum in schema_functions, or NULL (never applied) */
    char *applied_at; /* RFC 3339, UTC, or NULL */
};

/* The files of <migrations>/functions/, sorted by name. */
struct migrate_functions {
    struct migrate_function *files;
    size_t n;
};

/* "ok" (applied, unchanged), "changed" or "pending" (never applied). */
const char *migrate_function_state(const struct migrate_function *f);
/* True when `up` applies f: never applied, or its bytes changed. */
bool migrate_function_due(const struct migrate_function *f);

/* True for "<a-z0-9_>+.sql". */
bool migrate_function_name_ok(const char *filename);

/*
 * Reads every function file of dir/functions (an absent folder holds none).
 * Returns 0 and *out, or -1 and *err listing every problem (bad names,
 * unreadable files).
 */
int migrate_functions_load(const char *dir, struct migrate_functions *out, char **err);
void migrate_functions_dispose(struct migrate_functions *fns);

/*
 * Reads schema_functions into fns (an absent table means nothing applied).
 * Read-only. Returns 0, or -1 and *err.
 */
int migrate_functions_read(PGconn *c, struct migrate_functions *fns, char **err);

/*
 * On the applying connection, with the migration lock held: creates
 * schema_functions if needed, reads it, and applies every due file with its
 * record in one transaction. *applied receives how many files ran. Returns 0,
 * or -1 and *err naming the file, the line and the server's message (the
 * transaction rolled back: nothing of this run applied).
 */
int migrate_functions_up(PGconn *c, struct migrate_functions *fns, size_t *applied,
                         char **err);

#endif
