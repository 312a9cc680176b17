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

TEST(shopify_topics)
{
    CHECK(shopify_topic_valid("orders/create", 13));
    CHECK(shopify_topic_valid("inventory_levels/update", 23));
    CHECK(!shopify_topic_valid("orders", 6));
    CHECK(!shopify_topic_valid("orders/", 7));
    CHECK(!shopify_topic_valid("/create", 7));
    CHECK(!shopify_topic_valid("Orders/create", 13));
    CHECK(!shopify_topic_valid("orders/create/x", 15));
    CHECK(!shopify_topic_valid("orders/cre ate", 14));
    char *t = shopify_job_type("inventory_levels/update", 23);
    CHECK_STR(t, "shopify.inventory_levels_update");
    free(t);
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
