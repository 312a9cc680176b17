/*
 * queue/scale.h: how many worker instances the queues need — the pure
 * computation behind `sentia-queue scale-advice` and the ops.autoscale job.
 *
 * Every worker instance serves every queue of WORKER_QUEUES with its own
 * slots (DESIGN.md §4), so the queue that needs the most instances decides.
 * For each queue q, with the figures the caller measured:
 *
 *   rate_q  = arrival_per_s + ready / drain_s     jobs/s to keep up with
 *                                                 arrivals and clear the
 *                                                 backlog within drain_s
 *   busy_q  = rate_q × mean_run_s                 slots kept busy (Little's law)
 *   need_q  = ceil(busy_q / (slots_q × utilisation))
 *   need_q  = max(need_q, current + 1)            when the oldest ready job is
 *                                                 older than age_max_s
 *   need_q  = ready > 0 ? max(current, 1) : 0     when no run time or no slot
 *                                                 count is known yet
 *
 * need = max over the queues. Going up uses need as is; going down uses the
 * same formula with every rate raised by down_margin (hysteresis), so a load
 * hovering at a boundary never moves the count back and forth. Then:
 *
 *   current outside [min, max]      → the nearest bound, at once  (bounds)
 *   need > current, current < max   → min(need, max, current + step_up),
 *                                     unless the last change was less than
 *                                     cooldown_up ago            (up / cooldown)
 *   need > current = max            → stay                       (capped)
 *   need_down < current             → max(need_down, min, current − step_down),
 *                                     unless the last change was less than
 *                                     cooldown_down ago          (down / cooldown)
 *   otherwise                       → stay                       (steady)
 *
 * Pure: no I/O, no clock, no allocation; the caller measures and acts.
 * Strings in the structs are borrowed from the caller. The two readers at
 * the end turn what Redis holds (a WORKER_QUEUES text, a jobstats hash)
 * into the figures, for both callers (the CLI and ops.autoscale).
 */
#ifndef SENTIA_QUEUE_SCALE_H
#define SENTIA_QUEUE_SCALE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* One queue's figures for one decision. */
struct scale_queue {
    const char *name;
    int64_t ready;        /* jobs ready now */
    double oldest_age_s;  /* age of the next ready job, 0 if none */
    double arrival_per_s; /* jobs enqueued per second over the sampling window */
    double mean_run_s;    /* mean run time of its jobs, 0 when none measured */
    int slots;            /* slots one worker instance gives it, 0 when unknown */
};

struct scale_policy {
    int min_workers, max_workers; /* 1 ≤ min ≤ max ≤ SCALE_WORKERS_LIMIT */
    double drain_s;               /* clear a backlog within this (> 0) */
    double age_max_s;             /* an older next job asks for one more worker */
    double utilisation;           /* share of the slots to plan busy, (0, 1] */
    double down_margin;           /* rates × (1 + this) when going down, ≥ 0 */
    int step_up, step_down;       /* most instances added / removed at once (≥ 1) */
    int64_t cooldown_up_ms, cooldown_down_ms; /* since the last change */
};

/* Render's manual scaling range (external-apis.md §10.2). */
enum { SCALE_WORKERS_LIMIT = 100 };

enum scale_reason {
    SCALE_STEADY,   /* the count fits the need */
    SCALE_UP,
    SCALE_DOWN,
    SCALE_COOLDOWN, /* a change is due but the last one is too recent */
    SCALE_CAPPED,   /* more are needed than max_workers allows */
    SCALE_BOUNDS,   /* the count was outside [min, max] */
};

struct scale_decision {
    int current;       /* instances now */
    int need;          /* max over the queues, going up (unbounded) */
    int need_down;     /* the same with down_margin */
    int desired;       /* what to set: differs from current only for up, down, bounds */
    const char *queue; /* the queue that set `need` (borrowed), NULL if none */
    enum scale_reason reason;
};

/* Defaults: 2-10 workers, drain 120 s, age 60 s, utilisation 0.8, margin
 * 0.25, steps +2 / -1, cooldowns 120 s up / 600 s down. */
void scale_policy_default(struct scale_policy *p);

/*
 * Sets one field from its environment name and text — SCALE_MIN_WORKERS,
 * SCALE_MAX_WORKERS, SCALE_DRAIN_S, SCALE_AGE_MAX_S, SCALE_UTILISATION,
 * SCALE_DOWN_MARGIN, SCALE_STEP_UP, SCALE_STEP_DOWN, SCALE_COOLDOWN_UP_S,
 * SCALE_COOLDOWN_DOWN_S. 0 on success, -1 for an unknown name or a value
 * out of its range (the policy is then unchanged).
 */
int scale_policy_set(struct scale_policy *p, const char *name, const char *value);
/* The names scale_policy_set accepts, NULL-terminated. */
extern const char *const scale_policy_names[];
/* 0 when the fields are within their ranges and min ≤ max, else -1. */
int scale_policy_check(const struct scale_policy *p);

/* Instances queue q alone needs given `current` (the formula above);
 * rates are multiplied by 1 + margin. */
int scale_queue_need(const struct scale_policy *p, const struct scale_queue *q, int current,
                     double margin);

/* The decision for n queues; last_change_ms 0 means never changed. */
void scale_decide(const struct scale_policy *p, const struct scale_queue *qs, size_t n,
                  int current, int64_t last_change_ms, int64_t now_ms,
                  struct scale_decision *out);

/* "steady", "up", "down", "cooldown", "capped", "bounds". */
const char *scale_reason_name(enum scale_reason r);
enum { SCALE_REASONS = SCALE_BOUNDS + 1 };

/* Slots of `queue` in a WORKER_QUEUES text ("webhooks:32, sync:4"); 0 if absent. */
int scale_slots_of(const char *spec, const char *queue);
/* Mean run time in s from a jobstats HGETALL reply (sum_us over the
 * histogram counts of every type); 0 with no runs or no array. */
double scale_mean_run_s(const redisReply *jobstats);

#endif
