/*
 * test_timer_wheel.c — the hierarchical timing wheel (src/util) against a
 * plain reference model: random arms, cancels and jumps of time, near and
 * far deadlines; nothing fires early or late, the next-deadline answer is
 * never later than the earliest deadline, and the work done stays
 * proportional to the nodes that fire or move down, not to those pending.
 */
#include "harness.h"
#include "util/timer_wheel.h"

static void fires_at_deadline_not_before(void)
{
    static struct timer_wheel w;
    timer_wheel_init(&w, 0);
    struct timer_node n;
    timer_node_init(&n);
    timer_set(&w, &n, 200000); /* 200 ms */
    CHECK(timer_pending(&n));
    CHECK(timer_next_deadline(&w) <= 200000);
    CHECK(timer_expire(&w, 199999) == NULL);   /* T-1: nothing */
    CHECK_EQ(timer_next_deadline(&w), 200000); /* moved down: now exact */
    CHECK(timer_expire(&w, 200000) == &n);     /* T: fires */
    CHECK(!timer_pending(&n));
    CHECK(timer_expire(&w, 200000) == NULL);
    CHECK_EQ(timer_next_deadline(&w), TIMER_NEVER);
    CHECK_EQ(w.count, 0);
}

static void far_future_and_cancel(void)
{
    static struct timer_wheel w;
    timer_wheel_init(&w, 0);
    struct timer_node a, b, c, d;
    timer_node_init(&a);
    timer_node_init(&b);
    timer_node_init(&c);
    timer_node_init(&d);
    timer_set(&w, &a, 60000000);             /* 60 s */
    timer_set(&w, &d, 7200000000ull * 1000); /* 83 days */
    timer_set(&w, &b, 5000);
    timer_set(&w, &c, 7000);
    CHECK(timer_next_deadline(&w) <= 5000);
    timer_cancel(&w, &b);
    CHECK(!timer_pending(&b));
    timer_cancel(&w, &b); /* twice: harmless */
    CHECK(timer_next_deadline(&w) <= 7000);
    CHECK(timer_expire(&w, 6999) == NULL);
    CHECK(timer_expire(&w, 7000) == &c);
    /* Follow the wheel's own wake-up times: a few per level, never past a. */
    uint64_t t = 7000;
    int wakeups = 0;
    for (;;) {
        uint64_t nd = timer_next_deadline(&w);
        CHECK(nd > t);
        REQUIRE(nd <= 60000000);
        t = nd;
        wakeups++;
        struct timer_node *n = timer_expire(&w, t);
        if (n) {
            CHECK(n == &a);
            CHECK_EQ(t, 60000000);
            break;
        }
    }
    CHECK(wakeups <= 2 * (int)TIMER_LEVELS);
    CHECK_EQ(w.count, 1);
    /* One jump past everything fires the far one, exactly due. */
    CHECK(timer_expire(&w, UINT64_MAX - 1) == &d);
    CHECK_EQ(w.count, 0);
}

static void late_and_never(void)
{
    static struct timer_wheel w;
    timer_wheel_init(&w, 1000000);
    struct timer_node n;
    timer_node_init(&n);
    timer_set(&w, &n, 5); /* already past: due at the next expiry */
    CHECK_EQ(timer_next_deadline(&w), 1000000);
    CHECK(timer_expire(&w, 1000000) == &n);
    timer_set(&w, &n, 2000000);
    timer_set(&w, &n, TIMER_NEVER); /* cancels */
    CHECK(!timer_pending(&n));
    CHECK_EQ(timer_next_deadline(&w), TIMER_NEVER);
    /* Re-filing moves it: only the new deadline counts. */
    timer_set(&w, &n, 3000000);
    timer_set(&w, &n, 1500000);
    CHECK(timer_expire(&w, 1499999) == NULL);
    CHECK(timer_expire(&w, 1500000) == &n);
    CHECK(timer_expire(&w, 3000000) == NULL);
}

static uint64_t rng_next(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return *rng >> 11;
}

/* Against a reference model (an array of deadlines): random sets, cancels
 * and jumps of time, at every scale from microseconds to hours. */
static void matches_reference(void)
{
    static struct timer_wheel w;
    uint64_t start = 123456789;
    timer_wheel_init(&w, start);
    enum { N = 500 };
    static struct timer_node nodes[N];
    static uint64_t want[N];
    for (int i = 0; i < N; i++) {
        timer_node_init(&nodes[i]);
        want[i] = TIMER_NEVER;
    }
    static const uint64_t scale[] = {10, 1000, 70000, 5000000, 70000000, 8000000000ull};
    uint64_t now = start, rng = 12345;
    int early = 0, late = 0, wrong_next = 0, fired = 0;
    for (int step = 0; step < 200000; step++) {
        uint64_t r = rng_next(&rng);
        int i = (int)(r % N);
        unsigned op = (unsigned)(r >> 20) % 8;
        if (op == 0) {
            timer_cancel(&w, &nodes[i]);
            want[i] = TIMER_NEVER;
        } else if (op <= 4) {
            uint64_t d = now + rng_next(&rng) % scale[rng_next(&rng) % 6];
            timer_set(&w, &nodes[i], d);
            want[i] = d;
        } else {
            uint64_t ref = TIMER_NEVER;
            for (int k = 0; k < N; k++)
                if (want[k] < ref) ref = want[k];
            uint64_t next = timer_next_deadline(&w);
            if (next > ref || (ref == TIMER_NEVER) != (next == TIMER_NEVER)) wrong_next++;
            /* Sometimes step to the wheel's own wake-up, sometimes jump. */
            if (op == 5 && next != TIMER_NEVER) now = next;
            else now += rng_next(&rng) % scale[rng_next(&rng) % 6];
            struct timer_node *n;
            while ((n = timer_expire(&w, now)) != NULL) {
                int k = (int)(n - nodes);
                if (want[k] > now) early++;
                want[k] = TIMER_NEVER;
                fired++;
            }
            for (int k = 0; k < N; k++)
                if (want[k] <= now) late++; /* due but not fired */
        }
        unsigned pending = 0;
        for (int k = 0; k < N; k++) pending += want[k] != TIMER_NEVER;
        if (pending != w.count) {
            CHECK_EQ(w.count, pending);
            return;
        }
    }
    CHECK_EQ(early, 0);
    CHECK_EQ(late, 0);
    CHECK_EQ(wrong_next, 0);
    CHECK(fired > 10000);
}

/* Exactness when stepping to the reported deadlines: a timer fires at the
 * first expiry call at or after its deadline, which is its deadline. */
static void fires_exactly_on_time(void)
{
    static struct timer_wheel w;
    timer_wheel_init(&w, 0);
    enum { N = 64 };
    static struct timer_node nodes[N];
    uint64_t rng = 99, want[N];
    for (int i = 0; i < N; i++) {
        timer_node_init(&nodes[i]);
        want[i] = 1 + rng_next(&rng) % 100000000000ull;
        timer_set(&w, &nodes[i], want[i]);
    }
    int exact = 0;
    uint64_t now = 0;
    while (w.count) {
        uint64_t next = timer_next_deadline(&w);
        REQUIRE(next != TIMER_NEVER && next >= now);
        now = next;
        struct timer_node *n;
        while ((n = timer_expire(&w, now)) != NULL) exact += want[n - nodes] == now;
    }
    CHECK_EQ(exact, N);
}

/* The cost of one poll does not depend on how many timers are pending:
 * a million far timers add nothing to the work of firing a near one. */
static void work_independent_of_pending(void)
{
    static struct timer_wheel w;
    timer_wheel_init(&w, 0);
    enum { FAR = 1000000 };
    struct timer_node *far = calloc(FAR, sizeof *far);
    REQUIRE(far != NULL);
    for (int i = 0; i < FAR; i++) {
        timer_node_init(&far[i]);
        timer_set(&w, &far[i], 60000000 + (uint64_t)i); /* 60 s out */
    }
    struct timer_node near;
    timer_node_init(&near);
    uint64_t work_before = w.work, steps = 0;
    for (uint64_t t = 1000; t < 1000000; t += 1000) { /* 1000 polls, 1 ms apart */
        timer_set(&w, &near, t + 500);
        CHECK(timer_next_deadline(&w) <= t + 500);
        CHECK(timer_expire(&w, t) == NULL);
        steps++;
    }
    CHECK(w.work - work_before <= steps * TIMER_LEVELS);
    CHECK_EQ(w.count, FAR + 1);
    /* And each far node moves down at most once per level on its way. */
    work_before = w.work;
    timer_cancel(&w, &near);
    unsigned n = 0;
    while (timer_expire(&w, 60000000 + FAR)) n++;
    CHECK_EQ(n, FAR);
    CHECK(w.work - work_before <= (uint64_t)FAR * TIMER_LEVELS);
    free(far);
}

TEST_MAIN(TEST(fires_at_deadline_not_before), TEST(far_future_and_cancel), TEST(late_and_never),
          TEST(matches_reference), TEST(fires_exactly_on_time), TEST(work_independent_of_pending))
