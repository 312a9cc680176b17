/*
 * worker/core/queues.h: WORKER_QUEUES, the queues one worker process serves and
 * the slots (jobs run at once) each gets: "webhooks:32,notify:16,sync:4".
 *
 * Each queue has its own slots, so a backlog in one never delays another.
 * Names follow queue_name_valid(); a count is 1..WORKER_SLOTS_MAX; a queue
 * appears once. Spaces around items are allowed.
 *
 * Ownership: worker_queues_parse() fills a caller-owned array; nothing to free.
 */
#ifndef SENTIA_WORKER_QUEUES_H
#define SENTIA_WORKER_QUEUES_H

#include <stddef.h>

#include "queue/queue.h"

enum {
    WORKER_QUEUES_MAX = 32,  /* one process serving more queues is a deployment mistake */
    WORKER_SLOTS_MAX = 1024, /* each slot may hold an HTTP transfer and a query */
    WORKER_QUEUES_TEXT_MAX = WORKER_QUEUES_MAX * (QUEUE_NAME_MAX + 6),
};

struct worker_queue_spec {
    char name[QUEUE_NAME_MAX + 1];
    int slots;
};

/*
 * Parses text into out[0..*n). Returns 0, or -1 with a reason written to
 * why (why_size bytes) that quotes the offending item.
 */
int worker_queues_parse(const char *text, struct worker_queue_spec out[WORKER_QUEUES_MAX],
                        size_t *n, char *why, size_t why_size);

/* The canonical "a:1,b:2" form (registry hash); buf of WORKER_QUEUES_TEXT_MAX. */
void worker_queues_format(const struct worker_queue_spec *q, size_t n, char *buf,
                          size_t size);

#endif
