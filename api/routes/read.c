/*
 * api/routes/read.c: parameters, cursors and the Postgres round trip of the
 * dashboard reads (see read.h).
 */
#include "api/routes/read.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/cache.h"
#include "lib/auth/b64url.h"
#include "lib/crypto.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pgpool.h"

enum { READ_FIELDS_MAX = 2 * READ_ARGS_MAX, READ_MESSAGE_MAX = 160 };

struct read_wait {
    struct api_pending pending; /* first: the expiry callback casts */
    struct pgpool_query *query;
    struct api_cache *cache; /* the thread's read micro-cache (api/cache.h) */
    char *key;               /* this read's key there */
    size_t key_len;
    bool paged;
    bool starting; /* inside pgpool_query: a callback now must not free */
    bool done;
    char filters[17];
};

/* ---- parameters ----------------------------------------------------------- */

static bool read_all(const char *v, int (*pred)(int))
{
    for (; *v; v++)
        if (!pred((unsigned char)*v))
            return false;
    return true;
}

static bool read_digits(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)v[i]))
            return false;
    return true;
}

/* YYYY-MM-DD at v (10 characters); Postgres checks the calendar. */
static bool read_date_ok(const char *v)
{
    return read_digits(v, 4) && v[4] == '-' && read_digits(v + 5, 2) && v[7] == '-' &&
           read_digits(v + 8, 2);
}

/* RFC 3339: date T hh:mm:ss[.frac] (Z | ±hh:mm). */
static bool read_time_ok(const char *v)
{
    if (strlen(v) < 20 || !read_date_ok(v) || (v[10] != 'T' && v[10] != 't') ||
        !read_digits(v + 11, 2) || v[13] != ':' || !read_digits(v + 14, 2) || v[16] != ':' ||
        !read_digits(v + 17, 2))
        return false;
    const char *p = v + 19;
    if (*p == '.' && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    return (*p == '+' || *p == '-') && read_digits(p + 1, 2) && p[3] == ':' &&
           read_digits(p + 4, 2) && p[6] == '\0';
}

static int read_source_char(int c)
{
    return (c >= 'a' && c <= 'z') || isdigit(c) || c == '_';
}

static int read_printable(int c)
{
    return c >= 0x20 && c != 0x7f;
}

static bool read_int_ok(const char *v, long long min, long long max)
{
    char *end = NULL;
    if (!read_digits(v, strlen(v)) || *v == '\0' || strlen(v) > 18)
        return false;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' && n >= min && n <= max;
}

static bool read_enum_ok(const char *v, const char *const *values)
{
    for (size_t i = 0; values && values[i]; i++)
        if (strcmp(v, values[i]) == 0)
            return true;
    return false;
}

/* A date of the calendar (2026-02-30 is not)? */
static bool read_date_real(const char *v)
{
    char back[11];
    read_date_text(read_date_days(v), back);
    return memcmp(back, v, 10) == 0;
}

/* Is v a good value of p (cursors are checked later)? */
static bool read_value_ok(const struct read_param *p, const char *v, size_t len)
{
    if (len == 0 || strlen(v) != len)
        return false;
    switch (p->kind) {
    case READ_TEXT: return len <= (size_t)p->max && read_all(v, read_printable);
    case READ_BOOL: return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
    case READ_INT: return read_int_ok(v, p->min, p->max);
    case READ_LIMIT: return read_int_ok(v, 1, READ_LIMIT_MAX);
    case READ_DATE: return len == 10 && read_date_ok(v) && read_date_real(v);
    case READ_TIME: return len <= 40 && read_time_ok(v);
    case READ_ENUM: return read_enum_ok(v, p->values);
    case READ_SOURCE: return len <= 32 && islower((unsigned char)v[0]) && read_all(v, read_source_char);
    case READ_CURSOR: return len <= READ_CURSOR_MAX;
    }
    return false;
}

static void read_refuse(struct api_call *call, const char *code, const char *what, const char *name)
{
    char msg[READ_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s: %.64s", what, name);
    api_respond_error(call->req, 400, code, msg);
}

static int read_index(const struct read_param *params, const char *name)
{
    for (int i = 0; params[i].name; i++)
        if (strcmp(params[i].name, name) == 0)
            return i;
    return -1;
}

/* Stores one query field into r; false after answering 400. */
static bool read_take(struct read *r, const struct form_field *f)
{
    int i = strlen(f->key) == f->key_len ? read_index(r->params, f->key) : -1;
    if (i < 0) {
        read_refuse(r->call, "unknown_parameter", "this route has no parameter", f->key);
        return false;
    }
    if (r->arg[i] != NULL || !read_value_ok(&r->params[i], f->value, f->value_len)) {
        read_refuse(r->call, "invalid_parameter", "invalid or repeated parameter", f->key);
        return false;
    }
    r->arg[i] = h2o_strdup(&r->call->req->pool, f->value, f->value_len).base;
    return true;
}

/* The hash of every filter (not cursor, not limit) as 16 hex digits. */
static void read_hash_filters(struct read *r)
{
    uint8_t digest[CRYPTO_SHA256_LEN];
    h2o_iovec_t text = h2o_iovec_init("", 0);
    for (int i = 0; r->params[i].name; i++) {
        enum read_kind k = r->params[i].kind;
        if (r->arg[i] == NULL || k == READ_CURSOR || k == READ_LIMIT)
            continue;
        text = h2o_concat(&r->call->req->pool, text, h2o_iovec_init(r->params[i].name, strlen(r->params[i].name)),
                          h2o_iovec_init(H2O_STRLIT("=")), h2o_iovec_init(r->arg[i], strlen(r->arg[i])),
                          h2o_iovec_init(H2O_STRLIT("\n")));
    }
    crypto_sha256(text.base, text.len, digest);
    crypto_hex_encode(digest, 8, r->filters);
}

/* Replaces the cursor's text by its key; false after answering 400. */
static bool read_open_cursor(struct read *r, int i)
{
    const char *c = r->arg[i];
    size_t len = strlen(c);
    uint8_t *raw = h2o_mem_alloc_pool(&r->call->req->pool, AUTH_B64URL_DECODED_MAX(len) + 1);
    long n = auth_b64url_decode(c, len, raw);
    if (n < 18 || memcmp(raw, r->filters, 16) != 0 || raw[16] != '.' ||
        memchr(raw, '\0', (size_t)n) != NULL) {
        read_refuse(r->call, "invalid_parameter", "not a cursor of these filters", "cursor");
        return false;
    }
    raw[n] = '\0';
    r->arg[i] = (const char *)raw + 17;
    return true;
}

/* The query string of req, or {NULL, 0}. */
static h2o_iovec_t read_query_string(h2o_req_t *req)
{
    if (req->query_at == SIZE_MAX)
        return h2o_iovec_init(NULL, 0);
    return h2o_iovec_init(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
}

struct read *read_begin(struct api_call *call, const struct read_param *params)
{
    struct read *r = h2o_mem_alloc_pool(&call->req->pool, sizeof *r);
    memset(r, 0, sizeof *r);
    r->call = call;
    r->params = params;
    h2o_iovec_t q = read_query_string(call->req);
    struct form f;
    const char *why = NULL;
    if (form_parse(q.base ? q.base : "", q.len, READ_FIELDS_MAX, &f, &why) != 0) {
        read_refuse(call, "invalid_parameter", "malformed query string", why);
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < f.n; i++)
        ok = read_take(r, &f.fields[i]);
    form_dispose(&f);
    if (!ok)
        return NULL;
    read_hash_filters(r);
    for (int i = 0; params[i].name; i++) {
        if (params[i].kind == READ_LIMIT && r->arg[i] == NULL)
            r->arg[i] = "50";
        if (params[i].kind == READ_CURSOR && r->arg[i] != NULL && !read_open_cursor(r, i))
            return NULL;
    }
    return r;
}

const char *read_arg(const struct read *r, const char *name)
{
    int i = read_index(r->params, name);
    return i < 0 ? NULL : r->arg[i];
}

/* ---- ranges ------------------------------------------------------------------- */

long long read_date_days(const char *v)
{
    struct tm tm = {0};
    tm.tm_year = atoi(v) - 1900;
    tm.tm_mon = atoi(v + 5) - 1;
    tm.tm_mday = atoi(v + 8);
    return (long long)(timegm(&tm) / 86400);
}

void read_date_text(long long days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

long long read_time_us(const char *v)
{
    long long us = read_date_days(v) * 86400LL * 1000000LL;
    if (strlen(v) <= 10)
        return us;
    us += (atoll(v + 11) * 3600 + atoll(v + 14) * 60 + atoll(v + 17)) * 1000000LL;
    const char *p = v + 19;
    if (*p == '.') {
        long long frac = 0, scale = 100000;
        for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
            frac += scale > 0 ? (*p - '0') * scale : 0;
        us += frac;
    }
    if (*p == '+' || *p == '-')
        us -= (*p == '+' ? 1 : -1) * (atoll(p + 1) * 3600 + atoll(p + 4) * 60) * 1000000LL;
    return us;
}

bool read_range_ok(struct read *r, const char *from, const char *to)
{
    const char *a = read_arg(r, from), *b = read_arg(r, to);
    if (a == NULL || b == NULL || read_time_us(a) <= read_time_us(b))
        return true;
    read_refuse(r->call, "invalid_parameter", "must not be after `to`", from);
    return false;
}

/* ---- the round trip --------------------------------------------------------- */

/*
 * Answers 200 (or 304) with a body the thread's cache holds, without copying
 * it: the request keeps a reference (api_cache_link) until it is done.
 * api_respond_etag would copy a page twice (its own copy, then
 * h2o_send_inline's), which cost more than the rest of a cached read.
 */
static void read_send_cached(h2o_req_t *req, const char *body, size_t len, const char *etag)
{
    static h2o_generator_t generator = {NULL, NULL};
    api_add_header(req, "etag", etag);
    api_add_header(req, "cache-control", "private, max-age=0");
    if (api_etag_matches(req, etag, strlen(etag))) {
        api_respond(req, 304, NULL, "", 0);
        return;
    }
    api_cache_link(&req->pool, body);
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = len;
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   H2O_STRLIT("application/json"), 1);
    h2o_start_response(req, &generator);
    bool head = h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"));
    h2o_send(req, head ? NULL : &buf, head ? 0 : 1, H2O_SEND_STATE_FINAL);
}

/* Answers a body Postgres produced, keeping it in the thread's cache. */
static void read_reply(h2o_req_t *req, const struct read_wait *w, const char *body, size_t len)
{
    char etag[35];
    const char *kept_etag = NULL;
    size_t kept_len = 0;
    uint64_t now = api_ctx_now_ms(req);
    api_etag_of(body, len, etag);
    api_cache_put(w->cache, w->key, w->key_len, body, len, etag, now);
    const char *kept = api_cache_get(w->cache, w->key, w->key_len, now, &kept_len, &kept_etag);
    if (kept != NULL)
        read_send_cached(req, kept, kept_len, kept_etag);
    else /* not kept (too large, cache off) */
        api_respond_etag(req, body, len, etag);
}

/* The body with "next_cursor" spliced before its closing brace. */
static void read_answer_paged(h2o_req_t *req, const struct read_wait *w, const char *body,
                              const char *next)
{
    const char *filters = w->filters;
    size_t len = strlen(body);
    char cursor[AUTH_B64URL_ENCODED_SIZE(READ_CURSOR_MAX)] = "";
    if (next != NULL) {
        h2o_iovec_t raw = h2o_concat(&req->pool, h2o_iovec_init(filters, 16),
                                     h2o_iovec_init(H2O_STRLIT(".")), h2o_iovec_init(next, strlen(next)));
        if (raw.len > 380) { /* keys are short; 380 bytes encode to ≤ 507 characters */
            api_respond_error(req, 500, "internal_error", "a page key too long for a cursor");
            return;
        }
        auth_b64url_encode(raw.base, raw.len, cursor);
    }
    while (len > 0 && body[len - 1] != '}')
        len--;
    if (len == 0) {
        api_respond_error(req, 500, "internal_error", "the database answered no JSON object");
        return;
    }
    h2o_iovec_t out = h2o_concat(&req->pool, h2o_iovec_init(body, len - 1),
                                 h2o_iovec_init(len > 2 ? "," : "", len > 2),
                                 h2o_iovec_init(H2O_STRLIT("\"next_cursor\":")),
                                 next ? h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("\"")),
                                                   h2o_iovec_init(cursor, strlen(cursor)),
                                                   h2o_iovec_init(H2O_STRLIT("\"")))
                                      : h2o_iovec_init(H2O_STRLIT("null")),
                                 h2o_iovec_init(H2O_STRLIT("}")));
    read_reply(req, w, out.base, out.len);
}

static void read_fail(h2o_req_t *req, const struct pgpool_error *err)
{
    const char *state = err->sqlstate ? err->sqlstate : "";
    if (strcmp(state, "57014") == 0) {
        api_respond_retry(req, 503, "database_timeout", "the database did not answer in time", 1);
    } else if (strncmp(state, "22", 2) == 0) {
        api_respond_error(req, 400, "invalid_parameter", "a parameter value is out of range");
    } else if (err->unavailable || err->transient) {
        api_respond_retry(req, 503, "database_unavailable", "the database is unavailable", 5);
    } else {
        log_error(LOG_FIELDS(LF_STR("request_id", api_request_id(req)), LF_STR("sqlstate", state),
                             LF_STR("error", err->message)),
                  "read failed");
        api_respond_error(req, 500, "internal_error", "the read failed");
    }
}

static void read_wait_free(struct read_wait *w)
{
    free(w->key);
    free(w);
}

static void read_done(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct read_wait *w = data;
    h2o_req_t *req = api_pending_end(&w->pending);
    if (req == NULL || err != NULL || PQntuples(res) == 0)
        api_cache_drop(w->cache, w->key, w->key_len); /* the next read refreshes */
    if (req == NULL) {
    } else if (err != NULL) {
        read_fail(req, err);
    } else if (PQntuples(res) == 0) {
        api_respond_error(req, 404, "not_found", "no such resource");
    } else if (w->paged && PQnfields(res) >= 2) {
        read_answer_paged(req, w, PQgetvalue(res, 0, 0),
                          PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1));
    } else {
        read_reply(req, w, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    }
    w->done = true;
    if (!w->starting)
        read_wait_free(w);
}

/* The backstop deadline: answer, then cancel (whose callback frees w). */
static void read_expired(struct api_pending *p)
{
    struct read_wait *w = (struct read_wait *)p;
    h2o_req_t *req = api_pending_end(p);
    if (req != NULL)
        api_respond_retry(req, 503, "database_timeout", "the database did not answer in time", 1);
    pgpool_cancel(w->query);
}

/* The cache key of a read: its route, its statement's parameters, its filters. */
static h2o_iovec_t read_key(struct read *r, int nparams, const char *const *params)
{
    h2o_mem_pool_t *pool = &r->call->req->pool;
    h2o_iovec_t key = h2o_concat(pool, h2o_iovec_init(r->call->route->pattern,
                                                      strlen(r->call->route->pattern)),
                                 h2o_iovec_init(r->filters, 16));
    for (int i = 0; i < nparams; i++)
        key = h2o_concat(pool, key, h2o_iovec_init(params[i] ? "\x1f" : "\x1e", 1),
                         h2o_iovec_init(params[i] ? params[i] : "", params[i] ? strlen(params[i]) : 0));
    return key;
}

void read_run(struct read *r, const char *sql, int nparams, const char *const *params,
              bool paged)
{
    h2o_req_t *req = r->call->req;
    struct pgpool *pool = api_ctx_pg_read(req);
    size_t len = 0;
    const char *etag = NULL, *hit;
    if (pool == NULL) {
        api_respond_retry(req, 503, "database_unavailable", "no database is configured", 5);
        return;
    }
    h2o_iovec_t key = read_key(r, nparams, params);
    struct api_cache *cache = api_ctx_read_cache(req);
    hit = api_cache_get(cache, key.base, key.len, api_ctx_now_ms(req), &len, &etag);
    if (hit != NULL) {
        read_send_cached(req, hit, len, etag);
        return;
    }
    struct read_wait *w = mem_calloc(1, sizeof *w);
    w->cache = cache;
    w->key = mem_strndup(key.base, key.len);
    w->key_len = key.len;
    w->paged = paged;
    w->starting = true;
    memcpy(w->filters, r->filters, sizeof w->filters);
    api_pending_begin(&w->pending, api_ctx_db_pending(req), req, read_expired);
    w->query = pgpool_query(pool, sql, nparams, params, 0, read_done, w);
    w->starting = false;
    if (w->done) /* answered at once: the pool is down */
        read_wait_free(w);
}
