/*
 * lib/pg.h: the one place that knows libpq (DESIGN.md §2, LIBRARIES.md).
 *
 * This part is synchronous, for command-line tools and tests: connect with
 * retries, run a parameterised query or a migration script, and turn a failed
 * result into a readable message. Every query is timed; one slower than
 * process.slow_query_ms is logged at warn with its duration and the start of
 * its SQL text, never with parameter values.
 *
 * Rules the adapter keeps for its callers:
 * - SQL goes through pg_exec_params() (PQexecParams) with text parameters,
 *   which libpq reads with strlen(): pass NUL-terminated strings. Only
 *   pg_exec_script() runs raw text, for migration files that hold several
 *   statements.
 * - A connection URL may carry a password: messages and logs describe the
 *   target with pg_describe(), which never includes it.
 *
 * libpq's own types (PGconn, PGresult) are part of this interface; callers
 * include this header, not libpq-fe.h. Ownership: a PGconn from pg_connect()
 * is closed with PQfinish(), a PGresult is freed with PQclear(), strings
 * returned here are freed with free().
 */
#ifndef SENTIA_LIB_PG_H
#define SENTIA_LIB_PG_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Connection attempts a program makes by default before giving up. */
enum { PG_CONNECT_ATTEMPTS = 3 };

/*
 * Describes where `url` points as "host=H port=P database=D user=U", filling
 * what the URL leaves out with libpq's defaults (PGHOST, PGPORT, … or its
 * built-in ones). Never contains the password. Returns a new string (the
 * caller frees it); an unparseable URL gives a fixed text that quotes nothing
 * from it.
 */
char *pg_describe(const char *url);

/*
 * Connects to `url` (postgres:// or postgresql://), making up to `attempts`
 * attempts with exponential backoff between them (0.5 s, 1 s, 2 s, … capped
 * at 8 s). Each failed attempt is logged at warn with host, port, database and
 * libpq's reason. Notices the server sends are logged at info.
 * Returns 0 and *out (close with PQfinish), or -1 and *err, a message naming
 * host, port and database and never the password (the caller frees it).
 */
int pg_connect(const char *url, int attempts, PGconn **out, char **err);

/*
 * Runs one statement with `n` text parameters ($1…$n; NULL elements are SQL
 * NULL) and logs it if slow. Returns the result (PQclear it; check it with
 * pg_result_ok), or NULL when libpq could not even send the query (see
 * pg_error_text(conn, NULL)).
 */
PGresult *pg_exec_params(PGconn *conn, const char *sql, int n,
                         const char *const *params);

/*
 * Runs a script of one or more statements as the server's simple query
 * protocol does (PQexec): they stop at the first error, and the result is the
 * last statement's or that error. Timed and logged like pg_exec_params.
 */
PGresult *pg_exec_script(PGconn *conn, const char *sql);

/* True for a result that finished without error (a command or rows). */
bool pg_result_ok(const PGresult *res);

/*
 * One line explaining a failed result: "ERROR: <message> (SQLSTATE x); detail:
 * …; hint: …; context: …", or libpq's connection message when `res` is NULL or
 * carries no server fields. Returns a new string (the caller frees it).
 */
char *pg_error_text(const PGconn *conn, const PGresult *res);

/*
 * The 1-based line of `sql` at which the server located the error in `res`
 * (its statement position), or 0 when the server gave no position.
 */
int pg_error_line(const PGresult *res, const char *sql);

#endif
