/*
 * worker/kit/sync.h: the page → commit → cursor loop every provider sync shares
 * (queue `sync`; docs/INTEGRATIONS.md). A family (worker/jobs/shopify_sync.c,
 * xero.c, unleashed.c) describes one (source, resource) with a struct
 * sync_ops; sync_run() does the rest:
 *
 *   1. configured?  ops->missing(cfg) names what is absent → dead at once
 *                   ("<source> not configured: …").
 *   2. lock         worker/kit/lua/synclock.lua: one holder per (source,
 *                   [account,] resource) across every replica, lease SYNC_LOCK_TTL_MS
 *                   refreshed every third of it, with a fencing token. A copy
 *                   that finds the lock taken defers itself until the lease
 *                   would expire (no attempt spent): it is either a duplicate
 *                   that will then find nothing new, or the rerun of a
 *                   crashed holder that resumes where it stopped.
 *   3. begin        sync_begin(): the cursor (newest updated_at committed by
 *                   the last complete pass) and the position of a pass in
 *                   progress (Shopify: the next-page URL; Xero, Unleashed:
 *                   the page number).
 *   4. prepare      optional (Xero: a valid access token).
 *   5. each page    limiter slot (worker/kit/ratelimit.h) → GET → verdict
 *                   (worker/providers/provider.h) → ops->page maps the WHOLE page or
 *                   fails → ONE statement, sync_page(): rows upserted and
 *                   position advanced together (the last page moves the
 *                   cursor) → status mirrored to Redis → next page.
 *   6. end          ops->follow_up enqueued if any, lock released, run
 *                   succeeds.
 *
 * Failures: 429 waits Retry-After inside the run (up to SYNC_WAITS_MAX
 * times per page, then defers the job); 5xx, timeouts and unusable pages
 * record last_error and fail (backoff; the next attempt resumes at the same
 * page); 401/403 mark the integration unauthorised and the job dead; other
 * 4xx are dead with the reason. A page is never partly committed.
 *
 * Status mirror: after every commit or failure the (source, account,
 * resource) status from Postgres (sync_status_json) is written to the
 * Redis hash <prefix>:sync:status, field "<source>:<resource>" for the
 * account "default", else "<source>:<account>:<resource>", for
 * GET /api/integrations/status (the API reads Redis only).
 *
 * Ownership: the pass state belongs to the run (job_run_set_state).
 */
#ifndef SENTIA_WORKER_SYNC_H
#define SENTIA_WORKER_SYNC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config.h"
#include "lib/http.h"
#include "worker/core/handler.h"
#include "worker/kit/ratelimit.h"
#include "worker/providers/provider.h"

enum {
    SYNC_RESPONSE_MAX = 32 * 1024 * 1024, /* one page: 250 big orders are ~5 MiB */
    SYNC_WAITS_MAX = 10,                  /* 429 waits per page before deferring */
    SYNC_WAIT_INLINE_MAX_MS = 60000,      /* longer Retry-After: defer the job */
    SYNC_JOB_TIMEOUT_MS = 60 * 60 * 1000, /* a whole pass; each page has its own timeout */
    SYNC_HEADERS_MAX = 8,
    SYNC_ACCOUNT_MAX = 64,                /* sync_state.account: [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
};

struct sync_pass;

struct sync_ops {
    const char *source;   /* "shopify" */
    const char *resource; /* "orders" */
    int kind;             /* the family's own code for the resource */
    /* NULL when configured, else what is missing (static text). */
    const char *(*missing)(const struct config *cfg);
    /* The provider account and its limiter. */
    void (*limiter)(const struct config *cfg, struct ratelimit_spec *spec);
    /* Instead of limiter when the limiter depends on the sync account. */
    void (*account_limiter)(const struct config *cfg, const char *sync_account,
                            struct ratelimit_spec *spec);
    /* Optional: asynchronous set-up; ends with sync_prepared(). */
    void (*prepare)(struct sync_pass *p);
    /* Optional: a 401/403 may mean a revoked cached credential — renew it
     * (ends with sync_prepared()); tried once per page before giving up. */
    void (*reauth)(struct sync_pass *p);
    /* The URL of the page at `position` (NULL: the pass's first); new string. */
    char *(*url)(struct sync_pass *p, const char *position);
    /* Extra request headers ("Name: value", new strings) into h; returns the count. */
    size_t (*headers)(struct sync_pass *p, const char *url, char *h[SYNC_HEADERS_MAX]);
    /*
     * A 2xx answer → *rows (new array), *next (new string, NULL on the last
     * page) and *skipped; 0, or -1 and why when the page is unusable.
     */
    int (*page)(struct sync_pass *p, const struct http_response *res, const char *position,
                json_t **rows, char **next, size_t *skipped, char *why, size_t why_size);
    /*
     * Optional: the verdict on an answer (default provider_judge with
     * Retry-After), e.g. Amazon's x-amzn-RateLimit-Limit rule.
     */
    void (*judge)(struct sync_pass *p, const struct http_response *res,
                  struct provider_outcome *out);
    /*
     * Optional: asynchronous completion of a mapped page before it is
     * committed (Amazon: the order items of each order). Takes ownership of
     * rows and ends with sync_enriched() or sync_defer().
     */
    void (*enrich)(struct sync_pass *p, json_t *rows);
    /*
     * Optional: the sync account of the run (a Shopify store's name, an
     * Amazon marketplace id) into out; 0, or -1 with a static why (the job
     * is dead). Without it the account is "default". One cursor, one lock
     * and one status per (source, account, resource).
     */
    int (*sync_account)(struct job_run *run, char *out, size_t size, const char **why);
    /*
     * Optional: a job to enqueue once a pass completes (e.g. a new
     * working-capital snapshot after the invoices changed); the pass
     * succeeds only after Redis confirmed it. Returns a new job.
     */
    struct job *(*follow_up)(int64_t now_ms);
};

/* Variables every sync reads (merge into the worker's config tables). */
extern const struct config_var sync_config_vars[];

/* Runs one pass of ops for the run (the handler's whole body). */
void sync_run(struct job_run *run, const struct sync_ops *ops);

/* Ends ops->prepare: error NULL to go on; else fails the run (permanent or
 * not) after recording the error; integration "disconnected" /
 * "unauthorised" / NULL marks the provider account. */
void sync_prepared(struct sync_pass *p, const char *error, bool permanent,
                   const char *integration);

/* Ends ops->enrich: rows (owned) are committed with the page; or error
 * (rows NULL) fails the run like sync_prepared. */
void sync_enriched(struct sync_pass *p, json_t *rows, const char *error, bool permanent,
                   const char *integration);
/* Gives up the pass for now: the lock is released and the job deferred by
 * wait_ms without spending an attempt (a long provider wait). */
void sync_defer(struct sync_pass *p, int64_t wait_ms, const char *why);

struct job_run *sync_pass_run(const struct sync_pass *p);
const struct config *sync_pass_cfg(const struct sync_pass *p);
const char *sync_pass_account(const struct sync_pass *p);
int sync_pass_kind(const struct sync_pass *p);
/* The sync account ("default" unless ops->sync_account says otherwise). */
const char *sync_pass_sync_account(const struct sync_pass *p);
/* The cursor of the pass (epoch ms), -1 for a full sync. */
int64_t sync_pass_cursor_ms(const struct sync_pass *p);
/* Family state (e.g. an access token), freed with the pass. */
void sync_pass_set_family(struct sync_pass *p, void *state, void (*destroy)(void *));
void *sync_pass_family(const struct sync_pass *p);

/* What to do once the mirror write was answered; lives in the run's state. */
struct sync_mirror {
    void (*cb)(struct job_run *run, void *data); /* NULL: nothing */
    void *data;
};

/*
 * Writes a status document to the Redis mirror (<prefix>:sync:status,
 * field "<source>:<resource>"); then m->cb(run, m->data) (errors are
 * logged, not fatal).
 */
void sync_mirror_status(struct job_run *run, const char *source, const char *resource,
                        const char *status_json, struct sync_mirror *m);
/* The same with the hash field given whole. */
void sync_mirror_field(struct job_run *run, const char *field, const char *status_json,
                       struct sync_mirror *m);

#endif
