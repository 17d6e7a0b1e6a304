/*
 * test_scenarios.c — every `synack lab --scenario` as a test: its state
 * sequence at each side, its key segments (the scenario's own check), its
 * expected outcome; the scenario list; command-line style overrides; and
 * the simulator's packet filter (targeted drops that leave the random
 * stream alone).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "harness.h"
#include "lab.h"
#include "scenarios.h"
#include "synack/sim.h"
#include "world.h"

static void expect_states(const enum synack_tcp_state *got, int n, const enum synack_tcp_state *want, int m,
                          const char *scenario, const char *who)
{
    int same = n == m;
    for (int i = 0; same && i < n; i++) same = got[i] == want[i];
    harness_checks++;
    if (!same) {
        HARNESS_FAIL("%s: %s states differ", scenario, who);
        for (int i = 0; i < n || i < m; i++)
            fprintf(stderr, "  [%d] got %-12s want %s\n", i, i < n ? synack_state_name(got[i]) : "-",
                    i < m ? synack_state_name(want[i]) : "-");
    }
}

static int run_scenario(const char *name, const char *const *sets, int nsets, struct lab_result *r)
{
    struct lab_options o;
    lab_options_default(&o);
    const struct scenario *sc = scenario_find(name);
    if (!sc) return -ENOENT;
    o.scenario = sc->name;
    scenario_apply_defaults(sc, &o);
    for (int i = 0; i < nsets; i++) o.set[o.nset++] = sets[i];
    return lab_run(&o, NULL, r);
}

/* Each scenario with its defaults: completes as expected, its states, its
 * key segments. */
static void every_scenario(void)
{
    static struct lab_result r; /* large: not on the stack */
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        int rc = run_scenario(sc->name, NULL, 0, &r);
        harness_checks++;
        if (rc != 0 || !r.completed) {
            HARNESS_FAIL("%s: lab_run returned %d: %s", sc->name, rc, r.failure);
            continue;
        }
        CHECK(r.data_ok);
        if (!sc->expect.no_data) CHECK(r.data_complete);
        CHECK_EQ(r.client_error, sc->expect.client_error);
        CHECK_EQ(r.server_error, sc->expect.server_error);
        expect_states(r.client_states, r.nclient_states, sc->expect.client, sc->expect.nclient, sc->name, "client");
        expect_states(r.server_states, r.nserver_states, sc->expect.server, sc->expect.nserver, sc->name, "server");
        REQUIRE(sc->check != NULL);
        char why[256] = "";
        harness_checks++;
        if (!sc->check(&r, why, sizeof why)) HARNESS_FAIL("%s: key segments: %s", sc->name, why);
        CHECK(r.nsegs < LAB_MAX_SEGS);
    }
}

/* The checks are not vacuous: against the plain handshake run, only the
 * scenarios that are the plain handshake pass theirs. */
static void checks_discriminate(void)
{
    static struct lab_result plain;
    REQUIRE(run_scenario("handshake", NULL, 0, &plain) == 0);
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        bool same_story = !strcmp(sc->name, "handshake") || !strcmp(sc->name, "close-client-first") ||
                          !strcmp(sc->name, "option-negotiation");
        char why[256] = "";
        bool ok = sc->check(&plain, why, sizeof why);
        harness_checks++;
        if (ok != same_story) HARNESS_FAIL("%s: its check %s the plain handshake", sc->name, ok ? "accepts" : "rejects");
        if (!ok) CHECK(why[0] != '\0');
    }
}

/* The list, all present, each with a title and an explanation that
 * cites where it comes from. */
static void list_names_them_all(void)
{
    static const char *const want[] = {
        "handshake", "lost-syn", "lost-synack", "lost-ack", "syn-to-closed-port", "simultaneous-open",
        "backlog-full", "fast-retransmit", "rto-retransmit", "out-of-order", "zero-window", "nagle",
        "delayed-ack", "close-client-first", "close-server-first", "half-close", "simultaneous-close",
        "lost-fin", "lost-fin-ack", "lost-last-ack", "time-wait-reuse", "linger-abort", "unread-data-rst",
        "keepalive-timeout", "rst-in-window", "syn-timeout",
        /* the seed topics */
        "lost-server-fin", "synack-retries", "fin-retries", "fin-timeout", "slow-start", "ecn", "option-negotiation",
        "isn", "syn-flood", "reuseaddr-bind", "rcvtimeo", "sndtimeo", "linger-close"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    REQUIRE(f != NULL);
    scenario_list(f);
    fclose(f);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "  %s ", want[i]);
        harness_checks++;
        if (!strstr(buf, needle)) HARNESS_FAIL("--list lacks %s", want[i]);
        const struct scenario *sc = scenario_find(want[i]);
        REQUIRE(sc != NULL);
        CHECK(strlen(sc->title) > 10);
        CHECK(strlen(sc->explanation) > 200);
        CHECK(strstr(sc->explanation, "RFC") != NULL);
    }
    CHECK_EQ(scenario_count, sizeof want / sizeof want[0]);
    CHECK(scenario_default() == scenario_find("handshake"));
    CHECK(scenario_find("bogus") == NULL);
    free(buf);
}

/* The default `synack lab` is the handshake scenario without the words. */
static void default_is_handshake(void)
{
    static struct lab_result a, b;
    struct lab_options o;
    lab_options_default(&o);
    CHECK_EQ(lab_run(&o, NULL, &a), 0);
    CHECK_EQ(run_scenario("handshake", NULL, 0, &b), 0);
    CHECK_EQ(a.nsegs, b.nsegs);
    CHECK_EQ(a.end_time_us, b.end_time_us);
    for (int i = 0; i < a.nsegs && i < b.nsegs; i++) {
        CHECK_EQ(a.segs[i].t_us, b.segs[i].t_us);
        CHECK_EQ(a.segs[i].flags, b.segs[i].flags);
    }
    o.scenario = "bogus";
    CHECK_EQ(lab_run(&o, NULL, &a), -ENOENT);
}

/* Overrides: tunables change the story. */
static void overrides(void)
{
    static struct lab_result r;
    /* lost-syn with no SYN retries: connect fails after one RTO. */
    static const char *const none[] = {"syn_retries=0"};
    CHECK_EQ(run_scenario("lost-syn", none, 1, &r), 1);
    CHECK(!r.completed);
    CHECK_EQ(r.client_error, -ETIMEDOUT);
    CHECK(strstr(r.failure, "timed out") != NULL);
    CHECK_EQ(r.end_time_us, 1000000);
    /* syn-timeout with 2 retries and no linear timeouts: SYNs at 0, 1 and
     * 3 s, ETIMEDOUT at 7 s. */
    static const char *const two[] = {"syn_retries=2", "syn_linear_timeouts=0"};
    CHECK_EQ(run_scenario("syn-timeout", two, 2, &r), 0);
    CHECK_EQ(r.nsegs, 3);
    CHECK_EQ(r.segs[1].t_us, 1000000);
    CHECK_EQ(r.segs[2].t_us, 3000000);
    CHECK_EQ(r.end_time_us, 7000000);
    /* with Linux 6.x's linear timeouts the same 7 s budget (Linux gives up by
     * time, measured on Linux 6.18) holds SYNs at 0, 1, 2, 3, 4 and 5 s. */
    static const char *const two_linear[] = {"syn_retries=2"};
    CHECK_EQ(run_scenario("syn-timeout", two_linear, 1, &r), 0);
    CHECK_EQ(r.nsegs, 6);
    CHECK_EQ(r.segs[5].t_us, 5000000);
    CHECK_EQ(r.end_time_us, 7000000);
    /* a longer delayed-ACK timer */
    static const char *const del[] = {"delack_ms=100"};
    CHECK_EQ(run_scenario("delayed-ack", del, 1, &r), 0);
    int req = -1;
    for (int i = 0; i < r.nsegs && req < 0; i++)
        if (r.segs[i].side == 0 && r.segs[i].len > 0) req = i;
    REQUIRE(req >= 0 && req + 1 < r.nsegs);
    CHECK_EQ(r.segs[req + 1].t_us, r.segs[req].t_us + 10000 + 100000);
    /* options from the command line go over the scenario's */
    struct lab_options o;
    lab_options_default(&o);
    const struct scenario *sc = scenario_find("fast-retransmit");
    o.scenario = sc->name;
    scenario_apply_defaults(sc, &o);
    CHECK_EQ(o.bytes, 20000);
    o.bytes = 30000;
    o.delay_ms = 25;
    CHECK_EQ(lab_run(&o, NULL, &r), 0);
    CHECK_EQ(r.response_received, 30000);
    CHECK_EQ(r.segs[1].t_us, 25000);
}

static char *run_to_string(const char *name)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static struct lab_result r;
    struct lab_options o;
    lab_options_default(&o);
    const struct scenario *sc = scenario_find(name);
    o.scenario = sc->name;
    scenario_apply_defaults(sc, &o);
    lab_run(&o, f, &r);
    fclose(f);
    return buf;
}

/* Ladders are reproducible and say what the scenario did to the packets. */
static void ladders(void)
{
    char *a = run_to_string("rst-in-window"), *b = run_to_string("rst-in-window");
    REQUIRE(a && b);
    CHECK_STR(a, b);
    CHECK(strstr(a, "(forged by an attacker)") != NULL);
    CHECK(strstr(a, "RFC 5961") != NULL);
    free(a);
    free(b);
    a = run_to_string("out-of-order");
    CHECK(strstr(a, "(held back 5.000 ms)") != NULL);
    free(a);
    a = run_to_string("backlog-full");
    CHECK(strstr(a, "[conn 2]") != NULL);
    free(a);
    a = run_to_string("lost-syn");
    CHECK(strstr(a, "---X  (lost)") != NULL);
    free(a);
}

/* ---- the simulator's filter ------------------------------------------------ */

struct sink {
    int got;
};
static void sink_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    (void)pkt, (void)len, (void)now;
    ((struct sink *)ctx)->got++;
}
static uint64_t sink_poll(void *ctx, uint64_t now)
{
    (void)ctx, (void)now;
    return SYNACK_SIM_NEVER;
}
static const struct synack_sim_host_ops sink_ops = {sink_deliver, sink_poll};

struct fates {
    int n;
    enum synack_sim_fate f[64];
    uint64_t t[64];
};
static void fate_tap(void *ctx, int from, int to, const uint8_t *pkt, size_t len, uint64_t now,
                     enum synack_sim_fate fate, int dup)
{
    (void)from, (void)to, (void)len, (void)now;
    struct fates *F = ctx;
    if (dup || F->n >= 64) return;
    F->f[pkt[4]] = fate; /* the IPv4 ident's high byte numbers the packets */
    F->n++;
}

struct plan {
    int drop, hold;
    int calls;
};
static enum synack_sim_verdict plan_filter(void *ctx, int from, int to, const uint8_t *pkt, size_t len,
                                           uint64_t now, uint64_t *extra)
{
    (void)from, (void)to, (void)len, (void)now;
    struct plan *p = ctx;
    p->calls++;
    if (pkt[4] == p->drop) return SYNACK_SIM_DROP;
    if (pkt[4] == p->hold) *extra = 5000;
    return SYNACK_SIM_PASS;
}

static void send_many(struct plan *p, struct fates *F, struct synack_sim_stats *st)
{
    struct synack_sim *sim = synack_sim_create(99);
    struct sink a = {0}, b = {0};
    int ha = synack_sim_add_host(sim, 0x0a000001u, &sink_ops, &a);
    int hb = synack_sim_add_host(sim, 0x0a000002u, &sink_ops, &b);
    struct synack_sim_link_params lp = {.delay_us = 1000, .loss = 0.3};
    synack_sim_link(sim, ha, hb, &lp, &lp);
    synack_sim_set_tap(sim, fate_tap, F);
    if (p) synack_sim_set_filter(sim, plan_filter, p);
    for (int i = 0; i < 40; i++) {
        uint8_t pkt[20] = {0x45, 0, 0, 20, (uint8_t)i, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
        synack_sim_send(sim, ha, pkt, sizeof pkt);
    }
    while (synack_sim_step(sim, UINT64_MAX) != SYNACK_SIM_NEVER) {
    }
    synack_sim_get_stats(sim, st);
    synack_sim_destroy(sim);
}

static void sim_filter(void)
{
    struct fates plain = {0}, filtered = {0};
    struct synack_sim_stats s1, s2;
    send_many(NULL, &plain, &s1);
    /* drop a packet the random loss delivered, hold another back */
    int drop = -1, hold = -1;
    for (int i = 0; i < 40; i++) {
        if (plain.f[i] != SYNACK_SIM_SENT) continue;
        if (drop < 0) drop = i;
        else if (hold < 0) hold = i;
    }
    REQUIRE(drop >= 0 && hold >= 0);
    struct plan p = {drop, hold, 0};
    send_many(&p, &filtered, &s2);
    CHECK_EQ(p.calls, 40);
    for (int i = 0; i < 40; i++) {
        if (i == drop) CHECK_EQ(filtered.f[i], SYNACK_SIM_LOST);
        else CHECK_EQ(filtered.f[i], plain.f[i]); /* the random stream did not shift */
    }
    CHECK_EQ(s2.filtered, 1);
    CHECK_EQ(s2.lost, s1.lost + 1);
    CHECK_EQ(s2.delivered, s1.delivered - 1);
    CHECK_EQ(s2.reordered, s1.reordered + 1);
    CHECK_EQ(s1.filtered, 0);
}

TEST_MAIN(TEST(list_names_them_all), TEST(every_scenario), TEST(checks_discriminate), TEST(default_is_handshake), TEST(overrides),
          TEST(ladders), TEST(sim_filter))
