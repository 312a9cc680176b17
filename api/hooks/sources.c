/*
 * api/hooks/sources.c: the webhook sources (see sources.h). One row per
 * provider; the handlers live in the provider's file.
 */
#include "api/hooks/sources.h"

#include "api/hooks/shopify.h"
#include "api/hooks/twilio.h"
#include "api/hooks/xero.h"

const struct api_source hook_sources[] = {
    {"twilio", {{"/api/v1/whatsapp/webhook", twilio_inbound}, {"/api/v1/whatsapp/status", twilio_status}}},
    {"shopify", {{"/api/v1/webhooks/shopify", shopify_handle}}},
    {"xero", {{"/api/v1/webhooks/xero", xero_handle}}},
};

size_t hook_source_count(void)
{
    return sizeof hook_sources / sizeof *hook_sources;
}
