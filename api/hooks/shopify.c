/*
 * api/hooks/shopify.c: Shopify webhook verification and route (see shopify.h).
 */
#include "api/hooks/shopify.h"

#include <string.h>

#include "api/hooks/webhook.h"
#include "lib/crypto.h"
#include "lib/mem.h"

bool shopify_topic_valid(const char *topic, size_t len)
{
    if (len == 0 || len > SHOPIFY_TOPIC_MAX)
        return false;
    const char *slash = memchr(topic, '/', len);
    if (slash == NULL || slash == topic || slash == topic + len - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = topic[i];
        if (!((c >= 'a' && c <= 'z') || c == '_' || topic + i == slash))
            return false;
    }
    return true;
}

char *shopify_job_type(const char *topic, size_t len)
{
    char *t = mem_printf("shopify.%.*s", (int)len, topic);
    for (char *p = t; *p; p++)
        if (*p == '/')
            *p = '_';
    return t;
}

bool shopify_hmac_valid(const char *secret, const char *body, size_t len,
                        const char *sig, size_t sig_len)
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    char expect[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
    crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
    crypto_base64_encode(mac, sizeof mac, expect);
    return crypto_equal(expect, strlen(expect), sig, sig_len);
}

/* A header as a JSON string, JSON null when absent; NULL if unusable. */
static json_t *shopify_header_json(h2o_req_t *req, const char *name)
{
    h2o_iovec_t v = api_header(req, name);
    if (v.base == NULL)
        return json_null();
    if (v.len > SHOPIFY_HEADER_MAX)
        return NULL;
    return json_stringn(v.base, v.len);
}

/* The payload described in shopify.h, or NULL if a header is unusable. */
static json_t *shopify_payload(h2o_req_t *req, const char *body, size_t len)
{
    static const char *const fields[][2] = {
        {"shop_domain", "x-shopify-shop-domain"}, {"topic", "x-shopify-topic"},
        {"webhook_id", "x-shopify-webhook-id"},   {"event_id", "x-shopify-event-id"},
        {"triggered_at", "x-shopify-triggered-at"}, {"api_version", "x-shopify-api-version"},
    };
    json_t *o = json_object();
    json_object_set_new(o, "raw", json_stringn(body, len));
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_t *v = shopify_header_json(req, fields[i][1]);
        if (v == NULL) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, fields[i][0], v);
    }
    return o;
}

/* True when the body is one JSON object (big integers accepted as reals). */
static bool shopify_body_valid(const char *body, size_t len)
{
    json_t *o = json_loadb(body, len, JSON_DECODE_INT_AS_REAL, NULL);
    bool ok = json_is_object(o);
    json_decref(o);
    return ok;
}

void shopify_handle(struct api_call *call)
{
    h2o_req_t *req = call->req;
    const char *secret = api_ctx_config(req)->shopify_secret;
    const char *body = req->entity.base ? req->entity.base : "";
    size_t len = req->entity.len;
    if (secret == NULL) {
        webhook_reject(call, WEBHOOK_REASON_NOT_CONFIGURED, 503,
                       "Shopify webhooks are not configured (SHOPIFY_WEBHOOK_SECRET)");
        return;
    }
    h2o_iovec_t sig = api_header(req, "x-shopify-hmac-sha256");
    if (sig.base == NULL) {
        webhook_reject(call, WEBHOOK_REASON_MISSING_SIGNATURE, 401,
                       "X-Shopify-Hmac-Sha256 header is missing");
        return;
    }
    if (!shopify_hmac_valid(secret, body, len, sig.base, sig.len)) {
        webhook_reject(call, WEBHOOK_REASON_INVALID_SIGNATURE, 401,
                       "HMAC validation failed");
        return;
    }
    h2o_iovec_t topic = api_header(req, "x-shopify-topic");
    if (topic.base == NULL || !shopify_topic_valid(topic.base, topic.len)) {
        webhook_reject(call, WEBHOOK_REASON_INVALID_TOPIC, 400,
                       "X-Shopify-Topic must look like orders/create");
        return;
    }
    h2o_iovec_t id = api_header(req, "x-shopify-webhook-id");
    if (id.base == NULL || id.len == 0 || id.len > SHOPIFY_HEADER_MAX) {
        webhook_reject(call, WEBHOOK_REASON_MISSING_FIELD, 400,
                       "X-Shopify-Webhook-Id header is missing");
        return;
    }
    json_t *payload = shopify_body_valid(body, len) ? shopify_payload(req, body, len) : NULL;
    if (payload == NULL) {
        webhook_reject(call, WEBHOOK_REASON_INVALID_BODY, 400,
                       "body is not a JSON object, or a header is malformed");
        return;
    }
    struct webhook_job job = {
        .type = shopify_job_type(topic.base, topic.len),
        .dedup_key = mem_printf("shopify:%.*s", (int)id.len, id.base),
        .payload = payload,
    };
    webhook_submit(call, &job, 1, WEBHOOK_REPLY_JSON);
}
