/*
 * worker/jobs/whatsapp.h: the WhatsApp job family (queue `webhooks`) and
 * the configuration it and notify.whatsapp read.
 *
 *   whatsapp.inbound  a customer's message → stored, acted on, reply queued
 *   whatsapp.status   a Twilio status callback → message/notification status
 *   whatsapp.expire_pending  scheduled: pending orders past ORDER_PENDING_TTL_HOURS
 *                     cancelled, stock released, customer told (whatsapp_expire.h)
 *
 * docs/WHATSAPP.md describes the commands, the idempotency rules and the
 * crash windows.
 */
#ifndef SENTIA_WORKER_JOBS_WHATSAPP_H
#define SENTIA_WORKER_JOBS_WHATSAPP_H

#include "lib/config.h"
#include "worker/core/handler.h"

enum {
    JOBS_WHATSAPP_TIMEOUT_MS = 30000,
    JOBS_WHATSAPP_FIELD_MAX = 256, /* From, To, WaId, ProfileName: longer is not Twilio */
};

/*
 * Variables the WhatsApp handlers and notify.whatsapp read (merge into the
 * worker's config tables): TWILIO_API_BASE, TWILIO_ACCOUNT_SID,
 * TWILIO_AUTH_TOKEN (secret), TWILIO_WHATSAPP_FROM, PUBLIC_BASE_URL
 * (required in production), WHATSAPP_STOCK_LOCATION (default "main"),
 * WHATSAPP_MAX_PENDING_ORDERS (3: open orders per customer),
 * WHATSAPP_MAX_UNITS_PER_ORDER (1000: units summed over an order's lines),
 * ORDER_PENDING_TTL_HOURS (48: a pending order older than this expires).
 */
extern const struct config_var jobs_whatsapp_config_vars[];

#endif
