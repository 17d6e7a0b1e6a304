/*
 * test_idle_memory.c — what an idle connection holds, and the transfer
 * block (struct tcp_xfer) taken on demand: none after the handshake, taken
 * by the first byte queued or received, given back to the stack's spares
 * when the connection is freed and reused from there; a connection that
 * went through SACK loss recovery delivers every byte, lets its scoreboard
 * go once recovery is over, and counts what it resent. Two stacks on a
 * direct link that can drop chosen packets; the clock is virtual.
 */
#include <errno.h>

#include "harness.h"
#include "stack/stack.h"
#include "synack/synack.h"

#define CLIENT 0x0a000001u
#define SERVER 0x0a000002u
#define QUEUE 512

struct link {
    synack_stack *a, *b;
    uint8_t pkt[2][QUEUE][1600];
    size_t len[2][QUEUE];
    unsigned count[2];
    unsigned sent_to_b;      /* packets a sent so far */
    unsigned drop_to_b;      /* drop a's packet with this number (1-based; 0: none) */
    uint64_t now;
};

static void push(struct link *l, int dir, const uint8_t *pkt, size_t len)
{
    if (l->count[dir] == QUEUE || len > sizeof l->pkt[0][0]) abort();
    memcpy(l->pkt[dir][l->count[dir]], pkt, len);
    l->len[dir][l->count[dir]++] = len;
}
static void out_a(void *ctx, const uint8_t *pkt, size_t len)
{
    struct link *l = ctx;
    if (++l->sent_to_b == l->drop_to_b) return;
    push(l, 0, pkt, len);
}
static void out_b(void *ctx, const uint8_t *pkt, size_t len) { push(ctx, 1, pkt, len); }

/* Delivers until the link is quiet, 1 ms a turn (timers run). */
static void pump(struct link *l, int turns)
{
    for (int t = 0; t < turns; t++) {
        l->now += 1000;
        synack_stack_poll(l->a, l->now);
        synack_stack_poll(l->b, l->now);
        for (int dir = 0; dir < 2; dir++) {
            static uint8_t copy[QUEUE][1600];
            static size_t clen[QUEUE];
            unsigned n = l->count[dir];
            for (unsigned i = 0; i < n; i++) {
                memcpy(copy[i], l->pkt[dir][i], l->len[dir][i]);
                clen[i] = l->len[dir][i];
            }
            l->count[dir] = 0;
            for (unsigned i = 0; i < n; i++) synack_stack_input(dir == 0 ? l->b : l->a, copy[i], clen[i], l->now);
        }
    }
}

static struct link *link_new(void)
{
    struct link *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->now = 1000000;
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = CLIENT;
    cfg.output = out_a;
    cfg.output_ctx = l;
    if (synack_stack_create(&l->a, &cfg) != 0) abort();
    cfg.addr = SERVER;
    cfg.output = out_b;
    if (synack_stack_create(&l->b, &cfg) != 0) abort();
    return l;
}

static void link_free(struct link *l)
{
    synack_stack_destroy(l->a);
    synack_stack_destroy(l->b);
    free(l);
}

static struct tcp_conn *conn_of(synack_stack *s, int sd) { return stack_sock(s, sd)->conn; }

/* Connects a to b's listener; returns the accepted descriptor on b. */
static int open_pair(struct link *l, int lsd, int *csd)
{
    *csd = synack_socket(l->a);
    if (synack_connect(l->a, *csd, &(struct synack_endpoint){SERVER, 80}) != -EINPROGRESS) return -1;
    pump(l, 3);
    return synack_accept(l->b, lsd, NULL);
}

static void idle_connection_holds_no_transfer_block(void)
{
    struct link *l = link_new();
    int lsd = synack_socket(l->b), csd;
    REQUIRE(synack_bind(l->b, lsd, &(struct synack_endpoint){0, 80}) == 0);
    REQUIRE(synack_listen(l->b, lsd, 16) == 0);
    int ssd = open_pair(l, lsd, &csd);
    REQUIRE(ssd >= 0);
    struct tcp_conn *c = conn_of(l->a, csd), *sc = conn_of(l->b, ssd);
    CHECK_EQ(c->state, SYNACK_ESTABLISHED);
    CHECK_EQ(sc->state, SYNACK_ESTABLISHED);
    /* Established and idle: no transfer block, no buffer storage. */
    CHECK(c->x == NULL);
    CHECK(sc->x == NULL);
    CHECK_EQ(bytebuf_chunks(&c->sndbuf) + bytebuf_chunks(&c->rcvbuf) + bytebuf_chunks(&sc->sndbuf) +
                 bytebuf_chunks(&sc->rcvbuf), 0);
    CHECK(c->sndbuf.ch == NULL && sc->rcvbuf.ch == NULL);
    /* TCP_INFO reads zeros where the block would be. */
    struct synack_tcp_info ti;
    REQUIRE(synack_getinfo(l->a, csd, &ti) == 0);
    CHECK_EQ(ti.bytes_acked, 0);
    CHECK_EQ(ti.bytes_received, 0);
    CHECK_EQ(ti.min_rtt_us, 0);
    CHECK_EQ(strcmp(ti.congestion, "cubic"), 0);
    CHECK_EQ(ti.ca_hystart, 0);
    /* Keepalive probes and their answers take none either. */
    int one = 1, idle = 1;
    REQUIRE(synack_setsockopt(l->a, csd, SYNACK_SOL_SOCKET, SYNACK_SO_KEEPALIVE, &one, sizeof one) == 0);
    REQUIRE(synack_setsockopt(l->a, csd, SYNACK_SOL_TCP, SYNACK_TCP_KEEPIDLE, &idle, sizeof idle) == 0);
    uint64_t probes0 = l->a->ctr.out_segs;
    pump(l, 2500);
    CHECK(l->a->ctr.out_segs > probes0); /* the probes went out */
    CHECK_EQ(c->state, SYNACK_ESTABLISHED);
    CHECK(c->x == NULL);
    CHECK(sc->x == NULL);

    /* The first byte queued takes the sender's; its arrival the receiver's. */
    unsigned spares_a = l->a->env.xfer_spare_count, spares_b = l->b->env.xfer_spare_count;
    REQUIRE(synack_send(l->a, csd, "hello", 5) == 5);
    CHECK(c->x != NULL);
    pump(l, 50);
    CHECK(sc->x != NULL);
    char buf[16];
    CHECK_EQ(synack_recv(l->b, ssd, buf, sizeof buf), 5);
    REQUIRE(synack_getinfo(l->a, csd, &ti) == 0);
    CHECK_EQ(ti.bytes_acked, 5);
    REQUIRE(synack_getinfo(l->b, ssd, &ti) == 0);
    CHECK_EQ(ti.bytes_received, 5);

    /* Both close: each block goes back to its stack's spares once the
     * connection is freed (the client's TIME_WAIT becomes a record). */
    CHECK_EQ(synack_close(l->a, csd), 0);
    pump(l, 5);
    CHECK_EQ(synack_close(l->b, ssd), 0);
    pump(l, 5);
    CHECK_EQ(l->a->env.xfer_spare_count, spares_a + 1);
    CHECK_EQ(l->b->env.xfer_spare_count, spares_b + 1);
    CHECK_EQ(l->a->ctr.curr_time_wait, 1);

    /* The next busy connection takes a spare, not new memory. */
    ssd = open_pair(l, lsd, &csd);
    REQUIRE(ssd >= 0);
    CHECK(conn_of(l->a, csd)->x == NULL);
    REQUIRE(synack_send(l->a, csd, "x", 1) == 1);
    CHECK_EQ(l->a->env.xfer_spare_count, spares_a);
    CHECK(conn_of(l->a, csd)->x != NULL);
    link_free(l);
}

/* A connection that lost a segment in the middle of a transfer recovers
 * it by SACK, delivers every byte in order, lets its scoreboard go when
 * recovery is over and keeps its (freshly taken) block until it is freed. */
static void loss_recovery_with_blocks_on_demand(void)
{
    struct link *l = link_new();
    int lsd = synack_socket(l->b), csd;
    REQUIRE(synack_bind(l->b, lsd, &(struct synack_endpoint){0, 80}) == 0);
    REQUIRE(synack_listen(l->b, lsd, 16) == 0);
    int ssd = open_pair(l, lsd, &csd);
    REQUIRE(ssd >= 0);
    struct tcp_conn *c = conn_of(l->a, csd), *sc = conn_of(l->b, ssd);
    REQUIRE(c->sack_ok);
    enum { N = 200000 };
    static uint8_t data[N], got[N];
    for (unsigned i = 0; i < N; i++) data[i] = (uint8_t)(i * 7 + i / 251);
    l->drop_to_b = l->sent_to_b + 4; /* the fourth data segment */
    unsigned sent = 0, recvd = 0;
    for (int turn = 0; turn < 20000 && recvd < N; turn++) {
        if (sent < N) {
            int n = synack_send(l->a, csd, data + sent, N - sent);
            if (n > 0) sent += (unsigned)n;
        }
        pump(l, 1);
        int n = synack_recv(l->b, ssd, got + recvd, N - recvd);
        if (n > 0) recvd += (unsigned)n;
    }
    pump(l, 50); /* the last ACKs */
    CHECK_EQ(recvd, N);
    CHECK(memcmp(data, got, N) == 0);
    struct synack_tcp_info ti;
    REQUIRE(synack_getinfo(l->a, csd, &ti) == 0);
    CHECK(ti.total_retrans >= 1);
    CHECK_EQ(ti.bytes_acked, N);
    CHECK(l->a->ctr.sack_retrans + l->a->ctr.retrans_segs >= 1);
    CHECK(!c->in_recovery);
    CHECK_EQ(c->ca_state, TCP_CA_OPEN);
    /* The scoreboard lived only through recovery; the receiver's range list
     * of parked data stays with its block. */
    CHECK(c->x != NULL && c->x->sb == NULL);
    CHECK(sc->x != NULL && sc->x->ooo != NULL && sc->x->ooo->count == 0);
    CHECK(c->x->min_rtt > 0);
    link_free(l);
}

TEST_MAIN(TEST(idle_connection_holds_no_transfer_block), TEST(loss_recovery_with_blocks_on_demand))
