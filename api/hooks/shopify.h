/*
 * api/hooks/shopify.h: Shopify webhooks (external-apis.md §3).
 *
 * Verification: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, raw
 * body)), compared in constant time; missing or wrong → 401. Then the topic
 * (X-Shopify-Topic, `[a-z_]+/[a-z_]+`) → 400 if malformed; the delivery id
 * (X-Shopify-Webhook-Id, the idempotency key) → 400 if missing; the body
 * must be a JSON object → 400, nothing queued.
 *
 * Job: type shopify.<topic with / → _>, dedup key shopify:<webhook id>,
 * payload {"raw": <body text exactly as received>, "shop_domain", "topic",
 * "webhook_id", "event_id", "triggered_at", "api_version"} (absent headers
 * → null). The raw body stays a string so 64-bit ids are never re-encoded.
 */
#ifndef SENTIA_API_SHOPIFY_H
#define SENTIA_API_SHOPIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "api/ctx.h"

enum {
    SHOPIFY_TOPIC_MAX = 119,     /* "shopify." + topic fits JOB_TYPE_MAX */
    SHOPIFY_HEADER_MAX = 256,    /* ids, domains, timestamps are far shorter */
};

/* True when topic[0..len) matches [a-z_]+/[a-z_]+ within SHOPIFY_TOPIC_MAX. */
bool shopify_topic_valid(const char *topic, size_t len);
/* "shopify.<topic, '/' → '_'>" (caller frees); the topic must be valid. */
char *shopify_job_type(const char *topic, size_t len);
/* True when sig is base64(HMAC-SHA256(secret, body)), in constant time. */
bool shopify_hmac_valid(const char *secret, const char *body, size_t len,
                        const char *sig, size_t sig_len);

/* The route handler (POST). */
void shopify_handle(struct api_call *call);

#endif
