/*
 * api/routes/me.c: GET /api/v1/me (see me.h).
 */
#include "api/routes/me.h"

#include "api/routes/read.h"

#include <time.h>

/* An RFC 3339 UTC time of Unix seconds, or null for 0. */
static json_t *me_time(long long s)
{
    char text[32];
    struct tm tm;
    time_t t = (time_t)s;
    if (s <= 0 || gmtime_r(&t, &tm) == NULL)
        return json_null();
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(text);
}

void me_get(struct api_call *call)
{
    static const struct read_param none[] = {{NULL, READ_TEXT, 0, 0, NULL}};
    const struct api_caller *c = &call->caller;
    if (read_begin(call, none) == NULL)
        return;
    json_t *doc = json_pack("{sssosssssoso}", "subject", c->subject, "session",
                            c->session[0] ? json_string(c->session) : json_null(), "role",
                            api_role_name(c->role), "auth", api_caller_auth_name(c), "api_key_id",
                            c->api_key_id > 0 ? json_integer(c->api_key_id) : json_null(),
                            "expires_at", me_time(c->expires_at));
    api_respond_cached_json(call->req, doc);
}
