/*
 * worker/core/registry.c: job type → handler (handler.h's handler_find).
 *
 * Each job family (worker/jobs/<family>.c) exports a table terminated by an
 * entry whose type is NULL (declared in worker/jobs/jobs.h); the families
 * are listed here. A type must appear
 * in one family only (tests/worker/test_registry.c checks it). The lookup is
 * a linear scan: a few dozen types, one strcmp each, per job.
 */
#include <stddef.h>
#include <string.h>

#include "worker/core/handler.h"
#include "worker/jobs/jobs.h"

/* Every family the worker runs; add a family's table here. */
static const struct job_handler *const registry_families[] = {
    jobs_sys_handlers,
    jobs_whatsapp_handlers,
    jobs_notify_handlers,
    jobs_forecast_handlers,
    jobs_shopify_handlers,
    jobs_xero_handlers,
    jobs_unleashed_handlers,
    NULL,
};

const struct job_handler *handler_find(const char *type)
{
    for (size_t f = 0; registry_families[f]; f++)
        for (const struct job_handler *h = registry_families[f]; h->type; h++)
            if (strcmp(h->type, type) == 0)
                return h;
    return NULL;
}
