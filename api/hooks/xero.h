/*
 * api/hooks/xero.h: Xero webhooks (external-apis.md §5.4).
 *
 * Verification: x-xero-signature = base64(HMAC-SHA256(webhook key, raw
 * body)), constant-time; missing or wrong → 401 (Xero's intent-to-receive
 * check sends deliberately mis-signed requests and expects exactly that).
 * A correctly signed delivery answers 200 with an empty body: at once for
 * intent-to-receive (empty `events`), otherwise after every event is
 * enqueued (503 if any enqueue fails: Xero retries, dedup makes it safe).
 *
 * Job per event: type xero.event, payload = the event object as received
 * plus "first_event_sequence"/"last_event_sequence" of the delivery, dedup
 * key xero:<tenantId>:<eventCategory>:<resourceId>:<eventDateUtc>:<eventType>
 * (Xero has no delivery id).
 */
#ifndef SENTIA_API_XERO_H
#define SENTIA_API_XERO_H

#include <jansson.h>

#include "api/ctx.h"

enum {
    XERO_FIELD_MAX = 96, /* one dedup component: ids are 36, dates ~23 */
};

/*
 * The dedup key of one event (caller frees), or NULL when a component is
 * missing, not a string, too long or holds a control character.
 */
char *xero_dedup_key(json_t *event);

/* The route handler (POST). */
void xero_handle(struct api_call *call);

#endif
