/*
 * api/routes/integrations.c: GET /api/integrations/status (see integrations.h).
 */
#include "api/routes/integrations.h"

#include <stdlib.h>
#include <string.h>

#include "api/routes/read.h"
#include "lib/clock.h"
#include "lib/redis.h"
#include "lib/mem.h"

/* Every (source, resource) a worker syncs. */
struct integrations_source {
    const char *source;
    const char *resources[5];
};

static const struct integrations_source integrations_known[] = {
    {"shopify", {"orders", "products", "inventory", NULL}},
    {"xero", {"invoices", "contacts", NULL}},
    {"unleashed", {"stock", "products", "purchase_orders", "sales_orders", NULL}},
    {"amazon", {"orders", NULL}},
};


/* ---- the document ---------------------------------------------------------- */

/* A hash field's JSON text parsed, or NULL. */
static json_t *integrations_field(const json_t *hash, const char *key)
{
    const char *text = json_string_value(json_object_get(hash, key));
    return text ? json_loads(text, 0, NULL) : NULL;
}

/* One resource's entry; *stale set. */
static json_t *integrations_resource(const json_t *st, int64_t now_ms, bool *stale)
{
    json_t *ok_ms = json_object_get(st, "last_success_ms");
    json_t *out = json_object();
    static const char *const copy[] = {"last_success_ms", "last_error", "last_error_ms",
                                       "rows_seen", "last_run_rows"};
    for (size_t i = 0; i < sizeof copy / sizeof *copy; i++) {
        json_t *v = json_object_get(st, copy[i]);
        json_object_set(out, copy[i], v ? v : json_null());
    }
    json_object_set_new(out, "running", json_boolean(json_is_string(json_object_get(st, "position"))));
    if (json_is_integer(ok_ms)) {
        int64_t age_s = (now_ms - json_integer_value(ok_ms)) / 1000;
        if (age_s < 0)
            age_s = 0;
        *stale = age_s > INTEGRATIONS_PROMISE_S;
        json_object_set_new(out, "freshness_s", json_integer(age_s));
    } else {
        *stale = true;
        json_object_set_new(out, "freshness_s", json_null());
    }
    json_object_set_new(out, "stale", json_boolean(*stale));
    return out;
}

/* The resources of src under `account` (NULL: the default); *all_ok updated. */
static json_t *integrations_resources(const json_t *status,
                                      const struct integrations_source *src, const char *account,
                                      bool only_present, int64_t now_ms, bool *all_ok)
{
    json_t *res = json_object();
    for (size_t r = 0; src->resources[r]; r++) {
        const char *name = src->resources[r];
        char *key = account ? mem_printf("%s:%s:%s", src->source, account, name)
                            : mem_printf("%s:%s", src->source, name);
        json_t *st = integrations_field(status, key);
        bool stale = true;
        if (st != NULL || !only_present) {
            json_object_set_new(res, name, integrations_resource(st, now_ms, &stale));
            *all_ok = *all_ok && !stale;
        }
        json_decref(st);
        free(key);
    }
    return res;
}

/* Whether resource is one of src's. */
static bool integrations_has(const struct integrations_source *src, const char *resource,
                             size_t len)
{
    for (size_t r = 0; src->resources[r]; r++)
        if (strlen(src->resources[r]) == len && memcmp(src->resources[r], resource, len) == 0)
            return true;
    return false;
}

/*
 * The accounts of src with a status field "<source>:<account>:<resource>"
 * (Shopify stores, Amazon marketplaces), each with all of src's resources;
 * NULL when there is none.
 */
static json_t *integrations_accounts(const json_t *status,
                                     const struct integrations_source *src, int64_t now_ms,
                                     bool *all_ok)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    size_t n = strlen(src->source);
    json_object_foreach((json_t *)status, key, v) {
        const char *acct = key + n + 1, *res = strrchr(key, ':');
        if (strncmp(key, src->source, n) != 0 || key[n] != ':' || res == NULL || res < acct ||
            !integrations_has(src, res + 1, strlen(res + 1)))
            continue;
        char *name = mem_printf("%.*s", (int)(res - acct), acct);
        if (name[0] != '\0' && json_object_get(out, name) == NULL)
            json_object_set_new(out, name,
                                integrations_resources(status, src, name, false, now_ms, all_ok));
        free(name);
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* One source's entry; *all_ok updated. */
static json_t *integrations_source_doc(const json_t *status, const json_t *providers,
                                       const struct integrations_source *src, int64_t now_ms,
                                       bool *all_ok)
{
    json_t *prov = integrations_field(providers, src->source);
    json_t *conf = json_object_get(prov, "configured");
    const char *state = conf == NULL ? "unknown" : json_is_true(conf) ? "configured"
                                                                     : "not_configured";
    json_t *entry = json_pack("{ss}", "status", state);
    if (json_is_string(json_object_get(prov, "missing")))
        json_object_set(entry, "missing", json_object_get(prov, "missing"));
    if (strcmp(state, "not_configured") != 0) {
        json_t *accounts = integrations_accounts(status, src, now_ms, all_ok);
        /* with accounts, the default account only where it was synced */
        json_object_set_new(entry, "resources", integrations_resources(status, src, NULL,
                                                                       accounts != NULL, now_ms,
                                                                       all_ok));
        if (accounts != NULL)
            json_object_set_new(entry, "accounts", accounts);
    }
    json_decref(prov);
    return entry;
}

json_t *integrations_status_doc(const json_t *status, const json_t *providers, int64_t now_ms)
{
    json_t *sources = json_object();
    bool all_ok = true;
    for (size_t i = 0; i < sizeof integrations_known / sizeof *integrations_known; i++)
        json_object_set_new(sources, integrations_known[i].source,
                            integrations_source_doc(status, providers, &integrations_known[i],
                                                    now_ms, &all_ok));
    return json_pack("{sisIsbso}", "promise_s", INTEGRATIONS_PROMISE_S, "generated_ms",
                     (json_int_t)now_ms, "ok", all_ok, "sources", sources);
}

/* ---- the route ---------------------------------------------------------------- */

struct integrations_wait {
    struct api_pending pending;
    int replies;          /* still to come */
    json_t *hashes[2];    /* status, providers */
    bool failed;
};

/* A HGETALL reply as {field: value}; NULL if not an array. */
static json_t *integrations_hash(const redisReply *r)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; i + 1 < r->elements && i < 2 * INTEGRATIONS_FIELDS_MAX; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING)
            json_object_set_new(o, k->str, json_stringn(v->str, v->len));
    }
    return o;
}

static void integrations_unavailable(h2o_req_t *req)
{
    api_respond_retry(req, 503, "redis_unavailable", "Redis did not answer", 5);
}

static void integrations_finish(struct integrations_wait *w)
{
    h2o_req_t *req = api_pending_end(&w->pending);
    if (req != NULL && w->failed) {
        integrations_unavailable(req);
    } else if (req != NULL) {
        api_respond_cached_json(req, integrations_status_doc(w->hashes[0], w->hashes[1],
                                                             clock_wall_ms()));
    }
}

static void integrations_free(struct integrations_wait *w)
{
    json_decref(w->hashes[0]);
    json_decref(w->hashes[1]);
    free(w);
}

static void integrations_expired(struct api_pending *p)
{
    h2o_req_t *req = api_pending_end(p);
    if (req != NULL)
        integrations_unavailable(req);
}

/* One HGETALL answered; the last one answers the request. */
static void integrations_reply(struct integrations_wait *w, int index, const redisReply *r,
                               const char *error)
{
    if (error != NULL)
        w->failed = true;
    else
        w->hashes[index] = integrations_hash(r);
    if (--w->replies > 0)
        return;
    if (api_pending_armed(&w->pending))
        integrations_finish(w);
    integrations_free(w);
}

static void integrations_on_status(void *data, const redisReply *r, const char *error)
{
    integrations_reply(data, 0, r, error);
}

static void integrations_on_providers(void *data, const redisReply *r, const char *error)
{
    integrations_reply(data, 1, r, error);
}

void integrations_get(struct api_call *call)
{
    static const struct read_param none[] = {{NULL, READ_TEXT, 0, 0, NULL}};
    h2o_req_t *req = call->req;
    if (read_begin(call, none) == NULL)
        return;
    struct redis_client *redis = api_ctx_redis(req);
    const char *prefix = api_ctx_config(req)->prefix;
    if (!api_ctx_redis_up(req)) {
        integrations_unavailable(req);
        return;
    }
    struct integrations_wait *w = mem_calloc(1, sizeof *w);
    struct redis_args a, b;
    redis_args_init(&a);
    redis_args_init(&b);
    redis_args_add(&a, "HGETALL");
    redis_args_add_fmt(&a, "%s:sync:status", prefix);
    redis_args_add(&b, "HGETALL");
    redis_args_add_fmt(&b, "%s:sync:providers", prefix);
    api_pending_begin(&w->pending, api_ctx_pending(req), req, integrations_expired);
    w->replies = 2;
    if (redis_client_command(redis, 0, integrations_on_status, w, &a) != 0)
        integrations_reply(w, 0, NULL, "not connected");
    else if (redis_client_command(redis, 0, integrations_on_providers, w, &b) != 0)
        integrations_reply(w, 1, NULL, "not connected");
    redis_args_dispose(&a);
    redis_args_dispose(&b);
}
