/*
 * worker/providers/twilio.h: Twilio's Messages API as Sentia uses it (shared
 * external-apis.md §2) — the request that sends one message, and what each
 * possible answer means for the job. Pure: no I/O, so every rule is unit
 * tested; worker/jobs/notify.c does the transfer.
 *
 * Request: POST {TWILIO_API_BASE}/2010-04-01/Accounts/{AccountSid}/Messages.json,
 * HTTP Basic AccountSid:AuthToken, form-encoded To, From, Body and (when we
 * have a public URL) StatusCallback, header I-Twilio-Idempotency-Token.
 *
 * Verdicts:
 *   2xx with a message sid        → ACCEPTED (sid, status)
 *   429 with a usable Retry-After → DEFER (no attempt spent)
 *   429 without, 5xx, 401, 403, 408,
 *   transport failure, timeout,
 *   2xx without a sid             → RETRY (backoff); 401/403 are credentials an
 *                                   operator fixes, so they are not final
 *   any other 4xx                 → REJECTED with Twilio's code and message
 *                                   (e.g. 21211 invalid To): dead at once
 *
 * Ownership: functions returning char * give the caller a new string.
 */
#ifndef SENTIA_WORKER_TWILIO_H
#define SENTIA_WORKER_TWILIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TWILIO_BODY_MAX = 1600,              /* UTF-16 units Twilio accepts in Body */
    TWILIO_RESPONSE_MAX = 64 * 1024,     /* a message resource is ~1 KiB */
    TWILIO_TIMEOUT_MS = 15000,           /* whole transfer */
    TWILIO_CONNECT_TIMEOUT_MS = 5000,
    TWILIO_RETRY_AFTER_MIN_MS = 1000,    /* never retry in a tight loop */
    TWILIO_RETRY_AFTER_MAX_MS = 3600000, /* nor park a message over an hour */
    TWILIO_SID_MAX = 64,
    TWILIO_MESSAGE_MAX = 512,            /* error text kept from an answer */
};

enum twilio_verdict {
    TWILIO_ACCEPTED,
    TWILIO_RETRY,
    TWILIO_DEFER,
    TWILIO_REJECTED,
};

struct twilio_outcome {
    enum twilio_verdict verdict;
    long http_status;                 /* 0 when no answer came */
    char sid[TWILIO_SID_MAX + 1];     /* ACCEPTED */
    char status[32];                  /* ACCEPTED: "queued", "accepted", … */
    int code;                         /* Twilio's error code, 0 if none */
    char message[TWILIO_MESSAGE_MAX]; /* Twilio's message, or what went wrong */
    int64_t defer_ms;                 /* DEFER */
};

/* {api_base}/2010-04-01/Accounts/{account_sid}/Messages.json */
char *twilio_messages_url(const char *api_base, const char *account_sid);

/* The form body; status_callback NULL or "" leaves StatusCallback out. */
char *twilio_message_form(const char *to, const char *from, const char *body,
                          const char *status_callback);

/* application/x-www-form-urlencoded escaping (space as '+'); caller frees. */
char *twilio_form_escape(const char *s);

/*
 * Judges an answer. status 0 means the transfer failed (transport_error says
 * why); body may be NULL; retry_after is the header's value or NULL; now_ms
 * (epoch) resolves an HTTP-date Retry-After.
 */
void twilio_judge(long status, const char *transport_error, bool timed_out, const char *body,
                  size_t body_len, const char *retry_after, int64_t now_ms,
                  struct twilio_outcome *out);

/*
 * A Retry-After value (delay-seconds or an HTTP-date) as ms from now,
 * clamped to [TWILIO_RETRY_AFTER_MIN_MS, TWILIO_RETRY_AFTER_MAX_MS]; -1 when
 * absent or unreadable.
 */
int64_t twilio_retry_after_ms(const char *value, int64_t now_ms);

/* True for a Twilio SID as we store it: 2–64 ASCII letters and digits. */
bool twilio_sid_valid(const char *s);

#endif
