/*
 * tests/worker/providers/test_shopify.c: Shopify URLs, the Link header (shopify-api's
 * own format, external-apis.md §4), the call-limit header and the mapping of
 * orders, variants and levels — including ids above 2^53.
 */
#include <stdlib.h>

#include "worker/providers/shopify.h"

#include "tests/test.h"

#define BASE "https://shop.myshopify.com/admin/api/2025-07"

TEST(first_urls)
{
    char *u = shopify_first_url(BASE, SHOPIFY_ORDERS, -1);
    CHECK_STR(u, BASE "/orders.json?status=any&limit=250&order=updated_at+asc");
    free(u);
    u = shopify_first_url(BASE, SHOPIFY_PRODUCTS, 1704067201000LL);
    CHECK_STR(u, BASE "/products.json?limit=250&order=updated_at+asc"
                      "&updated_at_min=2024-01-01T00:00:00.000Z");
    free(u);
    u = shopify_first_url(BASE, SHOPIFY_INVENTORY, -1);
    CHECK_STR(u, BASE "/locations.json");
    free(u);
    const char *why = NULL;
    json_t *doc = json_loads("{\"locations\":[{\"id\":1},{\"id\":22}]}", 0, NULL);
    u = shopify_levels_url(BASE, doc, -1, &why);
    CHECK_STR(u, BASE "/inventory_levels.json?location_ids=1,22&limit=250");
    free(u);
    json_decref(doc);
    doc = json_loads("{\"locations\":[{\"id\":\"x\"}]}", 0, NULL);
    CHECK(shopify_levels_url(BASE, doc, -1, &why) == NULL);
    CHECK_STR(why, "a location has no integer id");
    json_decref(doc);
}

TEST(link_header)
{
    bool foreign;
    char *n = shopify_next_link(
        "<" BASE "/products.json?page_info=abc&limit=50>; rel=\"previous\", <" BASE
        "/products.json?page_info=XYZ&limit=50>; rel=\"next\"", BASE, &foreign);
    CHECK_STR(n, BASE "/products.json?page_info=XYZ&limit=50");
    CHECK(!foreign);
    free(n);
    n = shopify_next_link("<" BASE "/products.json?page_info=abc>; rel=\"previous\"", BASE, &foreign);
    CHECK(n == NULL && !foreign);
    CHECK(shopify_next_link(NULL, BASE, &foreign) == NULL);
    n = shopify_next_link("<https://evil.example/x?page_info=1>; rel=\"next\"", BASE, &foreign);
    CHECK(n == NULL && foreign);
    n = shopify_next_link("<" BASE "evil/x>; rel=\"next\"", BASE, &foreign);
    CHECK(n == NULL && foreign);
    n = shopify_next_link("garbage", BASE, &foreign);
    CHECK(n == NULL && !foreign);
}

TEST(call_limit)
{
    int used, size;
    CHECK(shopify_call_limit("32/40", &used, &size));
    CHECK_INT(used, 32);
    CHECK_INT(size, 40);
    CHECK(!shopify_call_limit("32/40x", &used, &size));
    CHECK(!shopify_call_limit("40", &used, &size));
}

static const char order_json[] =
    "{\"id\": 820982911946154508, \"name\": \"#1001\", \"created_at\": \"2008-01-10T11:00:00-05:00\","
    " \"updated_at\": \"2008-01-10T11:00:00-05:00\", \"cancelled_at\": null, \"currency\": \"USD\","
    " \"total_price\": \"598.94\", \"financial_status\": \"paid\", \"line_items\": ["
    "  {\"sku\": \"IPOD2008GREEN\", \"name\": \"IPod Nano - 8gb - green\", \"quantity\": 1, \"price\": \"199.00\"},"
    "  {\"sku\": null, \"title\": \"Gift\", \"quantity\": 2, \"price\": \"0.50\"},"
    "  {\"sku\": \"GONE\", \"quantity\": 0, \"price\": \"1.00\"}]}";

TEST(order_row)
{
    struct provider_map m = {.what = "order"};
    json_t *o = json_loads(order_json, 0, NULL);
    json_t *row = shopify_order_row(o, &m);
    CHECK(row != NULL);
    CHECK_STR(json_string_value(json_object_get(row, "external_id")), "820982911946154508");
    CHECK_STR(json_string_value(json_object_get(row, "status")), "confirmed");
    CHECK_STR(json_string_value(json_object_get(row, "total")), "598.94");
    CHECK_STR(json_string_value(json_object_get(row, "placed_at")), "2008-01-10T16:00:00.000Z");
    json_t *lines = json_object_get(row, "lines");
    CHECK_INT(json_array_size(lines), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(lines, 1), "sku")), "");
    CHECK_STR(json_string_value(json_object_get(json_array_get(lines, 1), "name")), "Gift");
    json_decref(row);
    json_object_set_new(o, "cancelled_at", json_string("2008-01-11T00:00:00Z"));
    row = shopify_order_row(o, &m);
    CHECK_STR(json_string_value(json_object_get(row, "status")), "cancelled");
    json_decref(row);
    json_object_set_new(o, "total_price", json_string("12,00"));
    CHECK(shopify_order_row(o, &m) == NULL);
    CHECK_STR(m.why, "order 0: total_price is not a decimal");
    json_decref(o);
}

TEST(page_rows_whole_or_nothing)
{
    char why[256];
    size_t skipped;
    const char good[] = "{\"products\":[{\"title\":\"T\",\"updated_at\":\"2024-01-01T00:00:00Z\","
                        "\"variants\":[{\"id\":1,\"sku\":\"A\",\"price\":\"2.50\",\"inventory_item_id\":9,"
                        "\"title\":\"Default Title\"},{\"id\":2,\"sku\":null,\"price\":\"1\"},"
                        "{\"id\":3,\"sku\":\"B\",\"price\":\"3\",\"title\":\"Large\"}]}]}";
    json_t *rows = shopify_page_rows(SHOPIFY_PRODUCTS, good, sizeof good - 1, "GBP", &skipped, why,
                                     sizeof why);
    CHECK(rows != NULL);
    CHECK_INT(json_array_size(rows), 2);
    CHECK_INT(skipped, 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "T");
    CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1), "name")), "T - Large");
    CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "inventory_item_id")), "9");
    json_decref(rows);
    const char trunc[] = "{\"orders\":[{\"id\":1,";
    CHECK(shopify_page_rows(SHOPIFY_ORDERS, trunc, sizeof trunc - 1, "GBP", &skipped, why,
                            sizeof why) == NULL);
    CHECK(strncmp(why, "malformed JSON", 14) == 0);
    const char level[] = "{\"inventory_levels\":[{\"inventory_item_id\":808950810,\"location_id\":"
                         "487838322,\"available\":null,\"updated_at\":\"2024-01-01T00:00:00Z\"},"
                         "{\"inventory_item_id\":1,\"location_id\":2,\"available\":\"9\","
                         "\"updated_at\":\"2024-01-01T00:00:00Z\"}]}";
    CHECK(shopify_page_rows(SHOPIFY_INVENTORY, level, sizeof level - 1, "GBP", &skipped, why,
                            sizeof why) == NULL);
    CHECK_STR(why, "inventory level 1: available is not an integer");
}
