/*
 * api/routes/jobs.h: jobs as a resource (operator and up) — docs/API.md
 * "Jobs":
 *   GET    /api/v1/queues/{queue}/jobs             by state, search, type, cursor
 *   GET    /api/v1/queues/{queue}/jobs/{id}        one job with its envelope
 *   DELETE /api/v1/queues/{queue}/jobs/{id}        ready, delayed or dead only
 *   POST   /api/v1/queues/{queue}/jobs/{id}/retry  dead → ready
 *   GET    /api/v1/jobs/{id}                       a command job's status_url
 */
#ifndef SENTIA_API_ROUTES_JOBS_H
#define SENTIA_API_ROUTES_JOBS_H

#include "api/ctx.h"

void jobs_list(struct api_call *call);
void jobs_get(struct api_call *call);
void jobs_delete(struct api_call *call);
void jobs_retry(struct api_call *call);
void jobs_status(struct api_call *call);

#endif
