/*
 * api/routes/console.h: GET /console and GET /console/{asset} — the
 * operators' console (issue 12), static HTML, CSS and JavaScript compiled
 * into the binary (api/routes/console/, embedded by embed_console).
 *
 * Class public: the page holds no data; it signs in and reads through the
 * dashboard API like any other client (docs/CONSOLE.md). Each answer has
 * the asset's media type, its strong ETag (304 on a matching
 * If-None-Match, `W/` ignored, `*` matches), `Cache-Control: no-cache`
 * (revalidate, so a new build is picked up at once) and the console's CSP,
 * which replaces the API's default-src 'none' (api/request.h). Unknown
 * assets → 404 not_found.
 */
#ifndef SENTIA_API_ROUTES_CONSOLE_H
#define SENTIA_API_ROUTES_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "api/ctx.h"

/* The console's Content-Security-Policy. */
#define CONSOLE_CSP                                                                          \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "      \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

void console_page(struct api_call *call);
void console_asset(struct api_call *call);

/* True when an If-None-Match value (a list) matches etag ("\"…\""). */
bool console_etag_matches(const char *inm, size_t len, const char *etag);

#endif
