/*
 * tests/api/test_webhooks.c: the pure parts of the Shopify and Xero
 * routes — published HMAC vectors, topic validation and job types, Xero
 * dedup keys — and request-id validation.
 */
#include <stdlib.h>

#include "api/request.h"
#include "api/hooks/shopify.h"
#include "api/hooks/xero.h"
#include "tests/test.h"

TEST(shopify_vector)
{
    const char *body = "{\"foo\": \"bar\"}";
    const char *sig = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";
    CHECK(shopify_hmac_valid("test_secret_key", body, strlen(body), sig, strlen(sig)));
    CHECK(!shopify_hmac_valid("test_secret_kez", body, strlen(body), sig, strlen(sig)));
    CHECK(!shopify_hmac_valid("test_secret_key", "{\"foo\": \"baz\"}", strlen(body), sig,
                              strlen(sig)));
    CHECK(!shopify_hmac_valid("test_secret_key", body, strlen(body), sig, 10));
}

TEST(xero_vector)
{
    const char *body = "{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,"
                       "\"entropy\":\"S0m3r4Nd0mt3xt\"}";
    const char *sig = "kag72VflOGCsBmRZ81S1v8c36JlXM42Ff/0ooktu2oE=";
    CHECK(shopify_hmac_valid("test_webhook_key", body, strlen(body), sig, strlen(sig)));
}

TEST(shopify_topic_table)
{
    CHECK(shopify_topic_valid("orders/create", 13));
    CHECK(shopify_topic_valid("inventory_levels/update", 23));
    CHECK(!shopify_topic_valid("orders", 6));
    CHECK(!shopify_topic_valid("orders/", 7));
    CHECK(!shopify_topic_valid("/create", 7));
    CHECK(!shopify_topic_valid("Orders/create", 13));
    CHECK(!shopify_topic_valid("orders/create/x", 15));
    CHECK(!shopify_topic_valid("orders/cre ate", 14));
    CHECK_STR(shopify_job_type("inventory_levels/update", 23), "shopify.inventory_levels_update");
    CHECK_STR(shopify_job_type("customers/data_request", 22), "privacy.customer_data_request");
    CHECK_STR(shopify_job_type("customers/redact", 16), "privacy.customer_redact");
    CHECK_STR(shopify_job_type("shop/redact", 11), "privacy.shop_redact");
    CHECK(shopify_job_type("sync/orders", 11) == NULL);
    CHECK(shopify_job_type("orders/create_", 14) == NULL);
    for (size_t i = 0; i < shopify_topic_count(); i++)
        CHECK(shopify_topic_valid(shopify_topics[i].topic, strlen(shopify_topics[i].topic)));
}

TEST(shopify_dedup_key_covers_topic_shop_body)
{
    char *a = shopify_dedup_key("uk", "orders/create", 13, "a.myshopify.com", 15, "{}", 2);
    char *b = shopify_dedup_key("uk", "orders/create", 13, "a.myshopify.com", 15, "{}", 2);
    char *c = shopify_dedup_key("us", "orders/create", 13, "a.myshopify.com", 15, "{}", 2);
    char *d = shopify_dedup_key("uk", "orders/paid", 11, "a.myshopify.com", 15, "{}", 2);
    char *e = shopify_dedup_key("uk", "orders/create", 13, "a.myshopify.co", 14, "m{}", 3);
    CHECK(strncmp(a, "shopify:uk:", 11) == 0 && strlen(a) == 11 + 64);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0 && strcmp(a, d) != 0 && strcmp(a, e) != 0);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
}

TEST(xero_dedup_keys)
{
    json_t *ev = json_pack("{ssssssssss}", "tenantId", "t-1", "eventCategory", "INVOICE",
                           "resourceId", "r-9", "eventDateUtc", "2017-06-21T01:15:39.902",
                           "eventType", "UPDATE");
    char *k = xero_dedup_key(ev);
    CHECK_STR(k, "xero:t-1:INVOICE:r-9:2017-06-21T01:15:39.902:UPDATE");
    free(k);
    json_object_set_new(ev, "resourceId", json_string("a\nb"));
    CHECK(xero_dedup_key(ev) == NULL);
    json_object_del(ev, "resourceId");
    CHECK(xero_dedup_key(ev) == NULL);
    json_decref(ev);
}

TEST(request_ids)
{
    CHECK(api_request_id_valid("abc-DEF_1.2", 11));
    CHECK(!api_request_id_valid("", 0));
    CHECK(!api_request_id_valid("a b", 3));
    CHECK(!api_request_id_valid("a\"b", 3));
    char long_id[200];
    memset(long_id, 'a', sizeof long_id);
    CHECK(api_request_id_valid(long_id, 128));
    CHECK(!api_request_id_valid(long_id, 129));
}
