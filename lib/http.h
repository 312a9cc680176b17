/*
 * lib/http.h: outbound HTTP(S) with libcurl's multi interface driven by a
 * libuv loop (one uv_poll per socket via curl_multi_assign, one uv_timer for
 * curl's timeouts; LIBRARIES.md lists the traps). Many transfers run at once
 * without blocking the loop; connections are reused per host.
 *
 * Every response body is capped (a named limit per request); a transport
 * failure (refused, DNS, TLS, timeout) is reported apart from an HTTP status.
 * Redirects are not followed and only http:// and https:// are spoken.
 * Callbacks never run inside http_request(); http_cancel() and
 * http_client_close() call them before they return.
 *
 * Ownership: the client copies everything in struct http_request; the
 * response passed to the callback is borrowed for the duration of the call.
 */
#ifndef SENTIA_LIB_HTTP_H
#define SENTIA_LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct http_client;
struct http_transfer;

struct http_request {
    const char *method;          /* "GET", "POST", … */
    const char *url;
    const char *const *headers;  /* "Name: value" strings, NULL-terminated, or NULL */
    const char *body;            /* may be NULL */
    size_t body_len;
    const char *basic_auth;      /* "user:password", or NULL; never logged */
    int timeout_ms;              /* whole transfer; default 30000 */
    int connect_timeout_ms;      /* default 5000 */
    size_t max_response_bytes;   /* default 8 MiB; larger → error "response too large" */
};

struct http_response {
    long status;          /* 0 when the transfer failed */
    const char *error;    /* NULL, or why the transfer failed (curl's text, "cancelled", …) */
    bool timed_out;
    const char *body;     /* NUL-terminated */
    size_t body_len;
    double total_ms;
    const void *priv;     /* the client's: response headers for http_response_header */
};

typedef void (*http_cb)(void *data, const struct http_response *res);

/* Creates a client on loop; 0, or -1 if curl could not be set up. Call
 * curl_global_init() once in main() before any thread starts. */
int http_client_create(uv_loop_t *loop, struct http_client **out);
/* Cancels running transfers (callbacks get "cancelled"), then frees the client. */
void http_client_close(struct http_client *c, void (*on_closed)(void *), void *data);

/* Starts a transfer; cb is called exactly once. The handle is valid until then. */
struct http_transfer *http_request(struct http_client *c, const struct http_request *req,
                                   http_cb cb, void *data);
/* Stops a transfer; its callback is called with error "cancelled". */
void http_cancel(struct http_transfer *t);

/* A response header's value (case-insensitive name, first match), or NULL. */
const char *http_response_header(const struct http_response *res, const char *name);

/* Percent-encodes s for application/x-www-form-urlencoded; caller frees. */
char *http_form_escape(const char *s);

/*
 * The one Retry-After parser (RFC 9110 10.2.3): delay-seconds — fractional
 * seconds accepted, rounded up to whole ms — or an HTTP-date resolved
 * against now_ms (epoch ms). The delay is clamped to [min_ms, max_ms].
 * Returns -1 when value is NULL or not a Retry-After value.
 */
int64_t http_retry_after_ms(const char *value, int64_t now_ms, int64_t min_ms, int64_t max_ms);

#endif
