/*
 * scenarios.c — the scenarios of `synack lab --scenario NAME` (see
 * scenarios.h).
 *
 * Map: the applications (client and server connections as small state
 * machines, driven by scen_turn after every simulator step); the clock host
 * that wakes the applications at their timers; the filter that carries out
 * the impairment plan and the attacker's forged RST; the key-segment checks;
 * the scenario table; listing and explaining.
 */
#include "scenarios.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "synack/sim.h"
#include "synack/wire.h"

#define MS 1000ull

uint8_t scen_answer_byte(uint64_t i)
{
    static const char hello[] = SCEN_ANSWER;
    if (i < sizeof hello - 1) return (uint8_t)hello[i];
    uint64_t x = i * 0x9e3779b97f4a7c15ull;
    return (uint8_t)((x >> 56) ^ (i & 0xff));
}

/* ---- the applications --------------------------------------------------------- */

static uint64_t now_us(const struct scen_run *r) { return world_now(r->w); }

/* Records what an application saw. An error the scenario expects is part of
 * the story, not a failure. */
static void app_error(struct scen_run *r, int side, const char *what, int err)
{
    int *slot = side == 0 ? &r->res->client_error : &r->res->server_error;
    if (*slot == 0) *slot = err;
    int expected = side == 0 ? r->sc->expect.client_error : r->sc->expect.server_error;
    if (err == expected) return;
    if (r->res->failure[0] == '\0')
        snprintf(r->res->failure, sizeof r->res->failure, "%s: %s", what, synack_strerror(err));
}

static void wake_at(struct scen_run *r, uint64_t t)
{
    if (t > now_us(r) && t < r->wake_us) r->wake_us = t;
}

/* Closes a client socket, keeping its TCP_INFO (the summary shows it). */
static void client_close(struct scen_run *r, struct scen_capp *c)
{
    synack_stack *st = world_stack(r->w, r->client_host);
    struct synack_tcp_info info;
    if (synack_getinfo(st, c->sd, &info) == 0) {
        r->res->client_info = info;
        r->res->have_client_info = true;
    }
    if (r->sc->client.linger_abort) {
        struct synack_linger lg = {1, 0};
        synack_setsockopt(st, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    }
    synack_close(st, c->sd);
    c->sd = -1;
    c->phase = 9;
}

static void set_int(synack_stack *st, int sd, int level, int name, int v)
{
    synack_setsockopt(st, sd, level, name, &v, sizeof v);
}

/* A blocking call with a timeout (SO_RCVTIMEO, SO_SNDTIMEO), played as
 * synack_host_recv/send play it (include/synack/host.h): the call waits
 * until it can go on; when timeout_ms of virtual time pass first, it
 * returns -EAGAIN and nothing is sent on the wire. The lab's applications
 * are event-driven, so the wait is kept here. Returns true when the call
 * gives up now (the application then calls again: a new wait begins). */
static bool blocked_gives_up(struct scen_run *r, int side, uint64_t *until, uint32_t timeout_ms)
{
    uint64_t now = now_us(r);
    if (timeout_ms == 0) return false; /* {0, 0}: waits for ever */
    if (*until == 0) {
        *until = now + timeout_ms * MS;
        if (r->res->timeouts[side] == 0) r->res->block_from_us[side] = now;
    }
    if (now < *until) {
        wake_at(r, *until);
        return false;
    }
    if (r->res->timeouts[side]++ == 0) r->res->timeout_at_us[side] = now;
    *until = 0;
    app_error(r, side, side ? "server send (SO_SNDTIMEO)" : "client recv (SO_RCVTIMEO)", -EAGAIN);
    blocked_gives_up(r, side, until, timeout_ms); /* called again */
    return true;
}

/* One client connection: connect, send the request, read the answer, close.
 * Returns true when it is finished. */
static bool client_step(struct scen_run *r, struct scen_capp *c)
{
    const struct scen_client *cp = &r->sc->client;
    synack_stack *st = world_stack(r->w, r->client_host);
    static const char request[] = SCEN_REQUEST;
    uint64_t now = now_us(r);
    switch (c->phase) {
    case 0: {
        c->sd = synack_socket(st);
        if (c->sd < 0) {
            app_error(r, 0, "client socket", c->sd);
            c->phase = 9;
            return true;
        }
        c->start_us = now;
        if (cp->rcvbuf) set_int(st, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_RCVBUF, (int)cp->rcvbuf);
        if (cp->nodelay) set_int(st, c->sd, SYNACK_SOL_TCP, SYNACK_TCP_NODELAY, 1);
        if (cp->keepalive) set_int(st, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_KEEPALIVE, 1);
        int rc = 0;
        if (cp->lport) {
            set_int(st, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, 1);
            struct synack_endpoint me = {SCEN_CLIENT_ADDR, cp->lport};
            rc = synack_bind(st, c->sd, &me);
        }
        struct synack_endpoint srv = {SCEN_SERVER_ADDR, cp->dport ? cp->dport : SCEN_SERVER_PORT};
        if (rc == 0) rc = synack_connect(st, c->sd, &srv);
        if (rc != -EINPROGRESS && rc != 0) {
            app_error(r, 0, "client connect", rc);
            synack_close(st, c->sd);
            c->sd = -1;
            c->phase = 9;
            return true;
        }
        c->phase = 1;
        return false;
    }
    case 1: {
        struct synack_pollfd p = {c->sd, SYNACK_POLLOUT, 0};
        synack_poll(st, &p, 1);
        if (p.revents & (SYNACK_POLLERR | SYNACK_POLLHUP)) {
            int e = 0;
            size_t el = sizeof e;
            synack_getsockopt(st, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &e, &el);
            app_error(r, 0, "client connect", -e);
            client_close(r, c);
            return true;
        }
        if (!(p.revents & SYNACK_POLLOUT)) return false;
        c->wait_us = cp->request_delay_ms ? now + cp->request_delay_ms * MS : 0;
        c->phase = 2;
    }
    /* fall through */
    case 2:
        while (c->req_sent < sizeof request - 1) {
            if (c->wait_us > now) {
                wake_at(r, c->wait_us);
                return false;
            }
            size_t left = sizeof request - 1 - c->req_sent;
            if (cp->write_size && left > cp->write_size) left = cp->write_size;
            ssize_t n = synack_send(st, c->sd, request + c->req_sent, left);
            if (n == -EAGAIN) return false;
            if (n < 0) {
                app_error(r, 0, "client send", (int)n);
                client_close(r, c);
                return true;
            }
            c->req_sent += (uint64_t)n;
            if (cp->write_size && cp->write_gap_ms) c->wait_us = now + cp->write_gap_ms * MS;
        }
        c->wait_us = 0;
        if (cp->shutdown_after_request) synack_shutdown(st, c->sd, SYNACK_SHUT_WR);
        c->phase = 3;
    /* fall through */
    case 3: {
        if (cp->no_read) {
            /* It never reads: closes as soon as the answer is there, unread. */
            struct synack_pollfd p = {c->sd, SYNACK_POLLIN, 0};
            synack_poll(st, &p, 1);
            if (!(p.revents & (SYNACK_POLLIN | SYNACK_POLLERR | SYNACK_POLLHUP))) return false;
        } else {
            if (cp->read_at_ms * MS > now) {
                wake_at(r, cp->read_at_ms * MS);
                return false;
            }
            uint8_t buf[4096];
            bool done = false;
            while (!done) {
                ssize_t n = synack_recv(st, c->sd, buf, sizeof buf);
                if (n == -EAGAIN) {
                    blocked_gives_up(r, 0, &c->block_until, cp->rcvtimeo_ms);
                    return false;
                }
                c->block_until = 0;
                if (n < 0) {
                    app_error(r, 0, "client recv", (int)n);
                    client_close(r, c);
                    return true;
                }
                if (n == 0) break; /* the server's FIN */
                for (ssize_t i = 0; i < n; i++) {
                    uint64_t at = c->ans_recv + (uint64_t)i;
                    if (at >= r->opt->bytes || buf[i] != scen_answer_byte(at)) r->res->data_ok = false;
                }
                c->ans_recv += (uint64_t)n;
                r->res->response_received += (uint64_t)n;
                if (c->ans_recv >= r->opt->bytes && cp->close == SCEN_CLOSE_AFTER_ANSWER) done = true;
            }
        }
        /* Time to close (after a pause, if the scenario wants one). */
        uint64_t t = now + cp->close_delay_ms * MS;
        if (cp->close_at_ms * MS > t) t = cp->close_at_ms * MS;
        c->wait_us = t;
        c->phase = 4;
    }
    /* fall through */
    case 4:
        if (c->wait_us > now) {
            wake_at(r, c->wait_us);
            return false;
        }
        client_close(r, c);
        return true;
    default:
        return true;
    }
}

static void server_close_conn(struct scen_run *r, struct scen_sapp *s)
{
    synack_close(world_stack(r->w, r->server_host), s->sd);
    s->sd = -1;
    s->phase = 9;
}

/* close() with SO_LINGER {1, t} on a blocking socket, as synack_host_close
 * plays it (and Linux's tcp_close): the FIN goes out after the queued data,
 * then the call waits until everything sent is acknowledged or t seconds
 * pass; either way it then returns and the connection goes on without its
 * socket (only {1, 0} resets). True when the call returns. */
static bool lingering_close_returns(struct scen_run *r, struct scen_sapp *s)
{
    synack_stack *st = world_stack(r->w, r->server_host);
    uint64_t now = now_us(r);
    if (s->block_until == 0) {
        struct synack_linger lg = {1, (int)r->sc->server.linger_s};
        synack_setsockopt(st, s->sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
        synack_shutdown(st, s->sd, SYNACK_SHUT_WR);
        r->res->close_called_us = now;
        s->block_until = now + (uint64_t)lg.linger_s * 1000u * MS;
    }
    struct synack_pollfd p = {s->sd, SYNACK_POLLDRAINED, 0};
    synack_poll(st, &p, 1);
    bool drained = (p.revents & SYNACK_POLLDRAINED) != 0;
    if (!drained && !(p.revents & (SYNACK_POLLERR | SYNACK_POLLHUP)) && now < s->block_until) {
        wake_at(r, s->block_until);
        return false;
    }
    r->res->close_returned_us = now;
    r->res->close_drained = drained;
    s->block_until = 0;
    return true;
}

/* One server connection: read the request, answer, wait for the client's
 * FIN, close. Returns true when it is finished. */
static bool server_step(struct scen_run *r, struct scen_sapp *s)
{
    const struct scen_server *sp = &r->sc->server;
    synack_stack *st = world_stack(r->w, r->server_host);
    static const char request[] = SCEN_REQUEST;
    uint64_t now = now_us(r);
    switch (s->phase) {
    case 1: { /* active open: wait for the connection */
        struct synack_pollfd p = {s->sd, SYNACK_POLLOUT, 0};
        synack_poll(st, &p, 1);
        if (p.revents & (SYNACK_POLLERR | SYNACK_POLLHUP)) {
            int e = 0;
            size_t el = sizeof e;
            synack_getsockopt(st, s->sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &e, &el);
            app_error(r, 1, "server connect", -e);
            server_close_conn(r, s);
            return true;
        }
        if (!(p.revents & SYNACK_POLLOUT)) return false;
        s->phase = 2;
    }
    /* fall through */
    case 2:
        while (s->req_recv < sizeof request - 1) {
            ssize_t n = synack_recv(st, s->sd, s->req_buf + s->req_recv, sizeof request - 1 - s->req_recv);
            if (n == -EAGAIN) return false;
            if (n <= 0) {
                app_error(r, 1, "server recv (request)", n == 0 ? -ENOTCONN : (int)n);
                server_close_conn(r, s);
                return true;
            }
            s->req_recv += (uint64_t)n;
            r->res->request_bytes += (uint64_t)n;
        }
        if (memcmp(s->req_buf, request, sizeof request - 1) != 0) r->res->data_ok = false;
        s->wait_us = sp->think_ms ? now + sp->think_ms * MS : 0;
        s->phase = sp->answer_after_eof ? 21 : 3;
        if (s->phase == 3) goto answer;
    /* fall through */
    case 21: { /* half-close: the client's FIN first */
        uint8_t buf[256];
        for (;;) {
            ssize_t n = synack_recv(st, s->sd, buf, sizeof buf);
            if (n == -EAGAIN) return false;
            if (n > 0) continue;
            if (n < 0) {
                app_error(r, 1, "server recv (EOF)", (int)n);
                server_close_conn(r, s);
                return true;
            }
            break;
        }
        s->wait_us = sp->think_ms ? now + sp->think_ms * MS : 0;
        s->phase = 3;
    }
    /* fall through */
    case 3:
    answer: {
        if (s->wait_us > now) {
            wake_at(r, s->wait_us);
            return false;
        }
        uint8_t buf[4096];
        while (s->ans_sent < r->opt->bytes) {
            uint64_t left = r->opt->bytes - s->ans_sent;
            size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
            for (size_t i = 0; i < chunk; i++) buf[i] = scen_answer_byte(s->ans_sent + i);
            ssize_t n = synack_send(st, s->sd, buf, chunk);
            if (n == -EAGAIN) {
                blocked_gives_up(r, 1, &s->block_until, sp->sndtimeo_ms);
                return false;
            }
            s->block_until = 0;
            if (n < 0) {
                app_error(r, 1, "server send", (int)n);
                server_close_conn(r, s);
                return true;
            }
            s->ans_sent += (uint64_t)n;
        }
        s->phase = sp->answer_after_eof || sp->close == SCEN_SCLOSE_AFTER_ANSWER ? 5 : 4;
        if (s->phase == 5) goto closing;
    }
    /* fall through */
    case 4: {
        uint8_t buf[256];
        for (;;) {
            ssize_t n = synack_recv(st, s->sd, buf, sizeof buf);
            if (n == -EAGAIN) return false;
            if (n > 0) continue; /* nothing more is expected; discard */
            if (n < 0) app_error(r, 1, "server recv (EOF)", (int)n);
            break;
        }
        s->phase = 5;
    }
    /* fall through */
    case 5:
    closing: {
        uint64_t t = now + sp->close_delay_ms * MS;
        if (sp->close_at_ms * MS > t) t = sp->close_at_ms * MS;
        s->wait_us = t;
        s->phase = 6;
    }
    /* fall through */
    case 6:
        if (s->wait_us > now) {
            wake_at(r, s->wait_us);
            return false;
        }
        if (sp->linger_s && !lingering_close_returns(r, s)) return false;
        server_close_conn(r, s);
        return true;
    default:
        return true;
    }
}

/* The server: listen (or connect, for a simultaneous open), accept, serve
 * each connection, close the listener when all are done. True when done. */
static bool server_turn(struct scen_run *r)
{
    const struct scen_server *sp = &r->sc->server;
    synack_stack *st = world_stack(r->w, r->server_host);
    uint64_t now = now_us(r);
    if (r->server_phase == 9) return true;
    if (r->server_phase == 0) {
        if (sp->active_open) {
            int sd = synack_socket(st);
            set_int(st, sd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, 1);
            struct synack_endpoint me = {SCEN_SERVER_ADDR, SCEN_SERVER_PORT};
            struct synack_endpoint peer = {SCEN_CLIENT_ADDR, r->sc->client.lport};
            int rc = synack_bind(st, sd, &me);
            if (rc == 0) rc = synack_connect(st, sd, &peer);
            if (rc != -EINPROGRESS && rc != 0) {
                app_error(r, 1, "server connect", rc);
                r->server_phase = 9;
                return true;
            }
            r->s[0].sd = sd;
            r->s[0].phase = 1;
            r->naccepted = 1;
            r->server_phase = 2;
            return false;
        }
        r->lsd = synack_socket(st);
        struct synack_endpoint any = {0, SCEN_SERVER_PORT};
        int rc = synack_bind(st, r->lsd, &any);
        if (rc == 0) rc = synack_listen(st, r->lsd, sp->backlog ? sp->backlog : 8);
        if (rc != 0) {
            app_error(r, 1, "server listen", rc);
            r->server_phase = 9;
            return true;
        }
        if (r->listen_line) r->listen_line(r->line_ctx, now);
        r->server_phase = 1;
    }
    if (r->server_phase == 1 && sp->restart && !r->restarted && r->naccepted >= 1 && r->s[0].phase == 9 &&
        r->res->nserver_states > 0 && r->res->server_states[r->res->nserver_states - 1] == SYNACK_TIME_WAIT) {
        /* The server restarts while its old connection waits in TIME_WAIT:
         * a new listening socket binds port 80 again. */
        r->restarted = true;
        synack_close(st, r->lsd);
        r->lsd = synack_socket(st);
        struct synack_endpoint any = {0, SCEN_SERVER_PORT};
        int rc = synack_bind(st, r->lsd, &any);
        if (rc == -EADDRINUSE) {
            r->res->bind_refused_us = now;
            app_error(r, 1, "server bind (restart)", rc);
            set_int(st, r->lsd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, 1);
            rc = synack_bind(st, r->lsd, &any);
            if (rc == 0) r->res->rebound_us = now;
        }
        if (rc == 0) rc = synack_listen(st, r->lsd, sp->backlog ? sp->backlog : 8);
        if (rc != 0) {
            app_error(r, 1, "server listen (restart)", rc);
            r->server_phase = 9;
            return true;
        }
        if (r->listen_line) r->listen_line(r->line_ctx, now);
    }
    if (r->server_phase == 1) {
        while (r->naccepted < r->nconns) {
            if (sp->accept_at_ms * MS > now) {
                wake_at(r, sp->accept_at_ms * MS);
                break;
            }
            struct synack_endpoint peer;
            int sd = synack_accept(st, r->lsd, &peer);
            if (sd == -EAGAIN) break;
            if (sd < 0) {
                app_error(r, 1, "server accept", sd);
                r->server_phase = 9;
                return true;
            }
            if (sp->keepalive) set_int(st, sd, SYNACK_SOL_SOCKET, SYNACK_SO_KEEPALIVE, 1);
            if (sp->quickack_off) set_int(st, sd, SYNACK_SOL_TCP, SYNACK_TCP_QUICKACK, 0);
            r->s[r->naccepted].sd = sd;
            r->s[r->naccepted].phase = 2;
            r->naccepted++;
        }
    }
    bool all = r->naccepted == r->nconns;
    for (int i = 0; i < r->naccepted; i++)
        if (!server_step(r, &r->s[i])) all = false;
    if (!all) return false;
    if (r->lsd >= 0) synack_close(st, r->lsd);
    r->lsd = -1;
    r->server_phase = 9;
    return true;
}

static bool client_turn(struct scen_run *r)
{
    const struct scen_client *cp = &r->sc->client;
    uint64_t now = now_us(r);
    bool all = true;
    for (int i = 0; i < r->cstarted; i++)
        if (!client_step(r, &r->c[i])) all = false;
    if (r->cstarted < r->nconns) {
        all = false;
        if (cp->sequential && r->next_start_us == 0) {
            /* The next connection waits until the previous one is CLOSED. */
            bool prev_done = r->c[r->cstarted - 1].phase == 9 && r->live[0] == 0;
            if (prev_done) r->next_start_us = now + cp->conn_gap_ms * MS;
        }
        if (r->next_start_us != 0 && r->next_start_us <= now) {
            struct scen_capp *c = &r->c[r->cstarted++];
            r->next_start_us = cp->sequential ? 0 : now + cp->conn_gap_ms * MS;
            client_step(r, c);
        } else if (r->next_start_us != 0) {
            wake_at(r, r->next_start_us);
        }
    }
    return all;
}

/* ---- the attacker --------------------------------------------------------------- */

/* An off-path attacker who saw the client's last segment forges a RST from
 * the client: in the server's window, but not at RCV.NXT (RFC 5961 3). */
static void inject(struct scen_run *r)
{
    r->injected = true;
    if (r->sc->inject.kind != SCEN_INJ_RST_IN_WINDOW || !r->have_last[0]) return;
    uint8_t pkt[64];
    struct tcp_repr t;
    memset(&t, 0, sizeof t);
    t.src_port = r->last[0].sport;
    t.dst_port = r->last[0].dport;
    t.seq = r->last[0].seq_end + 1000;
    t.flags = TCP_RST;
    struct ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = SCEN_CLIENT_ADDR;
    ip.dst = SCEN_SERVER_ADDR;
    ip.protocol = IPV4_PROTO_TCP;
    ip.ttl = 64;
    ip.ident = 0x6666;
    ip.payload_len = (uint16_t)tcp_repr_len(&t);
    int hl = ipv4_emit(&ip, pkt, sizeof pkt);
    if (hl < 0) return;
    int tl = tcp_emit(&t, pkt + hl, sizeof pkt - (size_t)hl, ip.src, ip.dst);
    if (tl < 0) return;
    r->injecting = true;
    synack_sim_send(r->w->sim, r->w->hosts[r->client_host].sim_id, pkt, (size_t)hl + (size_t)tl);
    r->injecting = false;
}

/* A SYN flood: SYNs to the server's port from addresses nobody owns
 * (10.0.9.1, 10.0.9.2, ...), each from its own port and ISN, never
 * followed by an ACK. They go out on the client's link. */
static void inject_syn_flood(struct scen_run *r)
{
    r->injected = true;
    for (int i = 0; i < r->sc->inject.count; i++) {
        uint8_t pkt[80];
        struct tcp_repr t;
        memset(&t, 0, sizeof t);
        t.src_port = (uint16_t)(40000 + i);
        t.dst_port = SCEN_SERVER_PORT;
        t.seq = 0x10000000u * (uint32_t)(i + 1) + 0x1234u * (uint32_t)i;
        t.flags = TCP_SYN;
        t.window = 64240;
        t.opt.has_mss = true;
        t.opt.mss = 1460;
        struct ipv4_repr ip;
        memset(&ip, 0, sizeof ip);
        ip.src = SCEN_FLOOD_NET + 1u + (uint32_t)i;
        ip.dst = SCEN_SERVER_ADDR;
        ip.protocol = IPV4_PROTO_TCP;
        ip.ttl = 64;
        ip.ident = (uint16_t)(0x5000 + i);
        ip.payload_len = (uint16_t)tcp_repr_len(&t);
        int hl = ipv4_emit(&ip, pkt, sizeof pkt);
        if (hl < 0) return;
        int tl = tcp_emit(&t, pkt + hl, sizeof pkt - (size_t)hl, ip.src, ip.dst);
        if (tl < 0) return;
        r->injecting = true;
        synack_sim_send(r->w->sim, r->w->hosts[r->client_host].sim_id, pkt, (size_t)hl + (size_t)tl);
        r->injecting = false;
        r->res->forged_syns++;
    }
}

/* ---- the filter --------------------------------------------------------------------- */

static bool rule_matches(const struct scen_run *r, const struct scen_rule *ru, int side, const struct tcp_repr *t)
{
    if (ru->side >= 0 && ru->side != side) return false;
    uint8_t f = t->flags;
    bool pure_ack = (f & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) == TCP_ACK && t->payload_len == 0;
    switch (ru->match) {
    case SCEN_M_ANY: return true;
    case SCEN_M_SYN: return (f & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    case SCEN_M_SYNACK: return (f & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    case SCEN_M_PURE_ACK: return pure_ack;
    case SCEN_M_DATA: return t->payload_len > 0;
    case SCEN_M_FIN: return (f & TCP_FIN) != 0;
    case SCEN_M_ACK_OF_FIN: return pure_ack && r->fin_seen[1 - side] && t->ack == r->fin_end[1 - side];
    case SCEN_M_RST: return (f & TCP_RST) != 0;
    }
    return false;
}

static enum synack_sim_verdict scen_filter(void *ctx, int from_host, int to_host, const uint8_t *pkt, size_t len,
                                           uint64_t now, uint64_t *extra_delay_us)
{
    struct scen_run *r = ctx;
    (void)to_host;
    r->held_us = 0;
    struct ipv4_repr ip;
    struct tcp_repr t;
    if (ipv4_parse(&ip, pkt, len) != 0 || ip.protocol != IPV4_PROTO_TCP) return SYNACK_SIM_PASS;
    if (tcp_parse_nocsum(&t, pkt + ip.header_len, ip.payload_len) != 0) return SYNACK_SIM_PASS;
    int side = from_host == r->w->hosts[r->server_host].sim_id ? 1 : 0;
    enum synack_sim_verdict v = SYNACK_SIM_PASS;
    for (int i = 0; i < 3; i++) {
        const struct scen_rule *ru = &r->sc->rules[i];
        if (!ru->active || now < ru->from_ms * MS || !rule_matches(r, ru, side, &t)) continue;
        r->rule_hits[i]++;
        if (ru->nth != 0 && r->rule_hits[i] != ru->nth) continue;
        if (ru->hold_ms) {
            *extra_delay_us = ru->hold_ms * MS;
            r->held_us = *extra_delay_us;
        } else {
            v = SYNACK_SIM_DROP;
        }
        break;
    }
    if (!r->injecting) {
        uint32_t end = t.seq + (uint32_t)t.payload_len + ((t.flags & TCP_SYN) ? 1u : 0u) + ((t.flags & TCP_FIN) ? 1u : 0u);
        if (t.flags & TCP_FIN) {
            r->fin_seen[side] = true;
            r->fin_end[side] = end;
        }
        if (t.flags & TCP_SYN) r->fin_seen[side] = false; /* a new connection */
        r->have_last[side] = true;
        r->last[side].sport = t.src_port;
        r->last[side].dport = t.dst_port;
        r->last[side].seq_end = end;
        r->last[side].ack = t.ack;
    }
    return v;
}

/* ---- the clock host: wakes the applications at their timers ----------------------- */

static void clock_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    (void)ctx, (void)pkt, (void)len, (void)now;
}

static uint64_t clock_poll(void *ctx, uint64_t now)
{
    struct scen_run *r = ctx;
    return r->wake_us > now ? r->wake_us : SYNACK_SIM_NEVER;
}

static const struct synack_sim_host_ops clock_ops = {clock_deliver, clock_poll};

/* ---- a run -------------------------------------------------------------------------- */

int scen_setup(struct scen_run *r, const struct scenario *sc, const struct lab_options *o, struct lab_result *res,
               struct world *w, int client_host, int server_host)
{
    r->sc = sc;
    r->opt = o;
    r->res = res;
    r->w = w;
    r->client_host = client_host;
    r->server_host = server_host;
    r->nconns = sc->client.nconns > 0 ? sc->client.nconns : 1;
    if (r->nconns > SCEN_MAX_CONNS) r->nconns = SCEN_MAX_CONNS;
    r->lsd = -1;
    for (int i = 0; i < SCEN_MAX_CONNS; i++) r->c[i].sd = r->s[i].sd = -1;
    r->cstarted = 1; /* the first connection starts at once */
    r->next_start_us = sc->client.sequential ? 0 : sc->client.conn_gap_ms * MS;
    r->wake_us = SYNACK_SIM_NEVER;
    res->expected_client_error = sc->expect.client_error;
    res->expected_server_error = sc->expect.server_error;
    bool need_filter = sc->inject.kind != SCEN_INJ_NONE;
    for (int i = 0; i < 3; i++) need_filter |= sc->rules[i].active;
    if (need_filter) synack_sim_set_filter(w->sim, scen_filter, r);
    /* The clock host owns an address no link leads to. */
    int id = synack_sim_add_host(w->sim, 0x0a0000feu, &clock_ops, r);
    return id < 0 ? id : 0;
}

bool scen_turn(struct scen_run *r)
{
    r->wake_us = SYNACK_SIM_NEVER;
    uint64_t now = now_us(r);
    bool s = server_turn(r); /* first: the listener opens before an attacker's SYNs go out */
    if (r->sc->inject.kind != SCEN_INJ_NONE && !r->injected) {
        if (r->sc->inject.at_ms * MS > now) wake_at(r, r->sc->inject.at_ms * MS);
        else if (r->sc->inject.kind == SCEN_INJ_SYN_FLOOD) inject_syn_flood(r);
        else inject(r);
    }
    bool c = client_turn(r);
    /* A server still waiting for a connection that will never come (the
     * client gave up) does not hold the run open. */
    bool idle = r->server_phase == 1 && r->naccepted == 0 && r->live[1] == 0;
    return c && (s || idle) && r->live[0] == 0 && r->live[1] == 0;
}

int scen_socket(const struct scen_run *r, int side)
{
    if (side == 0) {
        for (int i = 0; i < r->cstarted; i++)
            if (r->c[i].sd >= 0 && r->c[i].phase >= 2) return r->c[i].sd;
        return -1;
    }
    for (int i = 0; i < r->naccepted; i++)
        if (r->s[i].sd >= 0 && r->s[i].phase >= 2) return r->s[i].sd;
    return -1;
}

void scen_on_state(struct scen_run *r, int side, enum synack_tcp_state from, enum synack_tcp_state to)
{
    if (from == SYNACK_CLOSED && to != SYNACK_CLOSED) r->live[side]++;
    if (to == SYNACK_CLOSED && from != SYNACK_CLOSED && r->live[side] > 0) r->live[side]--;
}

/* ---- the key-segment checks ------------------------------------------------------------ */

#define WHY(...)                                \
    do {                                        \
        snprintf(why, cap, __VA_ARGS__);        \
        return false;                           \
    } while (0)

static bool is_syn(const struct lab_seg *s) { return (s->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN; }
static bool is_synack(const struct lab_seg *s) { return (s->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK); }
static bool is_fin(const struct lab_seg *s) { return (s->flags & TCP_FIN) != 0; }
static bool is_rst(const struct lab_seg *s) { return (s->flags & TCP_RST) != 0; }
static bool is_pure_ack(const struct lab_seg *s)
{
    return (s->flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) == TCP_ACK && s->len == 0;
}

/* Index of the nth (1-based) segment from side matching pred, from index
 * start on; -1 when none. side -1: either. */
static int find(const struct lab_result *r, int start, int side, bool (*pred)(const struct lab_seg *), int nth)
{
    for (int i = start < 0 ? 0 : start; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if ((side < 0 || s->side == side) && (!pred || pred(s)) && --nth == 0) return i;
    }
    return -1;
}

static int count(const struct lab_result *r, int side, bool (*pred)(const struct lab_seg *))
{
    int n = 0;
    for (int i = 0; i < r->nsegs; i++)
        if ((side < 0 || r->segs[i].side == side) && (!pred || pred(&r->segs[i]))) n++;
    return n;
}

static bool has_data(const struct lab_seg *s) { return s->len > 0; }

static bool check_handshake(const struct lab_result *r, char *why, size_t cap)
{
    if (r->nsegs < 3) WHY("only %d segments", r->nsegs);
    const struct lab_seg *a = &r->segs[0], *b = &r->segs[1], *c = &r->segs[2];
    if (!(a->side == 0 && is_syn(a) && a->seq == 0)) WHY("the first segment is not the client's SYN seq=0");
    if (!(b->side == 1 && is_synack(b) && b->seq == 0 && b->ack == 1)) WHY("the second is not SYN|ACK seq=0 ack=1");
    if (!(c->side == 0 && is_pure_ack(c) && c->seq == 1 && c->ack == 1)) WHY("the third is not ACK seq=1 ack=1");
    if (b->t_us - a->t_us != 10 * MS || c->t_us - b->t_us != 10 * MS) WHY("the handshake does not take one RTT per leg");
    if (r->retransmissions) WHY("%" PRIu64 " retransmissions", r->retransmissions);
    if (r->counters[0].active_opens != 1 || r->counters[1].passive_opens != 1) WHY("ActiveOpens/PassiveOpens not 1");
    return true;
}

static bool check_lost_syn(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_syn, 1), b = find(r, 0, 0, is_syn, 2);
    if (a < 0 || b < 0) WHY("the SYN was not sent twice");
    if (!r->segs[a].lost || r->segs[b].lost) WHY("the first SYN should be lost, the second delivered");
    if (r->segs[b].t_us - r->segs[a].t_us != 1000 * MS) WHY("the SYN was resent after %" PRIu64 " us, not the initial RTO of 1 s", r->segs[b].t_us - r->segs[a].t_us);
    if (!r->segs[b].retrans) WHY("the second SYN is not marked as a retransmission");
    if (find(r, 0, 1, is_synack, 1) < b) WHY("a SYN|ACK came before the retransmitted SYN");
    return true;
}

static bool check_lost_synack(const struct lab_result *r, char *why, size_t cap)
{
    int sa1 = find(r, 0, 1, is_synack, 1), sa2 = find(r, 0, 1, is_synack, 2);
    if (sa1 < 0 || sa2 < 0) WHY("the SYN|ACK was not sent twice");
    if (!r->segs[sa1].lost) WHY("the first SYN|ACK was not lost");
    int syn2 = find(r, 0, 0, is_syn, 2);
    if (syn2 < 0 || r->segs[syn2].t_us - r->segs[find(r, 0, 0, is_syn, 1)].t_us != 1000 * MS)
        WHY("the client did not resend its SYN after 1 s");
    if (r->segs[sa2].t_us < r->segs[sa1].t_us + 1000 * MS - 20 * MS) WHY("the second SYN|ACK came too early");
    return true;
}

static bool check_lost_ack(const struct lab_result *r, char *why, size_t cap)
{
    int a1 = find(r, 0, 0, is_pure_ack, 1), a2 = find(r, 0, 0, is_pure_ack, 2);
    int sa1 = find(r, 0, 1, is_synack, 1), sa2 = find(r, 0, 1, is_synack, 2);
    if (a1 < 0 || !r->segs[a1].lost) WHY("the handshake's ACK was not lost");
    if (sa2 < 0) WHY("the server did not retransmit its SYN|ACK");
    if (r->segs[sa2].t_us - r->segs[sa1].t_us != 1000 * MS) WHY("SYN|ACK resent after %" PRIu64 " us, not 1 s", r->segs[sa2].t_us - r->segs[sa1].t_us);
    if (a2 < sa2 || r->segs[a2].lost) WHY("the client did not ACK the retransmitted SYN|ACK");
    int d = find(r, 0, 0, has_data, 1);
    if (d < a2) WHY("the request left before the handshake completed at the server");
    return true;
}

static bool check_refused(const struct lab_result *r, char *why, size_t cap)
{
    int rst = find(r, 0, 1, is_rst, 1);
    if (rst != 1) WHY("the server's second segment is not a RST");
    if (!(r->segs[rst].flags & TCP_ACK) || r->segs[rst].ack != 1) WHY("the RST does not acknowledge the SYN (ack=1)");
    if (r->counters[1].out_rsts != 1 || r->counters[0].attempt_fails != 1) WHY("OutRsts/AttemptFails not 1");
    if (r->nsegs != 2) WHY("%d segments, expected SYN and RST only", r->nsegs);
    return true;
}

static bool check_simultaneous_open(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_syn, 1), b = find(r, 0, 1, is_syn, 1);
    if (a < 0 || b < 0) WHY("both sides must send a SYN without ACK");
    if (r->segs[a].t_us != r->segs[b].t_us) WHY("the SYNs did not cross");
    if (find(r, 0, 0, is_synack, 1) < 0 || find(r, 0, 1, is_synack, 1) < 0) WHY("both sides must answer with SYN|ACK");
    if (r->counters[0].active_opens != 1 || r->counters[1].active_opens != 1) WHY("both opens must be active");
    return true;
}

static bool check_backlog_full(const struct lab_result *r, char *why, size_t cap)
{
    /* The second connection's SYNs go unanswered while the queue is full. */
    int first_syn = -1, nsyn = 0, synack = -1;
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->conn != 1) continue;
        if (s->side == 0 && is_syn(s)) {
            if (first_syn < 0) first_syn = i;
            if (synack < 0) nsyn++;
        }
        if (s->side == 1 && is_synack(s) && synack < 0) synack = i;
    }
    if (first_syn < 0) WHY("no second connection");
    if (nsyn < 2) WHY("the second connection's SYN was answered at once (%d SYNs before SYN|ACK)", nsyn);
    if (synack < 0) WHY("the second connection never got a SYN|ACK");
    if (r->segs[synack].t_us < 2500 * MS) WHY("SYN|ACK before the server accepted the first connection");
    if (r->counters[1].listen_overflows < 1) WHY("ListenOverflows is 0");
    return true;
}

/* The lost data segment and its retransmission, with the client's
 * duplicate ACKs between them counted. */
static bool lost_data(const struct lab_result *r, int *lost, int *re, int *dups, char *why, size_t cap)
{
    *lost = *re = -1;
    *dups = 0;
    for (int i = 0; i < r->nsegs && *lost < 0; i++)
        if (r->segs[i].side == 1 && r->segs[i].len > 0 && r->segs[i].lost) *lost = i;
    if (*lost < 0) WHY("no data segment was lost");
    for (int i = *lost + 1; i < r->nsegs && *re < 0; i++)
        if (r->segs[i].side == 1 && r->segs[i].seq == r->segs[*lost].seq && r->segs[i].len > 0) *re = i;
    if (*re < 0) WHY("the lost segment was never retransmitted");
    if (!r->segs[*re].retrans) WHY("the resent segment is not marked as a retransmission");
    for (int i = *lost + 1; i < *re; i++)
        if (r->segs[i].side == 0 && is_pure_ack(&r->segs[i]) && r->segs[i].ack == r->segs[*lost].seq) (*dups)++;
    return true;
}

static bool check_fast_retransmit(const struct lab_result *r, char *why, size_t cap)
{
    int lost, re, dups;
    if (!lost_data(r, &lost, &re, &dups, why, cap)) return false;
    if (dups < 3) WHY("only %d duplicate ACKs before the retransmission", dups);
    uint64_t gap = r->segs[re].t_us - r->segs[lost].t_us;
    if (gap >= 200 * MS) WHY("retransmitted after %" PRIu64 " us: that is the RTO, not fast retransmit", gap);
    if (r->client_info.total_retrans != 0) WHY("the client retransmitted");
    return true;
}

static bool check_rto_retransmit(const struct lab_result *r, char *why, size_t cap)
{
    int lost, re, dups;
    if (!lost_data(r, &lost, &re, &dups, why, cap)) return false;
    if (dups != 0) WHY("%d duplicate ACKs: nothing should have been acknowledged twice", dups);
    uint64_t gap = r->segs[re].t_us - r->segs[lost].t_us;
    if (gap < 200 * MS) WHY("retransmitted after %" PRIu64 " us, before any RTO (>= 200 ms)", gap);
    return true;
}

static bool check_out_of_order(const struct lab_result *r, char *why, size_t cap)
{
    int held = -1, sack = -1;
    for (int i = 0; i < r->nsegs; i++) {
        if (r->segs[i].side == 1 && r->segs[i].held_us && held < 0) held = i;
        if (r->segs[i].side == 0 && r->segs[i].nsack > 0 && sack < 0) sack = i;
    }
    if (held < 0) WHY("no segment was held back");
    if (sack < 0) WHY("the client never sent a SACK block");
    if (r->retransmissions) WHY("%" PRIu64 " retransmissions: reordering alone needs none", r->retransmissions);
    if (r->segs[sack].ack != r->segs[held].seq) WHY("the duplicate ACK does not point at the held segment");
    return true;
}

static bool check_zero_window(const struct lab_result *r, char *why, size_t cap)
{
    int zero = -1;
    for (int i = 0; i < r->nsegs && zero < 0; i++)
        if (r->segs[i].side == 0 && r->segs[i].win == 0 && (r->segs[i].flags & TCP_ACK)) zero = i;
    if (zero < 0) WHY("the client never advertised a zero window");
    int probes = 0, update = -1;
    for (int i = zero + 1; i < r->nsegs && update < 0; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side == 0 && s->win > 0) update = i;
        else if (s->side == 1 && s->len <= 1 && !is_fin(s)) probes++;
    }
    if (probes < 2) WHY("%d zero-window probes, expected several", probes);
    if (update < 0) WHY("no window update after the client read");
    if (r->segs[update].t_us < 3000 * MS) WHY("the window opened before the client read");
    return true;
}

static bool check_nagle(const struct lab_result *r, char *why, size_t cap)
{
    int d1 = find(r, 0, 0, has_data, 1), d2 = find(r, 0, 0, has_data, 2);
    int n = count(r, 0, has_data);
    if (d1 < 0 || d2 < 0) WHY("expected two request segments");
    if (n != 2) WHY("%d request segments for 5 writes, expected 2 (Nagle coalesces)", n);
    if (r->segs[d1].len != 4) WHY("the first segment carries %u bytes, not the first write's 4", r->segs[d1].len);
    if (r->segs[d2].t_us < r->segs[d1].t_us + 20 * MS) WHY("the second segment left before the first was ACKed");
    return true;
}

static bool check_delayed_ack(const struct lab_result *r, char *why, size_t cap)
{
    int req = find(r, 0, 0, has_data, 1);
    if (req < 0) WHY("no request");
    int ack = find(r, req + 1, 1, NULL, 1);
    if (ack < 0 || !is_pure_ack(&r->segs[ack])) WHY("the server's next segment is not a pure ACK");
    uint64_t arrived = r->segs[req].t_us + 10 * MS;
    if (r->segs[ack].t_us != arrived + 40 * MS) WHY("the ACK left %" PRIu64 " us after the request arrived, not 40 ms", r->segs[ack].t_us - arrived);
    return true;
}

/* The first FIN of each side: which side closed first. */
static bool first_fin_side(const struct lab_result *r, int *side)
{
    int i = find(r, 0, -1, is_fin, 1);
    if (i < 0) return false;
    *side = r->segs[i].side;
    return true;
}

static bool check_close_client_first(const struct lab_result *r, char *why, size_t cap)
{
    int side;
    if (!first_fin_side(r, &side) || side != 0) WHY("the client did not send the first FIN");
    int last = -1;
    for (int i = 0; i < r->nsegs; i++)
        if (r->segs[i].side == 0) last = i;
    if (last < 0 || !is_pure_ack(&r->segs[last])) WHY("the client's last segment is not the final ACK");
    if (r->end_time_us != r->segs[last].t_us + 60000 * MS) WHY("TIME_WAIT did not last 2*MSL after the last ACK");
    return true;
}

static bool check_close_server_first(const struct lab_result *r, char *why, size_t cap)
{
    int side;
    if (!first_fin_side(r, &side) || side != 1) WHY("the server did not send the first FIN");
    int cfin = find(r, 0, 0, is_fin, 1), sfin = find(r, 0, 1, is_fin, 1);
    if (r->segs[cfin].t_us < r->segs[sfin].t_us + 10 * MS) WHY("the client's FIN left before the server's arrived");
    return true;
}

static bool check_half_close(const struct lab_result *r, char *why, size_t cap)
{
    int cfin = find(r, 0, 0, is_fin, 1), data = find(r, 0, 1, has_data, 1);
    if (cfin < 0 || data < 0) WHY("no client FIN or no answer");
    if (data < cfin) WHY("the server answered before the client's FIN");
    /* The client still acknowledges the data after its FIN. */
    int ack = -1;
    for (int i = data + 1; i < r->nsegs && ack < 0; i++)
        if (r->segs[i].side == 0 && (r->segs[i].flags & TCP_ACK) && r->segs[i].ack >= r->segs[data].seq + r->segs[data].len) ack = i;
    if (ack < 0) WHY("the half-closed client did not acknowledge the answer");
    return true;
}

static bool check_simultaneous_close(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_fin, 1), b = find(r, 0, 1, is_fin, 1);
    if (a < 0 || b < 0) WHY("both sides must send a FIN");
    if (r->segs[a].t_us != r->segs[b].t_us) WHY("the FINs did not cross");
    if (count(r, -1, is_fin) != 2) WHY("a FIN was resent");
    return true;
}

static bool check_lost_fin(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_fin, 1), b = find(r, 0, 0, is_fin, 2);
    if (a < 0 || b < 0) WHY("the client's FIN was not sent twice");
    if (!r->segs[a].lost || !r->segs[b].retrans) WHY("the first FIN should be lost and the second a retransmission");
    if (r->segs[b].t_us - r->segs[a].t_us < 200 * MS) WHY("the FIN was resent before the RTO");
    return true;
}

static bool ack_of_client_fin(const struct lab_seg *s) { return s->side == 1 && is_pure_ack(s) && s->ack == 20; }

static bool check_lost_fin_ack(const struct lab_result *r, char *why, size_t cap)
{
    int f1 = find(r, 0, 0, is_fin, 1), f2 = find(r, 0, 0, is_fin, 2);
    int a1 = find(r, 0, 1, ack_of_client_fin, 1), a2 = find(r, 0, 1, ack_of_client_fin, 2);
    if (f1 < 0 || f2 < 0) WHY("the client did not resend its FIN");
    if (a1 < 0 || !r->segs[a1].lost) WHY("the server's ACK of the FIN was not lost");
    if (a2 < f2) WHY("the server did not ACK the retransmitted FIN");
    if (r->segs[f2].t_us - r->segs[f1].t_us < 200 * MS) WHY("the FIN was resent before the RTO");
    return true;
}

static bool check_lost_last_ack(const struct lab_result *r, char *why, size_t cap)
{
    int f1 = find(r, 0, 1, is_fin, 1), f2 = find(r, 0, 1, is_fin, 2);
    if (f1 < 0 || f2 < 0) WHY("the server did not resend its FIN");
    if (!r->segs[f2].retrans) WHY("the second FIN is not a retransmission");
    int a1 = find(r, f1 + 1, 0, is_pure_ack, 1), a2 = find(r, f2 + 1, 0, is_pure_ack, 1);
    if (a1 < 0 || !r->segs[a1].lost) WHY("the last ACK was not lost");
    if (a2 < 0 || r->segs[a2].lost) WHY("TIME_WAIT did not re-ACK the retransmitted FIN");
    if (r->end_time_us != r->segs[a2].t_us + 60000 * MS) WHY("TIME_WAIT was not restarted by the retransmitted FIN");
    return true;
}

static bool check_time_wait_reuse(const struct lab_result *r, char *why, size_t cap)
{
    int s1 = find(r, 0, 0, is_syn, 1), s2 = -1;
    for (int i = s1 + 1; i < r->nsegs && s2 < 0; i++)
        if (r->segs[i].side == 0 && is_syn(&r->segs[i]) && r->segs[i].conn == 1) s2 = i;
    if (s1 < 0 || s2 < 0) WHY("expected two connections");
    if (r->segs[s1].cport != r->segs[s2].cport) WHY("the second connection used another port");
    int sa = find(r, s2 + 1, 1, NULL, 1);
    if (sa < 0 || !is_synack(&r->segs[sa])) WHY("the second SYN was not answered with SYN|ACK");
    if (count(r, -1, is_rst) != 0) WHY("a RST was sent");
    return true;
}

static bool check_abort(const struct lab_result *r, char *why, size_t cap)
{
    int rst = find(r, 0, 0, is_rst, 1);
    if (rst < 0) WHY("the client sent no RST");
    if (find(r, 0, 0, is_fin, 1) >= 0) WHY("the client sent a FIN");
    if (find(r, 0, 1, is_fin, 1) >= 0) WHY("the server sent a FIN");
    if (r->counters[0].estab_resets + r->counters[1].estab_resets < 1) WHY("EstabResets is 0");
    return true;
}

static bool check_unread(const struct lab_result *r, char *why, size_t cap)
{
    if (!check_abort(r, why, cap)) return false;
    if (r->counters[0].abort_on_close != 1) WHY("TCPAbortOnClose is not 1");
    if (r->response_received != 0) WHY("the client read the answer");
    return true;
}

static bool check_keepalive(const struct lab_result *r, char *why, size_t cap)
{
    /* Probes: empty segments from the client one byte below what it sent. */
    int probes = 0;
    uint64_t first = 0, last = 0;
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side == 0 && is_pure_ack(s) && s->t_us >= 1000 * MS) {
            if (probes == 0) first = s->t_us;
            else if (s->t_us - last != 5000 * MS) WHY("probes %" PRIu64 " us apart, not keepalive_intvl_s (5 s)", s->t_us - last);
            last = s->t_us;
            probes++;
        }
    }
    if (probes != 3) WHY("%d keepalive probes, expected keepalive_probes (3)", probes);
    if (first < 10000 * MS || first > 10100 * MS) WHY("first probe at %" PRIu64 " us, not 10 s after the last activity", first);
    return true;
}

static bool check_rst_in_window(const struct lab_result *r, char *why, size_t cap)
{
    int rst = -1;
    for (int i = 0; i < r->nsegs && rst < 0; i++)
        if (r->segs[i].injected) rst = i;
    if (rst < 0 || !is_rst(&r->segs[rst])) WHY("the attacker sent no RST");
    int ch = find(r, rst + 1, 1, NULL, 1);
    if (ch < 0 || !is_pure_ack(&r->segs[ch])) WHY("the server did not answer with an ACK");
    if (r->segs[ch].t_us != r->segs[rst].t_us + 10 * MS) WHY("the challenge ACK did not leave when the RST arrived");
    if (r->counters[1].challenge_acks != 1) WHY("TCPChallengeACK is %" PRIu64 ", not 1", r->counters[1].challenge_acks);
    if (r->counters[1].estab_resets != 0) WHY("the server's connection was reset");
    return true;
}

/* Linux 6.x's SYN schedule with the defaults (syn_retries 6,
 * syn_linear_timeouts 4): the first retransmissions keep the initial RTO of
 * 1 s, then it doubles; connect gives up by time, once the time since the
 * first SYN reaches what 6 doubling retransmissions take (127 s), checked at
 * each expiry: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s, ETIMEDOUT at
 * 131 s. */
#define DEFAULT_SYNS 11
static uint64_t syn_gap_before(int k) /* k >= 2: the k-th SYN */
{
    int shift = k - 2 > 4 ? k - 2 - 4 : 0;
    return (1000 * MS) << shift;
}

static bool check_syn_timeout(const struct lab_result *r, char *why, size_t cap)
{
    int n = count(r, 0, is_syn);
    if (n != DEFAULT_SYNS) WHY("%d SYNs, expected %d (syn_retries 6, syn_linear_timeouts 4)", n, DEFAULT_SYNS);
    for (int k = 2; k <= n; k++) {
        uint64_t d = r->segs[find(r, 0, 0, is_syn, k)].t_us - r->segs[find(r, 0, 0, is_syn, k - 1)].t_us;
        if (d != syn_gap_before(k))
            WHY("SYN %d came %" PRIu64 " us after the previous one, expected %" PRIu64, k, d, syn_gap_before(k));
    }
    if (r->end_time_us != 131000 * MS) WHY("connect failed at %" PRIu64 " us, expected 131 s", r->end_time_us);
    return true;
}


/* ---- the seed topics ---------------------------------------------------------------- */

static bool check_lost_server_fin(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 1, is_fin, 1), b = find(r, 0, 1, is_fin, 2);
    if (a < 0 || b < 0) WHY("the server's FIN was not sent twice");
    if (!r->segs[a].lost || r->segs[b].lost || !r->segs[b].retrans)
        WHY("the first server FIN should be lost and the second a delivered retransmission");
    if (r->segs[b].t_us - r->segs[a].t_us < 200 * MS) WHY("the FIN was resent before the RTO (200 ms at least)");
    if (find(r, b, 0, is_pure_ack, 1) < 0) WHY("the client did not acknowledge the retransmitted FIN");
    return true;
}

static bool check_synack_retries(const struct lab_result *r, char *why, size_t cap)
{
    /* The first half-open connection: the server's own timer resends its
     * SYN|ACK synack_retries (2) times, 1 s then 2 s apart, and gives up. */
    int n = count(r, 1, is_synack);
    if (n < 3) WHY("%d SYN|ACKs, expected the first and synack_retries (2) retransmissions at least", n);
    for (int i = 0; i < r->nsegs; i++)
        if (is_synack(&r->segs[i]) && !r->segs[i].lost) WHY("a SYN|ACK was delivered");
    if (count(r, 0, is_syn) != DEFAULT_SYNS)
        WHY("%d client SYNs, expected %d (syn_retries 6, syn_linear_timeouts 4)", count(r, 0, is_syn), DEFAULT_SYNS);
    if (r->counters[1].attempt_fails < 1) WHY("the server did not drop a half-open connection (AttemptFails 0)");
    if (r->counters[1].curr_estab != 0) WHY("a connection was established at the server");
    return true;
}

static bool check_fin_retries(const struct lab_result *r, char *why, size_t cap)
{
    /* The FIN, one tail-loss probe (RFC 8985 7, as Linux: the FIN is the last
     * segment in flight), then orphan_retries (3) timeouts, backing off. */
    int n = count(r, 0, is_fin);
    if (n != 1 + 1 + 3) WHY("the client sent %d FINs, expected 1 + a tail-loss probe + orphan_retries (3)", n);
    for (int k = 1; k <= n; k++)
        if (!r->segs[find(r, 0, 0, is_fin, k)].lost) WHY("FIN %d of the client was delivered", k);
    uint64_t g1 = r->segs[find(r, 0, 0, is_fin, 4)].t_us - r->segs[find(r, 0, 0, is_fin, 3)].t_us;
    uint64_t g2 = r->segs[find(r, 0, 0, is_fin, 5)].t_us - r->segs[find(r, 0, 0, is_fin, 4)].t_us;
    if (g2 < 2 * g1 - 2 * MS) WHY("the FIN retransmissions do not back off (%" PRIu64 " then %" PRIu64 " us)", g1, g2);
    int sf = find(r, 0, 1, is_fin, 1);
    if (sf < 0 || find(r, sf, 0, is_rst, 1) < 0) WHY("the server's late FIN was not answered with RST");
    return true;
}

static bool check_fin_timeout(const struct lab_result *r, char *why, size_t cap)
{
    int f = find(r, 0, 0, is_fin, 1), sf = find(r, 0, 1, is_fin, 1);
    if (f < 0 || sf < 0) WHY("a FIN is missing");
    uint64_t gap = r->segs[sf].t_us - r->segs[f].t_us;
    if (gap < 60000 * MS) WHY("the server's FIN came %" PRIu64 " us after the client's, before fin_timeout", gap);
    int rst = find(r, sf, 0, is_rst, 1);
    if (rst < 0) WHY("the client, whose FIN_WAIT_2 timed out, did not answer the late FIN with RST");
    return true;
}

static bool check_ecn(const struct lab_result *r, char *why, size_t cap)
{
    int syn = find(r, 0, 0, is_syn, 1);
    if (syn < 0) WHY("no SYN");
    if ((r->segs[syn].flags & (TCP_ECE | TCP_CWR)) != (TCP_ECE | TCP_CWR)) WHY("the SYN does not ask for ECN (ECE|CWR)");
    int sa = -1, ect = 0, ce = 0, ece = -1, cwr = -1, drops = 0;
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (sa < 0 && s->side == 1 && (s->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) sa = i;
        if (s->side == 1 && s->len && s->ecn == IP_ECN_ECT0) ect++;
        if (s->side == 1 && s->len && s->ecn == IP_ECN_CE) ce++;
        if (s->side == 0 && (s->flags & TCP_ECE) && !(s->flags & TCP_SYN) && ece < 0) ece = i;
        if (s->side == 1 && (s->flags & TCP_CWR) && !(s->flags & TCP_SYN) && cwr < 0) cwr = i;
        if (s->lost) drops++;
        if ((s->flags & TCP_SYN) && s->ecn != IP_ECN_NOT_ECT) WHY("segment %d: a SYN went ECN-capable", i);
        if (!s->len && !(s->flags & TCP_SYN) && s->ecn != IP_ECN_NOT_ECT) WHY("segment %d: a pure ACK went ECN-capable", i);
    }
    if (sa < 0 || (r->segs[sa].flags & (TCP_ECE | TCP_CWR)) != TCP_ECE) WHY("the SYN|ACK does not agree with ECE alone");
    if (!ect) WHY("no data went ECT(0)");
    if (!ce) WHY("the queue marked nothing CE");
    if (ece < 0) WHY("the client never echoed the mark (ECE)");
    if (cwr < 0 || cwr < ece) WHY("the server never answered the echo with CWR");
    if (drops) WHY("%d segments dropped: the marks should have kept the queue short", drops);
    return true;
}

static bool check_slow_start(const struct lab_result *r, char *why, size_t cap)
{
    /* Flights: the server's data segments grouped by round trip (20 ms). */
    int first = find(r, 0, 1, has_data, 1);
    if (first < 0) WHY("the server sent no data");
    int flight[4] = {0};
    for (int i = first; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side != 1 || !s->len) continue;
        uint64_t k = (s->t_us - r->segs[first].t_us + 5 * MS) / (20 * MS);
        if (k < 4) flight[k]++;
    }
    if (flight[0] != 10) WHY("the first flight has %d segments, expected the initial window of 10 (RFC 6928)", flight[0]);
    if (flight[1] < 15 || flight[2] < flight[1] + 5)
        WHY("the flights do not grow as in slow start: %d, %d, %d", flight[0], flight[1], flight[2]);
    return true;
}

static bool check_options(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_syn, 1), b = find(r, 0, 1, is_synack, 1);
    if (a < 0 || b < 0) WHY("no SYN and SYN|ACK");
    const struct lab_seg *syn = &r->segs[a], *sa = &r->segs[b];
    if (syn->mss != 1460 || sa->mss != 1460) WHY("MSS offered %u / %u, expected 1460 on a 1500-byte MTU", syn->mss, sa->mss);
    if (syn->wscale < 0 || sa->wscale < 0 || !syn->ts || !sa->ts || !syn->sack_perm || !sa->sack_perm)
        WHY("the SYN and the SYN|ACK do not both offer window scaling, timestamps and SACK");
    if (!r->have_client_info) WHY("no TCP_INFO of the client");
    const struct synack_tcp_info *t = &r->client_info;
    if (!t->wscale_ok || !t->timestamps_ok || !t->sack_ok) WHY("the client did not agree every option");
    if (t->snd_wscale != (uint8_t)sa->wscale || t->rcv_wscale != (uint8_t)syn->wscale)
        WHY("the scales in use (%u, %u) are not the ones offered", t->snd_wscale, t->rcv_wscale);
    return true;
}

static bool check_isn(const struct lab_result *r, char *why, size_t cap)
{
    int a = find(r, 0, 0, is_syn, 1), b = find(r, 0, 0, is_syn, 2);
    int sa = find(r, 0, 1, is_synack, 1), sb = find(r, 0, 1, is_synack, 2);
    if (a < 0 || b < 0 || sa < 0 || sb < 0) WHY("two handshakes expected");
    if (r->segs[a].cport == r->segs[b].cport) WHY("the two connections use the same port");
    uint32_t i1 = r->segs[a].raw_seq, i2 = r->segs[b].raw_seq;
    if (i1 == i2 || r->segs[sa].raw_seq == r->segs[sb].raw_seq) WHY("two connections started from the same ISN");
    if (i1 == r->segs[sa].raw_seq) WHY("client and server chose the same ISN");
    if (r->segs[a].seq != 0 || r->segs[sa].seq != 0) WHY("relative sequence numbers do not start at 0");
    return true;
}

/* ---- the table ------------------------------------------------------------------------ */

/* syn-flood: the flood filled the queue, the rest got cookies, and the
 * client's connection came back through one. */
static bool check_syn_flood(const struct lab_result *r, char *why, size_t cap)
{
    if (r->forged_syns != 12) WHY("%d forged SYNs sent, not 12", r->forged_syns);
    int to_flood = 0, client_synack = -1;
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side == 1 && is_synack(s) && s->conn < 0) to_flood++;
        if (s->side == 1 && is_synack(s) && s->conn >= 0 && client_synack < 0) client_synack = i;
    }
    if (to_flood < 12) WHY("only %d SYN|ACKs went to the spoofed addresses", to_flood);
    if (r->counters[1].syncookies_sent < 9)
        WHY("SyncookiesSent %" PRIu64 ", expected 8 for the flood and 1 for the client", r->counters[1].syncookies_sent);
    if (r->counters[1].syncookies_recv != 1) WHY("SyncookiesRecv %" PRIu64 ", not 1", r->counters[1].syncookies_recv);
    if (client_synack < 0) WHY("the client got no SYN|ACK");
    const struct lab_seg *sa = &r->segs[client_synack];
    if (sa->wscale >= 0 || sa->ts || sa->sack_perm || sa->mss == 0)
        WHY("the client's SYN|ACK is not a cookie's (mss only): mss=%u ws=%d ts=%d sackOK=%d", sa->mss, sa->wscale,
            sa->ts, sa->sack_perm);
    return true;
}

/* reuseaddr-bind: EADDRINUSE while TIME_WAIT holds port 80, then bound
 * with SO_REUSEADDR, and the second connection served. */
static bool check_reuseaddr_bind(const struct lab_result *r, char *why, size_t cap)
{
    if (!r->bind_refused_us) WHY("bind() without SO_REUSEADDR was not refused");
    if (r->rebound_us != r->bind_refused_us) WHY("bind() with SO_REUSEADDR did not succeed at once");
    if (r->nconns != 2 || r->response_received != 2 * 14) WHY("the second client was not served");
    int syn2 = find(r, 0, 0, is_syn, 2);
    if (syn2 < 0) WHY("no second SYN");
    if (r->segs[syn2].t_us < r->bind_refused_us) WHY("the second connection began before the restart");
    /* the first connection's TIME_WAIT outlived the restart */
    if (r->end_time_us < r->bind_refused_us + 2 * 5000 * MS - 100 * MS)
        WHY("the run ended before the old connection's TIME_WAIT could have");
    return true;
}

/* rcvtimeo: two recv() calls gave up 2 s after they began; no segment was
 * sent for them; the answer came after. */
static bool check_rcvtimeo(const struct lab_result *r, char *why, size_t cap)
{
    if (r->timeouts[0] != 2) WHY("%d recv() timeouts, expected 2", r->timeouts[0]);
    if (r->timeout_at_us[0] - r->block_from_us[0] != 2000 * MS)
        WHY("the first recv() gave up after %.3f ms, not 2000", (double)(r->timeout_at_us[0] - r->block_from_us[0]) / 1000.0);
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side == 1 && s->len > 0 && s->t_us < 5000 * MS) WHY("the answer was sent before the server's 5 s");
        if (s->side == 0 && s->t_us > r->block_from_us[0] && s->t_us < 5000 * MS)
            WHY("the client sent a segment at %.3f ms while recv() was waiting", (double)s->t_us / 1000.0);
    }
    return true;
}

/* sndtimeo: a send() gave up after 1 s against a zero window; the whole
 * answer arrived after the client read. */
static bool check_sndtimeo(const struct lab_result *r, char *why, size_t cap)
{
    if (r->timeouts[1] < 1) WHY("no send() timed out");
    if (r->timeout_at_us[1] - r->block_from_us[1] != 1000 * MS)
        WHY("the first send() gave up after %.3f ms, not 1000", (double)(r->timeout_at_us[1] - r->block_from_us[1]) / 1000.0);
    if (r->timeout_at_us[1] > 4000 * MS) WHY("the timeout came after the client began to read");
    bool shut = false;
    for (int i = 0; i < r->nsegs; i++) {
        const struct lab_seg *s = &r->segs[i];
        if (s->side == 0 && !is_syn(s) && s->win < 1448 && s->t_us < r->timeout_at_us[1]) shut = true;
    }
    if (!shut) WHY("the client's window never fell below one segment before the timeout");
    return true;
}

/* linger-close: close() returned 2 s after it was called, not drained, and
 * the data and the FIN still arrived (no RST). */
static bool check_linger_close(const struct lab_result *r, char *why, size_t cap)
{
    if (!r->close_called_us) WHY("the server never closed with SO_LINGER");
    if (r->close_drained) WHY("close() returned drained: the window never shut");
    if (r->close_returned_us - r->close_called_us != 2000 * MS)
        WHY("close() returned after %.3f ms, not 2000", (double)(r->close_returned_us - r->close_called_us) / 1000.0);
    if (count(r, -1, is_rst) != 0) WHY("a RST was sent");
    int fin = find(r, 0, 1, is_fin, 1);
    if (fin < 0) WHY("the server sent no FIN");
    return true;
}

#define ST(x) SYNACK_##x
#define NSTATES(...) (int)(sizeof((enum synack_tcp_state[]){__VA_ARGS__}) / sizeof(enum synack_tcp_state))
#define CSTATES(...) .client = {__VA_ARGS__}, .nclient = NSTATES(__VA_ARGS__)
#define SSTATES(...) .server = {__VA_ARGS__}, .nserver = NSTATES(__VA_ARGS__)
#define CLIENT_DEFAULT CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT), ST(CLOSED))
#define SERVER_DEFAULT SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED))
#define DROP(side_, match_, nth_) {.side = (side_), .active = true, .match = (match_), .nth = (nth_)}

const struct scenario scenarios[] = {
    {
        .name = "handshake",
        .title = "the default: connect, request, answer, the client closes first",
        .explanation =
            "The three-way handshake (RFC 9293 3.5): the client sends SYN with its initial sequence number "
            "(ISN), the server answers SYN|ACK with its own ISN and acknowledges the client's (ack=ISN+1), "
            "and the client's ACK completes it. Each side learns the other's ISN, MSS and options (SACK, "
            "timestamps, window scale, RFC 7323) in the SYNs.\n\n"
            "Then the client sends an 18-byte request, the server answers, and the connection closes with "
            "two FINs, each acknowledged (RFC 9293 3.6). The client closed first, so it waits in TIME_WAIT "
            "for 2*MSL.",
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_handshake,
    },
    {
        .name = "lost-syn",
        .title = "the client's first SYN is lost",
        .explanation =
            "The network drops the client's first SYN. Nothing comes back, so the client's retransmission "
            "timer fires after the initial RTO of 1 s (RFC 6298 2.1) and the SYN goes out again, with the "
            "same ISN. The server never saw the first one; the handshake completes one second late. A SYN "
            "that is lost every time ends as the syn-timeout scenario.\n\n"
            "With --set syn_retries=0 the client gives up after the first RTO and connect fails with "
            "ETIMEDOUT.",
        .rules = {DROP(0, SCEN_M_SYN, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_syn,
    },
    {
        .name = "lost-synack",
        .title = "the server's SYN|ACK is lost",
        .explanation =
            "The server answers the SYN and moves to SYN_RCVD, but its SYN|ACK is lost. Both sides now wait "
            "for the other: the client's SYN timer and the server's SYN|ACK timer both run with the initial "
            "RTO of 1 s (RFC 6298). The client's retransmitted SYN is a duplicate for the server, which "
            "answers it with its SYN|ACK again (as Linux does); its own timer sends one more.",
        .rules = {DROP(1, SCEN_M_SYNACK, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_synack,
    },
    {
        .name = "lost-ack",
        .title = "the handshake's third segment (the client's ACK) is lost",
        .explanation =
            "The client is ESTABLISHED as soon as it sends the ACK of the SYN|ACK, but that ACK is lost, so "
            "the server stays in SYN_RCVD. Here the client waits 2 s before sending its request (if it sent "
            "data at once, the data segment would carry the same ACK and complete the handshake). After its "
            "RTO of 1 s the server retransmits the SYN|ACK; the client, already ESTABLISHED, answers the "
            "duplicate with an ACK (RFC 9293 3.10.7.4), and the server reaches ESTABLISHED.",
        .client = {.request_delay_ms = 2000},
        .rules = {DROP(0, SCEN_M_PURE_ACK, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_ack,
    },
    {
        .name = "syn-to-closed-port",
        .title = "a SYN to a port nobody listens on is answered with RST",
        .explanation =
            "The client connects to port 81, where nothing listens. A host answers any segment for a "
            "connection that does not exist with a reset (RFC 9293 3.10.7.1): to a SYN, RST|ACK with "
            "seq=0 and ack=ISN+1, so that the client can check it acknowledges its SYN. The client's "
            "connect fails with ECONNREFUSED at once, one round trip after the SYN, with no retry.",
        .client = {.dport = 81},
        .expect = {CSTATES(ST(SYN_SENT), ST(CLOSED)), .client_error = -ECONNREFUSED, .no_data = true},
        .check = check_refused,
    },
    {
        .name = "simultaneous-open",
        .title = "both ends connect to each other at the same time",
        .explanation =
            "Both ends do an active open at the same instant, each to the other's known port (the client "
            "binds port 5000). Their SYNs cross in the network. Each side, in SYN_SENT, receives a SYN "
            "without ACK, moves to SYN_RCVD and answers SYN|ACK (RFC 9293 3.5). Each SYN|ACK "
            "then completes the other side's open: four segments instead of three, and no listener.",
        .client = {.lport = 5000},
        .server = {.active_open = true},
        .expect = {CSTATES(ST(SYN_SENT), ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2),
                                     ST(TIME_WAIT), ST(CLOSED)),
                   SSTATES(ST(SYN_SENT), ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK),
                                     ST(CLOSED))},
        .check = check_simultaneous_open,
    },
    {
        .name = "backlog-full",
        .title = "the listen queue is full: a SYN is dropped and retried",
        .explanation =
            "The server listens with a backlog of 1 and does not call accept() until 2.5 s. The first "
            "connection completes its handshake and waits in the accept queue. The second one's SYN finds "
            "the queue full and is dropped without an answer (as Linux does, counted in ListenOverflows and "
            "ListenDrops; RFC 9293 leaves the queue to the implementation, and TCP/IP Illustrated vol. 1, "
            "18.11, shows BSD ignoring the SYN the same way): the client cannot tell it from a loss and "
            "retransmits after 1 s and 2 s more. Once the server accepts the first connection there is room, and the SYN at 3.1 s gets its "
            "SYN|ACK.",
        .client = {.nconns = 2, .conn_gap_ms = 100},
        .server = {.backlog = 1, .accept_at_ms = 2500},
        /* the two connections interleave: [conn 1] ..., [conn 2] ... */
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(SYN_SENT), ST(FIN_WAIT_1), ST(FIN_WAIT_2),
                           ST(TIME_WAIT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                           ST(CLOSED), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED), ST(SYN_RCVD),
                           ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED))},
        .check = check_backlog_full,
    },
    {
        .name = "fast-retransmit",
        .title = "a lost data segment is resent after three duplicate ACKs",
        .explanation =
            "The server sends 20000 bytes: ten segments at once (the initial window, RFC 6928), and the "
            "second is lost. Every later segment arrives out of order, and the client acknowledges each at "
            "once with the same ACK number, a duplicate ACK carrying a SACK block (RFC 5681 4.2, RFC 2018). "
            "The third duplicate ACK triggers fast retransmit (RFC 5681 3.2): the server resends the missing "
            "segment without waiting for its RTO, halves ssthresh and enters fast recovery (RFC 6582).",
        .bytes = 20000,
        .rules = {DROP(1, SCEN_M_DATA, 2)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_fast_retransmit,
    },
    {
        .name = "rto-retransmit",
        .title = "a lost segment with nothing after it waits for the RTO",
        .explanation =
            "The server's only data segment is lost. No later segment can produce duplicate ACKs, so only "
            "the retransmission timer can repair it: after the RTO (RFC 6298: SRTT + 4*RTTVAR, at least "
            "200 ms here as in Linux) the server resends it, doubles its RTO for the next time (backoff, "
            "RFC 6298 5.5) and restarts slow start from one segment (RFC 5681 3.1).",
        .rules = {DROP(1, SCEN_M_DATA, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_rto_retransmit,
    },
    {
        .name = "out-of-order",
        .title = "a data segment arrives late: reordering without loss",
        .explanation =
            "The server sends three segments; the network holds the second back by 5 ms, so the third "
            "arrives first. The receiver keeps the out-of-order data (RFC 9293 3.10.7.4) and acknowledges "
            "at once with a duplicate ACK and a SACK block naming what it holds (RFC 5681 4.2, RFC 2018). "
            "When the late segment arrives, one cumulative ACK covers all three. One or two duplicate "
            "ACKs are not enough for fast retransmit (three are), so nothing is resent.",
        .bytes = 4000,
        .rules = {{.side = 1, .active = true, .match = SCEN_M_DATA, .nth = 2, .hold_ms = 5}},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_out_of_order,
    },
    {
        .name = "zero-window",
        .title = "the receiver's buffer fills: zero window and persist probes",
        .explanation =
            "The client has a receive buffer of two segments (2896 bytes; window scaling is off here so "
            "that the window is exact to the byte) and reads nothing until 3 s. The server's first two "
            "segments fill the buffer and the client's ACK advertises win=0. The server must stop, but a "
            "window update could be lost, so its persist timer sends zero-window probes (RFC 9293 "
            "3.8.6.1; here an ACK one byte below SND.UNA, as Linux), backing off like the RTO. When the "
            "client reads, it advertises the window again and the transfer resumes.",
        .bytes = 20000,
        .set = {"window_scaling=0"},
        .client = {.rcvbuf = 2896, .read_at_ms = 3000},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_zero_window,
    },
    {
        .name = "nagle",
        .title = "small writes are coalesced while one is unacknowledged",
        .explanation =
            "The client writes its 18-byte request in five small writes, 2 ms apart. Nagle's algorithm "
            "(RFC 896, RFC 9293 3.7.4; in Minshall's form, as Linux) sends the first small segment at once "
            "but holds back the others while it is unacknowledged. When its ACK arrives one round trip "
            "later, the rest leaves as one segment: two segments instead of five. TCP_NODELAY turns this "
            "off, for protocols that cannot wait.",
        .client = {.write_size = 4, .write_gap_ms = 2},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_nagle,
    },
    {
        .name = "delayed-ack",
        .title = "the server delays its ACK of the request",
        .explanation =
            "A receiver need not acknowledge every segment at once (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2): "
            "it may wait, hoping to carry the ACK on data of its own, but not longer than 500 ms and not "
            "past every second full-sized segment. Here the server switches to delayed ACKs "
            "(TCP_QUICKACK 0) and thinks for 100 ms before answering. Its ACK of the request leaves on its "
            "own when the 40 ms delayed-ACK timer expires (Linux's minimum; --set delack_ms=... changes "
            "it).",
        .client = {.request_delay_ms = 50},
        .server = {.quickack_off = true, .think_ms = 100},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_delayed_ack,
    },
    {
        .name = "close-client-first",
        .title = "the client closes first and keeps TIME_WAIT",
        .explanation =
            "The active close (RFC 9293 3.6): the client sends FIN and goes to FIN_WAIT_1, the server's ACK "
            "moves it to FIN_WAIT_2, and the server, whose application read the end of the stream, sends "
            "its own FIN from CLOSE_WAIT through LAST_ACK. The client acknowledges it and stays in "
            "TIME_WAIT for 2*MSL, so that a lost last ACK can be repeated and old duplicates of this "
            "connection die out before the same ports are used again.",
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_close_client_first,
    },
    {
        .name = "close-server-first",
        .title = "the server closes first and keeps TIME_WAIT",
        .explanation =
            "The server closes as soon as its answer is queued, as an HTTP/1.0 server does. Its FIN follows "
            "the data; the client reads the answer, then end-of-file (recv returns 0), and closes in turn. "
            "Either side may close first (RFC 9293 3.6); here the roles of the close swap: the server goes through FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT, the "
            "client through CLOSE_WAIT and LAST_ACK. Whoever closes first pays the TIME_WAIT.",
        .client = {.close = SCEN_CLOSE_AFTER_EOF},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                                     ST(CLOSED))},
        .check = check_close_server_first,
    },
    {
        .name = "half-close",
        .title = "the client shuts down its sending side and still receives",
        .explanation =
            "A FIN closes one direction only (RFC 9293 3.6.1). The client sends its request, then at once "
            "shutdown(SHUT_WR): its FIN rides on the request and says \"no more from me\". The server reads "
            "the request and the end-of-file, works for 100 ms and only then answers (as a sort filter "
            "must), and closes 100 ms later. The client, in FIN_WAIT_2, still receives and acknowledges "
            "the answer, until the server's FIN.",
        .client = {.shutdown_after_request = true, .close = SCEN_CLOSE_AFTER_EOF},
        .server = {.answer_after_eof = true, .think_ms = 100, .close_delay_ms = 100},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_half_close,
    },
    {
        .name = "simultaneous-close",
        .title = "both ends close at the same time: CLOSING",
        .explanation =
            "Both applications close at 200 ms, so the two FINs cross in the network. Each side, in "
            "FIN_WAIT_1, receives a FIN that does not acknowledge its own: it acknowledges it and moves to "
            "CLOSING (RFC 9293 3.6). When the ACK of its own FIN arrives it goes to TIME_WAIT. "
            "Both ends did an active close, so both wait 2*MSL.",
        .client = {.close_at_ms = 200},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER, .close_at_ms = 200},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSING), ST(TIME_WAIT),
                                     ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSING), ST(TIME_WAIT),
                                     ST(CLOSED))},
        .check = check_simultaneous_close,
    },
    {
        .name = "lost-fin",
        .title = "the client's FIN is lost and retransmitted",
        .explanation =
            "A FIN occupies one sequence number, so it is delivered reliably like data (RFC 9293 3.6): the "
            "lost FIN stays unacknowledged, the client's retransmission timer fires after the RTO, and the "
            "FIN goes out again. Until then the client is in FIN_WAIT_1 and the server does not know the "
            "client is done.",
        .rules = {DROP(0, SCEN_M_FIN, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_fin,
    },
    {
        .name = "lost-fin-ack",
        .title = "the server's ACK of the client's FIN is lost",
        .explanation =
            "The server acknowledges the client's FIN but that ACK is lost; the server's application waits "
            "1 s before closing, so no FIN of its own carries the acknowledgment either. The client, still "
            "in FIN_WAIT_1, retransmits its FIN after the RTO; the server, in CLOSE_WAIT, sees a duplicate "
            "and acknowledges it again (RFC 9293 3.10.7.4). Pure ACKs are never retransmitted: only the "
            "segment they acknowledge is.",
        .server = {.close_delay_ms = 1000},
        .rules = {DROP(1, SCEN_M_ACK_OF_FIN, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_fin_ack,
    },
    {
        .name = "lost-last-ack",
        .title = "the last ACK is lost: TIME_WAIT re-ACKs the retransmitted FIN",
        .explanation =
            "The client's ACK of the server's FIN, the last segment of the connection, is lost. The server "
            "stays in LAST_ACK and retransmits its FIN after the RTO. This is why the active closer waits "
            "in TIME_WAIT (RFC 9293 3.6): still holding the connection, the client acknowledges the "
            "retransmitted FIN again and restarts its 2*MSL timer. Without TIME_WAIT it would answer with "
            "a RST and the server's close would end in an error.",
        .rules = {DROP(0, SCEN_M_ACK_OF_FIN, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_last_ack,
    },
    {
        .name = "time-wait-reuse",
        .title = "a new SYN reuses a 4-tuple still in TIME_WAIT",
        .explanation =
            "The server closes first and holds the connection in TIME_WAIT for 2*MSL. One second later the "
            "client connects again from the same port (it binds port 40000), so the new SYN finds the old "
            "connection. The server accepts it because the SYN is newer than anything of the old "
            "connection: its timestamp is higher (RFC 6191; without timestamps, its sequence number is "
            "above the old one, RFC 1122 4.2.2.13). The TIME_WAIT ends early and a new connection starts.",
        .client = {.nconns = 2, .sequential = true, .conn_gap_ms = 1000, .lport = 40000,
                   .close = SCEN_CLOSE_AFTER_EOF},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED),
                                     ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                                     ST(CLOSED), ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2),
                                     ST(TIME_WAIT), ST(CLOSED))},
        .check = check_time_wait_reuse,
    },
    {
        .name = "linger-abort",
        .title = "SO_LINGER {1, 0}: close sends RST instead of FIN",
        .explanation =
            "The client sets SO_LINGER with a zero timeout and closes. That is an abortive close (RFC 9293 "
            "3.10.5 ABORT): the connection sends RST, discards what it had, and is gone at once, with no "
            "FIN exchange and no TIME_WAIT. The server's next recv fails with ECONNRESET. Programs use it "
            "to avoid TIME_WAIT, at the price of losing any data still in flight.",
        .client = {.linger_abort = true},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSED)),
                   .server_error = -ECONNRESET},
        .check = check_abort,
    },
    {
        .name = "unread-data-rst",
        .title = "close with unread data sends RST",
        .explanation =
            "The client closes without reading the answer that arrived. Its application can no longer read "
            "it, and the server believes it was delivered, so the stack tells the peer with a RST instead "
            "of a FIN (RFC 2525 2.17; Linux counts it as TCPAbortOnClose). The server's "
            "recv fails with ECONNRESET.",
        .client = {.no_read = true},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSED)),
                   .server_error = -ECONNRESET, .no_data = true},
        .check = check_unread,
    },
    {
        .name = "keepalive-timeout",
        .title = "the path dies: keepalive probes, then ETIMEDOUT",
        .explanation =
            "Both ends enable SO_KEEPALIVE (here: first probe after 10 s idle, then every 5 s, give up "
            "after 3 unanswered; Linux's defaults are 7200 s, 75 s and 9). After the answer the network "
            "between them fails at 1 s. An idle connection sends nothing, so without keepalive neither end "
            "would ever notice. A probe is an ACK with SEQ = SND.NXT-1, a byte already "
            "acknowledged, which the peer must answer (RFC 1122 4.2.3.6, RFC 9293 3.8.4). No answer comes; after the last probe each end drops the connection and its "
            "application gets ETIMEDOUT.",
        .set = {"keepalive_time_s=10", "keepalive_intvl_s=5", "keepalive_probes=3"},
        .client = {.keepalive = true, .close = SCEN_CLOSE_NEVER},
        .server = {.keepalive = true},
        .rules = {{.side = -1, .active = true, .match = SCEN_M_ANY, .nth = 0, .from_ms = 1000}},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSED)),
                   .client_error = -ETIMEDOUT, .server_error = -ETIMEDOUT},
        .check = check_keepalive,
    },
    {
        .name = "rst-in-window",
        .title = "a forged in-window RST gets a challenge ACK",
        .explanation =
            "At 200 ms an attacker forges a RST from the client, with a sequence number inside the server's "
            "receive window but not exactly RCV.NXT. Before RFC 5961 any in-window RST reset the "
            "connection, so guessing a window was enough. Now (RFC 5961 3.2, RFC 9293 3.10.7.4) only a RST "
            "at exactly RCV.NXT resets; one elsewhere in the window is answered with a challenge ACK. The "
            "real client would answer that ACK with a RST carrying the right number if it had really "
            "reset; it has not, so it ignores the ACK and the connection survives.",
        .client = {.close_at_ms = 500},
        .inject = {.kind = SCEN_INJ_RST_IN_WINDOW, .at_ms = 200},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_rst_in_window,
    },
    {
        .name = "syn-timeout",
        .title = "no answer to any SYN: connect fails with ETIMEDOUT",
        .explanation =
            "Every SYN the client sends is lost (a firewall that drops silently). As Linux 6.x does, the "
            "first syn_linear_timeouts (4, net.ipv4.tcp_syn_linear_timeouts) retransmissions keep the "
            "initial RTO of 1 s, so a SYN lost by chance is repaired quickly; then the timeout doubles "
            "(RFC 6298 5.5): SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s. Linux gives up by time, "
            "not by count: once the time since the first SYN reaches what syn_retries (6, "
            "net.ipv4.tcp_syn_retries) doubling retransmissions would take, 1+2+...+64 = 127 s, checked "
            "when a timeout expires: connect fails with ETIMEDOUT at 131 s. --set syn_retries=N or "
            "--set syn_linear_timeouts=0 (the classic 1, 2, 4, 8 s backoff) changes the story.",
        .rules = {DROP(0, SCEN_M_SYN, 0)},
        .expect = {CSTATES(ST(SYN_SENT), ST(CLOSED)), .client_error = -ETIMEDOUT, .no_data = true},
        .check = check_syn_timeout,
    },
    {
        .name = "lost-server-fin",
        .title = "the server's FIN is lost and retransmitted; TIME_WAIT is where the client is",
        .explanation =
            "The client closed first and waits in FIN_WAIT_2. The server answers, closes, and its FIN is "
            "lost. A FIN takes one sequence number and is retransmitted like data (RFC 9293 3.6, 3.10.7.4): "
            "the server stays in LAST_ACK until its retransmission timer fires (the RTO, RFC 6298) and the "
            "FIN goes out again. The client moves to TIME_WAIT only when a FIN arrives and acknowledges "
            "it. Had the client's application gone (an orphan), Linux would not wait for ever in FIN_WAIT_2: "
            "net.ipv4.tcp_fin_timeout (60 s, --set fin_timeout_ms) bounds it; see fin-timeout.",
        .rules = {DROP(1, SCEN_M_FIN, 1)},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_lost_server_fin,
    },
    {
        .name = "synack-retries",
        .title = "every SYN|ACK is lost: the server's half-open connection gives up",
        .explanation =
            "The server answers the SYN and keeps a half-open connection (SYN_RCVD) in its SYN queue, but "
            "every SYN|ACK is lost. Its own timer resends the SYN|ACK with exponential backoff, 1 s, then "
            "2 s (RFC 6298 5.5), synack_retries times (Linux: net.ipv4.tcp_synack_retries, 5 by default; "
            "2 here, --set synack_retries=N), then drops the half-open connection silently. Each "
            "retransmitted SYN from the client is a duplicate that the server answers too, timing its next "
            "retransmission from that answer (as Linux's tcp_check_req, so the half-open connection lasts "
            "longer), or a new half-open connection once the old one is gone. The client never hears anything and connect "
            "fails with ETIMEDOUT after 131 s (see syn-timeout for the SYN schedule). Bounding the "
            "retries bounds how long a SYN can hold memory at the server (RFC 4987 3.2).",
        .set = {"synack_retries=2"},
        .rules = {DROP(1, SCEN_M_SYNACK, 0)},
        /* every half-open connection at the server: SYN_RCVD, then dropped */
        .expect = {CSTATES(ST(SYN_SENT), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(CLOSED), ST(SYN_RCVD), ST(CLOSED), ST(SYN_RCVD), ST(CLOSED),
                           ST(SYN_RCVD), ST(CLOSED)),
                   .client_error = -ETIMEDOUT, .no_data = true},
        .check = check_synack_retries,
    },
    {
        .name = "fin-retries",
        .title = "every FIN of a closed socket is lost: retransmissions until orphan_retries",
        .explanation =
            "The client's application closes and goes away: its connection is an orphan. Its FIN is "
            "lost every time. As the last segment in flight it is first resent once by a tail-loss probe "
            "(RFC 8985 7, Linux's tcp_early_retrans), then retransmitted with exponential backoff like data (RFC 9293 3.6, "
            "RFC 6298 5.5), but for an orphan Linux limits the retries with net.ipv4.tcp_orphan_retries "
            "(here 3, --set orphan_retries=N; Linux's 0 means 8) instead of tcp_retries2, and then "
            "forgets the connection without a segment. The server, which never saw the FIN, closes its "
            "side later; its FIN reaches a client that no longer has the connection and is answered with "
            "RST (RFC 9293 3.10.7.1).",
        .set = {"orphan_retries=3"},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER, .close_at_ms = 20000},
        .rules = {DROP(0, SCEN_M_FIN, 0)},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSED))},
        .check = check_fin_retries,
    },
    {
        .name = "fin-timeout",
        .title = "an orphaned FIN_WAIT_2 ends after tcp_fin_timeout",
        .explanation =
            "The client closes and its FIN is acknowledged: it is in FIN_WAIT_2, waiting for the server's "
            "FIN. RFC 9293 lets it wait for ever (the peer may still send data), but the client's "
            "application has closed the socket, so nobody could read that data. Linux bounds the wait for "
            "such an orphan with net.ipv4.tcp_fin_timeout (60 s; --set fin_timeout_ms=N): the connection "
            "then disappears without a segment, instead of waiting in TIME_WAIT. The server closes only at "
            "90 s; its FIN finds no connection and is answered with RST.",
        .server = {.close_at_ms = 90000},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(CLOSED)),
                   SERVER_DEFAULT},
        .check = check_fin_timeout,
    },
    {
        .name = "slow-start",
        .title = "slow start: the server's flights grow from 10 segments each round trip",
        .explanation =
            "The server sends 200 kB. A new connection does not know how much the path holds, so it starts "
            "with the initial window of 10 segments (RFC 6928; Linux's initcwnd, --set initial_cwnd=N) and "
            "adds one segment to cwnd for every segment acknowledged (RFC 5681 3.1): the flights roughly "
            "double each round trip (here 20 ms), less when delayed ACKs acknowledge two segments at "
            "once, until a loss or ssthresh ends slow start. net.ipv4.tcp_slow_start_after_idle restarts "
            "it after an idle period. The cwnd graph of the page shows the same growth.",
        .bytes = 200000,
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_slow_start,
    },
    {
        .name = "ecn",
        .title = "ECN: a full queue marks packets CE instead of dropping them, and the sender slows down",
        .explanation =
            "Explicit Congestion Notification (RFC 3168) lets a router say \"I am congested\" without "
            "losing a packet. Both sides agree in the handshake: the client's SYN asks with ECE and CWR, "
            "the server's SYN|ACK agrees with ECE (net.ipv4.tcp_ecn: 1 asks and accepts, 2, Linux's "
            "default, only accepts; here both hosts run --set ecn=1). From then on the server's new data "
            "goes ECN-capable, [ect0] in the IP header; SYNs, pure ACKs and retransmissions never do. The "
            "path is a 10 Mbit/s bottleneck with a 30 kB queue that marks ECN-capable packets CE, [ce], "
            "once more than 10 kB wait (a simple AQM; a Not-ECT packet would only be dropped when the "
            "queue is full). The client, seeing a CE mark, sets ECE on every ACK until the server's "
            "CWR. The server reduces its window once per round trip of marks (ssthresh from CUBIC, cwnd "
            "brought down by PRR: the congestion state cwr), and sets CWR on its next new data. The "
            "transfer never fills the queue: no packet is lost. Try --set ecn=0 to see the same path "
            "without ECN: Not-ECT packets are not marked, slow start fills the queue, 12 segments are "
            "dropped and resent.",
        .bytes = 300000,
        .set = {"ecn=1"},
        .rate_mbit = 10,
        .queue_bytes = 30000,
        .ce_bytes = 10000,
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_ecn,
    },
    {
        .name = "option-negotiation",
        .title = "MSS, window scale, timestamps and SACK agreed in the SYNs",
        .explanation =
            "Options are offered only in the SYN and the SYN|ACK, and an option is in use only if both "
            "offered it. MSS (RFC 9293 3.7.1): each side announces the largest segment it can receive, its "
            "MTU minus 40 (1460 here); without it 536 is assumed. Window scale (RFC 7323 2): each side "
            "announces the shift it applies to the windows it sends, so win=512 with a shift of 7 means "
            "65536 bytes; Linux picks the shift from its receive buffer (net.ipv4.tcp_window_scaling). "
            "Timestamps (RFC 7323 3-5, net.ipv4.tcp_timestamps): every segment carries TSval/TSecr, for RTT "
            "measurement and PAWS. SACK-permitted (RFC 2018, net.ipv4.tcp_sack) allows SACK blocks later. "
            "Try --set timestamps=0, --set sack=0 or --set wscale=0 to see a SYN without them.",
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_options,
    },
    {
        .name = "isn",
        .title = "initial sequence numbers: random-looking, per connection, shown relative",
        .explanation =
            "Each side picks its initial sequence number (ISN) for each connection. RFC 9293 3.4.1 and RFC "
            "6528 ask for ISN = M + F(local address, local port, remote address, remote port, secret): M a "
            "clock that ticks every 4 microseconds and F a keyed hash (SipHash here; Linux uses SipHash "
            "too), so a new incarnation of the same connection starts above the old one while an off-path "
            "attacker cannot guess it. The two connections here, from two ports, start at unrelated "
            "numbers, and client and server differ too. The ladder shows sequence numbers relative to each "
            "side's ISN (seq=0 is the SYN), as Wireshark does; --absolute shows the raw ones.",
        .client = {.nconns = 2, .sequential = true, .conn_gap_ms = 100},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT), ST(CLOSED),
                           ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED),
                           ST(SYN_RCVD), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED))},
        .check = check_isn,
    },
    {
        .name = "syn-flood",
        .title = "SYN flood: a full SYN queue answers with SYN cookies",
        .explanation =
            "An attacker sends 12 SYNs to port 80 from addresses nobody owns (10.0.9.1 ... 10.0.9.12) and "
            "never completes a handshake (RFC 4987, TCP SYN flooding attacks). Each SYN would hold a "
            "half-open connection in SYN_RCVD, retransmitting its SYN|ACK into the void until "
            "synack_retries gives up (Linux: net.ipv4.tcp_synack_retries). Here the queue of half-open "
            "connections holds 4 (--set max_syn_backlog=4; Linux bounds it by the listen() backlog, with "
            "net.ipv4.tcp_max_syn_backlog applying when cookies are off).\n\n"
            "Once the queue is full the server keeps no state for a SYN: it answers with a SYN cookie "
            "(net.ipv4.tcp_syncookies=1, Linux's default: cookies only when the queue overflows). The cookie "
            "is the SYN|ACK's own sequence number: a keyed hash of the 4-tuple and the client's ISN, a "
            "time counter and the MSS in 3 bits. When the real client's ACK comes back with ack = cookie + 1, "
            "the server checks the hash and builds the connection from the ACK alone. The price: options "
            "not encoded in the cookie are lost (this stack's cookie keeps only the MSS, so the connection "
            "runs without window scaling, SACK or timestamps; Linux keeps them in the timestamp when both "
            "ends use timestamps). Counters: SyncookiesSent, SyncookiesRecv, ListenDrops.",
        .set = {"max_syn_backlog=4", "synack_retries=2"},
        .inject = {.kind = SCEN_INJ_SYN_FLOOD, .at_ms = 0, .count = 12},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT},
        .check = check_syn_flood,
    },
    {
        .name = "reuseaddr-bind",
        .title = "SO_REUSEADDR: a restarted server binds its port while TIME_WAIT holds it",
        .explanation =
            "The server answers and closes first, so its end of the connection waits in TIME_WAIT for "
            "2\xc3\x97MSL (RFC 9293 3.6.1; Linux: 60 s, fixed). Then the server restarts: it closes its "
            "listening socket and binds port 80 again. Without SO_REUSEADDR, bind() fails with EADDRINUSE: "
            "the TIME_WAIT connection still owns the port (Linux refuses the same way). With SO_REUSEADDR "
            "set before bind(), the same call succeeds (a listener may share its port with TIME_WAIT "
            "connections, never with another listener), and the next client is served at once. That is "
            "why servers set SO_REUSEADDR. The old connection's TIME_WAIT is untouched: it still ends "
            "2\xc3\x97MSL after it began. (net.ipv4.tcp_tw_reuse is another matter: it lets connect() reuse a "
            "TIME_WAIT 4-tuple.)",
        .msl_ms = 5000,
        .client = {.nconns = 2, .sequential = true, .conn_gap_ms = 500, .close = SCEN_CLOSE_AFTER_EOF},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER, .restart = true},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED), ST(SYN_SENT),
                           ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                           ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT), ST(CLOSED),
                           ST(CLOSED)),
                   .server_error = -EADDRINUSE},
        .check = check_reuseaddr_bind,
    },
    {
        .name = "rcvtimeo",
        .title = "SO_RCVTIMEO: a blocking recv() gives up with EAGAIN after the timeout",
        .explanation =
            "The client sets SO_RCVTIMEO to 2 s and calls a blocking recv() for the answer; the server "
            "takes 5 s to think. recv() waits; when 2 s pass with nothing to read it returns -1 with "
            "errno EAGAIN (EWOULDBLOCK), as Linux does (socket(7)). A timeout ends the call, not the "
            "connection: nothing is sent on the wire, and the client simply calls recv() again. The "
            "second call times out at 4 s too; the third returns the answer when it arrives at about "
            "5 s. SO_RCVTIMEO is the sockets API's, not TCP's (no RFC timer is involved); {0, 0}, the "
            "default, waits for ever. accept() obeys it too.",
        .client = {.rcvtimeo_ms = 2000},
        .server = {.think_ms = 5000},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT, .client_error = -EAGAIN},
        .check = check_rcvtimeo,
    },
    {
        .name = "sndtimeo",
        .title = "SO_SNDTIMEO: a blocking send() gives up with EAGAIN while the peer's window stays shut",
        .explanation =
            "The server sends a 300 kB answer with blocking send() calls and SO_SNDTIMEO of 1 s; the "
            "client does not read until 4 s. The client's receive buffer fills and its advertised window "
            "shrinks below one segment (RFC 9293 3.8.6), so the server's send buffer fills too. A blocking send() waits for room; when 1 s passes without any, it returns -1 with "
            "EAGAIN (after queueing part of its buffer it would return that count instead), as Linux "
            "does (socket(7)). The connection is unharmed: the server calls send() again, and once the "
            "client reads the rest flows. The window and buffer sizes are the stack's (SO_RCVBUF, "
            "SO_SNDBUF; Linux: net.ipv4.tcp_rmem and tcp_wmem).",
        .bytes = 300000,
        .client = {.read_at_ms = 4000},
        .server = {.sndtimeo_ms = 1000},
        .expect = {CLIENT_DEFAULT, SERVER_DEFAULT, .server_error = -EAGAIN},
        .check = check_sndtimeo,
    },
    {
        .name = "linger-close",
        .title = "SO_LINGER {1, 2}: close() waits up to 2 s for the data to be acknowledged",
        .explanation =
            "The server queues a 40 kB answer and closes with SO_LINGER {1, 2} on a blocking socket. A "
            "lingering close sends the FIN after the data and then waits until everything sent is "
            "acknowledged, at most 2 s (socket(7); RFC 9293 leaves it to the API). The client has a small "
            "receive buffer and does not read until 5 s, so the server meets a zero window and the data "
            "cannot be acknowledged in time: close() returns after 2 s. On Linux (and here) the timeout "
            "does not reset the connection: close() returns and the kernel goes on sending without a "
            "socket, so the client still gets all of it and the FIN once it reads. What the caller "
            "learns is only that the data was not known to be delivered when close() returned. Had the "
            "ACKs come in time, close() would have returned as soon as the FIN was acknowledged. "
            "SO_LINGER {1, 0} is different: it aborts with RST at once (scenario linger-abort).",
        .bytes = 40000,
        .client = {.rcvbuf = 2048, .read_at_ms = 5000, .close = SCEN_CLOSE_AFTER_EOF},
        .server = {.close = SCEN_SCLOSE_AFTER_ANSWER, .linger_s = 2},
        .expect = {CSTATES(ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED)),
                   SSTATES(ST(SYN_RCVD), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                           ST(CLOSED))},
        .check = check_linger_close,
    },
};

const size_t scenario_count = sizeof scenarios / sizeof scenarios[0];

const struct scenario *scenario_find(const char *name)
{
    for (size_t i = 0; i < scenario_count; i++)
        if (strcmp(scenarios[i].name, name) == 0) return &scenarios[i];
    return NULL;
}

const struct scenario *scenario_default(void) { return &scenarios[0]; }

void scenario_apply_defaults(const struct scenario *sc, struct lab_options *o)
{
    if (sc->delay_ms) o->delay_ms = sc->delay_ms;
    if (sc->bytes) o->bytes = sc->bytes;
    if (sc->msl_ms) o->msl_ms = sc->msl_ms;
    if (sc->limit_s) o->limit_s = sc->limit_s;
    if (sc->rate_mbit) o->rate_bps = (uint64_t)sc->rate_mbit * 1000000u;
    if (sc->queue_bytes) o->queue_bytes = sc->queue_bytes;
    if (sc->ce_bytes) o->ce_bytes = sc->ce_bytes;
    for (int i = 0; i < 4 && sc->set[i] && o->nset < 16; i++) o->set[o->nset++] = sc->set[i];
}

void scenario_list(FILE *out)
{
    for (size_t i = 0; i < scenario_count; i++) fprintf(out, "  %-20s %s\n", scenarios[i].name, scenarios[i].title);
}

void scenario_explain(const struct scenario *sc, FILE *out, int width)
{
    const char *p = sc->explanation;
    while (*p) {
        /* one paragraph, wrapped at spaces */
        const char *end = strstr(p, "\n\n");
        if (!end) end = p + strlen(p);
        int col = 0;
        while (p < end) {
            const char *w = p;
            while (w < end && *w != ' ') w++;
            int wl = (int)(w - p);
            if (col > 0 && col + 1 + wl > width) {
                fputc('\n', out);
                col = 0;
            } else if (col > 0) {
                fputc(' ', out);
                col++;
            }
            fwrite(p, 1, (size_t)wl, out);
            col += wl;
            p = w;
            while (p < end && *p == ' ') p++;
        }
        fputc('\n', out);
        if (*end) {
            fputc('\n', out);
            p = end + 2;
        } else {
            p = end;
        }
    }
}
