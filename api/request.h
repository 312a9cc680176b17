/*
 * api/request.h: what every route does with a request — request ids, JSON
 * errors, plain responses, header look-ups, the client's address — and the
 * response filter that puts the common headers on *every* response,
 * including the ones h2o generates itself (413, 400, 417).
 *
 * Request ids: X-Request-Id from the request when it matches
 * [A-Za-z0-9._-]{1,128}, else 32 random hex characters. api_request_begin()
 * decides it and adds it to the response headers, which is also where
 * api_request_id() finds it later (no side table).
 *
 * Errors: {"error":{"code","message","request_id"}}, Content-Type
 * application/json. The filter rewrites h2o's own text/plain errors into the
 * same shape, so a client sees one error format.
 *
 * Security headers (filter): X-Content-Type-Options: nosniff,
 * X-Frame-Options: DENY, Referrer-Policy: no-referrer,
 * Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
 * unless the route set its own (the console, api/routes/console.h; the API
 * answers load nothing), Cache-Control: no-store unless the route set one,
 * Strict-Transport-Security when HSTS_MAX_AGE or ENABLE_HSTS, and CORS headers only for
 * origins listed in CORS_ORIGINS. No Server header (globalconf.server_name
 * is empty).
 *
 * Everything allocated here lives in the request's pool.
 */
#ifndef SENTIA_API_REQUEST_H
#define SENTIA_API_REQUEST_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    API_REQUEST_ID_MAX = 128, /* longer incoming ids are replaced */
    API_IP_MAX = 64,          /* textual IPv6 + NUL fits */
};

struct api_server;

/* Chooses the request id and adds the X-Request-Id response header. */
void api_request_begin(h2o_req_t *req);
/* The request id (after api_request_begin), or "" before. */
const char *api_request_id(h2o_req_t *req);
/* True when s[0..len) is an acceptable incoming request id. */
bool api_request_id_valid(const char *s, size_t len);

/* The value of request header `lname` (lower-case), or {NULL, 0}. */
h2o_iovec_t api_header(h2o_req_t *req, const char *lname);
/* Adds a response header (name and value copied into the pool). */
void api_add_header(h2o_req_t *req, const char *name, const char *value);
/* True when the media type of Content-Type is `type` (case-insensitive). */
bool api_content_type_is(h2o_req_t *req, const char *type);

/* Sends a complete response with a body; content_type may be NULL. */
void api_respond(h2o_req_t *req, int status, const char *content_type,
                 const char *body, size_t len);
/*
 * Sends a JSON document (takes the reference to doc) as application/json.
 * Reals print with 9 significant digits: latencies measured in µs stay
 * exact ("0.123" ms, not 17 digits of binary noise).
 */
void api_respond_json(h2o_req_t *req, int status, json_t *doc);
/*
 * A read's answer (docs/API-CONTRACT.md, ETag): the JSON body body[0..len)
 * (copied) with `ETag: "<first 32 hex of SHA-256 of the body>"` and
 * `Cache-Control: private, max-age=0` — or 304 with the ETag and no body
 * when If-None-Match holds that tag (any entry of its list, W/ ignored) or *.
 */
void api_respond_cached(h2o_req_t *req, const char *body, size_t len);
/* The ETag of a body: `"` + the first 32 hex digits of its SHA-256 + `"`. */
void api_etag_of(const char *body, size_t len, char out[35]);
/* api_respond_cached with the body's ETag already known. */
void api_respond_etag(h2o_req_t *req, const char *body, size_t len, const char *etag);
/* The same for a JSON document (takes the reference to doc). */
void api_respond_cached_json(h2o_req_t *req, json_t *doc);
/* True when If-None-Match matches etag (with its quotes). */
bool api_etag_matches(h2o_req_t *req, const char *etag, size_t len);

/* Sends the JSON error document; message is plain text (escaped here). */
void api_respond_error(h2o_req_t *req, int status, const char *code,
                       const char *message);
/* The same with a Retry-After header (seconds). */
void api_respond_retry(h2o_req_t *req, int status, const char *code,
                       const char *message, int retry_after_s);

/* The canonical reason phrase of an HTTP status. */
const char *api_reason(int status);

/*
 * The client's address as text into out: the peer, or with trust_hops > 0
 * the hops-th address from the right of X-Forwarded-For (each trusted proxy
 * appends one). Every X-Forwarded-For line counts, joined in order into one
 * list (RFC 7230 §3.2.2): a client that sends its own line ahead of the
 * proxy's cannot choose the address. Returns 0, or -1 when no address is
 * known ("unknown").
 */
int api_client_ip(h2o_req_t *req, int trust_hops, char *out, size_t size);

/* Every X-Forwarded-For line joined with ',' (in the pool); {NULL, 0} if none. */
h2o_iovec_t api_xff_joined(h2o_req_t *req);

/* True when origin[0..len) is in the NULL-terminated list. */
bool api_origin_allowed(char *const *origins, const char *origin, size_t len);

/* Registers the common-headers filter on a path (and the fallback path). */
void api_request_filter_register(h2o_pathconf_t *pathconf, struct api_server *s);

#endif
