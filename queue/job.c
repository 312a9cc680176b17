/*
 * queue/job.c: job envelopes — creation, JSON encoding and strict decoding,
 * and the retry policy (see job.h).
 */
#include "queue/job.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/utf8.h"

/* jansson flags: compact, UTF-8 kept, doubles round-trip exactly. */
#define JOB_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))

struct job *job_create(const char *queue, const char *type, json_t *payload)
{
    struct job *job = mem_calloc(1, sizeof *job);
    crypto_random_id(job->id);
    job->queue = mem_strdup(queue);
    job->type = mem_strdup(type);
    job->max_attempts = JOB_DEFAULT_MAX_ATTEMPTS;
    job->created_ms = clock_wall_ms();
    job->payload = payload ? payload : json_object();
    return job;
}

void job_free(struct job *job)
{
    if (job == NULL)
        return;
    free(job->type);
    free(job->queue);
    free(job->dedup_key);
    free(job->request_id);
    free(job->last_error);
    free(job->raw);
    json_decref(job->payload);
    free(job);
}

/* ---- encoding ----------------------------------------------------------- */

static void job_set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* Builds the envelope object; attempt, error and times given explicitly. */
static json_t *job_object(const struct job *job, int attempt,
                          const char *last_error, int64_t failed_ms,
                          int64_t run_at_ms)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(job->id));
    if (job->track)
        json_object_set_new(o, "track", json_true());
    job_set_str(o, "type", job->type);
    job_set_str(o, "queue", job->queue);
    json_object_set_new(o, "attempt", json_integer(attempt));
    json_object_set_new(o, "max_attempts", json_integer(job->max_attempts));
    json_object_set_new(o, "created_ms", json_integer(job->created_ms));
    job_set_str(o, "dedup_key", job->dedup_key);
    job_set_str(o, "request_id", job->request_id);
    json_object_set(o, "payload", job->payload);
    if (run_at_ms > 0)
        json_object_set_new(o, "run_at_ms", json_integer(run_at_ms));
    if (job->backoff_ms > 0)
        json_object_set_new(o, "backoff_ms", json_integer(job->backoff_ms));
    if (job->backoff_cap_ms > 0)
        json_object_set_new(o, "backoff_cap_ms", json_integer(job->backoff_cap_ms));
    if (job->timeout_ms > 0)
        json_object_set_new(o, "timeout_ms", json_integer(job->timeout_ms));
    if (last_error != NULL) {
        json_object_set_new(o, "last_error", json_string(last_error));
        json_object_set_new(o, "failed_ms", json_integer(failed_ms));
    }
    return o;
}

static char *job_dump(json_t *o, size_t *len)
{
    char *text = json_dumps(o, JOB_JSON_FLAGS);
    json_decref(o);
    if (text == NULL)
        abort(); /* only on allocation failure: see lib/mem.h's policy */
    if (len)
        *len = strlen(text);
    return text;
}

/*
 * The hot path (every webhook): the envelope written straight into one
 * buffer in job_object's key order and jansson's own output format (compact,
 * its string escapes, %lld integers), with only the payload dumped by
 * jansson. Building the object tree to dump it cost 11 % of a webhook's API
 * CPU. test_job compares the two encoders byte for byte.
 */
static void job_put_string(struct buf *b, const char *key, const char *v)
{
    buf_printf(b, ",\"%s\":", key);
    if (v == NULL) {
        buf_puts(b, "null");
        return;
    }
    buf_putc(b, '"');
    for (const char *p = v; *p;) {
        size_t run = strcspn(p, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                                "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
        buf_append(b, p, run);
        p += run;
        if (*p == '\0')
            break;
        static const char *const named[32] = {['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
                                              ['\f'] = "\\f", ['\r'] = "\\r"};
        unsigned char c = (unsigned char)*p++;
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (named[c] != NULL)
            buf_puts(b, named[c]);
        else
            buf_printf(b, "\\u%04X", c);
    }
    buf_putc(b, '"');
}

static int job_dump_to_buf(const char *text, size_t size, void *data)
{
    return buf_append(data, text, size);
}

/* Strings jansson would refuse (invalid UTF-8) take the object path instead. */
static bool job_strings_valid(const struct job *job)
{
    const char *s[] = {job->type, job->queue, job->dedup_key, job->request_id, job->last_error};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i] != NULL && !utf8_valid(s[i], strlen(s[i])))
            return false;
    return true;
}

static char *job_encode_slow(const struct job *job, size_t *len)
{
    return job_dump(job_object(job, job->attempt, job->last_error, job->failed_ms,
                               job->run_at_ms),
                    len);
}

static void job_put_int(struct buf *b, const char *key, int64_t v)
{
    buf_printf(b, ",\"%s\":%lld", key, (long long)v);
}

char *job_encode(const struct job *job, size_t *len)
{
    if (!job_strings_valid(job))
        return job_encode_slow(job, len);
    struct buf b;
    buf_init(&b, (size_t)JOB_ENVELOPE_MAX * 4); /* the caller refuses what is over the limit */
    buf_printf(&b, "{\"id\":\"%s\"%s", job->id, job->track ? ",\"track\":true" : "");
    job_put_string(&b, "type", job->type);
    job_put_string(&b, "queue", job->queue);
    job_put_int(&b, "attempt", job->attempt);
    job_put_int(&b, "max_attempts", job->max_attempts);
    job_put_int(&b, "created_ms", job->created_ms);
    job_put_string(&b, "dedup_key", job->dedup_key);
    job_put_string(&b, "request_id", job->request_id);
    buf_puts(&b, ",\"payload\":");
    if (json_dump_callback(job->payload, job_dump_to_buf, &b, JOB_JSON_FLAGS | JSON_ENCODE_ANY) != 0) {
        buf_dispose(&b); /* past the buffer's cap: the object path has none */
        return job_encode_slow(job, len);
    }
    if (job->run_at_ms > 0)
        job_put_int(&b, "run_at_ms", job->run_at_ms);
    if (job->backoff_ms > 0)
        job_put_int(&b, "backoff_ms", job->backoff_ms);
    if (job->backoff_cap_ms > 0)
        job_put_int(&b, "backoff_cap_ms", job->backoff_cap_ms);
    if (job->timeout_ms > 0)
        job_put_int(&b, "timeout_ms", job->timeout_ms);
    if (job->last_error != NULL) {
        job_put_string(&b, "last_error", job->last_error);
        job_put_int(&b, "failed_ms", job->failed_ms);
    }
    buf_putc(&b, '}');
    if (len)
        *len = b.len;
    return buf_steal(&b);
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static char *job_cut_utf8(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return mem_strdup(s);
    while (n > 0 && (n > max || ((unsigned char)s[n] & 0xc0) == 0x80))
        n--;
    return mem_strndup(s, n);
}

char *job_encode_failed(const struct job *job, const char *error, int64_t now_ms,
                        int64_t due_ms, bool spend_attempt, size_t *len)
{
    char *cut = job_cut_utf8(error ? error : "unknown error", JOB_ERROR_MAX);
    /* jansson refuses invalid UTF-8: keep the error readable regardless. */
    json_t *probe = json_string(cut);
    if (probe == NULL) {
        free(cut);
        cut = mem_strdup("error text was not valid UTF-8");
    }
    json_decref(probe);
    char *text = job_dump(job_object(job, job->attempt + (spend_attempt ? 1 : 0), cut,
                                     now_ms, due_ms),
                          len);
    free(cut);
    return text;
}

char *job_encode_revived(const struct job *job, size_t *len)
{
    return job_dump(job_object(job, 0, job->last_error, job->failed_ms, 0), len);
}

int64_t job_backoff_ms(const struct job *job, uint32_t rnd)
{
    int64_t base = job->backoff_ms > 0 ? job->backoff_ms : JOB_DEFAULT_BACKOFF_MS;
    int64_t cap = job->backoff_cap_ms > 0 ? job->backoff_cap_ms
                                          : JOB_DEFAULT_BACKOFF_CAP_MS;
    int64_t d = base;
    for (int i = 0; i < job->attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    int64_t half = d / 2;
    return d - half + (half > 0 ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
}

/* ---- decoding ----------------------------------------------------------- */

/* A required string of 1..max bytes, copied; NULL if absent or wrong. */
static char *job_get_str(json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > max)
        return NULL;
    return mem_strdup(json_string_value(v));
}

/* An optional string: 0 (absent/null → *out NULL), -1 if not a string. */
static int job_get_opt_str(json_t *o, const char *key, size_t max, char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max)
        return -1;
    *out = mem_strdup(json_string_value(v));
    return 0;
}

/* An integer within [min, max]; absent → def (or -1 when def < min). */
static int job_get_int(json_t *o, const char *key, int64_t min, int64_t max,
                       int64_t def, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        *out = def;
        return def < min ? -1 : 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

/* Fills the numeric fields; returns NULL or the reason. */
static const char *job_decode_numbers(json_t *o, struct job *job)
{
    int64_t attempt, max_attempts;
    if (job_get_int(o, "attempt", 0, JOB_MAX_ATTEMPTS_LIMIT, -1, &attempt) != 0)
        return "attempt missing or out of range";
    if (job_get_int(o, "max_attempts", 1, JOB_MAX_ATTEMPTS_LIMIT, -1, &max_attempts) != 0)
        return "max_attempts missing or out of range";
    if (job_get_int(o, "created_ms", 0, INT64_MAX, -1, &job->created_ms) != 0)
        return "created_ms missing or invalid";
    if (job_get_int(o, "run_at_ms", 0, INT64_MAX, 0, &job->run_at_ms) != 0 ||
        job_get_int(o, "failed_ms", 0, INT64_MAX, 0, &job->failed_ms) != 0 ||
        job_get_int(o, "backoff_ms", 0, INT64_MAX, 0, &job->backoff_ms) != 0 ||
        job_get_int(o, "backoff_cap_ms", 0, INT64_MAX, 0, &job->backoff_cap_ms) != 0)
        return "a time field is not a non-negative integer";
    if (job_get_int(o, "timeout_ms", 0, JOB_TIMEOUT_LIMIT_MS, 0, &job->timeout_ms) != 0)
        return "timeout_ms is not an integer from 0 to 86400000";
    job->attempt = (int)attempt;
    job->max_attempts = (int)max_attempts;
    return NULL;
}

/* Fills the text fields; returns NULL or the reason. */
static const char *job_decode_strings(json_t *o, struct job *job)
{
    char *id = job_get_str(o, "id", JOB_ID_MAX);
    if (id == NULL)
        return "id missing or invalid";
    memcpy(job->id, id, strlen(id) + 1);
    free(id);
    if ((job->type = job_get_str(o, "type", JOB_TYPE_MAX)) == NULL)
        return "type missing or invalid";
    if ((job->queue = job_get_str(o, "queue", JOB_TYPE_MAX)) == NULL)
        return "queue missing or invalid";
    if (job_get_opt_str(o, "dedup_key", JOB_KEY_MAX, &job->dedup_key) != 0 ||
        job_get_opt_str(o, "request_id", JOB_KEY_MAX, &job->request_id) != 0 ||
        job_get_opt_str(o, "last_error", JOB_ERROR_MAX * 2, &job->last_error) != 0)
        return "dedup_key, request_id or last_error is not a string";
    return NULL;
}

int job_decode(const char *raw, size_t len, struct job **out, const char **why)
{
    struct job *job = NULL;
    json_t *o = NULL;
    json_error_t err;
    if (len > JOB_ENVELOPE_MAX) {
        *why = "envelope too large";
        goto fail;
    }
    o = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(o)) {
        *why = o ? "envelope is not a JSON object" : "envelope is not valid JSON";
        goto fail;
    }
    job = mem_calloc(1, sizeof *job);
    if ((*why = job_decode_strings(o, job)) != NULL ||
        (*why = job_decode_numbers(o, job)) != NULL)
        goto fail;
    json_t *track = json_object_get(o, "track");
    if (track != NULL && !json_is_boolean(track)) {
        *why = "track is not a boolean";
        goto fail;
    }
    job->track = json_is_true(track);
    job->payload = json_object_get(o, "payload");
    if (job->payload == NULL) {
        *why = "payload missing";
        goto fail;
    }
    json_incref(job->payload);
    job->raw = mem_strndup(raw, len);
    job->raw_len = len;
    json_decref(o);
    *out = job;
    return 0;
fail:
    job_free(job);
    json_decref(o);
    return -1;
}

bool job_envelope_tracked(const char *raw, size_t len)
{
    static const char flag[] = "\",\"track\":true";
    const size_t head = sizeof "{\"id\":\"" - 1;
    if (len < head || memcmp(raw, "{\"id\":\"", head) != 0)
        return false;
    const char *end = memchr(raw + head, '"', len - head > JOB_ID_MAX + 1 ? JOB_ID_MAX + 1 : len - head);
    return end != NULL && (size_t)(raw + len - end) >= sizeof flag - 1 &&
           memcmp(end, flag, sizeof flag - 1) == 0;
}
