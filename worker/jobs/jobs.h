/*
 * worker/jobs/jobs.h: the job families (one file per family in worker/jobs/,
 * each exporting one struct job_family, see worker/core/handler.h) and the
 * table that lists them for main.c, the composition root. Adding a family is
 * its file plus one line in jobs_families (worker/jobs/jobs.c).
 */
#ifndef SENTIA_WORKER_JOBS_JOBS_H
#define SENTIA_WORKER_JOBS_JOBS_H

#include "worker/core/handler.h"

enum { JOBS_FAMILIES_MAX = 32 };

extern const struct job_family jobs_sys;       /* sys.noop, sys.sleep, sys.db_ping */
extern const struct job_family jobs_whatsapp;  /* whatsapp.inbound, whatsapp.status */
extern const struct job_family jobs_notify;    /* notify.whatsapp */
extern const struct job_family jobs_planning;  /* forecast.run, working_capital.compute */
extern const struct job_family jobs_shopify;   /* shopify.sync_*, shopify.<topic> */
extern const struct job_family jobs_xero;      /* xero.sync_*, xero.event */
extern const struct job_family jobs_unleashed; /* unleashed.sync_* */
extern const struct job_family jobs_amazon;    /* amazon.sync_orders */
extern const struct job_family jobs_privacy;   /* privacy.<compliance topic>, privacy.retention */
extern const struct job_family jobs_ops;       /* ops.autoscale */

/* Every family the worker runs, NULL-terminated. */
extern const struct job_family *const jobs_families[];

#endif
