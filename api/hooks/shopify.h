/*
 * api/hooks/shopify.h: Shopify webhooks (external-apis.md §3, issues 14
 * and 17 §3).
 *
 * Store: with SHOPIFY_STORES set, X-Shopify-Shop-Domain picks the store
 * (lib/stores.h) whose secrets verify the delivery; an unknown or missing
 * domain → 401 unknown_shop even when the HMAC would verify. Without it the
 * single store "default" takes every domain.
 *
 * Verification: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, raw
 * body)) under any of the store's secrets (a rotation lists two), compared
 * in constant time; missing or wrong → 401 (and a rate token spent).
 *
 * Then: the topic (X-Shopify-Topic, `[a-z_]+/[a-z_]+`) → 400 if malformed;
 * the delivery id (X-Shopify-Webhook-Id) → 400 if missing; the body must be
 * a JSON object without NUL → 400. A well-formed topic that is not in
 * shopify_topics → 200 {"status":"ignored"}, nothing queued (counted): the
 * topic is not covered by the HMAC, so it must never choose an internal job.
 *
 * Job: the topic's row's type, queue `webhooks`, dedup key
 * shopify:<store>:<hex SHA-256 of topic NUL shop NUL body> (a retry has
 * the same body, so it is a duplicate; so is a replay of a leaked body
 * under a new webhook id), payload {"store", "raw": <body text exactly as
 * received>, "shop_domain", "topic", "webhook_id", "event_id",
 * "triggered_at", "api_version"} (absent headers → null). The raw body
 * stays a string so 64-bit ids are never re-encoded.
 */
#ifndef SENTIA_API_SHOPIFY_H
#define SENTIA_API_SHOPIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "api/ctx.h"

enum {
    SHOPIFY_TOPIC_MAX = 119,     /* fits JOB_TYPE_MAX */
    SHOPIFY_HEADER_MAX = 256,    /* ids, domains, timestamps are far shorter */
};

/* One topic Sentia handles and the job it becomes. */
struct shopify_topic {
    const char *topic;    /* X-Shopify-Topic */
    const char *job_type; /* on queue webhooks */
};

/* The handled topics; shopify_topic_count() of them. */
extern const struct shopify_topic shopify_topics[];
size_t shopify_topic_count(void);

/* True when topic[0..len) matches [a-z_]+/[a-z_]+ within SHOPIFY_TOPIC_MAX. */
bool shopify_topic_valid(const char *topic, size_t len);
/* The job type of a handled topic, or NULL when Sentia does not handle it. */
const char *shopify_job_type(const char *topic, size_t len);
/* True when sig is base64(HMAC-SHA256(secret, body)), in constant time. */
bool shopify_hmac_valid(const char *secret, const char *body, size_t len,
                        const char *sig, size_t sig_len);
/*
 * The content dedup key "shopify:<store>:<hex SHA-256(topic NUL shop NUL
 * body)>" (caller frees).
 */
char *shopify_dedup_key(const char *store, const char *topic, size_t topic_len,
                        const char *shop, size_t shop_len, const char *body, size_t len);

/* The route handler (POST). */
void shopify_handle(struct api_call *call);

#endif
