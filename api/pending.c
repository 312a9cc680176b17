/*
 * api/pending.c: request guards and per-thread deadlines (see pending.h).
 *
 * Invariants: a record is in its list iff it is armed; the list's timer is
 * running iff the list is non-empty, and due at the head's deadline.
 */
#include "api/pending.h"

struct api_pending_guard {
    struct api_pending *p; /* NULL once the record ended first */
};

/* h2o disposes the request: the record must stop pointing at it. */
static void api_pending_guard_dispose(void *data)
{
    struct api_pending_guard *g = data;
    if (g->p != NULL) {
        g->p->req = NULL;
        g->p->guard = NULL;
    }
}

static void api_pending_unlink(struct api_pending *p)
{
    if (p->list == NULL)
        return;
    p->prev->next = p->next;
    p->next->prev = p->prev;
    p->list->n--;
    p->prev = p->next = NULL;
    p->list = NULL;
}

static void api_pending_tick(uv_timer_t *t);

/* Arms the timer for the head's deadline, or stops it when empty. */
static void api_pending_rearm(struct api_pending_list *l)
{
    if (l->head.next == &l->head) {
        uv_timer_stop(&l->timer);
        return;
    }
    uint64_t now = uv_now(l->timer.loop), due = l->head.next->deadline_ms;
    uv_timer_start(&l->timer, api_pending_tick, due > now ? due - now : 0, 0);
}

static void api_pending_tick(uv_timer_t *t)
{
    struct api_pending_list *l = t->data;
    uint64_t now = uv_now(t->loop);
    while (l->head.next != &l->head && l->head.next->deadline_ms <= now) {
        struct api_pending *p = l->head.next;
        api_pending_unlink(p);
        p->on_expired(p);
    }
    api_pending_rearm(l);
}

void api_pending_list_init(struct api_pending_list *l, uv_loop_t *loop,
                           uint64_t timeout_ms)
{
    l->head.next = l->head.prev = &l->head;
    l->timeout_ms = timeout_ms;
    l->n = 0;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
}

void api_pending_list_close(struct api_pending_list *l)
{
    uv_close((uv_handle_t *)&l->timer, NULL);
}

void api_pending_begin(struct api_pending *p, struct api_pending_list *l,
                       h2o_req_t *req, api_pending_expired_cb on_expired)
{
    struct api_pending_guard *g =
        h2o_mem_alloc_shared(&req->pool, sizeof *g, api_pending_guard_dispose);
    g->p = p;
    p->guard = g;
    p->req = req;
    p->on_expired = on_expired;
    p->deadline_ms = uv_now(l->timer.loop) + l->timeout_ms;
    p->list = l;
    p->next = &l->head;
    p->prev = l->head.prev;
    l->head.prev->next = p;
    l->head.prev = p;
    if (l->n++ == 0)
        api_pending_rearm(l);
}

h2o_req_t *api_pending_end(struct api_pending *p)
{
    struct api_pending_list *l = p->list;
    bool was_head = l != NULL && l->head.next == p;
    api_pending_unlink(p);
    if (was_head)
        api_pending_rearm(l);
    if (p->guard != NULL)
        p->guard->p = NULL;
    p->guard = NULL;
    h2o_req_t *req = p->req;
    p->req = NULL;
    return req;
}

bool api_pending_armed(const struct api_pending *p)
{
    return p->list != NULL;
}
