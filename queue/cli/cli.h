/*
 * queue/cli/cli.h: sentia-queue, the operators' queue inspection CLI.
 *
 *   sentia-queue [--redis URL] [--prefix P] [--json] COMMAND [ARGS]
 *
 * A Redis password is passed in REDIS_URL, never with --redis (a command line
 * is readable by every local user); a --redis URL with one gets a warning.
 * Table output escapes control characters of strings from Redis (lib/table.h);
 * --json prints them exactly (JSON escapes them itself).
 *
 * Commands live in cli_inspect.c (stats, peek, show, workers) and
 * cli_admin.c (enqueue, retry, purge, pause, resume); cli.c parses options,
 * connects and dispatches. Output: human tables by default, one JSON
 * document with --json. Exit codes: 0 ok, 1 not found, 2 usage, 3 Redis
 * unreachable or failing — each failure with one line on stderr.
 */
#ifndef SENTIA_QUEUE_CLI_H
#define SENTIA_QUEUE_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/redis.h"
#include "queue/queue.h"

enum { CLI_OK = 0, CLI_NOT_FOUND = 1, CLI_USAGE = 2, CLI_REDIS = 3 };

/* Options, whichever command they belong to; NULL / -1 when not given. */
struct cli_opts {
    const char *redis, *prefix, *state, *key, *schedule;
    double delay_s;  /* -1 if not given */
    long n, count, max_attempts;  /* -1 if not given */
    bool json, all, yes;
    const char *given[16]; /* names of the options given, for checking */
    int ngiven;
    char *pos[8];  /* positional arguments after the command */
    int npos;
};

struct cli {
    struct redis_sync *redis;
    const char *prefix;
    struct cli_opts opts;
    FILE *out, *err;
};

/* Prints "sentia-queue: <message>" to stderr; returns CLI_USAGE. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fails unless only options named in `allowed` ("state,n") were given. */
int cli_check_opts(struct cli *c, const char *command, const char *allowed);
/* Runs and disposes op; NULL after printing the Redis error (→ CLI_REDIS). */
redisReply *cli_run(struct cli *c, struct queue_op *op);
/* Passes a good reply through; prints and frees an error or NULL one. */
redisReply *cli_check_reply(struct cli *c, redisReply *r);
/* Prints a JSON document (takes the reference) and a newline. */
void cli_print_json(struct cli *c, json_t *doc);
/* "4s", "3m12s", "2h05m", "3d04h"; "-" for 0. */
void cli_format_age(int64_t ms, char *buf, size_t size);
/* Checks a QUEUE argument; prints and returns CLI_USAGE when invalid. */
int cli_check_queue(struct cli *c, const char *queue);
/* Redis' clock (TIME) in epoch ms; 0 after printing an error. */
int64_t cli_now_ms(struct cli *c);

/*
 * Pages through the list or zset `key` for the job with `id`: CLI_OK with
 * *found (a copy of the envelope, caller frees) and *due_ms (zsets), or
 * CLI_NOT_FOUND, or CLI_REDIS after printing the error.
 */
int cli_find_in(struct cli *c, const char *key, bool zset, const char *id,
                char **found, int64_t *due_ms);

int cli_stats(struct cli *c);
int cli_peek(struct cli *c);
int cli_show(struct cli *c);
int cli_workers(struct cli *c);
int cli_enqueue(struct cli *c);
int cli_retry(struct cli *c);
int cli_purge(struct cli *c);
int cli_pause(struct cli *c);
int cli_resume(struct cli *c);
int cli_schedules(struct cli *c); /* cli_schedules.c */
int cli_scale_advice(struct cli *c); /* cli_scale.c */

#endif
