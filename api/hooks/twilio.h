/*
 * api/hooks/twilio.h: Twilio webhooks — inbound WhatsApp/SMS messages and status
 * callbacks (external-apis.md §1, §2).
 *
 * Verification (X-Twilio-Signature): base64(HMAC-SHA1(auth token, URL +
 * every POST parameter as key+value, sorted by key)). The URL is the one
 * Twilio requested: PUBLIC_BASE_URL + the request's path and query exactly as
 * received. Like Twilio's own libraries we accept the base URL with the port
 * stripped and with the port kept (or the scheme's default port added),
 * because Twilio has signed both forms over the years. JSON bodies carry
 * ?bodySHA256=<hex SHA-256 of the body> in the URL instead, and the URL alone
 * is signed. Every comparison is constant-time and every variant is checked,
 * so timing says nothing about which part was wrong.
 *
 * Statuses: not configured → 503; no signature → 400; wrong → 403; body not
 * form/JSON → 415; malformed body or missing MessageSid (and MessageStatus
 * for status callbacks) → 400; else dedup → enqueue → 200 empty TwiML.
 */
#ifndef SENTIA_API_TWILIO_H
#define SENTIA_API_TWILIO_H

#include <stdbool.h>
#include <stddef.h>

#include "api/ctx.h"
#include "lib/form.h"

enum {
    TWILIO_FIELDS_MAX = 256,  /* inbound messages carry ~20-40 parameters */
    TWILIO_SID_MAX = 64,      /* SIDs are 34 characters */
    TWILIO_STATUS_MAX = 32,   /* "partially_delivered" is the longest */
};

/*
 * True when sig (the header value) is the signature of one of the nbases
 * base URLs + path_query over the params (sorted with form_sort; pass NULL
 * for JSON bodies, whose URL alone is signed).
 */
bool twilio_signature_valid(const char *token, char *const *bases, size_t nbases,
                            const char *path_query, size_t pq_len,
                            const struct form *sorted_params, const char *sig,
                            size_t sig_len);

/* Route handlers: inbound message, status callback. */
void twilio_inbound(struct api_call *call);
void twilio_status(struct api_call *call);

#endif
