/*
 * api/routes/queues.h: the queues as a resource (operator and up; the bulk
 * dead commands admin) — docs/API.md "Queues":
 *   GET    /api/v1/queues                      every queue's stats snapshot
 *   GET    /api/v1/queues/{queue}/throughput   completed/failed per minute
 *   POST   /api/v1/queues/{queue}/pause|resume
 *   POST   /api/v1/queues/{queue}/dead/retry   {"confirm": n}
 *   DELETE /api/v1/queues/{queue}/dead         {"confirm": n}
 */
#ifndef SENTIA_API_ROUTES_QUEUES_H
#define SENTIA_API_ROUTES_QUEUES_H

#include "api/ctx.h"

void queues_list(struct api_call *call);
void queues_throughput(struct api_call *call);
void queues_pause(struct api_call *call);
void queues_resume(struct api_call *call);
void queues_dead_retry(struct api_call *call);
void queues_dead_delete(struct api_call *call);

#endif
