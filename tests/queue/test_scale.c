/*
 * tests/queue/test_scale.c: the worker-count computation (queue/scale.c)
 * on cases worked out by hand from the formula in scale.h, with the
 * default policy unless a case says otherwise: 2-10 workers, drain 120 s,
 * age 60 s, utilisation 0.8, down margin 0.25, steps +2 / -1, cooldowns
 * 120 s up / 600 s down.
 */
#include "queue/scale.h"
#include "tests/test.h"

enum { NOW = 10000000 }; /* ms; "never changed" is last_change 0 */

static struct scale_policy policy(void)
{
    struct scale_policy p;
    scale_policy_default(&p);
    return p;
}

/* webhooks: 100/s of 50 ms jobs on 32 slots: 100 × 0.05 = 5 busy slots,
 * 5 / (32 × 0.8) = 0.195 → 1 worker. */
static const struct scale_queue webhooks = {"webhooks", 0, 0.0, 100, 0.05, 32};

static struct scale_queue sync_queue(int64_t ready, double arrival)
{
    return (struct scale_queue){"sync", ready, 0.0, arrival, 2.0, 4};
}

TEST(need_of_one_queue_by_hand)
{
    struct scale_policy p = policy();
    CHECK_INT(scale_queue_need(&p, &webhooks, 2, 0), 1);
    /* sync: 0.5/s + 600 ready / 120 s = 5.5 jobs/s × 2 s = 11 busy slots,
     * 11 / (4 × 0.8) = 3.44 → 4 workers. */
    struct scale_queue s = sync_queue(600, 0.5);
    CHECK_INT(scale_queue_need(&p, &s, 2, 0), 4);
    /* With the 0.25 margin: 6.875 × 2 / 3.2 = 4.30 → 5. */
    CHECK_INT(scale_queue_need(&p, &s, 2, 0.25), 5);
    /* An idle queue needs nothing. */
    struct scale_queue idle = sync_queue(0, 0);
    CHECK_INT(scale_queue_need(&p, &idle, 3, 0), 0);
}

TEST(exact_multiples_do_not_round_up)
{
    struct scale_policy p = policy();
    /* 3.2 jobs/s × 2 s = 6.4 busy slots / 3.2 per worker = exactly 2. */
    struct scale_queue s = sync_queue(0, 3.2);
    CHECK_INT(scale_queue_need(&p, &s, 1, 0), 2);
}

TEST(the_busiest_queue_decides_and_steps_up)
{
    struct scale_policy p = policy();
    struct scale_queue qs[] = {webhooks, sync_queue(600, 0.5)};
    struct scale_decision d;
    scale_decide(&p, qs, 2, 2, 0, NOW, &d);
    CHECK_INT(d.need, 4);
    CHECK_STR(d.queue, "sync");
    CHECK_INT(d.desired, 4); /* 2 + step 2 reaches the need */
    CHECK_INT(d.reason, SCALE_UP);
}

TEST(step_limit_caps_a_big_jump)
{
    struct scale_policy p = policy();
    /* 0.5 + 2000 / 120 = 17.17 jobs/s × 2 s = 34.33 / 3.2 = 10.73 → 11. */
    struct scale_queue qs[] = {sync_queue(2000, 0.5)};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 2, 0, NOW, &d);
    CHECK_INT(d.need, 11);
    CHECK_INT(d.desired, 4); /* two at a time */
    CHECK_INT(d.reason, SCALE_UP);
    scale_decide(&p, qs, 1, 8, NOW - 200000, NOW, &d);
    CHECK_INT(d.desired, 10); /* and never past max */
    scale_decide(&p, qs, 1, 10, NOW - 200000, NOW, &d);
    CHECK_INT(d.desired, 10);
    CHECK_INT(d.reason, SCALE_CAPPED);
}

TEST(cooldown_holds_a_change)
{
    struct scale_policy p = policy();
    struct scale_queue qs[] = {sync_queue(600, 0.5)};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 2, NOW - 60000, NOW, &d); /* 60 s < 120 s */
    CHECK_INT(d.desired, 2);
    CHECK_INT(d.reason, SCALE_COOLDOWN);
    scale_decide(&p, qs, 1, 2, NOW - 120000, NOW, &d); /* exactly 120 s */
    CHECK_INT(d.desired, 4);
}

TEST(down_one_at_a_time_after_the_long_cooldown)
{
    struct scale_policy p = policy();
    /* 0.5/s × 2 s = 1 busy slot → 1 worker (0.39, with the margin 0.39 too);
     * the target is min = 2, one step from 5 is 4. */
    struct scale_queue qs[] = {sync_queue(0, 0.5)};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 5, NOW - 300000, NOW, &d); /* 300 s < 600 s */
    CHECK_INT(d.reason, SCALE_COOLDOWN);
    CHECK_INT(d.desired, 5);
    scale_decide(&p, qs, 1, 5, NOW - 700000, NOW, &d);
    CHECK_INT(d.reason, SCALE_DOWN);
    CHECK_INT(d.desired, 4);
    scale_decide(&p, qs, 1, 2, NOW - 700000, NOW, &d); /* at min: stays */
    CHECK_INT(d.reason, SCALE_STEADY);
    CHECK_INT(d.desired, 2);
}

/* Rate r on sync (2 s jobs, 4 slots): need = ceil(r × 2 / 3.2). */
static int decide_at(double rate, int current)
{
    struct scale_policy p = policy();
    struct scale_queue qs[] = {sync_queue(0, rate)};
    struct scale_decision d;
    scale_decide(&p, qs, 1, current, NOW - 3600000, NOW, &d);
    return d.desired;
}

TEST(a_load_at_a_boundary_does_not_flap)
{
    /* 4 workers carry 6.4 jobs/s. At 6.2/s: need 3.875 → 4, stay. */
    CHECK_INT(decide_at(6.2, 4), 4);
    /* At 5.0/s need is 3.125 → 4: stay. At 4.6/s need is 2.875 → 3 going
     * up, but going down the margin makes it 4.6 × 1.25 × 2 / 3.2 = 3.59
     * → 4: stay. */
    CHECK_INT(decide_at(5.0, 4), 4);
    CHECK_INT(decide_at(4.6, 4), 4);
    /* Only at 3.84/s (3.84 × 1.25 × 2 / 3.2 = 3.0) does it go down to 3 … */
    CHECK_INT(decide_at(3.84, 4), 3);
    /* … and with 3 workers the same 3.84/s (need 2.4 → 3) stays at 3:
     * no way back up without more load. */
    CHECK_INT(decide_at(3.84, 3), 3);
    /* Up again only above 3 × 3.2 / 2 = 4.8/s. */
    CHECK_INT(decide_at(4.8, 3), 3);
    CHECK_INT(decide_at(4.9, 3), 4);
}

TEST(an_old_job_asks_for_one_more)
{
    struct scale_policy p = policy();
    /* 10 ready 100 ms jobs: 10 / 120 × 0.1 / 3.2 → 1 by rate, but the next
     * job has waited 90 s > 60 s: current + 1 = 3. */
    struct scale_queue qs[] = {{"sync", 10, 90.0, 0, 0.1, 4}};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 2, 0, NOW, &d);
    CHECK_INT(d.need, 3);
    CHECK_INT(d.desired, 3);
    CHECK_INT(d.reason, SCALE_UP);
}

TEST(unknown_capacity_keeps_what_runs)
{
    struct scale_policy p = policy();
    /* No run time measured yet: ready jobs keep the current count. */
    struct scale_queue qs[] = {{"fresh", 5, 1.0, 2.0, 0.0, 4}};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 3, 0, NOW, &d);
    CHECK_INT(d.need, 3);
    CHECK_INT(d.desired, 3);
    CHECK_INT(d.reason, SCALE_STEADY);
    CHECK_INT(scale_queue_need(&p, &qs[0], 0, 0), 1);
    qs[0].ready = 0; /* nothing to do: no need */
    CHECK_INT(scale_queue_need(&p, &qs[0], 3, 0), 0);
}

TEST(bounds_apply_at_once)
{
    struct scale_policy p = policy();
    struct scale_queue qs[] = {webhooks};
    struct scale_decision d;
    scale_decide(&p, qs, 1, 0, NOW - 1000, NOW, &d); /* cooldown ignored */
    CHECK_INT(d.desired, 2);
    CHECK_INT(d.reason, SCALE_BOUNDS);
    scale_decide(&p, qs, 1, 14, NOW - 1000, NOW, &d);
    CHECK_INT(d.desired, 10);
    CHECK_INT(d.reason, SCALE_BOUNDS);
    scale_decide(&p, NULL, 0, 2, 0, NOW, &d); /* no queues at all */
    CHECK_INT(d.desired, 2);
    CHECK(d.queue == NULL);
}

TEST(policy_from_text)
{
    struct scale_policy p = policy();
    CHECK_INT(scale_policy_set(&p, "SCALE_MAX_WORKERS", "6"), 0);
    CHECK_INT(p.max_workers, 6);
    CHECK_INT(scale_policy_set(&p, "SCALE_COOLDOWN_DOWN_S", "90.5"), 0);
    CHECK_INT(p.cooldown_down_ms, 90500);
    CHECK_INT(scale_policy_set(&p, "SCALE_UTILISATION", "0.5"), 0);
    CHECK(fabs(p.utilisation - 0.5) < 1e-12);
    CHECK_INT(scale_policy_set(&p, "SCALE_MAX_WORKERS", "101"), -1);
    CHECK_INT(scale_policy_set(&p, "SCALE_MAX_WORKERS", "2.5"), -1);
    CHECK_INT(scale_policy_set(&p, "SCALE_MIN_WORKERS", ""), -1);
    CHECK_INT(scale_policy_set(&p, "SCALE_UTILISATION", "0"), -1);
    CHECK_INT(scale_policy_set(&p, "SCALE_DRAIN_S", "abc"), -1);
    CHECK_INT(scale_policy_set(&p, "SCALE_NOPE", "1"), -1);
    CHECK_INT(p.max_workers, 6); /* failures leave it unchanged */
    CHECK_INT(scale_policy_check(&p), 0);
    CHECK_INT(scale_policy_set(&p, "SCALE_MIN_WORKERS", "7"), 0);
    CHECK_INT(scale_policy_check(&p), -1); /* min > max */
    size_t n = 0;
    while (scale_policy_names[n])
        n++;
    CHECK_INT(n, 10);
}

TEST(reason_names)
{
    CHECK_STR(scale_reason_name(SCALE_STEADY), "steady");
    CHECK_STR(scale_reason_name(SCALE_COOLDOWN), "cooldown");
    CHECK_STR(scale_reason_name(SCALE_BOUNDS), "bounds");
    CHECK_STR(scale_reason_name((enum scale_reason)42), "unknown");
}
