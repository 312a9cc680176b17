/*
 * worker/jobs/whatsapp_expire.c: whatsapp.expire_pending (whatsapp_expire.h).
 *
 * One run:
 *   1. ONE statement, whatsapp_expire_pending(ttl, batch): pending WhatsApp
 *      orders older than ORDER_PENDING_TTL_HOURS are cancelled (cancel_reason
 *      'expired') and their allocation released, each exactly once however
 *      many runs race (FOR UPDATE SKIP LOCKED + the pending → cancelled
 *      transition, one transaction); it returns the orders whose customer
 *      still has to be told — expired now, or earlier with no notification
 *      row yet;
 *   2. one notify.whatsapp job per such order, one after the other, with
 *      idempotency key "expired:<number>" (also the notifications row's key),
 *      the text from order_reply_expired().
 * A crash or a Redis failure between 1 and 2 fails the run (retried); the
 * retry, or the next scheduled run, finds the orders again in step 1 because
 * their notification row does not exist yet, and a key enqueued twice is one
 * job (the queue refuses the duplicate) and one message (the row's unique
 * key) — so each expired order gives the customer one message.
 *
 * State: struct expire_state (the statement's outcome and the position in its
 * "notify" list), attached with job_run_set_state and freed by the runtime.
 */
#include "worker/jobs/whatsapp_expire.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/pg_outcome.h"
#include "worker/whatsapp/order_reply.h"

static const char expire_sql[] =
    "SELECT whatsapp_expire_pending($1::integer, $2::integer)::text";

struct expire_state {
    json_t *outcome;   /* {"expired": N, "notify": [{"number", "to", "order"}, …]} */
    size_t next;       /* the next entry of "notify" to enqueue */
    long long ttl_hours;
};

static void expire_state_free(void *p)
{
    struct expire_state *st = p;
    json_decref(st->outcome);
    free(st);
}

/* The notify.whatsapp job telling one customer; NULL when the entry is unusable. */
static struct job *expire_notice_job(const json_t *entry, long long ttl_hours)
{
    const char *to = json_string_value(json_object_get(entry, "to"));
    json_int_t number = json_integer_value(json_object_get(entry, "number"));
    if (to == NULL || number <= 0)
        return NULL;
    char *body = order_reply_expired(json_object_get(entry, "order"), ttl_hours);
    char *key = mem_printf("expired:%lld", (long long)number);
    json_t *payload = json_pack("{s:s, s:s, s:s}", "to", to, "body", body, "idempotency_key", key);
    free(body);
    struct job *job = job_create("notify", "notify.whatsapp", payload);
    job->dedup_key = key;
    return job;
}

static void expire_done(struct job_run *run, const struct expire_state *st)
{
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id),
                        LF_INT("expired", json_integer_value(json_object_get(st->outcome, "expired"))),
                        LF_INT("notified", (long long)st->next),
                        LF_INT("ttl_hours", st->ttl_hours)),
             "whatsapp pending orders expired");
    job_run_succeed(run);
}

static void expire_next(struct job_run *run, struct expire_state *st);

static void expire_on_enqueued(struct job_run *run, const char *error, void *data)
{
    struct expire_state *st = data;
    if (error != NULL) {
        job_run_fail(run, "enqueue an expiry notice: %s", error);
        return;
    }
    st->next++;
    expire_next(run, st);
}

/* Enqueues the next notice, or finishes the run when none is left. */
static void expire_next(struct job_run *run, struct expire_state *st)
{
    const json_t *list = json_object_get(st->outcome, "notify");
    while (st->next < json_array_size(list)) {
        struct job *job = expire_notice_job(json_array_get(list, st->next), st->ttl_hours);
        if (job != NULL) {
            const struct job *self = job_run_job(run);
            if (self->request_id)
                job->request_id = mem_strdup(self->request_id);
            job_run_enqueue(run, job, expire_on_enqueued, st);
            return;
        }
        st->next++; /* SQL always gives both fields: cannot happen */
    }
    expire_done(run, st);
}

static void expire_on_result(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    struct expire_state *st = job_run_state(run);
    if (err != NULL) {
        pg_outcome_fail(run, "whatsapp_expire_pending", err);
        return;
    }
    st->outcome = pg_outcome_json(res);
    if (!json_is_object(st->outcome)) {
        job_run_fail(run, "whatsapp_expire_pending returned no outcome");
        return;
    }
    expire_next(run, st);
}

void whatsapp_expire_run(struct job_run *run)
{
    const struct config *cfg = job_run_services(run)->cfg;
    struct expire_state *st = mem_calloc(1, sizeof *st);
    st->ttl_hours = config_int(cfg, "ORDER_PENDING_TTL_HOURS");
    job_run_set_state(run, st, expire_state_free);
    char ttl[24], batch[24];
    snprintf(ttl, sizeof ttl, "%lld", st->ttl_hours);
    snprintf(batch, sizeof batch, "%d", WHATSAPP_EXPIRE_BATCH);
    const char *params[2] = {ttl, batch};
    job_run_query(run, expire_sql, 2, params, expire_on_result, run);
}
