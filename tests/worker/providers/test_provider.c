/*
 * tests/worker/providers/test_provider.c: the shared provider rules — verdicts per
 * status, Retry-After (fractional seconds), ISO-8601 with offsets, .NET
 * "/Date(ms)/" dates, decimals that never pass through a double's noise.
 */
#include "worker/providers/provider.h"

#include "tests/test.h"

TEST(verdicts_per_status)
{
    struct provider_outcome o;
    provider_judge(200, NULL, false, NULL, "{}", 2, &o);
    CHECK_INT(o.verdict, PROVIDER_OK);
    provider_judge(429, NULL, false, "0.5", NULL, 0, &o);
    CHECK_INT(o.verdict, PROVIDER_WAIT);
    CHECK_INT(o.wait_ms, 500);
    provider_judge(429, NULL, false, NULL, NULL, 0, &o);
    CHECK_INT(o.wait_ms, PROVIDER_WAIT_DEFAULT_MS);
    provider_judge(401, NULL, false, NULL, "bad token", 9, &o);
    CHECK_INT(o.verdict, PROVIDER_UNAUTHORISED);
    CHECK_STR(o.message, "HTTP 401: bad token");
    provider_judge(403, NULL, false, NULL, "", 0, &o);
    CHECK_INT(o.verdict, PROVIDER_UNAUTHORISED);
    provider_judge(503, NULL, false, NULL, NULL, 0, &o);
    CHECK_INT(o.verdict, PROVIDER_RETRY);
    provider_judge(404, NULL, false, NULL, "gone\n", 5, &o);
    CHECK_INT(o.verdict, PROVIDER_REJECTED);
    CHECK_STR(o.message, "HTTP 404: gone ");
    provider_judge(0, "Couldn't connect", false, NULL, NULL, 0, &o);
    CHECK_INT(o.verdict, PROVIDER_RETRY);
    CHECK_STR(o.message, "Couldn't connect");
    provider_judge(0, "x", true, NULL, NULL, 0, &o);
    CHECK_STR(o.message, "timeout");
}

TEST(retry_after_fractional_and_clamped)
{
    CHECK_INT(provider_retry_after_ms("2.0"), 2000);
    CHECK_INT(provider_retry_after_ms("1.25"), 1250);
    CHECK_INT(provider_retry_after_ms(" 3 "), 3000);
    CHECK_INT(provider_retry_after_ms("0"), PROVIDER_WAIT_MIN_MS);
    CHECK_INT(provider_retry_after_ms("99999"), PROVIDER_WAIT_MAX_MS);
    CHECK_INT(provider_retry_after_ms("-1"), -1);
    CHECK_INT(provider_retry_after_ms("soon"), -1);
    CHECK_INT(provider_retry_after_ms("1e3x"), -1);
    CHECK_INT(provider_retry_after_ms(NULL), -1);
}

TEST(iso8601_with_offsets)
{
    int64_t ms;
    CHECK_INT(provider_iso8601_ms("2008-01-10T11:00:00-05:00", &ms), 0);
    CHECK_INT(ms, 1199980800000LL);
    CHECK_INT(provider_iso8601_ms("2008-01-10T16:00:00Z", &ms), 0);
    CHECK_INT(ms, 1199980800000LL);
    CHECK_INT(provider_iso8601_ms("2008-01-10T16:00:00.250+0000", &ms), 0);
    CHECK_INT(ms, 1199980800250LL);
    CHECK_INT(provider_iso8601_ms("2017-06-21T01:15:39.902", &ms), 0); /* Xero eventDateUtc */
    CHECK_INT(ms, 1498007739902LL);
    CHECK_INT(provider_iso8601_ms("2024-01-01", &ms), 0);
    CHECK_INT(ms, 1704067200000LL);
    CHECK_INT(provider_iso8601_ms("2024-13-01", &ms), -1);
    CHECK_INT(provider_iso8601_ms("2024-01-01T25:00:00Z", &ms), -1);
    CHECK_INT(provider_iso8601_ms("2024-01-01T10:00:00+5", &ms), -1);
    CHECK_INT(provider_iso8601_ms("yesterday", &ms), -1);
}

TEST(dotnet_dates)
{
    int64_t ms;
    CHECK_INT(provider_msdate_ms("/Date(1573755038314+0000)/", &ms), 0);
    CHECK_INT(ms, 1573755038314LL);
    CHECK_INT(provider_msdate_ms("/Date(1453939200000)/", &ms), 0);
    CHECK_INT(ms, 1453939200000LL);
    CHECK_INT(provider_msdate_ms("/Date(-86400000)/", &ms), 0);
    CHECK_INT(ms, -86400000LL);
    CHECK_INT(provider_msdate_ms("/Date(1573755038314+00)/", &ms), -1);
    CHECK_INT(provider_msdate_ms("/Date()/", &ms), -1);
    CHECK_INT(provider_msdate_ms("/Date(1573755038314", &ms), -1);
    CHECK_INT(provider_date_ms("/Date(5)/", &ms), 0);
    CHECK_INT(ms, 5);
    CHECK_INT(provider_date_ms("1970-01-01T00:00:00.005Z", &ms), 0);
    CHECK_INT(ms, 5);
    char out[32];
    provider_format_iso(1573755038314LL, out);
    CHECK_STR(out, "2019-11-14T18:10:38.314Z");
    provider_format_plain(1573755038314LL, out);
    CHECK_STR(out, "2019-11-14T18:10:38");
    provider_format_iso(-1, out);
    CHECK_STR(out, "1969-12-31T23:59:59.999Z");
}

TEST(decimals_never_noisy)
{
    struct provider_map m = {.what = "invoice"};
    char out[PROVIDER_DECIMAL_MAX + 1];
    json_t *o = json_loads("{\"a\": 40.1, \"b\": \"598.94\", \"c\": 12, \"d\": \"1,5\","
                           " \"e\": 1.1637254902, \"f\": 123456789012.34, \"g\": null}", 0, NULL);
    CHECK(provider_decimal(&m, o, "a", true, out));
    CHECK_STR(out, "40.1");
    CHECK(provider_decimal(&m, o, "b", true, out));
    CHECK_STR(out, "598.94");
    CHECK(provider_decimal(&m, o, "c", true, out));
    CHECK_STR(out, "12");
    CHECK(provider_decimal(&m, o, "e", true, out));
    CHECK_STR(out, "1.1637254902");
    CHECK(provider_decimal(&m, o, "f", true, out));
    CHECK_STR(out, "123456789012.34");
    CHECK(provider_decimal(&m, o, "g", false, out));
    CHECK_STR(out, "");
    CHECK(!provider_decimal(&m, o, "d", true, out));
    CHECK_STR(m.why, "invoice 0: d is not a decimal");
    json_decref(o);
    CHECK(provider_decimal_valid("-1.5e+3"));
    CHECK(!provider_decimal_valid("1."));
    CHECK(!provider_decimal_valid(".5"));
    CHECK(!provider_decimal_valid("NaN"));
}

TEST(ids_are_int64_or_text)
{
    struct provider_map m = {.what = "order", .index = 3};
    char id[48];
    json_t *o = json_loads("{\"id\": 820982911946154508, \"g\": \"4a6e3c3b-0b8c\", \"bad\": \"a b\","
                           " \"f\": 1.5}", 0, NULL);
    CHECK(provider_id(&m, o, "id", true, id));
    CHECK_STR(id, "820982911946154508");
    CHECK(provider_id(&m, o, "g", true, id));
    CHECK_STR(id, "4a6e3c3b-0b8c");
    CHECK(provider_id(&m, o, "missing", false, id));
    CHECK_STR(id, "");
    CHECK(!provider_id(&m, o, "f", true, id));
    CHECK_STR(m.why, "order 3: f is not an id");
    json_decref(o);
}
