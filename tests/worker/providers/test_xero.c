/*
 * tests/worker/providers/test_xero.c: token answers (rotation, invalid_grant), URLs,
 * events, and the invoice mapping (both types, /Date()/ days, exact
 * amounts from JSON numbers).
 */
#include <stdlib.h>

#include "worker/providers/xero.h"

#include "tests/test.h"

TEST(token_answers)
{
    struct xero_token t;
    bool invalid;
    char why[256];
    const char ok[] = "{\"access_token\":\"eyJ.a.b\",\"expires_in\":1800,\"token_type\":\"Bearer\","
                      "\"refresh_token\":\"rt-2\",\"scope\":\"x\"}";
    CHECK_INT(xero_token_parse(200, ok, sizeof ok - 1, &t, &invalid, why, sizeof why), 0);
    CHECK_STR(t.refresh_token, "rt-2");
    CHECK_INT(t.expires_in_s, 1800);
    xero_token_dispose(&t);
    const char grant[] = "{\"error\":\"invalid_grant\"}";
    CHECK_INT(xero_token_parse(400, grant, sizeof grant - 1, &t, &invalid, why, sizeof why), -1);
    CHECK(invalid);
    CHECK_STR(why, "token endpoint answered HTTP 400: invalid_grant");
    const char partial[] = "{\"access_token\":\"a\",\"expires_in\":1800}";
    CHECK_INT(xero_token_parse(200, partial, sizeof partial - 1, &t, &invalid, why, sizeof why), -1);
    CHECK(!invalid);
    char *form = xero_refresh_form("a b+c");
    CHECK_STR(form, "grant_type=refresh_token&refresh_token=a+b%2Bc");
    free(form);
}

TEST(urls_and_events)
{
    char *u = xero_page_url("https://api.xero.com/api.xro/2.0", XERO_INVOICES, 2, 100);
    CHECK_STR(u, "https://api.xero.com/api.xro/2.0/Invoices?page=2&pageSize=100&order=UpdatedDateUTC");
    free(u);
    char since[32];
    xero_if_modified_since(1573755038314LL, since);
    CHECK_STR(since, "2019-11-14T18:10:37");
    xero_if_modified_since(-1, since);
    CHECK_STR(since, "");
    enum xero_resource r;
    const char *why;
    json_t *ev = json_loads("{\"resourceId\":\"4a6e3c3b-0b8c\",\"eventCategory\":\"CONTACT\","
                            "\"resourceUrl\":\"https://evil.example/x\"}", 0, NULL);
    CHECK_INT(xero_event_target(ev, "http://x/api.xro/2.0", &r, &u, &why), 0);
    CHECK_INT(r, XERO_CONTACTS);
    CHECK_STR(u, "http://x/api.xro/2.0/Contacts/4a6e3c3b-0b8c"); /* never the event's URL */
    free(u);
    json_object_set_new(ev, "resourceId", json_string("../../x"));
    CHECK_INT(xero_event_target(ev, "http://x", &r, &u, &why), -1);
    json_object_set_new(ev, "eventCategory", json_string("SUBSCRIPTION"));
    CHECK_INT(xero_event_target(ev, "http://x", &r, &u, &why), -1);
    json_decref(ev);
}

TEST(invoice_rows)
{
    char why[256];
    size_t count;
    const char page[] =
        "{\"Invoices\":[{\"InvoiceID\":\"inv-1\",\"Type\":\"ACCPAY\",\"Status\":\"PAID\","
        "\"CurrencyCode\":\"EUR\",\"CurrencyRate\":1.1637254902,\"SubTotal\":40.1,\"TotalTax\":8.02,"
        "\"Total\":48.12,\"AmountDue\":0.0,\"AmountPaid\":48.12,\"Date\":\"/Date(1573755038314+0000)/\","
        "\"UpdatedDateUTC\":\"/Date(1573755038314+0000)/\",\"Contact\":{\"ContactID\":\"c-1\"}}]}";
    json_t *rows = xero_page_rows(XERO_INVOICES, page, sizeof page - 1, 100, &count, why, sizeof why);
    CHECK(rows != NULL);
    CHECK_INT(count, 1);
    json_t *r = json_array_get(rows, 0);
    CHECK_STR(json_string_value(json_object_get(r, "subtotal")), "40.1");
    CHECK_STR(json_string_value(json_object_get(r, "currency_rate")), "1.1637254902");
    CHECK_STR(json_string_value(json_object_get(r, "issued_on")), "2019-11-14");
    CHECK_STR(json_string_value(json_object_get(r, "contact_id")), "c-1");
    CHECK(json_is_null(json_object_get(r, "due_on")));
    json_decref(rows);
    const char bad[] = "{\"Invoices\":[{\"InvoiceID\":\"inv-1\",\"Type\":\"ACCBAD\",\"Status\":\"PAID\","
                       "\"CurrencyCode\":\"EUR\",\"Total\":1,\"UpdatedDateUTC\":\"/Date(1)/\"}]}";
    CHECK(xero_page_rows(XERO_INVOICES, bad, sizeof bad - 1, 100, &count, why, sizeof why) == NULL);
    CHECK_STR(why, "invoice 0: Type is not ACCREC or ACCPAY");
    const char big[] = "{\"Contacts\":[{},{}]}";
    CHECK(xero_page_rows(XERO_CONTACTS, big, sizeof big - 1, 1, &count, why, sizeof why) == NULL);
    CHECK_STR(why, "Contacts is longer than the page size");
}
