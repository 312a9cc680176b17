/*
 * api/hooks/sources.h: the table of webhook sources. A source is a
 * provider that calls us (Twilio, Shopify, Xero): its name (the `source`
 * label of sentia_webhook_rejections_total) and the paths it posts to, each
 * with its handler (struct api_source, api/router.h). The route table
 * (api/routes/table.c) hands them to the router, which adds one POST row of
 * class webhook per path, so adding a source is one file under api/hooks/
 * and one row here.
 *
 * Every hook does verify → dedup → enqueue through api/hooks/webhook.h and
 * needs Redis only: a Postgres outage never touches a webhook.
 */
#ifndef SENTIA_API_HOOKS_SOURCES_H
#define SENTIA_API_HOOKS_SOURCES_H

#include <stddef.h>

#include "api/ctx.h"

/* The sources, in label order; hook_source_count() of them. */
extern const struct api_source hook_sources[];
size_t hook_source_count(void);

#endif
