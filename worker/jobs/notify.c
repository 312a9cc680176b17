/*
 * worker/jobs/notify.c: notify.whatsapp — one WhatsApp message through
 * Twilio's Messages API, at most once per idempotency key (notify.h).
 *
 * One run:
 *   1. claim   notification_claim(): the notifications row is created on
 *              first sight (status pending) and marked claimed by this job;
 *              a row the provider already has is "done" (success, nothing
 *              sent), one another live run is sending is "busy" (retry later);
 *   2. send    POST Messages.json (worker/providers/twilio.c builds it) with the key
 *              as I-Twilio-Idempotency-Token;
 *   3. record  accepted → notification_sent() (sid, status) → success;
 *              transient → notification_failed(retry) → retry / defer;
 *              refused → notification_failed(final, code) → dead with
 *              "twilio <code>: <message>".
 *
 * The crash window: between Twilio accepting (2) and the sid being stored
 * (3) a crash, a timeout or Postgres going away leaves the row claimed. The
 * job's next attempt (same job id = same claimer) takes the claim over at
 * once and sends again with the same idempotency token, which Twilio's API
 * honours (and tests/fakes/twilio.py does): the answer is the first
 * message, stored now. Without the token's help a duplicate message is
 * possible there; notification_sent then logs both sids.
 *
 * State: struct notify_state, attached with job_run_set_state, owns copies
 * of everything the callbacks need; a callback that finishes the run copies
 * what its message needs first, because the run's end frees the state.
 */
#include "worker/jobs/notify.h"
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/pg_outcome.h"
#include "worker/providers/twilio.h"
#include "worker/whatsapp/wa_text.h"

static const char claim_sql[] =
    "SELECT outcome, id, status, to_address, body, attempts"
    " FROM notification_claim($1, 'whatsapp', $2, $3, $4, $5, $6::integer)";
static const char sent_sql[] = "SELECT notification_sent($1::bigint, $2, $3, $4)::text";
static const char failed_sql[] =
    "SELECT notification_failed($1::bigint, $2, $3::boolean, $4::integer, $5)";

struct notify_state {
    struct job_run *run;
    char *key;
    char *to;            /* as recorded in the row (first writer wins) */
    char *body;
    char id[24];         /* notifications.id */
    int attempts;
    struct twilio_outcome outcome;
};

static void notify_state_free(void *p)
{
    struct notify_state *st = p;
    free(st->key);
    free(st->to);
    free(st->body);
    free(st);
}

/* ---- helpers ------------------------------------------------------------------- */

static const char *payload_str(const json_t *payload, const char *key)
{
    return json_string_value(json_object_get(payload, key));
}

/* Idempotency keys go into an HTTP header: printable ASCII only. */
static bool notify_key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > JOB_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x21 || key[i] > 0x7E)
            return false;
    return true;
}

/* Checks the payload; NULL, or why it can never be sent. */
static const char *notify_check(const json_t *p)
{
    const char *to = payload_str(p, "to"), *body = payload_str(p, "body");
    if (!notify_key_valid(payload_str(p, "idempotency_key")))
        return "idempotency_key missing or not printable ASCII";
    if (to == NULL || to[0] == '\0' || strlen(to) > 256)
        return "to missing or too long";
    if (body == NULL || body[0] == '\0')
        return "body missing or empty";
    if (wa_text_units(body, strlen(body)) > TWILIO_BODY_MAX)
        return "body longer than WhatsApp's 1600 characters";
    return NULL;
}

/* The first Twilio setting that is missing, or NULL. */
static const char *notify_missing_config(const struct config *cfg)
{
    static const char *const need[] = {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                       "TWILIO_WHATSAPP_FROM"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        const char *v = config_str(cfg, need[i]);
        if (v == NULL || v[0] == '\0')
            return need[i];
    }
    return NULL;
}

/* ---- 3. record ---------------------------------------------------------------------- */

static void notify_on_sent(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct notify_state *st = data;
    struct job_run *run = st->run;
    if (err != NULL) {
        char what[TWILIO_SID_MAX + 64]; /* the run's end frees st */
        snprintf(what, sizeof what, "twilio accepted %s but storing it failed", st->outcome.sid);
        pg_outcome_fail(run, what, err);
        return;
    }
    json_t *r = json_loads(PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "null", 0, NULL);
    const char *previous = json_string_value(json_object_get(r, "previous_provider_id"));
    const char *status = json_string_value(json_object_get(r, "status"));
    if (previous != NULL)
        log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("key", st->key),
                            LF_STR("provider_id", previous), LF_STR("duplicate", st->outcome.sid)),
                 "whatsapp message was sent twice (provider ignored the idempotency token)");
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("key", st->key),
                        LF_STR("provider_id", st->outcome.sid), LF_STR("to", st->to),
                        LF_STR("status", status ? status : st->outcome.status),
                        LF_INT("attempts", st->attempts), LF_BODY("body", st->body)),
             "whatsapp message sent");
    json_decref(r);
    job_run_succeed(run);
}

/* After recording a transient failure: retry, or defer to Twilio's Retry-After. */
static void notify_on_released(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct notify_state *st = data;
    struct job_run *run = st->run;
    struct twilio_outcome o = st->outcome; /* the run's end frees st */
    (void)res;
    if (err != NULL)
        log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("key", st->key),
                            LF_STR("error", err->message)),
                 "could not record the failed send; the claim is taken over on retry");
    if (o.verdict == TWILIO_DEFER)
        job_run_defer(run, o.defer_ms, "twilio %ld (%d): %s", o.http_status, o.code, o.message);
    else if (o.http_status == 0)
        job_run_fail(run, "twilio: %s", o.message);
    else
        job_run_fail(run, "twilio %ld (%d): %s", o.http_status, o.code, o.message);
}

/* After recording Twilio's refusal: the job is dead, with Twilio's reason. */
static void notify_on_rejected(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct notify_state *st = data;
    struct job_run *run = st->run;
    struct twilio_outcome o = st->outcome;
    (void)res;
    if (err != NULL) {
        char what[TWILIO_MESSAGE_MAX + 64];
        snprintf(what, sizeof what, "twilio %d: %s; recording it", o.code, o.message);
        pg_outcome_fail(run, what, err);
        return;
    }
    log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("key", st->key),
                        LF_STR("to", st->to), LF_INT("code", o.code), LF_STR("error", o.message)),
             "twilio refused the whatsapp message");
    job_run_fail_permanent(run, "twilio %d: %s", o.code, o.message);
}

/* Records the outcome of the send and finishes the run from the callback. */
static void notify_record(struct notify_state *st)
{
    struct job_run *run = st->run;
    const struct twilio_outcome *o = &st->outcome;
    const struct config *cfg = job_run_services(run)->cfg;
    const char *claimer = job_run_job(run)->id;
    char code[16];
    snprintf(code, sizeof code, "%d", o->code);
    if (o->verdict == TWILIO_ACCEPTED) {
        const char *p[4] = {st->id, o->sid, o->status, config_str(cfg, "TWILIO_WHATSAPP_FROM")};
        job_run_query(run, sent_sql, 4, p, notify_on_sent, st);
    } else if (o->verdict == TWILIO_REJECTED) {
        const char *p[5] = {st->id, claimer, "true", o->code ? code : NULL, o->message};
        job_run_query(run, failed_sql, 5, p, notify_on_rejected, st);
    } else {
        const char *p[5] = {st->id, claimer, "false", o->code ? code : NULL, o->message};
        job_run_query(run, failed_sql, 5, p, notify_on_released, st);
    }
}

/* ---- 2. send ------------------------------------------------------------------------- */

static void notify_on_http(void *data, const struct http_response *res)
{
    struct notify_state *st = data;
    twilio_judge(res->status, res->error, res->timed_out, res->body, res->body_len,
                 http_response_header(res, "Retry-After"), clock_wall_ms(), &st->outcome);
    notify_record(st);
}

/* The StatusCallback URL, or NULL when no public URL is configured. */
static char *notify_status_callback(const struct config *cfg)
{
    const char *base = config_str(cfg, "PUBLIC_BASE_URL");
    size_t n = base ? strlen(base) : 0;
    if (n == 0)
        return NULL;
    while (n > 0 && base[n - 1] == '/')
        n--;
    return mem_printf("%.*s/api/v1/whatsapp/status", (int)n, base);
}

static void notify_send(struct notify_state *st)
{
    const struct config *cfg = job_run_services(st->run)->cfg;
    const char *sid = config_str(cfg, "TWILIO_ACCOUNT_SID");
    char *url = twilio_messages_url(config_str(cfg, "TWILIO_API_BASE"), sid);
    char *callback = notify_status_callback(cfg);
    char *form = twilio_message_form(st->to, config_str(cfg, "TWILIO_WHATSAPP_FROM"), st->body,
                                     callback);
    char *auth = mem_printf("%s:%s", sid, config_str(cfg, "TWILIO_AUTH_TOKEN"));
    char *token = mem_printf("I-Twilio-Idempotency-Token: %s", st->key);
    const char *headers[] = {"Accept: application/json",
                             "Content-Type: application/x-www-form-urlencoded", token, NULL};
    struct http_request req = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = form,
        .body_len = strlen(form),
        .basic_auth = auth,
        .timeout_ms = TWILIO_TIMEOUT_MS,
        .connect_timeout_ms = TWILIO_CONNECT_TIMEOUT_MS,
        .max_response_bytes = TWILIO_RESPONSE_MAX,
    };
    job_run_http(st->run, &req, notify_on_http, st);
    free(url);
    free(callback);
    free(form);
    free(token);
    memset(auth, 0, strlen(auth));
    free(auth);
}

/* ---- 1. claim --------------------------------------------------------------------------- */

static void notify_on_claim(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct notify_state *st = data;
    struct job_run *run = st->run;
    if (err != NULL) {
        pg_outcome_fail(run, "notification_claim", err);
        return;
    }
    if (PQntuples(res) != 1) {
        job_run_fail(run, "notification_claim returned %d rows", PQntuples(res));
        return;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "done") == 0) {
        log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("key", st->key),
                            LF_STR("status", PQgetvalue(res, 0, 2))),
                 "whatsapp message already sent; nothing to do");
        job_run_succeed(run);
        return;
    }
    if (strcmp(outcome, "claimed") != 0) {
        job_run_fail(run, "notification %s is being sent by another run", PQgetvalue(res, 0, 1));
        return;
    }
    snprintf(st->id, sizeof st->id, "%s", PQgetvalue(res, 0, 1));
    free(st->to);
    free(st->body);
    st->to = mem_strdup(PQgetvalue(res, 0, 3));
    st->body = mem_strdup(PQgetvalue(res, 0, 4));
    st->attempts = atoi(PQgetvalue(res, 0, 5));
    notify_send(st);
}

static void notify_whatsapp(struct job_run *run)
{
    const struct job *job = job_run_job(run);
    const struct config *cfg = job_run_services(run)->cfg;
    const char *why = notify_check(job->payload), *missing;
    if (why != NULL) {
        job_run_fail_permanent(run, "bad payload: %s", why);
        return;
    }
    if ((missing = notify_missing_config(cfg)) != NULL) {
        job_run_fail_permanent(run, "configuration: %s is not set", missing);
        return;
    }
    struct notify_state *st = mem_calloc(1, sizeof *st);
    st->run = run;
    st->key = mem_strdup(payload_str(job->payload, "idempotency_key"));
    st->to = mem_strdup(payload_str(job->payload, "to"));
    st->body = mem_strdup(payload_str(job->payload, "body"));
    job_run_set_state(run, st, notify_state_free);
    char stale[16];
    snprintf(stale, sizeof stale, "%d", JOBS_NOTIFY_CLAIM_STALE_S);
    const char *params[6] = {st->key, st->to, st->body, payload_str(job->payload, "in_reply_to"),
                             job->id, stale};
    job_run_query(run, claim_sql, 6, params, notify_on_claim, st);
}

/* ---- registry ------------------------------------------------------------------------------ */

static const struct job_handler jobs_notify_handlers[] = {
    {.type = "notify.whatsapp", .run = notify_whatsapp, .timeout_ms = JOBS_NOTIFY_TIMEOUT_MS},
    {.type = NULL},
};

const struct job_family jobs_notify = {
    .name = "notify",
    .handlers = jobs_notify_handlers,
};
