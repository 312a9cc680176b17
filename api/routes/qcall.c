/*
 * api/routes/qcall.c: chained Redis operations for one request, read
 * answers with ETags, and the command frame (see qcall.h).
 */
#include "api/routes/qcall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/routes/audit_log.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pgpool.h"
#include "lib/redis.h"

/* ---- life cycle ---------------------------------------------------------- */

static void qcall_free(struct qcall *c)
{
    json_decref(c->body);
    if (c->free_data)
        c->free_data(c->data);
    else
        free(c->data);
    free(c);
}

static void qcall_expired(struct api_pending *p)
{
    h2o_req_t *req = api_pending_end(p);
    if (req != NULL)
        api_respond_retry(req, 503, "redis_timeout", "Redis did not answer in time", 5);
}

/* Copies a path parameter; false (answered) when it does not fit its pattern. */
static bool qcall_param(struct api_call *call, const char *name, char *out, size_t size,
                        bool (*valid)(const char *))
{
    const char *v = api_call_param(call, name);
    if (v == NULL)
        return true;
    if (!valid(v) || strlen(v) >= size) {
        char msg[64];
        snprintf(msg, sizeof msg, "path parameter %s is malformed", name);
        api_respond_error(call->req, 400, "invalid_parameter", msg);
        return false;
    }
    memcpy(out, v, strlen(v) + 1);
    return true;
}

static bool qcall_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > JOB_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') ||
              ('0' <= s[i] && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static struct qcall *qcall_begin_with(struct api_call *call, bool redis)
{
    h2o_req_t *req = call->req;
    struct qcall *c = mem_calloc(1, sizeof *c);
    if (!qcall_param(call, "queue", c->queue, sizeof c->queue, queue_name_valid) ||
        !qcall_param(call, "id", c->id, sizeof c->id, qcall_id_valid)) {
        free(c);
        return NULL;
    }
    if (redis && !api_ctx_redis_up(req)) {
        api_respond_retry(req, 503, "redis_unavailable", "Redis is not connected", 5);
        free(c);
        return NULL;
    }
    c->redis = api_ctx_redis(req);
    snprintf(c->prefix, sizeof c->prefix, "%s", api_ctx_config(req)->prefix);
    c->caller = call->caller;
    snprintf(c->request_id, sizeof c->request_id, "%s", api_request_id(req));
    c->now_ms = clock_wall_ms();
    c->pg = api_ctx_pg(req);
    c->query_timeout_ms = api_ctx_config(req)->query_timeout_ms;
    api_pending_begin(&c->pending, api_ctx_pending(req), req, qcall_expired);
    return c;
}

struct qcall *qcall_begin(struct api_call *call)
{
    return qcall_begin_with(call, true);
}

struct qcall *qcall_begin_pg(struct api_call *call)
{
    return qcall_begin_with(call, false);
}

struct qcall *qcall_begin_read(struct api_call *call)
{
    struct qcall *c = qcall_begin(call);
    if (c == NULL)
        return NULL;
    json_t *q = qcall_query(c, call->req, NULL);
    if (q == NULL)
        return NULL; /* answered 400: the qcall freed itself */
    json_decref(q);
    return c;
}

const char *qcall_limit(const json_t *q, int *limit)
{
    const char *text = json_string_value(json_object_get(q, "limit"));
    *limit = QCALL_PAGE_LIMIT_DEFAULT;
    if (text == NULL)
        return NULL;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > QCALL_PAGE_LIMIT_MAX)
        return "limit must be an integer from 1 to 200";
    *limit = (int)v;
    return NULL;
}

/* limit (into c->arg) and cursor of page->query; a message if bad. */
static const char *qcall_paging(struct qcall *c, struct qcall_page *page)
{
    const char *cur = json_string_value(json_object_get(page->query, "cursor"));
    int limit;
    const char *bad = qcall_limit(page->query, &limit);
    page->cursor = cur;
    c->arg = limit;
    if (bad != NULL)
        return bad;
    if (cur && (strlen(cur) > 19 || strspn(cur, "0123456789") != strlen(cur) || *cur == '\0'))
        return "cursor is malformed";
    snprintf(page->limit, sizeof page->limit, "%lld", (long long)c->arg + 1);
    return NULL;
}

struct qcall *qcall_begin_pg_query(struct api_call *call, const char *const *allowed,
                                   struct qcall_page *page)
{
    memset(page, 0, sizeof *page);
    struct qcall *c = qcall_begin_pg(call);
    if (c == NULL)
        return NULL;
    page->query = qcall_query(c, call->req, allowed);
    if (page->query == NULL)
        return NULL; /* answered 400: the qcall freed itself */
    const char *bad = qcall_paging(c, page);
    if (bad != NULL) {
        json_decref(page->query);
        page->query = NULL;
        qcall_fail(c, 400, "invalid_parameter", bad);
        return NULL;
    }
    return c;
}

static void qcall_walk_free(void *data)
{
    struct qcall_walk *w = data;
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->names[i]);
    free(w->names);
    json_decref(w->items);
    free(w);
}

static int qcall_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct qcall_walk *qcall_walk_begin(struct qcall *c, const redisReply *r,
                                    bool (*keep)(const char *name))
{
    struct qcall_walk *w = mem_calloc(1, sizeof *w);
    c->data = w;
    c->free_data = qcall_walk_free;
    w->items = json_array();
    if (r->type != REDIS_REPLY_ARRAY) {
        qcall_fail(c, 503, "redis_error", "unexpected list reply");
        return NULL;
    }
    w->names = mem_calloc(r->elements + 1, sizeof *w->names);
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && (keep == NULL || keep(r->element[i]->str)))
            w->names[w->n++] = mem_strdup(r->element[i]->str);
    qsort(w->names, w->n, sizeof *w->names, qcall_name_cmp);
    return w;
}

static void qcall_on_pg(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct qcall *c = data;
    c->busy = false;
    if (!api_pending_armed(&c->pending)) {
        qcall_free(c);
        return;
    }
    if (err != NULL) {
        bool timeout = err->message && strstr(err->message, "timeout") != NULL;
        log_warn(LOG_FIELDS(LF_STR("request_id", c->request_id), LF_STR("error", err->message)),
                 "admin route: Postgres call failed");
        if (err->unavailable || err->transient)
            qcall_fail(c, 503, timeout ? "database_timeout" : "database_unavailable",
                       "the database did not answer");
        else
            qcall_fail(c, 500, "internal_error", "the statement failed");
        return;
    }
    qcall_pg_fn_ptr next = c->pg_next;
    c->pg_next = NULL;
    next(c, res);
}

void qcall_pg(struct qcall *c, const char *sql, int nparams, const char *const *params,
              qcall_pg_fn *next)
{
    if (!audit_log_ready(c->pg)) {
        qcall_fail(c, 503, "database_unavailable", "the database is not connected");
        return;
    }
    c->pg_next = next;
    c->busy = true;
    pgpool_query(c->pg, sql, nparams, params, c->query_timeout_ms, qcall_on_pg, c);
}

static void qcall_on_reply(void *data, const redisReply *r, const char *error)
{
    struct qcall *c = data;
    c->busy = false;
    if (!api_pending_armed(&c->pending)) {
        qcall_free(c);
        return;
    }
    if (error != NULL || r == NULL || r->type == REDIS_REPLY_ERROR) {
        log_warn(LOG_FIELDS(LF_STR("request_id", c->request_id),
                            LF_STR("error", error ? error : r ? r->str : "no reply")),
                 "queue route: Redis call failed");
        qcall_fail(c, 503, error ? "redis_unavailable" : "redis_error",
                   "the queue could not be read or changed");
        return;
    }
    qcall_step_fn *next = c->step;
    c->step = NULL;
    next(c, r);
}

void qcall_run(struct qcall *c, struct queue_op *op, qcall_step_fn *next)
{
    c->step = next;
    c->busy = true;
    if (queue_op_run_async(c->redis, op, qcall_on_reply, c) != 0) {
        c->busy = false;
        queue_op_dispose(op);
        qcall_fail(c, 503, "redis_unavailable", "Redis is not connected");
        return;
    }
    queue_op_dispose(op);
}

/* Ends the wait; the request if it is still there. Frees c unless busy. */
static h2o_req_t *qcall_end(struct qcall *c)
{
    h2o_req_t *req = api_pending_end(&c->pending);
    c->answered = true;
    return req;
}

static void qcall_release(struct qcall *c)
{
    if (!c->busy)
        qcall_free(c);
}

/* ---- answers -------------------------------------------------------------- */

void qcall_etag(const char *body, size_t len, char out[35])
{
    uint8_t d[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(body, len, d);
    crypto_hex_encode(d, CRYPTO_SHA256_LEN, hex);
    snprintf(out, 35, "\"%.32s\"", hex);
}

/* True when If-None-Match names etag (any list entry, W/ ignored) or is *. */
static bool qcall_not_modified(h2o_req_t *req, const char *etag)
{
    h2o_iovec_t inm = api_header(req, "if-none-match");
    size_t n = strlen(etag);
    for (size_t i = 0; inm.base && i < inm.len;) {
        while (i < inm.len && (inm.base[i] == ' ' || inm.base[i] == ','))
            i++;
        if (i + 2 <= inm.len && memcmp(inm.base + i, "W/", 2) == 0)
            i += 2;
        size_t end = i;
        while (end < inm.len && inm.base[end] != ',')
            end++;
        size_t tl = end;
        while (tl > i && inm.base[tl - 1] == ' ')
            tl--;
        if ((tl - i == 1 && inm.base[i] == '*') ||
            (tl - i == n && memcmp(inm.base + i, etag, n) == 0))
            return true;
        i = end;
    }
    return false;
}

void qcall_answer_read(struct qcall *c, json_t *doc)
{
    h2o_req_t *req = qcall_end(c);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    if (req != NULL) {
        char etag[35];
        qcall_etag(text, strlen(text), etag);
        api_add_header(req, "ETag", etag);
        static const char cache[] = "private, max-age=0";
        /* by token, so the common-headers filter sees it and adds no no-store */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache,
                       sizeof cache - 1);
        if (qcall_not_modified(req, etag))
            api_respond(req, 304, NULL, "", 0);
        else
            api_respond(req, 200, "application/json", text, strlen(text));
    }
    free(text);
    qcall_release(c);
}

static void qcall_ignore(void *data, const redisReply *r, const char *error)
{
    (void)data;
    (void)r;
    (void)error;
}

/* Stores the answer under the Idempotency-Key (kept for the key's 24 h). */
static void qcall_idem_store(struct qcall *c, int status, const char *text)
{
    if (c->idem_key[0] == '\0')
        return;
    json_t *rec = json_pack("{sssiss}", "fp", c->fingerprint, "status", status, "body", text);
    char *v = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "SET");
    redis_args_add(&a, c->idem_key);
    redis_args_add(&a, v);
    redis_args_add(&a, "XX");
    redis_args_add(&a, "KEEPTTL");
    redis_client_command(c->redis, 0, qcall_ignore, NULL, &a);
    redis_args_dispose(&a);
    free(v);
}

/* The audit outcome of an HTTP status. */
static const char *qcall_outcome(int status)
{
    return status == 202 ? "accepted" : status < 300 ? "done" : status < 500 ? "refused"
                                                                             : "failed";
}

static void qcall_audit(struct qcall *c, h2o_req_t *req, int status, const char *outcome,
                        json_t *detail)
{
    if (c->action == NULL) {
        json_decref(detail);
        return;
    }
    json_object_set_new(detail, "status", json_integer(status));
    struct audit_entry e = {&c->caller, c->action, c->target, c->request_id, outcome, detail};
    (void)req;
    audit_log_write(c->pg, c->redis, c->prefix, &e);
    json_decref(detail);
}

void qcall_answer(struct qcall *c, int status, json_t *doc)
{
    h2o_req_t *req = qcall_end(c);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_t *detail = json_object();
    const char *keys[] = {"job_id", "touched", "from_state"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (json_object_get(doc, keys[i]))
            json_object_set(detail, keys[i], json_object_get(doc, keys[i]));
    if (json_is_integer(json_object_get(c->body, "confirm")))
        json_object_set(detail, "confirm", json_object_get(c->body, "confirm"));
    qcall_idem_store(c, status, text);
    qcall_audit(c, req, status, qcall_outcome(status), detail);
    if (req != NULL) {
        const char *url = json_string_value(json_object_get(doc, "status_url"));
        if (status == 202 && url)
            api_add_header(req, "Location", url);
        api_respond(req, status, "application/json", text, strlen(text));
    }
    json_decref(doc);
    free(text);
    qcall_release(c);
}

void qcall_fail(struct qcall *c, int status, const char *code, const char *message)
{
    if (c->action == NULL || status == 503) {
        h2o_req_t *req = qcall_end(c);
        if (c->action != NULL)
            qcall_audit(c, req, status, "failed", json_pack("{ss}", "code", code));
        if (req != NULL && status == 503)
            api_respond_retry(req, status, code, message, 5);
        else if (req != NULL)
            api_respond_error(req, status, code, message);
        if (status == 503 && c->idem_key[0]) {
            /* nothing was done: the key may be used again at once */
            struct redis_args a;
            redis_args_init(&a);
            redis_args_add(&a, "DEL");
            redis_args_add(&a, c->idem_key);
            redis_client_command(c->redis, 0, qcall_ignore, NULL, &a);
            redis_args_dispose(&a);
        }
        qcall_release(c);
        return;
    }
    /* A refused command: its error document is its answer, stored and audited. */
    h2o_req_t *req = qcall_end(c);
    json_t *doc = json_pack("{s{ssssss}}", "error", "code", code, "message", message,
                            "request_id", c->request_id);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    qcall_idem_store(c, status, text);
    qcall_audit(c, req, status, "refused", json_pack("{ss}", "code", code));
    if (req != NULL)
        api_respond(req, status, "application/json", text, strlen(text));
    free(text);
    qcall_release(c);
}

json_t *qcall_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char buf[40];
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
    return json_string(buf);
}

/* ---- queue existence ------------------------------------------------------ */

static void qcall_on_member(struct qcall *c, const redisReply *r)
{
    if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
        qcall_fail(c, 404, "not_found", "no such queue");
        return;
    }
    c->after(c, NULL);
}

void qcall_need_queue(struct qcall *c, qcall_step_fn *next)
{
    struct queue_op op;
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    redis_args_add(&op.args, "SISMEMBER");
    redis_args_add_fmt(&op.args, "%s:queues", c->prefix);
    redis_args_add(&op.args, c->queue);
    c->after = next;
    qcall_run(c, &op, qcall_on_member);
}

/* ---- the command frame ---------------------------------------------------- */

/* The body as a JSON object checked against fields; NULL after answering. */
static json_t *qcall_body(struct qcall *c, h2o_req_t *req, const char *const *fields)
{
    json_t *o;
    if (req->entity.len == 0)
        return json_object();
    if (!api_content_type_is(req, "application/json")) {
        qcall_fail(c, 415, "unsupported_media_type", "the body must be application/json");
        return NULL;
    }
    o = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        qcall_fail(c, 400, "invalid_body", "the body must be a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool known = false;
        for (size_t i = 0; fields && fields[i]; i++)
            known = known || strcmp(fields[i], k) == 0;
        if (!known) {
            char msg[128];
            snprintf(msg, sizeof msg, "unknown field \"%.64s\"", k);
            json_decref(o);
            qcall_fail(c, 400, "unknown_field", msg);
            return NULL;
        }
    }
    return o;
}

/* Reads Idempotency-Key: 0 (none or valid), -1 after answering 400. */
static int qcall_idem_key(struct qcall *c, h2o_req_t *req)
{
    h2o_iovec_t k = api_header(req, "idempotency-key");
    /* Not honoured when creating an API key: the key is never stored, so the
     * first answer could not be given again (docs/API-CONTRACT.md). */
    if (k.base == NULL || strcmp(c->action, "api_key.create") == 0)
        return 0;
    bool ok = k.len >= 1 && k.len <= QCALL_IDEM_KEY_MAX;
    for (size_t i = 0; ok && i < k.len; i++)
        ok = k.base[i] >= 0x21 && k.base[i] <= 0x7e;
    if (!ok) {
        qcall_fail(c, 400, "invalid_idempotency_key",
                   "Idempotency-Key must be 1-255 printable ASCII characters");
        return -1;
    }
    struct buf b;
    uint8_t d[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    buf_init(&b, req->entity.len + 4096);
    buf_puts(&b, c->caller.subject);
    buf_putc(&b, '\n');
    buf_append(&b, k.base, k.len);
    crypto_sha256(buf_str(&b), b.len, d);
    crypto_hex_encode(d, CRYPTO_SHA256_LEN, hex);
    snprintf(c->idem_key, sizeof c->idem_key, "%s:idem:%s", c->prefix, hex);
    buf_reset(&b);
    buf_append(&b, req->method.base, req->method.len);
    buf_putc(&b, ' ');
    buf_append(&b, req->path_normalized.base, req->path_normalized.len);
    buf_putc(&b, '\n');
    buf_append(&b, req->entity.base, req->entity.len);
    crypto_sha256(buf_str(&b), b.len, d);
    crypto_hex_encode(d, CRYPTO_SHA256_LEN, c->fingerprint);
    buf_dispose(&b);
    return 0;
}

/* Replays a stored answer. */
static void qcall_replay(struct qcall *c, int status, const char *body)
{
    h2o_req_t *req = qcall_end(c);
    json_t *doc = json_loads(body, 0, NULL);
    qcall_audit(c, req, status, "replayed", json_object());
    if (req != NULL) {
        const char *url = json_string_value(json_object_get(doc, "status_url"));
        if (status == 202 && url)
            api_add_header(req, "Location", url);
        api_add_header(req, "X-Sentia-Duplicate", "1");
        api_respond(req, status, "application/json", body, strlen(body));
    }
    json_decref(doc);
    qcall_release(c);
}

/* The SET NX GET reply: ours (nil) → the command; else replay or refuse. */
static void qcall_on_idem(struct qcall *c, const redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL) {
        c->after(c, NULL);
        return;
    }
    json_t *rec = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    const char *fp = json_string_value(json_object_get(rec, "fp"));
    int status = (int)json_integer_value(json_object_get(rec, "status"));
    const char *body = json_string_value(json_object_get(rec, "body"));
    c->idem_key[0] = '\0'; /* the stored answer stays as it is */
    if (fp == NULL || strcmp(fp, c->fingerprint) != 0)
        qcall_fail(c, 422, "idempotency_key_reused",
                   "this Idempotency-Key came with another request");
    else if (status == 0 || body == NULL)
        qcall_fail(c, 409, "invalid_state",
                   "a request with this Idempotency-Key is still in progress");
    else
        qcall_replay(c, status, body);
    json_decref(rec);
}

void qcall_command_begin(struct api_call *call, const char *action, const char *target,
                         const char *const *fields, qcall_step_fn *start)
{
    h2o_req_t *req = call->req;
    struct qcall *c = qcall_begin(call);
    if (c == NULL)
        return;
    c->action = action;
    snprintf(c->target, sizeof c->target, "%s", target);
    if (!audit_log_ready(c->pg)) {
        qcall_fail(c, 503, "database_unavailable", "the audit log cannot be written");
        return;
    }
    if (qcall_idem_key(c, req) != 0)
        return;
    json_t *body = qcall_body(c, req, fields); /* NULL: answered, c is gone */
    if (body == NULL)
        return;
    c->body = body;
    c->after = start;
    if (c->idem_key[0] == '\0') {
        start(c, NULL);
        return;
    }
    struct queue_op op;
    char pending[120];
    snprintf(pending, sizeof pending, "{\"fp\":\"%s\",\"status\":0}", c->fingerprint);
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    redis_args_add(&op.args, "SET");
    redis_args_add(&op.args, c->idem_key);
    redis_args_add_fmt(&op.args, "%s", pending);
    redis_args_add(&op.args, "NX");
    redis_args_add(&op.args, "GET");
    redis_args_add(&op.args, "EX");
    redis_args_add_int(&op.args, QCALL_IDEM_TTL_S);
    qcall_run(c, &op, qcall_on_idem);
}

/* ---- query strings -------------------------------------------------------- */

/* Percent-decodes s[0..n) ('+' is a space); NULL when malformed. */
static char *qcall_decode(const char *s, size_t n)
{
    char *out = mem_calloc(1, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? crypto_hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? crypto_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[j++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

/* Adds one name=value pair; false after answering. */
static bool qcall_query_pair(struct qcall *c, json_t *o, const char *p, size_t n,
                             const char *const *allowed)
{
    const char *eq = memchr(p, '=', n);
    size_t kl = eq ? (size_t)(eq - p) : n;
    char *k = qcall_decode(p, kl);
    char *v = eq ? qcall_decode(eq + 1, n - kl - 1) : mem_strdup("");
    bool ok = false;
    char msg[128];
    json_t *js = v ? json_string(v) : NULL;
    for (size_t i = 0; k && allowed && allowed[i]; i++)
        ok = ok || strcmp(allowed[i], k) == 0;
    if (!ok) {
        snprintf(msg, sizeof msg, "unknown parameter \"%.64s\"", k ? k : "?");
        qcall_fail(c, 400, "unknown_parameter", msg);
    } else if (js == NULL || json_object_get(o, k) != NULL) {
        snprintf(msg, sizeof msg, "parameter %.64s is malformed or repeated", k);
        ok = false;
        qcall_fail(c, 400, "invalid_parameter", msg);
    } else {
        json_object_set(o, k, js);
    }
    json_decref(js);
    free(k);
    free(v);
    return ok;
}

json_t *qcall_query(struct qcall *c, h2o_req_t *req, const char *const *allowed)
{
    json_t *o = json_object();
    if (req->query_at == SIZE_MAX)
        return o;
    const char *q = req->path.base + req->query_at + 1;
    size_t len = req->path.len - req->query_at - 1;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && q[end] != '&')
            end++;
        if (end > i && !qcall_query_pair(c, o, q + i, end - i, allowed)) {
            json_decref(o);
            return NULL;
        }
        i = end + 1;
    }
    return o;
}
