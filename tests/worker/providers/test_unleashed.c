/*
 * tests/worker/providers/test_unleashed.c: the request signature against the vectors
 * of shared/external-apis.md §6, URLs with the page in the path, and the
 * mapping of stock and sales orders (decimal quantities, /Date(ms)/).
 */
#include <stdlib.h>

#include "worker/providers/unleashed.h"

#include "tests/test.h"

TEST(signature_vectors)
{
    char sig[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
    unleashed_signature("test_api_key", "", sig);
    CHECK_STR(sig, "aVOeI0fuXxY9y9D0CnBt9YGWSM1TcwGipP//xFVnSOw=");
    unleashed_signature("test_api_key", "pageSize=200&modifiedSince=2024-01-01", sig);
    CHECK_STR(sig, "gzczooINJri6E97B8Oy9FJkBTx++axZmaXZoIFTm5p8=");
}

TEST(urls)
{
    char *q = unleashed_query(200, 1704067201000LL);
    CHECK_STR(q, "pageSize=200&modifiedSince=2024-01-01");
    char *u = unleashed_page_url("https://api.unleashedsoftware.com", UNLEASHED_SALES_ORDERS, 3, q);
    CHECK_STR(u, "https://api.unleashedsoftware.com/SalesOrders/3?pageSize=200&modifiedSince=2024-01-01");
    free(u);
    free(q);
    q = unleashed_query(500, -1);
    CHECK_STR(q, "pageSize=500");
    free(q);
}

TEST(pages)
{
    char why[256];
    int pages;
    const char stock[] = "{\"Pagination\":{\"NumberOfItems\":1,\"PageSize\":200,\"PageNumber\":1,"
                         "\"NumberOfPages\":4},\"Items\":[{\"ProductCode\":\"UL-1\",\"WarehouseCode\":"
                         "\"MAIN\",\"QtyOnHand\":12.5,\"AvgCost\":4.125,\"LastModifiedOn\":"
                         "\"/Date(1453939200000)/\"}]}";
    json_t *rows = unleashed_page_rows(UNLEASHED_STOCK, stock, sizeof stock - 1, 200, "GBP", &pages,
                                       why, sizeof why);
    CHECK(rows != NULL);
    CHECK_INT(pages, 4);
    json_t *r = json_array_get(rows, 0);
    CHECK_STR(json_string_value(json_object_get(r, "location")), "unleashed:MAIN");
    CHECK_STR(json_string_value(json_object_get(r, "on_hand")), "12.5");
    CHECK_STR(json_string_value(json_object_get(r, "avg_cost")), "4.125");
    CHECK_STR(json_string_value(json_object_get(r, "updated_at")), "2016-01-28T00:00:00.000Z");
    json_decref(rows);
    const char so[] = "{\"Pagination\":{\"NumberOfPages\":1},\"Items\":[{\"Guid\":\"g-1\","
                      "\"OrderNumber\":\"SO-1\",\"OrderStatus\":\"Parked\",\"OrderDate\":\"/Date(0)/\","
                      "\"LastModifiedOn\":\"/Date(1000)/\",\"Total\":15.0,\"Currency\":{\"CurrencyCode\":"
                      "\"GBP\"},\"SalesOrderLines\":[{\"LineNumber\":1,\"Product\":{\"ProductCode\":\"UL-1\"},"
                      "\"OrderQuantity\":2.5,\"UnitPrice\":5.0}]}]}";
    rows = unleashed_page_rows(UNLEASHED_SALES_ORDERS, so, sizeof so - 1, 200, "GBP", &pages, why,
                               sizeof why);
    CHECK(rows != NULL);
    r = json_array_get(rows, 0);
    CHECK_STR(json_string_value(json_object_get(r, "status")), "pending");
    CHECK_STR(json_string_value(json_object_get(r, "total")), "15");
    json_t *line = json_array_get(json_object_get(r, "lines"), 0);
    CHECK_STR(json_string_value(json_object_get(line, "quantity")), "2.5");
    json_decref(rows);
    const char nopages[] = "{\"Items\":[]}";
    CHECK(unleashed_page_rows(UNLEASHED_PRODUCTS, nopages, sizeof nopages - 1, 200, "GBP", &pages,
                              why, sizeof why) == NULL);
    CHECK_STR(why, "Pagination.NumberOfPages is missing");
}
