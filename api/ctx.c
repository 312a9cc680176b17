/*
 * api/ctx.c: the call record and the thread services behind api/ctx.h.
 * This file is where handlers' view of the server meets the server itself.
 */
#include "api/ctx.h"

#include "api/authn.h"

#include <string.h>
#include <sys/time.h>

#include "api/limits.h"
#include "api/metrics.h"
#include "api/webhook_reason.h"
#include "api/server.h"
#include "lib/clock.h"
#include "lib/redis.h"

struct api_call *api_call_create(h2o_req_t *req, const struct api_match *m)
{
    struct api_call *c = h2o_mem_alloc_pool(&req->pool, sizeof *c);
    memset(c, 0, sizeof *c);
    c->req = req;
    c->route = m->route;
    c->nparams = m->nparams;
    for (size_t i = 0; i < m->nparams; i++) {
        c->params[i].name = h2o_strdup(&req->pool, m->params[i].name, SIZE_MAX).base;
        c->params[i].value = h2o_strdup(&req->pool, m->params[i].value, m->params[i].len).base;
    }
    return c;
}

const char *api_call_param(const struct api_call *c, const char *name)
{
    for (size_t i = 0; i < c->nparams; i++)
        if (strcmp(c->params[i].name, name) == 0)
            return c->params[i].value;
    return NULL;
}

const struct api_config *api_ctx_config(h2o_req_t *req)
{
    return &api_thread_of(req)->server->cfg;
}

struct redis_client *api_ctx_redis(h2o_req_t *req)
{
    return api_thread_of(req)->redis;
}

bool api_ctx_redis_up(h2o_req_t *req)
{
    struct api_thread *t = api_thread_of(req);
    return t->redis != NULL && redis_client_connected(t->redis);
}

struct api_pending_list *api_ctx_pending(h2o_req_t *req)
{
    return &api_thread_of(req)->pending;
}

uv_loop_t *api_ctx_loop(h2o_req_t *req)
{
    return &api_thread_of(req)->loop;
}

struct auth *api_ctx_auth(h2o_req_t *req)
{
    /* main installs an api_authn (api/authn.h), whose first member is the base */
    const struct api_authenticator *a = api_thread_of(req)->server->authenticator;
    return a != NULL ? ((const struct api_authn *)a)->auth : NULL;
}

struct pgpool *api_ctx_pg(h2o_req_t *req)
{
    return api_thread_of(req)->pg;
}

struct pgpool *api_ctx_pg_read(h2o_req_t *req)
{
    return api_thread_of(req)->pg_read;
}

struct api_pending_list *api_ctx_db_pending(h2o_req_t *req)
{
    return &api_thread_of(req)->db_pending;
}

struct api_cache *api_ctx_read_cache(h2o_req_t *req)
{
    return api_thread_of(req)->read_cache;
}

uint64_t api_ctx_now_ms(h2o_req_t *req)
{
    return uv_now(&api_thread_of(req)->loop);
}

void api_ctx_count_rejection(h2o_req_t *req, unsigned src, unsigned reason)
{
    if (reason < WEBHOOK_REASON_COUNT)
        metrics_reject(&api_thread_of(req)->metrics, src, (enum webhook_reason)reason);
}

uint64_t api_ctx_elapsed_us(const h2o_req_t *req)
{
    const struct timeval *start = req->processed_at.at.tv_sec ? &req->processed_at.at
                                                              : &req->timestamps.request_begin_at;
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 + (now.tv_usec - start->tv_usec);
    return us > 0 ? (uint64_t)us : 0;
}

void api_ctx_count_ack(h2o_req_t *req, unsigned src)
{
    metrics_webhook_ack(&api_thread_of(req)->metrics, src, api_ctx_elapsed_us(req));
}

void api_ctx_count_secret_match(h2o_req_t *req, unsigned src, unsigned slot)
{
    metrics_secret_match(&api_thread_of(req)->metrics, src, slot);
}

void api_ctx_count_ignored(h2o_req_t *req, unsigned src)
{
    metrics_ignored(&api_thread_of(req)->metrics, src);
}

void api_ctx_count_queue_full(h2o_req_t *req, unsigned src)
{
    metrics_queue_full(&api_thread_of(req)->metrics, src);
}

struct api_queue_depth *api_ctx_queue_depth(h2o_req_t *req)
{
    return &api_thread_of(req)->queue_depth;
}

const struct api_server *api_ctx_server(h2o_req_t *req)
{
    return api_thread_of(req)->server;
}

double api_ctx_uptime_s(h2o_req_t *req)
{
    return api_server_uptime_s(api_thread_of(req)->server);
}

int64_t api_ctx_started_wall_ms(h2o_req_t *req)
{
    return api_thread_of(req)->server->started_wall_ms;
}

bool api_ctx_rate_spend(h2o_req_t *req, int *retry_after_s)
{
    struct api_thread *t = api_thread_of(req);
    const struct api_config *c = &t->server->cfg;
    char ip[API_IP_MAX] = "";
    if (c->rate_per_min <= 0)
        return true;
    api_client_ip(req, c->trust_proxy_hops, ip, sizeof ip);
    return api_limiter_take(t->server->limiter, ip, clock_mono_ms(), retry_after_s);
}

void api_ctx_rate_penalize(h2o_req_t *req)
{
    int retry;
    api_ctx_rate_spend(req, &retry);
}
