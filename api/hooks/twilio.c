/*
 * api/hooks/twilio.c: Twilio signature verification and the two Twilio routes
 * (see twilio.h).
 */
#include "api/hooks/twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/hooks/webhook.h"
#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/mem.h"
#include "lib/url.h"

/* ---- signatures --------------------------------------------------------- */

/* base64(HMAC-SHA1(token, base + path_query + params)) into out. */
static int twilio_expected(const char *token, const char *base, const char *pq,
                           size_t pq_len, const struct form *params,
                           char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA1_LEN)])
{
    size_t total = strlen(base) + pq_len + 1;
    for (size_t i = 0; params && i < params->n; i++)
        total += params->fields[i].key_len + params->fields[i].value_len;
    struct buf b;
    buf_init(&b, total);
    buf_puts(&b, base);
    buf_append(&b, pq, pq_len);
    for (size_t i = 0; params && i < params->n; i++) {
        const struct form_field *f = &params->fields[i];
        /* A repeated key with a repeated value counts once (twilio-node). */
        if (i > 0 && f->key_len == f[-1].key_len && f->value_len == f[-1].value_len &&
            memcmp(f->key, f[-1].key, f->key_len) == 0 &&
            memcmp(f->value, f[-1].value, f->value_len) == 0)
            continue;
        buf_append(&b, f->key, f->key_len);
        buf_append(&b, f->value, f->value_len);
    }
    uint8_t mac[CRYPTO_SHA1_LEN];
    crypto_hmac_sha1(token, strlen(token), b.data ? b.data : "", b.len, mac);
    buf_dispose(&b);
    crypto_base64_encode(mac, sizeof mac, out);
    return 0;
}

bool twilio_signature_valid(const char *token, char *const *bases, size_t nbases,
                            const char *path_query, size_t pq_len,
                            const struct form *sorted_params, const char *sig,
                            size_t sig_len)
{
    bool ok = false;
    for (size_t i = 0; i < nbases; i++) {
        char expect[CRYPTO_BASE64_SIZE(CRYPTO_SHA1_LEN)];
        twilio_expected(token, bases[i], path_query, pq_len, sorted_params, expect);
        ok |= crypto_equal(expect, strlen(expect), sig, sig_len);
    }
    return ok;
}

/* The slot of the token that signed the request (every slot checked), or -1. */
static int twilio_signature_slot(const struct api_secrets *tokens, char *const *bases,
                                 const char *pq, size_t pq_len, const struct form *params,
                                 h2o_iovec_t sig)
{
    int slot = -1;
    for (size_t i = 0; i < tokens->n; i++) {
        bool ok = twilio_signature_valid(tokens->v[i], bases, 2, pq, pq_len, params, sig.base,
                                         sig.len);
        if (ok && slot < 0)
            slot = (int)i;
    }
    return slot;
}

/* ---- bodies ------------------------------------------------------------- */

/* Every field as a JSON string, in arrival order (first of a repeated key). */
static json_t *twilio_form_payload(const struct form *f)
{
    json_t *o = json_object();
    for (size_t i = 0; i < f->n; i++) {
        const struct form_field *x = &f->fields[i];
        if (webhook_has_nul(x->key, x->key_len) || webhook_has_nul(x->value, x->value_len)) {
            json_decref(o);
            return NULL;
        }
        if (json_object_getn(o, x->key, x->key_len) != NULL)
            continue;
        json_t *v = json_stringn(x->value, x->value_len);
        if (v == NULL || json_object_setn_new(o, x->key, x->key_len, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* True when the URL's bodySHA256 query parameter is the body's hex SHA-256. */
static bool twilio_body_hash_ok(h2o_req_t *req)
{
    h2o_iovec_t path = req->input.path;
    const char *q = memchr(path.base, '?', path.len);
    if (q == NULL)
        return false;
    struct form qs;
    const char *why;
    if (form_parse(q + 1, path.len - (size_t)(q + 1 - path.base), TWILIO_FIELDS_MAX, &qs,
                   &why) != 0)
        return false;
    const struct form_field *claimed = form_get(&qs, "bodySHA256");
    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(req->entity.base ? req->entity.base : "", req->entity.len, digest);
    crypto_hex_encode(digest, sizeof digest, hex);
    bool ok = claimed != NULL && crypto_equal(hex, strlen(hex), claimed->value,
                                              claimed->value_len);
    form_dispose(&qs);
    return ok;
}

/* A field's value as a C string if present, non-empty and short enough. */
static const char *twilio_field(json_t *payload, const char *key, size_t max)
{
    json_t *v = json_object_get(payload, key);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    if (s == NULL || n == 0 || n > max || strlen(s) != n)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == ':' || (unsigned char)s[i] >= 0x7f)
            return NULL;
    return s;
}

/* ---- routes ------------------------------------------------------------- */

/*
 * Verifies the request and builds its payload. Returns the payload, or NULL
 * after answering the request with the reason.
 */
static json_t *twilio_verify_or_respond(struct api_call *call, const struct api_config *cfg)
{
    h2o_req_t *req = call->req;
    h2o_iovec_t sig = api_header(req, "x-twilio-signature");
    h2o_iovec_t pq = req->input.path;
    const char *body = req->entity.base ? req->entity.base : "";
    if (sig.base == NULL) {
        webhook_refuse(call, WEBHOOK_REASON_MISSING_SIGNATURE, 400,
                       "X-Twilio-Signature header is missing");
        return NULL;
    }
    if (api_content_type_is(req, "application/json")) {
        int slot = twilio_body_hash_ok(req)
                       ? twilio_signature_slot(&cfg->twilio_tokens, cfg->twilio_bases, pq.base,
                                               pq.len, NULL, sig)
                       : -1;
        if (slot < 0) {
            webhook_refuse(call, WEBHOOK_REASON_INVALID_SIGNATURE,
                           403, "Twilio request validation failed");
            return NULL;
        }
        webhook_count_match(call, slot);
        /* Without JSON_ALLOW_NUL jansson refuses \u0000, as the worker does. */
        json_t *o = json_loadb(body, req->entity.len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(o)) {
            json_decref(o);
            webhook_reject(call, WEBHOOK_REASON_INVALID_BODY, 400,
                           "body is not a JSON object (NUL is refused)");
            return NULL;
        }
        return o;
    }
    if (!api_content_type_is(req, "application/x-www-form-urlencoded")) {
        webhook_refuse(call, WEBHOOK_REASON_UNSUPPORTED_MEDIA_TYPE,
                       415, "expected application/x-www-form-urlencoded or application/json");
        return NULL;
    }
    struct form f;
    const char *why = NULL;
    if (form_parse(body, req->entity.len, TWILIO_FIELDS_MAX, &f, &why) != 0) {
        webhook_refuse(call, WEBHOOK_REASON_INVALID_BODY, 400, why);
        return NULL;
    }
    json_t *payload = twilio_form_payload(&f);
    form_sort(&f);
    int slot = twilio_signature_slot(&cfg->twilio_tokens, cfg->twilio_bases, pq.base, pq.len,
                                     &f, sig);
    form_dispose(&f);
    if (slot < 0) {
        json_decref(payload);
        webhook_refuse(call, WEBHOOK_REASON_INVALID_SIGNATURE, 403,
                       "Twilio request validation failed");
        return NULL;
    }
    webhook_count_match(call, slot);
    if (payload == NULL)
        webhook_reject(call, WEBHOOK_REASON_INVALID_BODY, 400,
                       "form fields must be valid UTF-8 without NUL bytes");
    return payload;
}

/* Both Twilio routes: verify, check the fields, enqueue. */
static void twilio_handle(struct api_call *call, bool status_callback)
{
    const struct api_config *cfg = api_ctx_config(call->req);
    if (cfg->twilio_tokens.n == 0 || cfg->twilio_bases[0] == NULL) {
        webhook_refuse(call, WEBHOOK_REASON_NOT_CONFIGURED, 503,
                       "Twilio webhooks are not configured (TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL)");
        return;
    }
    json_t *payload = twilio_verify_or_respond(call, cfg);
    if (payload == NULL)
        return;
    const char *sid = twilio_field(payload, "MessageSid", TWILIO_SID_MAX);
    const char *st = status_callback
                         ? twilio_field(payload, "MessageStatus", TWILIO_STATUS_MAX)
                         : "";
    if (sid == NULL || st == NULL) {
        json_decref(payload);
        webhook_reject(call, WEBHOOK_REASON_MISSING_FIELD, 400,
                       status_callback ? "MessageSid and MessageStatus are required"
                                       : "MessageSid is required");
        return;
    }
    struct webhook_job job = {
        .type = mem_strdup(status_callback ? "whatsapp.status" : "whatsapp.inbound"),
        .dedup_key = status_callback ? mem_printf("twilio-status:%s:%s", sid, st)
                                     : mem_printf("twilio:%s", sid),
        .payload = payload,
    };
    webhook_submit(call, &job, 1, WEBHOOK_REPLY_TWIML);
}

void twilio_inbound(struct api_call *call)
{
    twilio_handle(call, false);
}

void twilio_status(struct api_call *call)
{
    twilio_handle(call, true);
}
