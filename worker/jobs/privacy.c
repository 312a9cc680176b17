/*
 * worker/jobs/privacy.c: the privacy job family (jobs.h) — Shopify's
 * mandatory compliance webhooks and the retention job (issue 14,
 * docs/INTEGRATIONS.md "Compliance webhooks", "Retention").
 *
 *   privacy.customer_data_request  the customer's data as one JSON export in
 *                                  data_requests, logged for the shop owner
 *   privacy.customer_redact        the customer's personal fields cleared in
 *                                  every table; order rows kept
 *   privacy.shop_redact            the store's personal data cleared
 *   privacy.retention              (daily, SCHEDULE) personal data older than
 *                                  PII_RETENTION_DAYS cleared; counts logged
 *
 * The webhook jobs come from sentia-api (api/hooks/shopify.c: payload
 * "store", "raw" body text, "webhook_id", "shop_domain"). The work is one
 * SQL function each (migrations/functions/privacy.sql), idempotent and
 * audited there, so a redelivery or a rerun after a crash changes nothing.
 * A failed statement follows the Postgres failure rule (pg_outcome.h).
 */
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/stores.h"
#include "worker/kit/pg_outcome.h"

static const struct config_var jobs_privacy_config_vars[] = {
    {"PII_RETENTION_DAYS", CONFIG_INT, "365", 0, 1, 36500, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char data_request_sql[] =
    "SELECT privacy_customer_data_request($1, $2, $3, $4::jsonb)::text";
static const char customer_redact_sql[] = "SELECT privacy_customer_redact($1, $2, $3::jsonb)::text";
static const char shop_redact_sql[] = "SELECT privacy_shop_redact($1, $2, $3::jsonb)::text";
static const char retention_sql[] = "SELECT privacy_retention($1::integer)::text";

/* Logs the function's JSON result (the counts, the data request id) and ends the run. */
static void privacy_on_done(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    const struct job *job = job_run_job(run);
    if (err != NULL) {
        pg_outcome_fail(run, job->type, err);
        return;
    }
    json_t *out = pg_outcome_json(res);
    char *text = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *store = json_string_value(json_object_get(job->payload, "store"));
    log_info(LOG_FIELDS(LF_STR("job_id", job->id), LF_STR("type", job->type),
                        LF_STR("store", store ? store : ""), LF_STR("result", text ? text : "")),
             "privacy action done (for the shop owner: data_requests and audit_log)");
    free(text);
    json_decref(out);
    job_run_succeed(run);
}

/* The webhook's fields; false after failing the run (a payload that can never work). */
static bool privacy_fields(struct job_run *run, const char **store, const char **raw,
                           const char **webhook_id)
{
    const struct job *job = job_run_job(run);
    *store = json_string_value(json_object_get(job->payload, "store"));
    *raw = json_string_value(json_object_get(job->payload, "raw"));
    *webhook_id = json_string_value(json_object_get(job->payload, "webhook_id"));
    if (*webhook_id == NULL || (*webhook_id)[0] == '\0')
        *webhook_id = job->id;
    if (*store == NULL || (*store)[0] == '\0' || strlen(*store) > STORES_NAME_MAX) {
        job_run_fail_permanent(run, "bad payload: store missing or too long");
        return false;
    }
    if (*raw == NULL) {
        job_run_fail_permanent(run, "bad payload: raw body missing");
        return false;
    }
    return true;
}

static void privacy_data_request(struct job_run *run)
{
    const char *store, *raw, *webhook_id;
    if (!privacy_fields(run, &store, &raw, &webhook_id))
        return;
    const char *shop = json_string_value(json_object_get(job_run_job(run)->payload,
                                                         "shop_domain"));
    const char *params[4] = {store, shop ? shop : "", webhook_id, raw};
    job_run_query(run, data_request_sql, 4, params, privacy_on_done, run);
}

static void privacy_customer_redact(struct job_run *run)
{
    const char *store, *raw, *webhook_id;
    if (!privacy_fields(run, &store, &raw, &webhook_id))
        return;
    const char *params[3] = {store, webhook_id, raw};
    job_run_query(run, customer_redact_sql, 3, params, privacy_on_done, run);
}

static void privacy_shop_redact(struct job_run *run)
{
    const char *store, *raw, *webhook_id;
    if (!privacy_fields(run, &store, &raw, &webhook_id))
        return;
    const char *params[3] = {store, webhook_id, raw};
    job_run_query(run, shop_redact_sql, 3, params, privacy_on_done, run);
}

static void privacy_retention(struct job_run *run)
{
    char days[24];
    snprintf(days, sizeof days, "%lld",
             config_int(job_run_services(run)->cfg, "PII_RETENTION_DAYS"));
    const char *params[1] = {days};
    job_run_query(run, retention_sql, 1, params, privacy_on_done, run);
}

/* One statement each; a whole store or a year of messages may take minutes. */
enum { PRIVACY_TIMEOUT_MS = 10 * 60 * 1000 };

static const struct job_handler jobs_privacy_handlers[] = {
    {.type = "privacy.customer_data_request", .run = privacy_data_request},
    {.type = "privacy.customer_redact", .run = privacy_customer_redact},
    {.type = "privacy.shop_redact", .run = privacy_shop_redact, .timeout_ms = PRIVACY_TIMEOUT_MS},
    {.type = "privacy.retention", .run = privacy_retention, .timeout_ms = PRIVACY_TIMEOUT_MS},
    {.type = NULL},
};

const struct job_family jobs_privacy = {
    .name = "privacy",
    .handlers = jobs_privacy_handlers,
    .config = jobs_privacy_config_vars,
};
