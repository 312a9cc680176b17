/*
 * api/routes/console_assets.h: the console's static files as compiled into
 * sentia-api (generated from api/routes/console/ by embed_console at build
 * time; see api/routes/console.h). Read-only, static storage.
 */
#ifndef SENTIA_API_ROUTES_CONSOLE_ASSETS_H
#define SENTIA_API_ROUTES_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
    const char *name;         /* base name, the last segment of /console/{asset} */
    const char *content_type; /* with charset for text */
    const char *etag;         /* "\"<32 hex of SHA-256>\"", quotes included */
    const char *data;
    size_t len;
};

extern const struct console_asset console_assets[];
extern const size_t console_asset_count;

#endif
