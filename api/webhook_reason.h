/*
 * api/webhook_reason.h: why a webhook delivery was refused — the `reason`
 * label of sentia_webhook_rejections_total and the JSON error code of the
 * answer. Shared by the hooks (api/hooks/webhook.h), which refuse, and the
 * metrics (api/metrics.h), which count, so the metrics need no hook header.
 */
#ifndef SENTIA_API_WEBHOOK_REASON_H
#define SENTIA_API_WEBHOOK_REASON_H

/* Why a delivery was refused: the `reason` label of the rejection counter. */
enum webhook_reason {
    WEBHOOK_REASON_MISSING_SIGNATURE,
    WEBHOOK_REASON_INVALID_SIGNATURE,
    WEBHOOK_REASON_NOT_CONFIGURED,
    WEBHOOK_REASON_UNSUPPORTED_MEDIA_TYPE,
    WEBHOOK_REASON_INVALID_BODY,
    WEBHOOK_REASON_MISSING_FIELD,
    WEBHOOK_REASON_INVALID_TOPIC,
    WEBHOOK_REASON_UNKNOWN_SHOP,
    WEBHOOK_REASON_COUNT,
};

/* The reasons' names, also the JSON error codes of the refusals. */
extern const char *const webhook_reason_names[WEBHOOK_REASON_COUNT];

#endif
