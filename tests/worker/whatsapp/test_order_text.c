/*
 * tests/worker/whatsapp/test_order_text.c: parsing WhatsApp texts into commands
 * (worker/whatsapp/order_text.c), cases worked by hand: the item forms, case and
 * Unicode tolerance, quantity limits, merging, bounds on huge bodies, and
 * hostile text (emoji, other scripts, SQL-looking input).
 */
#include <stdlib.h>

#include "lib/mem.h"
#include "tests/test.h"
#include "worker/whatsapp/order_text.h"

static struct order_text_command *parse(const char *s)
{
    static struct order_text_command *c;
    free(c);
    c = mem_calloc(1, sizeof *c);
    order_text_parse(s, strlen(s), c);
    return c;
}

/* The command's JSON as text (compact, keys sorted); freed at the next call. */
static const char *as_json(const struct order_text_command *c)
{
    static char *text;
    free(text);
    json_t *j = order_text_command_json(c, 0, 8);
    text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return text;
}

TEST(order_quantity_first_items)
{
    struct order_text_command *c = parse("ORDER 2 SKU-1, 1 SKU-2");
    CHECK_INT(c->cmd, ORDER_TEXT_ORDER);
    CHECK_INT(c->nitems, 2);
    CHECK_STR(c->items[0].sku, "SKU-1");
    CHECK_INT(c->items[0].qty, 2);
    CHECK_STR(c->items[1].sku, "SKU-2");
    CHECK_INT(c->items[1].qty, 1);
    CHECK_STR(as_json(c), "{\"cmd\":\"order\",\"items\":[{\"qty\":2,\"sku\":\"SKU-1\"},"
                          "{\"qty\":1,\"sku\":\"SKU-2\"}],\"problems\":[]}");
}

TEST(order_every_item_form)
{
    struct order_text_command *c =
        parse("order:\n2x SKU-1\n3 x sku-2\nSKU-3 x4\nSKU-4 x 5\nsku-5; 6 SKU-6");
    CHECK_INT(c->nitems, 6);
    const char *skus[] = {"SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5", "SKU-6"};
    const long long qty[] = {2, 3, 4, 5, 1, 6};
    for (size_t i = 0; i < 6; i++) {
        CHECK_STR(c->items[i].sku, skus[i]);
        CHECK_INT(c->items[i].qty, qty[i]);
        CHECK_INT(c->items[i].error, ORDER_TEXT_ITEM_OK);
    }
}

TEST(order_case_and_unicode_tolerance)
{
    /* NBSP, zero-width space, en dash in the SKU, × as x, full-width comma,
     * CRLF line ends, a bullet and a thumbs-up around an item. */
    struct order_text_command *c = parse("\xEF\xBB\xBFOrDeR\xC2\xA0" "2\xC3\x97 sku\xE2\x80\x93" "1"
                                         "\xEF\xBC\x8C\xE2\x80\x8B" "1 SKU-2\r\n"
                                         "\xE2\x80\xA2 3 SKU-3 \xF0\x9F\x91\x8D");
    CHECK_INT(c->cmd, ORDER_TEXT_ORDER);
    CHECK_INT(c->nitems, 3);
    CHECK_STR(c->items[0].sku, "SKU-1");
    CHECK_INT(c->items[0].qty, 2);
    CHECK_STR(c->items[1].sku, "SKU-2");
    CHECK_STR(c->items[2].sku, "SKU-3");
    CHECK_INT(c->items[2].qty, 3);
}

TEST(order_quantity_limits)
{
    struct order_text_command *c =
        parse("ORDER 0 A, 1 B, 10000 C, 10001 D, -2 E, 1.5 F, 123456789012345678901234567890 G");
    CHECK_INT(c->nitems, 7);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_STR(c->items[0].qty_text, "0");
    CHECK_INT(c->items[1].error, ORDER_TEXT_ITEM_OK);
    CHECK_INT(c->items[2].error, ORDER_TEXT_ITEM_OK);
    CHECK_INT(c->items[2].qty, 10000);
    CHECK_INT(c->items[3].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_INT(c->items[4].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_STR(c->items[4].qty_text, "-2");
    CHECK_STR(c->items[4].sku, "E");
    CHECK_INT(c->items[5].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_STR(c->items[5].qty_text, "1.5");
    CHECK_INT(c->items[6].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_STR(c->items[6].qty_text, "123456789012345678901234\xE2\x80\xA6"); /* 24 + … */
    CHECK(strstr(as_json(c), "{\"error\":\"quantity\",\"qty_text\":\"0\",\"sku\":\"A\"}") != NULL);
}

TEST(order_duplicates_are_merged)
{
    struct order_text_command *c = parse("ORDER 2 SKU-1, 3 sku-1, 1 SKU-2");
    CHECK_INT(c->nitems, 2);
    CHECK_STR(c->items[0].sku, "SKU-1");
    CHECK_INT(c->items[0].qty, 5);
    c = parse("ORDER 6000 SKU-1, 6000 SKU-1");
    CHECK_INT(c->nitems, 1);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_QUANTITY);
    CHECK_STR(c->items[0].qty_text, "12000");
}

TEST(order_unreadable_items_are_reported)
{
    struct order_text_command *c = parse("ORDER 2 SKU-1 please, two SKU-2 now, 2");
    CHECK_INT(c->nitems, 3);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK_STR(c->items[0].text, "2 SKU-1 please");
    CHECK_INT(c->items[1].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK_INT(c->items[2].error, ORDER_TEXT_ITEM_OK); /* a numeric SKU "2", quantity 1 */
    CHECK_STR(c->items[2].sku, "2");
    CHECK(strstr(as_json(c), "{\"error\":\"unreadable\",\"text\":\"2 SKU-1 please\"}") != NULL);
}

TEST(order_without_items)
{
    struct order_text_command *c = parse("ORDER");
    CHECK_INT(c->cmd, ORDER_TEXT_ORDER);
    CHECK_INT(c->nitems, 0);
    CHECK_STR(as_json(c), "{\"cmd\":\"order\",\"items\":[],\"problems\":[{\"problem\":\"no_items\"}]}");
    c = parse("ORDER \xF0\x9F\x8D\x95\xF0\x9F\x8D\x95 , ,");
    CHECK_INT(c->nitems, 0);
}

TEST(order_with_too_many_items_stops_reading)
{
    char body[2048] = "ORDER ";
    for (int i = 0; i < 60; i++) {
        char item[24];
        snprintf(item, sizeof item, "1 S%d,", i);
        strcat(body, item);
    }
    struct order_text_command *c = parse(body);
    CHECK_INT(c->nitems, ORDER_TEXT_ITEMS_MAX);
    CHECK(c->too_many_items);
    CHECK(strstr(as_json(c), "{\"max\":50,\"problem\":\"too_many_items\"}") != NULL);
    c = parse("ORDER 1 A, 1 A, 1 A");
    CHECK(!c->too_many_items);
}

TEST(long_bodies_are_bounded)
{
    size_t n = 5000;
    char *body = mem_alloc(n + 1);
    memset(body, 'a', n);
    body[n] = '\0';
    struct order_text_command *c = parse(body);
    CHECK_INT(c->cmd, ORDER_TEXT_UNKNOWN);
    /* 5 000 characters of one order: the first 50 items are read, the rest is refused */
    size_t o = (size_t)snprintf(body, n + 1, "ORDER ");
    for (int i = 0; o + 12 < n; i++)
        o += (size_t)snprintf(body + o, n + 1 - o, "1 X%d\n", i);
    c = parse(body);
    CHECK_INT(c->nitems, ORDER_TEXT_ITEMS_MAX);
    CHECK(c->too_many_items);
    free(body);
    /* a single 5 000-character "SKU" is no SKU */
    body = mem_alloc(n + 1);
    memcpy(body, "ORDER 1 ", 8);
    memset(body + 8, 'Z', n - 8);
    body[n] = '\0';
    c = parse(body);
    CHECK_INT(c->nitems, 1);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK(strlen(c->items[0].text) <= ORDER_TEXT_ECHO_CP * 4 + 3);
    free(body);
}

TEST(hostile_text)
{
    struct order_text_command *c = parse("ORDER 1 SKU-1'; DROP TABLE orders;--");
    CHECK_INT(c->cmd, ORDER_TEXT_ORDER);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK_STR(c->items[0].text, "1 SKU-1'");
    CHECK_INT(c->items[1].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK_STR(c->items[1].text, "DROP TABLE orders");
    c = parse("'; DELETE FROM orders WHERE '1'='1");
    CHECK_INT(c->cmd, ORDER_TEXT_UNKNOWN);
    c = parse("\xD0\x97\xD0\xB0\xD0\xBA\xD0\xB0\xD0\xB7 2 SKU-1"); /* Заказ */
    CHECK_INT(c->cmd, ORDER_TEXT_UNKNOWN);
    c = parse("\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    CHECK_INT(c->cmd, ORDER_TEXT_UNKNOWN);
    c = parse("ORDER 2 \xE5\x95\x86\xE5\x93\x81-1"); /* 商品-1 */
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
    c = parse("ORDER 2 SKU\xFF" "1"); /* invalid UTF-8 */
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
    CHECK_STR(c->items[0].text, "2 SKU\xEF\xBF\xBD" "1");
    const char nul[] = "ORDER 2 A\0B";
    order_text_parse(nul, sizeof nul - 1, c);
    CHECK_INT(c->items[0].error, ORDER_TEXT_ITEM_UNREADABLE);
}

TEST(empty_and_blank)
{
    CHECK_INT(parse("")->cmd, ORDER_TEXT_EMPTY);
    CHECK_INT(parse(" \n\t\xC2\xA0\xE3\x80\x80")->cmd, ORDER_TEXT_EMPTY);
    struct order_text_command *c = parse("");
    json_t *j = order_text_command_json(c, 1, 8);
    CHECK(json_is_true(json_object_get(j, "media")));
    json_decref(j);
}

TEST(status_and_cancel_numbers)
{
    struct order_text_command *c = parse("status");
    CHECK_INT(c->cmd, ORDER_TEXT_STATUS);
    CHECK(!c->has_number && !c->bad_number);
    CHECK_STR(as_json(c), "{\"cmd\":\"status\"}");
    c = parse("STATUS #1001");
    CHECK(c->has_number);
    CHECK_INT(c->number, 1001);
    CHECK_STR(as_json(c), "{\"cmd\":\"status\",\"number\":1001}");
    c = parse("Cancel 1002 please");
    CHECK_INT(c->cmd, ORDER_TEXT_CANCEL);
    CHECK_INT(c->number, 1002);
    c = parse("CANCEL");
    CHECK_STR(as_json(c), "{\"cmd\":\"cancel\",\"problem\":\"no_number\"}");
    c = parse("cancel abc");
    CHECK_STR(as_json(c), "{\"cmd\":\"cancel\",\"problem\":\"bad_number\",\"text\":\"abc\"}");
    c = parse("STATUS 1234567890123456");
    CHECK(c->bad_number);
    c = parse("STATUS -5");
    CHECK(c->bad_number);
}

TEST(catalog_pages)
{
    CHECK_INT(parse("CATALOG")->page, 1);
    CHECK_INT(parse("catalogue 3")->page, 3);
    CHECK_INT(parse("CATALOG 0")->page, 1);
    CHECK_INT(parse("CATALOG x")->page, 1);
    CHECK_INT(parse("CATALOG 99999999999999")->page, ORDER_TEXT_PAGE_MAX);
    CHECK_STR(as_json(parse("CATALOG 2")), "{\"cmd\":\"catalog\",\"page\":2,\"page_size\":8}");
}

TEST(help_and_unknown)
{
    CHECK_INT(parse("help")->cmd, ORDER_TEXT_HELP);
    CHECK_INT(parse("?")->cmd, ORDER_TEXT_HELP);
    CHECK_INT(parse("Hi")->cmd, ORDER_TEXT_HELP);
    CHECK_INT(parse("ordering stuff")->cmd, ORDER_TEXT_UNKNOWN);
    CHECK_INT(parse("2 SKU-1")->cmd, ORDER_TEXT_UNKNOWN);
    CHECK_STR(as_json(parse("what?")), "{\"cmd\":\"unknown\"}");
    CHECK_STR(order_text_cmd_name(ORDER_TEXT_CATALOG), "catalog");
}
