/*
 * worker/kit/ratelimit.c: the client side of the shared provider limiter (see
 * ratelimit.h and worker/kit/lua/ratelimit.lua).
 */
#include "worker/kit/ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "lib/crypto.h"
#include "worker/kit/scripts.h"

void ratelimit_bucket(struct ratelimit_spec *spec, const char *provider, const char *account,
                      int size, double per_s)
{
    memset(spec, 0, sizeof *spec);
    spec->provider = provider;
    snprintf(spec->account, sizeof spec->account, "%s", account);
    spec->mode = per_s > 0 && size > 0 ? RATELIMIT_BUCKET : RATELIMIT_NONE;
    spec->size = size;
    spec->period_ms = per_s > 0 ? 1000.0 / per_s : 0;
}

void ratelimit_window(struct ratelimit_spec *spec, const char *provider, const char *account,
                      int n, int window_ms, int concurrency, int lease_ttl_ms)
{
    memset(spec, 0, sizeof *spec);
    spec->provider = provider;
    snprintf(spec->account, sizeof spec->account, "%s", account);
    spec->mode = n > 0 && window_ms > 0 ? RATELIMIT_WINDOW : RATELIMIT_NONE;
    spec->size = n;
    /* the provider counts a request when it arrives, a little after our
     * grant; remembering grants a margin longer keeps its window honest */
    int margin = window_ms / RATELIMIT_WINDOW_MARGIN_DIV;
    spec->period_ms = window_ms + (margin > RATELIMIT_WINDOW_MARGIN_MS ? margin
                                                                       : RATELIMIT_WINDOW_MARGIN_MS);
    spec->concurrency = concurrency > 0 ? concurrency : 0;
    spec->lease_ttl_ms = lease_ttl_ms;
}

/* The two keys of the spec's limiter. */
static void ratelimit_keys(const struct job_run *run, const struct ratelimit_spec *s,
                           struct redis_args *a)
{
    const char *prefix = job_run_services(run)->prefix;
    redis_args_add_fmt(a, "%s:rl:{%s:%s}:rate", prefix, s->provider, s->account);
    redis_args_add_fmt(a, "%s:rl:{%s:%s}:conc", prefix, s->provider, s->account);
}

static void ratelimit_ask(struct job_run *run, void *data);

static void ratelimit_on_reply(struct job_run *run, const redisReply *r, const char *error,
                               void *data)
{
    struct ratelimit_req *req = data;
    if (error != NULL || r->type != REDIS_REPLY_INTEGER) {
        req->cb(run, error ? error : "unexpected reply from the rate limiter", req->data);
        return;
    }
    if (r->integer == 0) {
        req->held = req->spec->concurrency > 0;
        req->cb(run, NULL, req->data);
        return;
    }
    int64_t wait = r->integer;
    if (req->waited_ms + wait > RATELIMIT_WAIT_MAX_MS) {
        req->cb(run, "rate limiter: no slot within 10 minutes", req->data);
        return;
    }
    uint16_t jitter;
    crypto_random(&jitter, sizeof jitter);
    wait += jitter % 8; /* replicas waiting for the same slot do not ask at once */
    req->waited_ms += wait;
    job_run_after(run, (uint64_t)wait, ratelimit_ask, req);
}

static void ratelimit_ask(struct job_run *run, void *data)
{
    struct ratelimit_req *req = data;
    const struct ratelimit_spec *s = req->spec;
    static const char *const modes[] = {"none", "bucket", "window"};
    struct redis_args a;
    redis_args_init(&a);
    ratelimit_keys(run, s, &a);
    redis_args_add(&a, modes[s->mode]);
    redis_args_add_int(&a, s->size);
    redis_args_add_fmt(&a, "%.3f", s->period_ms);
    redis_args_add_int(&a, s->concurrency);
    crypto_random_id(req->lease);
    redis_args_add(&a, req->lease);
    redis_args_add_int(&a, s->lease_ttl_ms > 0 ? s->lease_ttl_ms : 60000);
    job_run_redis(run, &kit_scripts[KIT_SCRIPT_RATELIMIT], 2, &a, ratelimit_on_reply, req);
    redis_args_dispose(&a);
}

/* No limit configured: granted without asking Redis. */
static void ratelimit_granted(struct job_run *run, void *data)
{
    struct ratelimit_req *req = data;
    req->cb(run, NULL, req->data);
}

void ratelimit_acquire(struct job_run *run, struct ratelimit_req *req)
{
    req->waited_ms = 0;
    req->held = false;
    if (req->spec->mode == RATELIMIT_NONE && req->spec->concurrency == 0) {
        job_run_after(run, 0, ratelimit_granted, req); /* never inside the call */
        return;
    }
    ratelimit_ask(run, req);
}

static void ratelimit_ignore(struct job_run *run, const redisReply *r, const char *error,
                             void *data)
{
    (void)run, (void)r, (void)error, (void)data;
}

void ratelimit_release(struct job_run *run, struct ratelimit_req *req)
{
    if (!req->held)
        return;
    req->held = false;
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "ZREM");
    redis_args_add_fmt(&a, "%s:rl:{%s:%s}:conc", job_run_services(run)->prefix,
                       req->spec->provider, req->spec->account);
    redis_args_add(&a, req->lease);
    job_run_redis(run, NULL, 0, &a, ratelimit_ignore, NULL);
    redis_args_dispose(&a);
}
