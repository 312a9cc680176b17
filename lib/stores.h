/*
 * lib/stores.h: the Shopify stores Sentia serves, parsed from the
 * environment in one place for sentia-api (webhooks) and sentia-worker
 * (syncs): issue 14, docs/INTEGRATIONS.md.
 *
 * SHOPIFY_STORES names the stores ("uk,us": lower-case [a-z0-9_], at most
 * STORES_MAX). Each store NAME reads SHOPIFY_<NAME>_SHOP (its
 * *.myshopify.com domain, required), SHOPIFY_<NAME>_ACCESS_TOKEN,
 * SHOPIFY_<NAME>_CURRENCY (default GBP), SHOPIFY_<NAME>_WEBHOOK_SECRET
 * (default SHOPIFY_WEBHOOK_SECRET) and SHOPIFY_<NAME>_API_BASE (default
 * https://<shop>/admin/api/STORES_API_VERSION). Unset SHOPIFY_STORES means
 * today's single store, named "default", from SHOPIFY_SHOP (optional: any
 * shop domain is then accepted), SHOPIFY_ACCESS_TOKEN, SHOPIFY_CURRENCY,
 * SHOPIFY_WEBHOOK_SECRET and SHOPIFY_API_BASE.
 *
 * Webhook secrets may be comma lists (new first, old second: rotation);
 * sentia-api splits them (api/config.h).
 *
 * In production an API base must be https:// (lib/url.h
 * url_is_private_transport). Depends on libc and lib/url only. Ownership: stores_load() fills a struct
 * stores whose strings it owns; stores_dispose() frees them.
 */
#ifndef SENTIA_LIB_STORES_H
#define SENTIA_LIB_STORES_H

#include <stdbool.h>
#include <stddef.h>

#define STORES_DEFAULT_NAME "default"
#define STORES_API_VERSION "2025-07"

enum {
    STORES_MAX = 16,
    STORES_NAME_MAX = 32,      /* a store name's characters */
};

/* Where values come from (getenv in the programs, a table in tests). */
typedef const char *(*stores_getter)(const char *name, void *ctx);

struct stores_store {
    char name[STORES_NAME_MAX + 1];
    char *shop;           /* lower-case domain; NULL: any (single store only) */
    char *access_token;   /* NULL when unset */
    char *currency;       /* ISO 4217, upper-case */
    char *webhook_secret; /* comma list, or NULL when unset */
    char *api_base;       /* NULL when unset and no shop to derive it from */
};

struct stores {
    size_t n;
    bool listed; /* SHOPIFY_STORES was set: unknown shop domains are refused */
    struct stores_store v[STORES_MAX];
};

/*
 * Reads the stores. Returns 0, or -1 with *error (one message listing
 * every problem, caller frees; secrets never appear in it).
 */
int stores_load(stores_getter get, void *ctx, struct stores *out, char **error);
void stores_dispose(struct stores *s);

/* The store whose shop domain is domain[0..len) (case-insensitive), or NULL. */
const struct stores_store *stores_by_shop(const struct stores *s, const char *domain,
                                          size_t len);
const struct stores_store *stores_by_name(const struct stores *s, const char *name);

#endif
