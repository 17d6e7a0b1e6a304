/*
 * relay.h — `synack relay`: a lossy path between two TUN interfaces.
 *
 * Owns: the relay's options, the two TUN descriptors (each opened inside
 * the network namespace it names) and the real-time loop that feeds the
 * simulated network's impairment code (include/synack/sim.h) with what one
 * side sends and writes to the other side what the link delivers. Must not
 * touch: packet contents (only the sim's "corrupt" flips a bit), any TCP
 * state — the relay is a wire, not a stack.
 */
#ifndef SYNACK_TOOLS_RELAY_H
#define SYNACK_TOOLS_RELAY_H

#include "synack/sim.h"

/* Parses an impairment spec (delay=MS,jitter=MS,loss=PCT,burst=ENTER/LEAVE[/LOSS],
 * reorder=PCT/MS,dup=PCT,corrupt=PCT,rate=MBIT,queue=BYTES[K|M]) into p,
 * on top of what p holds. Prints "prog: WHAT 'spec': ..." and returns -1
 * when it is wrong. */
int relay_parse_impair(struct synack_sim_link_params *p, const char *spec, const char *prog,
                       const char *what);

int relay_main(int argc, char **argv);

#endif
