/*
 * api/config.h: every setting of sentia-api, read once at start-up from the
 * process configuration (api/main.c lists the variables, docs/API.md
 * explains each). Routes and hooks read it through api/ctx.h; nothing
 * writes it after api_config_read().
 *
 * Ownership: strings are borrowed from the struct config they came from
 * (which outlives the server), except the lists and twilio_bases, which
 * api_config_dispose() frees.
 */
#ifndef SENTIA_API_CONFIG_H
#define SENTIA_API_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    API_THREADS_MAX = 64,
};

struct config;

struct api_config {
    const char *env_name;       /* development | test | production */
    const char *redis_url;
    const char *prefix;         /* QUEUE_PREFIX */
    int port;
    unsigned threads;
    const char *public_base_url; /* without trailing '/'; NULL if unset */
    const char *twilio_token;   /* NULL: Twilio routes answer not_configured */
    char *twilio_bases[2];      /* owned: base URL without / with port */
    const char *shopify_secret;
    const char *xero_key;
    const char *metrics_token;  /* METRICS_TOKEN; NULL: only the operator role opens metrics */
    size_t max_body_bytes;
    size_t max_headers;
    size_t max_header_bytes;
    int request_timeout_ms;
    int redis_timeout_ms;
    int rate_per_min; /* 0 = no rate limit */
    int rate_burst;
    int trust_proxy_hops;
    bool hsts;
    char **cors_origins; /* NULL-terminated */
    bool maintenance;
    const char *maintenance_message;
    char **maintenance_ips; /* NULL-terminated, numeric addresses */
    int64_t stale_job_ms;
    const char *database_url;   /* DATABASE_URL; NULL: dashboard reads answer 503 */
    int pg_pool_size;           /* API_PG_POOL_SIZE: connections per API thread */
    int query_timeout_ms;       /* API_QUERY_TIMEOUT_MS: statement_timeout of reads */
    int apikey_ttl_ms;          /* API_KEY_CACHE_TTL_MS: revocation effective within */
    int jwks_refetch_ms;        /* CLERK_JWKS_REFETCH_INTERVAL_MS: at most one refetch per */
};

/*
 * Reads and checks the configuration into *out (strings borrowed from cfg).
 * Returns 0, or -1 with *errors (one message listing every problem,
 * caller frees).
 */
int api_config_read(const struct config *cfg, struct api_config *out, char **errors);
void api_config_dispose(struct api_config *c);

#endif
