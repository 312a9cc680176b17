/*
 * worker/jobs/notify.h: the notification job family (queue `notify`).
 *
 *   notify.whatsapp  {"to", "body", "idempotency_key", "in_reply_to"?} →
 *                    one WhatsApp message through Twilio, at most once per
 *                    idempotency key (see docs/WHATSAPP.md for the one crash
 *                    window and how the idempotency token narrows it)
 *
 * It reads the Twilio variables declared in jobs_whatsapp_config_vars.
 */
#ifndef SENTIA_WORKER_JOBS_NOTIFY_H
#define SENTIA_WORKER_JOBS_NOTIFY_H

#include "worker/core/handler.h"

enum {
    JOBS_NOTIFY_TIMEOUT_MS = 30000,
    /* A claim older than this belongs to a worker that died while sending;
     * well above the handler timeout, so a live send has always ended. */
    JOBS_NOTIFY_CLAIM_STALE_S = 60,
};

#endif
