/*
 * api/hooks/shopify.c: Shopify webhook verification and route (see shopify.h).
 */
#include "api/hooks/shopify.h"

#include <stdlib.h>
#include <string.h>

#include "api/hooks/webhook.h"
#include "lib/crypto.h"
#include "lib/mem.h"

/*
 * The topics Sentia acts on, one row each. The shopify.* rows are applied
 * by worker/jobs/shopify.c; the privacy.* rows are Shopify's mandatory
 * compliance webhooks (issue 14).
 */
const struct shopify_topic shopify_topics[] = {
    {"orders/create", "shopify.orders_create"},
    {"orders/updated", "shopify.orders_updated"},
    {"orders/cancelled", "shopify.orders_cancelled"},
    {"orders/paid", "shopify.orders_paid"},
    {"products/create", "shopify.products_create"},
    {"products/update", "shopify.products_update"},
    {"inventory_levels/update", "shopify.inventory_levels_update"},
    {"customers/data_request", "privacy.customer_data_request"},
    {"customers/redact", "privacy.customer_redact"},
    {"shop/redact", "privacy.shop_redact"},
};

size_t shopify_topic_count(void)
{
    return sizeof shopify_topics / sizeof *shopify_topics;
}

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

const char *shopify_job_type(const char *topic, size_t len)
{
    for (size_t i = 0; i < shopify_topic_count(); i++)
        if (strlen(shopify_topics[i].topic) == len &&
            memcmp(shopify_topics[i].topic, topic, len) == 0)
            return shopify_topics[i].job_type;
    return NULL;
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

char *shopify_dedup_key(const char *store, const char *topic, size_t topic_len,
                        const char *shop, size_t shop_len, const char *body, size_t len)
{
    size_t total = topic_len + 1 + shop_len + 1 + len;
    char *text = mem_alloc(total ? total : 1);
    memcpy(text, topic, topic_len);
    text[topic_len] = '\0';
    memcpy(text + topic_len + 1, shop, shop_len);
    text[topic_len + 1 + shop_len] = '\0';
    memcpy(text + topic_len + shop_len + 2, body, len);
    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(text, total, digest);
    free(text);
    crypto_hex_encode(digest, sizeof digest, hex);
    return mem_printf("shopify:%s:%s", store, hex);
}

/* A header as a JSON string, JSON null when absent; NULL if unusable (long, NUL). */
static json_t *shopify_header_json(h2o_req_t *req, const char *name)
{
    h2o_iovec_t v = api_header(req, name);
    if (v.base == NULL)
        return json_null();
    if (v.len > SHOPIFY_HEADER_MAX || webhook_has_nul(v.base, v.len))
        return NULL;
    return json_stringn(v.base, v.len);
}

/* The payload described in shopify.h, or NULL if a header is unusable. */
static json_t *shopify_payload(h2o_req_t *req, const char *store, const char *body, size_t len)
{
    static const char *const fields[][2] = {
        {"shop_domain", "x-shopify-shop-domain"}, {"topic", "x-shopify-topic"},
        {"webhook_id", "x-shopify-webhook-id"},   {"event_id", "x-shopify-event-id"},
        {"triggered_at", "x-shopify-triggered-at"}, {"api_version", "x-shopify-api-version"},
    };
    json_t *o = json_object();
    json_object_set_new(o, "store", json_string(store));
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

/*
 * True when the body is one JSON object the worker can decode: jansson
 * refuses \u0000 without JSON_ALLOW_NUL, as the worker does, and a raw NUL
 * is not JSON (big integers accepted as reals).
 */
static bool shopify_body_valid(const char *body, size_t len)
{
    json_t *o = json_loadb(body, len, JSON_DECODE_INT_AS_REAL, NULL);
    bool ok = json_is_object(o);
    json_decref(o);
    return ok;
}

/* The store of the delivery and its secrets; NULL after refusing it. */
static const struct api_shop *shopify_store(struct api_call *call)
{
    const struct api_config *cfg = api_ctx_config(call->req);
    if (!cfg->stores.listed)
        return &cfg->shops[0];
    h2o_iovec_t d = api_header(call->req, "x-shopify-shop-domain");
    const struct stores_store *st = d.base ? stores_by_shop(&cfg->stores, d.base, d.len) : NULL;
    if (st == NULL) {
        webhook_refuse(call, WEBHOOK_REASON_UNKNOWN_SHOP, 401,
                       "X-Shopify-Shop-Domain is not a configured store");
        return NULL;
    }
    return &cfg->shops[st - cfg->stores.v];
}

/* Verifies the signature under the store's secrets; false after refusing. */
static bool shopify_verify(struct api_call *call, const struct api_shop *shop,
                           const char *body, size_t len)
{
    if (shop->secrets.n == 0) {
        webhook_refuse(call, WEBHOOK_REASON_NOT_CONFIGURED, 503,
                       "Shopify webhooks are not configured (SHOPIFY_WEBHOOK_SECRET)");
        return false;
    }
    h2o_iovec_t sig = api_header(call->req, "x-shopify-hmac-sha256");
    if (sig.base == NULL) {
        webhook_refuse(call, WEBHOOK_REASON_MISSING_SIGNATURE, 401,
                       "X-Shopify-Hmac-Sha256 header is missing");
        return false;
    }
    int slot = webhook_hmac_slot(&shop->secrets, body, len, sig.base, sig.len);
    if (slot < 0) {
        webhook_refuse(call, WEBHOOK_REASON_INVALID_SIGNATURE, 401, "HMAC validation failed");
        return false;
    }
    webhook_count_match(call, slot);
    return true;
}

/* Topic and id checks after verification; the job type, or NULL after answering. */
static const char *shopify_topic_job(struct api_call *call, h2o_iovec_t topic)
{
    if (topic.base == NULL || !shopify_topic_valid(topic.base, topic.len)) {
        webhook_reject(call, WEBHOOK_REASON_INVALID_TOPIC, 400,
                       "X-Shopify-Topic must look like orders/create");
        return NULL;
    }
    /* Optional (external-apis §11.6: compliance deliveries may lack it): the
     * dedup key is the content's, the id only travels in the payload. */
    h2o_iovec_t id = api_header(call->req, "x-shopify-webhook-id");
    if (id.base != NULL && (id.len == 0 || id.len > SHOPIFY_HEADER_MAX)) {
        webhook_reject(call, WEBHOOK_REASON_MISSING_FIELD, 400,
                       "X-Shopify-Webhook-Id header is empty or too long");
        return NULL;
    }
    const char *type = shopify_job_type(topic.base, topic.len);
    if (type == NULL)
        webhook_ignore(call, "topic not handled");
    return type;
}

void shopify_handle(struct api_call *call)
{
    h2o_req_t *req = call->req;
    const char *body = req->entity.base ? req->entity.base : "";
    size_t len = req->entity.len;
    const struct api_shop *shop = shopify_store(call);
    if (shop == NULL || !shopify_verify(call, shop, body, len))
        return;
    h2o_iovec_t topic = api_header(req, "x-shopify-topic");
    const char *type = shopify_topic_job(call, topic);
    if (type == NULL)
        return;
    const char *store = shop->store->name;
    json_t *payload = shopify_body_valid(body, len) ? shopify_payload(req, store, body, len) : NULL;
    if (payload == NULL) {
        webhook_reject(call, WEBHOOK_REASON_INVALID_BODY, 400,
                       "body is not a JSON object (NUL is refused), or a header is malformed");
        return;
    }
    h2o_iovec_t d = api_header(req, "x-shopify-shop-domain");
    struct webhook_job job = {
        .type = mem_strdup(type),
        .dedup_key = shopify_dedup_key(store, topic.base, topic.len, d.base ? d.base : "",
                                       d.base ? d.len : 0, body, len),
        .payload = payload,
    };
    webhook_submit(call, &job, 1, WEBHOOK_REPLY_JSON);
}
