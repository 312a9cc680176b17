/*
 * tests/lib/test_pg.c: the parts of the Postgres adapter that need no server
 * (target descriptions without the password, backoff, slow-query lines, SQL
 * excerpts, error positions) and connection failure against a port nobody
 * listens on. Includes the .c to reach its statics.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/pg.c"
#include "tests/test.h"

/* Clears the libpq variables a developer's shell may set. */
static void clear_pg_env(void)
{
    static const char *const vars[] = {"PGHOST", "PGHOSTADDR", "PGPORT",
                                       "PGDATABASE", "PGUSER", "PGSERVICE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

/* A loopback port bound but not listening: connects to it are refused. */
static int refusing_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    return ntohs(a.sin_port);
}

TEST(describe_names_target_without_password)
{
    clear_pg_env();
    char *d = pg_describe("postgresql://app:s3cr%40t@db.internal:5433/sentia?sslmode=disable");
    CHECK_STR(d, "host=db.internal port=5433 database=sentia user=app");
    free(d);
}

TEST(describe_fills_libpq_defaults)
{
    clear_pg_env();
    char *d = pg_describe("postgres://app@10.0.0.7/");
    CHECK_STR(d, "host=10.0.0.7 port=5432 database=app user=app");
    free(d);
    d = pg_describe("postgresql:///orders");
    CHECK(strstr(d, "host=(local socket) port=5432 database=orders user=") == d);
    free(d);
}

TEST(describe_unparseable_quotes_nothing)
{
    char *d = pg_describe("postgresql://app:hunter2@h/db?no_such_option=hunter2");
    CHECK(strstr(d, "hunter2") == NULL);
    CHECK(strstr(d, "cannot parse") != NULL);
    free(d);
}

TEST(connect_refused_names_target_never_password)
{
    int fd = -1;
    int port = refusing_port(&fd);
    CHECK(port > 0);
    char *url = mem_printf("postgresql://sentia:pw-s3cret@127.0.0.1:%d/nodb", port);
    PGconn *conn = NULL;
    char *err = NULL;
    enum log_level saved = process.log_level;
    process.log_level = LOG_LEVEL_OFF;
    uint64_t start_ms = clock_mono_ms();
    int rc = pg_connect(url, 2, &conn, &err);
    uint64_t took_ms = clock_mono_ms() - start_ms;
    process.log_level = saved;
    close(fd);
    free(url);
    CHECK_INT(rc, -1);
    CHECK(conn == NULL);
    char want[64];
    snprintf(want, sizeof want, "port=%d database=nodb", port);
    bool ok = strstr(err, "host=127.0.0.1") && strstr(err, want) &&
              strstr(err, "after 2 attempts") && !strstr(err, "pw-s3cret") &&
              !strchr(err, '\n');
    if (!ok)
        printf("  err: %s\n", err);
    free(err);
    CHECK(ok);
    CHECK(took_ms >= PG_BACKOFF_FIRST_MS);
}

TEST(connect_malformed_url_quotes_nothing)
{
    PGconn *conn = NULL;
    char *err = NULL;
    CHECK_INT(pg_connect("postgresql://u:hunter2@h/db?no_such_option=1", 3, &conn, &err), -1);
    CHECK(strstr(err, "hunter2") == NULL);
    CHECK(strstr(err, "malformed") != NULL);
    free(err);
}

TEST(backoff_doubles_and_caps)
{
    CHECK_INT(pg_backoff_ms(1), 500);
    CHECK_INT(pg_backoff_ms(2), 1000);
    CHECK_INT(pg_backoff_ms(3), 2000);
    CHECK_INT(pg_backoff_ms(5), 8000);
    CHECK_INT(pg_backoff_ms(40), 8000);
}

TEST(flatten_folds_libpq_messages)
{
    char *s = pg_flatten("connection to server failed: Connection refused\n"
                         "\tIs the server running?\n");
    CHECK_STR(s, "connection to server failed: Connection refused Is the server running?");
    free(s);
    s = pg_flatten(" \n ");
    CHECK_STR(s, "");
    free(s);
}

TEST(sql_excerpt_folds_and_cuts_on_utf8_boundary)
{
    char out[PG_SQL_EXCERPT_MAX + 4];
    pg_sql_excerpt("\n  SELECT *\n\tFROM  sync_state\n", out);
    CHECK_STR(out, "SELECT * FROM sync_state");

    char sql[600];
    memset(sql, 'a', 199);
    strcpy(sql + 199, "\xc3\xa9 tail"); /* 'é' straddles byte 200 */
    pg_sql_excerpt(sql, out);
    CHECK_INT(strlen(out), 199 + 3);
    CHECK(strcmp(out + 199, "...") == 0);

    memset(sql, 'b', 200);
    sql[200] = '\0';
    pg_sql_excerpt(sql, out);
    CHECK_INT(strlen(out), 200);
}

TEST(slow_query_logs_duration_and_sql_only)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    struct process saved = process;
    process.log_fd = fds[1];
    process.slow_query_ms = 5;
    pg_note_duration("SELECT 1 FROM integrations WHERE account = $1", clock_mono_us() - 20000);
    pg_note_duration("SELECT 2", clock_mono_us());
    process = saved;
    close(fds[1]);
    char line[2048] = {0};
    ssize_t n = read(fds[0], line, sizeof line - 1);
    close(fds[0]);
    CHECK(n > 0);
    CHECK(strstr(line, "\"level\":\"warn\"") != NULL);
    CHECK(strstr(line, "\"msg\":\"slow query\"") != NULL);
    CHECK(strstr(line, "\"threshold_ms\":5") != NULL);
    CHECK(strstr(line, "\"sql\":\"SELECT 1 FROM integrations WHERE account = $1\"") != NULL);
    CHECK(strstr(line, "SELECT 2") == NULL);
}

TEST(line_of_error_position)
{
    const char *sql = "CREATE TABLE a (x int);\nSELECT * FROM\n  missing;";
    CHECK_INT(pg_line_at(sql, 1), 1);
    CHECK_INT(pg_line_at(sql, 25), 2);   /* 'S' */
    CHECK_INT(pg_line_at(sql, 41), 3);   /* 'm' of "missing" */
    CHECK_INT(pg_line_at(sql, (long)strlen(sql) + 1), 3);
    CHECK_INT(pg_line_at(sql, 0), 0);
    CHECK_INT(pg_line_at(sql, 500), 0);
    CHECK_INT(pg_line_at("-- \xc3\xa9t\xc3\xa9\nX", 8), 2); /* counts characters */
}

TEST(error_text_without_server_fields)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
    char *text = pg_error_text(NULL, res);
    CHECK(!pg_result_ok(res));
    CHECK_INT(pg_error_line(res, "SELECT 1"), 0);
    PQclear(res);
    CHECK_STR(text, "unexpected result from PostgreSQL (PGRES_FATAL_ERROR)");
    free(text);
    text = pg_error_text(NULL, NULL);
    CHECK_STR(text, "unexpected result from PostgreSQL (no result)");
    free(text);
}
