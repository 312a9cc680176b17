/*
 * api/request.c: request ids, responses, errors and the common-headers
 * filter (see request.h).
 */
#include "api/request.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/config.h"
#include "api/server.h"
#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/log.h"

enum {
    API_ETAG_HEX = 32,         /* hex digits of SHA-256 in an ETag */
    API_ERROR_BODY_MAX = 2048, /* an error document never needs more: texts are ours, ids capped */
};

#define API_HDR_REQUEST_ID "x-request-id"

/* ---- helpers ------------------------------------------------------------ */

const char *api_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

bool api_request_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > API_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

h2o_iovec_t api_header(h2o_req_t *req, const char *lname)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, lname, strlen(lname), -1);
    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}

void api_add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, strlen(name));
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL,
                          v.base, v.len);
}

bool api_content_type_is(h2o_req_t *req, const char *type)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t tl = strlen(type), n = 0;
    while (n < v.len && v.base[n] != ';' && v.base[n] != ' ' && v.base[n] != '\t')
        n++;
    return n == tl && strncasecmp(v.base, type, tl) == 0;
}

/* ---- request ids -------------------------------------------------------- */

static ssize_t api_find_res_header(h2o_req_t *req, const char *name)
{
    return h2o_find_header_by_str(&req->res.headers, name, strlen(name), -1);
}

/* Picks the id (incoming if valid, else random) and adds the header. */
static void api_request_assign_id(h2o_req_t *req)
{
    h2o_iovec_t in = api_header(req, API_HDR_REQUEST_ID);
    h2o_iovec_t id;
    if (in.base != NULL && api_request_id_valid(in.base, in.len)) {
        id = h2o_strdup(&req->pool, in.base, in.len);
    } else {
        char fresh[CRYPTO_ID_HEX_LEN + 1];
        crypto_random_id(fresh);
        id = h2o_strdup(&req->pool, fresh, CRYPTO_ID_HEX_LEN);
    }
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT(API_HDR_REQUEST_ID),
                          0, NULL, id.base, id.len);
}

void api_request_begin(h2o_req_t *req)
{
    if (api_find_res_header(req, API_HDR_REQUEST_ID) < 0)
        api_request_assign_id(req);
}

const char *api_request_id(h2o_req_t *req)
{
    ssize_t i = api_find_res_header(req, API_HDR_REQUEST_ID);
    return i < 0 ? "" : req->res.headers.entries[i].value.base;
}

/* ---- responses ---------------------------------------------------------- */

void api_respond(h2o_req_t *req, int status, const char *content_type,
                 const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = api_reason(status);
    req->res.content_length = len;
    if (content_type != NULL)
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       content_type, strlen(content_type), 1);
    h2o_send_inline(req, body, len);
}

void api_respond_json(h2o_req_t *req, int status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    h2o_iovec_t body = h2o_strdup(&req->pool, text ? text : "null", SIZE_MAX);
    free(text);
    api_respond(req, status, "application/json", body.base, body.len);
}

/* ---- cached reads (ETag) ------------------------------------------------- */

/* Does one If-None-Match entry [a, b) (spaces trimmed) name etag? */
static bool api_etag_entry(const char *a, const char *b, const char *etag, size_t len)
{
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (b - a >= 2 && a[0] == 'W' && a[1] == '/')
        a += 2;
    return (b - a == 1 && *a == '*') || ((size_t)(b - a) == len && memcmp(a, etag, len) == 0);
}

bool api_etag_matches(h2o_req_t *req, const char *etag, size_t len)
{
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        const char *p = v.base, *end = v.base + v.len;
        while (p <= end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            if (api_etag_entry(p, stop, etag, len))
                return true;
            p = stop + 1;
        }
    }
    return false;
}

void api_etag_of(const char *body, size_t len, char out[API_ETAG_HEX + 3])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t digest[CRYPTO_SHA256_LEN];
    crypto_sha256(body, len, digest);
    out[0] = '"';
    for (size_t i = 0; i < API_ETAG_HEX / 2; i++) {
        out[1 + 2 * i] = hex[digest[i] >> 4];
        out[2 + 2 * i] = hex[digest[i] & 15];
    }
    out[API_ETAG_HEX + 1] = '"';
    out[API_ETAG_HEX + 2] = '\0';
}

void api_respond_etag(h2o_req_t *req, const char *body, size_t len, const char *etag)
{
    api_add_header(req, "etag", etag);
    api_add_header(req, "cache-control", "private, max-age=0");
    if (api_etag_matches(req, etag, strlen(etag))) {
        api_respond(req, 304, NULL, "", 0);
        return;
    }
    h2o_iovec_t copy = h2o_strdup(&req->pool, body, len);
    api_respond(req, 200, "application/json", copy.base, copy.len);
}

void api_respond_cached(h2o_req_t *req, const char *body, size_t len)
{
    char etag[API_ETAG_HEX + 3];
    api_etag_of(body, len, etag);
    api_respond_etag(req, body, len, etag);
}

void api_respond_cached_json(h2o_req_t *req, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    api_respond_cached(req, text ? text : "null", text ? strlen(text) : 4);
    free(text);
}

/* Builds the error document into a pool string. */
static h2o_iovec_t api_error_body(h2o_req_t *req, const char *code,
                                  const char *message)
{
    struct buf b;
    buf_init(&b, API_ERROR_BODY_MAX);
    buf_puts(&b, "{\"error\":{\"code\":\"");
    log_json_string(&b, code, strlen(code), false);
    buf_puts(&b, "\",\"message\":\"");
    log_json_string(&b, message, strlen(message), false);
    buf_puts(&b, "\",\"request_id\":\"");
    const char *rid = api_request_id(req);
    log_json_string(&b, rid, strlen(rid), false);
    buf_puts(&b, "\"}}");
    h2o_iovec_t out = h2o_strdup(&req->pool, buf_str(&b), b.len);
    buf_dispose(&b);
    return out;
}

void api_respond_error(h2o_req_t *req, int status, const char *code,
                       const char *message)
{
    api_request_begin(req);
    h2o_iovec_t body = api_error_body(req, code, message);
    api_respond(req, status, "application/json", body.base, body.len);
}

void api_respond_retry(h2o_req_t *req, int status, const char *code,
                       const char *message, int retry_after_s)
{
    char v[16];
    snprintf(v, sizeof v, "%d", retry_after_s);
    api_add_header(req, "retry-after", v);
    api_respond_error(req, status, code, message);
}

/* ---- client address ----------------------------------------------------- */

/* Copies the hops-th comma-separated item from the right of v; -1 if none. */
static int api_xff_pick(h2o_iovec_t v, int hops, char *out, size_t size)
{
    size_t end = v.len;
    for (int k = 1; end > 0; k++) {
        size_t start = end;
        while (start > 0 && v.base[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (v.base[a] == ' ' || v.base[a] == '\t'))
            a++;
        while (b > a && (v.base[b - 1] == ' ' || v.base[b - 1] == '\t'))
            b--;
        if (k == hops) {
            if (b - a == 0 || b - a >= size)
                return -1;
            memcpy(out, v.base + a, b - a);
            out[b - a] = '\0';
            unsigned char tmp[sizeof(struct in6_addr)];
            return inet_pton(AF_INET, out, tmp) == 1 || inet_pton(AF_INET6, out, tmp) == 1
                       ? 0
                       : -1;
        }
        end = start > 0 ? start - 1 : 0;
    }
    return -1;
}

/*
 * Every X-Forwarded-For line joined with commas, in order (RFC 7230
 * §3.2.2: several lines of a list header are one list), in the pool;
 * {NULL, 0} when there is none.
 */
h2o_iovec_t api_xff_joined(h2o_req_t *req)
{
    static const char name[] = "x-forwarded-for";
    size_t total = 0, lines = 0;
    ssize_t i = -1;
    while ((i = h2o_find_header_by_str(&req->headers, name, sizeof name - 1, i)) >= 0) {
        total += req->headers.entries[i].value.len + 1;
        lines++;
    }
    if (lines == 0)
        return h2o_iovec_init(NULL, 0);
    char *out = h2o_mem_alloc_pool(&req->pool, total);
    size_t n = 0;
    i = -1;
    while ((i = h2o_find_header_by_str(&req->headers, name, sizeof name - 1, i)) >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        if (n > 0)
            out[n++] = ',';
        memcpy(out + n, v.base, v.len);
        n += v.len;
    }
    return h2o_iovec_init(out, n);
}

int api_client_ip(h2o_req_t *req, int trust_hops, char *out, size_t size)
{
    if (trust_hops > 0) {
        h2o_iovec_t xff = api_xff_joined(req);
        if (xff.base != NULL && api_xff_pick(xff, trust_hops, out, size) == 0)
            return 0;
    }
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    char host[NI_MAXHOST];
    size_t n = len > 0 ? h2o_socket_getnumerichost((struct sockaddr *)&ss, len, host)
                       : SIZE_MAX;
    if (n == SIZE_MAX || n >= size) {
        snprintf(out, size, "unknown");
        return -1;
    }
    memcpy(out, host, n);
    out[n] = '\0';
    return 0;
}

bool api_origin_allowed(char *const *origins, const char *origin, size_t len)
{
    for (size_t i = 0; origins && origins[i]; i++)
        if (strlen(origins[i]) == len && memcmp(origins[i], origin, len) == 0)
            return true;
    return false;
}

/* ---- the common-headers filter ------------------------------------------ */

struct api_filter {
    h2o_filter_t super;
    struct api_server *server;
};

/* Replaces the body of an error h2o generated itself with our JSON. */
struct api_errbody {
    h2o_ostream_t super;
    h2o_iovec_t body;
    bool sent;
};

static void api_errbody_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
                             size_t bufcnt, h2o_send_state_t state)
{
    struct api_errbody *e = (struct api_errbody *)self;
    (void)bufs;
    (void)bufcnt;
    bool head = h2o_memis(req->input.method.base, req->input.method.len,
                          H2O_STRLIT("HEAD"));
    if (!e->sent && !head) {
        e->sent = true;
        h2o_ostream_send_next(&e->super, req, &e->body, 1, state);
        return;
    }
    h2o_ostream_send_next(&e->super, req, NULL, 0, state);
}

static const char *api_error_code_for(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "body_too_large";
    case 417: return "expectation_failed";
    case 503: return "unavailable";
    default: return "http_error";
    }
}

/* Response started by h2o, not by a route: give it an id and a JSON body. */
static void api_filter_adopt(h2o_req_t *req, h2o_ostream_t ***slot)
{
    api_request_assign_id(req);
    if (req->res.status < 400)
        return;
    struct api_errbody *e =
        (struct api_errbody *)h2o_add_ostream(req, sizeof *e, *slot);
    e->super.do_send = api_errbody_send;
    e->sent = false;
    e->body = api_error_body(req, api_error_code_for(req->res.status),
                             req->res.reason ? req->res.reason : "error");
    req->res.content_length = e->body.len;
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   H2O_STRLIT("application/json"), 1);
    *slot = &e->super.next;
}

static void api_add_static(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL,
                          value, strlen(value));
}

static void api_filter_cors(h2o_req_t *req, const struct api_server *s)
{
    h2o_iovec_t origin = api_header(req, "origin");
    if (origin.base == NULL || !api_origin_allowed(s->cfg.cors_origins, origin.base, origin.len))
        return;
    h2o_iovec_t o = h2o_strdup(&req->pool, origin.base, origin.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-origin"),
                          0, NULL, o.base, o.len);
    api_add_static(req, "access-control-expose-headers",
                   "X-Request-Id, Retry-After, X-Sentia-Duplicate");
    api_add_static(req, "vary", "Origin");
}

static void api_filter_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const struct api_server *s = ((struct api_filter *)self)->server;
    if (api_find_res_header(req, API_HDR_REQUEST_ID) < 0)
        api_filter_adopt(req, &slot);
    api_add_static(req, "x-content-type-options", "nosniff");
    api_add_static(req, "x-frame-options", "DENY");
    api_add_static(req, "referrer-policy", "no-referrer");
    if (api_find_res_header(req, "content-security-policy") < 0)
        api_add_static(req, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    if (h2o_find_header(&req->res.headers, H2O_TOKEN_CACHE_CONTROL, -1) < 0)
        api_add_static(req, "cache-control", "no-store");
    if (s->cfg.hsts[0])
        api_add_static(req, "strict-transport-security", s->cfg.hsts);
    api_filter_cors(req, s);
    h2o_setup_next_ostream(req, slot);
}

void api_request_filter_register(h2o_pathconf_t *pathconf, struct api_server *s)
{
    struct api_filter *f = (struct api_filter *)h2o_create_filter(pathconf, sizeof *f);
    f->super.on_setup_ostream = api_filter_setup;
    f->server = s;
}
