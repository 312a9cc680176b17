/*
 * api/routes/me.c: GET /api/v1/me (see me.h).
 */
#include "api/routes/me.h"

void me_get(struct api_call *call)
{
    const struct api_caller *c = &call->caller;
    api_respond_json(call->req, 200,
                     json_pack("{sssssoss}", "subject", c->subject, "session", c->session,
                               "role", json_string(api_role_name(c->role)), "auth",
                               api_caller_kind_name(c->kind)));
}
