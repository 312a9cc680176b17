/*
 * lib/http.c: libcurl's multi interface on a libuv loop (contract in
 * http.h, traps in LIBRARIES.md).
 *
 * curl tells us which sockets to watch (socket callback: one uv_poll per
 * socket, attached with curl_multi_assign, closed on CURL_POLL_REMOVE and
 * freed in its close callback) and when to wake it (timer callback: one
 * uv_timer; -1 stops it, 0 becomes a 0 ms timer, curl is never called back
 * recursively). Finished transfers are collected with curl_multi_info_read
 * after every curl_multi_socket_action.
 *
 * Lifetimes: a transfer lives from http_request() until its callback has
 * returned; it is removed from the multi handle before the callback runs, so
 * the callback may start or cancel other transfers. The client is freed once
 * its timer and every socket poll handle have been closed.
 */
#include "lib/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/mem.h"

enum {
    HTTP_DEFAULT_TIMEOUT_MS = 30000,
    HTTP_DEFAULT_CONNECT_TIMEOUT_MS = 5000,
    HTTP_DEFAULT_MAX_RESPONSE = 8 * 1024 * 1024, /* a provider page, not a download */
    HTTP_HEADERS_MAX = 64 * 1024, /* response headers past this are dropped */
};

struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct http_client *client;
};

struct http_transfer {
    struct http_transfer *prev, *next;
    struct http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct buf resp, hdrs;
    bool too_large;
    http_cb cb;
    void *data;
    char errbuf[CURL_ERROR_SIZE];
};

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct http_transfer transfers; /* list head */
    int handles_open;               /* timer + socket polls */
    bool closing;
    void (*on_closed)(void *);
    void *closed_data;
};

/* Response headers turned into "name\0value\0" pairs, for lookups. */
struct http_header_pairs {
    const char *data;
    size_t len;
};

/* ---- sockets and timer -------------------------------------------------- */

static void http_check_done(struct http_client *c);

static void http_client_maybe_free(struct http_client *c)
{
    if (c->handles_open > 0 || !c->closing)
        return;
    void (*cb)(void *) = c->on_closed;
    void *data = c->closed_data;
    free(c);
    if (cb)
        cb(data);
}

static void http_timer_closed(uv_handle_t *h)
{
    struct http_client *c = h->data;
    c->handles_open--;
    http_client_maybe_free(c);
}

static void http_sock_closed(uv_handle_t *h)
{
    struct http_sock *s = h->data;
    struct http_client *c = s->client;
    free(s);
    c->handles_open--;
    http_client_maybe_free(c);
}

static void http_on_poll(uv_poll_t *h, int status, int events)
{
    struct http_sock *s = h->data;
    struct http_client *c = s->client;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0, running = 0;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    http_check_done(c);
}

/* curl's socket callback: start, change or stop watching one socket. */
static int http_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                          void *socketp)
{
    struct http_client *c = userp;
    struct http_sock *s = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(c->multi, fd, NULL);
            uv_close((uv_handle_t *)&s->poll, http_sock_closed);
        }
        return 0;
    }
    if (s == NULL) {
        s = mem_calloc(1, sizeof *s);
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1; /* curl fails the transfer */
        }
        s->fd = fd;
        s->client = c;
        s->poll.data = s;
        c->handles_open++;
        curl_multi_assign(c->multi, fd, s);
    }
    int events = ((what & CURL_POLL_IN) ? UV_READABLE : 0) |
                 ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, events, http_on_poll);
    return 0;
}

static void http_on_timer(uv_timer_t *t)
{
    struct http_client *c = t->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    http_check_done(c);
}

/* curl's timer callback: only (re)arms the uv timer, never calls curl. */
static int http_on_timeout(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, http_on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- transfers ---------------------------------------------------------- */

static size_t http_on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    struct http_transfer *t = userdata;
    if (buf_append(&t->resp, ptr, size * n) != 0) {
        t->too_large = true;
        return 0; /* curl aborts with CURLE_WRITE_ERROR */
    }
    return size * n;
}

static size_t http_on_header(char *ptr, size_t size, size_t n, void *userdata)
{
    struct http_transfer *t = userdata;
    size_t len = size * n;
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        buf_reset(&t->hdrs); /* a new response (after 100 Continue): keep the last */
    buf_append(&t->hdrs, ptr, len); /* past the cap, headers are dropped */
    return len;
}

static void http_transfer_free(struct http_transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    buf_dispose(&t->resp);
    buf_dispose(&t->hdrs);
    free(t);
}

/*
 * Rewrites "Name: value\r\n" lines in place into "name\0value\0" pairs
 * (the status line is skipped); returns the bytes used.
 */
static size_t http_split_headers(char *d, size_t len)
{
    size_t out = 0, i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && d[end] != '\n')
            end++;
        size_t stop = end;
        while (stop > i && (d[stop - 1] == '\r' || d[stop - 1] == ' '))
            stop--;
        char *colon = memchr(d + i, ':', stop - i);
        if (colon != NULL && colon != d + i) {
            size_t nlen = (size_t)(colon - (d + i));
            size_t v = nlen + 1;
            while (i + v < stop && (d[i + v] == ' ' || d[i + v] == '\t'))
                v++;
            memmove(d + out, d + i, nlen);
            d[out + nlen] = '\0';
            memmove(d + out + nlen + 1, d + i + v, stop - i - v);
            out += nlen + 1 + (stop - i - v);
            d[out++] = '\0';
        }
        i = end + 1;
    }
    return out;
}

/* Calls the callback with the outcome and frees the transfer. */
static void http_finish(struct http_transfer *t, CURLcode code, const char *error)
{
    struct http_response r = {0};
    struct http_header_pairs pairs = {0};
    double total_s = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &total_s);
    r.total_ms = total_s * 1000.0;
    r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (error == NULL && t->too_large)
        error = "response too large";
    else if (error == NULL && code != CURLE_OK)
        error = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
    r.error = error;
    if (error != NULL)
        r.status = 0;
    r.body = buf_str(&t->resp);
    r.body_len = t->resp.len;
    if (t->hdrs.data != NULL) {
        pairs.data = t->hdrs.data;
        pairs.len = http_split_headers(t->hdrs.data, t->hdrs.len);
    }
    r.priv = &pairs;
    t->cb(t->data, &r);
    http_transfer_free(t);
}

/* Detaches t from the multi handle and the client's list. */
static void http_detach(struct http_transfer *t)
{
    curl_multi_remove_handle(t->client->multi, t->easy);
    t->prev->next = t->next;
    t->next->prev = t->prev;
}

static void http_check_done(struct http_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct http_transfer *t = NULL;
        CURLcode code = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        http_detach(t);
        http_finish(t, code, NULL);
    }
}

/* Sets the options of a new easy handle from req. */
static void http_configure(struct http_transfer *t, const struct http_request *req)
{
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     (long)(req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                        : HTTP_DEFAULT_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sentia-worker/" SENTIA_VERSION);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        t->headers = curl_slist_append(t->headers, req->headers[i]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (req->basic_auth) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, req->basic_auth);
    }
    const char *method = req->method ? req->method : "GET";
    if (req->body != NULL) {
        t->body = mem_alloc(req->body_len + 1);
        memcpy(t->body, req->body, req->body_len);
        t->body[req->body_len] = '\0';
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0 || req->body != NULL)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

/* ---- API ---------------------------------------------------------------- */

int http_client_create(uv_loop_t *loop, struct http_client **out)
{
    struct http_client *c = mem_calloc(1, sizeof *c);
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        free(c);
        return -1;
    }
    c->loop = loop;
    c->transfers.next = c->transfers.prev = &c->transfers;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, http_on_timeout);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    *out = c;
    return 0;
}

struct http_transfer *http_request(struct http_client *c, const struct http_request *req,
                                   http_cb cb, void *data)
{
    struct http_transfer *t = mem_calloc(1, sizeof *t);
    t->client = c;
    t->cb = cb;
    t->data = data;
    buf_init(&t->resp, req->max_response_bytes > 0 ? req->max_response_bytes
                                                   : HTTP_DEFAULT_MAX_RESPONSE);
    buf_init(&t->hdrs, HTTP_HEADERS_MAX);
    t->easy = curl_easy_init();
    if (t->easy == NULL)
        abort(); /* only on allocation failure: lib/mem.h's policy */
    http_configure(t, req);
    if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK)
        abort(); /* a fresh handle on our own multi: only out of memory */
    t->next = &c->transfers;
    t->prev = c->transfers.prev;
    c->transfers.prev->next = t;
    c->transfers.prev = t;
    return t;
}

void http_cancel(struct http_transfer *t)
{
    http_detach(t);
    http_finish(t, CURLE_ABORTED_BY_CALLBACK, "cancelled");
}

void http_client_close(struct http_client *c, void (*on_closed)(void *), void *data)
{
    c->closing = true;
    c->on_closed = on_closed;
    c->closed_data = data;
    while (c->transfers.next != &c->transfers)
        http_cancel(c->transfers.next);
    curl_multi_cleanup(c->multi); /* may report CURL_POLL_REMOVE for cached sockets */
    c->multi = NULL;
    uv_close((uv_handle_t *)&c->timer, http_timer_closed);
}

const char *http_response_header(const struct http_response *res, const char *name)
{
    const struct http_header_pairs *p = res->priv;
    for (size_t i = 0; p && i < p->len;) {
        const char *n = p->data + i;
        const char *v = n + strlen(n) + 1;
        if (strcasecmp(n, name) == 0)
            return v;
        i = (size_t)(v + strlen(v) + 1 - p->data);
    }
    return NULL;
}

char *http_form_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = mem_alloc(n * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
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

/* ---- Retry-After ------------------------------------------------------------ */

/* delay-seconds (fractional allowed) as ms rounded up; -1 when not one. */
static double http_delay_seconds_ms(const char *value)
{
    char *end = NULL;
    if (!isdigit((unsigned char)*value) && *value != '.')
        return -1;
    errno = 0;
    double s = strtod(value, &end);
    while (end && *end == ' ')
        end++;
    if (errno != 0 || end == value || *end != '\0' || !isfinite(s) || s < 0)
        return -1;
    return ceil(s * 1000.0);
}

/* An IMF-fixdate as ms from now_ms (may be negative); false when not one. */
static bool http_date_ms(const char *value, int64_t now_ms, double *out)
{
    struct tm tm = {0};
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    while (end && *end == ' ')
        end++;
    if (end == NULL || *end != '\0')
        return false;
    *out = (double)timegm(&tm) * 1000.0 - (double)now_ms;
    return true;
}

int64_t http_retry_after_ms(const char *value, int64_t now_ms, int64_t min_ms, int64_t max_ms)
{
    double ms;
    if (value == NULL)
        return -1;
    while (*value == ' ')
        value++;
    ms = http_delay_seconds_ms(value);
    if (ms < 0 && !(isalpha((unsigned char)*value) && http_date_ms(value, now_ms, &ms)))
        return -1;
    if (ms < (double)min_ms)
        return min_ms;
    if (ms > (double)max_ms)
        return max_ms;
    return (int64_t)ms;
}
