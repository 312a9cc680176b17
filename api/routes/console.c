/*
 * api/routes/console.c: the console's page and assets (see console.h).
 */
#include "api/routes/console.h"

#include <string.h>

#include "api/routes/console_assets.h"

static const struct console_asset *console_find(const char *name)
{
    for (size_t i = 0; name && i < console_asset_count; i++)
        if (strcmp(console_assets[i].name, name) == 0)
            return &console_assets[i];
    return NULL;
}

/* Skips blanks and commas; returns the new position. */
static size_t console_skip_sep(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
        i++;
    return i;
}

bool console_etag_matches(const char *inm, size_t len, const char *etag)
{
    size_t elen = strlen(etag);
    for (size_t i = console_skip_sep(inm, 0, len); i < len; i = console_skip_sep(inm, i, len)) {
        if (len - i >= 2 && inm[i] == 'W' && inm[i + 1] == '/')
            i += 2;
        size_t end = i;
        while (end < len && inm[end] != ',' && inm[end] != ' ' && inm[end] != '\t')
            end++;
        if ((end - i == 1 && inm[i] == '*') ||
            (end - i == elen && memcmp(inm + i, etag, elen) == 0))
            return true;
        i = end;
    }
    return false;
}

static void console_send(struct api_call *call, const struct console_asset *a)
{
    h2o_req_t *req = call->req;
    if (a == NULL) {
        api_respond_error(req, 404, "not_found", "no such console asset");
        return;
    }
    api_add_header(req, "content-security-policy", CONSOLE_CSP);
    api_add_header(req, "cache-control", "no-cache");
    api_add_header(req, "etag", a->etag);
    h2o_iovec_t inm = api_header(req, "if-none-match");
    if (inm.base != NULL && console_etag_matches(inm.base, inm.len, a->etag)) {
        api_respond(req, 304, NULL, "", 0);
        return;
    }
    api_respond(req, 200, a->content_type, a->data, a->len);
}

void console_page(struct api_call *call)
{
    console_send(call, console_find("index.html"));
}

void console_asset(struct api_call *call)
{
    console_send(call, console_find(api_call_param(call, "asset")));
}
