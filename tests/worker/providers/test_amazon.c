/*
 * tests/worker/test_amazon.c: Amazon SP-API rules (worker/providers/amazon.c)
 * against the documented example answers (shared/external-apis.md §12.8)
 * and malformed ones: LWA answers, URLs, verdicts and waits, dates, the
 * order and item mapping (statuses, exact money), the cursor.
 */
#include <stdlib.h>

#include "worker/providers/amazon.h"

#include "tests/test.h"

/* §12.8's getOrders example (the sandbox's TEST_CASE_200), as documented. */
static const char orders_example[] =
    "{\"payload\":{\"Orders\":[{\"AmazonOrderId\":\"902-1845936-5435065\","
    "\"PurchaseDate\":\"1970-01-19T03:58:30Z\",\"LastUpdateDate\":\"1970-01-19T03:58:32Z\","
    "\"OrderStatus\":\"Unshipped\",\"FulfillmentChannel\":\"MFN\",\"SalesChannel\":\"Amazon.com\","
    "\"ShipServiceLevel\":\"Std US D2D Dom\",\"OrderTotal\":{\"CurrencyCode\":\"USD\","
    "\"Amount\":\"11.01\"},\"NumberOfItemsShipped\":0,\"NumberOfItemsUnshipped\":1,"
    "\"PaymentMethod\":\"Other\",\"PaymentMethodDetails\":[\"Standard\"],"
    "\"IsReplacementOrder\":false,\"MarketplaceId\":\"ATVPDKIKX0DER\","
    "\"ShipmentServiceLevelCategory\":\"Standard\",\"OrderType\":\"StandardOrder\","
    "\"EarliestShipDate\":\"1970-01-19T03:59:27Z\",\"LatestShipDate\":\"1970-01-19T04:05:13Z\","
    "\"IsBusinessOrder\":false,\"IsPrime\":false,\"IsPremiumOrder\":false,"
    "\"IsGlobalExpressEnabled\":false,\"IsSoldByAB\":false,\"IsIBA\":false,\"IsISPU\":false,"
    "\"IsAccessPointOrder\":false,\"EasyShipShipmentStatus\":\"PendingPickUp\","
    "\"ElectronicInvoiceStatus\":\"NotRequired\"}],\"CreatedBefore\":\"1.569521782042E9\"}}";

/* §12.8's getOrderItems example. */
static const char items_example[] =
    "{\"payload\":{\"AmazonOrderId\":\"902-1845936-5435065\",\"OrderItems\":[{\"ASIN\":"
    "\"B00551Q3CS\",\"OrderItemId\":\"05015851154158\",\"SellerSKU\":\"NABetaASINB00551Q3CS\","
    "\"Title\":\"B00551Q3CS [Card Book]\",\"QuantityOrdered\":1,\"QuantityShipped\":0,"
    "\"ProductInfo\":{\"NumberOfItems\":\"1\"},\"ItemPrice\":{\"CurrencyCode\":\"USD\","
    "\"Amount\":\"10.00\"},\"ItemTax\":{\"CurrencyCode\":\"USD\",\"Amount\":\"1.01\"},"
    "\"PromotionDiscount\":{\"CurrencyCode\":\"USD\",\"Amount\":\"0.00\"},\"IsGift\":\"false\","
    "\"ConditionId\":\"New\",\"ConditionSubtypeId\":\"New\",\"IsTransparency\":false,"
    "\"SerialNumberRequired\":false,\"BuyerRequestedCancel\":{\"IsBuyerRequestedCancel\":"
    "\"true\",\"BuyerCancelReason\":\"Found cheaper somewhere else.\"}}]}}";

static const char *row_str(const json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key));
}

/* Parses one orders page of a single order given as JSON text; the rc. */
static int one_order(const char *order, struct amazon_orders_page *p, char *why, size_t size)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"payload\":{\"Orders\":[%s]}}", order);
    return amazon_orders_page_parse(body, strlen(body), "A1F83G8C2ARO7P", p, why, size);
}

TEST(token_answers)
{
    struct amazon_token t;
    bool refused;
    char why[256];
    const char ok[] = "{\"access_token\":\"Atza|IwEBIA\",\"token_type\":\"bearer\","
                      "\"expires_in\":3600,\"refresh_token\":\"Atzr|x\"}";
    CHECK_INT(amazon_token_parse(200, ok, sizeof ok - 1, &t, &refused, why, sizeof why), 0);
    CHECK_STR(t.access_token, "Atza|IwEBIA");
    CHECK_INT(t.expires_in_s, 3600);
    CHECK(!refused);
    CHECK_INT(amazon_token_good_until(&t, 1000000), 1000000 + 3600000 - 60000);
    amazon_token_dispose(&t);
    struct amazon_token brief = {NULL, 30};
    CHECK_INT(amazon_token_good_until(&brief, 1000000), 1000000);
    const char grant[] = "{\"error\":\"invalid_grant\",\"error_description\":\"The request has "
                         "an invalid grant parameter : refresh_token\"}";
    CHECK_INT(amazon_token_parse(400, grant, sizeof grant - 1, &t, &refused, why, sizeof why), -1);
    CHECK(refused);
    CHECK_STR(why, "LWA answered HTTP 400: invalid_grant");
    CHECK(t.access_token == NULL);
    const char busy[] = "{\"error\":\"server_error\"}";
    CHECK_INT(amazon_token_parse(500, busy, sizeof busy - 1, &t, &refused, why, sizeof why), -1);
    CHECK(!refused);
    const char *bad[] = {"{\"access_token\":\"Atza|x\"}", "{\"access_token\":\"\",\"expires_in\":3600}",
                         "{\"access_token\":\"a b\",\"expires_in\":3600}",
                         "{\"access_token\":\"Atza|x\",\"expires_in\":\"3600\"}", "[", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(amazon_token_parse(200, bad[i], strlen(bad[i]), &t, &refused, why, sizeof why), -1);
    CHECK_INT(amazon_token_parse(200, NULL, 0, &t, &refused, why, sizeof why), -1);
    char *form = amazon_token_form("Atzr|a+b", "amzn1.application-oa2-client.1", "s&=t");
    CHECK_STR(form, "grant_type=refresh_token&refresh_token=Atzr%7Ca%2Bb"
                    "&client_id=amzn1.application-oa2-client.1&client_secret=s%26%3Dt");
    free(form);
}

TEST(bases_and_marketplaces)
{
    const char *why = NULL;
    char *b = amazon_api_base("eu", NULL, &why);
    CHECK_STR(b, "https://sellingpartnerapi-eu.amazon.com");
    free(b);
    b = amazon_api_base("NA", "", &why);
    CHECK_STR(b, "https://sellingpartnerapi-na.amazon.com");
    free(b);
    b = amazon_api_base("xx", "http://127.0.0.1:9000//", &why);
    CHECK_STR(b, "http://127.0.0.1:9000");
    free(b);
    CHECK(amazon_api_base("us", NULL, &why) == NULL);
    CHECK_STR(why, "AMAZON_REGION is not na, eu or fe");
    CHECK(amazon_api_base(NULL, NULL, &why) == NULL);
    char *ids = amazon_marketplace_list(" ATVPDKIKX0DER, A1F83G8C2ARO7P ", &why);
    CHECK_STR(ids, "ATVPDKIKX0DER,A1F83G8C2ARO7P");
    free(ids);
    CHECK(amazon_marketplace_list("", &why) == NULL);
    CHECK_STR(why, "no marketplace id");
    CHECK(amazon_marketplace_list("atvpdkikx0der", &why) == NULL);
    CHECK(amazon_marketplace_list("A1&x=1", &why) == NULL);
    char many[60 * 4] = "";
    for (int i = 0; i < 51; i++)
        strcat(many, "A1,");
    CHECK(amazon_marketplace_list(many, &why) == NULL);
    CHECK_STR(why, "more than 50 marketplace ids");
    CHECK_STR(amazon_marketplace_currency("A1F83G8C2ARO7P"), "GBP");
    CHECK_STR(amazon_marketplace_currency("ATVPDKIKX0DER"), "USD");
    CHECK(amazon_marketplace_currency("ZZZ") == NULL);
}

TEST(urls)
{
    char after[32];
    /* 2026-08-01T00:05:00Z with the 5-minute overlap */
    amazon_updated_after(1785542700000LL, 1790000000000LL, after);
    CHECK_STR(after, "2026-08-01T00:00:00Z");
    amazon_updated_after(1790000000000LL, 1790000000000LL, after);
    CHECK_STR(after, "2026-09-21T14:08:20Z");
    /* never closer than two minutes to now (a mark from a clock ahead) */
    amazon_updated_after(1790000600000LL, 1790000000000LL, after);
    CHECK_STR(after, "2026-09-21T14:11:20Z");
    /* first pass: two years back */
    amazon_updated_after(-1, 1790000000000LL, after);
    CHECK_STR(after, "2024-09-21T14:13:20Z");
    char *u = amazon_orders_url("https://sellingpartnerapi-na.amazon.com", "ATVPDKIKX0DER,A2",
                                "2026-08-01T00:00:00Z", 100, NULL);
    CHECK_STR(u, "https://sellingpartnerapi-na.amazon.com/orders/v0/orders?MarketplaceIds="
                 "ATVPDKIKX0DER%2CA2&LastUpdatedAfter=2026-08-01T00%3A00%3A00Z&MaxResultsPerPage=100");
    free(u);
    u = amazon_orders_url("http://h", "A1", "2026-08-01T00:00:00Z", 500, "a+b/c==");
    CHECK_STR(u, "http://h/orders/v0/orders?MarketplaceIds=A1&LastUpdatedAfter="
                 "2026-08-01T00%3A00%3A00Z&MaxResultsPerPage=100&NextToken=a%2Bb%2Fc%3D%3D");
    free(u);
    u = amazon_orders_url("http://h", "A1", "x", 0, "");
    CHECK(strstr(u, "MaxResultsPerPage=1") != NULL && strstr(u, "NextToken") == NULL);
    free(u);
    u = amazon_items_url("http://h", "902-1845936-5435065", NULL);
    CHECK_STR(u, "http://h/orders/v0/orders/902-1845936-5435065/orderItems");
    free(u);
    u = amazon_items_url("http://h", "902-1845936-5435065", "t 1");
    CHECK_STR(u, "http://h/orders/v0/orders/902-1845936-5435065/orderItems?NextToken=t+1");
    free(u);
    CHECK(amazon_items_url("http://h", "../x", NULL) == NULL);
    CHECK(amazon_items_url("http://h", "", NULL) == NULL);
    CHECK(amazon_items_url("http://h", NULL, NULL) == NULL);
}

TEST(verdicts)
{
    struct amazon_outcome o;
    const char quota[] = "{\"errors\":[{\"code\":\"QuotaExceeded\",\"message\":\"You exceeded "
                         "your quota for the requested resource.\",\"details\":\"\"}]}";
    amazon_judge(AMAZON_GET_ORDERS, 200, "0.0167", "{}", 2, &o);
    CHECK_INT(o.verdict, AMAZON_OK);
    amazon_judge(AMAZON_GET_ORDERS, 429, "0.0167", quota, sizeof quota - 1, &o);
    CHECK_INT(o.verdict, AMAZON_WAIT);
    CHECK_INT(o.wait_ms, 59881);
    CHECK_STR(o.message, "getOrders answered HTTP 429: QuotaExceeded: You exceeded your quota "
                         "for the requested resource.");
    amazon_judge(AMAZON_GET_ORDERS, 429, NULL, quota, sizeof quota - 1, &o);
    CHECK_INT(o.wait_ms, 59881);
    amazon_judge(AMAZON_GET_ORDER_ITEMS, 429, NULL, NULL, 0, &o);
    CHECK_INT(o.verdict, AMAZON_WAIT);
    CHECK_INT(o.wait_ms, 2000);
    amazon_judge(AMAZON_GET_ORDER_ITEMS, 429, "5", NULL, 0, &o);
    CHECK_INT(o.wait_ms, 1000);
    amazon_judge(AMAZON_GET_ORDER_ITEMS, 429, "garbage", NULL, 0, &o);
    CHECK_INT(o.wait_ms, 2000);
    amazon_judge(AMAZON_GET_ORDERS, 401, NULL, "", 0, &o);
    CHECK_INT(o.verdict, AMAZON_UNAUTHORISED);
    const char denied[] = "{\"errors\":[{\"code\":\"Unauthorized\"}]}";
    amazon_judge(AMAZON_GET_ORDERS, 403, NULL, denied, sizeof denied - 1, &o);
    CHECK_INT(o.verdict, AMAZON_UNAUTHORISED);
    CHECK_STR(o.message, "getOrders answered HTTP 403: Unauthorized");
    amazon_judge(AMAZON_GET_ORDERS, 500, NULL, "<html>", 6, &o);
    CHECK_INT(o.verdict, AMAZON_RETRY);
    CHECK_STR(o.message, "getOrders answered HTTP 500");
    amazon_judge(AMAZON_GET_ORDERS, 0, NULL, NULL, 0, &o);
    CHECK_INT(o.verdict, AMAZON_RETRY);
    amazon_judge(AMAZON_GET_ORDERS, 503, NULL, NULL, 0, &o);
    CHECK_INT(o.verdict, AMAZON_RETRY);
    const char invalid[] = "{\"errors\":[{\"code\":\"InvalidInput\",\"message\":\"Invalid Input\"}]}";
    amazon_judge(AMAZON_GET_ORDERS, 400, NULL, invalid, sizeof invalid - 1, &o);
    CHECK_INT(o.verdict, AMAZON_REJECTED);
    CHECK_STR(o.message, "getOrders answered HTTP 400: InvalidInput: Invalid Input");
    CHECK_INT(amazon_rate_wait_ms("0.0001"), AMAZON_WAIT_MAX_MS);
    CHECK_INT(amazon_rate_wait_ms("0"), -1);
    CHECK_INT(amazon_rate_wait_ms("-1"), -1);
    CHECK_INT(amazon_rate_wait_ms("0.5x"), -1);
    CHECK_INT(amazon_rate_wait_ms(""), -1);
}

TEST(dates)
{
    int64_t ms;
    char out[32];
    CHECK_INT(amazon_iso_ms("2024-12-25T10:30:00Z", &ms), 0);
    CHECK_INT(ms, 1735122600000LL);
    amazon_format_iso(ms, out);
    CHECK_STR(out, "2024-12-25T10:30:00Z");
    CHECK_INT(amazon_iso_ms("2024-12-25T10:30:00.250Z", &ms), 0);
    CHECK_INT(ms, 1735122600250LL);
    CHECK_INT(amazon_iso_ms("2024-12-25T19:30:00+09:00", &ms), 0);
    CHECK_INT(ms, 1735122600000LL);
    CHECK_INT(amazon_iso_ms("1970-01-19T03:58:30Z", &ms), 0);
    CHECK_INT(ms, 1569510000LL);
    CHECK_INT(amazon_iso_ms("1.569521782042E9", &ms), -1);
    CHECK_INT(amazon_iso_ms("2024-12-25 10:30:00Z", &ms), -1);
    CHECK_INT(amazon_iso_ms("2024-12-25T10:30:00", &ms), -1);
    CHECK_INT(amazon_iso_ms("2024-13-25T10:30:00Z", &ms), -1);
    CHECK_INT(amazon_iso_ms("2024-12-25T10:30:00Zjunk", &ms), -1);
    CHECK_INT(amazon_iso_ms("2024-12-25T10:30:00.Z", &ms), -1);
    CHECK_INT(amazon_iso_ms(NULL, &ms), -1);
}

TEST(orders_example_page)
{
    struct amazon_orders_page p;
    char why[256];
    CHECK_INT(amazon_orders_page_parse(orders_example, sizeof orders_example - 1, "A1", &p, why,
                                       sizeof why), 0);
    CHECK_INT(json_array_size(p.rows), 1);
    json_t *r = json_array_get(p.rows, 0);
    CHECK_STR(row_str(r, "external_id"), "902-1845936-5435065");
    CHECK_STR(row_str(r, "account"), "ATVPDKIKX0DER");
    CHECK_STR(row_str(r, "status"), "confirmed");
    CHECK_STR(row_str(r, "external_status"), "Unshipped");
    CHECK_STR(row_str(r, "currency"), "USD");
    CHECK_STR(row_str(r, "total"), "11.01");
    CHECK_STR(row_str(r, "placed_at"), "1970-01-19T03:58:30.000Z");
    CHECK_STR(row_str(r, "updated_at"), "1970-01-19T03:58:32.000Z");
    CHECK(json_is_null(json_object_get(r, "cancelled_at")));
    CHECK_STR(row_str(json_object_get(r, "raw"), "SalesChannel"), "Amazon.com");
    CHECK(p.next_token == NULL);
    CHECK_INT(p.max_updated_ms, 1569512000LL);
    CHECK_INT(p.updated_before_ms, -1); /* the sandbox's "1.569521782042E9" is ignored */
    amazon_orders_page_dispose(&p);
}

TEST(order_statuses_and_money)
{
    struct amazon_orders_page p;
    char why[256];
    static const char *const cases[][2] = {
        {"Pending", "pending"},     {"PendingAvailability", "pending"},
        {"Unshipped", "confirmed"}, {"PartiallyShipped", "confirmed"},
        {"Shipped", "confirmed"},   {"InvoiceUnconfirmed", "confirmed"},
        {"Canceled", "cancelled"},  {"Unfulfillable", "cancelled"},
        {"SomethingNew", "pending"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char order[512];
        snprintf(order, sizeof order,
                 "{\"AmazonOrderId\":\"026-1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\","
                 "\"LastUpdateDate\":\"2026-08-02T10:00:00Z\",\"OrderStatus\":\"%s\"}", cases[i][0]);
        CHECK_INT(one_order(order, &p, why, sizeof why), 0);
        json_t *r = json_array_get(p.rows, 0);
        CHECK_STR(row_str(r, "status"), cases[i][1]);
        CHECK_STR(row_str(r, "external_status"), cases[i][0]);
        /* no OrderTotal (Pending): 0 in the marketplace's currency */
        CHECK_STR(row_str(r, "total"), "0");
        CHECK_STR(row_str(r, "currency"), "GBP");
        CHECK_STR(row_str(r, "account"), "A1F83G8C2ARO7P");
        if (strcmp(cases[i][1], "cancelled") == 0)
            CHECK_STR(row_str(r, "cancelled_at"), "2026-08-02T10:00:00.000Z");
        else
            CHECK(json_is_null(json_object_get(r, "cancelled_at")));
        amazon_orders_page_dispose(&p);
    }
    /* money stays the decimal text Amazon sent: no float on the way */
    CHECK_INT(one_order("{\"AmazonOrderId\":\"1-2-3\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\","
                        "\"LastUpdateDate\":\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\","
                        "\"OrderTotal\":{\"CurrencyCode\":\"JPY\",\"Amount\":\"123456789012.1\"}}",
                        &p, why, sizeof why), 0);
    CHECK_STR(row_str(json_array_get(p.rows, 0), "total"), "123456789012.1");
    CHECK_STR(row_str(json_array_get(p.rows, 0), "currency"), "JPY");
    amazon_orders_page_dispose(&p);
}

TEST(malformed_orders)
{
    struct amazon_orders_page p;
    char why[256];
    static const char *const bodies[][2] = {
        {"", "malformed JSON"},
        {"{\"payload\":{\"Orders\":[", "malformed JSON"},
        {"{\"errors\":[]}", "payload is missing or not an object"},
        {"{\"payload\":{}}", "Orders is missing or not an array"},
        {"{\"payload\":{\"Orders\":{}}}", "Orders is missing or not an array"},
        {"{\"payload\":{\"Orders\":[],\"NextToken\":7}}", "NextToken is not a usable string"},
        {"{\"payload\":{\"Orders\":[7]}}", "order 0: record is not an object"},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        CHECK_INT(amazon_orders_page_parse(bodies[i][0], strlen(bodies[i][0]), "A1", &p, why,
                                           sizeof why), -1);
        CHECK(strncmp(why, bodies[i][1], strlen(bodies[i][1])) == 0);
        CHECK(p.rows == NULL && p.next_token == NULL);
    }
    static const char *const orders[][2] = {
        {"{\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":\"2026-08-01T10:00:00Z\","
         "\"OrderStatus\":\"Shipped\"}", "order 0: AmazonOrderId is missing"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"yesterday\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\"}", "order 0: PurchaseDate is not an ISO 8601 date"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"OrderStatus\":"
         "\"Shipped\"}", "order 0: LastUpdateDate is missing"},
        {"{\"AmazonOrderId\":\"1/2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\"}", "order 0: AmazonOrderId is not an order id"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\",\"OrderTotal\":{\"CurrencyCode\":"
         "\"USD\",\"Amount\":11.01}}", "order 0: OrderTotal Amount is not a decimal string"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\",\"OrderTotal\":{\"CurrencyCode\":"
         "\"USD\",\"Amount\":\"-1.00\"}}", "order 0: OrderTotal Amount is not a decimal string"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\",\"OrderTotal\":{\"CurrencyCode\":"
         "\"usd\",\"Amount\":\"1\"}}", "order 0: OrderTotal has no ISO 4217 CurrencyCode"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\",\"MarketplaceId\":\"ZZ\"}",
         "order 0: OrderTotal is missing and the marketplace's currency is unknown"},
        {"{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\",\"LastUpdateDate\":"
         "\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\",\"MarketplaceId\":\"a b\"}",
         "order 0: MarketplaceId is not [A-Z0-9]{1,32}"},
    };
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        CHECK_INT(one_order(orders[i][0], &p, why, sizeof why), -1);
        CHECK_STR(why, orders[i][1]);
    }
    /* one bad order fails the whole page: nothing half-committed */
    char body[1024];
    snprintf(body, sizeof body, "{\"payload\":{\"Orders\":[%s,%s]}}",
             "{\"AmazonOrderId\":\"1-2\",\"PurchaseDate\":\"2026-08-01T10:00:00Z\","
             "\"LastUpdateDate\":\"2026-08-01T10:00:00Z\",\"OrderStatus\":\"Shipped\"}",
             "{\"AmazonOrderId\":\"1-3\"}");
    CHECK_INT(amazon_orders_page_parse(body, strlen(body), "A1F83G8C2ARO7P", &p, why, sizeof why), -1);
    CHECK_STR(why, "order 1: OrderStatus is missing");
    /* more than a page's worth */
    char *big = malloc(101 * 4 + 64);
    strcpy(big, "{\"payload\":{\"Orders\":[");
    for (int i = 0; i < 101; i++)
        strcat(big, i ? ",{}" : "{}");
    strcat(big, "]}}");
    CHECK_INT(amazon_orders_page_parse(big, strlen(big), "A1", &p, why, sizeof why), -1);
    free(big);
    CHECK_STR(why, "Orders holds more than 100 records");
}

TEST(items_example_page)
{
    struct amazon_items_page p;
    char why[256];
    CHECK_INT(amazon_items_page_parse(items_example, sizeof items_example - 1,
                                      "902-1845936-5435065", 1, &p, why, sizeof why), 0);
    CHECK_STR(p.order_id, "902-1845936-5435065");
    CHECK(p.next_token == NULL);
    CHECK_INT(json_array_size(p.lines), 1);
    json_t *l = json_array_get(p.lines, 0);
    CHECK_INT(json_integer_value(json_object_get(l, "line_no")), 1);
    CHECK_STR(row_str(l, "sku"), "NABetaASINB00551Q3CS");
    CHECK_STR(row_str(l, "asin"), "B00551Q3CS");
    CHECK_STR(row_str(l, "external_line_id"), "05015851154158");
    CHECK_STR(row_str(l, "name"), "B00551Q3CS [Card Book]");
    CHECK_INT(json_integer_value(json_object_get(l, "quantity")), 1);
    CHECK_STR(row_str(l, "line_total"), "10.00");
    CHECK_STR(row_str(l, "currency"), "USD");
    amazon_items_page_dispose(&p);
    /* a later page continues the numbering; a pending order's item has no price
     * and no SKU */
    const char next[] = "{\"payload\":{\"AmazonOrderId\":\"1-2\",\"NextToken\":\"abc\",\"OrderItems\":"
                        "[{\"ASIN\":\"B0\",\"OrderItemId\":\"9\",\"QuantityOrdered\":2}]}}";
    CHECK_INT(amazon_items_page_parse(next, sizeof next - 1, NULL, 4, &p, why, sizeof why), 0);
    l = json_array_get(p.lines, 0);
    CHECK_INT(json_integer_value(json_object_get(l, "line_no")), 4);
    CHECK_STR(row_str(l, "sku"), "");
    CHECK_STR(row_str(l, "name"), "B0");
    CHECK(json_is_null(json_object_get(l, "line_total")));
    CHECK_STR(p.next_token, "abc");
    amazon_items_page_dispose(&p);
}

TEST(malformed_items)
{
    struct amazon_items_page p;
    char why[256];
    static const char *const bodies[][2] = {
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\"}}", "OrderItems is missing or not an array"},
        {"{\"payload\":{\"OrderItems\":[]}}", "AmazonOrderId is missing or malformed"},
        {"{\"payload\":{\"AmazonOrderId\":\"9-9\",\"OrderItems\":[]}}",
         "AmazonOrderId is not the order asked for"},
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\",\"OrderItems\":[{\"OrderItemId\":\"1\","
         "\"QuantityOrdered\":1}]}}", "item 0: ASIN is missing"},
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\",\"OrderItems\":[{\"ASIN\":\"B\",\"OrderItemId\":"
         "\"1\",\"QuantityOrdered\":-1}]}}", "item 0: QuantityOrdered is not a whole number 0..1000000"},
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\",\"OrderItems\":[{\"ASIN\":\"B\",\"OrderItemId\":"
         "\"1\",\"QuantityOrdered\":\"1\"}]}}", "item 0: QuantityOrdered is not a whole number 0..1000000"},
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\",\"OrderItems\":[{\"ASIN\":\"B\",\"OrderItemId\":"
         "\"1\",\"QuantityOrdered\":1,\"ItemPrice\":{\"CurrencyCode\":\"USD\",\"Amount\":\"1e3\"}}]}}",
         "item 0: ItemPrice Amount is not a decimal string"},
        {"{\"payload\":{\"AmazonOrderId\":\"1-2\",\"OrderItems\":[{\"ASIN\":\"B\",\"OrderItemId\":"
         "\"1\",\"QuantityOrdered\":1,\"SellerSKU\":5}]}}", "item 0: SellerSKU is not a usable string"},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        CHECK_INT(amazon_items_page_parse(bodies[i][0], strlen(bodies[i][0]), "1-2", 1, &p, why,
                                          sizeof why), -1);
        CHECK_STR(why, bodies[i][1]);
        CHECK(p.lines == NULL);
    }
    CHECK_INT(amazon_items_page_parse(items_example, sizeof items_example - 1, NULL, 0, &p, why,
                                      sizeof why), -1);
    CHECK_STR(why, "first line number out of range");
}

TEST(cursor)
{
    struct amazon_orders_page p = {NULL, NULL, 5000, 9000};
    CHECK_INT(amazon_cursor_advance(1000, &p, false, 100000), 5000);
    CHECK_INT(amazon_cursor_advance(1000, &p, true, 100000), 9000);
    CHECK_INT(amazon_cursor_advance(7000, &p, false, 100000), 7000); /* never backwards */
    CHECK_INT(amazon_cursor_advance(1000, &p, true, 6000), 5000);    /* never past now */
    CHECK_INT(amazon_cursor_advance(1000, &p, true, 4000), 1000);
    struct amazon_orders_page empty = {NULL, NULL, -1, -1};
    CHECK_INT(amazon_cursor_advance(-1, &empty, true, 100000), -1);
    CHECK_INT(amazon_cursor_advance(1000, &empty, true, 100000), 1000);
    /* LastUpdatedBefore from a real answer moves an empty pass forward */
    const char body[] = "{\"payload\":{\"Orders\":[],\"LastUpdatedBefore\":\"2026-08-01T10:00:00Z\"}}";
    char why[256];
    CHECK_INT(amazon_orders_page_parse(body, sizeof body - 1, "A1", &p, why, sizeof why), 0);
    CHECK_INT(p.updated_before_ms, 1785578400000LL);
    CHECK_INT(amazon_cursor_advance(1000, &p, true, 1790000000000LL), 1785578400000LL);
    amazon_orders_page_dispose(&p);
}
