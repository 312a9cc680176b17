/*
 * tests/api/test_router.c: the route table and matcher (patterns, params,
 * methods, labels), the role order, and where the gates find a credential.
 */
#include <stdlib.h>

#include "api/caller.h"
#include "api/gate.h"
#include "api/router.h"
#include "api/routes/table.h"
#include "tests/test.h"

static struct api_router *router(void)
{
    struct api_router *r = NULL;
    const char *why = NULL;
    struct api_table t;
    routes_table(&t);
    if (api_router_create(&t, &r, &why) != 0) {
        fprintf(stderr, "router: %s\n", why);
        abort();
    }
    return r;
}

static void match(struct api_router *r, const char *method, const char *path, struct api_match *m)
{
    api_router_match(r, path, strlen(path), method, strlen(method), m);
}

TEST(router_table_rows_and_classes)
{
    struct api_router *r = router();
    struct api_match m;
    match(r, "GET", "/health", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_PROBE);
    match(r, "HEAD", "/health/readiness", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_PROBE);
    match(r, "GET", "/metrics", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_METRICS);
    match(r, "GET", "/health/detailed", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_METRICS);
    match(r, "GET", "/api/v1/me", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_VIEWER);
    match(r, "POST", "/api/v1/webhooks/xero", &m);
    CHECK(m.route != NULL && m.route->cls == API_CLASS_WEBHOOK && m.route->source == 2);
    match(r, "POST", "/api/v1/whatsapp/status", &m);
    CHECK(m.route != NULL && m.route->source == 0);
    api_router_free(r);
}

TEST(router_methods_and_unknown_paths)
{
    struct api_router *r = router();
    struct api_match m;
    char allow[64];
    match(r, "GET", "/api/v1/whatsapp/webhook", &m);
    CHECK(m.route == NULL && m.first != NULL && m.allowed == API_POST);
    api_methods_text(m.allowed, allow, sizeof allow);
    CHECK_STR(allow, "POST, OPTIONS");
    match(r, "DELETE", "/health", &m);
    CHECK(m.route == NULL && m.allowed == API_GET);
    api_methods_text(m.allowed, allow, sizeof allow);
    CHECK_STR(allow, "GET, HEAD, OPTIONS");
    match(r, "GET", "/health/", &m);
    CHECK(m.route == NULL && m.allowed == 0);
    match(r, "GET", "/healthz", &m);
    CHECK(m.allowed == 0);
    CHECK(api_method_bit("GET", 3) == API_GET && api_method_bit("HEAD", 4) == API_GET);
    CHECK(api_method_bit("BREW", 4) == 0);
    api_methods_text(API_GET | API_DELETE, allow, sizeof allow);
    CHECK_STR(allow, "GET, HEAD, DELETE, OPTIONS");
    api_router_free(r);
}

TEST(router_labels)
{
    struct api_router *r = router();
    unsigned a = api_router_label(r, "/health/live", 12);
    unsigned b = api_router_label(r, "/health/liveness", 16);
    CHECK(a != b && a != API_ROUTE_OTHER);
    CHECK_STR(api_router_label_text(r, a), "/health/live");
    CHECK_INT(api_router_label(r, "/nope/123", 9), API_ROUTE_OTHER);
    CHECK_STR(api_router_label_text(r, API_ROUTE_OTHER), "other");
    for (size_t i = 0; i < api_router_count(r); i++)
        CHECK(api_router_row(r, i)->label <= i);
    api_router_free(r);
}

TEST(router_patterns_and_params)
{
    struct api_match m;
    const char *p = "/api/v1/queues/{queue}/jobs/{id}";
    CHECK(api_router_pattern_valid(p));
    CHECK(api_router_pattern_match(p, "/api/v1/queues/webhooks/jobs/abc123", 35, &m));
    CHECK_INT(m.nparams, 2);
    CHECK_STR(m.params[0].name, "queue");
    CHECK(m.params[0].len == 8 && memcmp(m.params[0].value, "webhooks", 8) == 0);
    CHECK_STR(m.params[1].name, "id");
    CHECK(m.params[1].len == 6 && memcmp(m.params[1].value, "abc123", 6) == 0);
    CHECK(!api_router_pattern_match(p, "/api/v1/queues//jobs/x", 22, &m));
    CHECK(!api_router_pattern_match(p, "/api/v1/queues/q/jobs/x/y", 25, &m));
    CHECK(!api_router_pattern_match(p, "/api/v1/queues/q/jobs", 21, &m));
    CHECK(!api_router_pattern_valid("health"));
    CHECK(!api_router_pattern_valid("/a//b"));
    CHECK(!api_router_pattern_valid("/a/{Id}"));
    CHECK(!api_router_pattern_valid("/a/x{id}"));
    CHECK(!api_router_pattern_valid("/a/{}"));
    CHECK(!api_router_pattern_valid("/{a}/{b}/{c}/{d}/{e}"));
    CHECK(api_router_pattern_valid("/{a}/{b}/{c}/{d}"));
}

TEST(roles_are_ordered)
{
    CHECK(api_role_allows(API_ROLE_ADMIN, API_ROLE_VIEWER));
    CHECK(api_role_allows(API_ROLE_OPERATOR, API_ROLE_OPERATOR));
    CHECK(!api_role_allows(API_ROLE_OPERATOR, API_ROLE_MANAGER));
    CHECK(!api_role_allows(API_ROLE_NONE, API_ROLE_VIEWER));
    enum api_role r = API_ROLE_NONE;
    CHECK(api_role_parse("manager", 7, &r) == 0 && r == API_ROLE_MANAGER);
    CHECK(api_role_parse("none", 4, &r) != 0 && r == API_ROLE_MANAGER);
    CHECK(api_role_parse("Admin", 5, &r) != 0);
    CHECK_STR(api_role_name(API_ROLE_OPERATOR), "operator");
    CHECK_STR(api_caller_kind_name(API_CALLER_METRICS_TOKEN), "metrics_token");
    struct api_caller c;
    char long_sub[300];
    memset(long_sub, 'u', sizeof long_sub - 1);
    long_sub[sizeof long_sub - 1] = '\0';
    api_caller_set(&c, API_CALLER_CLERK, API_ROLE_VIEWER, long_sub, NULL);
    CHECK_INT(strlen(c.subject), API_SUBJECT_MAX);
    CHECK_STR(c.session, "");
}

/* The credential of a request carrying the given Authorization and Cookie headers. */
static struct api_credential credential(const char *authorization, const char *cookie)
{
    h2o_req_t req;
    struct api_credential cred;
    memset(&req, 0, sizeof req);
    h2o_mem_init_pool(&req.pool);
    if (authorization)
        h2o_add_header(&req.pool, &req.headers, H2O_TOKEN_AUTHORIZATION, NULL, authorization,
                       strlen(authorization));
    if (cookie)
        h2o_add_header(&req.pool, &req.headers, H2O_TOKEN_COOKIE, NULL, cookie, strlen(cookie));
    api_credential_find(&req, &cred);
    static char copy[256];
    snprintf(copy, sizeof copy, "%.*s", (int)cred.len, cred.token ? cred.token : "");
    cred.token = copy;
    h2o_mem_clear_pool(&req.pool);
    return cred;
}

TEST(credentials_bearer_then_session_cookie)
{
    struct api_credential c = credential("Bearer abc.def", NULL);
    CHECK(c.source == API_CREDENTIAL_BEARER);
    CHECK_STR(c.token, "abc.def");
    c = credential("bearer   sentia_x", "__session=ignored");
    CHECK(c.source == API_CREDENTIAL_BEARER);
    CHECK_STR(c.token, "sentia_x");
    c = credential("Basic dXNlcjpwYXNz", "__session=jwt");
    CHECK(c.source == API_CREDENTIAL_NONE);
    c = credential("Bearer ", NULL);
    CHECK(c.source == API_CREDENTIAL_NONE);
    c = credential(NULL, "theme=dark; __session=a.b.c; __session_x=1");
    CHECK(c.source == API_CREDENTIAL_COOKIE);
    CHECK_STR(c.token, "a.b.c");
    c = credential(NULL, "x__session=no; __session=");
    CHECK(c.source == API_CREDENTIAL_NONE);
    c = credential(NULL, NULL);
    CHECK(c.source == API_CREDENTIAL_NONE);
}
