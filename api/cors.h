/*
 * api/cors.h: CORS preflight answers (OPTIONS on any route).
 *
 * An Origin listed in CORS_ORIGINS gets 204 with Access-Control-Allow-
 * Methods (the path's methods), Access-Control-Allow-Headers
 * (API_CORS_ALLOW_HEADERS: what the dashboard sends) and a 10-minute
 * Access-Control-Max-Age; the common-headers filter (api/request.h) adds
 * Access-Control-Allow-Origin and Vary: Origin. Any other Origin gets 403
 * cors_denied and no CORS header at all. Without an Origin (not a browser
 * preflight) the answer is 204 with Allow only.
 */
#ifndef SENTIA_API_CORS_H
#define SENTIA_API_CORS_H

#include <h2o.h>

#define API_CORS_ALLOW_HEADERS "Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Request-Id"

/* Answers the preflight for a path whose rows allow `methods` (api_method bits). */
void api_cors_preflight(h2o_req_t *req, char *const *origins, unsigned methods);

#endif
