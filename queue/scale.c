/*
 * queue/scale.c: desired worker instances from queue depth, age and
 * measured run times, with bounds, steps and cooldowns (see scale.h).
 */
#include "queue/scale.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A need is capped here before it becomes an int: far above any bound. */
#define SCALE_NEED_CAP 1e6
/* A product like 3.0000000004 must not round up to 4. */
#define SCALE_EPSILON 1e-9

const char *const scale_policy_names[] = {
    "SCALE_MIN_WORKERS", "SCALE_MAX_WORKERS",   "SCALE_DRAIN_S",       "SCALE_AGE_MAX_S",
    "SCALE_UTILISATION", "SCALE_DOWN_MARGIN",   "SCALE_STEP_UP",       "SCALE_STEP_DOWN",
    "SCALE_COOLDOWN_UP_S", "SCALE_COOLDOWN_DOWN_S", NULL,
};

void scale_policy_default(struct scale_policy *p)
{
    *p = (struct scale_policy){
        .min_workers = 2,
        .max_workers = 10,
        .drain_s = 120,
        .age_max_s = 60,
        .utilisation = 0.8,
        .down_margin = 0.25,
        .step_up = 2,
        .step_down = 1,
        .cooldown_up_ms = 120 * 1000,
        .cooldown_down_ms = 600 * 1000,
    };
}

/* ---- parsing ------------------------------------------------------------ */

static int scale_parse_double(const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int scale_parse_int(const char *text, int lo, int hi, int *out)
{
    double v;
    if (scale_parse_double(text, lo, hi, &v) != 0 || v != floor(v))
        return -1;
    *out = (int)v;
    return 0;
}

static int scale_parse_ms(const char *text, int64_t *out)
{
    double s;
    if (scale_parse_double(text, 0, 86400, &s) != 0)
        return -1;
    *out = (int64_t)llround(s * 1000);
    return 0;
}

int scale_policy_set(struct scale_policy *p, const char *name, const char *value)
{
    struct scale_policy q = *p;
    int rc = -1;
    if (strcmp(name, "SCALE_MIN_WORKERS") == 0)
        rc = scale_parse_int(value, 1, SCALE_WORKERS_LIMIT, &q.min_workers);
    else if (strcmp(name, "SCALE_MAX_WORKERS") == 0)
        rc = scale_parse_int(value, 1, SCALE_WORKERS_LIMIT, &q.max_workers);
    else if (strcmp(name, "SCALE_DRAIN_S") == 0)
        rc = scale_parse_double(value, 1, 86400, &q.drain_s);
    else if (strcmp(name, "SCALE_AGE_MAX_S") == 0)
        rc = scale_parse_double(value, 1, 86400, &q.age_max_s);
    else if (strcmp(name, "SCALE_UTILISATION") == 0)
        rc = scale_parse_double(value, 0.05, 1, &q.utilisation);
    else if (strcmp(name, "SCALE_DOWN_MARGIN") == 0)
        rc = scale_parse_double(value, 0, 10, &q.down_margin);
    else if (strcmp(name, "SCALE_STEP_UP") == 0)
        rc = scale_parse_int(value, 1, SCALE_WORKERS_LIMIT, &q.step_up);
    else if (strcmp(name, "SCALE_STEP_DOWN") == 0)
        rc = scale_parse_int(value, 1, SCALE_WORKERS_LIMIT, &q.step_down);
    else if (strcmp(name, "SCALE_COOLDOWN_UP_S") == 0)
        rc = scale_parse_ms(value, &q.cooldown_up_ms);
    else if (strcmp(name, "SCALE_COOLDOWN_DOWN_S") == 0)
        rc = scale_parse_ms(value, &q.cooldown_down_ms);
    if (rc == 0)
        *p = q;
    return rc;
}

int scale_policy_check(const struct scale_policy *p)
{
    bool ok = p->min_workers >= 1 && p->min_workers <= p->max_workers &&
              p->max_workers <= SCALE_WORKERS_LIMIT && p->drain_s > 0 && p->age_max_s > 0 &&
              p->utilisation > 0 && p->utilisation <= 1 && p->down_margin >= 0 &&
              p->step_up >= 1 && p->step_down >= 1 && p->cooldown_up_ms >= 0 &&
              p->cooldown_down_ms >= 0;
    return ok ? 0 : -1;
}

/* ---- the computation ---------------------------------------------------- */

int scale_queue_need(const struct scale_policy *p, const struct scale_queue *q, int current,
                     double margin)
{
    int need;
    if (q->slots <= 0 || !(q->mean_run_s > 0)) {
        need = q->ready > 0 ? (current > 1 ? current : 1) : 0;
    } else {
        double rate = (q->arrival_per_s + (double)q->ready / p->drain_s) * (1 + margin);
        double workers = rate * q->mean_run_s / (q->slots * p->utilisation);
        need = (int)fmin(ceil(workers - SCALE_EPSILON), SCALE_NEED_CAP);
    }
    if (q->oldest_age_s > p->age_max_s && need < current + 1)
        need = current + 1;
    return need;
}

static int scale_min(int a, int b) { return a < b ? a : b; }
static int scale_max(int a, int b) { return a > b ? a : b; }

/* Fills need, need_down and queue: the maxima over the queues. */
static void scale_needs(const struct scale_policy *p, const struct scale_queue *qs, size_t n,
                        int current, struct scale_decision *out)
{
    out->need = out->need_down = 0;
    out->queue = NULL;
    for (size_t i = 0; i < n; i++) {
        int up = scale_queue_need(p, &qs[i], current, 0);
        if (up > out->need) {
            out->need = up;
            out->queue = qs[i].name;
        }
        out->need_down = scale_max(scale_queue_need(p, &qs[i], current, p->down_margin),
                                   out->need_down);
    }
}

/* Moves toward `target` by at most `step` unless the cooldown holds. */
static void scale_move(struct scale_decision *out, int target, int step, int64_t cooldown_ms,
                       int64_t since_ms, enum scale_reason reason)
{
    if (since_ms < cooldown_ms) {
        out->reason = SCALE_COOLDOWN;
        return;
    }
    out->reason = reason;
    out->desired = target > out->current ? scale_min(target, out->current + step)
                                         : scale_max(target, out->current - step);
}

void scale_decide(const struct scale_policy *p, const struct scale_queue *qs, size_t n,
                  int current, int64_t last_change_ms, int64_t now_ms,
                  struct scale_decision *out)
{
    int64_t since = last_change_ms > 0 ? now_ms - last_change_ms : INT64_MAX;
    out->current = out->desired = current;
    out->reason = SCALE_STEADY;
    scale_needs(p, qs, n, current, out);
    if (current < p->min_workers || current > p->max_workers) {
        out->desired = current < p->min_workers ? p->min_workers : p->max_workers;
        out->reason = SCALE_BOUNDS;
    } else if (out->need > current) {
        if (current == p->max_workers)
            out->reason = SCALE_CAPPED;
        else
            scale_move(out, scale_min(out->need, p->max_workers), p->step_up,
                       p->cooldown_up_ms, since, SCALE_UP);
    } else if (out->need_down < current && current > p->min_workers) {
        scale_move(out, scale_max(out->need_down, p->min_workers), p->step_down,
                   p->cooldown_down_ms, since, SCALE_DOWN);
    }
}

const char *scale_reason_name(enum scale_reason r)
{
    static const char *const names[] = {"steady", "up", "down", "cooldown", "capped", "bounds"};
    return (size_t)r < sizeof names / sizeof *names ? names[r] : "unknown";
}

int scale_slots_of(const char *spec, const char *queue)
{
    size_t ql = strlen(queue);
    const char *p = spec;
    while (p != NULL && *p) {
        while (*p == ' ')
            p++;
        if (strncmp(p, queue, ql) == 0 && p[ql] == ':')
            return atoi(p + ql + 1);
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return 0;
}

double scale_mean_run_s(const redisReply *h)
{
    double sum_us = 0, count = 0;
    if (h == NULL || h->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const char *f = h->element[i]->str, *bar = f ? strrchr(f, '|') : NULL;
        double v = h->element[i + 1]->str ? strtod(h->element[i + 1]->str, NULL) : 0;
        if (bar && strcmp(bar, "|sum_us") == 0)
            sum_us += v;
        else if (bar && strncmp(bar, "|le:", 4) == 0)
            count += v;
    }
    return count > 0 ? sum_us / count / 1e6 : 0;
}
