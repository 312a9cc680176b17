/*
 * api/routes/status.c: GET /api/status (see status.h).
 */
#include "api/routes/status.h"

#include "lib/git_commit.h"

void status_get(struct api_call *call)
{
    h2o_req_t *req = call->req;
    const struct api_config *c = api_ctx_config(req);
    json_t *webhooks = json_pack(
        "{ssssss}", "twilio",
        c->twilio_token && c->twilio_bases[0] ? "configured" : "not_configured", "shopify",
        c->shopify_secret ? "configured" : "not_configured", "xero",
        c->xero_key ? "configured" : "not_configured");
    json_t *doc = json_pack("{sssssssssfsIsb}", "service", "sentia-api", "version",
                            SENTIA_VERSION, "commit", SENTIA_GIT_COMMIT, "environment",
                            c->env_name, "uptime_s", api_ctx_uptime_s(req), "started_ms",
                            (json_int_t)api_ctx_started_wall_ms(req), "maintenance",
                            c->maintenance);
    json_object_set_new(doc, "components",
                        json_pack("{s{ss}so}", "redis", "status",
                                  api_ctx_redis_up(req) ? "up" : "down", "webhooks", webhooks));
    api_respond_json(req, 200, doc);
}
