/*
 * queue/cli/inspect.c: the read-only sentia-queue commands — stats, peek,
 * show and workers (see cli.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/table.h"
#include "queue/cli/cli.h"

/* LRANGE / ZRANGE page size when scanning a whole list for one id. */
enum { CLI_SCAN_PAGE = 1000, CLI_PEEK_DEFAULT = 10, CLI_ERROR_COLUMN = 60 };

/* Redis' clock in ms: ages are measured against the server's time. */
int64_t cli_now_ms(struct cli *c)
{
    redisReply *r = cli_check_reply(c, redis_sync_commandf(c->redis, "TIME"));
    int64_t now = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
        now = strtoll(r->element[0]->str, NULL, 10) * 1000 +
              strtoll(r->element[1]->str, NULL, 10) / 1000;
    if (r)
        freeReplyObject(r);
    return now;
}

static int cli_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- stats -------------------------------------------------------------- */

static json_t *cli_stats_json(const char *queue, const struct queue_stats *s)
{
    json_t *counters = json_object();
    for (size_t i = 0; queue_counter_names[i]; i++)
        json_object_set_new(counters, queue_counter_names[i],
                            json_integer(queue_counter_get(&s->counters, i)));
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:o}", "queue", queue,
                     "ready", (json_int_t)s->ready, "delayed", (json_int_t)s->delayed,
                     "active", (json_int_t)s->active, "dead", (json_int_t)s->dead,
                     "paused", s->paused, "oldest_age_ms", (json_int_t)s->oldest_age_ms,
                     "workers", (json_int_t)s->workers, "counters", counters);
}

static void cli_stats_row(struct table *t, const char *queue,
                          const struct queue_stats *s)
{
    char num[13][24], age[24];
    const struct queue_counters *k = &s->counters;
    int64_t v[] = {s->ready, s->delayed, s->active, s->dead, s->workers,
                   k->enqueued, k->deduped, k->completed, k->failed, k->retried,
                   k->dead, k->recovered, k->dead_evicted};
    for (size_t i = 0; i < 13; i++)
        snprintf(num[i], sizeof num[i], "%lld", (long long)v[i]);
    cli_format_age(s->oldest_age_ms, age, sizeof age);
    const char *row[] = {queue, num[0], num[1], num[2], num[3], s->paused ? "yes" : "no",
                         age, num[4], num[5], num[6], num[7], num[8], num[9],
                         num[10], num[11], num[12]};
    table_add(t, row);
}

int cli_stats(struct cli *c)
{
    static const char *const headers[] = {
        "QUEUE", ">READY", ">DELAYED", ">ACTIVE", ">DEAD", "PAUSED", ">OLDEST",
        ">WORKERS", ">ENQUEUED", ">DEDUPED", ">COMPLETED", ">FAILED", ">RETRIED",
        ">DEAD_TOTAL", ">RECOVERED", ">DEAD_EVICTED"};
    struct queue_op op;
    char *single[1] = {c->opts.npos > 1 ? c->opts.pos[1] : NULL};
    redisReply *names = NULL;
    char **list = single;
    size_t n = 1;
    if (c->opts.npos > 2)
        return cli_usage(c, "stats takes at most one QUEUE");
    if (single[0] != NULL && cli_check_queue(c, single[0]) != CLI_OK)
        return CLI_USAGE;
    if (single[0] == NULL) {
        queue_op_list(&op, c->prefix);
        if ((names = cli_run(c, &op)) == NULL)
            return CLI_REDIS;
        n = names->elements;
        list = mem_calloc(n ? n : 1, sizeof *list);
        for (size_t i = 0; i < n; i++)
            list[i] = names->element[i]->str;
        qsort(list, n, sizeof *list, cli_cmp_str);
    }
    int rc = CLI_OK;
    json_t *doc = json_array();
    struct table *t = table_create(16, headers);
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        struct queue_stats s;
        queue_op_stats(&op, c->prefix, list[i]);
        redisReply *r = cli_run(c, &op);
        if (r == NULL || queue_parse_stats(r, &s) != 0)
            rc = CLI_REDIS;
        else if (c->opts.json)
            json_array_append_new(doc, cli_stats_json(list[i], &s));
        else
            cli_stats_row(t, list[i], &s);
        if (r)
            freeReplyObject(r);
    }
    if (rc == CLI_OK && c->opts.json)
        cli_print_json(c, json_pack("{s:o}", "queues", json_incref(doc)));
    else if (rc == CLI_OK)
        table_print(t, c->out);
    json_decref(doc);
    table_free(t);
    if (names) {
        free(list);
        freeReplyObject(names);
    }
    return rc;
}

/* ---- peek and show ------------------------------------------------------ */

/* One listed job: its envelope text and where it is. */
struct cli_item {
    const char *raw;
    size_t len;
    const char *worker; /* active only */
    int64_t due_ms;     /* delayed only */
};

static json_t *cli_item_json(const struct cli_item *it)
{
    json_t *env = json_loadb(it->raw, it->len, 0, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "envelope", env ? env : json_null());
    if (env == NULL)
        json_object_set_new(o, "raw", json_stringn(it->raw, it->len));
    if (it->worker)
        json_object_set_new(o, "worker", json_string(it->worker));
    if (it->due_ms)
        json_object_set_new(o, "due_ms", json_integer(it->due_ms));
    return o;
}

static void cli_item_row(struct table *t, const struct cli_item *it, int64_t now)
{
    struct job *job = NULL;
    const char *why = NULL;
    char attempt[32], age[24], where[96], err[CLI_ERROR_COLUMN + 4];
    if (job_decode(it->raw, it->len, &job, &why) != 0) {
        const char *row[] = {"?", "(malformed)", "-", "-", "-", why};
        table_add(t, row);
        return;
    }
    snprintf(attempt, sizeof attempt, "%d/%d", job->attempt, job->max_attempts);
    cli_format_age(now - job->created_ms, age, sizeof age);
    if (it->worker)
        snprintf(where, sizeof where, "%s", it->worker);
    else if (it->due_ms)
        cli_format_age(it->due_ms - now, where, sizeof where);
    else
        snprintf(where, sizeof where, "-");
    snprintf(err, sizeof err, "%.*s", CLI_ERROR_COLUMN,
             job->last_error ? job->last_error : "-");
    const char *row[] = {job->id, job->type, attempt, age, where, err};
    table_add(t, row);
    job_free(job);
}

/* Appends elements of an array reply as items (WITHSCORES: pairs). */
static size_t cli_collect(const redisReply *r, bool scores, const char *worker,
                          struct cli_item *items, size_t have, size_t max)
{
    size_t step = scores ? 2 : 1;
    for (size_t i = 0; i + step - 1 < r->elements && have < max; i += step) {
        items[have] = (struct cli_item){r->element[i]->str, r->element[i]->len,
                                        worker, 0};
        if (scores)
            items[have].due_ms = strtoll(r->element[i + 1]->str, NULL, 10);
        have++;
    }
    return have;
}

/* Fetches up to `max` jobs of one state; replies kept alive in `keep`. */
static int cli_fetch(struct cli *c, const char *queue, const char *state, size_t max,
                     struct cli_item *items, size_t *n, redisReply **keep, size_t *nkeep)
{
    char *key = queue_key(c->prefix, queue, strcmp(state, "active") ? state : "workers");
    redisReply *r;
    if (strcmp(state, "ready") == 0)
        r = redis_sync_commandf(c->redis, "LRANGE %s %lld -1", key, -(long long)max);
    else if (strcmp(state, "dead") == 0)
        r = redis_sync_commandf(c->redis, "LRANGE %s 0 %lld", key, (long long)max - 1);
    else if (strcmp(state, "delayed") == 0)
        r = redis_sync_commandf(c->redis, "ZRANGE %s 0 %lld WITHSCORES", key,
                                (long long)max - 1);
    else
        r = redis_sync_commandf(c->redis, "ZRANGE %s 0 -1", key);
    free(key);
    if ((r = cli_check_reply(c, r)) == NULL)
        return CLI_REDIS;
    keep[(*nkeep)++] = r;
    if (strcmp(state, "ready") == 0) {
        /* Consumers take from the right: show the next job first. */
        for (size_t i = 0; i < r->elements / 2; i++) {
            redisReply *tmp = r->element[i];
            r->element[i] = r->element[r->elements - 1 - i];
            r->element[r->elements - 1 - i] = tmp;
        }
    }
    if (strcmp(state, "active") != 0) {
        *n = cli_collect(r, strcmp(state, "delayed") == 0, NULL, items, *n, max);
        return CLI_OK;
    }
    for (size_t w = 0; w < r->elements && *n < max && *nkeep < 64; w++) {
        char *akey = mem_printf("%s:{%s}:active:%s", c->prefix, queue, r->element[w]->str);
        redisReply *a = cli_check_reply(
            c, redis_sync_commandf(c->redis, "LRANGE %s 0 %lld", akey, (long long)max - 1));
        free(akey);
        if (a == NULL)
            return CLI_REDIS;
        keep[(*nkeep)++] = a;
        *n = cli_collect(a, false, r->element[w]->str, items, *n, max);
    }
    return CLI_OK;
}

static bool cli_state_valid(const char *s)
{
    return strcmp(s, "ready") == 0 || strcmp(s, "delayed") == 0 ||
           strcmp(s, "active") == 0 || strcmp(s, "dead") == 0;
}

static void cli_print_items(struct cli *c, const char *queue, const char *state,
                            const struct cli_item *items, size_t n)
{
    static const char *const headers[] = {"ID", "TYPE", ">ATTEMPT", ">AGE", "WHERE",
                                          "LAST_ERROR"};
    if (c->opts.json) {
        json_t *jobs = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(jobs, cli_item_json(&items[i]));
        cli_print_json(c, json_pack("{s:s, s:s, s:o}", "queue", queue, "state", state,
                                    "jobs", jobs));
        return;
    }
    int64_t now = cli_now_ms(c);
    struct table *t = table_create(6, headers);
    for (size_t i = 0; i < n; i++)
        cli_item_row(t, &items[i], now);
    table_print(t, c->out);
    table_free(t);
}

int cli_peek(struct cli *c)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    const char *state = c->opts.state ? c->opts.state : "ready";
    size_t max = c->opts.n > 0 ? (size_t)c->opts.n : CLI_PEEK_DEFAULT;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if (c->opts.npos > 2)
        return cli_usage(c, "peek takes one QUEUE");
    if (!cli_state_valid(state))
        return cli_usage(c, "--state must be ready, delayed, active or dead");
    struct cli_item *items = mem_calloc(max, sizeof *items);
    redisReply *keep[64];
    size_t n = 0, nkeep = 0;
    int rc = cli_fetch(c, queue, state, max, items, &n, keep, &nkeep);
    if (rc == CLI_OK)
        cli_print_items(c, queue, state, items, n);
    for (size_t i = 0; i < nkeep; i++)
        freeReplyObject(keep[i]);
    free(items);
    return rc;
}

/* True when the envelope's id is `id` (cheap text test, then a real parse). */
static bool cli_envelope_has_id(const char *raw, size_t len, const char *needle,
                                const char *id)
{
    if (memmem(raw, len, needle, strlen(needle)) == NULL)
        return false;
    struct job *job = NULL;
    const char *why;
    bool match = job_decode(raw, len, &job, &why) == 0 && strcmp(job->id, id) == 0;
    job_free(job);
    return match;
}

/*
 * Pages through one list or zset looking for the job; on success fills
 * *found (a copy of the envelope, caller frees) and *due_ms for zsets.
 */
int cli_find_in(struct cli *c, const char *key, bool zset, const char *id,
                        char **found, int64_t *due_ms)
{
    char *needle = mem_printf("\"id\":\"%s\"", id);
    int rc = CLI_NOT_FOUND;
    for (long long start = 0; rc == CLI_NOT_FOUND; start += CLI_SCAN_PAGE) {
        redisReply *r = cli_check_reply(
            c, zset ? redis_sync_commandf(c->redis, "ZRANGE %s %lld %lld WITHSCORES", key,
                                          start, start + CLI_SCAN_PAGE - 1)
                    : redis_sync_commandf(c->redis, "LRANGE %s %lld %lld", key, start,
                                          start + CLI_SCAN_PAGE - 1));
        if (r == NULL) {
            rc = CLI_REDIS;
            break;
        }
        size_t step = zset ? 2 : 1;
        for (size_t i = 0; i + step - 1 < r->elements && rc == CLI_NOT_FOUND; i += step)
            if (cli_envelope_has_id(r->element[i]->str, r->element[i]->len, needle, id)) {
                *found = mem_strndup(r->element[i]->str, r->element[i]->len);
                *due_ms = zset ? strtoll(r->element[i + 1]->str, NULL, 10) : 0;
                rc = CLI_OK;
            }
        bool last = r->elements < (size_t)CLI_SCAN_PAGE * step;
        freeReplyObject(r);
        if (last)
            break;
    }
    free(needle);
    return rc;
}

/* Looks in ready, delayed, dead, then every worker's active list. */
static int cli_locate(struct cli *c, const char *queue, const char *id,
                      struct cli_item *it, const char **state, char **worker)
{
    static const char *const states[] = {"ready", "delayed", "dead"};
    char *found = NULL;
    int rc = CLI_NOT_FOUND;
    for (size_t s = 0; s < 3 && rc == CLI_NOT_FOUND; s++) {
        char *key = queue_key(c->prefix, queue, states[s]);
        rc = cli_find_in(c, key, s == 1, id, &found, &it->due_ms);
        *state = states[s];
        free(key);
    }
    if (rc == CLI_NOT_FOUND) {
        char *wkey = queue_key(c->prefix, queue, "workers");
        redisReply *w = cli_check_reply(c, redis_sync_commandf(c->redis, "ZRANGE %s 0 -1", wkey));
        free(wkey);
        if (w == NULL)
            return CLI_REDIS;
        for (size_t i = 0; i < w->elements && rc == CLI_NOT_FOUND; i++) {
            char *akey = mem_printf("%s:{%s}:active:%s", c->prefix, queue, w->element[i]->str);
            rc = cli_find_in(c, akey, false, id, &found, &it->due_ms);
            if (rc == CLI_OK)
                *worker = mem_strdup(w->element[i]->str);
            free(akey);
        }
        *state = "active";
        freeReplyObject(w);
    }
    it->raw = found;
    it->len = found ? strlen(found) : 0;
    it->worker = *worker;
    return rc;
}

int cli_show(struct cli *c)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    const char *id = c->opts.npos > 2 ? c->opts.pos[2] : NULL;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if (id == NULL || c->opts.npos > 3 || strlen(id) > JOB_ID_MAX)
        return cli_usage(c, "show takes QUEUE JOB_ID");
    struct cli_item it = {0};
    const char *state = NULL;
    char *worker = NULL;
    int rc = cli_locate(c, queue, id, &it, &state, &worker);
    if (rc == CLI_NOT_FOUND)
        fprintf(c->err, "sentia-queue: job %s not found in queue %s\n", id, queue);
    if (rc == CLI_OK) {
        json_t *doc = cli_item_json(&it);
        json_object_set_new(doc, "queue", json_string(queue));
        json_object_set_new(doc, "state", json_string(state));
        cli_print_json(c, doc);
    }
    free((char *)it.raw);
    free(worker);
    return rc;
}

/* ---- workers ------------------------------------------------------------ */

/* HGETALL as a JSON object of strings (NULL when the hash is gone). */
static json_t *cli_worker_hash(struct cli *c, const char *id, int *rc)
{
    redisReply *h = cli_check_reply(
        c, redis_sync_commandf(c->redis, "HGETALL %s:worker:%s", c->prefix, id));
    if (h == NULL) {
        *rc = CLI_REDIS;
        return NULL;
    }
    json_t *o = h->elements ? json_object() : NULL;
    for (size_t i = 0; o && i + 1 < h->elements; i += 2)
        json_object_set_new(o, h->element[i]->str, json_string(h->element[i + 1]->str));
    freeReplyObject(h);
    return o;
}

static void cli_worker_row(struct table *t, json_t *w, int64_t now)
{
    char beat[24], up[24];
    const char *hb = json_string_value(json_object_get(w, "heartbeat_ms"));
    const char *started = json_string_value(json_object_get(w, "started_ms"));
    cli_format_age(hb ? now - strtoll(hb, NULL, 10) : 0, beat, sizeof beat);
    cli_format_age(started ? now - strtoll(started, NULL, 10) : 0, up, sizeof up);
    const char *row[] = {
        json_string_value(json_object_get(w, "id")),
        json_string_value(json_object_get(w, "host")),
        json_string_value(json_object_get(w, "pid")),
        json_string_value(json_object_get(w, "queues")),
        json_string_value(json_object_get(w, "in_flight")),
        beat, up,
        json_string_value(json_object_get(w, "version"))};
    table_add(t, row);
}

int cli_workers(struct cli *c)
{
    static const char *const headers[] = {"ID", "HOST", ">PID", "QUEUES", ">IN_FLIGHT",
                                          ">HEARTBEAT", ">UP", "VERSION"};
    if (c->opts.npos > 1)
        return cli_usage(c, "workers takes no arguments");
    redisReply *ids = cli_check_reply(
        c, redis_sync_commandf(c->redis, "ZRANGE %s:workers 0 -1", c->prefix));
    if (ids == NULL)
        return CLI_REDIS;
    int rc = CLI_OK;
    int64_t now = cli_now_ms(c);
    json_t *list = json_array();
    for (size_t i = 0; i < ids->elements && rc == CLI_OK; i++) {
        json_t *w = cli_worker_hash(c, ids->element[i]->str, &rc);
        if (w) /* a worker whose hash expired is gone: not listed */
            json_array_append_new(list, w);
    }
    freeReplyObject(ids);
    if (rc == CLI_OK && c->opts.json) {
        cli_print_json(c, json_pack("{s:O}", "workers", list));
    } else if (rc == CLI_OK) {
        struct table *t = table_create(8, headers);
        size_t i;
        json_t *w;
        json_array_foreach(list, i, w) cli_worker_row(t, w, now);
        table_print(t, c->out);
        table_free(t);
    }
    json_decref(list);
    return rc;
}
