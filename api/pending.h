/*
 * api/pending.h: a request waiting on Redis, made safe against the two ways
 * it can go wrong in h2o 2.2.5 + hiredis 0.14 (LIBRARIES.md):
 *
 * - the request can vanish: an HTTP/2 client reset frees the h2o_req_t while
 *   we wait. A pending record never owns the request; it points at it, and a
 *   guard allocated in the request's pool (h2o_mem_alloc_shared with a
 *   dispose hook) clears that pointer when h2o disposes the request. Code
 *   that wants to answer checks `req != NULL` first.
 * - Redis can be slow: hiredis has no command timeout, so every record has
 *   its own deadline. A thread keeps its armed records in one list ordered by
 *   deadline (all share the same timeout, so arrival order is deadline order)
 *   driven by one uv timer; an expired record's `on_expired` is called once,
 *   and the caller answers 503 from it.
 *
 * Lifetime: the record is embedded in a caller's struct (webhook wait,
 * health snapshot) and outlives both the answer and the deadline: it is
 * freed by its owner once every Redis callback came back, after
 * api_pending_end(). A record answers its request at most once: whoever
 * answers first (reply or deadline) calls api_pending_end().
 */
#ifndef SENTIA_API_PENDING_H
#define SENTIA_API_PENDING_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct api_pending;
struct api_pending_guard;
typedef void (*api_pending_expired_cb)(struct api_pending *p);

struct api_pending {
    struct api_pending *prev, *next; /* in the list while armed */
    struct api_pending_list *list;
    h2o_req_t *req;                  /* NULL once h2o disposed the request */
    struct api_pending_guard *guard; /* NULL once the request is gone */
    uint64_t deadline_ms;            /* loop time */
    api_pending_expired_cb on_expired;
};

/* One per thread: the armed records and the timer that expires them. */
struct api_pending_list {
    struct api_pending head;
    uv_timer_t timer;
    uint64_t timeout_ms;
    size_t n;
};

void api_pending_list_init(struct api_pending_list *l, uv_loop_t *loop,
                           uint64_t timeout_ms);
/* Closes the timer (the list must be empty); the handle closes with the loop. */
void api_pending_list_close(struct api_pending_list *l);

/*
 * Arms p for req: links the guard into req's pool and the record into the
 * list with deadline now + timeout. `on_expired` runs once if the deadline
 * passes before api_pending_end().
 */
void api_pending_begin(struct api_pending *p, struct api_pending_list *l,
                       h2o_req_t *req, api_pending_expired_cb on_expired);
/*
 * Disarms p (idempotent): unlinks it from the deadline list and detaches the
 * guard, so p may be freed at any time afterwards. Returns the request if
 * it is still alive (the caller answers it), else NULL.
 */
h2o_req_t *api_pending_end(struct api_pending *p);
/* True while p has neither been ended nor expired. */
bool api_pending_armed(const struct api_pending *p);

#endif
