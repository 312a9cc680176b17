/*
 * tests/lib/test_stores.c: the Shopify store list (lib/stores.h) — the
 * single-store default, several stores, per-store secrets falling back to
 * the shared one, and every configuration mistake reported at once.
 */
#include "lib/stores.h"

#include <stdlib.h>
#include <string.h>

#include "tests/test.h"

/* A NULL-terminated name/value table as the environment. */
static const char *table_get(const char *name, void *ctx)
{
    const char *const *kv = ctx;
    for (size_t i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

TEST(single_store_is_default)
{
    const char *env[] = {"SHOPIFY_ACCESS_TOKEN", "shpat_1", "SHOPIFY_WEBHOOK_SECRET", "s1",
                         "SHOPIFY_API_BASE", "http://127.0.0.1:9/admin/api/2025-07", NULL};
    struct stores s;
    char *err = NULL;
    CHECK_INT(stores_load(table_get, (void *)env, &s, &err), 0);
    CHECK_INT(s.n, 1);
    CHECK(!s.listed);
    CHECK_STR(s.v[0].name, "default");
    CHECK(s.v[0].shop == NULL);
    CHECK_STR(s.v[0].currency, "GBP");
    CHECK_STR(s.v[0].webhook_secret, "s1");
    CHECK_STR(s.v[0].api_base, "http://127.0.0.1:9/admin/api/2025-07");
    CHECK(stores_by_name(&s, "default") == &s.v[0]);
    stores_dispose(&s);
}

TEST(two_stores_with_their_own_settings)
{
    const char *env[] = {"SHOPIFY_STORES", " uk, us ", "SHOPIFY_WEBHOOK_SECRET", "shared",
                         "SHOPIFY_UK_SHOP", "Sentia-UK.myshopify.com", "SHOPIFY_UK_CURRENCY", "GBP",
                         "SHOPIFY_UK_ACCESS_TOKEN", "tok-uk",
                         "SHOPIFY_US_SHOP", "sentia-us.myshopify.com", "SHOPIFY_US_CURRENCY", "USD",
                         "SHOPIFY_US_WEBHOOK_SECRET", "new-us,old-us", NULL};
    struct stores s;
    char *err = NULL;
    CHECK_INT(stores_load(table_get, (void *)env, &s, &err), 0);
    CHECK_INT(s.n, 2);
    CHECK(s.listed);
    CHECK_STR(s.v[0].name, "uk");
    CHECK_STR(s.v[0].shop, "sentia-uk.myshopify.com");
    CHECK_STR(s.v[0].webhook_secret, "shared");
    CHECK_STR(s.v[0].access_token, "tok-uk");
    CHECK_STR(s.v[0].api_base, "https://sentia-uk.myshopify.com/admin/api/2025-07");
    CHECK_STR(s.v[1].currency, "USD");
    CHECK_STR(s.v[1].webhook_secret, "new-us,old-us");
    CHECK(s.v[1].access_token == NULL);
    CHECK(stores_by_shop(&s, "SENTIA-US.myshopify.com", 23) == &s.v[1]);
    CHECK(stores_by_shop(&s, "sentia-us.myshopify.co", 22) == NULL);
    CHECK(stores_by_shop(&s, "other.myshopify.com", 19) == NULL);
    stores_dispose(&s);
}

TEST(every_mistake_reported_at_once)
{
    const char *env[] = {"SHOPIFY_STORES", "uk,US,uk,eu", "SHOPIFY_UK_SHOP", "example.com",
                         "SHOPIFY_UK_CURRENCY", "gbp", NULL};
    struct stores s;
    char *err = NULL;
    CHECK_INT(stores_load(table_get, (void *)env, &s, &err), -1);
    CHECK(err != NULL);
    CHECK(strstr(err, "*.myshopify.com") != NULL);
    CHECK(strstr(err, "3 upper-case letters") != NULL);
    CHECK(strstr(err, "\"US\" must be") != NULL);
    CHECK(strstr(err, "names \"uk\" twice") != NULL);
    CHECK(strstr(err, "SHOPIFY_EU_SHOP is required") != NULL);
    CHECK_INT(s.n, 0);
    free(err);
}

TEST(two_stores_cannot_share_a_shop)
{
    const char *env[] = {"SHOPIFY_STORES", "a,b", "SHOPIFY_A_SHOP", "x.myshopify.com",
                         "SHOPIFY_B_SHOP", "X.myshopify.com", NULL};
    struct stores s;
    char *err = NULL;
    CHECK_INT(stores_load(table_get, (void *)env, &s, &err), -1);
    CHECK(strstr(err, "the same shop") != NULL);
    free(err);
}

TEST(production_refuses_an_http_api_base)
{
    const char *prod[] = {"APP_ENV", "production", "SHOPIFY_STORES", "uk,us",
                          "SHOPIFY_UK_SHOP", "uk.myshopify.com",
                          "SHOPIFY_UK_API_BASE", "http://uk.myshopify.com/admin/api/2025-07",
                          "SHOPIFY_US_SHOP", "us.myshopify.com",
                          "SHOPIFY_US_API_BASE", "https://us.myshopify.com/admin/api/2025-07",
                          NULL};
    struct stores s;
    char *err = NULL;
    CHECK_INT(stores_load(table_get, (void *)prod, &s, &err), -1);
    CHECK(strstr(err, "store \"uk\" must be an https:// URL in production") != NULL);
    CHECK(strstr(err, "\"us\"") == NULL);
    free(err);
    const char *test[] = {"APP_ENV", "test", "SHOPIFY_API_BASE", "http://127.0.0.1:9/admin",
                          NULL};
    CHECK_INT(stores_load(table_get, (void *)test, &s, &err), 0);
    stores_dispose(&s);
}
