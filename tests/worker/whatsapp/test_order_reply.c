/*
 * tests/worker/whatsapp/test_order_reply.c: the replies built from stored outcomes
 * (worker/whatsapp/order_reply.c): exact texts for each command, and the 1600-unit
 * limit with the longest lists, names and SKUs (ASCII, emoji, CJK).
 */
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "tests/test.h"
#include "worker/whatsapp/order_reply.h"
#include "worker/whatsapp/order_text.h"
#include "worker/whatsapp/wa_text.h"

/* The reply for an outcome written as JSON; freed at the next call. */
static const char *reply(const char *outcome_json)
{
    static char *text;
    free(text);
    text = NULL;
    json_error_t err;
    json_t *o = json_loads(outcome_json, 0, &err);
    if (o == NULL) {
        fprintf(stderr, "bad test JSON: %s\n", err.text);
        return "";
    }
    text = order_reply_build(o);
    json_decref(o);
    return text;
}

static size_t units(const char *s)
{
    return wa_text_units(s, strlen(s));
}

TEST(order_placed)
{
    CHECK_STR(reply("{\"cmd\":\"order\",\"ok\":true,\"order\":{\"number\":1001,\"status\":\"pending\","
                    "\"currency\":\"GBP\",\"total\":\"28.00\",\"lines\":["
                    "{\"sku\":\"SKU-1\",\"name\":\"Widget\",\"qty\":2,\"unit_price\":\"12.50\",\"line_total\":\"25.00\"},"
                    "{\"sku\":\"SKU-2\",\"name\":\"Gadget\",\"qty\":1,\"unit_price\":\"3.00\",\"line_total\":\"3.00\"}]}}"),
              "Thank you! Order 1001 is placed (pending):\n"
              "2 x SKU-1 Widget @ 12.50 = 25.00\n"
              "1 x SKU-2 Gadget @ 3.00 = 3.00\n"
              "Total 28.00 GBP\n"
              "Reply STATUS 1001 to follow it or CANCEL 1001 to cancel it.");
}

TEST(order_problems_name_each_one)
{
    CHECK_STR(reply("{\"cmd\":\"order\",\"ok\":false,\"problems\":["
                    "{\"problem\":\"unknown_sku\",\"sku\":\"SKU-9\"},"
                    "{\"problem\":\"inactive\",\"sku\":\"SKU-3\"},"
                    "{\"problem\":\"quantity\",\"sku\":\"SKU-1\",\"qty_text\":\"0\"},"
                    "{\"problem\":\"stock\",\"sku\":\"SKU-2\",\"requested\":9,\"available\":4},"
                    "{\"problem\":\"unreadable\",\"text\":\"2 SKU-1 please\"},"
                    "{\"problem\":\"currency\",\"sku\":\"EUR-1\",\"currency\":\"EUR\",\"order_currency\":\"GBP\"},"
                    "{\"problem\":\"duplicate\",\"sku\":\"SKU-4\"},"
                    "{\"problem\":\"too_many_items\",\"max\":50},"
                    "{\"problem\":\"no_items\"}]}"),
              "Sorry, that order could not be placed:\n"
              "- SKU-9: no such product\n"
              "- SKU-3: no longer sold\n"
              "- SKU-1: quantity 0 is not allowed (a whole number from 1 to 10000)\n"
              "- SKU-2: not enough stock (you asked for 9, 4 available)\n"
              "- \"2 SKU-1 please\": not an item; write e.g. 2 SKU-1\n"
              "- EUR-1: priced in EUR but the order is in GBP; order it separately\n"
              "- SKU-4: listed twice\n"
              "- too many items: at most 50 per order\n"
              "- no items; write e.g. ORDER 2 SKU-1, 1 SKU-2\n"
              "Nothing was ordered. Reply CATALOG to see products and stock.");
}

/* Issue 17 §5: each per-customer limit is named with its number and what to do. */
TEST(order_limits_say_which_limit_and_what_to_do)
{
    CHECK_STR(reply("{\"cmd\":\"order\",\"ok\":false,\"problems\":["
                    "{\"problem\":\"too_many_units\",\"max\":1000,\"requested\":1500}]}"),
              "Sorry, that order could not be placed:\n"
              "- too many units: you asked for 1500 in all, at most 1000 per order; order fewer\n"
              "Nothing was ordered. Reply CATALOG to see products and stock.");
    CHECK_STR(reply("{\"cmd\":\"order\",\"ok\":false,\"problems\":["
                    "{\"problem\":\"too_many_pending\",\"max\":3,\"pending\":3,"
                    "\"numbers\":[1001,1002,1004]}]}"),
              "Sorry, you can have at most 3 open orders at a time, and you have 3:\n"
              "Order 1001\nOrder 1002\nOrder 1004\n"
              "Nothing was ordered. Cancel one with CANCEL <number>, or wait until we confirm "
              "one, then send your order again. Reply STATUS to see your orders.");
}

/* A worst-case open-order list still fits one message and keeps what to do. */
TEST(pending_limit_reply_fits_with_many_orders)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"cmd\":\"order\",\"ok\":false,\"problems\":[{\"problem\":"
                 "\"too_many_pending\",\"max\":1000,\"pending\":1000,\"numbers\":[");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%s%d", i ? "," : "", 100000000 + i);
    buf_puts(&b, "]}]}");
    char *o = buf_steal(&b);
    const char *r = reply(o);
    free(o);
    CHECK(units(r) <= ORDER_REPLY_MAX);
    CHECK(strstr(r, "more\nNothing was ordered. Cancel one with CANCEL <number>") != NULL);
}

/* The expiry notice for an order written as JSON; freed at the next call (NULL: just free). */
static const char *expired(const char *order_json, long long ttl_hours)
{
    static char *text;
    free(text);
    text = NULL;
    if (order_json == NULL)
        return NULL;
    json_t *o = json_loads(order_json, 0, NULL);
    text = order_reply_expired(o, ttl_hours);
    json_decref(o);
    return text;
}

TEST(expiry_notice)
{
    CHECK_STR(expired("{\"number\":1001,\"status\":\"cancelled\",\"lines\":["
                      "{\"sku\":\"SKU-1\",\"name\":\"Widget\",\"qty\":2},"
                      "{\"sku\":\"SKU-2\",\"name\":\"Gadget\",\"qty\":1}]}",
                      48),
              "Order 1001 was cancelled: it was still pending 48 hours after it was placed. "
              "Its items are back in stock:\n"
              "2 x SKU-1 Widget\n1 x SKU-2 Gadget\n"
              "Send ORDER again to place a new one, or reply HELP.");
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"number\":1001,\"lines\":[");
    for (int i = 0; i < 50; i++)
        buf_printf(&b, "%s{\"sku\":\"SKU-%02d-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                       "\"name\":\"\xF0\x9F\x98\x80 A very long product name that goes on\","
                       "\"qty\":10000}", i ? "," : "", i);
    buf_puts(&b, "]}");
    char *o = buf_steal(&b);
    const char *r = expired(o, 8760);
    free(o);
    CHECK(units(r) <= ORDER_REPLY_MAX);
    CHECK(strstr(r, "more\nSend ORDER again to place a new one, or reply HELP.") != NULL);
    expired(NULL, 0);
}

/* Builds {"cmd":"order","ok":false,"problems":[n × unknown 64-char SKU]}. */
static char *many_problems(size_t n, const char *sku)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"cmd\":\"order\",\"ok\":false,\"problems\":[");
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s{\"problem\":\"quantity\",\"sku\":\"%s\",\"qty_text\":\"%s\"}",
                   i ? "," : "", sku, "999999999999999999999999\xE2\x80\xA6");
    buf_puts(&b, "]}");
    return buf_steal(&b);
}

TEST(long_problem_lists_are_cut_and_keep_the_tail)
{
    char sku[65];
    memset(sku, 'Q', 64);
    sku[64] = '\0';
    char *o = many_problems(50, sku);
    const char *r = reply(o);
    free(o);
    CHECK(units(r) <= ORDER_REPLY_MAX);
    CHECK(strstr(r, "\xE2\x80\xA6" "and ") != NULL);
    CHECK(strstr(r, "more\nNothing was ordered. Reply CATALOG to see products and stock.") != NULL);
}

TEST(long_orders_are_cut_and_keep_the_total)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"cmd\":\"order\",\"ok\":true,\"order\":{\"number\":1001,\"status\":\"pending\","
                 "\"currency\":\"GBP\",\"total\":\"999999999999.99\",\"lines\":[");
    for (int i = 0; i < 50; i++)
        buf_printf(&b, "%s{\"sku\":\"SKU-%02d-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                       "\"name\":\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80 A very long product name that goes on\","
                       "\"qty\":10000,\"unit_price\":\"99999999.99\",\"line_total\":\"999999999999.99\"}",
                   i ? "," : "", i);
    buf_puts(&b, "]}}");
    char *o = buf_steal(&b);
    const char *r = reply(o);
    free(o);
    CHECK(units(r) <= ORDER_REPLY_MAX);
    CHECK(strstr(r, "Thank you! Order 1001 is placed (pending):\n10000 x SKU-00-") == r);
    CHECK(strstr(r, "more\nTotal 999999999999.99 GBP\nReply STATUS 1001") != NULL);
}

TEST(status_replies)
{
    CHECK_STR(reply("{\"cmd\":\"status\",\"ok\":true,\"orders\":[]}"),
              "You have no orders yet. Send e.g. ORDER 2 SKU-1 to place one.");
    CHECK_STR(reply("{\"cmd\":\"status\",\"number\":7,\"ok\":false,\"problem\":\"not_found\"}"),
              "We found no order 7 of yours. Reply STATUS to see your orders.");
    CHECK_STR(reply("{\"cmd\":\"status\",\"problem\":\"bad_number\",\"text\":\"abc\",\"ok\":false}"),
              "\"abc\" is not an order number. Reply STATUS 1001 with your order's number.");
    CHECK_STR(reply("{\"cmd\":\"status\",\"number\":1001,\"ok\":true,\"orders\":[{\"number\":1001,"
                    "\"status\":\"pending\",\"total\":\"28.00\",\"currency\":\"GBP\","
                    "\"created_at\":\"2026-11-24T00:36:59Z\",\"lines\":[{\"sku\":\"SKU-1\","
                    "\"name\":\"Widget\",\"qty\":2}]}]}"),
              "Order 1001: pending, 28.00 GBP, placed 2026-11-24\n2 x SKU-1 Widget");
    CHECK_STR(reply("{\"cmd\":\"status\",\"ok\":true,\"orders\":[{\"number\":1002,"
                    "\"status\":\"cancelled\",\"total\":\"3.00\",\"currency\":\"GBP\","
                    "\"created_at\":\"2026-11-25T00:00:00Z\",\"lines\":[]},{\"number\":1001,"
                    "\"status\":\"pending\",\"total\":\"28.00\",\"currency\":\"GBP\","
                    "\"created_at\":\"2026-11-24T00:36:59Z\",\"lines\":[]}]}"),
              "Your latest orders:\n"
              "Order 1002: cancelled, 3.00 GBP, placed 2026-11-25\n"
              "Order 1001: pending, 28.00 GBP, placed 2026-11-24\n"
              "Reply STATUS <number> for an order's lines.");
}

TEST(cancel_replies)
{
    CHECK_STR(reply("{\"cmd\":\"cancel\",\"number\":1001,\"ok\":true,\"order\":{}}"),
              "Order 1001 is cancelled. Its items are back in stock.");
    CHECK_STR(reply("{\"cmd\":\"cancel\",\"number\":1001,\"ok\":false,\"problem\":\"already_cancelled\"}"),
              "Order 1001 was already cancelled.");
    CHECK_STR(reply("{\"cmd\":\"cancel\",\"number\":1001,\"ok\":false,\"problem\":\"not_pending\","
                    "\"order\":{\"status\":\"confirmed\"}}"),
              "Order 1001 is confirmed and can no longer be cancelled here; please contact us.");
    CHECK_STR(reply("{\"cmd\":\"cancel\",\"number\":55,\"ok\":false,\"problem\":\"not_found\"}"),
              "We found no order 55 of yours. Reply STATUS to see your orders.");
    CHECK_STR(reply("{\"cmd\":\"cancel\",\"ok\":false,\"problem\":\"no_number\"}"),
              "Which order? Reply CANCEL with its number, e.g. CANCEL 1001.");
}

TEST(catalog_replies)
{
    CHECK_STR(reply("{\"cmd\":\"catalog\",\"page\":1,\"pages\":2,\"total\":9,\"products\":["
                    "{\"sku\":\"SKU-1\",\"name\":\"Widget\",\"unit_price\":\"12.50\",\"currency\":\"GBP\",\"available\":37},"
                    "{\"sku\":\"SKU-2\",\"name\":\"Gadget\",\"unit_price\":\"3.00\",\"currency\":\"GBP\",\"available\":0}]}"),
              "Catalog, page 1 of 2:\n"
              "SKU-1 - Widget - 12.50 GBP - 37 in stock\n"
              "SKU-2 - Gadget - 3.00 GBP - out of stock\n"
              "Order with e.g. ORDER 2 SKU-1. Reply CATALOG 2 for more.");
    CHECK_STR(reply("{\"cmd\":\"catalog\",\"page\":2,\"pages\":2,\"total\":9,\"products\":["
                    "{\"sku\":\"SKU-9\",\"name\":\"Last\",\"unit_price\":\"1.00\",\"currency\":\"GBP\",\"available\":1}]}"),
              "Catalog, page 2 of 2:\nSKU-9 - Last - 1.00 GBP - 1 in stock\nOrder with e.g. ORDER 2 SKU-1.");
    CHECK_STR(reply("{\"cmd\":\"catalog\",\"page\":5,\"pages\":2,\"total\":9,\"products\":[]}"),
              "There is no page 5; the catalog has 2. Reply CATALOG for page 1.");
    CHECK_STR(reply("{\"cmd\":\"catalog\",\"page\":1,\"pages\":1,\"total\":0,\"products\":[]}"),
              "No products are available right now.");
}

/* A full page of the longest ASCII SKUs and emoji names still fits whole. */
TEST(catalog_page_of_worst_case_lines_fits)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"cmd\":\"catalog\",\"page\":1,\"pages\":2,\"total\":16,\"products\":[");
    for (int i = 0; i < ORDER_REPLY_CATALOG_PAGE; i++) {
        buf_printf(&b, "%s{\"sku\":\"%02d", i ? "," : "", i);
        for (int k = 0; k < 70; k++)
            buf_putc(&b, 'S');
        buf_puts(&b, "\",\"name\":\"");
        for (int k = 0; k < 40; k++)
            buf_puts(&b, "\xF0\x9F\x98\x80");
        buf_puts(&b, "\",\"unit_price\":\"999999999999.99\",\"currency\":\"GBP\",\"available\":2147483647}");
    }
    buf_puts(&b, "]}");
    char *o = buf_steal(&b);
    const char *r = reply(o);
    free(o);
    CHECK(units(r) <= ORDER_REPLY_MAX);
    CHECK(strstr(r, "more\n") == NULL); /* nothing was cut */
    CHECK(strstr(r, "Reply CATALOG 2 for more.") != NULL);
}

TEST(help_unknown_empty)
{
    const char *h = order_reply_help();
    CHECK_STR(reply("{\"cmd\":\"help\"}"), h);
    const char *r = reply("{\"cmd\":\"unknown\"}");
    CHECK(strncmp(r, "Sorry, I did not understand that.\n", 34) == 0);
    CHECK_STR(r + 34, h);
    CHECK(strncmp(reply("{\"cmd\":\"empty\"}"), "Your message was empty.\n", 24) == 0);
    CHECK(strncmp(reply("{\"cmd\":\"empty\",\"media\":true}"), "I can only read text messages.\n", 31) == 0);
    CHECK(strncmp(reply("{}"), "Sorry, I did not understand that.\n", 34) == 0);
    CHECK(units(h) < 400);
}

/* Parsing then replying: a 5 000-character order gives a bounded, clear reply. */
TEST(parse_then_reply_round_trip)
{
    struct order_text_command *c = mem_calloc(1, sizeof *c);
    const char *body = "ORDER 0 SKU-1, 2 \xF0\x9F\x8D\x95 SKU-1 now, -3 SKU-2";
    order_text_parse(body, strlen(body), c);
    json_t *cmd = order_text_command_json(c, 0, ORDER_REPLY_CATALOG_PAGE);
    /* what whatsapp_place_order adds when it finds nothing else wrong */
    json_t *problems = json_array();
    json_array_append_new(problems, json_pack("{s:s,s:s,s:s}", "problem", "quantity", "sku", "SKU-1", "qty_text", "0"));
    json_array_append_new(problems, json_pack("{s:s,s:s}", "problem", "unreadable", "text",
                                              json_string_value(json_object_get(
                                                  json_array_get(json_object_get(cmd, "items"), 1), "text"))));
    json_object_set_new(cmd, "ok", json_false());
    json_object_set_new(cmd, "problems", problems);
    static char *r;
    r = order_reply_build(cmd);
    json_decref(cmd);
    free(c);
    CHECK(strstr(r, "- SKU-1: quantity 0 is not allowed") != NULL);
    CHECK(strstr(r, "- \"2 \xF0\x9F\x8D\x95 SKU-1 now\": not an item") != NULL);
    free(r);
}
