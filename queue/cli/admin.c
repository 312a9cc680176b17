/*
 * queue/cli/admin.c: the sentia-queue commands that change state —
 * enqueue, retry (dead → ready), purge, pause and resume (see cli.h).
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "queue/cli/cli.h"
#include "queue/scripts.h"

/* Jobs per pipelined round trip for enqueue --count and retry --all. */
enum { CLI_BATCH = 1000 };

/* SADD the queue to the registry so stats lists it. */
static int cli_register(struct cli *c, const char *queue)
{
    struct queue_op op;
    queue_op_register(&op, c->prefix, queue);
    redisReply *r = cli_run(c, &op);
    if (r == NULL)
        return CLI_REDIS;
    freeReplyObject(r);
    return CLI_OK;
}

/* ---- enqueue ------------------------------------------------------------ */

static bool cli_type_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > JOB_TYPE_MAX)
        return false;
    for (; *t; t++)
        if ((unsigned char)*t <= 0x20 || *t == '"' || *t == '\\' || *t == 0x7f)
            return false;
    return true;
}

/* Builds one job from the options; NULL after a usage message. */
static struct job *cli_build_job(struct cli *c, const char *queue, const char *type,
                                 json_t *payload)
{
    struct job *job = job_create(queue, type, json_incref(payload));
    if (c->opts.max_attempts > 0)
        job->max_attempts = (int)c->opts.max_attempts;
    if (c->opts.key)
        job->dedup_key = mem_strdup(c->opts.key);
    if (c->opts.delay_s > 0)
        job->run_at_ms = clock_wall_ms() + (int64_t)(c->opts.delay_s * 1000);
    return job;
}

static int cli_enqueue_one(struct cli *c, const char *queue, const char *type,
                           json_t *payload)
{
    struct job *job = cli_build_job(c, queue, type, payload);
    size_t len;
    char *env = job_encode(job, &len);
    struct queue_op op;
    bool dup = false;
    char id[JOB_ID_MAX + 1] = "";
    queue_op_enqueue(&op, c->prefix, job, env, len, job->run_at_ms, 0);
    redisReply *r = cli_run(c, &op);
    int rc = r == NULL ? CLI_REDIS : CLI_OK;
    if (r && queue_parse_enqueue(r, &dup, id, sizeof id) != 0) {
        fprintf(c->err, "sentia-queue: unexpected reply from the enqueue script\n");
        rc = CLI_REDIS;
    }
    if (rc == CLI_OK && c->opts.json)
        cli_print_json(c, json_pack("{s:s, s:b}", "id", id, "duplicate", dup));
    else if (rc == CLI_OK && dup)
        fprintf(c->out, "duplicate: job %s already holds key %s\n", id, job->dedup_key);
    else if (rc == CLI_OK)
        fprintf(c->out, "%s\n", id);
    if (r)
        freeReplyObject(r);
    free(env);
    job_free(job);
    return rc;
}

/* Sends `n` enqueue ops in one pipeline; returns CLI_OK or CLI_REDIS. */
static int cli_enqueue_batch(struct cli *c, const char *queue, const char *type,
                             json_t *payload, size_t n)
{
    struct redis_args *cmds = mem_calloc(n, sizeof *cmds);
    struct queue_op *ops = mem_calloc(n, sizeof *ops);
    redisReply **replies = mem_calloc(n, sizeof *replies);
    char **envs = mem_calloc(n, sizeof *envs);
    struct job **jobs = mem_calloc(n, sizeof *jobs);
    int rc = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        jobs[i] = cli_build_job(c, queue, type, payload);
        envs[i] = job_encode(jobs[i], &len);
        queue_op_enqueue(&ops[i], c->prefix, jobs[i], envs[i], len, jobs[i]->run_at_ms, 0);
        queue_op_argv(&ops[i], &cmds[i]);
    }
    if (redis_sync_pipeline(c->redis, cmds, n, replies) != 0) {
        fprintf(c->err, "sentia-queue: redis: %s\n", redis_sync_error(c->redis));
        rc = CLI_REDIS;
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == CLI_OK && (replies[i] == NULL || replies[i]->type == REDIS_REPLY_ERROR)) {
            fprintf(c->err, "sentia-queue: redis error: %s\n",
                    replies[i] ? replies[i]->str : "no reply");
            rc = CLI_REDIS;
        }
        if (replies[i])
            freeReplyObject(replies[i]);
        redis_args_dispose(&cmds[i]);
        queue_op_dispose(&ops[i]);
        job_free(jobs[i]);
        free(envs[i]);
    }
    free(jobs);
    free(ops);
    free(cmds);
    free(replies);
    free(envs);
    return rc;
}

static int cli_enqueue_many(struct cli *c, const char *queue, const char *type,
                            json_t *payload, size_t count)
{
    /* Pipelined EVALSHA needs the script present: load it once first. */
    redisReply *r = cli_check_reply(
        c, redis_sync_commandf(c->redis, "SCRIPT LOAD %s",
                               queue_scripts[QUEUE_SCRIPT_ENQUEUE].source));
    if (r == NULL)
        return CLI_REDIS;
    freeReplyObject(r);
    int rc = CLI_OK;
    for (size_t done = 0; done < count && rc == CLI_OK; done += CLI_BATCH)
        rc = cli_enqueue_batch(c, queue, type, payload,
                               count - done < CLI_BATCH ? count - done : CLI_BATCH);
    if (rc == CLI_OK && c->opts.json)
        cli_print_json(c, json_pack("{s:I}", "enqueued", (json_int_t)count));
    else if (rc == CLI_OK)
        fprintf(c->out, "enqueued %zu jobs on %s\n", count, queue);
    return rc;
}

int cli_enqueue(struct cli *c)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    const char *type = c->opts.npos > 2 ? c->opts.pos[2] : NULL;
    const char *text = c->opts.npos > 3 ? c->opts.pos[3] : "{}";
    size_t count = c->opts.count > 0 ? (size_t)c->opts.count : 1;
    json_error_t err;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if (type == NULL || !cli_type_valid(type) || c->opts.npos > 4)
        return cli_usage(c, "enqueue takes QUEUE TYPE [PAYLOAD_JSON]");
    if (c->opts.key && (strlen(c->opts.key) == 0 || strlen(c->opts.key) > JOB_KEY_MAX))
        return cli_usage(c, "--key must be 1 to %d bytes", JOB_KEY_MAX);
    if (c->opts.key && count > 1)
        return cli_usage(c, "--key and --count > 1 contradict: each copy would be a duplicate");
    json_t *payload = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(payload)) {
        json_decref(payload);
        return cli_usage(c, "PAYLOAD_JSON must be a JSON object (%s)",
                         payload ? "got another JSON value" : err.text);
    }
    int rc = cli_register(c, queue);
    if (rc == CLI_OK)
        rc = count == 1 ? cli_enqueue_one(c, queue, type, payload)
                        : cli_enqueue_many(c, queue, type, payload, count);
    json_decref(payload);
    return rc;
}

/* ---- retry -------------------------------------------------------------- */

/* Moves one dead envelope back to ready; 1 moved, 0 gone, -1 malformed/error. */
static int cli_revive(struct cli *c, const char *queue, const char *raw, size_t len)
{
    struct job *job = NULL;
    const char *why;
    if (job_decode(raw, len, &job, &why) != 0)
        return -1;
    size_t nlen;
    char *fresh = job_encode_revived(job, &nlen);
    struct queue_op op;
    queue_op_revive(&op, c->prefix, queue, raw, len, fresh, nlen);
    redisReply *r = cli_run(c, &op);
    int moved = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r)
        freeReplyObject(r);
    free(fresh);
    job_free(job);
    return moved;
}

static int cli_retry_one(struct cli *c, const char *queue, const char *id)
{
    char *key = queue_key(c->prefix, queue, "dead");
    char *found = NULL;
    int64_t due = 0;
    int rc = cli_find_in(c, key, false, id, &found, &due);
    free(key);
    if (rc == CLI_NOT_FOUND)
        fprintf(c->err, "sentia-queue: no dead job %s in queue %s\n", id, queue);
    if (rc != CLI_OK)
        return rc;
    int moved = cli_revive(c, queue, found, strlen(found));
    free(found);
    if (moved < 0)
        return CLI_REDIS;
    if (moved == 0) {
        fprintf(c->err, "sentia-queue: job %s left the dead list meanwhile\n", id);
        return CLI_NOT_FOUND;
    }
    if (c->opts.json)
        cli_print_json(c, json_pack("{s:s, s:i}", "id", id, "retried", 1));
    else
        fprintf(c->out, "job %s moved from dead to ready\n", id);
    return CLI_OK;
}

/*
 * Revives every dead job, oldest first. The dead list is capped at
 * QUEUE_DEAD_CAP, so one snapshot of it is small enough to hold.
 * Malformed envelopes stay in dead.
 */
static int cli_retry_all(struct cli *c, const char *queue)
{
    char *key = queue_key(c->prefix, queue, "dead");
    redisReply *r = cli_check_reply(c, redis_sync_commandf(c->redis, "LRANGE %s 0 -1", key));
    free(key);
    if (r == NULL)
        return CLI_REDIS;
    long long moved = 0, skipped = 0;
    for (size_t i = r->elements; i-- > 0;) {
        int m = cli_revive(c, queue, r->element[i]->str, r->element[i]->len);
        moved += m > 0;
        skipped += m < 0;
    }
    freeReplyObject(r);
    if (c->opts.json)
        cli_print_json(c, json_pack("{s:I, s:I}", "retried", (json_int_t)moved,
                                    "skipped_malformed", (json_int_t)skipped));
    else
        fprintf(c->out, "moved %lld dead jobs to ready%s\n", moved,
                skipped ? " (malformed ones left in dead)" : "");
    return CLI_OK;
}

int cli_retry(struct cli *c)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    const char *id = c->opts.npos > 2 ? c->opts.pos[2] : NULL;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if ((id == NULL) == !c->opts.all || c->opts.npos > 3)
        return cli_usage(c, "retry takes QUEUE and either JOB_ID or --all");
    return c->opts.all ? cli_retry_all(c, queue) : cli_retry_one(c, queue, id);
}

/* ---- purge, pause, resume ----------------------------------------------- */

/* Asks on a terminal; without one (scripts) --yes is required. */
static bool cli_confirm(struct cli *c, const char *queue, const char *state, long long n)
{
    if (c->opts.yes)
        return true;
    if (!isatty(STDIN_FILENO))
        return false;
    char answer[8] = "";
    fprintf(c->err, "Purge %lld %s jobs from %s? [y/N] ", n, state, queue);
    return fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

int cli_purge(struct cli *c)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    const char *state = c->opts.state;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if (state == NULL || (strcmp(state, "dead") != 0 && strcmp(state, "ready") != 0) ||
        c->opts.npos > 2)
        return cli_usage(c, "purge takes QUEUE --state dead|ready");
    char *key = queue_key(c->prefix, queue, state);
    redisReply *r = cli_check_reply(c, redis_sync_commandf(c->redis, "LLEN %s", key));
    free(key);
    if (r == NULL)
        return CLI_REDIS;
    long long n = r->integer;
    freeReplyObject(r);
    if (!cli_confirm(c, queue, state, n))
        return cli_usage(c, "refusing to purge %lld %s jobs of %s without --yes", n, state,
                         queue);
    struct queue_op op;
    queue_op_purge(&op, c->prefix, queue, state);
    if ((r = cli_run(c, &op)) == NULL)
        return CLI_REDIS;
    n = r->integer;
    freeReplyObject(r);
    if (c->opts.json)
        cli_print_json(c, json_pack("{s:s, s:s, s:I}", "queue", queue, "state", state,
                                    "purged", (json_int_t)n));
    else
        fprintf(c->out, "purged %lld %s jobs from %s\n", n, state, queue);
    return CLI_OK;
}

/* "user@host at 2026-11-23T10:00:00Z": who paused, for operators. */
static char *cli_who(void)
{
    char host[256] = "unknown", when[32];
    struct passwd *pw = getpwuid(getuid());
    time_t now = time(NULL);
    struct tm tm;
    gethostname(host, sizeof host - 1);
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return mem_printf("%s@%s at %s", pw ? pw->pw_name : "unknown", host, when);
}

static int cli_set_paused(struct cli *c, bool pause)
{
    const char *queue = c->opts.npos > 1 ? c->opts.pos[1] : NULL;
    if (cli_check_queue(c, queue) != CLI_OK)
        return CLI_USAGE;
    if (c->opts.npos > 2)
        return cli_usage(c, "%s takes one QUEUE", pause ? "pause" : "resume");
    if (cli_register(c, queue) != CLI_OK)
        return CLI_REDIS;
    char *who = cli_who();
    struct queue_op op;
    queue_op_pause(&op, c->prefix, queue, pause, who);
    redisReply *r = cli_run(c, &op);
    free(who);
    if (r == NULL)
        return CLI_REDIS;
    bool changed = pause || r->integer > 0;
    freeReplyObject(r);
    if (c->opts.json)
        cli_print_json(c, json_pack("{s:s, s:b, s:b}", "queue", queue, "paused", pause,
                                    "changed", changed));
    else
        fprintf(c->out, "%s %s\n", queue,
                pause ? "paused" : changed ? "resumed" : "was not paused");
    return CLI_OK;
}

int cli_pause(struct cli *c)
{
    return cli_set_paused(c, true);
}

int cli_resume(struct cli *c)
{
    return cli_set_paused(c, false);
}
