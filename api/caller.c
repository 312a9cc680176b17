/*
 * api/caller.c: role order and names (see caller.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api/caller.h"

static const char *const api_role_names[] = {"none", "viewer", "operator", "manager", "admin"};

bool api_role_allows(enum api_role have, enum api_role need)
{
    return (int)have >= (int)need;
}

const char *api_role_name(enum api_role r)
{
    return (unsigned)r <= API_ROLE_ADMIN ? api_role_names[r] : "none";
}

const char *api_caller_kind_name(enum api_caller_kind k)
{
    switch (k) {
    case API_CALLER_CLERK: return "clerk";
    case API_CALLER_API_KEY: return "api_key";
    case API_CALLER_METRICS_TOKEN: return "metrics_token";
    default: return "anonymous";
    }
}

const char *api_caller_auth_name(const struct api_caller *c)
{
    return api_caller_kind_name(c->kind);
}

int api_role_parse(const char *s, size_t len, enum api_role *out)
{
    for (int r = API_ROLE_VIEWER; r <= API_ROLE_ADMIN; r++)
        if (strlen(api_role_names[r]) == len && memcmp(api_role_names[r], s, len) == 0) {
            *out = (enum api_role)r;
            return 0;
        }
    return -1;
}

void api_caller_set(struct api_caller *c, enum api_caller_kind kind, enum api_role role,
                    const char *subject, const char *session)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->role = role;
    snprintf(c->subject, sizeof c->subject, "%s", subject ? subject : "");
    snprintf(c->session, sizeof c->session, "%s", session ? session : "");
}
