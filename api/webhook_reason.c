/*
 * api/webhook_reason.c: the names of the refusal reasons (see
 * webhook_reason.h).
 */
#include "api/webhook_reason.h"

const char *const webhook_reason_names[WEBHOOK_REASON_COUNT] = {
    "missing_signature", "invalid_signature", "not_configured", "unsupported_media_type",
    "invalid_body",      "missing_field",     "invalid_topic",    "unknown_shop",
};
