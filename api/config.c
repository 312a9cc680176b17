/*
 * api/config.c: reading and checking sentia-api's settings (see config.h).
 */
#include "api/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/mem.h"
#include "lib/url.h"
#include "queue/job.h"
#include "queue/queue.h"

enum { API_CONFIG_ERRORS_MAX = 4096 };

/* Splits a comma list into a NULL-terminated array of trimmed copies. */
int api_config_twilio_bases(const char *base, char *out[2])
{
    struct url u;
    const char *why = NULL;
    if (url_parse(base, &u, &why) != 0)
        return -1;
    int rc = -1;
    bool https = strcmp(u.scheme, "https") == 0;
    if ((!https && strcmp(u.scheme, "http") != 0) || u.host == NULL || u.host[0] == '\0')
        goto done;
    bool v6 = strchr(u.host, ':') != NULL;
    const char *path = u.path ? u.path : "";
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    int port = u.port ? u.port : (https ? 443 : 80);
    out[0] = mem_printf("%s://%s%s%s%.*s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "",
                        (int)plen, path);
    out[1] = mem_printf("%s://%s%s%s:%d%.*s", u.scheme, v6 ? "[" : "", u.host,
                        v6 ? "]" : "", port, (int)plen, path);
    rc = 0;
done:
    url_dispose(&u);
    return rc;
}

static char **api_split_list(const char *text)
{
    size_t n = 1;
    for (const char *p = text ? text : ""; *p; p++)
        n += *p == ',';
    char **out = mem_calloc(n + 1, sizeof *out);
    size_t k = 0;
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a)
            out[k++] = mem_strndup(a, (size_t)(b - a));
        p += len + (p[len] == ',');
    }
    return out;
}

static void api_free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

/* An origin is scheme://host[:port], nothing after. */
static bool api_origin_valid(const char *o)
{
    const char *rest = strncmp(o, "https://", 8) == 0  ? o + 8
                       : strncmp(o, "http://", 7) == 0 ? o + 7
                                                       : NULL;
    return rest != NULL && *rest != '\0' && strpbrk(rest, "/?#@ ") == NULL;
}

static bool api_ip_valid(const char *ip)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, ip, tmp) == 1 || inet_pton(AF_INET6, ip, tmp) == 1;
}

/* NULL when the variable is unset or empty (a secret that is not there). */
static const char *api_secret(const struct config *cfg, const char *name)
{
    const char *v = config_str(cfg, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * Splits a secret list ("new,old") into out; false when it holds more than
 * API_SECRET_SLOTS secrets (the message says which variable, never a value).
 */
static bool api_secrets_parse(const char *list, struct api_secrets *out)
{
    char **v = api_split_list(list);
    size_t n = 0;
    while (v[n])
        n++;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (i < API_SECRET_SLOTS)
            out->v[out->n++] = v[i];
        else
            free(v[i]);
    }
    free(v);
    return n <= API_SECRET_SLOTS;
}

static void api_secrets_dispose(struct api_secrets *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    memset(s, 0, sizeof *s);
}

static const char *api_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* The secrets: three lists plus one per Shopify store. */
static void api_config_secrets(struct api_config *c, struct buf *err)
{
    static const char too_many[] = "%s%s holds more than 2 secrets (new,old)";
    if (!api_secrets_parse(c->twilio_token, &c->twilio_tokens))
        buf_printf(err, too_many, err->len ? "; " : "", "TWILIO_AUTH_TOKEN");
    if (!api_secrets_parse(c->xero_key, &c->xero_keys))
        buf_printf(err, too_many, err->len ? "; " : "", "XERO_WEBHOOK_KEY");
    char *why = NULL;
    if (stores_load(api_getenv, NULL, &c->stores, &why) != 0) {
        buf_printf(err, "%s%s", err->len ? "; " : "", why);
        free(why);
        return;
    }
    for (size_t i = 0; i < c->stores.n; i++) {
        c->shops[i].store = &c->stores.v[i];
        if (!api_secrets_parse(c->stores.v[i].webhook_secret, &c->shops[i].secrets))
            buf_printf(err, "%sthe webhook secret of Shopify store \"%s\" holds more than 2 "
                            "secrets (new,old)", err->len ? "; " : "", c->stores.v[i].name);
    }
}

/* The largest body a 16 MiB envelope carries whatever its bytes. */
static size_t api_body_ceiling(void)
{
    return (JOB_ENVELOPE_MAX - API_ENVELOPE_OVERHEAD) / API_ENVELOPE_EXPANSION;
}

static void api_config_checks(const struct api_config *c, struct buf *err)
{
    if (c->max_body_bytes > api_body_ceiling())
        buf_printf(err, "%sMAX_BODY_BYTES=%zu cannot fit a queue envelope of 16 MiB once "
                        "escaped as JSON: at most %zu",
                   err->len ? "; " : "", c->max_body_bytes, api_body_ceiling());
    if (!queue_prefix_valid(c->prefix))
        buf_printf(err, "%sQUEUE_PREFIX must be 1-64 of [A-Za-z0-9_.:-]", err->len ? "; " : "");
    if (c->public_base_url && c->twilio_bases[0] == NULL)
        buf_printf(err, "%sPUBLIC_BASE_URL must be http(s)://host[:port][/path]",
                   err->len ? "; " : "");
    for (size_t i = 0; c->cors_origins[i]; i++)
        if (!api_origin_valid(c->cors_origins[i]))
            buf_printf(err, "%sCORS_ORIGINS entry \"%.80s\" is not scheme://host[:port]",
                       err->len ? "; " : "", c->cors_origins[i]);
    for (size_t i = 0; c->maintenance_ips[i]; i++)
        if (!api_ip_valid(c->maintenance_ips[i]))
            buf_printf(err, "%sMAINTENANCE_ALLOWED_IPS entry \"%.80s\" is not an IP address",
                       err->len ? "; " : "", c->maintenance_ips[i]);
}

int api_config_read(const struct config *cfg, struct api_config *c, char **errors)
{
    memset(c, 0, sizeof *c);
    c->env_name = config_env_name(cfg);
    c->redis_url = config_str(cfg, "REDIS_URL");
    c->prefix = config_str(cfg, "QUEUE_PREFIX");
    c->port = (int)config_int(cfg, "PORT");
    long long threads = config_int(cfg, "API_THREADS");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = (unsigned)(threads > 0 ? threads : cores > 0 ? cores : 1);
    if (c->threads > API_THREADS_MAX)
        c->threads = API_THREADS_MAX;
    c->public_base_url = api_secret(cfg, "PUBLIC_BASE_URL");
    if (c->public_base_url)
        api_config_twilio_bases(c->public_base_url, c->twilio_bases);
    c->twilio_token = api_secret(cfg, "TWILIO_AUTH_TOKEN");
    c->shopify_secret = api_secret(cfg, "SHOPIFY_WEBHOOK_SECRET");
    c->xero_key = api_secret(cfg, "XERO_WEBHOOK_KEY");
    c->metrics_token = api_secret(cfg, "METRICS_TOKEN");
    c->max_body_bytes = (size_t)config_int(cfg, "MAX_BODY_BYTES");
    c->max_headers = (size_t)config_int(cfg, "MAX_HEADERS");
    c->max_header_bytes = (size_t)config_int(cfg, "MAX_HEADER_BYTES");
    c->request_timeout_ms = (int)config_int(cfg, "REQUEST_TIMEOUT_MS");
    c->redis_timeout_ms = (int)config_int(cfg, "REDIS_TIMEOUT_MS");
    c->rate_per_min = (int)config_int(cfg, "RATE_LIMIT_PER_IP");
    c->rate_burst = (int)config_int(cfg, "RATE_LIMIT_BURST");
    c->trust_proxy_hops = (int)config_int(cfg, "TRUST_PROXY_HOPS");
    long long hsts = config_int(cfg, "HSTS_MAX_AGE");
    if (hsts == 0 && config_bool(cfg, "ENABLE_HSTS"))
        hsts = API_HSTS_DEFAULT_S;
    if (hsts > 0)
        snprintf(c->hsts, sizeof c->hsts, "max-age=%lld; includeSubDomains", hsts);
    c->cors_origins = api_split_list(config_str(cfg, "CORS_ORIGINS"));
    c->maintenance = config_bool(cfg, "MAINTENANCE_MODE");
    c->maintenance_message = config_str(cfg, "MAINTENANCE_MESSAGE");
    c->maintenance_ips = api_split_list(config_str(cfg, "MAINTENANCE_ALLOWED_IPS"));
    c->stale_job_ms = config_int(cfg, "STALE_JOB_MS");
    c->history_interval_ms = (int)config_int(cfg, "HEALTH_HISTORY_INTERVAL_MS");
    c->enable_h2c = config_bool(cfg, "ENABLE_H2C");
    c->h2c_streams_per_s = (int)config_int(cfg, "H2C_MAX_STREAMS_PER_S");
    c->h2c_max_connection_s = (int)config_int(cfg, "H2C_MAX_CONNECTION_S");
    c->max_queue_depth = config_int(cfg, "MAX_QUEUE_DEPTH");
    c->database_url = api_secret(cfg, "DATABASE_URL");
    c->pg_pool_size = (int)config_int(cfg, "API_PG_POOL_SIZE");
    c->query_timeout_ms = (int)config_int(cfg, "API_QUERY_TIMEOUT_MS");
    c->apikey_ttl_ms = (int)config_int(cfg, "API_KEY_CACHE_TTL_MS");
    c->jwks_refetch_ms = (int)config_int(cfg, "CLERK_JWKS_REFETCH_INTERVAL_MS");
    c->read_cache_ms = (int)config_int(cfg, "API_READ_CACHE_MS");
    struct buf err;
    buf_init(&err, API_CONFIG_ERRORS_MAX);
    api_config_secrets(c, &err);
    api_config_checks(c, &err);
    if (err.len == 0) {
        buf_dispose(&err);
        return 0;
    }
    *errors = mem_printf("invalid configuration (APP_ENV=%s): %s", c->env_name, buf_str(&err));
    buf_dispose(&err);
    api_config_dispose(c);
    return -1;
}

void api_config_dispose(struct api_config *c)
{
    api_free_list(c->cors_origins);
    api_free_list(c->maintenance_ips);
    free(c->twilio_bases[0]);
    free(c->twilio_bases[1]);
    api_secrets_dispose(&c->twilio_tokens);
    api_secrets_dispose(&c->xero_keys);
    for (size_t i = 0; i < c->stores.n; i++)
        api_secrets_dispose(&c->shops[i].secrets);
    stores_dispose(&c->stores);
    memset(c, 0, sizeof *c);
}

