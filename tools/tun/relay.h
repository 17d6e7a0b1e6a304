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

/* The targeted tail drop of one direction (tail=N/K): for each TCP flow
 * (4-tuple, learnt from its SYN or SYN|ACK in this direction), the first
 * transmission of every data segment that carries any of the bytes
 * N-K .. N-1 of the flow's data (offsets from ISN + 1) is dropped once;
 * retransmissions (a segment starting below the highest byte dropped so
 * far) pass. A flow seen without its SYN is never touched. Flows live in a
 * fixed table of RELAY_TAIL_FLOWS slots chosen by a hash of the 4-tuple (a
 * new SYN on a taken slot replaces its flow): no allocation per packet. */
#define RELAY_TAIL_FLOWS 64
struct relay_tail_flow {
    uint32_t src, dst, ports; /* ports: source << 16 | destination */
    uint32_t isn;
    uint64_t hi;              /* end offset of the data dropped so far (0: none) */
    int used;
};
struct relay_tail {
    uint64_t n, k;            /* 0: off */
    uint64_t dropped;         /* segments dropped */
    struct relay_tail_flow flow[RELAY_TAIL_FLOWS];
};

/* Parses an impairment spec (delay=MS,jitter=MS,loss=PCT,burst=ENTER/LEAVE[/LOSS],
 * reorder=PCT/MS,dup=PCT,corrupt=PCT,rate=MBIT,queue=BYTES[K|M],ce=BYTES[K|M],
 * tail=N/K) into p and tail (tail may be NULL: then tail= is refused), on
 * top of what they hold. Prints "prog: WHAT 'spec': ..." and returns -1
 * when it is wrong. */
int relay_parse_impair(struct synack_sim_link_params *p, struct relay_tail *tail, const char *spec,
                       const char *prog, const char *what);

/* The tail drop as a simulator filter (synack_sim_set_filter): ctx is an
 * array of relay_tail indexed by the sending host's id in the sim (0, 1). */
enum synack_sim_verdict relay_tail_filter(void *ctx, int from_host, int to_host, const uint8_t *pkt,
                                          size_t len, uint64_t now, uint64_t *extra_delay_us);

int relay_main(int argc, char **argv);

#endif
