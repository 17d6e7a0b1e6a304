/*
 * test_port_sum.c — the per-destination summaries of the local ports in
 * use (struct port_sum in src/stack/stack.h). Two worlds, each a client
 * and a server stack on a direct link, run the same random sequence of
 * connects (some from a port bound first, with or without SO_REUSEADDR),
 * abortive closes, closes by either side (TIME_WAIT records on the client
 * when it closes first, their expiry and their takeover by tw_reuse) and
 * idle time. The client of one world makes summaries, the other's never:
 * every connect picks the same port in both, and every summary agrees,
 * port by port, with the connection index and the TIME_WAIT table.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "stack/stack.h"
#include "synack/synack.h"

#define CLIENT 0x0a000001u
#define SERVER 0x0a000002u
#define QUEUE 4096
#define LO 40000
#define HI 40511 /* 512 ports */
#define DESTS 4
/* REQUIRE for helpers that return a value: the test ends here, failed. */
#define MUST(cond)                                                                 \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "FAIL required: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                               \
        }                                                                          \
    } while (0)

struct world {
    synack_stack *a, *b; /* client, server */
    uint8_t pkt[2][QUEUE][128];
    size_t len[2][QUEUE];
    unsigned count[2];
    uint64_t now;
    int lsd[DESTS];
    /* per destination and client port: the client's and server's descriptors (or -1) */
    int csd[DESTS][HI - LO + 1], ssd[DESTS][HI - LO + 1];
};

static void push(struct world *w, int dir, const uint8_t *pkt, size_t len)
{
    if (w->count[dir] == QUEUE || len > sizeof w->pkt[0][0]) return; /* data-less segments only here */
    memcpy(w->pkt[dir][w->count[dir]], pkt, len);
    w->len[dir][w->count[dir]++] = len;
}
static void out_a(void *ctx, const uint8_t *pkt, size_t len) { push(ctx, 0, pkt, len); }
static void out_b(void *ctx, const uint8_t *pkt, size_t len) { push(ctx, 1, pkt, len); }

static void pump(struct world *w, int turns)
{
    static uint8_t copy[QUEUE][128];
    static size_t clen[QUEUE];
    for (int t = 0; t < turns; t++) {
        w->now += 1000;
        synack_stack_poll(w->a, w->now);
        synack_stack_poll(w->b, w->now);
        for (int dir = 0; dir < 2; dir++) {
            unsigned n = w->count[dir];
            for (unsigned i = 0; i < n; i++) {
                memcpy(copy[i], w->pkt[dir][i], w->len[dir][i]);
                clen[i] = w->len[dir][i];
            }
            w->count[dir] = 0;
            for (unsigned i = 0; i < n; i++) synack_stack_input(dir == 0 ? w->b : w->a, copy[i], clen[i], w->now);
        }
    }
}

static struct world *world_new(bool summaries)
{
    struct world *w = calloc(1, sizeof *w);
    MUST(w);
    w->now = 1000000;
    struct synack_config cfg;
    synack_config_init(&cfg);
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(7 * i + 1);
    cfg.addr = CLIENT;
    cfg.output = out_a;
    cfg.output_ctx = w;
    cfg.tunables.ephemeral_lo = LO;
    cfg.tunables.ephemeral_hi = HI;
    cfg.tunables.msl_ms = 1000; /* TIME_WAIT 2 s; tw_reuse may take one over after 1 s */
    cfg.tunables.tw_reuse = true;
    MUST(synack_stack_create(&w->a, &cfg) == 0);
    cfg.addr = SERVER;
    cfg.output = out_b;
    MUST(synack_stack_create(&w->b, &cfg) == 0);
    w->a->psum_on = summaries ? 4 : 0;
    for (int d = 0; d < DESTS; d++) {
        w->lsd[d] = synack_socket(w->b);
        MUST(synack_bind(w->b, w->lsd[d], &(struct synack_endpoint){0, (uint16_t)(80 + d)}) == 0);
        MUST(synack_listen(w->b, w->lsd[d], 4096) == 0);
    }
    for (int d = 0; d < DESTS; d++)
        for (int p = 0; p <= HI - LO; p++) w->csd[d][p] = w->ssd[d][p] = -1;
    return w;
}

static void world_free(struct world *w)
{
    synack_stack_destroy(w->a);
    synack_stack_destroy(w->b);
    free(w);
}

/* Accepts what the listeners have, filed by the client's port. */
static void accept_all(struct world *w)
{
    for (int d = 0; d < DESTS; d++) {
        struct synack_endpoint peer;
        int sd;
        while ((sd = synack_accept(w->b, w->lsd[d], &peer)) >= 0) {
            if (peer.port >= LO && peer.port <= HI && w->ssd[d][peer.port - LO] < 0) w->ssd[d][peer.port - LO] = sd;
            else synack_close(w->b, sd);
        }
    }
}

/* One connect toward destination d (from port `bind_port` if nonzero, with
 * SO_REUSEADDR if reuse): the client's port, or a negative errno. */
static int op_connect(struct world *w, int d, uint16_t bind_port, bool reuse)
{
    int sd = synack_socket(w->a);
    MUST(sd >= 0);
    if (bind_port) {
        int one = 1;
        if (reuse) synack_setsockopt(w->a, sd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, &one, sizeof one);
        int e = synack_bind(w->a, sd, &(struct synack_endpoint){0, bind_port});
        if (e < 0) {
            synack_close(w->a, sd);
            return e;
        }
    }
    int e = synack_connect(w->a, sd, &(struct synack_endpoint){SERVER, (uint16_t)(80 + d)});
    if (e != -EINPROGRESS) {
        synack_close(w->a, sd);
        return e;
    }
    struct synack_endpoint me;
    synack_getsockname(w->a, sd, &me);
    MUST(me.port >= LO && me.port <= HI);
    MUST(w->csd[d][me.port - LO] < 0);
    w->csd[d][me.port - LO] = sd;
    pump(w, 2);
    accept_all(w);
    return me.port;
}

/* Ends the pair (d, port): 0 abortive (RST), 1 client first (its
 * TIME_WAIT), 2 server first. */
static void op_close(struct world *w, int d, int p, int how)
{
    int c = w->csd[d][p], sv = w->ssd[d][p];
    if (how == 0) {
        struct synack_linger abort_close = {1, 0};
        synack_setsockopt(w->a, c, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &abort_close, sizeof abort_close);
        synack_close(w->a, c);
        pump(w, 2);
        if (sv >= 0) synack_close(w->b, sv);
    } else if (how == 1) {
        synack_close(w->a, c);
        pump(w, 2);
        if (sv >= 0) synack_close(w->b, sv);
    } else {
        if (sv >= 0) synack_close(w->b, sv);
        pump(w, 2);
        synack_close(w->a, c);
    }
    pump(w, 2);
    w->csd[d][p] = w->ssd[d][p] = -1;
}

static void summaries_are_exact_and_change_no_port(void)
{
    struct world *x = world_new(true), *y = world_new(false);
    uint32_t r = 12345;
    int differ = 0, checks = 0, wrong = 0, connects = 0, failed = 0, used_summary = 0;
    for (int op = 0; op < 12000; op++) {
        r = r * 1103515245u + 12345u;
        uint32_t v = r >> 8;
        int d = (int)(v % DESTS), kind = (int)((v >> 4) % 100);
        /* Phases: mostly connects, then mostly closes (summaries fall
         * below their threshold and go), then connects again. */
        int phase = (op / 2000) % 3;
        int connect_share = phase == 0 ? 70 : phase == 1 ? 20 : 60;
        if (kind < connect_share) {
            uint16_t bind_port = 0;
            bool reuse = false;
            if (kind < 6) bind_port = (uint16_t)(LO + (v >> 12) % (HI - LO + 1)), reuse = kind < 3;
            uint64_t had = x->a->psum_connects;
            int px = op_connect(x, d, bind_port, reuse), py = op_connect(y, d, bind_port, reuse);
            differ += px != py;
            connects++;
            failed += px < 0;
            used_summary += x->a->psum_connects != had;
        } else if (kind < 97) {
            int p0 = (int)((v >> 12) % (HI - LO + 1)), p = -1;
            for (int k = 0; k <= HI - LO && p < 0; k++)
                if (x->csd[d][(p0 + k) % (HI - LO + 1)] >= 0) p = (p0 + k) % (HI - LO + 1);
            if (p < 0) continue;
            int how = (int)((v >> 20) % 3);
            REQUIRE(y->csd[d][p] >= 0);
            op_close(x, d, p, how);
            op_close(y, d, p, how);
        } else {
            pump(x, 200);
            pump(y, 200);
        }
        if (op % 50 == 0) {
            wrong += (int)stack_psum_check(x->a);
            checks++;
        }
    }
    wrong += (int)stack_psum_check(x->a);
    CHECK_EQ(differ, 0);
    CHECK_EQ(wrong, 0);
    CHECK(checks > 100);
    CHECK(failed > 0 && failed < connects / 4); /* some ranges were full */
    CHECK(used_summary > connects / 4);
    CHECK(x->a->psum_built >= DESTS);
    CHECK(x->a->psum_dropped > 0); /* some fell below the threshold */
    CHECK_EQ(y->a->psum_built, 0);
    CHECK(x->a->ctr.curr_time_wait > 0 || x->a->psum_built > 0);
    fprintf(stderr, "connects %d (failed %d, with summaries %d), built %llu, dropped %llu, TIME_WAIT now %llu\n",
            connects, failed, used_summary, (unsigned long long)x->a->psum_built,
            (unsigned long long)x->a->psum_dropped, (unsigned long long)x->a->ctr.curr_time_wait);
    world_free(x);
    world_free(y);
}

TEST_MAIN(TEST(summaries_are_exact_and_change_no_port))
