/*
 * worker/jobs/whatsapp.c: whatsapp.inbound and whatsapp.status (whatsapp.h), and the
 * family table, which also lists whatsapp.expire_pending (whatsapp_expire.c).
 *
 * whatsapp.inbound, one run:
 *   1. read the Twilio form fields from the payload and parse Body into a
 *      command (worker/whatsapp/order_text.c) — no I/O;
 *   2. ONE statement, whatsapp_inbound(): customer found or created, message
 *      stored (first copy wins), command carried out (an order is placed with
 *      its lines and stock allocation in that same transaction), outcome
 *      stored with the message — or, for a message already handled, the
 *      stored outcome returned unchanged;
 *   3. the reply text is built from that outcome (worker/whatsapp/order_reply.c) and
 *      a notify.whatsapp job enqueued with idempotency key
 *      "reply:<MessageSid>", which is also the notification's unique key.
 * A crash anywhere re-runs the job: step 2 returns the same outcome, step 3
 * builds the same text, and the key makes the reply one message whatever
 * happens (Redis refuses the duplicate job for 24 h; the notifications row
 * refuses a second send forever).
 *
 * The per-customer limits (issue 17 §5) are enforced inside step 2 by
 * whatsapp_place_order with the values of WHATSAPP_MAX_PENDING_ORDERS and
 * WHATSAPP_MAX_UNITS_PER_ORDER passed as arguments: the settings own the
 * numbers, the SQL function owns the atomic check.
 *
 * whatsapp.status: one statement, whatsapp_message_status(), which only
 * moves a status forward.
 *
 * State: each run owns a struct inbound_state / status_state attached with
 * job_run_set_state, so the runtime frees it whenever the run ends
 * (including a timeout that cancels our callbacks). A callback that
 * finishes the run never touches the state afterwards.
 */
#include "worker/jobs/whatsapp.h"
#include "worker/jobs/jobs.h"
#include "worker/jobs/whatsapp_expire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/pg_outcome.h"
#include "worker/whatsapp/order_reply.h"
#include "worker/whatsapp/order_text.h"
#include "worker/providers/twilio.h"

const struct config_var jobs_whatsapp_config_vars[] = {
    {"TWILIO_API_BASE", CONFIG_URL_HTTP, "https://api.twilio.com", 0, 0, 0, NULL, false},
    {"TWILIO_ACCOUNT_SID", CONFIG_STR, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, false},
    {"TWILIO_AUTH_TOKEN", CONFIG_STR, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, true},
    {"TWILIO_WHATSAPP_FROM", CONFIG_STR, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, false},
    {"PUBLIC_BASE_URL", CONFIG_URL_HTTP, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, false},
    {"WHATSAPP_STOCK_LOCATION", CONFIG_STR, "main", 0, 0, 0, NULL, false},
    {"WHATSAPP_MAX_PENDING_ORDERS", CONFIG_INT, "3", 0, 1, 1000, NULL, false},
    {"WHATSAPP_MAX_UNITS_PER_ORDER", CONFIG_INT, "1000", 0, 1, 500000, NULL, false},
    {"ORDER_PENDING_TTL_HOURS", CONFIG_INT, "48", 0, 1, 8760, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char inbound_sql[] =
    "SELECT whatsapp_inbound($1, $2, $3, $4, $5, $6, $7::integer, $8::jsonb, $9,"
    " $10::integer, $11::integer)::text";
static const char status_sql[] =
    "SELECT whatsapp_message_status($1, $2, $3::integer)::text";

/* ---- helpers ------------------------------------------------------------------ */

/* A string member of the payload, or NULL (absent or not a string). */
static const char *payload_str(const json_t *payload, const char *key)
{
    return json_string_value(json_object_get(payload, key));
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The digits of "whatsapp:+4477…" / "+4477…" into out; false if none. */
static bool wa_id_from_address(const char *from, char *out, size_t size)
{
    const char *p = strchr(from, '+');
    size_t n = 0;
    if (p == NULL)
        return false;
    for (p++; isdigit((unsigned char)*p) && n + 1 < size; p++)
        out[n++] = *p;
    out[n] = '\0';
    return *p == '\0' && n > 0;
}

/* ---- whatsapp.inbound ------------------------------------------------------------ */

struct inbound_state {
    struct job_run *run;
    char *message_sid;
    char *from;
    char *body;
    const char *cmd_name; /* static */
};

static void inbound_state_free(void *p)
{
    struct inbound_state *st = p;
    free(st->message_sid);
    free(st->from);
    free(st->body);
    free(st);
}

/* The inbound message's fields, checked; NULL and *why when unusable. */
struct inbound_fields {
    const char *sid, *from, *to, *body, *profile_name;
    char wa_id[JOBS_WHATSAPP_FIELD_MAX + 1];
    int num_media;
};

static bool inbound_read(const json_t *p, struct inbound_fields *f, const char **why)
{
    const char *wa_id = payload_str(p, "WaId");
    const char *media = payload_str(p, "NumMedia");
    f->sid = payload_str(p, "MessageSid");
    f->from = payload_str(p, "From");
    f->to = payload_str(p, "To");
    f->body = payload_str(p, "Body");
    f->profile_name = payload_str(p, "ProfileName");
    if (!twilio_sid_valid(f->sid))
        return *why = "MessageSid missing or malformed", false;
    if (f->from == NULL || f->from[0] == '\0' || strlen(f->from) > JOBS_WHATSAPP_FIELD_MAX)
        return *why = "From missing or too long", false;
    if (all_digits(wa_id, 1, 32))
        snprintf(f->wa_id, sizeof f->wa_id, "%s", wa_id);
    else if (!wa_id_from_address(f->from, f->wa_id, 33))
        return *why = "no WaId and no phone number in From", false;
    if (f->to && strlen(f->to) > JOBS_WHATSAPP_FIELD_MAX)
        f->to = NULL;
    if (f->profile_name && strlen(f->profile_name) > JOBS_WHATSAPP_FIELD_MAX)
        f->profile_name = NULL;
    f->num_media = all_digits(media, 1, 2) ? atoi(media) : 0;
    if (f->body == NULL)
        f->body = "";
    return true;
}

static void inbound_on_enqueued(struct job_run *run, const char *error, void *data)
{
    struct inbound_state *st = data;
    if (error != NULL) {
        char sid[TWILIO_SID_MAX + 1]; /* the run's end frees st */
        snprintf(sid, sizeof sid, "%s", st->message_sid);
        job_run_fail(run, "enqueue reply to %s: %s", sid, error);
        return;
    }
    job_run_succeed(run);
}

/* The notify.whatsapp job carrying `reply` to the sender. */
static struct job *inbound_reply_job(const struct inbound_state *st, const char *reply)
{
    char *key = mem_printf("reply:%s", st->message_sid);
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s}", "to", st->from, "body", reply,
                                "idempotency_key", key, "in_reply_to", st->message_sid);
    struct job *job = job_create("notify", "notify.whatsapp", payload);
    job->dedup_key = key;
    return job;
}

/* Logs what the message did (the body only as LF_BODY: masked under redaction). */
static void inbound_log(const struct job_run *run, const struct inbound_state *st,
                        const json_t *outcome)
{
    const json_t *order = json_object_get(outcome, "order");
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id),
                        LF_STR("message_sid", st->message_sid), LF_STR("from", st->from),
                        LF_STR("command", st->cmd_name),
                        LF_BOOL("ok", json_is_true(json_object_get(outcome, "ok"))),
                        LF_BOOL("replay", json_is_true(json_object_get(outcome, "replay"))),
                        LF_INT("order_number", json_integer_value(json_object_get(order, "number"))),
                        LF_BODY("body", st->body)),
             "whatsapp message handled");
}

static void inbound_on_result(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct inbound_state *st = data;
    struct job_run *run = st->run;
    if (err != NULL) {
        pg_outcome_fail(run, "whatsapp_inbound", err);
        return;
    }
    json_t *outcome = pg_outcome_json(res);
    if (!json_is_object(outcome)) {
        json_decref(outcome);
        job_run_fail(run, "whatsapp_inbound returned no outcome");
        return;
    }
    inbound_log(run, st, outcome);
    char *reply = order_reply_build(outcome);
    json_decref(outcome);
    struct job *job = inbound_reply_job(st, reply);
    free(reply);
    const struct job *self = job_run_job(run);
    if (self->request_id)
        job->request_id = mem_strdup(self->request_id);
    job_run_enqueue(run, job, inbound_on_enqueued, st);
}

static void whatsapp_inbound(struct job_run *run)
{
    const json_t *payload = job_run_job(run)->payload;
    const struct config *cfg = job_run_services(run)->cfg;
    struct inbound_fields f;
    const char *why;
    if (!inbound_read(payload, &f, &why)) {
        job_run_fail_permanent(run, "bad payload: %s", why);
        return;
    }
    struct order_text_command *cmd = mem_calloc(1, sizeof *cmd);
    order_text_parse(f.body, strlen(f.body), cmd);
    json_t *cj = order_text_command_json(cmd, f.num_media, ORDER_REPLY_CATALOG_PAGE);
    char *command = json_dumps(cj, JSON_COMPACT);
    json_decref(cj);

    struct inbound_state *st = mem_calloc(1, sizeof *st);
    st->run = run;
    st->message_sid = mem_strdup(f.sid);
    st->from = mem_strdup(f.from);
    st->body = mem_strdup(f.body);
    st->cmd_name = order_text_cmd_name(cmd->cmd);
    free(cmd);
    job_run_set_state(run, st, inbound_state_free);

    char media[16], max_pending[24], max_units[24];
    snprintf(media, sizeof media, "%d", f.num_media);
    snprintf(max_pending, sizeof max_pending, "%lld",
             config_int(cfg, "WHATSAPP_MAX_PENDING_ORDERS"));
    snprintf(max_units, sizeof max_units, "%lld", config_int(cfg, "WHATSAPP_MAX_UNITS_PER_ORDER"));
    const char *params[11] = {f.sid, f.wa_id, f.from, f.to, f.profile_name, f.body, media,
                              command, config_str(cfg, "WHATSAPP_STOCK_LOCATION"),
                              max_pending, max_units};
    job_run_query(run, inbound_sql, 11, params, inbound_on_result, st);
    free(command);
}

/* ---- whatsapp.status ---------------------------------------------------------------- */

struct status_state {
    struct job_run *run;
    char *message_sid;
    char *status;
};

static void status_state_free(void *p)
{
    struct status_state *st = p;
    free(st->message_sid);
    free(st->status);
    free(st);
}

static void status_on_result(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct status_state *st = data;
    struct job_run *run = st->run;
    if (err != NULL) {
        pg_outcome_fail(run, "whatsapp_message_status", err);
        return;
    }
    json_t *r = pg_outcome_json(res);
    bool known = json_is_true(json_object_get(r, "known"));
    const char *now = json_string_value(json_object_get(r, "status"));
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id),
                        LF_STR("message_sid", st->message_sid), LF_STR("reported", st->status),
                        LF_STR("status", now ? now : "-"), LF_BOOL("known", known),
                        LF_BOOL("notification",
                                json_integer_value(json_object_get(r, "notification")) > 0)),
             known ? "whatsapp status applied" : "whatsapp status ignored (unknown value)");
    json_decref(r);
    job_run_succeed(run);
}

static void whatsapp_status(struct job_run *run)
{
    const json_t *payload = job_run_job(run)->payload;
    const char *sid = payload_str(payload, "MessageSid");
    const char *status = payload_str(payload, "MessageStatus");
    const char *code = payload_str(payload, "ErrorCode");
    if (!twilio_sid_valid(sid)) {
        job_run_fail_permanent(run, "bad payload: MessageSid missing or malformed");
        return;
    }
    if (status == NULL || status[0] == '\0' || strlen(status) > 32) {
        job_run_fail_permanent(run, "bad payload: MessageStatus missing or malformed");
        return;
    }
    struct status_state *st = mem_calloc(1, sizeof *st);
    st->run = run;
    st->message_sid = mem_strdup(sid);
    st->status = mem_strdup(status);
    job_run_set_state(run, st, status_state_free);
    const char *params[3] = {sid, status, all_digits(code, 1, 9) ? code : NULL};
    job_run_query(run, status_sql, 3, params, status_on_result, st);
}

/* ---- registry ------------------------------------------------------------------------- */

static const struct job_handler jobs_whatsapp_handlers[] = {
    {.type = "whatsapp.inbound", .run = whatsapp_inbound, .timeout_ms = JOBS_WHATSAPP_TIMEOUT_MS},
    {.type = "whatsapp.status", .run = whatsapp_status, .timeout_ms = JOBS_WHATSAPP_TIMEOUT_MS},
    {.type = "whatsapp.expire_pending", .run = whatsapp_expire_run,
     .timeout_ms = JOBS_WHATSAPP_TIMEOUT_MS},
    {.type = NULL},
};

const struct job_family jobs_whatsapp = {
    .name = "whatsapp",
    .handlers = jobs_whatsapp_handlers,
    .config = jobs_whatsapp_config_vars,
};
