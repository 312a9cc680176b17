/*
 * api/routes/integrations.h: GET /api/v1/integrations and its alias GET
 * /api/integrations/status (class viewer, ETag) — the data-freshness
 * promise (every configured source synced within the last 30 minutes), from
 * Redis only (DESIGN.md §1: the API never queries Postgres on a request).
 *
 * Workers keep two hashes (docs/INTEGRATIONS.md):
 *   <prefix>:sync:status     "<source>:<resource>" or "<source>:<account>:<resource>"
 *                            → the sync_state status
 *                            JSON mirrored after every page or failure
 *   <prefix>:sync:providers  "<provider>" → {"configured": bool, "missing"}
 * The route reads both with one pipelined pair of HGETALLs (bounded by the
 * thread's Redis deadline: 503 when Redis is down or late) and answers:
 *   {"promise_s": 1800, "generated_ms", "ok": no configured source stale,
 *    "sources": {"shopify": {"status": "configured" | "not_configured" |
 *      "unknown", "missing"?, "resources": {"orders": {"last_success_ms",
 *      "last_error", "last_error_ms", "rows_seen", "last_run_rows",
 *      "running", "freshness_s" (null: never synced), "stale"}}}}}
 * A resource is stale when it never succeeded or its last success is older
 * than the promise; not-configured sources list no resources.
 *
 * Accounts (issue 14): fields "<source>:<account>:<resource>" (a Shopify
 * store, an Amazon marketplace) add "accounts": {"<account>": {"<resource>":
 * …}} to their source, every resource of each account listed; "resources"
 * then lists only the default account's resources that were ever synced
 * (none once SHOPIFY_STORES names the stores). Each counts towards "ok".
 */
#ifndef SENTIA_API_INTEGRATIONS_H
#define SENTIA_API_INTEGRATIONS_H

#include <jansson.h>
#include <stdint.h>

#include "api/ctx.h"

enum {
    INTEGRATIONS_PROMISE_S = 1800,   /* the dashboard's freshness promise */
    INTEGRATIONS_FIELDS_MAX = 256,   /* hash fields read per request */
};

/*
 * The status document from the two hashes as JSON objects (field → text);
 * either may be NULL (absent). Pure; returns a new reference.
 */
json_t *integrations_status_doc(const json_t *status, const json_t *providers, int64_t now_ms);

/* Route handler (GET). */
void integrations_get(struct api_call *call);

#endif
