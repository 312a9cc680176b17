/*
 * worker/jobs/jobs.h: the handler table of every job family (one file per
 * family in worker/jobs/, see worker/core/handler.h). worker/core/registry.c lists
 * them; each table ends with an entry whose type is NULL. The provider
 * families also export their configuration tables and a "what is missing"
 * check (NULL when the provider is configured), which the scheduler
 * announces to Redis for GET /api/integrations/status.
 */
#ifndef SENTIA_WORKER_JOBS_JOBS_H
#define SENTIA_WORKER_JOBS_JOBS_H

#include "lib/config.h"
#include "worker/core/handler.h"

extern const struct job_handler jobs_sys_handlers[]; /* sys.noop, sys.sleep, sys.db_ping */
extern const struct job_handler jobs_whatsapp_handlers[]; /* whatsapp.inbound, whatsapp.status */
extern const struct job_handler jobs_notify_handlers[];   /* notify.whatsapp */
/* forecast.run, working_capital.compute */
extern const struct job_handler jobs_forecast_handlers[];
extern const struct job_handler jobs_shopify_handlers[];  /* shopify.sync_*, shopify.<topic> */
extern const struct job_handler jobs_xero_handlers[];     /* xero.sync_*, xero.event */
extern const struct job_handler jobs_unleashed_handlers[]; /* unleashed.sync_* */

extern const struct config_var jobs_shopify_config_vars[];
extern const struct config_var jobs_xero_config_vars[];
extern const struct config_var jobs_unleashed_config_vars[];

const char *jobs_shopify_missing(const struct config *cfg);
const char *jobs_xero_missing(const struct config *cfg);
const char *jobs_unleashed_missing(const struct config *cfg);

#endif
