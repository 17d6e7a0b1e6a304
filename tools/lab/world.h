/*
 * world.h — synack stacks as hosts of the simulated network.
 *
 * Owns: the glue between struct synack_sim (which knows only callbacks) and
 * synack stacks: each host's stack sends through the simulator and is
 * driven by it; a run loop that interleaves network events with the
 * applications' steps. Used by `synack lab` and by the test suite. Must not
 * touch: stack internals (public API only).
 */
#ifndef SYNACK_TOOLS_WORLD_H
#define SYNACK_TOOLS_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/sim.h"
#include "synack/synack.h"

#define WORLD_MAX_HOSTS 16

struct world;

struct world_host {
    struct world *world;
    synack_stack *stack;
    int sim_id;
    uint32_t addr;
    uint8_t *seg_buf;   /* with TSO (cfg.tso_max): one segment being cut */
    uint64_t supers;    /* super-segments the stack sent (and the link cut) */
    uint16_t mtu;
};

struct world {
    struct synack_sim *sim;
    uint64_t seed;
    int nhosts;
    struct world_host hosts[WORLD_MAX_HOSTS];
};

/* The applications' turn: called after every simulator step (and once at
 * the start). Returns true when the applications are done. */
typedef bool (*world_app_fn)(void *ctx, struct world *w);

int world_init(struct world *w, uint64_t seed);
void world_destroy(struct world *w);
/* Adds a host running a synack stack. cfg may be NULL for defaults; its
 * addr, output and secret are filled in here (secret derived from the seed
 * and the address, so runs are reproducible), and with cfg->tso_max its
 * output_gso: the host's link cuts super-segments into segments in
 * software (wire_tcp_segment) before the simulator sees them, so every
 * impairment acts per segment. Returns the host index. */
int world_add_host(struct world *w, uint32_t addr, const struct synack_config *cfg);
int world_link(struct world *w, int a, int b, const struct synack_sim_link_params *ab,
               const struct synack_sim_link_params *ba);
static inline synack_stack *world_stack(struct world *w, int h) { return w->hosts[h].stack; }
static inline uint64_t world_now(const struct world *w) { return synack_sim_now(w->sim); }

/* Runs until app returns true (returns 0), or the virtual clock would pass
 * limit_us (returns -ETIMEDOUT), or nothing is left to happen while the app
 * is not done (returns -EDEADLK). */
int world_run(struct world *w, uint64_t limit_us, world_app_fn app, void *ctx);
/* Runs the network alone until no event is left before limit_us. */
void world_settle(struct world *w, uint64_t limit_us);

#endif
