/*
 * queue/cli/scale.c: `sentia-queue scale-advice [SECONDS]` — the worker
 * instance count queue/scale.c chooses from what Redis shows now, for an
 * operator; it changes nothing and calls no Render API.
 *
 * Figures per queue: ready and the oldest ready age from the stats script;
 * the arrival rate from the `enqueued` counter sampled SECONDS apart
 * (default 10); the mean run time from the jobstats hash (sum_us over the
 * count of every type, since the queue began); the slots one worker gives
 * the queue from a live worker's registry entry (WORKER_QUEUES of this
 * environment when none is live). The current count is the number of live
 * workers. The policy comes from the SCALE_* variables (scale.h). The CLI
 * keeps no history, so no cooldown applies: it shows the next step.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/mem.h"
#include "lib/table.h"
#include "queue/cli/cli.h"
#include "queue/scale.h"

enum { CLI_SCALE_WINDOW_S = 10, CLI_SCALE_WINDOW_MAX_S = 300 };

struct cli_scale_row {
    struct scale_queue q;
    int64_t enqueued; /* at the first sample */
};

/* ---- helpers ------------------------------------------------------------ */

static int cli_scale_stats(struct cli *c, const char *queue, struct queue_stats *s)
{
    struct queue_op op;
    queue_op_stats(&op, c->prefix, queue);
    redisReply *r = cli_run(c, &op);
    int rc = r && queue_parse_stats(r, s) == 0 ? CLI_OK : CLI_REDIS;
    if (r)
        freeReplyObject(r);
    return rc;
}

/* The first sample of one queue: depth, age, counter, mean run time. */
static int cli_scale_sample(struct cli *c, const char *queue, struct cli_scale_row *row)
{
    struct queue_stats s;
    if (cli_scale_stats(c, queue, &s) != CLI_OK)
        return CLI_REDIS;
    row->q.name = queue;
    row->q.ready = s.ready;
    row->q.oldest_age_s = (double)s.oldest_age_ms / 1000.0;
    row->enqueued = s.counters.enqueued;
    redisReply *h = cli_check_reply(
        c, redis_sync_commandf(c->redis, "HGETALL %s:{%s}:jobstats", c->prefix, queue));
    if (h == NULL)
        return CLI_REDIS;
    row->q.mean_run_s = scale_mean_run_s(h);
    freeReplyObject(h);
    return CLI_OK;
}

/* Live workers (registry hash present); *spec gets one's WORKER_QUEUES. */
static int cli_scale_workers(struct cli *c, int *live, char **spec)
{
    redisReply *ids = cli_check_reply(
        c, redis_sync_commandf(c->redis, "ZRANGE %s:workers 0 -1", c->prefix));
    if (ids == NULL)
        return CLI_REDIS;
    int rc = CLI_OK;
    for (size_t i = 0; i < ids->elements && rc == CLI_OK; i++) {
        redisReply *q = cli_check_reply(
            c, redis_sync_commandf(c->redis, "HGET %s:worker:%s queues", c->prefix,
                                   ids->element[i]->str));
        if (q == NULL) {
            rc = CLI_REDIS;
            break;
        }
        if (q->type == REDIS_REPLY_STRING) {
            (*live)++;
            if (*spec == NULL)
                *spec = mem_strdup(q->str);
        }
        freeReplyObject(q);
    }
    freeReplyObject(ids);
    return rc;
}

/* SCALE_* variables over the defaults; CLI_USAGE naming the bad one. */
static int cli_scale_policy(struct cli *c, struct scale_policy *p)
{
    scale_policy_default(p);
    for (size_t i = 0; scale_policy_names[i]; i++) {
        const char *v = getenv(scale_policy_names[i]);
        if (v != NULL && scale_policy_set(p, scale_policy_names[i], v) != 0)
            return cli_usage(c, "%s=\"%.40s\" is out of range", scale_policy_names[i], v);
    }
    if (scale_policy_check(p) != 0)
        return cli_usage(c, "SCALE_MIN_WORKERS is above SCALE_MAX_WORKERS");
    return CLI_OK;
}

static int cli_scale_window(struct cli *c, long *window)
{
    *window = CLI_SCALE_WINDOW_S;
    if (c->opts.npos > 2)
        return cli_usage(c, "scale-advice takes at most SECONDS");
    if (c->opts.npos == 2) {
        char *end;
        *window = strtol(c->opts.pos[1], &end, 10);
        if (*c->opts.pos[1] == '\0' || *end || *window < 1 || *window > CLI_SCALE_WINDOW_MAX_S)
            return cli_usage(c, "SECONDS is a whole number from 1 to %d",
                             CLI_SCALE_WINDOW_MAX_S);
    }
    return CLI_OK;
}

/* ---- output ------------------------------------------------------------- */

static json_t *cli_scale_policy_json(const struct scale_policy *p)
{
    return json_pack("{s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f}", "min_workers",
                     p->min_workers, "max_workers", p->max_workers, "drain_s", p->drain_s,
                     "age_max_s", p->age_max_s, "utilisation", p->utilisation, "down_margin",
                     p->down_margin, "step_up", p->step_up, "step_down", p->step_down,
                     "cooldown_up_s", p->cooldown_up_ms / 1000.0, "cooldown_down_s",
                     p->cooldown_down_ms / 1000.0);
}

static void cli_scale_print_json(struct cli *c, const struct scale_policy *p,
                                 const struct cli_scale_row *rows, size_t n, long window,
                                 const struct scale_decision *d)
{
    json_t *queues = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct scale_queue *q = &rows[i].q;
        json_array_append_new(
            queues, json_pack("{s:s, s:I, s:f, s:f, s:f, s:i, s:i}", "queue", q->name,
                              "ready", (json_int_t)q->ready, "oldest_age_s", q->oldest_age_s,
                              "arrival_per_s", q->arrival_per_s, "mean_run_s", q->mean_run_s,
                              "slots", q->slots, "need",
                              scale_queue_need(p, q, d->current, 0)));
    }
    cli_print_json(c, json_pack("{s:i, s:i, s:i, s:i, s:i, s:s, s:s?, s:o, s:o}", "window_s",
                                (int)window, "current", d->current, "need", d->need,
                                "need_down", d->need_down, "desired", d->desired, "reason",
                                scale_reason_name(d->reason), "queue", d->queue, "policy",
                                cli_scale_policy_json(p), "queues", queues));
}

static void cli_scale_print_table(struct cli *c, const struct scale_policy *p,
                                  const struct cli_scale_row *rows, size_t n,
                                  const struct scale_decision *d)
{
    static const char *const headers[] = {"QUEUE", ">READY", ">OLDEST", ">ARRIVAL/S",
                                          ">RUN_S", ">SLOTS", ">NEED"};
    struct table *t = table_create(7, headers);
    for (size_t i = 0; i < n; i++) {
        const struct scale_queue *q = &rows[i].q;
        char f[6][32];
        snprintf(f[0], sizeof f[0], "%lld", (long long)q->ready);
        cli_format_age((int64_t)(q->oldest_age_s * 1000), f[1], sizeof f[1]);
        snprintf(f[2], sizeof f[2], "%.2f", q->arrival_per_s);
        snprintf(f[3], sizeof f[3], "%.3f", q->mean_run_s);
        snprintf(f[4], sizeof f[4], "%d", q->slots);
        snprintf(f[5], sizeof f[5], "%d", scale_queue_need(p, q, d->current, 0));
        const char *row[] = {q->name, f[0], f[1], f[2], f[3], f[4], f[5]};
        table_add(t, row);
    }
    table_print(t, c->out);
    table_free(t);
    fprintf(c->out, "workers: %d live, need %d%s%s%s, advice %d (%s; bounds %d-%d)\n",
            d->current, d->need, d->queue ? " (" : "", d->queue ? d->queue : "",
            d->queue ? ")" : "", d->desired, scale_reason_name(d->reason), p->min_workers,
            p->max_workers);
}

/* ---- the command -------------------------------------------------------- */

/* Second sample: the arrival rate over the window. */
static int cli_scale_arrivals(struct cli *c, struct cli_scale_row *rows, size_t n, long window)
{
    for (size_t i = 0; i < n; i++) {
        struct queue_stats s;
        if (cli_scale_stats(c, rows[i].q.name, &s) != CLI_OK)
            return CLI_REDIS;
        int64_t d = s.counters.enqueued - rows[i].enqueued;
        rows[i].q.arrival_per_s = d > 0 ? (double)d / (double)window : 0;
    }
    return CLI_OK;
}

static int cli_scale_measure(struct cli *c, redisReply *names, struct cli_scale_row *rows,
                             long window, int *live)
{
    char *spec = NULL;
    int rc = cli_scale_workers(c, live, &spec);
    const char *slots_from = spec ? spec : getenv("WORKER_QUEUES");
    for (size_t i = 0; rc == CLI_OK && i < names->elements; i++) {
        rc = cli_scale_sample(c, names->element[i]->str, &rows[i]);
        rows[i].q.slots = slots_from ? scale_slots_of(slots_from, rows[i].q.name) : 0;
    }
    free(spec);
    if (rc == CLI_OK) {
        struct timespec ts = {.tv_sec = window};
        nanosleep(&ts, NULL);
        rc = cli_scale_arrivals(c, rows, names->elements, window);
    }
    return rc;
}

int cli_scale_advice(struct cli *c)
{
    struct scale_policy p;
    long window;
    int live = 0, rc = cli_scale_window(c, &window);
    if (rc == CLI_OK)
        rc = cli_scale_policy(c, &p);
    if (rc != CLI_OK)
        return rc;
    struct queue_op op;
    queue_op_list(&op, c->prefix);
    redisReply *names = cli_run(c, &op);
    if (names == NULL)
        return CLI_REDIS;
    size_t n = names->elements;
    struct cli_scale_row *rows = mem_calloc(n ? n : 1, sizeof *rows);
    rc = cli_scale_measure(c, names, rows, window, &live);
    if (rc == CLI_OK) {
        struct scale_queue *qs = mem_calloc(n ? n : 1, sizeof *qs);
        for (size_t i = 0; i < n; i++)
            qs[i] = rows[i].q;
        struct scale_decision d;
        scale_decide(&p, qs, n, live, 0, 0, &d);
        if (c->opts.json)
            cli_scale_print_json(c, &p, rows, n, window, &d);
        else
            cli_scale_print_table(c, &p, rows, n, &d);
        free(qs);
    }
    free(rows);
    freeReplyObject(names);
    return rc;
}
