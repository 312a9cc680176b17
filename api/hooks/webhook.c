/*
 * api/hooks/webhook.c: dedup → enqueue → answer for verified webhooks (see
 * webhook.h).
 *
 * A struct webhook_wait lives from submission until the last job's outcome
 * came back from the group commit (api/batch.h): `outstanding` counts
 * outcomes still due, `answered` says the request got its answer (from the
 * outcomes or from the deadline).
 */
#include "api/hooks/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/batch.h"
#include "api/hooks/sources.h"
#include "api/limits.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/redis.h"
#include "queue/queue.h"

static const char WEBHOOK_TWIML[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/* The JSON reply lists ids; a 1000-event delivery fits. */
enum { WEBHOOK_REPLY_MAX = 64 * 1024 };

struct webhook_wait {
    struct api_pending pending;
    enum webhook_reply reply;
    unsigned source; /* for the acknowledgement histogram */
    size_t n, outstanding, duplicates, failed;
    bool answered;
    char ids[][JOB_ID_MAX + 1]; /* job ids (the first job's for duplicates); one allocation */
};

void webhook_job_dispose(struct webhook_job *job)
{
    free(job->type);
    free(job->dedup_key);
    json_decref(job->payload);
    memset(job, 0, sizeof *job);
}

void webhook_reject(struct api_call *call, enum webhook_reason reason, int status,
                    const char *message)
{
    h2o_req_t *req = call->req;
    unsigned src = (unsigned)call->route->source;
    api_ctx_count_rejection(req, src, reason);
    api_request_begin(req);
    log_warn(LOG_FIELDS(LF_STR("request_id", api_request_id(req)),
                        LF_STR("source", hook_sources[src].name),
                        LF_STR("reason", webhook_reason_names[reason]),
                        LF_INT("status", status)),
             "webhook rejected");
    api_respond_error(req, status, webhook_reason_names[reason], message);
}

void webhook_refuse(struct api_call *call, enum webhook_reason reason, int status,
                    const char *message)
{
    int retry = 1;
    if (api_ctx_rate_spend(call->req, &retry)) {
        webhook_reject(call, reason, status, message);
        return;
    }
    api_ctx_count_rejection(call->req, (unsigned)call->route->source, reason);
    api_respond_retry(call->req, 429, "rate_limited", "too many requests from this address",
                      retry);
}

int webhook_hmac_slot(const struct api_secrets *secrets, const char *body, size_t len,
                      const char *sig, size_t sig_len)
{
    int slot = -1;
    for (size_t i = 0; i < secrets->n; i++) {
        uint8_t mac[CRYPTO_SHA256_LEN];
        char expect[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
        const char *key = secrets->v[i];
        crypto_hmac_sha256(key, strlen(key), body, len, mac);
        crypto_base64_encode(mac, sizeof mac, expect);
        bool ok = crypto_equal(expect, strlen(expect), sig, sig_len);
        if (ok && slot < 0)
            slot = (int)i;
    }
    return slot;
}

void webhook_count_match(struct api_call *call, int slot)
{
    if (slot >= 0)
        api_ctx_count_secret_match(call->req, (unsigned)call->route->source, (unsigned)slot);
}

void webhook_ignore(struct api_call *call, const char *why)
{
    static const char body[] = "{\"status\":\"ignored\",\"ids\":[]}";
    api_ctx_count_ignored(call->req, (unsigned)call->route->source);
    log_info(LOG_FIELDS(LF_STR("request_id", api_request_id(call->req)),
                        LF_STR("source", hook_sources[call->route->source].name),
                        LF_STR("why", why)),
             "webhook ignored");
    api_respond(call->req, 200, "application/json", body, sizeof body - 1);
}

bool webhook_has_nul(const char *p, size_t len)
{
    return len > 0 && memchr(p, '\0', len) != NULL;
}

/* ---- answering ---------------------------------------------------------- */

static void webhook_reply_json(h2o_req_t *req, const struct webhook_wait *w)
{
    struct buf b;
    buf_init(&b, WEBHOOK_REPLY_MAX);
    buf_printf(&b, "{\"status\":\"%s\",\"ids\":[",
               w->duplicates == w->n ? "duplicate" : "queued");
    for (size_t i = 0; i < w->n; i++)
        buf_printf(&b, "%s\"%s\"", i ? "," : "", w->ids[i]);
    buf_puts(&b, "]}");
    h2o_iovec_t body = h2o_strdup(&req->pool, buf_str(&b), b.len);
    buf_dispose(&b);
    api_respond(req, 200, "application/json", body.base, body.len);
}

static void webhook_answer_ok(h2o_req_t *req, const struct webhook_wait *w)
{
    if (w->n > 0 && w->duplicates == w->n)
        api_add_header(req, "x-sentia-duplicate", "1");
    api_ctx_count_ack(req, w->source);
    switch (w->reply) {
    case WEBHOOK_REPLY_TWIML:
        api_respond(req, 200, "text/xml; charset=utf-8", WEBHOOK_TWIML,
                    sizeof WEBHOOK_TWIML - 1);
        break;
    case WEBHOOK_REPLY_JSON:
        webhook_reply_json(req, w);
        break;
    case WEBHOOK_REPLY_EMPTY:
        api_respond(req, 200, NULL, "", 0);
        break;
    }
}

static void webhook_wait_free(struct webhook_wait *w)
{
    api_pending_end(&w->pending);
    free(w);
}

/* Every reply is in: answer unless the deadline already did, then free. */
static void webhook_finish(struct webhook_wait *w)
{
    if (!w->answered) {
        w->answered = true;
        h2o_req_t *req = api_pending_end(&w->pending);
        if (req != NULL && w->failed == 0)
            webhook_answer_ok(req, w);
        else if (req != NULL)
            api_respond_retry(req, 503, "redis_error",
                              "the queue did not confirm the event; retry later", 5);
    }
    webhook_wait_free(w);
}

static void webhook_expired(struct api_pending *p)
{
    struct webhook_wait *w = (struct webhook_wait *)p;
    w->answered = true;
    h2o_req_t *req = api_pending_end(p);
    if (req == NULL)
        return;
    log_warn(LOG_FIELDS(LF_STR("request_id", api_request_id(req)),
                        LF_INT("pending", (long long)w->outstanding)),
             "redis did not answer in time");
    api_respond_retry(req, 503, "redis_timeout",
                      "the queue did not answer in time; retry later", 1);
}

/* ---- enqueueing --------------------------------------------------------- */

/* Job i's outcome, from the thread's group commit (api/batch.h). */
static void webhook_on_result(void *data, size_t i, enum api_batch_result result,
                              const char *first_id)
{
    struct webhook_wait *w = data;
    if (result == API_BATCH_FAILED)
        w->failed++;
    else if (result == API_BATCH_DUPLICATE) {
        w->duplicates++;
        if (first_id != NULL && first_id[0] != '\0')
            snprintf(w->ids[i], sizeof w->ids[i], "%s", first_id);
    }
    if (--w->outstanding == 0)
        webhook_finish(w);
}

/*
 * Encodes job i and hands it to this turn's group commit.
 * received_us (wall clock, µs) is the webhook's receipt: its body complete
 * and verified, microseconds after h2o handed the request over. At debug it
 * is logged with the request and job ids, so the job's start in the worker's
 * log can be measured from it (bench/e2e.sh).
 */
static void webhook_send(h2o_req_t *req, struct webhook_wait *w, struct webhook_job *wj,
                         size_t i, const char *request_id, int64_t received_us)
{
    struct job *job = job_create(API_WEBHOOK_QUEUE, wj->type, wj->payload);
    wj->payload = NULL; /* the job owns it now */
    job->dedup_key = wj->dedup_key;
    wj->dedup_key = NULL;
    job->request_id = mem_strdup(request_id);
    memcpy(w->ids[i], job->id, sizeof job->id);
    if (log_enabled(LOG_LEVEL_DEBUG))
        log_debug(LOG_FIELDS(LF_STR("request_id", request_id), LF_STR("job_id", job->id),
                             LF_STR("type", job->type), LF_INT("received_us", received_us)),
                  "webhook enqueued");
    size_t len = 0;
    char *env = job_encode(job, &len);
    char *dedup = job->dedup_key;
    job->dedup_key = NULL; /* the batch owns it now */
    w->outstanding++;
    api_batch_add(api_batch_of(req), env, len, job->id, dedup, webhook_on_result, w, i);
    job_free(job);
}

/* ---- the queue-depth guard (api/limits.h) ------------------------------- */

static void webhook_on_depth(void *data, const redisReply *reply, const char *error)
{
    struct api_queue_depth *d = data;
    d->refreshing = false;
    if (error == NULL && reply != NULL && reply->type == REDIS_REPLY_INTEGER)
        d->ready = reply->integer;
}

/* Sends an LLEN of the ready list when the cached depth is stale; never waits. */
static void webhook_depth_refresh(h2o_req_t *req, struct api_queue_depth *d)
{
    uint64_t now = clock_mono_ms();
    if (d->refreshing || (d->checked_ms != 0 && now - d->checked_ms < API_DEPTH_REFRESH_MS))
        return;
    char *key = queue_key(api_ctx_config(req)->prefix, API_WEBHOOK_QUEUE, "ready");
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "LLEN");
    redis_args_add(&a, key); /* borrowed until the command is sent */
    if (redis_client_command(api_ctx_redis(req), 0, webhook_on_depth, d, &a) == 0) {
        d->refreshing = true;
        d->checked_ms = now;
    }
    redis_args_dispose(&a);
    free(key);
}

/* True (after answering 503) when the webhook queue is at MAX_QUEUE_DEPTH. */
static bool webhook_queue_full(struct api_call *call)
{
    h2o_req_t *req = call->req;
    struct api_queue_depth *d = api_ctx_queue_depth(req);
    webhook_depth_refresh(req, d);
    if (d->ready < api_ctx_config(req)->max_queue_depth)
        return false;
    api_ctx_count_queue_full(req, (unsigned)call->route->source);
    log_warn(LOG_FIELDS(LF_STR("request_id", api_request_id(req)),
                        LF_INT("ready", d->ready)),
             "webhook queue full");
    api_respond_retry(req, 503, "queue_full",
                      "the queue is at MAX_QUEUE_DEPTH; retry later", 30);
    return true;
}

void webhook_submit(struct api_call *call, struct webhook_job *jobs, size_t n,
                    enum webhook_reply reply)
{
    h2o_req_t *req = call->req;
    bool up = api_ctx_redis_up(req);
    if (!up || webhook_queue_full(call)) {
        for (size_t i = 0; i < n; i++)
            webhook_job_dispose(&jobs[i]);
        if (!up)
            api_respond_retry(req, 503, "redis_unavailable",
                              "the queue is unreachable; retry later", 5);
        return;
    }
    struct webhook_wait *w = mem_calloc(1, sizeof *w + n * sizeof w->ids[0]);
    w->reply = reply;
    w->source = (unsigned)call->route->source;
    w->n = n;
    w->outstanding = 1; /* held until every send was tried */
    api_pending_begin(&w->pending, api_ctx_pending(req), req, webhook_expired);
    const char *rid = api_request_id(req);
    int64_t received_us = clock_wall_us();
    for (size_t i = 0; i < n; i++) {
        webhook_send(req, w, &jobs[i], i, rid, received_us);
        webhook_job_dispose(&jobs[i]);
    }
    if (--w->outstanding == 0)
        webhook_finish(w);
}
