/*
 * tests/queue/test_job.c: job envelopes and the protocol's pure parts —
 * encoding round trips, strict decoding, the retry policy worked out by
 * hand, failure planning, names, keys and histogram buckets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/job.h"
#include "queue/queue.h"
#include "tests/test.h"

static struct job *sample(void)
{
    json_t *payload = json_pack("{s:s, s:I}", "Body", "Olá 🚀", "id", (json_int_t)820982911946154508LL);
    struct job *j = job_create("webhooks", "whatsapp.inbound", payload);
    j->dedup_key = strdup("SM123");
    j->request_id = strdup("req-1");
    return j;
}

TEST(encode_decode_round_trip)
{
    struct job *j = sample(), *back = NULL;
    size_t len;
    const char *why = NULL;
    char *text = job_encode(j, &len);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    CHECK_STR(back->id, j->id);
    CHECK_STR(back->type, "whatsapp.inbound");
    CHECK_STR(back->queue, "webhooks");
    CHECK_STR(back->dedup_key, "SM123");
    CHECK_STR(back->request_id, "req-1");
    CHECK_INT(back->attempt, 0);
    CHECK_INT(back->max_attempts, JOB_DEFAULT_MAX_ATTEMPTS);
    CHECK_INT(back->created_ms, j->created_ms);
    CHECK_STR(json_string_value(json_object_get(back->payload, "Body")), "Olá 🚀");
    /* Shopify ids exceed 2^53: they must survive as exact integers. */
    CHECK_INT(json_integer_value(json_object_get(back->payload, "id")), 820982911946154508LL);
    CHECK(back->raw_len == len && memcmp(back->raw, text, len) == 0);
    CHECK(strstr(text, "\"id\":\"") != NULL);
    free(text);
    job_free(j);
    job_free(back);
}

TEST(ids_are_unique_hex)
{
    struct job *a = job_create("q", "t", NULL), *b = job_create("q", "t", NULL);
    CHECK_INT(strlen(a->id), 32);
    CHECK(strcmp(a->id, b->id) != 0);
    job_free(a);
    job_free(b);
}

static const char *decode_error(const char *text)
{
    struct job *j = NULL;
    const char *why = NULL;
    if (job_decode(text, strlen(text), &j, &why) == 0) {
        job_free(j);
        return NULL;
    }
    return why;
}

TEST(strict_decoding)
{
    const char *ok = "{\"id\":\"a\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,"
                     "\"max_attempts\":3,\"created_ms\":1,\"payload\":{}}";
    CHECK(decode_error(ok) == NULL);
    CHECK(decode_error("not json") != NULL);
    CHECK(decode_error("[1,2]") != NULL);
    CHECK(decode_error("{\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,\"max_attempts\":3,"
                       "\"created_ms\":1,\"payload\":{}}") != NULL);
    CHECK(decode_error("{\"id\":\"a\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":-1,"
                       "\"max_attempts\":3,\"created_ms\":1,\"payload\":{}}") != NULL);
    CHECK(decode_error("{\"id\":\"a\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,"
                       "\"max_attempts\":0,\"created_ms\":1,\"payload\":{}}") != NULL);
    CHECK(decode_error("{\"id\":\"a\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,"
                       "\"max_attempts\":3,\"created_ms\":1}") != NULL);
    CHECK(decode_error("{\"id\":\"a\",\"id\":\"b\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,"
                       "\"max_attempts\":3,\"created_ms\":1,\"payload\":{}}") != NULL);
    CHECK(decode_error("{\"id\":\"a\",\"type\":7,\"queue\":\"q\",\"attempt\":0,"
                       "\"max_attempts\":3,\"created_ms\":1,\"payload\":{}}") != NULL);
}

TEST(backoff_doubles_with_equal_jitter_and_cap)
{
    struct job *j = job_create("q", "t", NULL);
    /* attempt 0: base 1000 → between 500 and 1000 ms. */
    CHECK_INT(job_backoff_ms(j, 0), 500);
    CHECK_INT(job_backoff_ms(j, 500), 1000);
    CHECK_INT(job_backoff_ms(j, 501), 500);
    /* attempt 3: 8000 → [4000, 8000]. */
    j->attempt = 3;
    CHECK_INT(job_backoff_ms(j, 0), 4000);
    CHECK_INT(job_backoff_ms(j, 4000), 8000);
    /* attempt 19: 2^19 s would be 6 days; the cap is one hour. */
    j->attempt = 19;
    CHECK_INT(job_backoff_ms(j, 0), 1800000);
    CHECK_INT(job_backoff_ms(j, 1800000), 3600000);
    /* Per-job override: base 200 ms, cap 1 s. */
    j->backoff_ms = 200;
    j->backoff_cap_ms = 1000;
    j->attempt = 2;
    CHECK_INT(job_backoff_ms(j, 0), 400);
    j->attempt = 10;
    CHECK_INT(job_backoff_ms(j, 500), 1000);
    job_free(j);
}

TEST(failed_envelope_counts_attempt_and_keeps_error)
{
    struct job *j = sample(), *back = NULL;
    size_t len;
    const char *why;
    char *text = job_encode_failed(j, "HTTP 503 from Twilio", 1000, 5000, true, &len);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    CHECK_INT(back->attempt, 1);
    CHECK_STR(back->last_error, "HTTP 503 from Twilio");
    CHECK_INT(back->failed_ms, 1000);
    CHECK_INT(back->run_at_ms, 5000);
    CHECK_STR(back->id, j->id);
    free(text);
    job_free(back);
    text = job_encode_failed(j, "429", 1000, 3000, false, &len);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    CHECK_INT(back->attempt, 0);
    free(text);
    job_free(back);
    job_free(j);
}

TEST(long_error_is_cut_on_a_character_boundary)
{
    struct job *j = sample(), *back = NULL;
    char err[5000];
    size_t len;
    const char *why;
    for (size_t i = 0; i + 2 < sizeof err; i += 2)
        memcpy(err + i, "é", 2);
    err[sizeof err - 1] = '\0';
    char *text = job_encode_failed(j, err, 1, 2, true, &len);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    CHECK(strlen(back->last_error) <= JOB_ERROR_MAX);
    CHECK(strlen(back->last_error) % 2 == 0);
    free(text);
    job_free(back);
    text = job_encode_failed(j, "bad \xff utf8", 1, 2, true, &len);
    CHECK(text != NULL);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    free(text);
    job_free(back);
    job_free(j);
}

TEST(plan_failure_modes)
{
    struct job *j = sample();
    struct queue_failure f;
    j->max_attempts = 3;
    queue_plan_failure(j, "boom", false, 0, 10000, &f);
    CHECK_INT(f.mode, QUEUE_FAIL_RETRY);
    CHECK(f.due_ms >= 10500 && f.due_ms <= 11000);
    queue_failure_dispose(&f);
    j->attempt = 2; /* the third run failed: nothing left */
    queue_plan_failure(j, "boom", false, 0, 10000, &f);
    CHECK_INT(f.mode, QUEUE_FAIL_DEAD);
    queue_failure_dispose(&f);
    j->attempt = 0;
    queue_plan_failure(j, "invalid To", true, 0, 10000, &f);
    CHECK_INT(f.mode, QUEUE_FAIL_DEAD);
    queue_failure_dispose(&f);
    queue_plan_failure(j, "429", false, 2500, 10000, &f);
    CHECK_INT(f.mode, QUEUE_FAIL_DEFER);
    CHECK_INT(f.due_ms, 12500);
    queue_failure_dispose(&f);
    job_free(j);
}

TEST(names_keys_and_buckets)
{
    CHECK(queue_name_valid("webhooks"));
    CHECK(queue_name_valid("sync.v2-a_b"));
    CHECK(!queue_name_valid(""));
    CHECK(!queue_name_valid("a b"));
    CHECK(!queue_name_valid("a{b}"));
    CHECK(!queue_name_valid("a:b"));
    CHECK(queue_prefix_valid("sentia:staging"));
    char *k = queue_key("sentia", "webhooks", "ready");
    CHECK_STR(k, "sentia:{webhooks}:ready");
    free(k);
    CHECK_STR(queue_bucket_for_us(0), "0.001");
    CHECK_STR(queue_bucket_for_us(1000), "0.001");
    CHECK_STR(queue_bucket_for_us(1001), "0.0025");
    CHECK_STR(queue_bucket_for_us(1500000), "2");
    CHECK_STR(queue_bucket_for_us(59000000), "60");
    CHECK_STR(queue_bucket_for_us(61000000), "300");
    CHECK_STR(queue_bucket_for_us(300000000), "300");
    CHECK_STR(queue_bucket_for_us(300000001), "+Inf");
}

TEST(timeout_override_round_trips_and_is_bounded)
{
    struct job *j = sample(), *back = NULL;
    size_t len;
    const char *why = NULL;
    j->timeout_ms = 250;
    char *text = job_encode_failed(j, "timeout", 1000, 2000, true, &len);
    CHECK(strstr(text, "\"timeout_ms\":250") != NULL);
    CHECK_INT(job_decode(text, len, &back, &why), 0);
    CHECK_INT(back->timeout_ms, 250);
    free(text);
    job_free(back);
    job_free(j);
    const char *bad = "{\"id\":\"a\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":0,"
                      "\"max_attempts\":1,\"created_ms\":1,\"payload\":{},"
                      "\"timeout_ms\":-5}";
    CHECK_INT(job_decode(bad, strlen(bad), &back, &why), -1);
    CHECK(strstr(why, "timeout_ms") != NULL);
}

/* ---- the direct encoder against jansson's object dump ---------------------- */

/* A random string of n characters drawn from the cases an encoder gets wrong. */
static char *tricky_string(unsigned *seed, size_t n)
{
    static const char *const parts[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r",
                                        "\t", "\x01", "\x1f", "\x7f", "é", "日", "🚀",
                                        "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbf\xbf", "{}", ":,"};
    size_t count = sizeof parts / sizeof parts[0];
    char *s = calloc(n * 4 + 1, 1);
    for (size_t i = 0; i < n; i++)
        strcat(s, parts[rand_r(seed) % count]);
    return s;
}

static json_t *tricky_payload(unsigned *seed)
{
    char *a = tricky_string(seed, 12), *k = tricky_string(seed, 3);
    json_t *p = json_pack("{s:s, s:I, s:f, s:b, s:n, s:[s, i, {s:s}]}", "Body", a, "n",
                          (json_int_t)rand_r(seed) * 1000003LL, "x", rand_r(seed) / 7.0, "ok",
                          rand_r(seed) % 2, "none", "list", k, rand_r(seed) % 100, k, a);
    free(a);
    free(k);
    return p;
}

/*
 * job_encode writes the envelope directly; job_encode_revived (attempt 0, no
 * run_at) still dumps jansson's object. For such jobs the two must agree byte
 * for byte, whatever the strings hold.
 */
TEST(direct_encoding_matches_jansson_byte_for_byte)
{
    unsigned seed = 20261205;
    for (int i = 0; i < 2000; i++) {
        char *type = tricky_string(&seed, 1 + rand_r(&seed) % 8);
        struct job *j = job_create("webhooks", type, tricky_payload(&seed));
        free(type);
        j->track = i % 3 == 0;
        if (i % 2)
            j->dedup_key = tricky_string(&seed, 1 + rand_r(&seed) % 20);
        if (i % 5)
            j->request_id = tricky_string(&seed, 1 + rand_r(&seed) % 6);
        if (i % 7 == 0) {
            j->last_error = tricky_string(&seed, 30);
            j->failed_ms = 1764900000000LL + i;
        }
        j->backoff_ms = i % 11 == 0 ? 2500 : 0;
        j->backoff_cap_ms = i % 13 == 0 ? 60000 : 0;
        j->timeout_ms = i % 4 == 0 ? 30000 : 0;
        size_t la = 0, lb = 0;
        char *a = job_encode(j, &la), *b = job_encode_revived(j, &lb);
        CHECK(la == lb && memcmp(a, b, la) == 0);
        if (la != lb || memcmp(a, b, la) != 0)
            printf("  direct %s\n  jansson %s\n", a, b);
        free(a);
        free(b);
        job_free(j);
        if (la != lb)
            break;
    }
}

/* Attempts and delays (which the revived form resets) in the direct form. */
TEST(direct_encoding_of_attempt_and_delay)
{
    struct job *j = job_create("q", "t", NULL);
    j->attempt = 3;
    j->run_at_ms = 1764900000123LL;
    j->created_ms = 1764900000000LL;
    size_t len = 0;
    char *text = job_encode(j, &len);
    char want[256];
    snprintf(want, sizeof want,
             "{\"id\":\"%s\",\"type\":\"t\",\"queue\":\"q\",\"attempt\":3,\"max_attempts\":20,"
             "\"created_ms\":1764900000000,\"dedup_key\":null,\"request_id\":null,\"payload\":{},"
             "\"run_at_ms\":1764900000123}",
             j->id);
    CHECK_STR(text, want);
    CHECK_INT(len, strlen(want));
    free(text);
    job_free(j);
}

/* A type jansson refuses (invalid UTF-8) is encoded exactly as before. */
TEST(invalid_utf8_takes_the_object_path)
{
    struct job *j = job_create("q", "bad\xff", NULL);
    size_t la = 0, lb = 0;
    char *a = job_encode(j, &la), *b = job_encode_revived(j, &lb);
    CHECK(la == lb && memcmp(a, b, la) == 0);
    free(a);
    free(b);
    job_free(j);
}
