/*
 * worker/jobs/jobs.h: the handler table of every job family (one file per
 * family in worker/jobs/, see worker/handler.h). worker/registry.c lists
 * them; each table ends with an entry whose type is NULL.
 */
#ifndef SENTIA_WORKER_JOBS_JOBS_H
#define SENTIA_WORKER_JOBS_JOBS_H

#include "worker/handler.h"

extern const struct job_handler jobs_sys_handlers[]; /* sys.noop, sys.sleep, sys.db_ping */
extern const struct job_handler jobs_whatsapp_handlers[]; /* whatsapp.inbound, whatsapp.status */
extern const struct job_handler jobs_notify_handlers[];   /* notify.whatsapp */
/* forecast.run, working_capital.compute */
extern const struct job_handler jobs_forecast_handlers[];

#endif
