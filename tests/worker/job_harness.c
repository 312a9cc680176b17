/*
 * tests/worker/job_harness.c: runs Sentia's job handlers one job at a time
 * against the real services — PostgreSQL, Redis and an HTTP server (the fake
 * Twilio) — so the handlers are tested end to end before and apart from the
 * sentia-worker runtime. It implements worker/handler.h on a libuv loop:
 *
 *   - every operation (query, HTTP transfer, timer, work, enqueue) is run
 *     from a zero-delay timer, never inside the call that started it, as an
 *     asynchronous runtime would; its callback is dropped if the run ended;
 *   - queries run synchronously through lib/pg.c on one connection, which
 *     is re-made after a failure; connection failures are reported as
 *     transient pgpool errors, like lib/pgpool.h promises;
 *   - transfers run with curl's easy interface, honouring every field of
 *     struct http_request; this file therefore also provides
 *     http_response_header() for the responses it builds (lib/http.c is not
 *     linked here);
 *   - follow-up jobs really are enqueued (queue_op_enqueue, with their
 *     idempotency key) under QUEUE_PREFIX;
 *   - the contract is enforced: finishing a run twice, or touching it after
 *     it finished, aborts; a handler that returns with nothing pending and
 *     the run unfinished is reported as "stalled". The state attached with
 *     job_run_set_state is destroyed the moment the run finishes, so
 *     AddressSanitizer catches a callback that uses it afterwards.
 *
 *   job-harness < envelopes      one job envelope (JSON) per input line
 *
 * Prints one JSON line per job on stdout: {"id", "type", "outcome":
 * "succeeded" | "failed" | "failed_permanent" | "deferred" | "timeout" |
 * "stalled" | "unknown_type", "error", "delay_ms", "enqueued": [{"queue",
 * "type", "dedup_key", "payload", "duplicate", "envelope"}]}. Logs go to
 * stderr. Environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX and the
 * handlers' variables (jobs_whatsapp_config_vars).
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pg.h"
#include "lib/process.h"
#include "lib/redis.h"
#include "queue/queue.h"
#include "worker/handler.h"
#include "worker/jobs/notify.h"
#include "worker/jobs/whatsapp.h"

enum { HARNESS_LINE_MAX = 1 << 20, HARNESS_HEADERS_MAX = 64 * 1024 };

static const struct config_var harness_vars[] = {
    {"DATABASE_URL", CONFIG_URL_POSTGRES, NULL, CONFIG_ENV_ALL, 0, 0, NULL, true},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

struct harness {
    uv_loop_t *loop;
    struct config *cfg;
    struct worker_services services;
    PGconn *pg;
    struct redis_sync *redis;
};

struct job_run {
    struct harness *h;
    struct job *job;
    const struct job_handler *handler;
    void *state;
    void (*destroy)(void *);
    bool finished;
    int pending; /* operations started and not yet run or dropped */
    uv_timer_t timeout;
    json_t *result;
    json_t *enqueued;
};

enum op_kind { OP_QUERY, OP_HTTP, OP_AFTER, OP_WORK, OP_ENQUEUE };

struct op {
    uv_timer_t timer;
    enum op_kind kind;
    struct job_run *run;
    void *data;
    /* query */
    char *sql;
    int nparams;
    char **params;
    pgpool_cb qcb;
    /* http */
    struct http_request req;
    http_cb hcb;
    /* after / work */
    void (*after)(struct job_run *, void *);
    void (*work)(void *);
    void (*done)(struct job_run *, void *);
    void (*discard)(void *);
    /* enqueue */
    struct job *job;
    void (*ecb)(struct job_run *, const char *, void *);
};

static void harness_die(const char *what)
{
    fprintf(stderr, "job-harness: handler broke the contract: %s\n", what);
    abort();
}

static void harness_check_live(const struct job_run *run, const char *call)
{
    if (run->finished)
        harness_die(call);
}

/* ---- what a handler reads ---------------------------------------------------------- */

const struct job *job_run_job(const struct job_run *run)
{
    return run->job;
}

const struct worker_services *job_run_services(const struct job_run *run)
{
    return &run->h->services;
}

void job_run_set_state(struct job_run *run, void *state, void (*destroy)(void *))
{
    harness_check_live(run, "job_run_set_state after the run finished");
    run->state = state;
    run->destroy = destroy;
}

void *job_run_state(const struct job_run *run)
{
    return run->state;
}

/* ---- finishing -------------------------------------------------------------------------- */

static void harness_finish(struct job_run *run, const char *outcome, int64_t delay_ms,
                           const char *error)
{
    if (run->finished)
        harness_die("a run was finished twice");
    run->finished = true;
    run->result = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "id", run->job->id, "type",
                            run->job->type, "outcome", outcome, "error", error,
                            "delay_ms", (json_int_t)delay_ms);
    uv_timer_stop(&run->timeout);
    if (run->destroy)
        run->destroy(run->state);
    run->state = NULL;
    run->destroy = NULL;
}

void job_run_succeed(struct job_run *run)
{
    harness_finish(run, "succeeded", 0, NULL);
}

/* The formatted error text (a failing run must say why). */
#define HARNESS_FORMAT(buf, fmt)                \
    do {                                        \
        va_list ap;                             \
        va_start(ap, fmt);                      \
        vsnprintf(buf, sizeof buf, fmt, ap);    \
        va_end(ap);                             \
    } while (0)

void job_run_fail(struct job_run *run, const char *fmt, ...)
{
    char error[JOB_ERROR_MAX + 1];
    HARNESS_FORMAT(error, fmt);
    harness_finish(run, "failed", 0, error);
}

void job_run_fail_permanent(struct job_run *run, const char *fmt, ...)
{
    char error[JOB_ERROR_MAX + 1];
    HARNESS_FORMAT(error, fmt);
    harness_finish(run, "failed_permanent", 0, error);
}

void job_run_defer(struct job_run *run, int64_t delay_ms, const char *fmt, ...)
{
    char error[JOB_ERROR_MAX + 1];
    HARNESS_FORMAT(error, fmt);
    harness_finish(run, "deferred", delay_ms, error);
}

static void harness_on_timeout(uv_timer_t *t)
{
    struct job_run *run = t->data;
    job_run_fail(run, "timeout after %d ms", run->handler->timeout_ms);
}

/* ---- operations -------------------------------------------------------------------------- */

static void op_free(uv_handle_t *h)
{
    struct op *op = h->data;
    free(op->sql);
    for (int i = 0; i < op->nparams; i++)
        free(op->params[i]);
    free(op->params);
    if (op->kind == OP_HTTP) {
        free((char *)op->req.method);
        free((char *)op->req.url);
        free((char *)op->req.body);
        free((char *)op->req.basic_auth);
        for (size_t i = 0; op->req.headers && op->req.headers[i]; i++)
            free((char *)op->req.headers[i]);
        free((void *)op->req.headers);
    }
    if (op->job)
        job_free(op->job);
    free(op);
}

static void op_run(uv_timer_t *t);

static struct op *op_start(struct job_run *run, enum op_kind kind, uint64_t delay_ms, void *data)
{
    struct op *op = mem_calloc(1, sizeof *op);
    op->kind = kind;
    op->run = run;
    op->data = data;
    uv_timer_init(run->h->loop, &op->timer);
    op->timer.data = op;
    run->pending++;
    uv_timer_start(&op->timer, op_run, delay_ms, 0);
    return op;
}

/* Is a failed query's SQLSTATE worth a retry (as lib/pgpool.h classifies)? */
static bool harness_transient(const char *state)
{
    static const char *const codes[] = {"40001", "40P01", "57P01", "57P02", "57P03", "57014"};
    if (state == NULL || strncmp(state, "08", 2) == 0)
        return true;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(state, codes[i]) == 0)
            return true;
    return false;
}

static void op_query(struct op *op)
{
    struct harness *h = op->run->h;
    char *err = NULL;
    if ((h->pg == NULL || PQstatus(h->pg) != CONNECTION_OK) && h->pg != NULL) {
        PQfinish(h->pg);
        h->pg = NULL;
    }
    if (h->pg == NULL && pg_connect(config_str(h->cfg, "DATABASE_URL"), 1, &h->pg, &err) != 0) {
        struct pgpool_error e = {err, NULL, true, true};
        op->qcb(op->data, NULL, &e);
        free(err);
        return;
    }
    PGresult *res = pg_exec_params(h->pg, op->sql, op->nparams, (const char *const *)op->params);
    if (res != NULL && pg_result_ok(res)) {
        op->qcb(op->data, res, NULL);
        PQclear(res);
        return;
    }
    char *text = pg_error_text(h->pg, res);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    struct pgpool_error e = {text, state, harness_transient(state) || PQstatus(h->pg) != CONNECTION_OK, PQstatus(h->pg) != CONNECTION_OK};
    op->qcb(op->data, NULL, &e);
    free(text);
    PQclear(res);
    if (PQstatus(h->pg) != CONNECTION_OK) {
        PQfinish(h->pg);
        h->pg = NULL;
    }
}

struct harness_body {
    struct buf b;
    bool too_large;
};

static size_t harness_on_data(char *p, size_t size, size_t n, void *userdata)
{
    struct harness_body *hb = userdata;
    if (buf_append(&hb->b, p, size * n) != 0) {
        hb->too_large = true;
        return 0;
    }
    return size * n;
}

static size_t harness_on_header(char *p, size_t size, size_t n, void *userdata)
{
    buf_append(userdata, p, size * n);
    return size * n;
}

const char *http_response_header(const struct http_response *res, const char *name)
{
    static __thread char value[1024];
    size_t nlen = strlen(name);
    for (const char *line = res->priv; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(value, sizeof value, "%.*s", (int)(len - (size_t)(v - line)), v);
            return value;
        }
        line = end ? end + 2 : line + len;
    }
    return NULL;
}

static void op_http(struct op *op)
{
    const struct http_request *r = &op->req;
    struct harness_body body = {.too_large = false};
    struct buf headers;
    struct curl_slist *list = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    buf_init(&body.b, r->max_response_bytes ? r->max_response_bytes : 8u << 20);
    buf_init(&headers, HARNESS_HEADERS_MAX);
    CURL *c = curl_easy_init();
    for (size_t i = 0; r->headers && r->headers[i]; i++)
        list = curl_slist_append(list, r->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    if (r->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    }
    if (r->basic_auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->basic_auth);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(r->timeout_ms ? r->timeout_ms : 30000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(r->connect_timeout_ms ? r->connect_timeout_ms : 5000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, harness_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    struct http_response res = {.body = buf_str(&body.b), .body_len = body.b.len,
                                .priv = buf_str(&headers)};
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
    } else {
        res.error = body.too_large ? "response too large" : errbuf[0] ? errbuf : curl_easy_strerror(rc);
        res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    }
    op->hcb(op->data, &res);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    buf_dispose(&body.b);
    buf_dispose(&headers);
}

static void op_enqueue(struct op *op)
{
    struct harness *h = op->run->h;
    struct job *job = op->job;
    size_t len;
    char *env = job_encode(job, &len);
    struct queue_op q;
    bool dup = false;
    char id[JOB_ID_MAX + 1] = "";
    queue_op_enqueue(&q, h->services.prefix, job, env, len, 0, 0);
    redisReply *r = queue_op_run_sync(h->redis, &q);
    queue_op_dispose(&q);
    if (r == NULL || r->type == REDIS_REPLY_ERROR || queue_parse_enqueue(r, &dup, id, sizeof id) != 0) {
        op->ecb(op->run, r && r->str ? r->str : "redis failed", op->data);
    } else {
        json_array_append_new(op->run->enqueued,
                              json_pack("{s:s, s:s, s:s?, s:O, s:b, s:s}", "queue", job->queue,
                                        "type", job->type, "dedup_key", job->dedup_key,
                                        "payload", job->payload, "duplicate", dup, "envelope", env));
        op->ecb(op->run, NULL, op->data);
    }
    if (r)
        freeReplyObject(r);
    free(env);
}

static void op_run(uv_timer_t *t)
{
    struct op *op = t->data;
    op->run->pending--;
    if (!op->run->finished) {
        switch (op->kind) {
        case OP_QUERY: op_query(op); break;
        case OP_HTTP: op_http(op); break;
        case OP_AFTER: op->after(op->run, op->data); break;
        case OP_ENQUEUE: op_enqueue(op); break;
        case OP_WORK:
            op->work(op->data);
            op->done(op->run, op->data);
            break;
        }
    } else if (op->kind == OP_WORK && op->discard) {
        op->discard(op->data);
    }
    uv_close((uv_handle_t *)&op->timer, op_free);
}

void job_run_query(struct job_run *run, const char *sql, int nparams,
                   const char *const *params, pgpool_cb cb, void *data)
{
    harness_check_live(run, "job_run_query after the run finished");
    struct op *op = op_start(run, OP_QUERY, 0, data);
    op->sql = mem_strdup(sql);
    op->nparams = nparams;
    op->params = mem_calloc((size_t)nparams + 1, sizeof *op->params);
    for (int i = 0; i < nparams; i++)
        op->params[i] = params[i] ? mem_strdup(params[i]) : NULL;
    op->qcb = cb;
}

void job_run_http(struct job_run *run, const struct http_request *req, http_cb cb, void *data)
{
    harness_check_live(run, "job_run_http after the run finished");
    struct op *op = op_start(run, OP_HTTP, 0, data);
    size_t n = 0;
    while (req->headers && req->headers[n])
        n++;
    const char **headers = mem_calloc(n + 1, sizeof *headers);
    for (size_t i = 0; i < n; i++)
        headers[i] = mem_strdup(req->headers[i]);
    op->req = *req;
    op->req.method = mem_strdup(req->method);
    op->req.url = mem_strdup(req->url);
    op->req.headers = headers;
    op->req.body = req->body ? mem_strndup(req->body, req->body_len) : NULL;
    op->req.basic_auth = req->basic_auth ? mem_strdup(req->basic_auth) : NULL;
    op->hcb = cb;
}

void job_run_after(struct job_run *run, uint64_t delay_ms,
                   void (*cb)(struct job_run *run, void *data), void *data)
{
    harness_check_live(run, "job_run_after after the run finished");
    op_start(run, OP_AFTER, delay_ms, data)->after = cb;
}

void job_run_work(struct job_run *run, void (*work)(void *data),
                  void (*done)(struct job_run *run, void *data), void (*discard)(void *data),
                  void *data)
{
    harness_check_live(run, "job_run_work after the run finished");
    struct op *op = op_start(run, OP_WORK, 0, data);
    op->work = work;
    op->done = done;
    op->discard = discard;
}

void job_run_enqueue(struct job_run *run, struct job *job,
                     void (*cb)(struct job_run *run, const char *error, void *data), void *data)
{
    harness_check_live(run, "job_run_enqueue after the run finished");
    struct op *op = op_start(run, OP_ENQUEUE, 0, data);
    op->job = job;
    op->ecb = cb;
}

/* ---- the registry the runtime will have ------------------------------------------------- */

const struct job_handler *handler_find(const char *type)
{
    static const struct job_handler *const tables[] = {jobs_whatsapp_handlers,
                                                        jobs_notify_handlers};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct job_handler *h = tables[t]; h->type; h++)
            if (strcmp(h->type, type) == 0)
                return h;
    return NULL;
}

/* ---- main ------------------------------------------------------------------------------- */

static void harness_close_timeout(uv_handle_t *h)
{
    (void)h;
}

/* Runs one envelope to the end; prints its result line. */
static void harness_run_line(struct harness *h, const char *line, size_t len)
{
    struct job *job = NULL;
    const char *why;
    if (job_decode(line, len, &job, &why) != 0) {
        printf("{\"outcome\":\"bad_envelope\",\"error\":\"%s\"}\n", why);
        return;
    }
    struct job_run run = {.h = h, .job = job, .enqueued = json_array()};
    run.handler = handler_find(job->type);
    if (run.handler == NULL) {
        run.result = json_pack("{s:s, s:s, s:s}", "id", job->id, "type", job->type, "outcome",
                               "unknown_type");
    } else {
        uv_timer_init(h->loop, &run.timeout);
        run.timeout.data = &run;
        uv_timer_start(&run.timeout, harness_on_timeout,
                       (uint64_t)(run.handler->timeout_ms > 0 ? run.handler->timeout_ms : 30000), 0);
        run.handler->run(&run);
        while (!run.finished && run.pending > 0)
            uv_run(h->loop, UV_RUN_ONCE);
        uv_timer_stop(&run.timeout);
        uv_close((uv_handle_t *)&run.timeout, harness_close_timeout);
        uv_run(h->loop, UV_RUN_DEFAULT); /* dropped operations close their timers */
        if (!run.finished) {
            run.result = json_pack("{s:s, s:s, s:s}", "id", job->id, "type", job->type,
                                   "outcome", "stalled");
            if (run.destroy)
                run.destroy(run.state);
        }
    }
    json_object_set(run.result, "enqueued", run.enqueued);
    char *text = json_dumps(run.result, JSON_COMPACT);
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    json_decref(run.result);
    json_decref(run.enqueued);
    job_free(job);
}

int main(void)
{
    static const struct config_var *const tables[] = {config_common_vars, harness_vars,
                                                      jobs_whatsapp_config_vars, NULL};
    struct harness h = {.loop = uv_default_loop()};
    char *err = NULL;
    h.cfg = config_load_or_exit(tables);
    process_configure(h.cfg, "job-harness");
    process.log_fd = 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (redis_sync_connect(config_str(h.cfg, "REDIS_URL"), 2000, &h.redis, &err) != 0) {
        fprintf(stderr, "job-harness: redis: %s\n", err);
        free(err);
        return 1;
    }
    h.services = (struct worker_services){.loop = h.loop, .cfg = h.cfg,
                                          .prefix = config_str(h.cfg, "QUEUE_PREFIX"),
                                          .worker_id = "job-harness"};
    char *line = mem_alloc(HARNESS_LINE_MAX);
    while (fgets(line, HARNESS_LINE_MAX, stdin) != NULL) {
        size_t len = strcspn(line, "\r\n");
        if (len > 0)
            harness_run_line(&h, line, len);
    }
    free(line);
    if (h.pg)
        PQfinish(h.pg);
    redis_sync_free(h.redis);
    uv_loop_close(h.loop);
    curl_global_cleanup();
    config_free(h.cfg);
    return 0;
}
