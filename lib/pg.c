/*
 * lib/pg.c: libpq behind one interface (see pg.h for the contract).
 *
 * Connection targets are described from libpq's own parse of the URL
 * (PQconninfoParse), completed with its defaults (PQconndefaults), so a
 * message names the host, port and database libpq will really use; the
 * password option is never read. libpq's multi-line messages are folded into
 * one line before they reach a log or an error string.
 */
#include "lib/pg.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/process.h"

/* Backoff between connection attempts: doubles from the first, capped. */
enum { PG_BACKOFF_FIRST_MS = 500, PG_BACKOFF_MAX_MS = 8000 };
/*
 * libpq waits forever for an unanswered TCP connect unless told otherwise;
 * 10 s per attempt bounds a blackholed host while leaving a slow network room.
 * A connect_timeout in the URL takes precedence.
 */
enum { PG_CONNECT_TIMEOUT_S = 10 };
/* Bytes of SQL text a slow-query line shows: enough to recognise it. */
enum { PG_SQL_EXCERPT_MAX = 200 };
/* An error explanation stays one readable line. */
enum { PG_ERROR_TEXT_MAX = 8192 };

/* ---- helpers ------------------------------------------------------------ */

/* A copy of s with every run of whitespace made one space, trimmed. */
static char *pg_flatten(const char *s)
{
    char *out = mem_alloc(strlen(s) + 1);
    size_t n = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)*p;
    }
    out[n] = '\0';
    return out;
}

/*
 * Writes the start of sql into out (PG_SQL_EXCERPT_MAX + 4 bytes): whitespace
 * folded, cut after PG_SQL_EXCERPT_MAX bytes on a UTF-8 boundary, "..." added
 * when cut.
 */
static void pg_sql_excerpt(const char *sql, char out[PG_SQL_EXCERPT_MAX + 4])
{
    const unsigned char *p = (const unsigned char *)sql;
    size_t n = 0;
    bool space = false;
    while (isspace(*p))
        p++;
    for (; *p; p++) {
        if (isspace(*p)) {
            space = true;
            continue;
        }
        if (n + (space ? 1 : 0) >= PG_SQL_EXCERPT_MAX)
            break;
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)*p;
    }
    if (*p != '\0') {
        /* Continuation bytes are never whitespace: out and p run in step. */
        while (n > 0 && (*p & 0xc0) == 0x80)
            n--, p--;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Milliseconds to wait after the `failed`-th failed attempt (1-based). */
static int pg_backoff_ms(int failed)
{
    int ms = PG_BACKOFF_FIRST_MS;
    for (int i = 1; i < failed && ms < PG_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < PG_BACKOFF_MAX_MS ? ms : PG_BACKOFF_MAX_MS;
}

static void pg_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Logs the query when it took longer than process.slow_query_ms. */
static void pg_note_duration(const char *sql, uint64_t start_us)
{
    uint64_t ms = (clock_mono_us() - start_us) / 1000u;
    if (ms <= (uint64_t)(process.slow_query_ms > 0 ? process.slow_query_ms : 0))
        return;
    char excerpt[PG_SQL_EXCERPT_MAX + 4];
    pg_sql_excerpt(sql, excerpt);
    log_warn(LOG_FIELDS(LF_INT("duration_ms", ms),
                        LF_INT("threshold_ms", process.slow_query_ms),
                        LF_STR("sql", excerpt)),
             "slow query");
}

/* libpq notice processor: server NOTICE/WARNING lines go to the log. */
static void pg_log_notice(void *arg, const char *message)
{
    (void)arg;
    char *flat = pg_flatten(message);
    log_info(LOG_FIELDS(LF_STR("notice", flat)), "postgres notice");
    free(flat);
}

/* 1-based line holding the pos-th character (1-based) of sql, or 0. */
static int pg_line_at(const char *sql, long pos)
{
    long seen = 0;
    int line = 1;
    if (pos < 1)
        return 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        if (++seen == pos)
            return line;
        if (*p == '\n')
            line++;
    }
    return pos == seen + 1 ? line : 0; /* "at end of input" */
}

/* ---- connection targets ------------------------------------------------- */

/* Where a URL points; owned strings, never the password. */
struct pg_target {
    char *host;
    char *port;
    char *dbname;
    char *user;
};

/* Value of `keyword` in a libpq option array, or NULL when unset or empty. */
static const char *pg_option(const PQconninfoOption *opts, const char *keyword)
{
    for (; opts != NULL && opts->keyword != NULL; opts++)
        if (strcmp(opts->keyword, keyword) == 0)
            return opts->val != NULL && opts->val[0] != '\0' ? opts->val : NULL;
    return NULL;
}

/* The URL's value for keyword, else libpq's default, else fallback. */
static char *pg_option_or(const PQconninfoOption *given,
                          const PQconninfoOption *defaults, const char *keyword,
                          const char *fallback)
{
    const char *v = pg_option(given, keyword);
    if (v == NULL)
        v = pg_option(defaults, keyword);
    return mem_strdup(v != NULL ? v : fallback);
}

/*
 * Fills t from url as libpq reads it. Returns 0, or -1 when libpq cannot
 * parse the URL (its message is dropped: it may quote the password).
 */
static int pg_target_parse(const char *url, struct pg_target *t)
{
    char *why = NULL;
    PQconninfoOption *given = PQconninfoParse(url, &why);
    if (given == NULL) {
        PQfreemem(why);
        return -1;
    }
    PQconninfoOption *defaults = PQconndefaults();
    const char *hostaddr = pg_option(given, "hostaddr");
    t->host = pg_option_or(given, defaults, "host",
                           hostaddr != NULL ? hostaddr : "(local socket)");
    t->port = pg_option_or(given, defaults, "port", "5432");
    t->user = pg_option_or(given, defaults, "user", "(default)");
    t->dbname = pg_option_or(given, defaults, "dbname", t->user);
    PQconninfoFree(defaults);
    PQconninfoFree(given);
    return 0;
}

static void pg_target_dispose(struct pg_target *t)
{
    free(t->host);
    free(t->port);
    free(t->dbname);
    free(t->user);
}

/* One attempt; the result may be NULL (out of memory) or not connected. */
static PGconn *pg_connect_once(const char *url)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", PG_CONNECT_TIMEOUT_S);
    /* dbname comes last so that what the URL sets wins over these. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name",
                                "dbname", NULL};
    const char *const values[] = {timeout, process.service, url, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        PQsetNoticeProcessor(conn, pg_log_notice, NULL);
    return conn;
}

/* ---- API ---------------------------------------------------------------- */

char *pg_describe(const char *url)
{
    struct pg_target t;
    if (pg_target_parse(url, &t) != 0)
        return mem_strdup("(a PostgreSQL URL libpq cannot parse)");
    char *s = mem_printf("host=%s port=%s database=%s user=%s", t.host, t.port,
                         t.dbname, t.user);
    pg_target_dispose(&t);
    return s;
}

int pg_connect(const char *url, int attempts, PGconn **out, char **err)
{
    struct pg_target t;
    char *reason = NULL;
    *out = NULL;
    if (pg_target_parse(url, &t) != 0) {
        *err = mem_strdup("the PostgreSQL URL is malformed (libpq cannot parse it)");
        return -1;
    }
    if (attempts < 1)
        attempts = 1;
    for (int i = 1; i <= attempts; i++) {
        PGconn *conn = pg_connect_once(url);
        if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
            *out = conn;
            break;
        }
        free(reason);
        reason = pg_flatten(conn != NULL ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        int wait_ms = i < attempts ? pg_backoff_ms(i) : 0;
        log_warn(LOG_FIELDS(LF_STR("host", t.host), LF_STR("port", t.port),
                            LF_STR("database", t.dbname), LF_INT("attempt", i),
                            LF_INT("attempts", attempts), LF_INT("retry_in_ms", wait_ms),
                            LF_STR("reason", reason)),
                 "postgres connect failed");
        if (wait_ms > 0)
            pg_sleep_ms(wait_ms);
    }
    if (*out == NULL)
        *err = mem_printf("cannot connect to PostgreSQL at host=%s port=%s "
                          "database=%s user=%s after %d attempt%s: %s",
                          t.host, t.port, t.dbname, t.user, attempts,
                          attempts == 1 ? "" : "s", reason);
    free(reason);
    pg_target_dispose(&t);
    return *out != NULL ? 0 : -1;
}

PGresult *pg_exec_params(PGconn *conn, const char *sql, int n,
                         const char *const *params)
{
    uint64_t start_us = clock_mono_us();
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    pg_note_duration(sql, start_us);
    return res;
}

PGresult *pg_exec_script(PGconn *conn, const char *sql)
{
    uint64_t start_us = clock_mono_us();
    PGresult *res = PQexec(conn, sql);
    pg_note_duration(sql, start_us);
    return res;
}

bool pg_result_ok(const PGresult *res)
{
    if (res == NULL)
        return false;
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

char *pg_error_text(const PGconn *conn, const PGresult *res)
{
    const char *primary =
        res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary == NULL) {
        const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
        if (msg[0] == '\0' && conn != NULL)
            msg = PQerrorMessage(conn);
        if (msg[0] == '\0')
            return mem_printf("unexpected result from PostgreSQL (%s)",
                              res != NULL ? PQresStatus(PQresultStatus(res))
                                          : "no result");
        return pg_flatten(msg);
    }
    static const struct {
        int field;
        const char *label;
    } extra[] = {{PG_DIAG_MESSAGE_DETAIL, "detail"},
                 {PG_DIAG_MESSAGE_HINT, "hint"},
                 {PG_DIAG_CONTEXT, "context"}};
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    struct buf b;
    buf_init(&b, PG_ERROR_TEXT_MAX);
    buf_printf(&b, "%s: %s", severity != NULL ? severity : "ERROR", primary);
    if (sqlstate != NULL)
        buf_printf(&b, " (SQLSTATE %s)", sqlstate);
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        const char *v = PQresultErrorField(res, extra[i].field);
        if (v != NULL)
            buf_printf(&b, "; %s: %s", extra[i].label, v);
    }
    char *flat = pg_flatten(buf_str(&b));
    buf_dispose(&b);
    return flat;
}

int pg_error_line(const PGresult *res, const char *sql)
{
    const char *pos =
        res != NULL ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (pos == NULL || sql == NULL)
        return 0;
    return pg_line_at(sql, strtol(pos, NULL, 10));
}
