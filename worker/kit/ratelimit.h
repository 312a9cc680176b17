/*
 * worker/kit/ratelimit.h: one limiter in Redis per (provider, account), shared
 * by every worker replica (worker/kit/lua/ratelimit.lua does the arithmetic on
 * Redis' clock, atomically).
 *
 * Modes: a leaky bucket (Shopify: 40 requests, leaking 2/s — Shopify's own
 * algorithm, so we never meet its 429), a sliding window (Xero: at most 60
 * grants in any 60 s; Unleashed: configurable), or none; optionally with a
 * concurrency limit (Xero: 5 in flight) kept as leases with a TTL, so a
 * worker that crashed while holding one frees it after the TTL instead of
 * leaking the slot forever. A window remembers each grant a margin longer
 * than the provider's window (2 %, at least 250 ms): the provider counts a
 * request when it arrives, a little after the grant.
 *
 * Keys: <prefix>:rl:{<provider>:<account>}:rate and …:conc (one hash tag,
 * one cluster slot).
 *
 * Use: fill a struct ratelimit_req inside the run's state (it must live as
 * long as the wait), call ratelimit_acquire; cb(run, NULL, data) runs once a
 * slot is granted — after as many job_run_after waits as the limiter asks —
 * or cb(run, error, data) if Redis fails or the wait passes
 * RATELIMIT_WAIT_MAX_MS. After the request, ratelimit_release frees the
 * concurrency lease (a no-op without a concurrency limit).
 */
#ifndef SENTIA_WORKER_RATELIMIT_H
#define SENTIA_WORKER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/core/handler.h"

enum {
    RATELIMIT_WAIT_MAX_MS = 10 * 60 * 1000, /* a request never waits longer for a slot */
    RATELIMIT_ACCOUNT_MAX = 128,
    RATELIMIT_WINDOW_MARGIN_MS = 250, /* a window remembers grants this much longer… */
    RATELIMIT_WINDOW_MARGIN_DIV = 50, /* …or 2 % of the window, whichever is more */
};

enum ratelimit_mode { RATELIMIT_NONE, RATELIMIT_BUCKET, RATELIMIT_WINDOW };

struct ratelimit_spec {
    const char *provider;     /* "shopify", "xero", "unleashed" */
    char account[RATELIMIT_ACCOUNT_MAX + 1];
    enum ratelimit_mode mode;
    int size;                 /* bucket size, or grants per window */
    double period_ms;         /* bucket: ms per leaked request; window: its length */
    int concurrency;          /* 0 = unlimited */
    int lease_ttl_ms;         /* concurrency lease TTL (> the request's timeout) */
};

typedef void (*ratelimit_cb)(struct job_run *run, const char *error, void *data);

struct ratelimit_req {
    const struct ratelimit_spec *spec;
    ratelimit_cb cb;
    void *data;
    char lease[40];           /* unique per grant */
    int64_t waited_ms;
    bool held;                /* a concurrency lease is held */
};

/* Fills spec for a bucket of `size` leaking `per_s` a second (per_s 0 = off). */
void ratelimit_bucket(struct ratelimit_spec *spec, const char *provider, const char *account,
                      int size, double per_s);
/* Fills spec for `n` per `window_ms` (n 0 = off) and `concurrency` in flight. */
void ratelimit_window(struct ratelimit_spec *spec, const char *provider, const char *account,
                      int n, int window_ms, int concurrency, int lease_ttl_ms);

void ratelimit_acquire(struct job_run *run, struct ratelimit_req *req);
void ratelimit_release(struct job_run *run, struct ratelimit_req *req);

#endif
