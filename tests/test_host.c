/*
 * test_host.c — the blocking socket layer (include/synack/host.h).
 *
 * Most tests run two application threads on a two-host simnet: "server" on
 * 10.0.0.1 and "client" on 10.0.0.2. Everything protocol-related is timed
 * on the virtual clock, so the expected times are exact. Threads only record
 * results; CHECKs run on the main thread after the join (the harness is not
 * thread-safe). One test runs real-time hosts over a socketpair link.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "synack/host.h"

#define PORT 5000
#define MS 1000ull

struct pair {
    synack_simnet *net;
    synack_host *srv, *cli;
    int link;
};

static int pair_init(struct pair *p, uint64_t seed, const struct synack_sim_link_params *lp)
{
    memset(p, 0, sizeof *p);
    int err = synack_simnet_create(&p->net, seed);
    if (!err) err = synack_simnet_add_host(p->net, synack_ipv4(10, 0, 0, 1), NULL, &p->srv);
    if (!err) err = synack_simnet_add_host(p->net, synack_ipv4(10, 0, 0, 2), NULL, &p->cli);
    if (!err) p->link = synack_simnet_link(p->net, p->srv, p->cli, lp, lp);
    return err ? err : p->link < 0 ? p->link : 0;
}

/* Runs srv(arg) and cli(arg) on two attached threads (either may be NULL). */
static void pair_run(struct pair *p, void *(*srv)(void *), void *(*cli)(void *), void *arg)
{
    if (srv) synack_simnet_spawn(p->net, srv, arg);
    if (cli) synack_simnet_spawn(p->net, cli, arg);
    synack_simnet_run(p->net);
}

static const struct synack_sim_link_params delay10 = {.delay_us = 10 * MS};

/* A listener on the server host; returns its descriptor. */
static int listen_on(synack_host *h, uint16_t port)
{
    int sd = synack_host_socket(h);
    int one = 1;
    synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, &one, sizeof one);
    synack_host_bind(h, sd, &(struct synack_endpoint){0, port});
    synack_host_listen(h, sd, 8);
    return sd;
}

static int connect_to(struct pair *p, int *err)
{
    int sd = synack_host_socket(p->cli);
    *err = synack_host_connect(p->cli, sd, &(struct synack_endpoint){synack_ipv4(10, 0, 0, 1), PORT});
    return sd;
}

/* ---- connect, accept, send, recv, close ------------------------------------ */

struct exch {
    struct pair *p;
    int accept_r, connect_r, srv_recv, srv_eof, cli_recv, peer_ok;
    uint64_t t_connect, t_accept;
    char srv_buf[16], cli_buf[16];
};

static void *exch_server(void *arg)
{
    struct exch *e = arg;
    synack_host *h = e->p->srv;
    int l = listen_on(h, PORT);
    struct synack_endpoint peer;
    e->accept_r = synack_host_accept(h, l, &peer);
    e->t_accept = synack_host_now(h);
    e->peer_ok = peer.addr == synack_ipv4(10, 0, 0, 2);
    e->srv_recv = (int)synack_host_recv(h, e->accept_r, e->srv_buf, sizeof e->srv_buf);
    synack_host_send(h, e->accept_r, "pong", 4);
    e->srv_eof = (int)synack_host_recv(h, e->accept_r, e->srv_buf + 8, 8);
    synack_host_close(h, e->accept_r);
    synack_host_close(h, l);
    return NULL;
}

static void *exch_client(void *arg)
{
    struct exch *e = arg;
    int sd = connect_to(e->p, &e->connect_r);
    e->t_connect = synack_host_now(e->p->cli);
    synack_host_send(e->p->cli, sd, "ping", 4);
    e->cli_recv = (int)synack_host_recv(e->p->cli, sd, e->cli_buf, sizeof e->cli_buf);
    synack_host_close(e->p->cli, sd);
    return NULL;
}

static void test_blocking_exchange(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 1, &delay10) == 0);
    struct exch e = {.p = &p};
    pair_run(&p, exch_server, exch_client, &e);
    CHECK_EQ(e.connect_r, 0);
    CHECK_EQ(e.t_connect, 20 * MS);   /* SYN out, SYN|ACK back: one RTT */
    CHECK(e.accept_r >= 0);
    CHECK_EQ(e.t_accept, 30 * MS);    /* the handshake's ACK arrives */
    CHECK(e.peer_ok);
    CHECK_EQ(e.srv_recv, 4);
    CHECK_MEM(e.srv_buf, "ping", 4);
    CHECK_EQ(e.cli_recv, 4);
    CHECK_MEM(e.cli_buf, "pong", 4);
    CHECK_EQ(e.srv_eof, 0);
    CHECK(synack_simnet_settle(p.net, UINT64_MAX - 1) > 0);
    synack_simnet_destroy(p.net);
}

/* ---- SO_RCVTIMEO ----------------------------------------------------------- */

struct timeo {
    struct pair *p;
    int connect_r, set_r, get_r;
    ssize_t recv_r;
    uint64_t elapsed;
    struct synack_timeval got;
};

static void *timeo_server(void *arg)
{
    struct timeo *t = arg;
    int l = listen_on(t->p->srv, PORT);
    int c = synack_host_accept(t->p->srv, l, NULL);
    char b[8];
    synack_host_recv(t->p->srv, c, b, sizeof b); /* until the client's FIN */
    synack_host_close(t->p->srv, c);
    synack_host_close(t->p->srv, l);
    return NULL;
}

static void *timeo_client(void *arg)
{
    struct timeo *t = arg;
    synack_host *h = t->p->cli;
    int sd = connect_to(t->p, &t->connect_r);
    struct synack_timeval tv = {1, 500000};
    t->set_r = synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_RCVTIMEO, &tv, sizeof tv);
    size_t len = sizeof t->got;
    t->get_r = synack_host_getsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_RCVTIMEO, &t->got, &len);
    uint64_t t0 = synack_host_now(h);
    char b[8];
    t->recv_r = synack_host_recv(h, sd, b, sizeof b);
    t->elapsed = synack_host_now(h) - t0;
    synack_host_close(h, sd);
    return NULL;
}

static void test_rcvtimeo(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 2, &delay10) == 0);
    struct timeo t = {.p = &p};
    pair_run(&p, timeo_server, timeo_client, &t);
    CHECK_EQ(t.connect_r, 0);
    CHECK_EQ(t.set_r, 0);
    CHECK_EQ(t.get_r, 0);
    CHECK_EQ(t.got.tv_sec, 1);
    CHECK_EQ(t.got.tv_usec, 500000);
    CHECK_EQ(t.recv_r, -EAGAIN);
    CHECK_EQ(t.elapsed, 1500 * MS);
    synack_simnet_destroy(p.net);
}

/* ---- connect failures -------------------------------------------------------- */

struct conn_fail {
    struct pair *p;
    int r;
    uint64_t t;
};

static void *fail_client(void *arg)
{
    struct conn_fail *f = arg;
    int sd = connect_to(f->p, &f->r);
    f->t = synack_host_now(f->p->cli);
    synack_host_close(f->p->cli, sd);
    return NULL;
}

static void test_connect_refused(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 3, &delay10) == 0);
    struct conn_fail f = {.p = &p};
    pair_run(&p, NULL, fail_client, &f);
    CHECK_EQ(f.r, -ECONNREFUSED);
    CHECK_EQ(f.t, 20 * MS); /* the RST comes back after one RTT */
    synack_simnet_destroy(p.net);
}

static void test_connect_timeout(void)
{
    struct synack_sim_link_params lossy = {.delay_us = 10 * MS, .loss = 1.0};
    struct pair p;
    REQUIRE(pair_init(&p, 4, &lossy) == 0);
    struct synack_tunables tun;
    synack_host_get_tunables(p.cli, &tun);
    tun.syn_retries = 2;
    REQUIRE(synack_host_set_tunables(p.cli, &tun) == 0);
    struct conn_fail f = {.p = &p};
    pair_run(&p, NULL, fail_client, &f);
    CHECK_EQ(f.r, -ETIMEDOUT);
    /* SYN at 0, again at 1 s and 3 s (RTO 1 s, doubled), give up at 7 s. */
    CHECK_EQ(f.t, 7000 * MS);
    synack_simnet_destroy(p.net);
}

/* ---- non-blocking descriptors and poll ---------------------------------------- */

struct nb {
    struct pair *p;
    int set_r, connect_r, recv_early, poll_r, accept_r, send_r;
    short revents;
    bool nb_flag;
    uint64_t t_poll, t_sleep0, t_sleep1;
    ssize_t recv_nothing;
};

static void *nb_server(void *arg)
{
    struct nb *n = arg;
    synack_host *h = n->p->srv;
    int l = listen_on(h, PORT);
    synack_host_set_nonblocking(h, l, true);
    n->accept_r = synack_host_accept(h, l, NULL); /* nothing yet */
    struct synack_pollfd pf = {l, SYNACK_POLLIN, 0};
    synack_host_poll(h, &pf, 1, -1);
    int c = synack_host_accept(h, l, NULL);
    char b[8];
    synack_host_recv(h, c, b, sizeof b); /* blocking: accepted sockets start blocking */
    synack_host_close(h, c);
    synack_host_close(h, l);
    return NULL;
}

static void *nb_client(void *arg)
{
    struct nb *n = arg;
    synack_host *h = n->p->cli;
    int sd = synack_host_socket(h);
    n->set_r = synack_host_set_nonblocking(h, sd, true);
    synack_host_get_nonblocking(h, sd, &n->nb_flag);
    n->connect_r = synack_host_connect(h, sd, &(struct synack_endpoint){synack_ipv4(10, 0, 0, 1), PORT});
    char b[8];
    n->recv_early = (int)synack_host_recv(h, sd, b, sizeof b);
    struct synack_pollfd pf = {sd, SYNACK_POLLOUT, 0};
    n->poll_r = synack_host_poll(h, &pf, 1, 1000);
    n->revents = pf.revents;
    n->t_poll = synack_host_now(h);
    n->recv_nothing = synack_host_recv(h, sd, b, sizeof b);
    /* poll with no descriptors is a virtual sleep */
    n->t_sleep0 = synack_host_now(h);
    synack_host_poll(h, NULL, 0, 250);
    n->t_sleep1 = synack_host_now(h);
    n->send_r = (int)synack_host_send(h, sd, "x", 1);
    synack_host_close(h, sd);
    return NULL;
}

static void test_nonblocking(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 5, &delay10) == 0);
    struct nb n = {.p = &p};
    pair_run(&p, nb_server, nb_client, &n);
    CHECK_EQ(n.set_r, 0);
    CHECK(n.nb_flag);
    CHECK_EQ(n.connect_r, -EINPROGRESS);
    CHECK_EQ(n.recv_early, -EAGAIN);
    CHECK_EQ(n.accept_r, -EAGAIN);
    CHECK_EQ(n.poll_r, 1);
    CHECK(n.revents & SYNACK_POLLOUT);
    CHECK_EQ(n.t_poll, 20 * MS);
    CHECK_EQ(n.recv_nothing, -EAGAIN);
    CHECK_EQ(n.t_sleep1 - n.t_sleep0, 250 * MS);
    CHECK_EQ(n.send_r, 1);
    CHECK_EQ(synack_host_set_nonblocking(p.cli, 999, true), -EBADF);
    synack_simnet_destroy(p.net);
}

/* ---- send blocks on a full buffer ---------------------------------------------- */

#define FULL_LEN (64 * 1024)

struct full {
    struct pair *p;
    ssize_t send_r;
    uint64_t t_send_done, t_read_start;
    size_t got;
    int bytes_ok;
};

static void *full_server(void *arg)
{
    struct full *f = arg;
    synack_host *h = f->p->srv;
    int l = synack_host_socket(h);
    int small = 4096;
    synack_host_setsockopt(h, l, SYNACK_SOL_SOCKET, SYNACK_SO_RCVBUF, &small, sizeof small);
    synack_host_bind(h, l, &(struct synack_endpoint){0, PORT});
    synack_host_listen(h, l, 1);
    int c = synack_host_accept(h, l, NULL);
    synack_host_poll(h, NULL, 0, 2000); /* do not read for 2 s */
    f->t_read_start = synack_host_now(h);
    uint8_t b[1000];
    ssize_t n;
    f->bytes_ok = 1;
    while ((n = synack_host_recv(h, c, b, sizeof b)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (b[i] != (uint8_t)((f->got + (size_t)i) * 7)) f->bytes_ok = 0;
        f->got += (size_t)n;
    }
    synack_host_close(h, c);
    synack_host_close(h, l);
    return NULL;
}

static void *full_client(void *arg)
{
    struct full *f = arg;
    synack_host *h = f->p->cli;
    int sd = synack_host_socket(h);
    int small = 4096;
    synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_SNDBUF, &small, sizeof small);
    int err = synack_host_connect(h, sd, &(struct synack_endpoint){synack_ipv4(10, 0, 0, 1), PORT});
    uint8_t *buf = malloc(FULL_LEN);
    for (size_t i = 0; i < FULL_LEN; i++) buf[i] = (uint8_t)(i * 7);
    f->send_r = err ? err : synack_host_send(h, sd, buf, FULL_LEN);
    f->t_send_done = synack_host_now(h);
    free(buf);
    synack_host_close(h, sd);
    return NULL;
}

static void test_send_blocks_until_peer_reads(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 6, &delay10) == 0);
    struct full f = {.p = &p};
    pair_run(&p, full_server, full_client, &f);
    CHECK_EQ(f.send_r, FULL_LEN);
    CHECK_EQ(f.t_read_start, 2000 * MS + 30 * MS); /* accepted at 30 ms */
    CHECK(f.t_send_done > f.t_read_start);       /* it waited for the reader */
    CHECK_EQ(f.got, FULL_LEN);
    CHECK(f.bytes_ok);
    synack_simnet_destroy(p.net);
}

/* ---- 1 MB, byte-exact, and determinism ------------------------------------------ */

#define MEG (1024 * 1024)

struct meg {
    struct pair *p;
    ssize_t send_r;
    size_t got;
    int bytes_ok;
    uint64_t t_end;
};

static uint8_t meg_byte(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u;
    return (uint8_t)(x >> 24);
}

static void *meg_server(void *arg)
{
    struct meg *m = arg;
    synack_host *h = m->p->srv;
    int l = listen_on(h, PORT);
    int c = synack_host_accept(h, l, NULL);
    uint8_t *b = malloc(3000);
    ssize_t n;
    m->bytes_ok = 1;
    while ((n = synack_host_recv(h, c, b, 1 + m->got % 2999)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (b[i] != meg_byte(m->got + (size_t)i)) m->bytes_ok = 0;
        m->got += (size_t)n;
    }
    m->t_end = synack_host_now(h);
    free(b);
    synack_host_close(h, c);
    synack_host_close(h, l);
    return NULL;
}

static void *meg_client(void *arg)
{
    struct meg *m = arg;
    synack_host *h = m->p->cli;
    int err;
    int sd = connect_to(m->p, &err);
    uint8_t *buf = malloc(MEG);
    for (size_t i = 0; i < MEG; i++) buf[i] = meg_byte(i);
    m->send_r = err ? err : synack_host_send(h, sd, buf, MEG);
    free(buf);
    synack_host_close(h, sd);
    return NULL;
}

static void run_meg(uint64_t seed, struct meg *m, struct synack_sim_stats *st)
{
    struct synack_sim_link_params lp = {.delay_us = 5 * MS, .bandwidth_bps = 20000000,
                                        .queue_limit = 64 * 1024, .loss = 0.01};
    struct pair p;
    memset(m, 0, sizeof *m);
    if (pair_init(&p, seed, &lp) != 0) return;
    m->p = &p;
    pair_run(&p, meg_server, meg_client, m);
    synack_simnet_get_stats(p.net, st);
    synack_simnet_destroy(p.net);
}

static void test_megabyte(void)
{
    struct meg m;
    struct synack_sim_stats st;
    run_meg(7, &m, &st);
    CHECK_EQ(m.send_r, MEG);
    CHECK_EQ(m.got, MEG);
    CHECK(m.bytes_ok);
    CHECK(st.lost > 0); /* the loss really exercised retransmission */
    printf("     1 MB at 1%% loss: done at %.3f s virtual, %llu lost\n", (double)m.t_end / 1e6,
           (unsigned long long)st.lost);
}

static void test_determinism(void)
{
    struct meg a, b;
    struct synack_sim_stats sa, sb;
    run_meg(11, &a, &sa);
    run_meg(11, &b, &sb);
    CHECK(a.t_end > 0);
    CHECK_EQ(a.t_end, b.t_end);
    CHECK_EQ(sa.sent, sb.sent);
    CHECK_EQ(sa.lost, sb.lost);
    CHECK_EQ(sa.delivered, sb.delivered);
}

/* ---- deadlock detection ------------------------------------------------------------ */

struct dl {
    struct pair *p;
    ssize_t srv_r, cli_r;
};

static void *dl_server(void *arg)
{
    struct dl *d = arg;
    int l = listen_on(d->p->srv, PORT);
    int c = synack_host_accept(d->p->srv, l, NULL);
    char b[4];
    d->srv_r = synack_host_recv(d->p->srv, c, b, sizeof b); /* nobody will send */
    synack_host_close(d->p->srv, c);
    synack_host_close(d->p->srv, l);
    return NULL;
}

static void *dl_client(void *arg)
{
    struct dl *d = arg;
    int err;
    int sd = connect_to(d->p, &err);
    char b[4];
    d->cli_r = err ? err : synack_host_recv(d->p->cli, sd, b, sizeof b);
    synack_host_close(d->p->cli, sd);
    return NULL;
}

static void test_deadlock_reported(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 8, &delay10) == 0);
    struct dl d = {.p = &p};
    pair_run(&p, dl_server, dl_client, &d);
    CHECK_EQ(d.srv_r, -EDEADLK);
    CHECK_EQ(d.cli_r, -EDEADLK);
    synack_simnet_destroy(p.net);
}

/* ---- an unattached thread (the main one) may use the blocking calls ----------------- */

static void test_unattached_caller(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 9, &delay10) == 0);
    int l = listen_on(p.srv, PORT);
    int err;
    int sd = connect_to(&p, &err);
    CHECK_EQ(err, 0);
    int c = synack_host_accept(p.srv, l, NULL);
    CHECK(c >= 0);
    CHECK_EQ(synack_host_send(p.cli, sd, "abc", 3), 3);
    char b[4];
    CHECK_EQ(synack_host_recv(p.srv, c, b, sizeof b), 3);
    struct synack_endpoint ep;
    CHECK_EQ(synack_host_getpeername(p.srv, c, &ep), 0);
    CHECK_EQ(ep.addr, synack_ipv4(10, 0, 0, 2));
    CHECK_EQ(synack_host_getsockname(p.srv, c, &ep), 0);
    CHECK_EQ(ep.port, PORT);
    synack_host_close(p.cli, sd);
    CHECK_EQ(synack_host_recv(p.srv, c, b, sizeof b), 0);
    synack_host_close(p.srv, c);
    synack_host_close(p.srv, l);
    synack_simnet_destroy(p.net);
}

/* ---- an attached thread starts another (a server with a thread per client) ---------- */

struct fan {
    struct pair *p;
    pthread_t handlers[2];
    int nhandlers;
    int sds[2];
    char echoed[2][4];
    ssize_t cli_r[2];
};

struct fan_handler {
    struct fan *f;
    int i;
};

static void *fan_handler(void *arg)
{
    struct fan_handler *fh = arg;
    synack_host *h = fh->f->p->srv;
    int c = fh->f->sds[fh->i];
    char b[4];
    ssize_t n = synack_host_recv(h, c, b, sizeof b);
    if (n > 0) synack_host_send(h, c, b, (size_t)n);
    synack_host_recv(h, c, b, sizeof b); /* EOF */
    synack_host_close(h, c);
    return NULL;
}

static void *fan_server(void *arg)
{
    struct fan *f = arg;
    static struct fan_handler fh[2];
    int l = listen_on(f->p->srv, PORT);
    for (int i = 0; i < 2; i++) {
        f->sds[i] = synack_host_accept(f->p->srv, l, NULL);
        fh[i] = (struct fan_handler){f, i};
        if (synack_simnet_thread_create(f->p->net, &f->handlers[i], fan_handler, &fh[i]) == 0)
            f->nhandlers++;
    }
    synack_host_close(f->p->srv, l);
    return NULL;
}

static void fan_client(struct fan *f, int i)
{
    synack_host *h = f->p->cli;
    int err;
    int sd = connect_to(f->p, &err);
    char msg[4] = {'c', (char)('0' + i), '!', 0};
    synack_host_send(h, sd, msg, 3);
    f->cli_r[i] = synack_host_recv(h, sd, f->echoed[i], 3);
    synack_host_close(h, sd);
}

static void *fan_client0(void *arg)
{
    fan_client(arg, 0);
    return NULL;
}

static void *fan_client1(void *arg)
{
    fan_client(arg, 1);
    return NULL;
}

static void test_attached_thread_create(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 10, &delay10) == 0);
    struct fan f = {.p = &p};
    synack_simnet_spawn(p.net, fan_server, &f);
    synack_simnet_spawn(p.net, fan_client0, &f);
    synack_simnet_spawn(p.net, fan_client1, &f);
    CHECK_EQ(synack_simnet_run(p.net), 0);
    for (int i = 0; i < f.nhandlers; i++) pthread_join(f.handlers[i], NULL);
    CHECK_EQ(f.nhandlers, 2);
    CHECK_EQ(f.cli_r[0], 3);
    CHECK_EQ(f.cli_r[1], 3);
    CHECK_MEM(f.echoed[0], "c0!", 3);
    CHECK_MEM(f.echoed[1], "c1!", 3);
    synack_simnet_destroy(p.net);
}

/* ---- real-time hosts over a socketpair ------------------------------------------------ */

struct rt {
    synack_host *srv, *cli;
    int connect_r, accept_r;
    ssize_t srv_recv, cli_recv, timeo_r;
    uint64_t timeo_elapsed;
    char sbuf[8], cbuf[8];
};

static void *rt_server(void *arg)
{
    struct rt *r = arg;
    int l = listen_on(r->srv, PORT);
    r->accept_r = synack_host_accept(r->srv, l, NULL);
    r->srv_recv = synack_host_recv(r->srv, r->accept_r, r->sbuf, sizeof r->sbuf);
    synack_host_send(r->srv, r->accept_r, "pong", 4);
    char b[4];
    synack_host_recv(r->srv, r->accept_r, b, sizeof b); /* EOF */
    synack_host_close(r->srv, r->accept_r);
    synack_host_close(r->srv, l);
    return NULL;
}

static void *rt_client(void *arg)
{
    struct rt *r = arg;
    synack_host *h = r->cli;
    int sd = synack_host_socket(h);
    struct synack_endpoint to = {synack_ipv4(10, 0, 0, 1), PORT};
    /* The server thread may not be listening yet: retry a refused connect. */
    for (int i = 0; i < 200; i++) {
        r->connect_r = synack_host_connect(h, sd, &to);
        if (r->connect_r != -ECONNREFUSED) break;
        synack_host_close(h, sd);
        sd = synack_host_socket(h);
        synack_host_poll(h, NULL, 0, 5);
    }
    synack_host_send(h, sd, "ping", 4);
    r->cli_recv = synack_host_recv(h, sd, r->cbuf, sizeof r->cbuf);
    struct synack_timeval tv = {0, 50000};
    synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_RCVTIMEO, &tv, sizeof tv);
    uint64_t t0 = synack_host_now(h);
    char b[4];
    r->timeo_r = synack_host_recv(h, sd, b, sizeof b);
    r->timeo_elapsed = synack_host_now(h) - t0;
    synack_host_close(h, sd);
    return NULL;
}

static void test_realtime_socketpair(void)
{
    struct synack_link la, lb;
    REQUIRE(synack_link_socketpair(&la, &lb) == 0);
    struct synack_config cfg;
    synack_config_init(&cfg);
    struct rt r = {0};
    cfg.addr = synack_ipv4(10, 0, 0, 1);
    REQUIRE(synack_host_create(&r.srv, &cfg, &la) == 0);
    cfg.addr = synack_ipv4(10, 0, 0, 2);
    REQUIRE(synack_host_create(&r.cli, &cfg, &lb) == 0);
    pthread_t ts, tc;
    pthread_create(&ts, NULL, rt_server, &r);
    pthread_create(&tc, NULL, rt_client, &r);
    pthread_join(ts, NULL);
    pthread_join(tc, NULL);
    CHECK_EQ(r.connect_r, 0);
    CHECK(r.accept_r >= 0);
    CHECK_EQ(r.srv_recv, 4);
    CHECK_MEM(r.sbuf, "ping", 4);
    CHECK_EQ(r.cli_recv, 4);
    CHECK_MEM(r.cbuf, "pong", 4);
    CHECK_EQ(r.timeo_r, -EAGAIN);
    CHECK(r.timeo_elapsed >= 50 * MS);
    synack_host_destroy(r.cli);
    synack_host_destroy(r.srv);
}

/* ---- SO_LINGER {1, t}: close waits until our data is acknowledged -------- */

struct linger_t {
    struct pair *p;
    bool server_reads;          /* false: the peer never reads (window fills) */
    int close_r;
    uint64_t close_took, acked_at_close;
    int srv_got;
};

static void *linger_server(void *arg)
{
    struct linger_t *t = arg;
    int l = listen_on(t->p->srv, PORT);
    int c = synack_host_accept(t->p->srv, l, NULL);
    if (!t->server_reads) {
        /* Never read for 30 s: our receive buffer fills, the window closes. */
        struct synack_timeval tv = {30, 0};
        synack_host_setsockopt(t->p->srv, c, SYNACK_SOL_SOCKET, SYNACK_SO_RCVTIMEO, &tv, sizeof tv);
        struct synack_pollfd pf = {c, SYNACK_POLLHUP, 0};
        synack_host_poll(t->p->srv, &pf, 1, 30000);
    }
    char b[4096];
    ssize_t n;
    while ((n = synack_host_recv(t->p->srv, c, b, sizeof b)) > 0) t->srv_got += (int)n;
    synack_host_close(t->p->srv, c);
    synack_host_close(t->p->srv, l);
    return NULL;
}

static void *linger_client(void *arg)
{
    struct linger_t *t = arg;
    synack_host *h = t->p->cli;
    int err;
    int sd = connect_to(t->p, &err);
    static char data[200000];
    struct synack_timeval tv = {1, 0};
    synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_SNDTIMEO, &tv, sizeof tv);
    synack_host_send(h, sd, data, t->server_reads ? 100000 : sizeof data);
    struct synack_linger lg = {1, 5};
    synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    uint64_t t0 = synack_host_now(h);
    t->close_r = synack_host_close(h, sd);
    t->close_took = synack_host_now(h) - t0;
    return NULL;
}

static void test_linger_waits_for_ack(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 4, &delay10) == 0);
    struct linger_t t = {.p = &p, .server_reads = true};
    pair_run(&p, linger_server, linger_client, &t);
    CHECK_EQ(t.close_r, 0);
    CHECK(t.close_took >= 20 * MS);        /* at least one round trip for the last ACK */
    CHECK(t.close_took < 5000 * MS);       /* well before the linger time */
    CHECK_EQ(t.srv_got, 100000);
    synack_simnet_destroy(p.net);

    /* The peer never reads: close gives up after exactly the linger time. */
    REQUIRE(pair_init(&p, 5, &delay10) == 0);
    struct linger_t u = {.p = &p, .server_reads = false};
    pair_run(&p, linger_server, linger_client, &u);
    CHECK_EQ(u.close_r, 0);
    CHECK_EQ(u.close_took, 5000 * MS);
    synack_simnet_destroy(p.net);
}

TEST_MAIN(TEST(test_linger_waits_for_ack), TEST(test_blocking_exchange), TEST(test_rcvtimeo), TEST(test_connect_refused),
          TEST(test_connect_timeout), TEST(test_nonblocking), TEST(test_send_blocks_until_peer_reads),
          TEST(test_megabyte), TEST(test_determinism), TEST(test_deadlock_reported),
          TEST(test_unattached_caller), TEST(test_attached_thread_create),
          TEST(test_realtime_socketpair))
