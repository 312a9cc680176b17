/*
 * worker/whatsapp/order_reply.h: the plain-text WhatsApp reply to an inbound message,
 * built from the outcome whatsapp_inbound() stored for it (the parsed
 * command merged with what the database did; migrations/0002_commerce.sql).
 *
 * Because the reply depends only on that stored outcome, running an inbound
 * job again builds the very same text. Every reply fits one WhatsApp
 * message: at most ORDER_REPLY_MAX UTF-16 code units (how Twilio counts its
 * 1600-character limit); long lists (order lines, problems) are cut with
 * "…and N more" while the closing lines always stay. Text that came from a
 * customer or a product record is echoed through wa_text_echo (no control
 * characters, cut to a few dozen characters).
 *
 * Ownership: order_reply_build() and order_reply_expired() return a new
 * string the caller frees.
 */
#ifndef SENTIA_WORKER_ORDER_REPLY_H
#define SENTIA_WORKER_ORDER_REPLY_H

#include <jansson.h>

enum {
    ORDER_REPLY_MAX = 1600,         /* UTF-16 code units per WhatsApp message */
    ORDER_REPLY_CATALOG_PAGE = 8,   /* products per CATALOG page: 8 long lines still fit */
    ORDER_REPLY_NAME_CP = 30,       /* product names are cut to this many code points */
};

/* The reply for an outcome (a JSON object as whatsapp_inbound returns it). */
char *order_reply_build(const json_t *outcome);

/*
 * The message telling a customer their pending order (a JSON object as
 * commerce_order_json returns it) expired after ttl_hours and was cancelled
 * (whatsapp.expire_pending); same bounds as order_reply_build.
 */
char *order_reply_expired(const json_t *order, long long ttl_hours);

/* The help text alone (also the answer to HELP). */
const char *order_reply_help(void);

#endif
