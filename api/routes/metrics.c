/*
 * api/routes/metrics.c: GET /metrics (see metrics.h).
 */
#include "api/routes/metrics.h"

#include "api/metrics.h"
#include "api/snapshot.h"
#include "lib/buf.h"

/* A scrape of 64 queues × a few dozen job types stays far below this. */
enum { METRICS_ROUTE_BODY_MAX = 4 * 1024 * 1024 };

static void metrics_route_done(h2o_req_t *req, const struct snapshot *s)
{
    struct buf b;
    buf_init(&b, METRICS_ROUTE_BODY_MAX);
    metrics_render(&b, api_ctx_server(req), s);
    h2o_iovec_t body = h2o_strdup(&req->pool, buf_str(&b), b.len);
    buf_dispose(&b);
    api_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", body.base, body.len);
}

void metrics_route_scrape(struct api_call *call)
{
    snapshot_collect(call->req, true, metrics_route_done);
}
