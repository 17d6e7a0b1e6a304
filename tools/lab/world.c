/*
 * world.c — synack stacks on the simulated network (see world.h).
 */
#include "world.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

static void host_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct world_host *h = ctx;
    synack_stack_input(h->stack, pkt, len, now);
}

static uint64_t host_poll(void *ctx, uint64_t now)
{
    struct world_host *h = ctx;
    uint64_t t = synack_stack_poll(h->stack, now);
    return t == SYNACK_NEVER ? SYNACK_SIM_NEVER : t;
}

static void host_output(void *ctx, const uint8_t *pkt, size_t len)
{
    struct world_host *h = ctx;
    synack_sim_send(h->world->sim, h->sim_id, pkt, len);
}

/* TSO: the host's link cuts a super-segment into segments (a NIC's TSO). */
static void host_output_gso(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size)
{
    struct world_host *h = ctx;
    h->supers++;
    wire_tcp_segment(pkt, len, gso_size, true, h->seg_buf, h->mtu, host_output, h);
}

static const struct synack_sim_host_ops host_ops = {host_deliver, host_poll};

int world_init(struct world *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->sim = synack_sim_create(seed);
    return w->sim ? 0 : -ENOMEM;
}

void world_destroy(struct world *w)
{
    for (int i = 0; i < w->nhosts; i++) {
        synack_stack_destroy(w->hosts[i].stack);
        free(w->hosts[i].seg_buf);
    }
    synack_sim_destroy(w->sim);
    memset(w, 0, sizeof *w);
}


int world_add_host(struct world *w, uint32_t addr, const struct synack_config *base)
{
    if (w->nhosts >= WORLD_MAX_HOSTS) return -ENOSPC;
    struct world_host *h = &w->hosts[w->nhosts];
    struct synack_config cfg;
    if (base) cfg = *base;
    else synack_config_init(&cfg);
    cfg.addr = addr;
    cfg.output = host_output;
    cfg.output_ctx = h;
    synack_sim_derive_secret(w->seed, addr, cfg.secret);
    h->world = w;
    h->addr = addr;
    h->mtu = cfg.mtu;
    h->seg_buf = NULL;
    if (cfg.tso_max) {
        cfg.output_gso = host_output_gso;
        if (!(h->seg_buf = malloc(cfg.mtu))) return -ENOMEM;
    }
    int err = synack_stack_create(&h->stack, &cfg);
    if (err) {
        free(h->seg_buf);
        h->seg_buf = NULL;
        return err;
    }
    int id = synack_sim_add_host(w->sim, addr, &host_ops, h);
    if (id < 0) {
        synack_stack_destroy(h->stack);
        return id;
    }
    h->sim_id = id;
    return w->nhosts++;
}

int world_link(struct world *w, int a, int b, const struct synack_sim_link_params *ab,
               const struct synack_sim_link_params *ba)
{
    return synack_sim_link(w->sim, w->hosts[a].sim_id, w->hosts[b].sim_id, ab, ba);
}

int world_run(struct world *w, uint64_t limit_us, world_app_fn app, void *ctx)
{
    synack_sim_poll_hosts(w->sim);
    for (;;) {
        if (app(ctx, w)) {
            synack_sim_poll_hosts(w->sim);
            return 0;
        }
        /* The application may have queued work: let the stacks send it. */
        synack_sim_poll_hosts(w->sim);
        uint64_t next = synack_sim_next_event(w->sim);
        if (next == SYNACK_SIM_NEVER) {
            /* One more application turn may still finish the job. */
            if (app(ctx, w)) return 0;
            synack_sim_poll_hosts(w->sim);
            if (synack_sim_next_event(w->sim) == SYNACK_SIM_NEVER) return -EDEADLK;
            continue;
        }
        if (next > limit_us) return -ETIMEDOUT;
        synack_sim_step(w->sim, limit_us);
    }
}

void world_settle(struct world *w, uint64_t limit_us)
{
    synack_sim_poll_hosts(w->sim);
    while (synack_sim_step(w->sim, limit_us) != SYNACK_SIM_NEVER) {
    }
}
