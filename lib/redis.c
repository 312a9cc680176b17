/*
 * lib/redis.c: hiredis 0.14 behind one interface (see redis.h for the
 * contract and the quirks it absorbs).
 *
 * Async client states:
 *   IDLE --(backoff due)--> RESOLVING --(uv_getaddrinfo)--> CONNECTING
 *   CONNECTING --(connect cb ok)--> READY --(error, timeout)--> IDLE
 *   any --(redis_client_close)--> CLOSED, then freed once nothing is in flight.
 * One repeating timer drives backoff, connect deadlines and command deadlines.
 * Every command is a struct redis_pending linked in c->pending until hiredis
 * calls back (it always does, with NULL when the context goes away).
 */
#include "lib/redis.h"

#include <hiredis/async.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/url.h"

enum { REDIS_TICK_MS = 25, REDIS_BACKOFF_START_MS = 100 };

/* ---- endpoints ---------------------------------------------------------- */

int redis_endpoint_parse(const char *url, struct redis_endpoint *out,
                         const char **why)
{
    struct url u;
    if (url_parse(url, &u, why) != 0)
        return -1;
    int rc = -1;
    if (strcmp(u.scheme, "redis") != 0) {
        *why = "scheme must be redis://";
        goto done;
    }
    if (u.host == NULL || u.host[0] == '\0') {
        *why = "missing host";
        goto done;
    }
    memset(out, 0, sizeof *out);
    out->db = u.path && u.path[1] ? atoi(u.path + 1) : 0;
    out->host = u.host, u.host = NULL;
    out->port = u.port ? u.port : 6379;
    if (u.user && u.user[0])
        out->user = u.user, u.user = NULL;
    if (u.password && u.password[0])
        out->password = u.password, u.password = NULL;
    rc = 0;
done:
    url_dispose(&u);
    return rc;
}

void redis_endpoint_dispose(struct redis_endpoint *ep)
{
    free(ep->host);
    free(ep->user);
    free(ep->password);
    memset(ep, 0, sizeof *ep);
}

/* ---- scripts and argument vectors --------------------------------------- */

void redis_script_init(struct redis_script *s, const char *name,
                       const char *source)
{
    uint8_t digest[CRYPTO_SHA1_LEN];
    unsigned int len = 0;
    if (EVP_Digest(source, strlen(source), digest, &len, EVP_sha1(), NULL) != 1)
        abort();
    s->name = name;
    s->source = source;
    crypto_hex_encode(digest, sizeof digest, s->sha);
}

void redis_args_init(struct redis_args *a)
{
    memset(a, 0, sizeof *a);
}

void redis_args_dispose(struct redis_args *a)
{
    for (int i = 0; i < a->nowned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->argv);
    free(a->len);
    memset(a, 0, sizeof *a);
}

void redis_args_addn(struct redis_args *a, const char *p, size_t len)
{
    if (a->argc == a->size) {
        a->size = a->size ? a->size * 2 : 16;
        a->argv = mem_realloc(a->argv, (size_t)a->size * sizeof *a->argv);
        a->len = mem_realloc(a->len, (size_t)a->size * sizeof *a->len);
    }
    a->argv[a->argc] = p;
    a->len[a->argc] = len;
    a->argc++;
}

void redis_args_add(struct redis_args *a, const char *s)
{
    redis_args_addn(a, s, strlen(s));
}

/* Keeps s alive until dispose and adds it. */
static void redis_args_add_owned(struct redis_args *a, char *s)
{
    a->owned = mem_realloc(a->owned, (size_t)(a->nowned + 1) * sizeof *a->owned);
    a->owned[a->nowned++] = s;
    redis_args_add(a, s);
}

void redis_args_add_int(struct redis_args *a, long long v)
{
    redis_args_add_owned(a, mem_printf("%lld", v));
}

void redis_args_add_fmt(struct redis_args *a, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    redis_args_add_owned(a, s);
}

/*
 * A self-contained copy of an argv (one allocation), kept by script calls so
 * they can be re-sent after NOSCRIPT.
 */
struct redis_argcopy {
    int argc;
    const char **argv;
    size_t *len;
};

static struct redis_argcopy *redis_argcopy_create(const char *const *argv,
                                                  const size_t *len, int argc)
{
    size_t bytes = sizeof(struct redis_argcopy) +
                   (size_t)argc * (sizeof(char *) + sizeof(size_t));
    for (int i = 0; i < argc; i++)
        bytes += len[i];
    struct redis_argcopy *c = mem_alloc(bytes);
    c->argc = argc;
    c->argv = (const char **)(c + 1);
    c->len = (size_t *)(c->argv + argc);
    char *data = (char *)(c->len + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(data, argv[i], len[i]);
        c->argv[i] = data;
        c->len[i] = len[i];
        data += len[i];
    }
    return c;
}

/* ---- libuv event hooks for hiredis -------------------------------------- */

/*
 * Our own adapter instead of hiredis/adapters/libuv.h: on a poll error libuv
 * stops the handle and that adapter returns silently, leaving the connection
 * hung. Here the error is handed to hiredis, which then reads the socket
 * error and disconnects.
 */
struct redis_poll {
    uv_poll_t handle;
    redisAsyncContext *ac;
    int events;  /* what hiredis wants */
    int applied; /* what libuv was last given */
    int corked;  /* > 0: changes wait for redis_client_uncork */
};

static void redis_poll_cb(uv_poll_t *h, int status, int events)
{
    struct redis_poll *p = h->data;
    if (p->ac == NULL)
        return;
    if (status < 0)
        events = (p->ac->c.flags & REDIS_CONNECTED) ? UV_READABLE : UV_WRITABLE;
    if (events & UV_READABLE)
        redisAsyncHandleRead(p->ac);
    if (p->ac != NULL && (events & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac);
}

/*
 * hiredis re-adds reading after every read, and libuv's uv_poll_start
 * re-registers the fd (epoll_ctl ADD, EEXIST, MOD: two syscalls) even for an
 * unchanged mask: so an unchanged mask is left alone. (A handle libuv stopped
 * on a poll error is inactive and gets restarted.)
 */
static void redis_poll_apply(struct redis_poll *p)
{
    bool active = uv_is_active((uv_handle_t *)&p->handle);
    if (p->events == p->applied && active == (p->events != 0))
        return;
    p->applied = p->events;
    if (p->events)
        uv_poll_start(&p->handle, p->events, redis_poll_cb);
    else
        uv_poll_stop(&p->handle);
}

static void redis_poll_update(struct redis_poll *p, int add, int del)
{
    p->events = (p->events | add) & ~del;
    if (p->corked == 0)
        redis_poll_apply(p);
}

static void redis_ev_add_read(void *d) { redis_poll_update(d, UV_READABLE, 0); }
static void redis_ev_del_read(void *d) { redis_poll_update(d, 0, UV_READABLE); }
static void redis_ev_add_write(void *d) { redis_poll_update(d, UV_WRITABLE, 0); }
static void redis_ev_del_write(void *d) { redis_poll_update(d, 0, UV_WRITABLE); }

static void redis_poll_closed(uv_handle_t *h)
{
    free(h->data);
}

static void redis_ev_cleanup(void *d)
{
    struct redis_poll *p = d;
    p->ac = NULL;
    uv_close((uv_handle_t *)&p->handle, redis_poll_closed);
}

static int redis_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct redis_poll *p = mem_calloc(1, sizeof *p);
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
        free(p);
        return -1;
    }
    p->ac = ac;
    p->handle.data = p;
    ac->ev.data = p;
    ac->ev.addRead = redis_ev_add_read;
    ac->ev.delRead = redis_ev_del_read;
    ac->ev.addWrite = redis_ev_add_write;
    ac->ev.delWrite = redis_ev_del_write;
    ac->ev.cleanup = redis_ev_cleanup;
    return 0;
}

/* ---- asynchronous client ------------------------------------------------ */

enum redis_state {
    REDIS_STATE_IDLE,
    REDIS_STATE_RESOLVING,
    REDIS_STATE_CONNECTING,
    REDIS_STATE_READY,
    REDIS_STATE_CLOSED,
};

struct redis_pending {
    struct redis_pending *prev, *next;
    struct redis_client *client;
    redis_reply_cb cb;
    void *data;
    uint64_t deadline_ms;
    const struct redis_script *script; /* EVALSHA calls only */
    struct redis_argcopy *args;        /* full EVALSHA argv, for NOSCRIPT */
    bool retried;
};

struct redis_client {
    uv_loop_t *loop;
    struct redis_endpoint ep;
    char *name;
    int connect_timeout_ms, command_timeout_ms, reconnect_max_ms;
    const struct redis_script *const *scripts;
    redis_state_cb on_state;
    void *state_data;

    enum redis_state state;
    redisAsyncContext *ac;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    bool gai_active;
    uint64_t next_attempt_ms, connect_deadline_ms;
    unsigned backoff_ms;
    bool up;                 /* last state reported */
    const char *drop_reason; /* error given to commands failed by a drop */
    struct redis_pending pending; /* list head */
    size_t npending;
    void (*on_closed)(void *);
    void *closed_data;
};

static void redis_client_report(struct redis_client *c, bool up,
                                const char *why)
{
    if (c->up == up)
        return;
    c->up = up;
    if (up)
        log_info(LOG_FIELDS(LF_STR("redis", c->name), LF_STR("host", c->ep.host),
                            LF_INT("port", c->ep.port)),
                 "redis connected");
    else
        log_warn(LOG_FIELDS(LF_STR("redis", c->name), LF_STR("host", c->ep.host),
                            LF_INT("port", c->ep.port), LF_STR("reason", why)),
                 "redis connection lost");
    if (c->on_state)
        c->on_state(c->state_data, up);
}

static void redis_schedule_reconnect(struct redis_client *c, const char *why)
{
    if (c->state == REDIS_STATE_CLOSED)
        return;
    c->state = REDIS_STATE_IDLE;
    unsigned jitter = c->backoff_ms / 5;
    uint8_t r;
    crypto_random(&r, 1);
    c->next_attempt_ms = uv_now(c->loop) + c->backoff_ms - jitter + (r * 2u * jitter) / 255u;
    c->backoff_ms = c->backoff_ms * 2 > (unsigned)c->reconnect_max_ms
                        ? (unsigned)c->reconnect_max_ms
                        : c->backoff_ms * 2;
    redis_client_report(c, false, why);
}

static void redis_maybe_finish_close(struct redis_client *c);

/* Forgets the context and frees it; its pending commands fail with `why`. */
static void redis_drop(struct redis_client *c, const char *why)
{
    redisAsyncContext *ac = c->ac;
    c->ac = NULL;
    c->drop_reason = why;
    redis_schedule_reconnect(c, why);
    if (ac != NULL)
        redisAsyncFree(ac);
    c->drop_reason = NULL;
    redis_maybe_finish_close(c);
}

static void redis_pending_unlink(struct redis_pending *p)
{
    p->prev->next = p->next;
    p->next->prev = p->prev;
    p->client->npending--;
}

static void redis_pending_free(struct redis_pending *p)
{
    free(p->args);
    free(p);
}

static int redis_send(struct redis_client *c, struct redis_pending *p,
                      int argc, const char **argv, const size_t *len);

/* NOSCRIPT: load the script, then send the same EVALSHA again, once. */
static bool redis_retry_noscript(struct redis_client *c, struct redis_pending *p,
                                 const redisReply *r)
{
    if (p->script == NULL || p->retried || r == NULL ||
        r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOSCRIPT", 8) != 0 ||
        c->ac == NULL)
        return false;
    p->retried = true;
    const char *load[] = {"SCRIPT", "LOAD", p->script->source};
    size_t load_len[] = {6, 4, strlen(p->script->source)};
    if (redisAsyncCommandArgv(c->ac, NULL, NULL, 3, load, load_len) != REDIS_OK)
        return false;
    log_info(LOG_FIELDS(LF_STR("redis", c->name), LF_STR("script", p->script->name)),
             "redis script reloaded after NOSCRIPT");
    return redis_send(c, p, p->args->argc, p->args->argv, p->args->len) == 0;
}

static void redis_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct redis_pending *p = privdata;
    struct redis_client *c = p->client;
    const redisReply *r = reply;
    (void)ac;
    redis_pending_unlink(p);
    if (redis_retry_noscript(c, p, r))
        return;
    const char *err = NULL;
    if (r == NULL)
        err = c->drop_reason ? c->drop_reason : "disconnected";
    else if (r->type == REDIS_REPLY_ERROR)
        err = r->str;
    p->cb(p->data, r, err);
    redis_pending_free(p);
}

/* Links p and hands the argv to hiredis; -1 (p not linked) if refused. */
static int redis_send(struct redis_client *c, struct redis_pending *p,
                      int argc, const char **argv, const size_t *len)
{
    if (c->ac == NULL ||
        redisAsyncCommandArgv(c->ac, redis_on_reply, p, argc, argv, len) != REDIS_OK)
        return -1;
    p->next = &c->pending;
    p->prev = c->pending.prev;
    c->pending.prev->next = p;
    c->pending.prev = p;
    c->npending++;
    return 0;
}

/* hiredis callback for AUTH, SELECT and SCRIPT LOAD sent at connect. */
static void redis_on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct redis_client *c = ac->data;
    const redisReply *r = reply;
    const char *what = privdata;
    if (r == NULL || r->type != REDIS_REPLY_ERROR || c->ac != ac)
        return;
    log_error(LOG_FIELDS(LF_STR("redis", c->name), LF_STR("step", what),
                         LF_STR("error", r->str)),
              "redis connection set-up failed");
    redis_drop(c, "set-up failed");
}

/* Queues AUTH, SELECT and the script loads ahead of any user command. */
static void redis_setup(struct redis_client *c)
{
    struct redis_args a;
    redis_args_init(&a);
    if (c->ep.password) {
        redis_args_add(&a, "AUTH");
        if (c->ep.user)
            redis_args_add(&a, c->ep.user);
        redis_args_add(&a, c->ep.password);
        redisAsyncCommandArgv(c->ac, redis_on_setup_reply, "AUTH", a.argc, a.argv, a.len);
        a.argc = 0;
    }
    if (c->ep.db != 0) {
        redis_args_add(&a, "SELECT");
        redis_args_add_int(&a, c->ep.db);
        redisAsyncCommandArgv(c->ac, redis_on_setup_reply, "SELECT", a.argc, a.argv, a.len);
        a.argc = 0;
    }
    for (size_t i = 0; c->scripts && c->scripts[i]; i++) {
        redis_args_add(&a, "SCRIPT");
        redis_args_add(&a, "LOAD");
        redis_args_add(&a, c->scripts[i]->source);
        redisAsyncCommandArgv(c->ac, redis_on_setup_reply, "SCRIPT LOAD", a.argc,
                              a.argv, a.len);
        a.argc = 0;
    }
    redis_args_dispose(&a);
}

static void redis_on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_client *c = ac->data;
    if (c->ac != ac)
        return;
    if (status != REDIS_OK) {
        c->ac = NULL; /* hiredis frees it after this callback */
        redis_schedule_reconnect(c, ac->errstr ? ac->errstr : "connect failed");
        redis_maybe_finish_close(c);
        return;
    }
    if (c->state == REDIS_STATE_CLOSED) {
        redisAsyncDisconnect(c->ac);
        return;
    }
    redis_setup(c);
    c->state = REDIS_STATE_READY;
    c->backoff_ms = REDIS_BACKOFF_START_MS;
    redis_client_report(c, true, NULL);
}

static void redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_client *c = ac->data;
    if (c->ac != ac)
        return;
    c->ac = NULL;
    redis_schedule_reconnect(c, status == REDIS_OK ? "closed" : ac->errstr);
    redis_maybe_finish_close(c);
}

static void redis_connect_to(struct redis_client *c, const char *ip)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, c->ep.port);
    if (ac == NULL || ac->err) {
        redis_schedule_reconnect(c, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        return;
    }
    if (redis_attach(ac, c->loop) != 0) {
        redisAsyncFree(ac);
        redis_schedule_reconnect(c, "poll init failed");
        return;
    }
    ac->data = c;
    c->ac = ac;
    c->state = REDIS_STATE_CONNECTING;
    redisAsyncSetConnectCallback(ac, redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, redis_on_disconnect);
}

static void redis_on_resolved(uv_getaddrinfo_t *req, int status,
                              struct addrinfo *res)
{
    struct redis_client *c = req->data;
    char ip[ADDR_NAME_MAX];
    c->gai_active = false;
    addr_name(status == 0 ? res : NULL, ip, sizeof ip);
    uv_freeaddrinfo(res);
    if (c->state == REDIS_STATE_CLOSED) {
        redis_maybe_finish_close(c);
        return;
    }
    if (ip[0] == '\0') {
        redis_schedule_reconnect(c, status ? uv_strerror(status) : "no address");
        return;
    }
    redis_connect_to(c, ip);
}

static void redis_start_connect(struct redis_client *c)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->state = REDIS_STATE_RESOLVING;
    c->connect_deadline_ms = uv_now(c->loop) + (uint64_t)c->connect_timeout_ms;
    c->gai.data = c;
    if (uv_getaddrinfo(c->loop, &c->gai, redis_on_resolved, c->ep.host, NULL,
                       &hints) != 0) {
        redis_schedule_reconnect(c, "cannot resolve");
        return;
    }
    c->gai_active = true;
}

/* True when some command has outlived its deadline. */
static bool redis_any_expired(const struct redis_client *c, uint64_t now)
{
    for (const struct redis_pending *p = c->pending.next; p != &c->pending;
         p = p->next)
        if (p->deadline_ms <= now)
            return true;
    return false;
}

static void redis_tick(uv_timer_t *t)
{
    struct redis_client *c = t->data;
    uint64_t now = uv_now(c->loop);
    switch (c->state) {
    case REDIS_STATE_IDLE:
        if (now >= c->next_attempt_ms)
            redis_start_connect(c);
        break;
    case REDIS_STATE_RESOLVING:
        break; /* getaddrinfo has its own timeouts */
    case REDIS_STATE_CONNECTING:
        if (now >= c->connect_deadline_ms)
            redis_drop(c, "connect timeout");
        break;
    case REDIS_STATE_READY:
    case REDIS_STATE_CLOSED:
        if (c->ac != NULL && redis_any_expired(c, now))
            redis_drop(c, "timeout");
        break;
    }
}

int redis_client_create(uv_loop_t *loop, const struct redis_client_options *o,
                        struct redis_client **out, const char **why)
{
    struct redis_client *c = mem_calloc(1, sizeof *c);
    if (redis_endpoint_parse(o->url, &c->ep, why) != 0) {
        free(c);
        return -1;
    }
    c->loop = loop;
    c->name = mem_strdup(o->name ? o->name : "redis");
    c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 2000;
    c->command_timeout_ms = o->command_timeout_ms > 0 ? o->command_timeout_ms : 2000;
    c->reconnect_max_ms = o->reconnect_max_ms > 0 ? o->reconnect_max_ms : 5000;
    c->scripts = o->scripts;
    c->on_state = o->on_state;
    c->state_data = o->state_data;
    c->pending.next = c->pending.prev = &c->pending;
    c->backoff_ms = REDIS_BACKOFF_START_MS;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, redis_tick, REDIS_TICK_MS, REDIS_TICK_MS);
    redis_start_connect(c);
    *out = c;
    return 0;
}

static struct redis_pending *redis_pending_create(struct redis_client *c,
                                                  int timeout_ms,
                                                  redis_reply_cb cb, void *data)
{
    struct redis_pending *p = mem_calloc(1, sizeof *p);
    p->client = c;
    p->cb = cb;
    p->data = data;
    p->deadline_ms = uv_now(c->loop) +
                     (uint64_t)(timeout_ms > 0 ? timeout_ms : c->command_timeout_ms);
    return p;
}

int redis_client_command(struct redis_client *c, int timeout_ms,
                         redis_reply_cb cb, void *data,
                         const struct redis_args *args)
{
    if (c->state != REDIS_STATE_READY)
        return -1;
    struct redis_pending *p = redis_pending_create(c, timeout_ms, cb, data);
    if (redis_send(c, p, args->argc, args->argv, args->len) != 0) {
        redis_pending_free(p);
        return -1;
    }
    return 0;
}

int redis_client_script(struct redis_client *c, const struct redis_script *s,
                        int nkeys, redis_reply_cb cb, void *data,
                        const struct redis_args *args)
{
    if (c->state != REDIS_STATE_READY)
        return -1;
    struct redis_args a;
    char nk[16];
    redis_args_init(&a);
    redis_args_add(&a, "EVALSHA");
    redis_args_add(&a, s->sha);
    snprintf(nk, sizeof nk, "%d", nkeys);
    redis_args_add(&a, nk);
    for (int i = 0; i < args->argc; i++)
        redis_args_addn(&a, args->argv[i], args->len[i]);
    struct redis_pending *p = redis_pending_create(c, 0, cb, data);
    p->script = s;
    p->args = redis_argcopy_create(a.argv, a.len, a.argc);
    redis_args_dispose(&a);
    if (redis_send(c, p, p->args->argc, p->args->argv, p->args->len) != 0) {
        redis_pending_free(p);
        return -1;
    }
    return 0;
}

bool redis_client_connected(const struct redis_client *c)
{
    return c->state == REDIS_STATE_READY;
}

size_t redis_client_pending(const struct redis_client *c)
{
    return c->npending;
}

void redis_client_cork(struct redis_client *c)
{
    if (c->ac != NULL)
        ((struct redis_poll *)c->ac->ev.data)->corked++;
}

void redis_client_uncork(struct redis_client *c)
{
    struct redis_poll *p = c->ac ? c->ac->ev.data : NULL;
    if (p == NULL || p->corked == 0 || --p->corked > 0)
        return; /* not corked on this connection, or still corked by an outer caller */
    if ((p->events & UV_WRITABLE) && (c->ac->c.flags & REDIS_CONNECTED)) {
        p->corked++; /* hiredis' delWrite from inside stays a flag change */
        redisAsyncHandleWrite(c->ac); /* a write error disconnects: p->ac becomes NULL */
        p->corked--;
    }
    if (p->ac != NULL)
        redis_poll_apply(p);
}

static void redis_client_freed(uv_handle_t *h)
{
    struct redis_client *c = h->data;
    void (*cb)(void *) = c->on_closed;
    void *data = c->closed_data;
    redis_endpoint_dispose(&c->ep);
    free(c->name);
    free(c);
    if (cb)
        cb(data);
}

static void redis_maybe_finish_close(struct redis_client *c)
{
    if (c->state != REDIS_STATE_CLOSED || c->gai_active || c->ac != NULL ||
        uv_is_closing((uv_handle_t *)&c->timer))
        return;
    uv_close((uv_handle_t *)&c->timer, redis_client_freed);
}

void redis_client_close(struct redis_client *c, void (*on_closed)(void *),
                        void *data)
{
    c->on_closed = on_closed;
    c->closed_data = data;
    c->state = REDIS_STATE_CLOSED;
    if (c->gai_active)
        uv_cancel((uv_req_t *)&c->gai);
    if (c->ac != NULL && (c->ac->c.flags & REDIS_CONNECTED))
        redisAsyncDisconnect(c->ac); /* after pending replies arrive */
    else if (c->ac != NULL)
        redis_drop(c, "closed");
    redis_maybe_finish_close(c);
}

/* ---- blocking client ---------------------------------------------------- */

struct redis_sync {
    redisContext *ctx;
    char err[256];
};

static void redis_sync_set_error(struct redis_sync *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s", what);
}

/* Sends AUTH/SELECT; 0, or -1 with s->err set. */
static int redis_sync_setup(struct redis_sync *s, const struct redis_endpoint *ep)
{
    redisReply *r = NULL;
    if (ep->password && ep->user)
        r = redisCommand(s->ctx, "AUTH %s %s", ep->user, ep->password);
    else if (ep->password)
        r = redisCommand(s->ctx, "AUTH %s", ep->password);
    if (ep->password && (r == NULL || r->type == REDIS_REPLY_ERROR)) {
        redis_sync_set_error(s, r ? r->str : s->ctx->errstr);
        goto fail;
    }
    if (r)
        freeReplyObject(r);
    r = NULL;
    if (ep->db != 0) {
        r = redisCommand(s->ctx, "SELECT %d", ep->db);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            redis_sync_set_error(s, r ? r->str : s->ctx->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    return 0;
fail:
    if (r)
        freeReplyObject(r);
    return -1;
}

int redis_sync_connect(const char *url, int timeout_ms, struct redis_sync **out,
                       char **err)
{
    struct redis_endpoint ep = {0};
    struct redis_sync *s = mem_calloc(1, sizeof *s);
    const char *why = NULL;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (redis_endpoint_parse(url, &ep, &why) != 0) {
        *err = mem_printf("invalid REDIS_URL: %s", why);
        goto fail;
    }
    s->ctx = redisConnectWithTimeout(ep.host, ep.port, tv);
    if (s->ctx == NULL || s->ctx->err) {
        *err = mem_printf("cannot connect to Redis at %s:%d: %s", ep.host, ep.port,
                          s->ctx ? s->ctx->errstr : "out of memory");
        goto fail;
    }
    redisSetTimeout(s->ctx, tv);
    if (redis_sync_setup(s, &ep) != 0) {
        *err = mem_printf("Redis at %s:%d refused set-up: %s", ep.host, ep.port,
                          s->err);
        goto fail;
    }
    redis_endpoint_dispose(&ep);
    *out = s;
    return 0;
fail:
    redis_endpoint_dispose(&ep);
    redis_sync_free(s);
    return -1;
}

void redis_sync_free(struct redis_sync *s)
{
    if (s == NULL)
        return;
    if (s->ctx)
        redisFree(s->ctx);
    free(s);
}

/* Keeps the context's error text when a reply is missing. */
static redisReply *redis_sync_checked(struct redis_sync *s, void *reply)
{
    if (reply == NULL)
        redis_sync_set_error(s, s->ctx->errstr[0] ? s->ctx->errstr : "no reply");
    return reply;
}

redisReply *redis_sync_command(struct redis_sync *s, const struct redis_args *a)
{
    return redis_sync_checked(s, redisCommandArgv(s->ctx, a->argc, a->argv, a->len));
}

redisReply *redis_sync_commandf(struct redis_sync *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    void *r = redisvCommand(s->ctx, fmt, ap);
    va_end(ap);
    return redis_sync_checked(s, r);
}

redisReply *redis_sync_script(struct redis_sync *s, const struct redis_script *sc,
                              int nkeys, const struct redis_args *args)
{
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "EVALSHA");
    redis_args_add(&a, sc->sha);
    redis_args_add_int(&a, nkeys);
    for (int i = 0; i < args->argc; i++)
        redis_args_addn(&a, args->argv[i], args->len[i]);
    redisReply *r = redis_sync_command(s, &a);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        r = redis_sync_commandf(s, "SCRIPT LOAD %s", sc->source);
        if (r && r->type != REDIS_REPLY_ERROR) {
            freeReplyObject(r);
            r = redis_sync_command(s, &a);
        }
    }
    redis_args_dispose(&a);
    return r;
}

int redis_sync_pipeline(struct redis_sync *s, const struct redis_args *cmds,
                        size_t n, redisReply **replies)
{
    for (size_t i = 0; i < n; i++)
        if (redisAppendCommandArgv(s->ctx, cmds[i].argc, cmds[i].argv,
                                   cmds[i].len) != REDIS_OK) {
            redis_sync_set_error(s, s->ctx->errstr);
            return -1;
        }
    for (size_t i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(s->ctx, &r) != REDIS_OK) {
            redis_sync_set_error(s, s->ctx->errstr);
            for (size_t j = i; j < n; j++)
                replies[j] = NULL;
            return -1;
        }
        replies[i] = r;
    }
    return 0;
}

const char *redis_sync_error(const struct redis_sync *s)
{
    return s->err;
}
