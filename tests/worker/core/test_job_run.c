/*
 * tests/worker/core/test_job_run.c: the run lifecycle of worker/core/job_run.c on a real libuv
 * loop, with a counting owner (struct job_run_owner) in the consumer's place
 * and a test family in the registry: outcomes and their
 * failure plans, the timeout cancelling tracked operations (their callbacks
 * never reach the handler, thread-pool data is discarded, state destroyed),
 * a second finish ignored, malformed envelopes and unknown types, and a
 * Postgres outage turning a transient failure into a defer.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/pgpool.h"
#include "queue/job.h"
#include "tests/test.h"
#include "worker/core/env.h"
#include "worker/core/job_run.h"

/* ---- owner ---------------------------------------------------------------- */

/* What the consumer would do with its runs: count them, keep the last. */
struct owner_log {
    int running;
    struct job_run *last;
    int finished;
};

static void owner_started(void *data, struct job_run *run)
{
    struct owner_log *c = data;
    c->running++;
    c->last = run;
}

static void owner_finished(void *data, struct job_run *run)
{
    struct owner_log *c = data;
    c->running--;
    c->finished++;
    c->last = run;
}

static int callbacks_reached, destroyed, discarded;

static void t_ok(struct job_run *run)
{
    job_run_succeed(run);
    job_run_fail(run, "too late"); /* ignored: already finished */
}

static void t_fail(struct job_run *run)
{
    job_run_fail(run, "HTTP %d from provider", 503);
}

static void t_permanent(struct job_run *run)
{
    job_run_fail_permanent(run, "bad payload");
}

static void t_defer(struct job_run *run)
{
    job_run_defer(run, 7000, "429, Retry-After 7");
}

static void reached(struct job_run *run, void *data)
{
    (void)run, (void)data;
    callbacks_reached++;
}

static void slow_work(void *data)
{
    (void)data;
    usleep(300 * 1000);
}

static void work_done(struct job_run *run, void *data)
{
    (void)data;
    callbacks_reached++;
    job_run_succeed(run);
}

static void work_discard(void *data)
{
    (void)data;
    discarded++;
}

static void destroy_state(void *state)
{
    (void)state;
    destroyed++;
}

/* Never finishes by itself: a timer, thread-pool work and handler state. */
static void t_hang(struct job_run *run)
{
    job_run_set_state(run, run, destroy_state);
    job_run_after(run, 5000, reached, NULL);
    job_run_work(run, slow_work, work_done, work_discard, NULL);
}

static void pinged(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    (void)res;
    job_run_fail(run, "postgres: %s", err ? err->message : "?");
}

static void t_query(struct job_run *run)
{
    job_run_query(run, "SELECT 1", 0, NULL, pinged, run);
}

static const struct job_handler test_handlers[] = {
    {"t.ok", t_ok, 0, 0},           {"t.fail", t_fail, 3, 0},
    {"t.permanent", t_permanent, 0, 0}, {"t.defer", t_defer, 0, 0},
    {"t.hang", t_hang, 0, 100},     {"t.query", t_query, 0, 0},
    {NULL, NULL, 0, 0},
};

static const struct job_family test_family = {.name = "t", .handlers = test_handlers};
static const struct job_family *const test_families[] = {&test_family, NULL};

/* ---- harness ------------------------------------------------------------ */

struct harness {
    uv_loop_t loop;
    struct worker_settings settings;
    struct worker_runtime rt;
    struct owner_log c;
    struct job_run_owner owner;
};

static void harness_init(struct harness *h)
{
    memset(h, 0, sizeof *h);
    uv_loop_init(&h->loop);
    h->settings.job_timeout_ms = 30000;
    h->settings.prefix = "p";
    h->rt.loop = &h->loop;
    h->rt.settings = &h->settings;
    h->settings.families = test_families;
    h->owner = (struct job_run_owner){&h->rt, "q", owner_started, owner_finished, &h->c};
    callbacks_reached = destroyed = discarded = 0;
}

static void harness_run_ms(struct harness *h, int ms)
{
    uint64_t end = uv_now(&h->loop) + (uint64_t)ms;
    while (uv_now(&h->loop) < end) {
        uv_run(&h->loop, UV_RUN_NOWAIT);
        usleep(1000);
        uv_update_time(&h->loop);
    }
}

static void harness_dispose(struct harness *h)
{
    uv_run(&h->loop, UV_RUN_DEFAULT);
    uv_loop_close(&h->loop);
}

/* Starts a job of `type` and returns its run (the consumer's last). */
static struct job_run *start(struct harness *h, const char *type, int max_attempts)
{
    struct job *j = job_create("q", type, NULL);
    size_t len;
    j->max_attempts = max_attempts;
    char *env = job_encode(j, &len);
    run_start(&h->owner, env, len);
    free(env);
    job_free(j);
    return h->c.last;
}

/* ---- cases -------------------------------------------------------------- */

TEST(outcomes_and_failure_plans)
{
    struct harness h;
    harness_init(&h);
    struct job_run *r = start(&h, "t.ok", 20);
    CHECK(r->finished && r->outcome == RUN_ACK);
    run_free(r);
    r = start(&h, "t.fail", 20);
    CHECK(r->outcome == RUN_FAIL && r->failure.mode == QUEUE_FAIL_RETRY);
    CHECK_INT(r->job->max_attempts, 3); /* the handler's limit wins */
    CHECK(strstr(r->failure.envelope, "HTTP 503 from provider") != NULL);
    run_free(r);
    r = start(&h, "t.fail", 1);
    CHECK(r->failure.mode == QUEUE_FAIL_RETRY); /* 3 from the handler, not 1 */
    run_free(r);
    r = start(&h, "t.permanent", 20);
    CHECK(r->failure.mode == QUEUE_FAIL_DEAD);
    run_free(r);
    r = start(&h, "t.defer", 20);
    CHECK(r->failure.mode == QUEUE_FAIL_DEFER);
    CHECK(r->failure.due_ms - clock_wall_ms() > 6000);
    run_free(r);
    CHECK_INT(h.c.running, 0);
    harness_dispose(&h);
}

TEST(unknown_type_and_malformed_envelopes_go_dead)
{
    struct harness h;
    harness_init(&h);
    struct job_run *r = start(&h, "no.such", 20);
    CHECK(r->failure.mode == QUEUE_FAIL_DEAD);
    CHECK(strstr(r->failure.envelope, "\"last_error\":\"unknown_type\"") != NULL);
    run_free(r);
    run_start(&h.owner, "\xff\xfe{", 3);
    r = h.c.last;
    CHECK(r->failure.mode == QUEUE_FAIL_DEAD);
    CHECK_STR(r->job->type, "invalid");
    CHECK(r->job->raw_len == 3 && memcmp(r->job->raw, "\xff\xfe{", 3) == 0);
    CHECK(strstr(r->failure.envelope, "\"raw_base64\":\"//57\"") != NULL);
    CHECK(strstr(r->failure.envelope, "malformed envelope: envelope is not valid JSON") != NULL);
    run_free(r);
    harness_dispose(&h);
}

TEST(timeout_cancels_tracked_operations)
{
    struct harness h;
    harness_init(&h);
    struct job_run *r = start(&h, "t.hang", 20);
    CHECK(!r->finished && r->ops != NULL);
    harness_run_ms(&h, 200);
    CHECK(r->finished && r->outcome == RUN_FAIL);
    CHECK(strstr(r->failure.envelope, "timeout after 100 ms") != NULL);
    CHECK_INT(destroyed, 1);
    CHECK(r->ops == NULL);
    harness_run_ms(&h, 400); /* the running work item ends: discarded, not done */
    CHECK_INT(callbacks_reached, 0);
    CHECK_INT(discarded, 1);
    run_free(r);
    harness_dispose(&h);
}

TEST(abandon_leaves_no_result)
{
    struct harness h;
    harness_init(&h);
    struct job_run *r = start(&h, "t.hang", 20);
    run_abandon(r);
    CHECK(r->finished && r->outcome == RUN_ABANDON);
    harness_run_ms(&h, 400);
    CHECK_INT(callbacks_reached, 0);
    run_free(r);
    harness_dispose(&h);
}

TEST(query_without_database_fails_later_not_inside_the_call)
{
    struct harness h;
    harness_init(&h);
    struct job_run *r = start(&h, "t.query", 20);
    CHECK(!r->finished); /* the error arrives from the loop */
    harness_run_ms(&h, 20);
    CHECK(r->finished && r->failure.mode == QUEUE_FAIL_RETRY);
    CHECK(strstr(r->failure.envelope, "DATABASE_URL is not set") != NULL);
    run_free(r);
    harness_dispose(&h);
}

static void pool_closed(void *data)
{
    (void)data;
}

TEST(postgres_unavailable_turns_a_failure_into_a_defer)
{
    struct harness h;
    harness_init(&h);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    char url[96], *err = NULL;
    snprintf(url, sizeof url, "postgresql://u:p@127.0.0.1:%d/db", ntohs(a.sin_port));
    struct pgpool_options o = {.url = url, .size = 1};
    CHECK_INT(pgpool_create(&h.loop, &o, &h.rt.pg, &err), 0);
    struct job_run *r = start(&h, "t.query", 2);
    for (int i = 0; i < 200 && !r->finished; i++)
        harness_run_ms(&h, 10);
    CHECK(r->finished && r->pg_unavailable);
    CHECK(r->failure.mode == QUEUE_FAIL_DEFER);
    CHECK(strstr(r->failure.envelope, "\"attempt\":0") != NULL); /* none spent */
    int64_t wait = r->failure.due_ms - clock_wall_ms();
    CHECK(wait > RUN_PG_DEFER_MS - 200 && wait <= RUN_PG_DEFER_MS + RUN_PG_DEFER_JITTER_MS);
    run_free(r);
    pgpool_close(h.rt.pg, pool_closed, NULL);
    harness_dispose(&h);
    close(fd);
}
