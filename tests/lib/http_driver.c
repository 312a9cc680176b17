/*
 * tests/lib/http_driver.c: runs lib/http requests described in JSON on a
 * libuv loop, for tests/integration/test_http.py (which owns the HTTP server).
 *
 *   http-test-driver < SPEC
 *   SPEC: {"requests": [{"method","url","body","headers":[…],"basic_auth",
 *          "timeout_ms","max_response_bytes","cancel_after_ms","header"}…],
 *          "sequential": bool, "close_after_ms": N}
 * All requests start at once unless "sequential" (each after the previous
 * answered). "close_after_ms" closes the client then, cancelling what runs;
 * otherwise it is closed once every request has answered.
 * Prints one JSON line per answered request: {"i","status","error",
 * "timed_out","body_len","body","header"} (body cut to 4 KiB; "header" is the
 * value of the response header the request named), and exits 0.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"
#include "lib/mem.h"

enum { DRIVER_BODY_SHOWN = 4096, DRIVER_MAX_REQUESTS = 256, DRIVER_MAX_HEADERS = 16 };

struct driver;

struct driver_req {
    struct driver *d;
    int index;
    json_t *spec;
    struct http_transfer *t;
    uv_timer_t cancel;
    bool done;
};

struct driver {
    uv_loop_t *loop;
    struct http_client *client;
    struct driver_req reqs[DRIVER_MAX_REQUESTS];
    int n, next;
    bool sequential, closed;
    uv_timer_t close_timer;
};

static void driver_start(struct driver *d, int i);
static void driver_on_close_timer(uv_timer_t *t);

static bool driver_all_done(const struct driver *d)
{
    for (int i = 0; i < d->n; i++)
        if (!d->reqs[i].done)
            return false;
    return true;
}

static void driver_on_response(void *data, const struct http_response *res)
{
    struct driver_req *r = data;
    const char *hname = json_string_value(json_object_get(r->spec, "header"));
    const char *hval = hname ? http_response_header(res, hname) : NULL;
    json_t *out = json_pack("{s:i,s:i,s:o,s:b,s:I,s:s%,s:o}", "i", r->index, "status",
                            (int)res->status, "error",
                            res->error ? json_string(res->error) : json_null(), "timed_out",
                            res->timed_out, "body_len", (json_int_t)res->body_len, "body",
                            res->body,
                            res->body_len > DRIVER_BODY_SHOWN ? (size_t)DRIVER_BODY_SHOWN
                                                              : res->body_len,
                            "header", hval ? json_string(hval) : json_null());
    char *line = json_dumps(out, JSON_COMPACT);
    printf("%s\n", line ? line : "{}");
    fflush(stdout);
    free(line);
    json_decref(out);
    r->done = true;
    r->t = NULL;
    uv_timer_stop(&r->cancel);
    if (r->d->sequential && !r->d->closed && r->index + 1 < r->d->n)
        driver_start(r->d, r->index + 1);
    else if (driver_all_done(r->d) && !r->d->closed) /* close outside curl's callbacks */
        uv_timer_start(&r->d->close_timer, driver_on_close_timer, 0, 0);
}

static void driver_on_cancel(uv_timer_t *t)
{
    struct driver_req *r = t->data;
    if (r->t != NULL)
        http_cancel(r->t);
}

static void driver_start(struct driver *d, int i)
{
    struct driver_req *r = &d->reqs[i];
    json_t *s = r->spec, *hs = json_object_get(s, "headers");
    const char *headers[DRIVER_MAX_HEADERS + 1] = {NULL};
    for (size_t k = 0; k < json_array_size(hs) && k < DRIVER_MAX_HEADERS; k++)
        headers[k] = json_string_value(json_array_get(hs, k));
    const char *body = json_string_value(json_object_get(s, "body"));
    struct http_request req = {
        .method = json_string_value(json_object_get(s, "method")),
        .url = json_string_value(json_object_get(s, "url")),
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .basic_auth = json_string_value(json_object_get(s, "basic_auth")),
        .timeout_ms = (int)json_integer_value(json_object_get(s, "timeout_ms")),
        .max_response_bytes = (size_t)json_integer_value(json_object_get(s, "max_response_bytes")),
    };
    r->t = http_request(d->client, &req, driver_on_response, r);
    json_int_t cancel_ms = json_integer_value(json_object_get(s, "cancel_after_ms"));
    if (cancel_ms > 0)
        uv_timer_start(&r->cancel, driver_on_cancel, (uint64_t)cancel_ms, 0);
}

static void driver_closed(void *data)
{
    struct driver *d = data;
    for (int i = 0; i < d->n; i++)
        uv_close((uv_handle_t *)&d->reqs[i].cancel, NULL);
    uv_close((uv_handle_t *)&d->close_timer, NULL);
}

static void driver_close(struct driver *d)
{
    if (d->closed)
        return;
    d->closed = true;
    http_client_close(d->client, driver_closed, d);
}

static void driver_on_close_timer(uv_timer_t *t)
{
    driver_close(t->data);
}

int main(void)
{
    json_error_t err;
    json_t *spec = json_loadf(stdin, 0, &err);
    json_t *reqs = json_object_get(spec, "requests");
    static struct driver d;
    uv_loop_t loop;
    if (!json_is_array(reqs) || json_array_size(reqs) > DRIVER_MAX_REQUESTS) {
        fprintf(stderr, "http-test-driver: bad spec: %s\n", err.text);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&loop);
    d.loop = &loop;
    d.n = (int)json_array_size(reqs);
    d.sequential = json_is_true(json_object_get(spec, "sequential"));
    if (http_client_create(&loop, &d.client) != 0)
        return 1;
    uv_timer_init(&loop, &d.close_timer);
    d.close_timer.data = &d;
    for (int i = 0; i < d.n; i++) {
        d.reqs[i] = (struct driver_req){.d = &d, .index = i, .spec = json_array_get(reqs, i)};
        uv_timer_init(&loop, &d.reqs[i].cancel);
        d.reqs[i].cancel.data = &d.reqs[i];
    }
    for (int i = 0; i < d.n && (i == 0 || !d.sequential); i++)
        driver_start(&d, i);
    json_int_t close_ms = json_integer_value(json_object_get(spec, "close_after_ms"));
    if (close_ms > 0)
        uv_timer_start(&d.close_timer, driver_on_close_timer, (uint64_t)close_ms, 0);
    if (d.n == 0)
        driver_close(&d);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    json_decref(spec);
    curl_global_cleanup();
    return 0;
}
