/*
 * lib/redis.h: the one place that knows hiredis 0.14's quirks
 * (LIBRARIES.md): no command timeout, a libuv adapter that ignores poll
 * errors, blocking DNS in connect, contexts freed behind your back on
 * disconnect, NOSCRIPT after a Redis restart.
 *
 * Three things live here:
 * - struct redis_endpoint: a REDIS_URL taken apart.
 * - struct redis_client: an asynchronous connection on a libuv loop that
 *   resolves without blocking, authenticates, selects the db, reconnects by
 *   itself with backoff, and fails every command that outlives its deadline
 *   (the connection is then dropped and rebuilt, since Redis replies in order
 *   and a stuck head blocks everything behind it). While it is not connected,
 *   commands are refused at once, so a caller can answer 503 immediately.
 * - struct redis_sync: a blocking connection for command-line tools and tests.
 *
 * Lua scripts (struct redis_script) are run with EVALSHA; the client loads its
 * registered scripts on every (re)connect and, on NOSCRIPT, loads the script
 * and retries the call once.
 *
 * Replies are hiredis' redisReply: callbacks borrow them only for the duration
 * of the call (copy what you keep).
 */
#ifndef SENTIA_LIB_REDIS_H
#define SENTIA_LIB_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- endpoints ---------------------------------------------------------- */

struct redis_endpoint {
    char *host;
    int port;
    char *user;     /* NULL unless ACL user given */
    char *password; /* NULL if none; never log it */
    int db;
};

/* Parses redis://[[user]:password@]host[:port][/db]; 0, or -1 and *why. */
int redis_endpoint_parse(const char *url, struct redis_endpoint *out,
                         const char **why);
void redis_endpoint_dispose(struct redis_endpoint *ep);

/* ---- scripts ------------------------------------------------------------ */

struct redis_script {
    const char *name;   /* for logs */
    const char *source; /* Lua text, static */
    char sha[41];       /* SHA-1 hex of source, computed locally */
};

/* Fills sha from source; name and source must outlive the script. */
void redis_script_init(struct redis_script *s, const char *name,
                       const char *source);

/* ---- argument vectors --------------------------------------------------- */

/* Growable argv for *Argv calls; strings are referenced, numbers copied. */
struct redis_args {
    int argc;
    int size;
    const char **argv;
    size_t *len;
    char **owned; /* formatted numbers, freed by dispose */
    int nowned;
};

void redis_args_init(struct redis_args *a);
void redis_args_dispose(struct redis_args *a);
void redis_args_add(struct redis_args *a, const char *s); /* NUL-terminated */
void redis_args_addn(struct redis_args *a, const char *p, size_t len);
void redis_args_add_int(struct redis_args *a, long long v);
void redis_args_add_fmt(struct redis_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- asynchronous client ------------------------------------------------ */

struct redis_client;

/*
 * Called once per command. On success `error` is NULL and `reply` valid. On
 * failure `error` says why ("timeout", "disconnected", a Redis error reply's
 * text, …) and `reply` is NULL, or the error reply itself.
 */
typedef void (*redis_reply_cb)(void *data, const redisReply *reply,
                               const char *error);
/* Connection went up (true) or down (false); called on changes only. */
typedef void (*redis_state_cb)(void *data, bool up);

struct redis_client_options {
    const char *url;
    const char *name;           /* for logs, e.g. "api-0" */
    int connect_timeout_ms;     /* default 2000 */
    int command_timeout_ms;     /* default 2000 */
    int reconnect_max_ms;       /* backoff cap, default 5000 */
    const struct redis_script *const *scripts; /* NULL-terminated, loaded on connect */
    redis_state_cb on_state;
    void *state_data;
};

/*
 * Creates a client and starts connecting. Returns 0, or -1 with *why (static
 * text) when the URL is malformed. The client is freed by redis_client_close.
 */
int redis_client_create(uv_loop_t *loop, const struct redis_client_options *o,
                        struct redis_client **out, const char **why);

/*
 * Sends a command; `timeout_ms` 0 means the client's default (a blocking
 * command must pass more than its block time). Returns 0 when the command was
 * queued (cb will be called exactly once, possibly with an error), or -1 when
 * the client is not connected (cb is not called).
 */
int redis_client_command(struct redis_client *c, int timeout_ms,
                         redis_reply_cb cb, void *data,
                         const struct redis_args *args);
/* Runs a script with EVALSHA (keys first in args); same contract. */
int redis_client_script(struct redis_client *c, const struct redis_script *s,
                        int nkeys, redis_reply_cb cb, void *data,
                        const struct redis_args *args);

bool redis_client_connected(const struct redis_client *c);
/* Commands sent and not yet answered. */
size_t redis_client_pending(const struct redis_client *c);

/*
 * Between redis_client_cork() and redis_client_uncork() commands are queued
 * without arming the socket for writing; uncork writes them at once and arms
 * the socket only for what the kernel did not take. For a caller that sends
 * the last commands of its loop turn (the API's group commit): it saves
 * arming and disarming write interest, four epoll_ctl per turn on libuv.
 * Pairs nest; a connection lost in between makes uncork a no-op.
 */
void redis_client_cork(struct redis_client *c);
void redis_client_uncork(struct redis_client *c);

/*
 * Stops reconnecting, lets pending commands finish (still bounded by their
 * deadlines), disconnects and frees the client; then calls on_closed.
 */
void redis_client_close(struct redis_client *c, void (*on_closed)(void *),
                        void *data);

/* ---- blocking client ---------------------------------------------------- */

struct redis_sync;

/* Connects, authenticates and selects the db. 0, or -1 with *err (freed by caller). */
int redis_sync_connect(const char *url, int timeout_ms, struct redis_sync **out,
                       char **err);
void redis_sync_free(struct redis_sync *s);
/* NULL on an I/O error (see redis_sync_error); else a reply to freeReplyObject. */
redisReply *redis_sync_command(struct redis_sync *s, const struct redis_args *a);
redisReply *redis_sync_commandf(struct redis_sync *s, const char *fmt, ...);
redisReply *redis_sync_script(struct redis_sync *s, const struct redis_script *sc,
                              int nkeys, const struct redis_args *a);
/* Sends many commands in one round trip; replies[i] as redis_sync_command. */
int redis_sync_pipeline(struct redis_sync *s, const struct redis_args *cmds,
                        size_t n, redisReply **replies);
const char *redis_sync_error(const struct redis_sync *s);

#endif
