/*
 * tests/api/test_integrations.c: the status document of
 * GET /api/integrations/status — freshness, the 30-minute promise, never
 * synced, not configured, unknown.
 */
#include "api/routes/integrations.h"

#include "tests/test.h"

TEST(status_document)
{
    int64_t now = 1800000000000LL;
    json_t *status = json_pack("{ssss}", "shopify:orders",
                               "{\"last_success_ms\": 1799999940000, \"rows_seen\": 5000,"
                               " \"position\": null, \"last_error\": null}",
                               "shopify:products",
                               "{\"last_success_ms\": 1799998000000, \"position\": \"https://x\"}");
    json_t *providers = json_pack("{ssss}", "shopify", "{\"configured\": true}", "xero",
                                  "{\"configured\": false, \"missing\": \"XERO_TENANT_ID is not set\"}");
    json_t *doc = integrations_status_doc(status, providers, now);
    json_t *shop = json_object_get(json_object_get(doc, "sources"), "shopify");
    json_t *orders = json_object_get(json_object_get(shop, "resources"), "orders");
    json_t *products = json_object_get(json_object_get(shop, "resources"), "products");
    json_t *inventory = json_object_get(json_object_get(shop, "resources"), "inventory");
    CHECK_STR(json_string_value(json_object_get(shop, "status")), "configured");
    CHECK_INT(json_integer_value(json_object_get(orders, "freshness_s")), 60);
    CHECK(json_is_false(json_object_get(orders, "stale")));
    CHECK_INT(json_integer_value(json_object_get(products, "freshness_s")), 2000);
    CHECK(json_is_true(json_object_get(products, "stale")));
    CHECK(json_is_true(json_object_get(products, "running")));
    CHECK(json_is_null(json_object_get(inventory, "freshness_s")));
    CHECK(json_is_true(json_object_get(inventory, "stale")));
    json_t *xero = json_object_get(json_object_get(doc, "sources"), "xero");
    CHECK_STR(json_string_value(json_object_get(xero, "status")), "not_configured");
    CHECK(json_object_get(xero, "resources") == NULL);
    json_t *ul = json_object_get(json_object_get(doc, "sources"), "unleashed");
    CHECK_STR(json_string_value(json_object_get(ul, "status")), "unknown");
    CHECK(json_is_false(json_object_get(doc, "ok")));
    json_decref(doc);
    json_decref(status);
    json_decref(providers);
    doc = integrations_status_doc(NULL, NULL, now);
    CHECK_INT(json_integer_value(json_object_get(doc, "promise_s")), 1800);
    json_decref(doc);
}

/* Stores and marketplaces: each account lists every resource; the default
 * account then lists only what it synced. */
TEST(status_accounts)
{
    int64_t now = 1800000000000LL;
    const char *fresh = "{\"last_success_ms\": 1799999940000, \"position\": null}";
    json_t *status = json_pack("{ssssssssss}", "shopify:uk:orders", fresh, "shopify:us:orders",
                               fresh, "shopify:us:products", fresh, "amazon:ATVPDKIKX0DER:orders",
                               fresh, "shopify:bad", fresh);
    json_t *providers = json_pack("{ssss}", "shopify", "{\"configured\": true}", "amazon",
                                  "{\"configured\": true}");
    json_t *doc = integrations_status_doc(status, providers, now);
    json_t *shop = json_object_get(json_object_get(doc, "sources"), "shopify");
    json_t *accts = json_object_get(shop, "accounts");
    CHECK_INT(json_object_size(accts), 2);
    json_t *us = json_object_get(accts, "us");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(us, "orders"), "freshness_s")), 60);
    CHECK(json_is_true(json_object_get(json_object_get(us, "inventory"), "stale")));
    CHECK_INT(json_object_size(json_object_get(accts, "uk")), 3);
    CHECK_INT(json_object_size(json_object_get(shop, "resources")), 0);
    json_t *amazon = json_object_get(json_object_get(doc, "sources"), "amazon");
    json_t *mkt = json_object_get(json_object_get(amazon, "accounts"), "ATVPDKIKX0DER");
    CHECK(json_is_false(json_object_get(json_object_get(mkt, "orders"), "stale")));
    CHECK(json_is_false(json_object_get(doc, "ok"))); /* inventory never synced */
    json_decref(doc);
    json_decref(status);
    json_decref(providers);
}
