/*
 * tests/lib/test_log.c: the JSON-lines logger — valid JSON for any bytes,
 * levels, fields, and PII masking on real-looking inputs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/process.h"
#include "tests/test.h"

/* Captures log lines written during `body` into a malloc'd string. */
static char *capture_begin(FILE **f)
{
    *f = tmpfile();
    process.log_fd = fileno(*f);
    return NULL;
}

static char *capture_end(FILE *f)
{
    long n = ftell(f);
    char *out = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(out, 1, (size_t)n, f) != (size_t)n)
        out[0] = '\0';
    fclose(f);
    process.log_fd = 1;
    return out;
}

/* Masks with redaction on and returns the JSON string's inside. */
static char *masked(const char *in)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    log_json_string(&b, in, strlen(in), true);
    return buf_steal(&b);
}

static bool masks_to(const char *in, const char *want)
{
    char *got = masked(in);
    bool ok = strcmp(got, want) == 0;
    if (!ok)
        printf("  masked(\"%s\") = \"%s\", want \"%s\"\n", in, got, want);
    free(got);
    return ok;
}

TEST(line_is_json_with_fields)
{
    FILE *f;
    capture_begin(&f);
    process.log_level = LOG_LEVEL_INFO;
    process.service = "sentia-test";
    log_info(LOG_FIELDS(LF_STR("request_id", "r-1"), LF_INT("status", 200),
                        LF_DBL("ms", 1.5), LF_BOOL("dup", true)),
             "request %s", "done");
    char *out = capture_end(f);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "level")), "info");
    CHECK_STR(json_string_value(json_object_get(j, "service")), "sentia-test");
    CHECK_STR(json_string_value(json_object_get(j, "msg")), "request done");
    CHECK_STR(json_string_value(json_object_get(j, "request_id")), "r-1");
    CHECK_INT(json_integer_value(json_object_get(j, "status")), 200);
    CHECK(json_is_true(json_object_get(j, "dup")));
    const char *ts = json_string_value(json_object_get(j, "ts"));
    CHECK(ts != NULL && strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z');
    CHECK(out[strlen(out) - 1] == '\n');
    json_decref(j);
    free(out);
}

TEST(levels_below_threshold_are_dropped)
{
    FILE *f;
    capture_begin(&f);
    process.log_level = LOG_LEVEL_WARN;
    log_info(NULL, "hidden");
    log_debug(NULL, "hidden");
    log_warn(NULL, "shown");
    char *out = capture_end(f);
    process.log_level = LOG_LEVEL_INFO;
    CHECK(strstr(out, "hidden") == NULL);
    CHECK(strstr(out, "shown") != NULL);
    free(out);
}

TEST(invalid_utf8_and_controls_stay_valid_json)
{
    FILE *f;
    capture_begin(&f);
    process.pii_redaction = false;
    log_info(LOG_FIELDS(LF_STR("text", "caf\xc3\xa9 \xff\xfe tab\t\"q\" \x01 日本語 🚀")),
             "x");
    char *out = capture_end(f);
    process.pii_redaction = true;
    json_t *j = json_loads(out, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "text")),
              "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd tab\t\"q\" \x01 日本語 🚀");
    json_decref(j);
    free(out);
}

/* A batch's lines: each valid JSON with its own time, escapes intact across plain runs. */
TEST(batch_lines_are_json)
{
    FILE *f;
    capture_begin(&f);
    process.log_level = LOG_LEVEL_INFO;
    struct log_batch b;
    log_batch_init(&b);
    for (int i = 0; i < 3; i++)
        log_batch_emit(&b, LOG_LEVEL_INFO,
                       LOG_FIELDS(LF_STR("route", "/api/v1/\"x\"\\y\nz"), LF_INT("n", i)), "request");
    log_batch_dispose(&b);
    char *out = capture_end(f);
    char *line = out;
    for (int i = 0; i < 3; i++) {
        char *nl = strchr(line, '\n');
        CHECK(nl != NULL);
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "route")), "/api/v1/\"x\"\\y\nz");
        CHECK_STR(json_string_value(json_object_get(j, "msg")), "request");
        CHECK_INT(json_integer_value(json_object_get(j, "n")), i);
        const char *ts = json_string_value(json_object_get(j, "ts"));
        CHECK(ts != NULL && strlen(ts) == 24 && ts[23] == 'Z');
        json_decref(j);
        line = nl + 1;
    }
    CHECK(*line == '\0');
    free(out);
}

TEST(level_names_parse)
{
    enum log_level l;
    CHECK_INT(log_level_parse("debug", &l), 0);
    CHECK_INT(l, LOG_LEVEL_DEBUG);
    CHECK_INT(log_level_parse("WARNING", &l), 0);
    CHECK_INT(l, LOG_LEVEL_WARN);
    CHECK_INT(log_level_parse("loud", &l), -1);
}

TEST(phones_are_masked)
{
    CHECK(masks_to("from whatsapp:+447700900123 ok", "from whatsapp:+**********23 ok"));
    CHECK(masks_to("+1 (415) 555-0134", "+* (***) ***-**34"));
    CHECK(masks_to("WaId 15551234567", "WaId *********67"));
    CHECK(masks_to("Tel:+34612345678.", "Tel:+*********78."));
}

TEST(dates_ids_and_amounts_are_not_masked)
{
    CHECK(masks_to("2026-11-23T10:00:00.123Z", "2026-11-23T10:00:00.123Z"));
    CHECK(masks_to("order 1234 total 598.94", "order 1234 total 598.94"));
    CHECK(masks_to("SM1234567890abcdef1234567890abcdef", "SM1234567890abcdef1234567890abcdef"));
    CHECK(masks_to("tz +0530 and +05:30", "tz +0530 and +05:30"));
}

TEST(emails_are_masked)
{
    CHECK(masks_to("bob.norman@mail.example.com wrote", "b*********@mail.example.com wrote"));
    CHECK(masks_to("<jöhn+tag@exämple.de>", "<j********@exämple.de>"));
    CHECK(masks_to("x@y.io", "x@y.io"));
    CHECK(masks_to("ana.garcia@empresa.es, señor", "a*********@empresa.es, señor"));
    CHECK(masks_to("not an @ address", "not an @ address"));
}

TEST(bodies_are_replaced_by_length)
{
    FILE *f;
    capture_begin(&f);
    log_info(LOG_FIELDS(LF_BODY("body", "ORDER 2 SKU-1 for Zoë")), "inbound");
    char *out = capture_end(f);
    CHECK(strstr(out, "SKU-1") == NULL);
    CHECK(strstr(out, "[redacted 22 bytes]") != NULL);
    free(out);

    capture_begin(&f);
    process.pii_redaction = false;
    log_info(LOG_FIELDS(LF_BODY("body", "ORDER 2 SKU-1")), "inbound");
    out = capture_end(f);
    process.pii_redaction = true;
    CHECK(strstr(out, "ORDER 2 SKU-1") != NULL);
    free(out);
}

TEST(message_text_is_masked_too)
{
    FILE *f;
    capture_begin(&f);
    log_warn(NULL, "no customer for %s", "whatsapp:+15551234567");
    char *out = capture_end(f);
    CHECK(strstr(out, "5551234567") == NULL);
    CHECK(strstr(out, "+*********67") != NULL);
    free(out);
}
