/*
 * worker/core/scheduler.c: the periodic-job scheduler (see scheduler.h).
 *
 * One tick is a chain of Redis calls: lease → (claim → enqueue → done) for
 * each due entry, one entry at a time. `pending` counts replies still
 * outstanding; the struct is freed when it is stopped, its timer closed and
 * nothing is pending (hiredis calls every callback, with an error, when the
 * client closes).
 */
#include "worker/core/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/schedule.h"
#include "queue/queue.h"
#include "worker/core/env.h"
#include "worker/core/registry.h"
#include "worker/core/scripts.h"

const struct config_var scheduler_config_vars[] = {
    {"SCHEDULE", CONFIG_STR, "", 0, 0, 0, NULL, false},
    {"SCHEDULER_TICK_MS", CONFIG_INT, "1000", 0, 50, 60000, NULL, false},
    {"SCHEDULER_LEASE_MS", CONFIG_INT, "15000", 0, 200, 600000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

enum {
    SCHEDULER_ANNOUNCE_MS = 30000,
    SCHEDULER_DEDUP_MIN_S = 60, /* a slot's idempotency key outlives its slot */
};

struct scheduler {
    struct worker_runtime *rt;
    struct schedule schedule;
    int64_t last[SCHEDULE_ENTRIES_MAX]; /* slots known to be enqueued */
    uv_timer_t timer;
    int tick_ms, lease_ms;
    char fence[32];
    size_t cursor;        /* entry being handled in this tick */
    int64_t now_ms;       /* the tick's clock */
    int64_t announced_ms;
    int pending;
    bool busy, stopped, closed;
};

/* ---- lifetime --------------------------------------------------------------- */

static void scheduler_maybe_free(struct scheduler *s)
{
    if (s->stopped && s->closed && s->pending == 0)
        free(s);
}

/* Counts a reply in; false (and maybe frees s) when the scheduler stopped. */
static bool scheduler_reply_live(struct scheduler *s)
{
    s->pending--;
    if (!s->stopped)
        return true;
    scheduler_maybe_free(s);
    return false;
}

static void scheduler_timer_closed(uv_handle_t *h)
{
    struct scheduler *s = h->data;
    s->closed = true;
    scheduler_maybe_free(s);
}

/* Arms the next tick at tick_ms ±10 %. */
static void scheduler_on_tick(uv_timer_t *t);

static void scheduler_arm(struct scheduler *s)
{
    uint16_t r;
    crypto_random(&r, sizeof r);
    int spread = s->tick_ms / 5;
    uint64_t delay = (uint64_t)(s->tick_ms - spread / 2 + (spread ? r % (spread + 1) : 0));
    if (!s->stopped)
        uv_timer_start(&s->timer, scheduler_on_tick, delay, 0);
}

static void scheduler_tick_end(struct scheduler *s)
{
    s->busy = false;
    scheduler_arm(s);
}

/* Sends a scheduler.lua call; false if Redis is not connected. */
static bool scheduler_script(struct scheduler *s, const char *op, const char *arg3,
                             const struct schedule_entry *e, int64_t slot, redis_reply_cb cb)
{
    const char *prefix = s->rt->settings->prefix;
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add_fmt(&a, "%s:scheduler:lease", prefix);
    redis_args_add_fmt(&a, "%s:scheduler:fence", prefix);
    redis_args_add_fmt(&a, "%s:scheduler:last", prefix);
    redis_args_add(&a, op);
    redis_args_add(&a, s->rt->id);
    redis_args_add(&a, arg3);
    if (e != NULL) {
        redis_args_add(&a, e->type);
        redis_args_add_int(&a, slot);
    }
    int rc = redis_client_script(s->rt->redis, &worker_scripts[WORKER_SCRIPT_SCHEDULER], 3, cb, s, &a);
    redis_args_dispose(&a);
    if (rc == 0)
        s->pending++;
    return rc == 0;
}

/* ---- entries ------------------------------------------------------------------ */

static void scheduler_ignore(void *data, const redisReply *r, const char *error)
{
    struct scheduler *s = data;
    (void)r, (void)error;
    s->pending--;
    scheduler_maybe_free(s);
}


static void scheduler_next_entry(struct scheduler *s);

static void scheduler_on_done(void *data, const redisReply *r, const char *error)
{
    struct scheduler *s = data;
    (void)r, (void)error;
    if (!scheduler_reply_live(s))
        return;
    s->cursor++;
    scheduler_next_entry(s);
}

static void scheduler_on_enqueued(void *data, const redisReply *r, const char *error)
{
    struct scheduler *s = data;
    bool duplicate = false;
    if (!scheduler_reply_live(s))
        return;
    const struct schedule_entry *e = &s->schedule.entries[s->cursor];
    int64_t slot = schedule_slot_start(e, s->now_ms);
    if (error != NULL || queue_parse_enqueue(r, &duplicate, NULL, 0) != 0) {
        log_warn(LOG_FIELDS(LF_STR("type", e->type), LF_STR("error", error ? error : "bad reply")),
                 "scheduler: enqueue failed; retrying next tick");
        scheduler_tick_end(s);
        return;
    }
    s->last[s->cursor] = slot;
    log_info(LOG_FIELDS(LF_STR("type", e->type), LF_STR("queue", e->queue), LF_INT("slot_ms", slot),
                        LF_BOOL("duplicate", duplicate)),
             "scheduler: periodic job enqueued");
    if (!scheduler_script(s, "done", s->fence, e, slot, scheduler_on_done))
        scheduler_tick_end(s);
}

/* Enqueues entry e's job for slot (idempotency key per slot). */
static void scheduler_enqueue(struct scheduler *s, const struct schedule_entry *e, int64_t slot)
{
    const char *prefix = s->rt->settings->prefix;
    struct queue_op op;
    size_t len;
    json_t *payload = json_pack("{sssI}", "schedule", e->name, "slot_ms", (json_int_t)slot);
    struct job *job = job_create(e->queue, e->type, payload);
    job->dedup_key = mem_printf("sched:%s:%lld", e->type, (long long)slot);
    char *env = job_encode(job, &len);
    int64_t ttl = e->period_ms / 1000 * 2;
    queue_op_register(&op, prefix, e->queue);
    if (queue_op_run_async(s->rt->redis, &op, scheduler_ignore, s) == 0)
        s->pending++;
    queue_op_dispose(&op);
    queue_op_enqueue(&op, prefix, job, env, len, 0,
                     (int)(ttl > SCHEDULER_DEDUP_MIN_S ? ttl : SCHEDULER_DEDUP_MIN_S));
    if (queue_op_run_async(s->rt->redis, &op, scheduler_on_enqueued, s) == 0)
        s->pending++;
    else
        scheduler_tick_end(s);
    queue_op_dispose(&op);
    free(env);
    job_free(job);
}

static void scheduler_on_claim(void *data, const redisReply *r, const char *error)
{
    struct scheduler *s = data;
    if (!scheduler_reply_live(s))
        return;
    const struct schedule_entry *e = &s->schedule.entries[s->cursor];
    int64_t slot = schedule_slot_start(e, s->now_ms);
    if (error != NULL || r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
        scheduler_tick_end(s); /* lease lost or Redis trouble: try again next tick */
        return;
    }
    if (r->integer == 0) { /* already enqueued for this slot */
        s->last[s->cursor] = slot;
        s->cursor++;
        scheduler_next_entry(s);
        return;
    }
    scheduler_enqueue(s, e, slot);
}

/* Handles entries from s->cursor on; ends the tick after the last. */
static void scheduler_next_entry(struct scheduler *s)
{
    for (; s->cursor < s->schedule.n; s->cursor++) {
        const struct schedule_entry *e = &s->schedule.entries[s->cursor];
        int64_t slot = schedule_slot_start(e, s->now_ms);
        if (slot <= s->last[s->cursor])
            continue;
        if (!scheduler_script(s, "claim", s->fence, e, slot, scheduler_on_claim))
            break;
        return;
    }
    scheduler_tick_end(s);
}

/* ---- tick -------------------------------------------------------------------------- */

static void scheduler_on_lease(void *data, const redisReply *r, const char *error)
{
    struct scheduler *s = data;
    if (!scheduler_reply_live(s))
        return;
    if (error != NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->integer != 1) {
        scheduler_tick_end(s);
        return;
    }
    const redisReply *f = r->element[1];
    char fence[32];
    snprintf(fence, sizeof fence, "%.*s", (int)(f->len < 31 ? f->len : 31), f->str ? f->str : "");
    if (strcmp(fence, s->fence) != 0) {
        log_info(LOG_FIELDS(LF_STR("worker_id", s->rt->id), LF_STR("fence", fence)),
                 "scheduler: this worker holds the scheduler lease");
        snprintf(s->fence, sizeof s->fence, "%s", fence);
    }
    s->cursor = 0;
    scheduler_next_entry(s);
}

/* HSET <prefix>:sync:providers <family> {"configured":…,"missing":…} for
 * every family that needs configuring (the provider syncs). */
static void scheduler_announce(struct scheduler *s)
{
    const struct job_family *const *fam = s->rt->settings->families;
    json_t *texts = json_array(); /* keeps the strings the args reference */
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "HSET");
    redis_args_add_fmt(&a, "%s:sync:providers", s->rt->settings->prefix);
    for (size_t i = 0; fam && fam[i]; i++) {
        if (fam[i]->missing == NULL)
            continue;
        const char *missing = fam[i]->missing(s->rt->services.cfg);
        json_t *doc = json_pack("{sbss?}", "configured", missing == NULL, "missing", missing);
        char *text = json_dumps(doc, JSON_COMPACT);
        json_array_append_new(texts, json_string(text));
        free(text);
        json_decref(doc);
        redis_args_add(&a, fam[i]->name);
        redis_args_add(&a, json_string_value(json_array_get(texts, json_array_size(texts) - 1)));
    }
    if (json_array_size(texts) > 0 &&
        redis_client_command(s->rt->redis, 0, scheduler_ignore, s, &a) == 0)
        s->pending++;
    redis_args_dispose(&a);
    json_decref(texts);
}

static void scheduler_on_tick(uv_timer_t *t)
{
    struct scheduler *s = t->data;
    char ttl[24];
    if (s->busy || s->stopped)
        return;
    if (!redis_client_connected(s->rt->redis)) {
        scheduler_arm(s);
        return;
    }
    s->now_ms = clock_wall_ms();
    if (s->now_ms - s->announced_ms >= SCHEDULER_ANNOUNCE_MS) {
        s->announced_ms = s->now_ms;
        scheduler_announce(s);
    }
    if (s->schedule.n == 0) {
        scheduler_arm(s);
        return;
    }
    s->busy = true;
    snprintf(ttl, sizeof ttl, "%d", s->lease_ms);
    if (!scheduler_script(s, "lease", ttl, NULL, 0, scheduler_on_lease))
        scheduler_tick_end(s);
}

/* ---- API ---------------------------------------------------------------------------- */

int scheduler_check(const char *text, char *why, size_t why_size)
{
    struct schedule *sc = mem_calloc(1, sizeof *sc);
    int rc = schedule_parse(text, sc, why, why_size);
    free(sc);
    return rc;
}

/* Why the family of `type` cannot run here (its provider's missing
 * credentials), or NULL. */
static const char *scheduler_missing(const struct worker_runtime *rt, const char *type)
{
    const struct job_family *f = registry_family_of(rt->settings->families, type);
    return f && f->missing ? f->missing(rt->services.cfg) : NULL;
}

/*
 * Drops the entries whose provider is not configured on this deployment:
 * they would only fill the dead list once per period. One line each says so.
 */
static void scheduler_drop_unconfigured(struct schedule *sc, const struct worker_runtime *rt)
{
    size_t kept = 0;
    for (size_t i = 0; i < sc->n; i++) {
        const char *missing = scheduler_missing(rt, sc->entries[i].type);
        if (missing == NULL) {
            sc->entries[kept++] = sc->entries[i];
            continue;
        }
        log_warn(LOG_FIELDS(LF_STR("entry", sc->entries[i].name), LF_STR("missing", missing)),
                 "schedule entry skipped: its provider is not configured");
    }
    sc->n = kept;
}

struct scheduler *scheduler_start(struct worker_runtime *rt)
{
    struct scheduler *s = mem_calloc(1, sizeof *s);
    char why[256];
    s->rt = rt;
    s->tick_ms = (int)config_int(rt->services.cfg, "SCHEDULER_TICK_MS");
    s->lease_ms = (int)config_int(rt->services.cfg, "SCHEDULER_LEASE_MS");
    if (schedule_parse(config_str(rt->services.cfg, "SCHEDULE"), &s->schedule, why, sizeof why) != 0)
        s->schedule.n = 0; /* checked at start-up: cannot happen */
    scheduler_drop_unconfigured(&s->schedule, rt);
    for (size_t i = 0; i < SCHEDULE_ENTRIES_MAX; i++)
        s->last[i] = INT64_MIN;
    s->announced_ms = INT64_MIN / 2;
    uv_timer_init(rt->loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, scheduler_on_tick, 0, 0);
    return s;
}

void scheduler_stop(struct scheduler *s)
{
    if (s == NULL || s->stopped)
        return;
    s->stopped = true;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, scheduler_timer_closed);
}
