/*
 * lib/migrate/migrate.c: reading a migrations folder, comparing it with
 * schema_migrations, and applying what is pending (see migrate.h; the
 * operator's side is docs/MIGRATIONS.md).
 *
 * `up` uses two connections: one only holds the session advisory lock for the
 * whole run, the other applies files. Keeping them apart means nothing a
 * migration file does (pg_advisory_unlock_all(), a dropped session state) can
 * release the lock, and lets the applier reset its session with DISCARD ALL
 * after every file, so each file starts from the same state whether it runs
 * alone or after others in one run.
 *
 * Per file: BEGIN; the file's text (PQexec: several statements); INSERT into
 * schema_migrations; COMMIT. Any error rolls the whole file back and ends the
 * run, so later files never run on top of a half-applied one.
 */
#include "lib/migrate/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pg.h"

/* Versions have at least 4 digits (sortable by eye); 18 fit a bigint. */
enum { MIGRATE_VERSION_DIGITS_MIN = 4, MIGRATE_VERSION_DIGITS_MAX = 18 };
/* A migration is schema code, not data: a bigger file is a mistake. */
enum { MIGRATE_FILE_MAX = 4 * 1024 * 1024 };
/* Far more files than a project writes; a bigger folder is the wrong one. */
enum { MIGRATE_FILES_MAX = 10000 };
/* The problem report stays readable even for a badly broken folder. */
enum { MIGRATE_PROBLEMS_MAX = 16 * 1024 };
/* Checksum characters shown when a file changed: enough to compare by eye. */
enum { MIGRATE_CHECKSUM_SHOWN = 12 };

static const char migrate_create_table_sql[] =
    "CREATE TABLE schema_migrations (\n"
    "    version     bigint PRIMARY KEY,\n"
    "    name        text NOT NULL,\n"
    "    checksum    text NOT NULL,\n"
    "    applied_at  timestamptz NOT NULL DEFAULT now(),\n"
    "    duration_ms integer\n"
    ")";

/* ---- files -------------------------------------------------------------- */

enum migrate_name_kind migrate_name_parse(const char *filename,
                                          long long *version, size_t *name_off,
                                          size_t *name_len)
{
    size_t len = strlen(filename);
    if (len < 4 || strcasecmp(filename + len - 4, ".sql") != 0)
        return MIGRATE_NAME_OTHER;
    size_t digits = strspn(filename, "0123456789");
    if (digits < MIGRATE_VERSION_DIGITS_MIN || digits > MIGRATE_VERSION_DIGITS_MAX ||
        filename[digits] != '_' || strcmp(filename + len - 4, ".sql") != 0)
        return MIGRATE_NAME_INVALID;
    size_t off = digits + 1, n = len - 4 - off;
    if (len - 4 <= off ||
        strspn(filename + off, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return MIGRATE_NAME_INVALID;
    long long v = 0;
    for (size_t i = 0; i < digits; i++)
        v = v * 10 + (filename[i] - '0');
    *version = v;
    *name_off = off;
    *name_len = n;
    return MIGRATE_NAME_MIGRATION;
}

/*
 * Reads a whole file (at most MIGRATE_FILE_MAX bytes, no NUL byte inside).
 * Returns 0 and *out (caller frees), or -1 and *why, a static reason or
 * strerror's text.
 */
static int migrate_read_file(const char *path, char **out, size_t *len,
                             const char **why)
{
    struct buf b;
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    buf_init(&b, MIGRATE_FILE_MAX);
    if (f == NULL) {
        *why = strerror(errno);
        goto fail;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, n) != 0) {
            *why = "larger than 4 MiB";
            goto fail;
        }
    }
    if (ferror(f)) {
        *why = "read error";
        goto fail;
    }
    if (memchr(buf_str(&b), '\0', b.len) != NULL) {
        *why = "contains a NUL byte";
        goto fail;
    }
    fclose(f);
    *len = b.len;
    *out = buf_steal(&b);
    return 0;
fail:
    if (f != NULL)
        fclose(f);
    buf_dispose(&b);
    return -1;
}

int migrate_read_sql(const char *path, char **sql,
                     char checksum[MIGRATE_CHECKSUM_LEN + 1], const char **why)
{
    size_t len = 0;
    uint8_t digest[CRYPTO_SHA256_LEN];
    if (migrate_read_file(path, sql, &len, why) != 0)
        return -1;
    crypto_sha256(*sql, len, digest);
    crypto_hex_encode(digest, sizeof digest, checksum);
    return 0;
}

static void migrate_file_dispose(struct migrate_file *f)
{
    free(f->filename);
    free(f->name);
    free(f->path);
    free(f->sql);
    memset(f, 0, sizeof *f);
}

/* Fills f from dir/filename; on failure appends the reason to problems. */
static int migrate_file_load(struct migrate_file *f, const char *dir,
                             const char *filename, long long version,
                             size_t name_off, size_t name_len, struct buf *problems)
{
    const char *why = NULL;
    memset(f, 0, sizeof *f);
    f->version = version;
    f->filename = mem_strdup(filename);
    f->name = mem_strndup(filename + name_off, name_len);
    f->path = mem_printf("%s/%s", dir, filename);
    if (migrate_read_sql(f->path, &f->sql, f->checksum, &why) != 0) {
        buf_printf(problems, "%s%s: %s", problems->len ? "; " : "", f->path, why);
        migrate_file_dispose(f);
        return -1;
    }
    return 0;
}

static int migrate_file_cmp(const void *a, const void *b)
{
    long long va = ((const struct migrate_file *)a)->version;
    long long vb = ((const struct migrate_file *)b)->version;
    return (va > vb) - (va < vb);
}

/* Appends one line per pair of files sharing a version (set is sorted). */
static void migrate_check_duplicates(const struct migrate_set *set,
                                     struct buf *problems)
{
    for (size_t i = 1; i < set->n; i++)
        if (set->files[i].version == set->files[i - 1].version)
            buf_printf(problems, "%s%s and %s have the same version %lld",
                       problems->len ? "; " : "", set->files[i - 1].path,
                       set->files[i].path, set->files[i].version);
}

int migrate_set_load(const char *dir, struct migrate_set *out, char **err)
{
    struct migrate_set set = {0};
    struct buf problems;
    size_t cap = 0;
    struct dirent *e;
    DIR *d = opendir(dir);
    if (d == NULL) {
        *err = mem_printf("cannot open the migrations folder %s: %s", dir,
                          strerror(errno));
        return -1;
    }
    buf_init(&problems, MIGRATE_PROBLEMS_MAX);
    while ((e = readdir(d)) != NULL) {
        long long version = 0;
        size_t off = 0, len = 0;
        enum migrate_name_kind kind = migrate_name_parse(e->d_name, &version, &off, &len);
        if (kind == MIGRATE_NAME_OTHER)
            continue;
        if (kind == MIGRATE_NAME_INVALID) {
            buf_printf(&problems,
                       "%s%s/%s is not a migration file name (expected NNNN_name.sql: "
                       "4 or more digits, '_', then a-z, 0-9 and '_')",
                       problems.len ? "; " : "", dir, e->d_name);
            continue;
        }
        if (set.n == MIGRATE_FILES_MAX) {
            buf_printf(&problems, "%smore than %d migration files in %s",
                       problems.len ? "; " : "", MIGRATE_FILES_MAX, dir);
            break;
        }
        if (set.n == cap) {
            cap = cap ? cap * 2 : 16;
            set.files = mem_realloc(set.files, cap * sizeof *set.files);
        }
        if (migrate_file_load(&set.files[set.n], dir, e->d_name, version, off,
                              len, &problems) == 0)
            set.n++;
    }
    closedir(d);
    if (set.n > 0)
        qsort(set.files, set.n, sizeof *set.files, migrate_file_cmp);
    migrate_check_duplicates(&set, &problems);
    if (problems.len > 0) {
        *err = buf_steal(&problems);
        migrate_set_dispose(&set);
        return -1;
    }
    buf_dispose(&problems);
    *out = set;
    return 0;
}

void migrate_set_dispose(struct migrate_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        migrate_file_dispose(&set->files[i]);
    free(set->files);
    memset(set, 0, sizeof *set);
}

/* ---- plans -------------------------------------------------------------- */

const char *migrate_state_label(enum migrate_state state)
{
    static const char *const labels[] = {"ok", "CHANGED", "MISSING FILE",
                                         "pending", "OUT OF ORDER"};
    return labels[state];
}

const char *migrate_state_name(enum migrate_state state)
{
    static const char *const names[] = {"applied", "changed", "missing",
                                        "pending", "out_of_order"};
    return names[state];
}

static void migrate_plan_add(struct migrate_plan *p, long long version,
                             enum migrate_state state,
                             const struct migrate_file *f,
                             const struct migrate_record *r)
{
    p->entries[p->n++] = (struct migrate_entry){version, state, f, r};
}

/* State of a version present in the folder and in the table. */
static enum migrate_state migrate_compare(const struct migrate_file *f,
                                          const struct migrate_record *r)
{
    bool same = strcmp(f->checksum, r->checksum) == 0 && strcmp(f->name, r->name) == 0;
    return same ? MIGRATE_APPLIED : MIGRATE_CHANGED;
}

/*
 * Builds p->entries from the sorted files of set and the sorted p->records,
 * then marks pending files below the highest recorded version out of order
 * and counts the states.
 */
static void migrate_plan_merge(struct migrate_plan *p, const struct migrate_set *set)
{
    size_t i = 0, j = 0;
    p->entries = mem_calloc(set->n + p->nrecords + 1, sizeof *p->entries);
    while (i < set->n || j < p->nrecords) {
        const struct migrate_file *f = i < set->n ? &set->files[i] : NULL;
        const struct migrate_record *r = j < p->nrecords ? &p->records[j] : NULL;
        if (f != NULL && r != NULL && f->version == r->version) {
            migrate_plan_add(p, f->version, migrate_compare(f, r), f, r);
            i++, j++;
        } else if (r != NULL && (f == NULL || r->version < f->version)) {
            migrate_plan_add(p, r->version, MIGRATE_MISSING, NULL, r);
            j++;
        } else {
            migrate_plan_add(p, f->version, MIGRATE_PENDING, f, NULL);
            i++;
        }
    }
    long long highest = p->nrecords > 0 ? p->records[p->nrecords - 1].version : -1;
    for (size_t k = 0; k < p->n; k++) {
        struct migrate_entry *e = &p->entries[k];
        if (e->state == MIGRATE_PENDING && e->version < highest)
            e->state = MIGRATE_OUT_OF_ORDER;
        p->count[e->state]++;
    }
}

/* Appends the sentence explaining why entry e stops `up`, if it does. */
static void migrate_explain(struct buf *b, const struct migrate_entry *e,
                            long long highest)
{
    const char *sep = b->len ? "; " : "";
    const struct migrate_file *f = e->file;
    const struct migrate_record *r = e->record;
    if (e->state == MIGRATE_CHANGED && strcmp(f->name, r->name) != 0)
        buf_printf(b, "%s%s has version %lld, which was applied as %04lld_%s.sql: "
                   "an applied migration must not be renamed",
                   sep, f->path, f->version, r->version, r->name);
    else if (e->state == MIGRATE_CHANGED)
        buf_printf(b, "%s%s was changed after it was applied (recorded sha256 %.*s..., "
                   "file now %.*s...): restore the applied text and put the change "
                   "in a new migration",
                   sep, f->path, MIGRATE_CHECKSUM_SHOWN, r->checksum,
                   MIGRATE_CHECKSUM_SHOWN, f->checksum);
    else if (e->state == MIGRATE_MISSING)
        buf_printf(b, "%sversion %lld (%04lld_%s.sql) is recorded in schema_migrations "
                   "but no file in the folder has it: restore the file",
                   sep, r->version, r->version, r->name);
    else if (e->state == MIGRATE_OUT_OF_ORDER)
        buf_printf(b, "%s%s is pending but version %lld is already applied: give it "
                   "a version above %lld",
                   sep, f->path, highest, highest);
}

char *migrate_plan_problems(const struct migrate_plan *plan)
{
    struct buf b;
    long long highest =
        plan->nrecords > 0 ? plan->records[plan->nrecords - 1].version : -1;
    buf_init(&b, MIGRATE_PROBLEMS_MAX);
    for (size_t i = 0; i < plan->n; i++)
        migrate_explain(&b, &plan->entries[i], highest);
    if (b.len == 0) {
        buf_dispose(&b);
        return NULL;
    }
    char *s = mem_printf("refusing to migrate: %s", buf_str(&b));
    buf_dispose(&b);
    return s;
}

void migrate_plan_dispose(struct migrate_plan *plan)
{
    for (size_t i = 0; i < plan->nrecords; i++) {
        free(plan->records[i].name);
        free(plan->records[i].checksum);
        free(plan->records[i].applied_at);
    }
    free(plan->records);
    free(plan->entries);
    memset(plan, 0, sizeof *plan);
}

/* ---- database ----------------------------------------------------------- */

/* Sets *err to "<what>: <server's reason>", frees res, returns -1. */
static int migrate_db_error(PGconn *c, PGresult *res, const char *what, char **err)
{
    char *why = pg_error_text(c, res);
    *err = mem_printf("%s: %s", what, why);
    free(why);
    PQclear(res);
    return -1;
}

/* Runs a statement whose result is not needed. 0, or -1 and *err. */
static int migrate_exec(PGconn *c, const char *sql, int n,
                        const char *const *params, const char *what, char **err)
{
    PGresult *res = pg_exec_params(c, sql, n, params);
    if (!pg_result_ok(res))
        return migrate_db_error(c, res, what, err);
    PQclear(res);
    return 0;
}

/* Runs a one-row boolean query into *out. 0, or -1 and *err. */
static int migrate_query_bool(PGconn *c, const char *sql, int n,
                              const char *const *params, const char *what,
                              bool *out, char **err)
{
    PGresult *res = pg_exec_params(c, sql, n, params);
    if (!pg_result_ok(res) || PQntuples(res) != 1)
        return migrate_db_error(c, res, what, err);
    *out = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}

/* Copies the rows of schema_migrations, by version, into p->records. */
static int migrate_read_records(PGconn *c, struct migrate_plan *p, char **err)
{
    PGresult *res = pg_exec_params(
        c,
        "SELECT version, name, checksum,"
        " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " coalesce(duration_ms, -1)"
        " FROM schema_migrations ORDER BY version",
        0, NULL);
    if (!pg_result_ok(res))
        return migrate_db_error(c, res, "reading schema_migrations", err);
    int rows = PQntuples(res);
    p->records = mem_calloc((size_t)rows + 1, sizeof *p->records);
    for (int i = 0; i < rows; i++) {
        struct migrate_record *r = &p->records[i];
        r->version = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        r->name = mem_strdup(PQgetvalue(res, i, 1));
        r->checksum = mem_strdup(PQgetvalue(res, i, 2));
        r->applied_at = mem_strdup(PQgetvalue(res, i, 3));
        r->duration_ms = atoi(PQgetvalue(res, i, 4));
    }
    p->nrecords = (size_t)rows;
    PQclear(res);
    return 0;
}

/*
 * Reads schema_migrations and compares it with set. With `create`, a missing
 * table is created (only `up` does this, under the lock); without, it counts
 * as empty. Returns 0 and *out, or -1 and *err.
 */
static int migrate_plan_build(PGconn *c, const struct migrate_set *set,
                              bool create, struct migrate_plan *out, char **err)
{
    bool exists = false;
    memset(out, 0, sizeof *out);
    if (migrate_query_bool(c, "SELECT to_regclass('schema_migrations') IS NOT NULL",
                           0, NULL, "looking for schema_migrations", &exists, err) != 0)
        return -1;
    if (!exists && create) {
        if (migrate_exec(c, migrate_create_table_sql, 0, NULL,
                         "creating schema_migrations", err) != 0)
            return -1;
        log_info(NULL, "created schema_migrations");
        exists = true;
    }
    if (exists && migrate_read_records(c, out, err) != 0)
        return -1;
    migrate_plan_merge(out, set);
    return 0;
}

/* Takes the advisory lock on c, waiting (and saying so) while another holds it. */
static int migrate_lock(PGconn *c, char **err)
{
    char key[24];
    const char *params[] = {key};
    bool got = false;
    snprintf(key, sizeof key, "%lld", MIGRATE_LOCK_KEY);
    if (migrate_query_bool(c, "SELECT pg_try_advisory_lock($1::bigint)", 1, params,
                           "taking the migration lock", &got, err) != 0)
        return -1;
    if (got)
        return 0;
    uint64_t start_ms = clock_mono_ms();
    log_info(LOG_FIELDS(LF_STR("lock_key", key)),
             "waiting for the migration lock: another sentia-migrate is running");
    if (migrate_exec(c, "SELECT pg_advisory_lock($1::bigint)", 1, params,
                     "waiting for the migration lock", err) != 0)
        return -1;
    log_info(LOG_FIELDS(LF_INT("waited_ms", clock_mono_ms() - start_ms)),
             "migration lock taken");
    return 0;
}

/* The message for a file the server rejected: file, line, server's reason. */
static char *migrate_file_error(PGconn *c, const PGresult *res,
                                const struct migrate_file *f)
{
    ExecStatusType st = PQresultStatus(res);
    if (res != NULL && (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH))
        return mem_printf("%s failed: COPY FROM STDIN / TO STDOUT cannot run in a "
                          "migration; nothing of it was applied and later files were "
                          "not run", f->path);
    char *why = pg_error_text(c, res);
    int line = pg_error_line(res, f->sql);
    char at[32] = "";
    if (line > 0)
        snprintf(at, sizeof at, " at line %d", line);
    char *msg = mem_printf("%s failed%s: %s; nothing of it was applied and later "
                           "files were not run", f->path, at, why);
    free(why);
    return msg;
}

/* Records f in schema_migrations inside the open transaction. */
static int migrate_insert_record(PGconn *c, const struct migrate_file *f,
                          uint64_t duration_ms, char **err)
{
    char version[24], duration[24];
    snprintf(version, sizeof version, "%lld", f->version);
    snprintf(duration, sizeof duration, "%llu",
             (unsigned long long)(duration_ms < INT32_MAX ? duration_ms : INT32_MAX));
    const char *params[] = {version, f->name, f->checksum, duration};
    if (migrate_exec(c,
                     "INSERT INTO schema_migrations (version, name, checksum, duration_ms)"
                     " VALUES ($1::bigint, $2, $3, $4::integer)",
                     4, params, "recording the migration", err) != 0) {
        char *inner = *err;
        *err = mem_printf("%s: %s", f->path, inner);
        free(inner);
        return -1;
    }
    return 0;
}

/*
 * Applies one file and its record in one transaction. Returns 0, or -1 and
 * *err after rolling the file back.
 */
static int migrate_apply(PGconn *c, const struct migrate_file *f, char **err)
{
    PGresult *res = NULL;
    uint64_t start_ms = clock_mono_ms();
    log_info(LOG_FIELDS(LF_STR("file", f->filename), LF_INT("version", f->version)),
             "applying migration");
    if (migrate_exec(c, "BEGIN", 0, NULL, "BEGIN", err) != 0)
        goto fail;
    res = pg_exec_script(c, f->sql);
    if (!pg_result_ok(res) && PQresultStatus(res) != PGRES_EMPTY_QUERY) {
        *err = migrate_file_error(c, res, f);
        goto fail;
    }
    if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
        *err = mem_printf("%s ended the transaction itself (COMMIT or ROLLBACK in a "
                          "migration file): what it ran before that may be committed "
                          "but the file is not recorded; remove those statements and "
                          "check the database by hand", f->path);
        goto fail;
    }
    uint64_t duration_ms = clock_mono_ms() - start_ms;
    if (migrate_insert_record(c, f, duration_ms, err) != 0 ||
        migrate_exec(c, "COMMIT", 0, NULL, f->path, err) != 0)
        goto fail;
    PQclear(res);
    log_info(LOG_FIELDS(LF_STR("file", f->filename), LF_INT("version", f->version),
                        LF_INT("duration_ms", duration_ms)),
             "applied migration");
    return 0;
fail:
    PQclear(res);
    PGTransactionStatusType ts = PQtransactionStatus(c);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(pg_exec_params(c, "ROLLBACK", 0, NULL));
    return -1;
}

/* ---- API ---------------------------------------------------------------- */

int migrate_status(const char *url, const struct migrate_set *set,
                   struct migrate_plan *out, char **err)
{
    PGconn *c = NULL;
    if (pg_connect(url, PG_CONNECT_ATTEMPTS, &c, err) != 0)
        return -1;
    int rc = migrate_plan_build(c, set, false, out, err);
    if (rc != 0)
        migrate_plan_dispose(out);
    PQfinish(c);
    return rc;
}

int migrate_up(const char *url, const struct migrate_set *set, size_t *applied,
               const struct migrate_after *after, char **err)
{
    PGconn *lock = NULL, *work = NULL;
    struct migrate_plan plan = {0};
    bool locked = false;
    int rc = -1;
    *applied = 0;
    if (pg_connect(url, PG_CONNECT_ATTEMPTS, &lock, err) != 0 ||
        migrate_lock(lock, err) != 0)
        goto done;
    locked = true;
    if (pg_connect(url, PG_CONNECT_ATTEMPTS, &work, err) != 0 ||
        migrate_plan_build(work, set, true, &plan, err) != 0)
        goto done;
    if ((*err = migrate_plan_problems(&plan)) != NULL)
        goto done;
    for (size_t i = 0; i < plan.n; i++) {
        if (plan.entries[i].state != MIGRATE_PENDING)
            continue;
        if (migrate_apply(work, plan.entries[i].file, err) != 0)
            goto done;
        (*applied)++;
        if (migrate_exec(work, "DISCARD ALL", 0, NULL,
                         "resetting the session between migrations", err) != 0)
            goto done;
    }
    if (after != NULL && after->run(work, after->data, err) != 0)
        goto done;
    rc = 0;
done:
    migrate_plan_dispose(&plan);
    PQfinish(work);
    if (locked) {
        char key[24];
        const char *params[] = {key};
        snprintf(key, sizeof key, "%lld", MIGRATE_LOCK_KEY);
        PQclear(pg_exec_params(lock, "SELECT pg_advisory_unlock($1::bigint)", 1, params));
    }
    PQfinish(lock);
    return rc;
}
