/*
 * api/hooks/xero.c: Xero webhook verification and route (see xero.h).
 */
#include "api/hooks/xero.h"

#include <stdlib.h>
#include <string.h>

#include "api/hooks/webhook.h"
#include "lib/mem.h"

/* A dedup component: a short string without control characters (dates hold ':'). */
static const char *xero_component(json_t *event, const char *key)
{
    json_t *v = json_object_get(event, key);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > XERO_FIELD_MAX || strlen(s) != n)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return NULL;
    return s;
}

char *xero_dedup_key(json_t *event)
{
    static const char *const keys[] = {"tenantId", "eventCategory", "resourceId",
                                       "eventDateUtc", "eventType"};
    const char *v[5];
    for (size_t i = 0; i < 5; i++)
        if ((v[i] = xero_component(event, keys[i])) == NULL)
            return NULL;
    return mem_printf("xero:%s:%s:%s:%s:%s", v[0], v[1], v[2], v[3], v[4]);
}

/* Fills jobs from the delivery's events; the count, or -1 if malformed. */
static long xero_jobs(json_t *doc, struct webhook_job *jobs)
{
    json_t *events = json_object_get(doc, "events");
    json_t *first = json_object_get(doc, "firstEventSequence");
    json_t *last = json_object_get(doc, "lastEventSequence");
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        char *key = json_is_object(ev) ? xero_dedup_key(ev) : NULL;
        if (key == NULL) {
            for (size_t k = 0; k < i; k++)
                webhook_job_dispose(&jobs[k]);
            return -1;
        }
        json_t *payload = json_deep_copy(ev);
        json_object_set(payload, "first_event_sequence", first ? first : json_null());
        json_object_set(payload, "last_event_sequence", last ? last : json_null());
        jobs[i] = (struct webhook_job){mem_strdup("xero.event"), key, payload};
    }
    return (long)json_array_size(events);
}

void xero_handle(struct api_call *call)
{
    h2o_req_t *req = call->req;
    const struct api_secrets *keys = &api_ctx_config(req)->xero_keys;
    const char *body = req->entity.base ? req->entity.base : "";
    size_t len = req->entity.len;
    if (keys->n == 0) {
        webhook_refuse(call, WEBHOOK_REASON_NOT_CONFIGURED, 503,
                       "Xero webhooks are not configured (XERO_WEBHOOK_KEY)");
        return;
    }
    h2o_iovec_t sig = api_header(req, "x-xero-signature");
    if (sig.base == NULL) {
        webhook_refuse(call, WEBHOOK_REASON_MISSING_SIGNATURE, 401,
                       "x-xero-signature header is missing");
        return;
    }
    /* Same construction as Shopify: base64(HMAC-SHA256(key, body)). */
    int slot = webhook_hmac_slot(keys, body, len, sig.base, sig.len);
    if (slot < 0) {
        webhook_refuse(call, WEBHOOK_REASON_INVALID_SIGNATURE, 401,
                       "signature validation failed");
        return;
    }
    webhook_count_match(call, slot);
    /* Without JSON_ALLOW_NUL jansson refuses \u0000, as the worker does. */
    json_t *doc = json_loadb(body, len, 0, NULL);
    json_t *events = json_object_get(doc, "events");
    size_t n = json_array_size(events);
    if (!json_is_object(doc) || !json_is_array(events) || n > WEBHOOK_JOBS_MAX) {
        json_decref(doc);
        webhook_reject(call, WEBHOOK_REASON_INVALID_BODY, 400,
                       "body must be an object with an events array (at most 1000), without NUL");
        return;
    }
    if (n == 0) { /* intent to receive */
        json_decref(doc);
        api_respond(req, 200, NULL, "", 0);
        return;
    }
    struct webhook_job *jobs = mem_calloc(n, sizeof *jobs);
    long got = xero_jobs(doc, jobs);
    json_decref(doc);
    if (got < 0)
        webhook_reject(call, WEBHOOK_REASON_MISSING_FIELD, 400,
                       "every event needs tenantId, eventCategory, resourceId, "
                       "eventDateUtc and eventType");
    else
        webhook_submit(call, jobs, (size_t)got, WEBHOOK_REPLY_EMPTY);
    free(jobs);
}
