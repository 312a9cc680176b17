/*
 * api/router.h: the routes of sentia-api (DESIGN.md §5) as one constant
 * table. A route is a fixed path; its index doubles as the `route` label of
 * the HTTP metrics and the access log, so label cardinality is bounded by
 * this table: any other path is API_ROUTE_OTHER ("other").
 *
 * Classes: health routes (no rate limit, served in maintenance mode),
 * webhook routes (accepted in maintenance mode: a sender's event is never
 * refused because we are in maintenance).
 */
#ifndef SENTIA_API_ROUTER_H
#define SENTIA_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

enum api_route {
    API_ROUTE_HEALTH,
    API_ROUTE_HEALTH_LIVE,
    API_ROUTE_HEALTH_READY,
    API_ROUTE_READY,
    API_ROUTE_HEALTH_DETAILED,
    API_ROUTE_METRICS,
    API_ROUTE_STATUS,
    API_ROUTE_INTEGRATIONS,
    API_ROUTE_TWILIO_INBOUND,
    API_ROUTE_TWILIO_STATUS,
    API_ROUTE_SHOPIFY,
    API_ROUTE_XERO,
    API_ROUTE_OTHER,
    API_ROUTE_COUNT,
};

enum {
    API_ROUTE_F_HEALTH = 1,  /* probes and scrapes: never limited */
    API_ROUTE_F_WEBHOOK = 2, /* provider callbacks */
    API_ROUTE_F_POST = 4,    /* POST only (else GET and HEAD) */
};

struct api_route_info {
    const char *path;  /* the template, also the metrics label */
    unsigned flags;
};

extern const struct api_route_info api_routes[API_ROUTE_COUNT];

/* The route whose path is exactly path[0..len) (no query), or OTHER. */
enum api_route api_route_find(const char *path, size_t len);

/* True when `method` (len bytes) is allowed on route r. */
bool api_route_method_ok(enum api_route r, const char *method, size_t len);

#endif
