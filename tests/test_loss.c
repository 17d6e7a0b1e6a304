/*
 * test_loss.c — congestion control and loss recovery.
 *
 * - CUBIC (RFC 9438): the cut to beta = 0.7 on a loss, the window's climb
 *   back to W_max at time K along the cubic curve (concave, then convex),
 *   fast convergence, the Reno-friendly region;
 * - HyStart++ (RFC 9406): a round-trip time rising by more than the
 *   threshold moves slow start into Conservative Slow Start (a quarter of
 *   the growth), which ends slow start after CSS_ROUNDS rounds, or returns
 *   to slow start when the RTT drops back;
 * - NewReno: half the flight on a loss, one MSS per window after;
 * - the choice of algorithm: tunable, TCP_CONGESTION, TCP_INFO.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#define MSS 1000u

/* A connection as the algorithms see it: nothing but windows and RTTs,
 * and the transfer block that holds the algorithm's state (one test's
 * connection at a time). */
static struct tcp_xfer xfer_for_cc;
static void conn_for_cc(struct tcp_conn *c, const struct tcp_cc_ops *cc, uint32_t cwnd)
{
    memset(c, 0, sizeof *c);
    memset(&xfer_for_cc, 0, sizeof xfer_for_cc);
    c->x = &xfer_for_cc;
    c->snd_mss = MSS;
    c->cwnd = cwnd;
    c->ssthresh = UINT32_MAX;
    c->srtt = 100000;
    c->cc = cc;
    c->cwnd_limited = true;
    cc->init(c);
}

/* One round trip of ACKs, one per MSS, every ACK taking the given RTT:
 * the flight is the whole window (cwnd-limited). Returns the time after. */
static uint64_t one_round(struct tcp_conn *c, uint64_t now, uint32_t rtt_us)
{
    uint32_t flight = c->cwnd;
    c->snd_max = c->snd_una + flight;
    uint32_t step = flight / MSS ? rtt_us / (flight / MSS) : rtt_us;
    for (uint32_t done = 0; done + MSS <= flight; done += MSS) {
        now += step;
        c->snd_una += MSS;
        if (c->cc->pkts_acked) c->cc->pkts_acked(c, MSS, rtt_us, now);
        c->cc->cong_avoid(c, MSS, now);
    }
    c->snd_una = c->snd_max;
    return now;
}

static void cubic_cuts_to_beta_and_climbs_back_along_the_curve(void)
{
    struct tcp_conn c;
    conn_for_cc(&c, &tcp_cc_cubic, 100u * MSS);
    uint64_t now = 1000000;
    c.ssthresh = c.cc->ssthresh(&c, now);
    CHECK_EQ(c.ssthresh, 70u * MSS); /* beta = 0.7 */
    c.cwnd = c.ssthresh;
    struct synack_tcp_info ti = {0};
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_wmax, 100u * MSS);
    /* K = cbrt(W_max (1 - beta) / C) = cbrt(30 / 0.4) s = 4.217 s. */
    now = one_round(&c, now, 100000);
    c.cc->get_info(&c, &ti);
    CHECK(ti.ca_k_us > 4200000 && ti.ca_k_us < 4230000);
    uint64_t epoch = now - 100000;
    uint32_t at_half = 0, at_k = 0;
    while (now - epoch < 2 * 4217000ull) {
        now = one_round(&c, now, 100000);
        if (!at_half && now - epoch >= 4217000ull / 2) at_half = c.cwnd;
        if (!at_k && now - epoch >= 4217000ull) at_k = c.cwnd;
    }
    /* Concave below W_max: most of the way back by K/2 (the curve gives
     * W_max - 0.4 * 2.1^3 = 96.3 segments), then a plateau at W_max around K,
     * then convex growth past it. */
    CHECK(at_half > 90u * MSS && at_half < 100u * MSS);
    CHECK(at_k >= 98u * MSS && at_k <= 102u * MSS);
    CHECK(c.cwnd > 110u * MSS);
    /* The curve at 2K is W_max + 0.4 K^3 = 130 segments (one RTT ahead). */
    CHECK(c.cwnd < 140u * MSS);
}

static void cubic_fast_convergence_lowers_w_max(void)
{
    struct tcp_conn c;
    conn_for_cc(&c, &tcp_cc_cubic, 100u * MSS);
    c.ssthresh = c.cc->ssthresh(&c, 1);
    c.cwnd = 80u * MSS; /* a second loss before reaching the old W_max */
    c.ssthresh = c.cc->ssthresh(&c, 2);
    struct synack_tcp_info ti = {0};
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_wmax, 68u * MSS); /* 80 * (1 + 0.7) / 2 */
    CHECK_EQ(c.ssthresh, 56u * MSS);
    /* A third loss at 75: below the previous window (80) but above W_max as
     * fast convergence left it (68): no fast convergence (RFC 9438 4.7
     * compares with W_max, as Linux's last_max_cwnd). */
    c.cwnd = 75u * MSS;
    c.ssthresh = c.cc->ssthresh(&c, 3);
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_wmax, 75u * MSS);
    /* A fourth at 70, below that W_max: fast convergence again. */
    c.cwnd = 70u * MSS;
    c.ssthresh = c.cc->ssthresh(&c, 4);
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_wmax, 59500u); /* 70 * 1.7 / 2 segments */
}

static void cubic_reno_friendly_region_when_the_window_is_small(void)
{
    /* With a small W_max and a long RTT the cubic curve is flatter than
     * Reno's line: the Reno-friendly estimate drives growth (RFC 9438 4.3),
     * about 0.53 segments per RTT at first. */
    struct tcp_conn c;
    conn_for_cc(&c, &tcp_cc_cubic, 10u * MSS);
    c.srtt = 1000000;
    c.ssthresh = c.cc->ssthresh(&c, 1);
    c.cwnd = c.ssthresh;
    uint64_t now = 1000000;
    for (int i = 0; i < 4; i++) now = one_round(&c, now, 1000000);
    CHECK(c.cwnd >= 8u * MSS);
}

/* A CUBIC connection after two rounds of slow start at 100 ms: plain slow
 * start, the window doubled twice. Returns the time. */
static uint64_t two_rounds_of_slow_start(struct tcp_conn *c)
{
    conn_for_cc(c, &tcp_cc_cubic, 10u * MSS);
    uint64_t now = one_round(c, 1000000, 100000);
    now = one_round(c, now, 100000);
    struct synack_tcp_info ti = {0};
    c->cc->get_info(c, &ti);
    CHECK_EQ(ti.ca_hystart, 0);
    CHECK_EQ(c->cwnd, 40u * MSS);
    return now;
}

static void hystart_css_then_exit_after_five_rounds(void)
{
    struct tcp_conn c;
    uint64_t now = two_rounds_of_slow_start(&c);
    struct synack_tcp_info ti = {0};
    /* The RTT rises by 20 ms (> max(4 ms, 100/8 ms)): CSS. */
    now = one_round(&c, now, 120000);
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_hystart, 1);
    uint32_t before = c.cwnd;
    now = one_round(&c, now, 120000);
    /* A quarter of slow start's growth per round in CSS (one ACK per full
     * MSS of the window). */
    CHECK_EQ(c.cwnd - before, (before / MSS) * MSS / 4);
    CHECK(c.ssthresh == UINT32_MAX);
    for (int i = 0; i < 5; i++) now = one_round(&c, now, 120000);
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_hystart, 2);
    /* Slow start ended when the fifth CSS round began (the round CSS was
     * entered in counts): ssthresh is the window then; the two rounds since
     * were congestion avoidance (about one MSS each). */
    CHECK(c.ssthresh != UINT32_MAX && c.ssthresh <= c.cwnd && c.cwnd - c.ssthresh <= 4 * MSS);
    CHECK(!tcp_cc_in_slow_start(&c));
}

static void hystart_rtt_back_down_resumes_slow_start(void)
{
    struct tcp_conn c;
    uint64_t now = two_rounds_of_slow_start(&c);
    struct synack_tcp_info ti = {0};
    now = one_round(&c, now, 130000);
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_hystart, 1);
    now = one_round(&c, now, 100000); /* below the CSS baseline */
    c.cc->get_info(&c, &ti);
    CHECK_EQ(ti.ca_hystart, 0);
    uint32_t before = c.cwnd;
    now = one_round(&c, now, 100000);
    CHECK_EQ(c.cwnd, 2 * before);
}

static void newreno_halves_flight_and_adds_one_mss_per_window(void)
{
    struct tcp_conn c;
    conn_for_cc(&c, &tcp_cc_newreno, 40u * MSS);
    c.snd_una = 0;
    c.snd_max = 40u * MSS;
    c.ssthresh = c.cc->ssthresh(&c, 1);
    CHECK_EQ(c.ssthresh, 20u * MSS);
    c.cwnd = c.ssthresh;
    uint64_t now = 1;
    for (int i = 0; i < 5; i++) now = one_round(&c, now, 100000);
    CHECK_EQ(c.cwnd, 25u * MSS);
}

static void ignore_output(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    (void)pkt;
    (void)len;
}

static void algorithm_by_tunable_and_socket_option(void)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.output = ignore_output;
    CHECK_STR(cfg.tunables.congestion_control, "cubic");
    synack_stack *st;
    REQUIRE(synack_stack_create(&st, &cfg) == 0);
    struct synack_tunables t;
    synack_stack_get_tunables(st, &t);
    snprintf(t.congestion_control, sizeof t.congestion_control, "vegas");
    CHECK_EQ(synack_stack_set_tunables(st, &t), -EINVAL);
    snprintf(t.congestion_control, sizeof t.congestion_control, "reno");
    CHECK_EQ(synack_stack_set_tunables(st, &t), 0);
    int sd = synack_socket(st);
    char name[16] = "";
    size_t len = sizeof name;
    CHECK_EQ(synack_getsockopt(st, sd, SYNACK_SOL_TCP, SYNACK_TCP_CONGESTION, name, &len), 0);
    CHECK_STR(name, "reno");
    CHECK_EQ(synack_setsockopt(st, sd, SYNACK_SOL_TCP, SYNACK_TCP_CONGESTION, "bbr", 3), -ENOENT);
    CHECK_EQ(synack_setsockopt(st, sd, SYNACK_SOL_TCP, SYNACK_TCP_CONGESTION, "cubic", 5), 0);
    len = sizeof name;
    CHECK_EQ(synack_getsockopt(st, sd, SYNACK_SOL_TCP, SYNACK_TCP_CONGESTION, name, &len), 0);
    CHECK_STR(name, "cubic");
    CHECK_EQ(len, 6);
    synack_close(st, sd);
    synack_stack_destroy(st);
}

TEST_MAIN(TEST(cubic_cuts_to_beta_and_climbs_back_along_the_curve), TEST(cubic_fast_convergence_lowers_w_max),
          TEST(cubic_reno_friendly_region_when_the_window_is_small), TEST(hystart_css_then_exit_after_five_rounds),
          TEST(hystart_rtt_back_down_resumes_slow_start), TEST(newreno_halves_flight_and_adds_one_mss_per_window),
          TEST(algorithm_by_tunable_and_socket_option))
