/*
 * worker/jobs/jobs.c: the table of job families (see jobs.h); a job type
 * must belong to one family only (tests/worker/core/test_queues.c checks it).
 */
#include "worker/jobs/jobs.h"

#include <stddef.h>

const struct job_family *const jobs_families[] = {
    &jobs_sys,     &jobs_whatsapp, &jobs_notify,    &jobs_planning,
    &jobs_shopify, &jobs_xero,     &jobs_unleashed, &jobs_amazon,
    &jobs_privacy,
    &jobs_ops,
    NULL,
};
