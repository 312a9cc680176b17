/*
 * api/config.h: every setting of sentia-api, read once at start-up from the
 * process configuration (api/main.c lists the variables, docs/API.md
 * explains each). Routes and hooks read it through api/ctx.h; nothing
 * writes it after api_config_read().
 *
 * Ownership: strings are borrowed from the struct config they came from
 * (which outlives the server), except the lists, the secrets, the stores
 * and twilio_bases, which api_config_dispose() frees.
 *
 * Checks at start-up (exit 78, one message): besides the syntax of each
 * list, MAX_BODY_BYTES must fit a queue envelope once escaped as JSON
 * (API_ENVELOPE_EXPANSION × body + API_ENVELOPE_OVERHEAD ≤ 16 MiB), a
 * secret list holds at most API_SECRET_SLOTS entries, and the Shopify
 * stores parse (lib/stores.h).
 */
#ifndef SENTIA_API_CONFIG_H
#define SENTIA_API_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/stores.h"

/* The queue every webhook job goes to (DESIGN.md §3). */
#define API_WEBHOOK_QUEUE "webhooks"

enum {
    API_THREADS_MAX = 64,
    API_SECRET_SLOTS = 2, /* a rotation: the new secret first, the old one second */
    /* What a webhook adds to its body in an envelope (headers, ids, keys). */
    API_ENVELOPE_OVERHEAD = 64 * 1024,
    /* JSON's worst escaping: a control byte becomes \u00XX (6 bytes). */
    API_ENVELOPE_EXPANSION = 6,
    API_HSTS_DEFAULT_S = 31536000, /* ENABLE_HSTS without HSTS_MAX_AGE: a year */
};

/*
 * A secret as configured: a comma list of at most API_SECRET_SLOTS
 * (TWILIO_AUTH_TOKEN="new,old"). A signature valid under any slot is
 * accepted; the slot that matched is counted (metrics).
 */
struct api_secrets {
    size_t n;                   /* 0: not configured */
    char *v[API_SECRET_SLOTS];  /* owned, trimmed */
};

/* A Shopify store as the webhook sees it (lib/stores.h) and its parsed secrets. */
struct api_shop {
    const struct stores_store *store; /* in api_config.stores */
    struct api_secrets secrets;
};

struct config;

struct api_config {
    const char *env_name;       /* development | test | production */
    const char *redis_url;
    const char *prefix;         /* QUEUE_PREFIX */
    int port;
    unsigned threads;
    const char *public_base_url; /* without trailing '/'; NULL if unset */
    const char *twilio_token;   /* the raw list; NULL: Twilio routes answer not_configured */
    char *twilio_bases[2];      /* owned: base URL without / with port */
    const char *shopify_secret; /* raw SHOPIFY_WEBHOOK_SECRET (may be NULL with per-store ones) */
    const char *xero_key;       /* the raw list */
    struct api_secrets twilio_tokens, xero_keys;
    struct stores stores;       /* owned: SHOPIFY_STORES, or the single store "default" */
    struct api_shop shops[STORES_MAX]; /* shops[i] is stores.v[i] */
    bool enable_h2c;            /* ENABLE_H2C: HTTP/2 cleartext accepted */
    int h2c_streams_per_s;      /* streams a connection may open per second */
    int h2c_max_connection_s;   /* an HTTP/2 connection's lifetime */
    long long max_queue_depth;  /* webhook queue ready jobs beyond which we answer 503 */
    const char *metrics_token;  /* METRICS_TOKEN; NULL: only the operator role opens metrics */
    size_t max_body_bytes;
    size_t max_headers;
    size_t max_header_bytes;
    int request_timeout_ms;
    int redis_timeout_ms;
    int rate_per_min; /* 0 = no rate limit */
    int rate_burst;
    int trust_proxy_hops;
    char hsts[48]; /* Strict-Transport-Security value; "" = none (HSTS_MAX_AGE, ENABLE_HSTS) */
    char **cors_origins; /* NULL-terminated */
    bool maintenance;
    const char *maintenance_message;
    char **maintenance_ips; /* NULL-terminated, numeric addresses */
    int64_t stale_job_ms;
    int history_interval_ms; /* HEALTH_HISTORY_INTERVAL_MS: /health/history's sampling */
    const char *database_url;   /* DATABASE_URL; NULL: dashboard reads answer 503 */
    int pg_pool_size;           /* API_PG_POOL_SIZE: connections per API thread */
    int query_timeout_ms;       /* API_QUERY_TIMEOUT_MS: statement_timeout of reads */
    int apikey_ttl_ms;          /* API_KEY_CACHE_TTL_MS: revocation effective within */
    int jwks_refetch_ms;        /* CLERK_JWKS_REFETCH_INTERVAL_MS: at most one refetch per */
    int read_cache_ms;          /* API_READ_CACHE_MS: identical reads share an answer this long */
};

/*
 * Reads and checks the configuration into *out (strings borrowed from cfg).
 * Returns 0, or -1 with *errors (one message listing every problem,
 * caller frees).
 */
int api_config_read(const struct config *cfg, struct api_config *out, char **errors);
void api_config_dispose(struct api_config *c);

/*
 * The two base-URL forms Twilio signatures are checked against (from
 * PUBLIC_BASE_URL): port stripped and port explicit (the scheme's default
 * added when none). Returns 0, or -1 if base is not an http(s) URL. Each
 * out[i] is a new string (caller frees).
 */
int api_config_twilio_bases(const char *base, char *out[2]);

#endif
