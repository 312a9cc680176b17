/*
 * lib/migrate/migrate.h: schema migrations, applied by `sentia-migrate`
 * (procedure in docs/MIGRATIONS.md).
 *
 * A migrations folder holds files NNNN_name.sql: a version of 4 or more
 * digits, '_', a name of [a-z0-9_]. They are applied in numeric order of
 * version, each file together with its row in schema_migrations in one
 * transaction, so a file is either entirely applied and recorded or not at
 * all. The row keeps the SHA-256 of the file's bytes.
 *
 * Invariants `up` enforces before it applies anything (and `status` reports):
 * - every *.sql in the folder is a well-named migration, versions are unique;
 * - an applied file is unchanged (same checksum, same name);
 * - every applied version still has its file;
 * - no pending file has a version below the highest applied one.
 * Replicas starting together are serialised by a session advisory lock
 * (MIGRATE_LOCK_KEY) held on a connection of its own for the whole run.
 *
 * Ownership: a struct migrate_set owns its files (migrate_set_dispose); a
 * struct migrate_plan owns the rows it read and borrows the set's files, so
 * the set must outlive the plan (migrate_plan_dispose). Error strings are
 * freed by the caller.
 */
#ifndef SENTIA_LIB_MIGRATE_MIGRATE_H
#define SENTIA_LIB_MIGRATE_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

/* Characters of a checksum: SHA-256 of the file's bytes as lower-case hex. */
enum { MIGRATE_CHECKSUM_LEN = 64 };

/*
 * The advisory lock key every sentia-migrate takes: "SENTIAMG" in ASCII, so it
 * is recognisable in pg_locks (objid/classid) and unlikely to collide.
 */
#define MIGRATE_LOCK_KEY 0x53454e5449414d47LL

/* One migration file read from the folder. */
struct migrate_file {
    long long version;
    char *filename; /* "0001_foundation.sql" */
    char *name;     /* "foundation" */
    char *path;     /* folder + "/" + filename, for messages */
    char *sql;      /* the file's bytes, NUL-terminated (no NUL inside) */
    char checksum[MIGRATE_CHECKSUM_LEN + 1];
};

/* The migrations of a folder, sorted by version (unique). */
struct migrate_set {
    struct migrate_file *files;
    size_t n;
};

/* What a directory entry's name is to the migrations folder. */
enum migrate_name_kind {
    MIGRATE_NAME_MIGRATION, /* NNNN_name.sql */
    MIGRATE_NAME_OTHER,     /* not a .sql file: ignored (README, .gitkeep) */
    MIGRATE_NAME_INVALID,   /* ends in .sql but is not a migration name */
};

/*
 * Classifies filename; for a migration also sets *version and the name's
 * place in filename (*name_off, *name_len).
 */
enum migrate_name_kind migrate_name_parse(const char *filename,
                                          long long *version, size_t *name_off,
                                          size_t *name_len);

/*
 * Reads every migration of dir. Returns 0 and *out, or -1 and *err listing
 * every problem found (bad names, duplicate versions, unreadable files).
 */
int migrate_set_load(const char *dir, struct migrate_set *out, char **err);
void migrate_set_dispose(struct migrate_set *set);

/* Where one version stands, comparing the folder with schema_migrations. */
enum migrate_state {
    MIGRATE_APPLIED,      /* recorded, file unchanged */
    MIGRATE_CHANGED,      /* recorded, but the file's bytes or name differ */
    MIGRATE_MISSING,      /* recorded, no file has this version */
    MIGRATE_PENDING,      /* file not applied yet */
    MIGRATE_OUT_OF_ORDER, /* pending, below the highest applied version */
};

/* A row of schema_migrations. */
struct migrate_record {
    long long version;
    char *name;
    char *checksum;
    char *applied_at; /* RFC 3339, UTC */
    int duration_ms;  /* -1 when not recorded */
};

struct migrate_entry {
    long long version;
    enum migrate_state state;
    const struct migrate_file *file;     /* NULL when MIGRATE_MISSING */
    const struct migrate_record *record; /* NULL when pending */
};

/* The folder and the database side by side, by version. */
struct migrate_plan {
    struct migrate_record *records;
    size_t nrecords;
    struct migrate_entry *entries;
    size_t n;
    size_t count[MIGRATE_OUT_OF_ORDER + 1]; /* entries per state */
};

/* "ok", "CHANGED", "MISSING FILE", "pending", "OUT OF ORDER" */
const char *migrate_state_label(enum migrate_state state);
/* "applied", "changed", "missing", "pending", "out_of_order" (for JSON) */
const char *migrate_state_name(enum migrate_state state);

/*
 * Connects to url, reads schema_migrations (an absent table means nothing is
 * applied) and compares it with set. Read-only. Returns 0 and *out, or -1 and
 * *err.
 */
int migrate_status(const char *url, const struct migrate_set *set,
                   struct migrate_plan *out, char **err);

/*
 * Explains why `up` refuses this plan (changed, missing or out-of-order
 * versions), one sentence per problem; NULL when it may proceed. The caller
 * frees the string.
 */
char *migrate_plan_problems(const struct migrate_plan *plan);
void migrate_plan_dispose(struct migrate_plan *plan);

/*
 * Reads the file at path (at most 4 MiB, no NUL byte) into *sql (freed by the
 * caller) and its SHA-256 hex into checksum. Returns 0, or -1 and *why
 * (static text).
 */
int migrate_read_sql(const char *path, char **sql,
                     char checksum[MIGRATE_CHECKSUM_LEN + 1], const char **why);

/* What `up` runs after the numbered files, on the applying connection and
 * still under the lock (the SQL functions, lib/migrate/functions.h): returns
 * 0, or -1 and *err. */
struct migrate_after {
    int (*run)(PGconn *c, void *data, char **err);
    void *data;
};

/*
 * Applies every pending migration of set under the advisory lock, creating
 * schema_migrations if needed, and stops at the first failing file (which is
 * rolled back completely); then runs `after` (NULL: nothing). *applied
 * receives how many files were applied. Returns 0, or -1 and *err naming the
 * file, the line when the server gave a position, and the server's message.
 */
int migrate_up(const char *url, const struct migrate_set *set, size_t *applied,
               const struct migrate_after *after, char **err);

#endif
