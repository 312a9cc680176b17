/*
 * worker/providers/twilio.c: building Twilio Messages API requests and judging the
 * answers (twilio.h has the rules).
 */
#include "worker/providers/twilio.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/http.h"
#include "lib/mem.h"

/* ---- the request -------------------------------------------------------------- */

char *twilio_messages_url(const char *api_base, const char *account_sid)
{
    size_t n = strlen(api_base);
    while (n > 0 && api_base[n - 1] == '/')
        n--;
    return mem_printf("%.*s/2010-04-01/Accounts/%s/Messages.json", (int)n, api_base,
                      account_sid);
}

char *twilio_form_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = mem_alloc(strlen(s) * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '*') {
            *o++ = (char)*p;
        } else if (*p == ' ') {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* Appends "&name=escaped(value)" (no '&' first). */
static void twilio_form_field(struct buf *b, const char *name, const char *value)
{
    char *v = twilio_form_escape(value);
    buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, v);
    free(v);
}

char *twilio_message_form(const char *to, const char *from, const char *body,
                          const char *status_callback)
{
    struct buf b;
    /* Body ≤ 1600 UTF-16 units ≤ 6400 bytes, ×3 when escaped, plus the rest */
    buf_init(&b, 64 * 1024);
    twilio_form_field(&b, "To", to);
    twilio_form_field(&b, "From", from);
    twilio_form_field(&b, "Body", body);
    if (status_callback && status_callback[0])
        twilio_form_field(&b, "StatusCallback", status_callback);
    return buf_steal(&b);
}

/* ---- the answer ---------------------------------------------------------------- */

bool twilio_sid_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return false;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) || (s[n] & 0x80))
            return false;
    return n >= 2 && n <= TWILIO_SID_MAX;
}

int64_t twilio_retry_after_ms(const char *value, int64_t now_ms)
{
    return http_retry_after_ms(value, now_ms, TWILIO_RETRY_AFTER_MIN_MS, TWILIO_RETRY_AFTER_MAX_MS);
}

/* Reads Twilio's error document {"code","message",…} into out->code/message. */
static void twilio_read_error(const json_t *doc, struct twilio_outcome *out)
{
    json_t *code = json_object_get(doc, "code");
    const char *msg = json_string_value(json_object_get(doc, "message"));
    if (json_is_integer(code))
        out->code = (int)json_integer_value(code);
    if (msg != NULL)
        snprintf(out->message, sizeof out->message, "%s", msg);
}

/* A 2xx answer: the message resource's sid and status. */
static void twilio_read_accepted(const json_t *doc, struct twilio_outcome *out)
{
    const char *sid = json_string_value(json_object_get(doc, "sid"));
    const char *status = json_string_value(json_object_get(doc, "status"));
    if (!twilio_sid_valid(sid)) {
        out->verdict = TWILIO_RETRY;
        snprintf(out->message, sizeof out->message, "answer %ld without a message sid",
                 out->http_status);
        return;
    }
    out->verdict = TWILIO_ACCEPTED;
    snprintf(out->sid, sizeof out->sid, "%s", sid);
    if (status == NULL || status[0] == '\0' || strlen(status) >= sizeof out->status ||
        strspn(status, "abcdefghijklmnopqrstuvwxyz_") != strlen(status))
        status = "queued";
    snprintf(out->status, sizeof out->status, "%s", status);
}

void twilio_judge(long status, const char *transport_error, bool timed_out, const char *body,
                  size_t body_len, const char *retry_after, int64_t now_ms,
                  struct twilio_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->http_status = status;
    if (status == 0) {
        out->verdict = TWILIO_RETRY;
        snprintf(out->message, sizeof out->message, "%s",
                 timed_out ? "timed out" : transport_error ? transport_error : "no answer");
        return;
    }
    json_t *doc = body ? json_loadb(body, body_len, 0, NULL) : NULL;
    if (status >= 200 && status < 300) {
        twilio_read_accepted(doc, out);
        json_decref(doc);
        return;
    }
    snprintf(out->message, sizeof out->message, "HTTP %ld", status);
    twilio_read_error(doc, out);
    json_decref(doc);
    if (status == 429) {
        out->defer_ms = twilio_retry_after_ms(retry_after, now_ms);
        out->verdict = out->defer_ms > 0 ? TWILIO_DEFER : TWILIO_RETRY;
    } else if (status >= 500 || status == 401 || status == 403 || status == 408 ||
               status < 400) {
        out->verdict = TWILIO_RETRY;
    } else {
        out->verdict = TWILIO_REJECTED;
    }
}
