/*
 * queue/cli/cli.c: sentia-queue's entry point — option parsing, connection,
 * dispatch and the output helpers the commands share (see cli.h).
 */
#include "queue/cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/process.h"
#include "lib/table.h"
#include "lib/url.h"

/* Long enough for a slow Redis, short enough that an operator is not left hanging. */
enum { CLI_REDIS_TIMEOUT_MS = 5000 };

static const char cli_help[] =
    "usage: sentia-queue [--redis URL] [--prefix P] [--json] COMMAND [ARGS]\n"
    "\n"
    "  stats [QUEUE]                        every queue: ready, delayed, active, dead,\n"
    "                                       paused, oldest age, counters\n"
    "  depth [QUEUE]                        the same as stats\n"
    "  peek QUEUE [--state ready|delayed|active|dead] [-n N]\n"
    "  show QUEUE JOB_ID                    one job's envelope and state\n"
    "  enqueue QUEUE TYPE [PAYLOAD_JSON] [--delay S] [--key K] [--count N]\n"
    "          [--max-attempts N]\n"
    "  retry QUEUE (JOB_ID | --all)         dead -> ready\n"
    "  purge QUEUE --state dead|ready [--yes]\n"
    "  pause QUEUE | resume QUEUE\n"
    "  workers                              live worker processes\n"
    "  schedules [--schedule SPEC]          periodic jobs (SCHEDULE), last and next run\n"
    "  scale-advice [SECONDS]               worker count the queues need (SCALE_* policy)\n"
    "\n"
    "REDIS_URL and QUEUE_PREFIX come from the environment unless given.\n"
    "A Redis password goes in REDIS_URL (redis://:PASSWORD@host:port), never in\n"
    "--redis: every local user can read a command line (ps, /proc). --redis is\n"
    "for a server without a password; with one in it, sentia-queue warns.\n"
    "Exit codes: 0 ok, 1 not found, 2 usage, 3 Redis unreachable.\n";

int cli_usage(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    fputs("sentia-queue: ", c->err);
    va_start(ap, fmt);
    vfprintf(c->err, fmt, ap);
    va_end(ap);
    fputs(" (see sentia-queue --help)\n", c->err);
    return CLI_USAGE;
}

int cli_check_queue(struct cli *c, const char *queue)
{
    if (queue == NULL)
        return cli_usage(c, "missing QUEUE");
    if (!queue_name_valid(queue))
        return cli_usage(c, "invalid queue name \"%.80s\" (1-64 of A-Z a-z 0-9 _ . -)",
                         queue);
    return CLI_OK;
}

int cli_check_opts(struct cli *c, const char *command, const char *allowed)
{
    for (int i = 0; i < c->opts.ngiven; i++) {
        const char *name = c->opts.given[i];
        size_t len = strlen(name);
        const char *p = allowed;
        bool ok = false;
        while (*p && !ok) {
            size_t n = strcspn(p, ",");
            ok = n == len && strncmp(p, name, n) == 0;
            p += n + (p[n] == ',');
        }
        if (!ok)
            return cli_usage(c, "%s does not take --%s", command, name);
    }
    return CLI_OK;
}

redisReply *cli_run(struct cli *c, struct queue_op *op)
{
    redisReply *r = queue_op_run_sync(c->redis, op);
    queue_op_dispose(op);
    return cli_check_reply(c, r);
}

redisReply *cli_check_reply(struct cli *c, redisReply *r)
{
    if (r == NULL) {
        fprintf(c->err, "sentia-queue: redis: %s\n", redis_sync_error(c->redis));
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        char *shown = table_escape(r->str);
        fprintf(c->err, "sentia-queue: redis error: %s\n", shown);
        free(shown);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

void cli_print_json(struct cli *c, json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fprintf(c->out, "%s\n", text ? text : "null");
    free(text);
    json_decref(doc);
}

void cli_format_age(int64_t ms, char *buf, size_t size)
{
    int64_t s = ms / 1000;
    if (ms <= 0)
        snprintf(buf, size, "-");
    else if (s < 60)
        snprintf(buf, size, "%llds", (long long)(s ? s : 1));
    else if (s < 3600)
        snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else
        snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
}

/* ---- options ------------------------------------------------------------ */

/* Parses a number option; -1 on garbage. */
static int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int cli_parse_value_opt(struct cli *c, const char *name, const char *v)
{
    struct cli_opts *o = &c->opts;
    if (strcmp(name, "redis") == 0)
        o->redis = v;
    else if (strcmp(name, "prefix") == 0)
        o->prefix = v;
    else if (strcmp(name, "state") == 0)
        o->state = v;
    else if (strcmp(name, "key") == 0)
        o->key = v;
    else if (strcmp(name, "schedule") == 0)
        o->schedule = v;
    else if (strcmp(name, "n") == 0) {
        if (cli_parse_long(v, 1, 100000, &o->n) != 0)
            return cli_usage(c, "-n takes a number from 1 to 100000");
    } else if (strcmp(name, "count") == 0) {
        if (cli_parse_long(v, 1, 10000000, &o->count) != 0)
            return cli_usage(c, "--count takes a number from 1 to 10000000");
    } else if (strcmp(name, "max-attempts") == 0) {
        if (cli_parse_long(v, 1, JOB_MAX_ATTEMPTS_LIMIT, &o->max_attempts) != 0)
            return cli_usage(c, "--max-attempts takes a number from 1 to %d",
                             JOB_MAX_ATTEMPTS_LIMIT);
    } else if (strcmp(name, "delay") == 0) {
        char *end;
        o->delay_s = strtod(v, &end);
        if (*v == '\0' || *end || !(o->delay_s >= 0 && o->delay_s <= 365.0 * 86400))
            return cli_usage(c, "--delay takes seconds from 0 to 31536000");
    }
    return CLI_OK;
}

/* Splits argv into options and positionals; the command is pos[0]. */
static int cli_parse(struct cli *c, int argc, char **argv)
{
    static const char *const with_value[] = {"redis", "prefix", "state", "key", "n",
                                             "count", "max-attempts", "delay", "schedule", NULL};
    static const char *const flags[] = {"json", "all", "yes", NULL};
    struct cli_opts *o = &c->opts;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (o->npos == (int)(sizeof o->pos / sizeof *o->pos))
                return cli_usage(c, "too many arguments");
            o->pos[o->npos++] = argv[i];
            continue;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        bool known = false;
        for (size_t k = 0; flags[k] && !known; k++)
            if (strcmp(name, flags[k]) == 0) {
                known = true;
                o->json |= k == 0, o->all |= k == 1, o->yes |= k == 2;
            }
        for (size_t k = 0; with_value[k] && !known; k++)
            if (strcmp(name, with_value[k]) == 0) {
                known = true;
                if (i + 1 >= argc)
                    return cli_usage(c, "%s needs a value", a);
                if (cli_parse_value_opt(c, name, argv[++i]) != CLI_OK)
                    return CLI_USAGE;
            }
        if (!known)
            return cli_usage(c, "unknown option %s", a);
        if (o->ngiven < (int)(sizeof o->given / sizeof *o->given))
            o->given[o->ngiven++] = name;
    }
    return CLI_OK;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *opts; /* options it accepts besides the global ones */
    int (*run)(struct cli *);
} cli_commands[] = {
    {"stats", "", cli_stats},
    {"depth", "", cli_stats}, /* what operators of other queues type first */
    {"peek", "state,n", cli_peek},
    {"show", "", cli_show},
    {"workers", "", cli_workers},
    {"enqueue", "delay,key,count,max-attempts", cli_enqueue},
    {"retry", "all", cli_retry},
    {"purge", "state,yes", cli_purge},
    {"pause", "", cli_pause},
    {"resume", "", cli_resume},
    {"schedules", "schedule", cli_schedules},
    {"scale-advice", "", cli_scale_advice},
};

/* A password on the command line is visible to every local user: warn. */
static void cli_warn_password(struct cli *c)
{
    struct url u;
    const char *why;
    if (c->opts.redis == NULL || url_parse(c->opts.redis, &u, &why) != 0)
        return;
    if (u.password != NULL && u.password[0] != '\0')
        fputs("sentia-queue: warning: --redis carries a password, which other local users "
              "can read in the process list; put the URL in REDIS_URL instead\n", c->err);
    url_dispose(&u);
}

static int cli_connect(struct cli *c)
{
    const char *url = c->opts.redis ? c->opts.redis : getenv("REDIS_URL");
    char *err = NULL;
    if (url == NULL || *url == '\0')
        return cli_usage(c, "REDIS_URL is not set (or pass --redis URL)");
    cli_warn_password(c);
    if (redis_sync_connect(url, CLI_REDIS_TIMEOUT_MS, &c->redis, &err) != 0) {
        fprintf(c->err, "sentia-queue: %s\n", err);
        bool malformed = strncmp(err, "invalid REDIS_URL", 17) == 0;
        free(err);
        return malformed ? CLI_USAGE : CLI_REDIS;
    }
    return CLI_OK;
}

static int cli_dispatch(struct cli *c)
{
    const char *cmd = c->opts.npos > 0 ? c->opts.pos[0] : NULL;
    for (size_t i = 0; cmd && i < sizeof cli_commands / sizeof *cli_commands; i++) {
        if (strcmp(cmd, cli_commands[i].name) != 0)
            continue;
        char allowed[96];
        snprintf(allowed, sizeof allowed, "redis,prefix,json,%s", cli_commands[i].opts);
        int rc = cli_check_opts(c, cmd, allowed);
        if (rc == CLI_OK)
            rc = cli_connect(c);
        return rc == CLI_OK ? cli_commands[i].run(c) : rc;
    }
    return cmd ? cli_usage(c, "unknown command \"%.40s\"", cmd)
               : cli_usage(c, "missing COMMAND");
}

int main(int argc, char **argv)
{
    struct cli c = {.out = stdout, .err = stderr};
    c.opts.delay_s = -1;
    c.opts.n = c.opts.count = c.opts.max_attempts = -1;
    process.service = "sentia-queue";
    process.log_level = LOG_LEVEL_OFF;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cli_help, stdout);
            return CLI_OK;
        }
    int rc = cli_parse(&c, argc, argv);
    if (rc == CLI_OK) {
        const char *env_prefix = getenv("QUEUE_PREFIX");
        c.prefix = c.opts.prefix ? c.opts.prefix
                   : env_prefix && *env_prefix ? env_prefix : "sentia";
        rc = queue_prefix_valid(c.prefix)
                 ? cli_dispatch(&c)
                 : cli_usage(&c, "invalid prefix \"%.80s\"", c.prefix);
    }
    redis_sync_free(c.redis);
    return rc;
}
