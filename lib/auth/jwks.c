/*
 * lib/auth/jwks.c: the shared key cache and its fetcher thread (see jwks.h).
 *
 * State, guarded by mu: the current set and when it was fetched, whether a
 * fetch is wanted or running, when the last one started (the rate limit),
 * and the waiters of the running or next fetch. The fetcher thread sleeps
 * on cond until a fetch is wanted; it fetches without the lock, swaps the
 * set in on success, then hands every waiter a reference to the current set
 * and wakes its loop with uv_async_send. A waiter's memory belongs to its
 * loop from then on and is freed in the async handle's close callback.
 */
#include "lib/auth/jwks.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"

enum {
    JWKS_DEFAULT_INTERVAL_MS = 30000, /* DESIGN.md §8: at most one refetch per 30 s */
    JWKS_DEFAULT_TTL_MS = 300000,     /* Clerk's SDKs keep a JWKS 5 minutes */
    JWKS_DEFAULT_TIMEOUT_MS = 5000,
};

struct jwks_waiter {
    uv_async_t async; /* first: the handle's memory is the waiter's */
    auth_jwks_cb cb;
    void *arg;
    struct auth_keyset *set;
    struct jwks_waiter *next;
};

struct auth_jwks {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t thread;
    bool has_thread;
    char *url;
    char *auth_header;
    int interval_ms, ttl_ms, timeout_ms;
    struct auth_keyset *set;
    uint64_t set_at_ms, last_fetch_ms;
    bool ever_fetched, fetching, want, stop;
    int fetches;
    struct jwks_waiter *waiters;
};

struct jwks_body {
    char *data;
    size_t len;
    bool too_large;
};

/* ---- one fetch (fetcher thread, no lock held) ------------------------------ */

static size_t jwks_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct jwks_body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > AUTH_JWKS_MAX_BYTES) {
        b->too_large = true;
        return 0;
    }
    b->data = mem_realloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/* GETs the URL; returns the body (caller frees) or NULL with a reason. */
static char *jwks_get(struct auth_jwks *j, size_t *len, char reason[AUTH_REASON_MAX])
{
    struct jwks_body b = {0};
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (j->auth_header != NULL)
        hdrs = curl_slist_append(hdrs, j->auth_header);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, j->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, jwks_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK || status != 200 || b.data == NULL) {
        if (b.too_large)
            snprintf(reason, AUTH_REASON_MAX, "JWKS larger than %d bytes", AUTH_JWKS_MAX_BYTES);
        else if (rc != CURLE_OK)
            snprintf(reason, AUTH_REASON_MAX, "%s", curl_easy_strerror(rc));
        else
            snprintf(reason, AUTH_REASON_MAX, "HTTP status %ld", status);
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

static struct auth_keyset *jwks_fetch(struct auth_jwks *j)
{
    char reason[AUTH_REASON_MAX] = "";
    size_t len = 0;
    struct auth_keyset *set = NULL;
    char *body = jwks_get(j, &len, reason);
    if (body != NULL)
        auth_keyset_parse_jwks(body, len, &set, reason);
    free(body);
    if (set == NULL)
        log_warn(LOG_FIELDS(LF_STR("reason", reason)), "jwks fetch failed; keeping the last keys");
    else
        log_info(LOG_FIELDS(LF_INT("usable_keys", auth_keyset_usable(set))), "jwks fetched");
    return set;
}

/* ---- the fetcher thread ---------------------------------------------------- */

static void jwks_waiter_closed(uv_handle_t *h)
{
    free(h);
}

/* On the waiter's loop: answer, then release the handle. */
static void jwks_waiter_wake(uv_async_t *a)
{
    struct jwks_waiter *w = (struct jwks_waiter *)a;
    w->cb(w->arg, w->set);
    auth_keyset_unref(w->set);
    uv_close((uv_handle_t *)a, jwks_waiter_closed);
}

/* Hands every waiter the current set. Called with mu held. */
static void jwks_answer_all(struct auth_jwks *j)
{
    struct jwks_waiter *w = j->waiters;
    j->waiters = NULL;
    while (w != NULL) {
        struct jwks_waiter *next = w->next;
        w->set = auth_keyset_ref(j->set);
        uv_async_send(&w->async); /* w belongs to its loop from here */
        w = next;
    }
}

/* One fetch; called and returning with mu held. */
static void jwks_fetch_once(struct auth_jwks *j)
{
    j->want = false;
    j->fetching = true;
    j->last_fetch_ms = clock_mono_ms();
    j->ever_fetched = true;
    j->fetches++;
    pthread_mutex_unlock(&j->mu);
    struct auth_keyset *set = jwks_fetch(j);
    pthread_mutex_lock(&j->mu);
    struct auth_keyset *old = NULL;
    if (set != NULL) {
        old = j->set;
        j->set = set;
        j->set_at_ms = clock_mono_ms();
    }
    j->fetching = false;
    jwks_answer_all(j);
    auth_keyset_unref(old);
}

static void *jwks_thread(void *arg)
{
    struct auth_jwks *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stop) {
        if (j->want)
            jwks_fetch_once(j);
        else
            pthread_cond_wait(&j->cond, &j->mu);
    }
    jwks_answer_all(j);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- API ------------------------------------------------------------------- */

static int jwks_start(struct auth_jwks *j, const struct auth_jwks_options *o, char **err)
{
    if (strncmp(o->url, "https://", 8) != 0 && strncmp(o->url, "http://", 7) != 0) {
        *err = mem_strdup("CLERK_JWKS_URL must be an http:// or https:// URL");
        return -1;
    }
    j->url = mem_strdup(o->url);
    if (o->bearer != NULL && o->bearer[0] != '\0')
        j->auth_header = mem_printf("Authorization: Bearer %s", o->bearer);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    j->want = true; /* the first fetch, so keys are warm before the first token */
    if (pthread_create(&j->thread, NULL, jwks_thread, j) != 0) {
        *err = mem_strdup("cannot start the JWKS fetcher thread");
        return -1;
    }
    j->has_thread = true;
    return 0;
}

int auth_jwks_create(const struct auth_jwks_options *o, struct auth_jwks **out, char **err)
{
    char reason[AUTH_REASON_MAX];
    struct auth_jwks *j = mem_calloc(1, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cond, NULL);
    j->interval_ms = o->refetch_interval_ms > 0 ? o->refetch_interval_ms : JWKS_DEFAULT_INTERVAL_MS;
    j->ttl_ms = o->ttl_ms > 0 ? o->ttl_ms : JWKS_DEFAULT_TTL_MS;
    j->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : JWKS_DEFAULT_TIMEOUT_MS;
    *out = NULL;
    if (o->pem != NULL && o->pem[0] != '\0') {
        if (auth_keyset_from_pem(o->pem, &j->set, reason) != 0) {
            *err = mem_printf("CLERK_JWT_KEY: %s", reason);
            goto fail;
        }
    } else if (o->url == NULL || o->url[0] == '\0') {
        *err = mem_strdup("neither CLERK_JWT_KEY nor CLERK_JWKS_URL is set");
        goto fail;
    } else if (jwks_start(j, o, err) != 0) {
        goto fail;
    }
    *out = j;
    return 0;
fail:
    auth_jwks_free(j);
    return -1;
}

void auth_jwks_free(struct auth_jwks *j)
{
    if (j == NULL)
        return;
    if (j->has_thread) {
        pthread_mutex_lock(&j->mu);
        j->stop = true;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->thread, NULL);
    }
    if (j->url != NULL)
        curl_global_cleanup();
    auth_keyset_unref(j->set);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cond);
    free(j->url);
    free(j->auth_header);
    free(j);
}

/* True when the rate limit allows a fetch now. Called with mu held. */
static bool jwks_may_fetch(const struct auth_jwks *j)
{
    return j->has_thread && !j->stop &&
           (!j->ever_fetched || clock_mono_ms() - j->last_fetch_ms >= (uint64_t)j->interval_ms);
}

struct auth_keyset *auth_jwks_current(struct auth_jwks *j)
{
    pthread_mutex_lock(&j->mu);
    struct auth_keyset *s = auth_keyset_ref(j->set);
    bool stale = s != NULL && clock_mono_ms() - j->set_at_ms > (uint64_t)j->ttl_ms;
    if (stale && !j->fetching && !j->want && jwks_may_fetch(j)) {
        j->want = true;
        pthread_cond_signal(&j->cond);
    }
    pthread_mutex_unlock(&j->mu);
    return s;
}

int auth_jwks_refetch(struct auth_jwks *j, uv_loop_t *loop, auth_jwks_cb cb, void *arg)
{
    if (!j->has_thread)
        return -1;
    struct jwks_waiter *w = mem_calloc(1, sizeof *w);
    w->cb = cb;
    w->arg = arg;
    uv_async_init(loop, &w->async, jwks_waiter_wake);
    pthread_mutex_lock(&j->mu);
    bool join = !j->stop && (j->fetching || j->want || jwks_may_fetch(j));
    if (join) {
        w->next = j->waiters;
        j->waiters = w;
        j->want = j->want || !j->fetching;
        pthread_cond_signal(&j->cond);
    }
    pthread_mutex_unlock(&j->mu);
    if (!join)
        uv_close((uv_handle_t *)&w->async, jwks_waiter_closed);
    return join ? 0 : -1;
}

int auth_jwks_fetches(struct auth_jwks *j)
{
    pthread_mutex_lock(&j->mu);
    int n = j->fetches;
    pthread_mutex_unlock(&j->mu);
    return n;
}
