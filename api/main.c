/*
 * api/main.c: sentia-api's entry point — the configuration table (every
 * variable the API reads, docs/API.md explains each), validation with exit
 * 78 and one message listing every problem, then the server until SIGTERM.
 * `sentia-api --routes` prints the route table as JSON and exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/router.h"
#include "api/routes/table.h"
#include "api/server.h"
#include "lib/auth/auth.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/process.h"

#define PROD CONFIG_ENV_PRODUCTION

static const struct config_var api_vars[] = {
    {"PORT", CONFIG_INT, "8080", 0, 1, 65535, NULL, false},
    /* 0 = one thread per core. */
    {"API_THREADS", CONFIG_INT, "0", 0, 0, API_THREADS_MAX, NULL, false},
    {"PUBLIC_BASE_URL", CONFIG_URL_HTTP, NULL, PROD, 0, 0, NULL, false},
    {"TWILIO_AUTH_TOKEN", CONFIG_STR, NULL, PROD, 0, 0, NULL, true},
    /* Every store's secret unless SHOPIFY_<STORE>_WEBHOOK_SECRET overrides it. */
    {"SHOPIFY_WEBHOOK_SECRET", CONFIG_STR, NULL, PROD, 0, 0, NULL, true},
    {"XERO_WEBHOOK_KEY", CONFIG_STR, NULL, PROD, 0, 0, NULL, true},
    /* Optional bearer that opens /metrics and /health/detailed to a scraper. */
    {"METRICS_TOKEN", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    /* Webhook bodies are a few KiB; Shopify's largest orders stay far below 1 MiB. */
    {"MAX_BODY_BYTES", CONFIG_INT, "1048576", 0, 1024, 64 * 1024 * 1024, NULL, false},
    /* Providers send ~10-20 headers; h2o itself refuses more than 100. */
    {"MAX_HEADERS", CONFIG_INT, "64", 0, 8, 100, NULL, false},
    /* 16 KiB of headers is twice what any provider sends (nginx's default is 8 KiB a line). */
    {"MAX_HEADER_BYTES", CONFIG_INT, "16384", 0, 1024, 262144, NULL, false},
    {"REQUEST_TIMEOUT_MS", CONFIG_INT, "10000", 0, 100, 300000, NULL, false},
    {"REDIS_TIMEOUT_MS", CONFIG_INT, "1000", 0, 10, 60000, NULL, false},
    {"RATE_LIMIT_PER_IP", CONFIG_INT, "600", 0, 0, 6000000, NULL, false},
    {"RATE_LIMIT_BURST", CONFIG_INT, "100", 0, 1, 1000000, NULL, false},
    {"TRUST_PROXY_HOPS", CONFIG_INT, "0", 0, 0, 10, NULL, false},
    {"ENABLE_HSTS", CONFIG_BOOL, "false", 0, 0, 0, NULL, false},
    /* Strict-Transport-Security max-age; 0 = ENABLE_HSTS decides (a year). */
    {"HSTS_MAX_AGE", CONFIG_INT, "0", 0, 0, 63072000, NULL, false},
    {"CORS_ORIGINS", CONFIG_STR, "", 0, 0, 0, NULL, false},
    {"MAINTENANCE_MODE", CONFIG_BOOL, "false", 0, 0, 0, NULL, false},
    {"MAINTENANCE_MESSAGE", CONFIG_STR,
     "Sentia is down for maintenance; please retry shortly.", 0, 0, 0, NULL, false},
    {"MAINTENANCE_ALLOWED_IPS", CONFIG_STR, "", 0, 0, 0, NULL, false},
    {"STALE_JOB_MS", CONFIG_INT, "300000", 0, 1000, 86400000, NULL, false},
    /* /health/history samples this often (a test may sample faster). */
    {"HEALTH_HISTORY_INTERVAL_MS", CONFIG_INT, "30000", 0, 100, 600000, NULL, false},
    /* HTTP/2 cleartext: off (Render's edge speaks HTTP/1.1 to us; docs/SECURITY.md). */
    {"ENABLE_H2C", CONFIG_BOOL, "false", 0, 0, 0, NULL, false},
    /* With h2c on: streams one connection may open per second, and its lifetime. */
    {"H2C_MAX_STREAMS_PER_S", CONFIG_INT, "100", 0, 1, 100000, NULL, false},
    {"H2C_MAX_CONNECTION_S", CONFIG_INT, "300", 0, 1, 86400, NULL, false},
    /* Ready webhook jobs beyond which deliveries answer 503 + Retry-After. */
    {"MAX_QUEUE_DEPTH", CONFIG_INT, "1000000", 0, 1, 1000000000, NULL, false},
    /* Shopify stores (lib/stores.h reads SHOPIFY_<STORE>_* itself). */
    {"SHOPIFY_STORES", CONFIG_STR, "", 0, 0, 0, NULL, false},
    /* Optional: without it the dashboard reads answer 503 database_unavailable. */
    {"DATABASE_URL", CONFIG_URL_POSTGRES, NULL, 0, 0, 0, NULL, true},
    /* Async libpq connections per API thread (reads and API key look-ups). */
    {"API_PG_POOL_SIZE", CONFIG_INT, "2", 0, 1, 16, NULL, false},
    /* statement_timeout of every dashboard read; the client gives up shortly after. */
    {"API_QUERY_TIMEOUT_MS", CONFIG_INT, "3000", 0, 100, 60000, NULL, false},
    /* API key cache lifetime: a revocation is effective within this (≤ 60 s). */
    {"API_KEY_CACHE_TTL_MS", CONFIG_INT, "60000", 0, 100, 60000, NULL, false},
    /* Identical dashboard reads within this share one answer per thread (0 = off). */
    {"API_READ_CACHE_MS", CONFIG_INT, "1000", 0, 0, 60000, NULL, false},
    /* An unknown kid refetches the JWKS at most once per interval (Clerk: 30 s). */
    {"CLERK_JWKS_REFETCH_INTERVAL_MS", CONFIG_INT, "30000", 0, 1000, 3600000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char *api_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static void api_config_fail(char *errors)
{
    log_error(NULL, "%s", errors);
    fprintf(stderr, "%s\n", errors);
    free(errors);
    exit(78);
}

/*
 * The process's one struct auth (lib/auth), from the Clerk variables and
 * the API's cache settings; a configuration error exits 78.
 */
static struct auth *api_auth_create(const struct api_config *ac)
{
    struct auth_options o;
    struct auth *a = NULL;
    char *err = NULL;
    if (auth_options_from_env(&o, NULL, &err) != 0)
        api_config_fail(err);
    o.apikeys.ttl_ms = ac->apikey_ttl_ms;
    o.apikeys.query_timeout_ms = ac->query_timeout_ms;
    o.clerk_opts.keys.refetch_interval_ms = ac->jwks_refetch_ms;
    int rc = auth_create(&o, &a, &err);
    auth_options_dispose(&o);
    if (rc != 0)
        api_config_fail(err);
    return a;
}

int main(int argc, char **argv)
{
    struct api_table table;
    routes_table(&table);
    if (argc == 2 && strcmp(argv[1], "--routes") == 0)
        return api_router_dump(&table, stdout) == 0 ? 0 : 1;
    const struct config_var *const tables[] = {config_common_vars, api_vars, NULL};
    struct config *cfg = NULL;
    struct api_config ac;
    struct api_server *server = NULL;
    char *errors = NULL;
    process.service = "sentia-api";
    if (config_load(tables, api_getenv, NULL, &cfg, &errors) != 0)
        api_config_fail(errors);
    process_configure(cfg, "sentia-api");
    if (api_config_read(cfg, &ac, &errors) != 0) {
        config_free(cfg);
        api_config_fail(errors);
    }
    signal(SIGPIPE, SIG_IGN);
    struct auth *auth = api_auth_create(&ac);
    struct api_authn authn;
    api_authn_init(&authn, auth);
    int rc = 1;
    if (api_server_create(&ac, &table, &server) == 0) {
        api_server_set_authenticator(server, &authn.base);
        rc = api_server_run(server);
        api_server_free(server);
    }
    auth_free(auth);
    api_config_dispose(&ac);
    config_free(cfg);
    return rc;
}
