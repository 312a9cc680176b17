/*
 * api/config.c: reading and checking sentia-api's settings (see config.h).
 */
#include "api/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/hooks/twilio.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "lib/mem.h"
#include "queue/queue.h"

enum { API_CONFIG_ERRORS_MAX = 4096 };

/* Splits a comma list into a NULL-terminated array of trimmed copies. */
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

static void api_config_checks(const struct api_config *c, struct buf *err)
{
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
        twilio_base_variants(c->public_base_url, c->twilio_bases);
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
    c->hsts = config_bool(cfg, "ENABLE_HSTS");
    c->cors_origins = api_split_list(config_str(cfg, "CORS_ORIGINS"));
    c->maintenance = config_bool(cfg, "MAINTENANCE_MODE");
    c->maintenance_message = config_str(cfg, "MAINTENANCE_MESSAGE");
    c->maintenance_ips = api_split_list(config_str(cfg, "MAINTENANCE_ALLOWED_IPS"));
    c->stale_job_ms = config_int(cfg, "STALE_JOB_MS");
    c->database_url = api_secret(cfg, "DATABASE_URL");
    c->pg_pool_size = (int)config_int(cfg, "API_PG_POOL_SIZE");
    c->query_timeout_ms = (int)config_int(cfg, "API_QUERY_TIMEOUT_MS");
    c->apikey_ttl_ms = (int)config_int(cfg, "API_KEY_CACHE_TTL_MS");
    c->jwks_refetch_ms = (int)config_int(cfg, "CLERK_JWKS_REFETCH_INTERVAL_MS");
    struct buf err;
    buf_init(&err, API_CONFIG_ERRORS_MAX);
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
    memset(c, 0, sizeof *c);
}

