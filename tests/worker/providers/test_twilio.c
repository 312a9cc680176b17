/*
 * tests/worker/providers/test_twilio.c: the Twilio request and the verdict on every
 * kind of answer (worker/providers/twilio.c): created, 429 with and without
 * Retry-After (seconds and HTTP-date), 5xx, auth, 4xx refusals with
 * Twilio's error document, transport failures, malformed success bodies.
 */
#include <stdlib.h>

#include "tests/test.h"
#include "worker/providers/twilio.h"

static const int64_t now_ms = 1764000000000LL; /* Mon, 24 Nov 2025 16:00:00 GMT */

static struct twilio_outcome judge(long status, const char *body, const char *retry_after)
{
    struct twilio_outcome o;
    twilio_judge(status, NULL, false, body, body ? strlen(body) : 0, retry_after, now_ms, &o);
    return o;
}

TEST(messages_url_and_form)
{
    char *url = twilio_messages_url("https://api.twilio.com/", "AC123");
    CHECK_STR(url, "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json");
    free(url);
    char *form = twilio_message_form("whatsapp:+447700900001", "whatsapp:+14155238886",
                                     "Order 1001: 2 x SKU-1 @ 12.50 = 25.00\n\xE2\x9C\x93 & more",
                                     "https://sentia.example/api/v1/whatsapp/status");
    CHECK_STR(form, "To=whatsapp%3A%2B447700900001&From=whatsapp%3A%2B14155238886"
                    "&Body=Order+1001%3A+2+x+SKU-1+%40+12.50+%3D+25.00%0A%E2%9C%93+%26+more"
                    "&StatusCallback=https%3A%2F%2Fsentia.example%2Fapi%2Fv1%2Fwhatsapp%2Fstatus");
    free(form);
    form = twilio_message_form("a", "b", "c", NULL);
    CHECK_STR(form, "To=a&From=b&Body=c");
    free(form);
}

TEST(created_message_is_accepted)
{
    struct twilio_outcome o = judge(201, "{\"sid\":\"SM29f4f980778e4621b72df75ac82f5000\","
                                         "\"status\":\"queued\",\"error_code\":null}", NULL);
    CHECK_INT(o.verdict, TWILIO_ACCEPTED);
    CHECK_STR(o.sid, "SM29f4f980778e4621b72df75ac82f5000");
    CHECK_STR(o.status, "queued");
    o = judge(201, "{\"sid\":\"SMabc\",\"status\":\"Weird Status!\"}", NULL);
    CHECK_STR(o.status, "queued");
}

TEST(created_without_sid_is_retried)
{
    CHECK_INT(judge(201, "{\"status\":\"queued\"}", NULL).verdict, TWILIO_RETRY);
    CHECK_INT(judge(201, "not json", NULL).verdict, TWILIO_RETRY);
    CHECK_INT(judge(201, "{\"sid\":\"SM'; DROP\"}", NULL).verdict, TWILIO_RETRY);
    CHECK_INT(judge(200, NULL, NULL).verdict, TWILIO_RETRY);
}

TEST(rate_limited)
{
    const char *body = "{\"code\":20429,\"message\":\"Too Many Requests\",\"more_info\":"
                       "\"https://www.twilio.com/docs/errors/20429\",\"status\":429}";
    struct twilio_outcome o = judge(429, body, NULL);
    CHECK_INT(o.verdict, TWILIO_RETRY);
    CHECK_INT(o.code, 20429);
    o = judge(429, body, "2");
    CHECK_INT(o.verdict, TWILIO_DEFER);
    CHECK_INT(o.defer_ms, 2000);
    o = judge(429, body, "Mon, 24 Nov 2025 16:00:30 GMT");
    CHECK_INT(o.verdict, TWILIO_DEFER);
    CHECK_INT(o.defer_ms, 30000);
    o = judge(429, body, "soon");
    CHECK_INT(o.verdict, TWILIO_RETRY);
}

TEST(retry_after_bounds)
{
    CHECK_INT(twilio_retry_after_ms("0", now_ms), TWILIO_RETRY_AFTER_MIN_MS);
    CHECK_INT(twilio_retry_after_ms("999999999999", now_ms), TWILIO_RETRY_AFTER_MAX_MS);
    CHECK_INT(twilio_retry_after_ms("Mon, 24 Nov 2025 15:00:00 GMT", now_ms),
              TWILIO_RETRY_AFTER_MIN_MS); /* in the past */
    CHECK_INT(twilio_retry_after_ms(NULL, now_ms), -1);
    CHECK_INT(twilio_retry_after_ms("5s", now_ms), -1);
}

TEST(server_errors_and_credentials_are_retried)
{
    CHECK_INT(judge(500, "{\"code\":20500,\"message\":\"Internal Server Error\"}", NULL).verdict,
              TWILIO_RETRY);
    CHECK_INT(judge(503, "<html>", NULL).verdict, TWILIO_RETRY);
    struct twilio_outcome o = judge(401, "{\"code\":20003,\"message\":\"Authenticate\",\"more_info\":"
                                         "\"https://www.twilio.com/docs/errors/20003\",\"status\":401}",
                                    NULL);
    CHECK_INT(o.verdict, TWILIO_RETRY);
    CHECK_INT(o.code, 20003);
    CHECK_STR(o.message, "Authenticate");
}

TEST(refusals_are_final_with_twilio_reason)
{
    struct twilio_outcome o =
        judge(400, "{\"code\":21211,\"message\":\"The 'To' number whatsapp:+1555 is not a valid "
                   "phone number.\",\"more_info\":\"https://www.twilio.com/docs/errors/21211\","
                   "\"status\":400}", NULL);
    CHECK_INT(o.verdict, TWILIO_REJECTED);
    CHECK_INT(o.code, 21211);
    CHECK_STR(o.message, "The 'To' number whatsapp:+1555 is not a valid phone number.");
    o = judge(404, "", NULL);
    CHECK_INT(o.verdict, TWILIO_REJECTED);
    CHECK_INT(o.code, 0);
    CHECK_STR(o.message, "HTTP 404");
}

TEST(transport_failures_are_retried)
{
    struct twilio_outcome o;
    twilio_judge(0, "Couldn't connect to server", false, NULL, 0, NULL, now_ms, &o);
    CHECK_INT(o.verdict, TWILIO_RETRY);
    CHECK_STR(o.message, "Couldn't connect to server");
    twilio_judge(0, "Timeout was reached", true, NULL, 0, NULL, now_ms, &o);
    CHECK_STR(o.message, "timed out");
}

TEST(sid_validity)
{
    CHECK(twilio_sid_valid("SM29f4f980778e4621b72df75ac82f5000"));
    CHECK(!twilio_sid_valid(NULL));
    CHECK(!twilio_sid_valid("S"));
    CHECK(!twilio_sid_valid("SM 1"));
    CHECK(!twilio_sid_valid("SM\xC3\xA9"));
}
