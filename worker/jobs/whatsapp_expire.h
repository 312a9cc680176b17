/*
 * worker/jobs/whatsapp_expire.h: whatsapp.expire_pending, the scheduled job
 * that cancels WhatsApp orders left pending longer than
 * ORDER_PENDING_TTL_HOURS, releases their stock and tells each customer
 * (issue 17 §5; docs/WHATSAPP.md "Pending-order expiry").
 *
 * Registered in the whatsapp family's handler table (whatsapp.c); scheduled
 * by SCHEDULE, e.g. `whatsapp.expire_pending@5m` (queue `sync`).
 */
#ifndef SENTIA_WORKER_JOBS_WHATSAPP_EXPIRE_H
#define SENTIA_WORKER_JOBS_WHATSAPP_EXPIRE_H

#include "worker/core/handler.h"

enum {
    WHATSAPP_EXPIRE_BATCH = 200, /* orders per run: one statement stays short; the next
                                    run (minutes later) takes the rest */
};

/* The handler: one whatsapp_expire_pending() statement, then one notify.whatsapp
 * job per order to tell (key "expired:<number>"). */
void whatsapp_expire_run(struct job_run *run);

#endif
