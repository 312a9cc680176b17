/*
 * worker/kit/synclock.c: the fenced Redis lock (see synclock.h).
 */
#include "worker/kit/synclock.h"

#include <stdio.h>
#include <string.h>

#include "worker/kit/scripts.h"

void synclock_init(struct synclock *l, struct job_run *run, const char *name,
                   const char *fence_name, const char *scope)
{
    const struct worker_services *sv = job_run_services(run);
    memset(l, 0, sizeof *l);
    snprintf(l->key, sizeof l->key, "%s:%s:{%s}", sv->prefix, name, scope);
    snprintf(l->fence_key, sizeof l->fence_key, "%s:%s:{%s}", sv->prefix, fence_name, scope);
    snprintf(l->holder, sizeof l->holder, "%s/%s", sv->worker_id, job_run_job(run)->id);
}

/* One synclock.lua call: op, holder, ttl ("0" when unused), fence or none. */
static void synclock_call(struct job_run *run, const struct synclock *l, const char *op,
                          int64_t ttl_ms, bool with_fence, job_redis_cb cb, void *data)
{
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, l->key);
    redis_args_add(&a, l->fence_key);
    redis_args_add(&a, op);
    redis_args_add(&a, l->holder);
    redis_args_add_int(&a, ttl_ms);
    if (with_fence)
        redis_args_add(&a, l->fence);
    job_run_redis(run, &kit_scripts[KIT_SCRIPT_SYNCLOCK], 2, &a, cb, data);
    redis_args_dispose(&a);
}

void synclock_acquire(struct job_run *run, struct synclock *l, int64_t ttl_ms,
                      job_redis_cb cb, void *data)
{
    synclock_call(run, l, "acquire", ttl_ms, false, cb, data);
}

int synclock_acquired(struct synclock *l, const redisReply *r, const char *error,
                      int64_t *wait_ms)
{
    if (error != NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return -1;
    const redisReply *got = r->element[0], *v = r->element[1];
    if (got->type != REDIS_REPLY_INTEGER || got->integer != 1) {
        *wait_ms = v->type == REDIS_REPLY_INTEGER && v->integer > 0 ? v->integer : 1000;
        return 0;
    }
    snprintf(l->fence, sizeof l->fence, "%.*s",
             (int)(v->len < SYNCLOCK_FENCE_MAX ? v->len : SYNCLOCK_FENCE_MAX),
             v->str ? v->str : "0");
    l->locked = true;
    return 1;
}

void synclock_refresh(struct job_run *run, struct synclock *l, int64_t ttl_ms,
                      job_redis_cb cb, void *data)
{
    synclock_call(run, l, "refresh", ttl_ms, true, cb, data);
}

bool synclock_refreshed(struct synclock *l, const redisReply *r, const char *error)
{
    if (error == NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        l->locked = false;
        return false;
    }
    return true;
}

static void synclock_ignore(struct job_run *run, const redisReply *r, const char *error,
                            void *data)
{
    (void)run, (void)r, (void)error, (void)data;
}

void synclock_release(struct job_run *run, struct synclock *l)
{
    if (!l->locked)
        return;
    l->locked = false;
    synclock_call(run, l, "release", 0, true, synclock_ignore, NULL);
}
