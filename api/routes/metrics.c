/*
 * api/routes/metrics.c: GET /metrics (see metrics.h).
 */
#include "api/routes/metrics.h"

#include <stdlib.h>

#include "api/metrics.h"
#include "api/routes/opsdb.h"
#include "api/snapshot.h"
#include "lib/buf.h"
#include "lib/mem.h"

/* A scrape of 64 queues × a few dozen job types stays far below this. */
enum { METRICS_ROUTE_BODY_MAX = 4 * 1024 * 1024 };

/* The Redis part is rendered; the Postgres part (opsdb) follows. */
static void metrics_route_data(h2o_req_t *req, const struct opsdb *o, void *data)
{
    struct buf *b = data;
    if (req != NULL) {
        metrics_render_data(b, o->configured, o->up, o->data);
        h2o_iovec_t body = h2o_strdup(&req->pool, buf_str(b), b->len);
        api_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", body.base, body.len);
    }
    buf_dispose(b);
    free(b);
}

static void metrics_route_done(h2o_req_t *req, const struct snapshot *s)
{
    struct buf *b = mem_alloc(sizeof *b);
    buf_init(b, METRICS_ROUTE_BODY_MAX);
    metrics_render(b, api_ctx_server(req), s);
    opsdb_collect(req, metrics_route_data, b);
}

void metrics_route_scrape(struct api_call *call)
{
    snapshot_collect(call->req, true, metrics_route_done);
}
