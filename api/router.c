/*
 * api/router.c: the route table and its lookup (see router.h). Twelve
 * fixed paths: a linear scan with a length check first is as fast as a hash.
 */
#include "api/router.h"

#include <string.h>

const struct api_route_info api_routes[API_ROUTE_COUNT] = {
    [API_ROUTE_HEALTH] = {"/health", API_ROUTE_F_HEALTH},
    [API_ROUTE_HEALTH_LIVE] = {"/health/live", API_ROUTE_F_HEALTH},
    [API_ROUTE_HEALTH_READY] = {"/health/ready", API_ROUTE_F_HEALTH},
    [API_ROUTE_READY] = {"/ready", API_ROUTE_F_HEALTH},
    [API_ROUTE_HEALTH_DETAILED] = {"/health/detailed", API_ROUTE_F_HEALTH},
    [API_ROUTE_METRICS] = {"/metrics", API_ROUTE_F_HEALTH},
    [API_ROUTE_STATUS] = {"/api/status", 0},
    [API_ROUTE_INTEGRATIONS] = {"/api/integrations/status", 0},
    [API_ROUTE_TWILIO_INBOUND] = {"/api/v1/whatsapp/webhook",
                                  API_ROUTE_F_WEBHOOK | API_ROUTE_F_POST},
    [API_ROUTE_TWILIO_STATUS] = {"/api/v1/whatsapp/status",
                                 API_ROUTE_F_WEBHOOK | API_ROUTE_F_POST},
    [API_ROUTE_SHOPIFY] = {"/api/v1/webhooks/shopify",
                           API_ROUTE_F_WEBHOOK | API_ROUTE_F_POST},
    [API_ROUTE_XERO] = {"/api/v1/webhooks/xero", API_ROUTE_F_WEBHOOK | API_ROUTE_F_POST},
    [API_ROUTE_OTHER] = {"other", 0},
};

enum api_route api_route_find(const char *path, size_t len)
{
    for (int r = 0; r < API_ROUTE_OTHER; r++) {
        const char *p = api_routes[r].path;
        if (strlen(p) == len && memcmp(p, path, len) == 0)
            return (enum api_route)r;
    }
    return API_ROUTE_OTHER;
}

static bool api_method_is(const char *m, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(m, want, len) == 0;
}

bool api_route_method_ok(enum api_route r, const char *method, size_t len)
{
    if (api_routes[r].flags & API_ROUTE_F_POST)
        return api_method_is(method, len, "POST");
    return api_method_is(method, len, "GET") || api_method_is(method, len, "HEAD");
}
