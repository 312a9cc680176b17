/*
 * lib/migrate/functions.c: reading migrations/functions/, comparing it with
 * schema_functions, and re-applying what changed (see functions.h).
 *
 * One transaction for every due file: BEGIN; each file's text (PQexec:
 * several statements) followed by its upsert into schema_functions; COMMIT.
 * Any error rolls all of them back, so the database keeps the definitions it
 * had and the next `up` tries the same files again.
 */
#include "lib/migrate/functions.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pg.h"

enum {
    MIGRATE_FUNCTIONS_MAX = 1000,         /* far more than a project writes */
    MIGRATE_FUNCTIONS_PROBLEMS_MAX = 16 * 1024,
};

static const char functions_create_sql[] =
    "CREATE TABLE schema_functions (\n"
    "    name        text PRIMARY KEY,\n"
    "    checksum    text NOT NULL,\n"
    "    applied_at  timestamptz NOT NULL DEFAULT now(),\n"
    "    duration_ms integer\n"
    ")";

static const char functions_record_sql[] =
    "INSERT INTO schema_functions (name, checksum, duration_ms)"
    " VALUES ($1, $2, $3::integer)"
    " ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum,"
    " applied_at = now(), duration_ms = EXCLUDED.duration_ms";

/* ---- files -------------------------------------------------------------- */

bool migrate_function_name_ok(const char *filename)
{
    size_t len = strlen(filename);
    if (len <= 4 || strcmp(filename + len - 4, ".sql") != 0)
        return false;
    return strspn(filename, "abcdefghijklmnopqrstuvwxyz0123456789_") == len - 4;
}

const char *migrate_function_state(const struct migrate_function *f)
{
    if (f->recorded == NULL)
        return "pending";
    return strcmp(f->recorded, f->checksum) == 0 ? "ok" : "changed";
}

bool migrate_function_due(const struct migrate_function *f)
{
    return f->recorded == NULL || strcmp(f->recorded, f->checksum) != 0;
}

static void functions_file_dispose(struct migrate_function *f)
{
    free(f->filename);
    free(f->name);
    free(f->path);
    free(f->sql);
    free(f->recorded);
    free(f->applied_at);
    memset(f, 0, sizeof *f);
}

/* Appends dir/filename to fns; on failure adds the reason to problems. */
static void functions_add(struct migrate_functions *fns, size_t *cap, const char *dir,
                          const char *filename, struct buf *problems)
{
    const char *why = NULL;
    if (fns->n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        fns->files = mem_realloc(fns->files, *cap * sizeof *fns->files);
    }
    struct migrate_function *f = &fns->files[fns->n];
    memset(f, 0, sizeof *f);
    f->filename = mem_strdup(filename);
    f->name = mem_strndup(filename, strlen(filename) - 4);
    f->path = mem_printf("%s/%s", dir, filename);
    if (migrate_read_sql(f->path, &f->sql, f->checksum, &why) != 0) {
        buf_printf(problems, "%s%s: %s", problems->len ? "; " : "", f->path, why);
        functions_file_dispose(f);
        return;
    }
    fns->n++;
}

static int functions_cmp(const void *a, const void *b)
{
    return strcmp(((const struct migrate_function *)a)->name,
                  ((const struct migrate_function *)b)->name);
}

/* Reads the entries of the open folder d into fns, problems into problems. */
static void functions_scan(DIR *d, const char *dir, struct migrate_functions *fns,
                           struct buf *problems)
{
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue; /* README, .gitkeep */
        if (!migrate_function_name_ok(e->d_name)) {
            buf_printf(problems, "%s%s/%s is not a function file name (expected name.sql: "
                       "a-z, 0-9 and '_')", problems->len ? "; " : "", dir, e->d_name);
            continue;
        }
        if (fns->n == MIGRATE_FUNCTIONS_MAX) {
            buf_printf(problems, "%smore than %d function files in %s",
                       problems->len ? "; " : "", MIGRATE_FUNCTIONS_MAX, dir);
            return;
        }
        functions_add(fns, &cap, dir, e->d_name, problems);
    }
}

int migrate_functions_load(const char *dir, struct migrate_functions *out, char **err)
{
    struct migrate_functions fns = {0};
    struct buf problems;
    char *path = mem_printf("%s/functions", dir);
    DIR *d = opendir(path);
    memset(out, 0, sizeof *out);
    if (d == NULL) {
        int e = errno;
        free(path);
        if (e == ENOENT)
            return 0;
        *err = mem_printf("cannot open the functions folder %s/functions: %s", dir, strerror(e));
        return -1;
    }
    buf_init(&problems, MIGRATE_FUNCTIONS_PROBLEMS_MAX);
    functions_scan(d, path, &fns, &problems);
    closedir(d);
    free(path);
    if (fns.n > 0)
        qsort(fns.files, fns.n, sizeof *fns.files, functions_cmp);
    if (problems.len > 0) {
        *err = buf_steal(&problems);
        migrate_functions_dispose(&fns);
        return -1;
    }
    buf_dispose(&problems);
    *out = fns;
    return 0;
}

void migrate_functions_dispose(struct migrate_functions *fns)
{
    for (size_t i = 0; i < fns->n; i++)
        functions_file_dispose(&fns->files[i]);
    free(fns->files);
    memset(fns, 0, sizeof *fns);
}

/* ---- database ----------------------------------------------------------- */

/* Sets *err from a failed statement (res may be NULL) and clears res. */
static int functions_db_error(PGconn *c, PGresult *res, const char *what, char **err)
{
    char *why = pg_error_text(c, res);
    *err = mem_printf("%s: %s", what, why);
    free(why);
    PQclear(res);
    return -1;
}

static int functions_exec(PGconn *c, const char *sql, int n, const char *const *params,
                          const char *what, char **err)
{
    PGresult *res = pg_exec_params(c, sql, n, params);
    if (!pg_result_ok(res))
        return functions_db_error(c, res, what, err);
    PQclear(res);
    return 0;
}

static struct migrate_function *functions_find(struct migrate_functions *fns, const char *name)
{
    for (size_t i = 0; i < fns->n; i++)
        if (strcmp(fns->files[i].name, name) == 0)
            return &fns->files[i];
    return NULL;
}

/* Copies the recorded checksums of schema_functions into fns. */
static int functions_read_rows(PGconn *c, struct migrate_functions *fns, char **err)
{
    PGresult *res = pg_exec_params(
        c,
        "SELECT name, checksum,"
        " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " FROM schema_functions",
        0, NULL);
    if (!pg_result_ok(res))
        return functions_db_error(c, res, "reading schema_functions", err);
    for (int i = 0; i < PQntuples(res); i++) {
        struct migrate_function *f = functions_find(fns, PQgetvalue(res, i, 0));
        if (f == NULL)
            continue; /* a retired file: its function stays as it was */
        free(f->recorded);
        free(f->applied_at);
        f->recorded = mem_strdup(PQgetvalue(res, i, 1));
        f->applied_at = mem_strdup(PQgetvalue(res, i, 2));
    }
    PQclear(res);
    return 0;
}

/* Whether schema_functions exists, into *exists. 0, or -1 and *err. */
static int functions_table_exists(PGconn *c, bool *exists, char **err)
{
    PGresult *res = pg_exec_params(c, "SELECT to_regclass('schema_functions') IS NOT NULL",
                                   0, NULL);
    if (!pg_result_ok(res) || PQntuples(res) != 1)
        return functions_db_error(c, res, "looking for schema_functions", err);
    *exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}

int migrate_functions_read(PGconn *c, struct migrate_functions *fns, char **err)
{
    bool exists = false;
    if (functions_table_exists(c, &exists, err) != 0)
        return -1;
    return exists ? functions_read_rows(c, fns, err) : 0;
}

/* The message for a file the server rejected: file, line, server's reason. */
static char *functions_file_error(PGconn *c, const PGresult *res,
                                  const struct migrate_function *f)
{
    char *why = pg_error_text(c, res);
    int line = pg_error_line(res, f->sql);
    char at[32] = "";
    if (line > 0)
        snprintf(at, sizeof at, " at line %d", line);
    char *msg = mem_printf("%s failed%s: %s; no function file of this run was applied "
                           "and the previous definitions stay", f->path, at, why);
    free(why);
    return msg;
}

/* Runs one file and its record inside the open transaction. */
static int functions_apply_one(PGconn *c, const struct migrate_function *f, char **err)
{
    uint64_t start_ms = clock_mono_ms();
    PGresult *res = pg_exec_script(c, f->sql);
    if (!pg_result_ok(res) && PQresultStatus(res) != PGRES_EMPTY_QUERY) {
        *err = functions_file_error(c, res, f);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
        *err = mem_printf("%s ended the transaction itself (COMMIT or ROLLBACK in a function "
                          "file): remove those statements", f->path);
        return -1;
    }
    char duration[24];
    snprintf(duration, sizeof duration, "%llu", (unsigned long long)(clock_mono_ms() - start_ms));
    const char *params[] = {f->name, f->checksum, duration};
    if (functions_exec(c, functions_record_sql, 3, params, f->path, err) != 0)
        return -1;
    log_info(LOG_FIELDS(LF_STR("file", f->filename), LF_STR("duration_ms", duration)),
             "applied function file");
    return 0;
}

/* Applies every due file in one transaction; rolls back on any error. */
static int functions_apply_due(PGconn *c, struct migrate_functions *fns, size_t *applied,
                               char **err)
{
    if (functions_exec(c, "BEGIN", 0, NULL, "BEGIN", err) != 0)
        return -1;
    for (size_t i = 0; i < fns->n; i++) {
        if (!migrate_function_due(&fns->files[i]))
            continue;
        if (functions_apply_one(c, &fns->files[i], err) != 0)
            goto fail;
        (*applied)++;
    }
    if (functions_exec(c, "COMMIT", 0, NULL, "committing the function files", err) != 0)
        goto fail;
    return 0;
fail:
    *applied = 0;
    PGTransactionStatusType ts = PQtransactionStatus(c);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(pg_exec_params(c, "ROLLBACK", 0, NULL));
    return -1;
}

int migrate_functions_up(PGconn *c, struct migrate_functions *fns, size_t *applied,
                         char **err)
{
    size_t due = 0;
    *applied = 0;
    if (fns->n == 0)
        return 0;
    bool exists = false;
    if (functions_table_exists(c, &exists, err) != 0)
        return -1;
    if (!exists && functions_exec(c, functions_create_sql, 0, NULL,
                                  "creating schema_functions", err) != 0)
        return -1;
    if (functions_read_rows(c, fns, err) != 0)
        return -1;
    for (size_t i = 0; i < fns->n; i++)
        due += migrate_function_due(&fns->files[i]);
    if (due == 0)
        return 0;
    return functions_apply_due(c, fns, applied, err);
}
