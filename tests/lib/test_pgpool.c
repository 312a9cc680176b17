/*
 * tests/lib/test_pgpool.c: the asynchronous Postgres pool against the test
 * server of ./dev test (SENTIA_TEST_PG_PORT; skipped without it): parameters
 * and errors, FIFO queueing, client-side timeouts that cancel on the server
 * and reuse the connection, cancellation of queued and running queries, a
 * backend terminated mid-query (unavailable, then reconnected), an
 * unreachable server (down reported, queries fail at once), a host name
 * resolved off the loop, and closing with a query running.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/pg.h"
#include "lib/pgpool.h"
#include "tests/test.h"

struct answer {
    bool done;
    bool ok;
    char value[64];
    char message[256];
    char sqlstate[8];
    bool transient, unavailable;
    int order;
};

struct ctx {
    uv_loop_t loop;
    struct pgpool *pool;
    int states[8], nstates;
    bool closed;
    int finished;
};

static const char *test_url(const char *host)
{
    return test_pg_url(host, "sentia");
}

static void on_state(void *data, bool up)
{
    struct ctx *c = data;
    if (c->nstates < 8)
        c->states[c->nstates++] = up;
}

static struct ctx *ctx_open(const char *url, int size)
{
    struct ctx *c = calloc(1, sizeof *c);
    char *err = NULL;
    uv_loop_init(&c->loop);
    struct pgpool_options o = {.url = url, .size = size, .connect_timeout_ms = 2000,
                               .on_state = on_state, .state_data = c};
    if (pgpool_create(&c->loop, &o, &c->pool, &err) != 0) {
        fprintf(stderr, "pgpool_create: %s\n", err);
        free(err);
        abort();
    }
    return c;
}

static void on_closed(void *data)
{
    ((struct ctx *)data)->closed = true;
}

static void ctx_close(struct ctx *c)
{
    pgpool_close(c->pool, on_closed, c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    free(c);
}

static void on_answer(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct answer *a = data;
    a->done = true;
    a->ok = err == NULL;
    if (res != NULL && PQntuples(res) > 0)
        snprintf(a->value, sizeof a->value, "%s", PQgetvalue(res, 0, 0));
    if (err != NULL) {
        snprintf(a->message, sizeof a->message, "%s", err->message);
        snprintf(a->sqlstate, sizeof a->sqlstate, "%s", err->sqlstate ? err->sqlstate : "");
        a->transient = err->transient;
        a->unavailable = err->unavailable;
    }
}

/* Runs the loop until *flag or timeout_ms; returns *flag. */
static bool run_until(struct ctx *c, const bool *flag, int timeout_ms)
{
    uint64_t end = uv_now(&c->loop) + (uint64_t)timeout_ms;
    while (!*flag && uv_now(&c->loop) < end) {
        uv_run(&c->loop, UV_RUN_NOWAIT);
        usleep(2000);
        uv_update_time(&c->loop);
    }
    return *flag;
}

static struct pgpool_query *ask(struct ctx *c, const char *sql, const char *param,
                                int timeout_ms, struct answer *a)
{
    const char *params[] = {param};
    memset(a, 0, sizeof *a);
    return pgpool_query(c->pool, sql, param ? 1 : 0, params, timeout_ms, on_answer, a);
}

#define NEED_PG()                                                   \
    do {                                                            \
        if (test_url("127.0.0.1") == NULL) {                        \
            printf("  skipped: SENTIA_TEST_PG_PORT not set\n");      \
            return;                                                 \
        }                                                           \
    } while (0)

TEST(parameters_results_and_server_errors)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 2);
    struct answer a, b;
    ask(c, "SELECT $1::int + 1", "41", 0, &a);
    ask(c, "SELEC nonsense", NULL, 0, &b);
    CHECK(run_until(c, &a.done, 5000) && run_until(c, &b.done, 5000));
    CHECK(a.ok);
    CHECK_STR(a.value, "42");
    CHECK(!b.ok && !b.transient && !b.unavailable);
    CHECK_STR(b.sqlstate, "42601");
    CHECK(c->nstates == 1 && c->states[0] == 1);
    ctx_close(c);
}

TEST(timeout_cancels_on_the_server_and_reuses_the_connection)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 1);
    struct answer slow, next;
    uint64_t t0 = uv_now(&c->loop);
    ask(c, "SELECT pg_sleep(5)", NULL, 300, &slow);
    CHECK(run_until(c, &slow.done, 3000));
    CHECK(!slow.ok && slow.transient && !slow.unavailable);
    CHECK(strstr(slow.message, "timeout") != NULL);
    ask(c, "SELECT 7", NULL, 0, &next);
    CHECK(run_until(c, &next.done, 3000));
    CHECK(next.ok);
    CHECK_STR(next.value, "7");
    CHECK(uv_now(&c->loop) - t0 < 3000); /* the server stopped sleeping */
    ctx_close(c);
}

static int order_seen;

static void on_ordered(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct answer *a = data;
    on_answer(data, res, err);
    a->order = ++order_seen;
}

TEST(queued_queries_run_in_order_and_can_be_cancelled)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 1);
    struct answer a[5];
    struct pgpool_query *q[5];
    const char *params[1];
    order_seen = 0;
    for (int i = 0; i < 5; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, i == 0 ? "SELECT pg_sleep(0.2)" : "SELECT %d", i);
        memset(&a[i], 0, sizeof a[i]);
        q[i] = pgpool_query(c->pool, sql, 0, params, 0, on_ordered, &a[i]);
    }
    pgpool_cancel(q[2]);
    CHECK(a[2].done && !a[2].ok && strcmp(a[2].message, "cancelled") == 0);
    CHECK(run_until(c, &a[4].done, 5000));
    CHECK(a[0].order == 2 && a[1].order == 3 && a[3].order == 4 && a[4].order == 5);
    CHECK_STR(a[4].value, "4");
    ctx_close(c);
}

TEST(cancelling_a_running_query_answers_at_once)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 1);
    struct answer slow, next;
    struct pgpool_query *q = ask(c, "SELECT pg_sleep(5)", NULL, 0, &slow);
    bool never = false;
    run_until(c, &never, 300);
    pgpool_cancel(q);
    CHECK(slow.done && !slow.ok && slow.transient);
    CHECK_STR(slow.message, "cancelled");
    ask(c, "SELECT 1", NULL, 0, &next);
    CHECK(run_until(c, &next.done, 3000) && next.ok);
    ctx_close(c);
}

/* Terminates the backend running `pattern` from a synchronous connection. */
static int terminate_backend(const char *pattern)
{
    PGconn *conn = NULL;
    char *err = NULL;
    if (pg_connect(test_url("127.0.0.1"), 1, &conn, &err) != 0) {
        free(err);
        return -1;
    }
    const char *params[] = {pattern};
    PGresult *r = pg_exec_params(conn,
                                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE query = $1 AND pid <> pg_backend_pid()",
                                 1, params);
    int n = pg_result_ok(r) ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(conn);
    return n;
}

TEST(backend_terminated_mid_query_is_unavailable_then_reconnects)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 1);
    struct answer slow, next;
    ask(c, "SELECT pg_sleep(4.5)", NULL, 0, &slow);
    bool never = false;
    int killed = 0;
    /* the query must have reached the server first: under load that takes a while */
    for (int i = 0; i < 30 && killed == 0; i++) {
        run_until(c, &never, 100);
        killed = terminate_backend("SELECT pg_sleep(4.5)");
    }
    CHECK_INT(killed, 1);
    CHECK(run_until(c, &slow.done, 3000));
    CHECK(!slow.ok && slow.transient && slow.unavailable);
    /* the only connection was lost: down, then up again after the backoff */
    struct answer early;
    ask(c, "SELECT 1", NULL, 0, &early);
    CHECK(run_until(c, &early.done, 1000) && early.unavailable);
    bool up_again = false;
    for (int i = 0; i < 100 && !up_again; i++) {
        run_until(c, &never, 50);
        up_again = c->nstates == 3 && c->states[2] == 1;
    }
    CHECK(up_again);
    ask(c, "SELECT 5", NULL, 0, &next);
    CHECK(run_until(c, &next.done, 5000));
    CHECK(next.ok);
    ctx_close(c);
}

/* A loopback port bound but not listening: connects to it are refused. */
static int refusing_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    return ntohs(a.sin_port);
}

TEST(unreachable_server_reports_down_and_fails_fast)
{
    int fd = -1, port = refusing_port(&fd);
    char url[128];
    CHECK(port > 0);
    snprintf(url, sizeof url, "postgresql://u:p@127.0.0.1:%d/db", port);
    struct ctx *c = ctx_open(url, 2);
    struct answer a, b;
    uint64_t t0 = uv_now(&c->loop);
    ask(c, "SELECT 1", NULL, 0, &a);
    CHECK(run_until(c, &a.done, 3000));
    CHECK(!a.ok && a.transient && a.unavailable);
    CHECK(c->nstates == 1 && c->states[0] == 0);
    ask(c, "SELECT 1", NULL, 0, &b);
    CHECK(run_until(c, &b.done, 500)); /* while down: at once, no timeout */
    CHECK(b.unavailable);
    CHECK(uv_now(&c->loop) - t0 < 2000);
    ctx_close(c);
    close(fd);
}

TEST(host_name_is_resolved_off_the_loop)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("localhost"), 1);
    struct answer a;
    ask(c, "SELECT inet_server_addr()::text", NULL, 0, &a);
    CHECK(run_until(c, &a.done, 5000));
    CHECK(a.ok);
    ctx_close(c);
}

TEST(close_waits_for_the_running_query)
{
    NEED_PG();
    struct ctx *c = ctx_open(test_url("127.0.0.1"), 1);
    struct answer a, queued, warm;
    ask(c, "SELECT 1", NULL, 0, &warm); /* connected before the timed part */
    CHECK(run_until(c, &warm.done, 5000) && warm.ok);
    ask(c, "SELECT pg_sleep(0.3)", NULL, 0, &a);
    bool never = false;
    run_until(c, &never, 100);
    ask(c, "SELECT 1", NULL, 0, &queued);
    pgpool_close(c->pool, on_closed, c);
    CHECK(queued.done && !queued.ok && strcmp(queued.message, "shutting down") == 0);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    CHECK(a.done && a.ok && c->closed);
    uv_loop_close(&c->loop);
    free(c);
}

TEST(bad_url_is_refused_at_create)
{
    uv_loop_t loop;
    struct pgpool *p = NULL;
    char *err = NULL;
    uv_loop_init(&loop);
    struct pgpool_options o = {.url = "postgresql://h/db?no_such_option=1"};
    CHECK_INT(pgpool_create(&loop, &o, &p, &err), -1);
    CHECK(err != NULL && strstr(err, "DATABASE_URL") != NULL);
    free(err);
    uv_loop_close(&loop);
}
