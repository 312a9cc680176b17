/*
 * api/routes/commands.c: the enqueueing commands (see commands.h).
 */
#include "api/routes/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes/qcall.h"
#include "lib/mem.h"
#include "queue/track.h"

enum {
    COMMANDS_SKUS_MAX = 1000,
    COMMANDS_SKU_MAX = 64,
    COMMANDS_HORIZON_MAX = 520,
};

/* Every (provider, resource) a worker syncs (worker/jobs/{shopify,xero,unleashed}.c). */
static const struct {
    const char *provider;
    const char *resources[5];
} commands_syncs[] = {
    {"shopify", {"orders", "products", "inventory", NULL}},
    {"xero", {"invoices", "contacts", NULL}},
    {"unleashed", {"stock", "products", "purchase_orders", "sales_orders", NULL}},
};

/* The job a command enqueues, kept in c->data until enqueued. */
struct commands_job {
    struct job *job;
    char *envelope;
    size_t len;
};

static void commands_job_free(void *data)
{
    struct commands_job *cj = data;
    if (cj) {
        job_free(cj->job);
        free(cj->envelope);
    }
    free(cj);
}

static void commands_on_enqueued(struct qcall *c, const redisReply *r)
{
    struct commands_job *cj = c->data;
    bool duplicate;
    if (queue_parse_enqueue(r, &duplicate, NULL, 0) != 0) {
        qcall_fail(c, 503, "redis_error", "unexpected enqueue reply");
        return;
    }
    char url[96];
    snprintf(url, sizeof url, "/api/v1/jobs/%s", cj->job->id);
    qcall_answer(c, 202, json_pack("{ssssssss}", "job_id", cj->job->id, "queue",
                                   cj->job->queue, "type", cj->job->type, "status_url", url));
}

static void commands_on_indexed(struct qcall *c, const redisReply *r)
{
    (void)r;
    struct commands_job *cj = c->data;
    struct queue_track_origin who = {c->caller.subject, c->request_id};
    struct queue_op op;
    queue_op_enqueue_tracked(&op, c->prefix, cj->job, cj->envelope, cj->len, &who);
    qcall_run(c, &op, commands_on_enqueued);
}

/* Enqueues a tracked job of type on queue with payload (taken). */
static void commands_enqueue(struct qcall *c, const char *queue, const char *type,
                             json_t *payload)
{
    struct commands_job *cj = mem_calloc(1, sizeof *cj);
    cj->job = job_create(queue, type, payload);
    cj->job->track = true;
    cj->job->request_id = mem_strdup(c->request_id);
    cj->envelope = job_encode(cj->job, &cj->len);
    c->data = cj;
    c->free_data = commands_job_free;
    struct queue_op op;
    queue_op_track_index(&op, c->prefix, cj->job->id, queue);
    qcall_run(c, &op, commands_on_indexed);
}

/* ---- sync ---------------------------------------------------------------- */

static void commands_on_provider(struct qcall *c, const redisReply *r)
{
    json_t *doc = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    bool refused = json_is_false(json_object_get(doc, "configured"));
    json_decref(doc);
    if (refused) {
        qcall_fail(c, 422, "provider_not_configured",
                   "the workers report this provider as not configured");
        return;
    }
    /* target is "sync:<provider>/<resource>": the job type follows from it */
    char type[96];
    const char *slash = strchr(c->target, '/');
    snprintf(type, sizeof type, "%.*s.sync_%s", (int)(slash - c->target - 5), c->target + 5,
             slash + 1);
    commands_enqueue(c, "sync", type, json_object());
}

static void commands_sync_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    const char *slash = strchr(c->target, '/');
    struct queue_op op;
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    redis_args_add(&op.args, "HGET");
    redis_args_add_fmt(&op.args, "%s:sync:providers", c->prefix);
    redis_args_add_fmt(&op.args, "%.*s", (int)(slash - c->target - 5), c->target + 5);
    qcall_run(c, &op, commands_on_provider);
}

static bool commands_sync_known(const char *provider, const char *resource)
{
    for (size_t i = 0; i < sizeof commands_syncs / sizeof *commands_syncs; i++)
        for (size_t r = 0; strcmp(commands_syncs[i].provider, provider) == 0 &&
                           commands_syncs[i].resources[r];
             r++)
            if (strcmp(commands_syncs[i].resources[r], resource) == 0)
                return true;
    return false;
}

void commands_sync(struct api_call *call)
{
    const char *provider = api_call_param(call, "provider");
    const char *resource = api_call_param(call, "resource");
    if (!commands_sync_known(provider, resource)) {
        api_respond_error(call->req, 404, "not_found", "no such provider and resource");
        return;
    }
    char target[96];
    snprintf(target, sizeof target, "sync:%s/%s", provider, resource);
    qcall_command_begin(call, "sync.start", target, NULL, commands_sync_go);
}

/* ---- forecast.run --------------------------------------------------------- */

/* The checked {skus, horizon} payload, or NULL after answering 400. */
static json_t *commands_forecast_payload(struct qcall *c)
{
    json_t *skus = json_object_get(c->body, "skus");
    json_t *horizon = json_object_get(c->body, "horizon");
    if (skus != NULL) {
        bool ok = json_is_array(skus) && json_array_size(skus) >= 1 &&
                  json_array_size(skus) <= COMMANDS_SKUS_MAX;
        for (size_t i = 0; ok && i < json_array_size(skus); i++) {
            json_t *s = json_array_get(skus, i);
            ok = json_is_string(s) && json_string_length(s) >= 1 &&
                 json_string_length(s) <= COMMANDS_SKU_MAX;
            for (size_t k = 0; ok && k < i; k++)
                ok = !json_equal(s, json_array_get(skus, k));
        }
        if (!ok) {
            qcall_fail(c, 400, "invalid_field",
                       "skus must be 1 to 1000 distinct SKU strings of 1 to 64 characters");
            return NULL;
        }
    }
    if (horizon != NULL && (!json_is_integer(horizon) || json_integer_value(horizon) < 1 ||
                            json_integer_value(horizon) > COMMANDS_HORIZON_MAX)) {
        qcall_fail(c, 400, "invalid_field", "horizon must be an integer from 1 to 520");
        return NULL;
    }
    json_t *p = json_object();
    if (skus)
        json_object_set(p, "skus", skus);
    if (horizon)
        json_object_set(p, "horizon", horizon);
    return p;
}

static void commands_forecast_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    json_t *payload = commands_forecast_payload(c);
    if (payload != NULL)
        commands_enqueue(c, "forecast", "forecast.run", payload);
}

void commands_forecast(struct api_call *call)
{
    static const char *const fields[] = {"skus", "horizon", NULL};
    qcall_command_begin(call, "forecast.run", "forecast", fields, commands_forecast_go);
}

/* ---- working_capital.compute ----------------------------------------------- */

static void commands_wc_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    commands_enqueue(c, "forecast", "working_capital.compute", json_object());
}

void commands_working_capital(struct api_call *call)
{
    qcall_command_begin(call, "working_capital.compute", "working_capital", NULL,
                        commands_wc_go);
}
