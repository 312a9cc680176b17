/*
 * queue/cli/schedules.c: `sentia-queue schedules` — the periodic jobs of
 * SCHEDULE (or --schedule), the slot each last enqueued (the scheduler's
 * hash <prefix>:scheduler:last, field = job type) and when each runs next,
 * by Redis' clock; plus which worker holds the scheduler lease
 * (worker/core/scheduler.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/schedule.h"
#include "lib/table.h"
#include "queue/cli/cli.h"

/* epoch ms → "YYYY-MM-DD HH:MM:SS" UTC, or "-" for < 0. */
static void cli_format_time(int64_t ms, char *out, size_t size)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    if (ms < 0) {
        snprintf(out, size, "-");
        return;
    }
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The last slot enqueued per type, from the scheduler's hash. */
static int64_t cli_last_slot(const redisReply *last, const char *type)
{
    for (size_t i = 0; last && i + 1 < last->elements; i += 2)
        if (strcmp(last->element[i]->str, type) == 0)
            return strtoll(last->element[i + 1]->str, NULL, 10);
    return -1;
}

/* One entry as JSON: type, queue, when, period_ms, last_slot_ms, next_run_ms. */
static json_t *cli_schedule_json(const struct schedule_entry *e, const redisReply *last,
                                 int64_t now)
{
    int64_t slot = schedule_slot_start(e, now), prev = cli_last_slot(last, e->type);
    int64_t next = prev >= slot ? slot + e->period_ms : slot; /* slot not yet run: due */
    return json_pack("{sssssssIsIsI}", "type", e->type, "queue", e->queue, "when",
                     strchr(e->name, '@') + 1, "period_ms", (json_int_t)e->period_ms,
                     "last_slot_ms", (json_int_t)prev, "next_run_ms", (json_int_t)next);
}

static void cli_schedule_row(struct table *t, const json_t *s, int64_t now)
{
    char last[32], next[32], in[24];
    int64_t n = json_integer_value(json_object_get(s, "next_run_ms"));
    cli_format_time(json_integer_value(json_object_get(s, "last_slot_ms")), last, sizeof last);
    cli_format_time(n, next, sizeof next);
    if (n <= now)
        snprintf(in, sizeof in, "due");
    else
        cli_format_age(n - now, in, sizeof in);
    const char *row[] = {json_string_value(json_object_get(s, "type")),
                         json_string_value(json_object_get(s, "queue")),
                         json_string_value(json_object_get(s, "when")), last, next, in};
    table_add(t, row);
}

int cli_schedules(struct cli *c)
{
    static const char *const headers[] = {"TYPE", "QUEUE", "EVERY", "LAST RUN (UTC)",
                                          "NEXT RUN (UTC)", ">IN"};
    const char *text = c->opts.schedule ? c->opts.schedule : getenv("SCHEDULE");
    char why[256];
    struct schedule *sc = calloc(1, sizeof *sc);
    if (sc == NULL)
        abort();
    if (c->opts.npos > 1 || schedule_parse(text, sc, why, sizeof why) != 0) {
        free(sc);
        return c->opts.npos > 1 ? cli_usage(c, "schedules takes no arguments")
                                : cli_usage(c, "SCHEDULE: %s", why);
    }
    redisReply *last = cli_check_reply(
        c, redis_sync_commandf(c->redis, "HGETALL %s:scheduler:last", c->prefix));
    redisReply *lease = last ? cli_check_reply(
        c, redis_sync_commandf(c->redis, "GET %s:scheduler:lease", c->prefix)) : NULL;
    int64_t now = lease ? cli_now_ms(c) : 0;
    if (last == NULL || lease == NULL || now == 0) {
        if (last)
            freeReplyObject(last);
        if (lease)
            freeReplyObject(lease);
        free(sc);
        return CLI_REDIS;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < sc->n; i++)
        json_array_append_new(list, cli_schedule_json(&sc->entries[i], last, now));
    const char *holder = lease->type == REDIS_REPLY_STRING ? lease->str : NULL;
    if (c->opts.json) {
        cli_print_json(c, json_pack("{sOss?sI}", "schedules", list, "leader", holder, "now_ms",
                                    (json_int_t)now));
    } else {
        struct table *t = table_create(6, headers);
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s) cli_schedule_row(t, s, now);
        table_print(t, c->out);
        table_free(t);
        char *shown = table_escape(holder ? holder : "(none)");
        fprintf(c->out, "scheduler lease: %s\n", shown);
        free(shown);
    }
    json_decref(list);
    freeReplyObject(last);
    freeReplyObject(lease);
    free(sc);
    return CLI_OK;
}
