/*
 * synack/sim.h — the simulated network: hosts joined by lossy links on a
 * virtual clock.
 *
 * Owns: the virtual clock, packets in flight, link impairments (delay,
 * bandwidth, queue limit, ECN marking, loss, reordering, duplication,
 * corruption) drawn
 * from one seeded PRNG, and the observation tap. Must not touch: any TCP
 * state — a host is only a pair of callbacks (deliver a packet; poll at time
 * now and say when to be polled next), so the same simulator drives synack
 * stacks, scripted peers or anything else.
 *
 * Determinism: the same seed, hosts, links and sends give the same events in
 * the same order at the same virtual times, on every machine. Events at equal
 * times run in the order they were scheduled.
 *
 * Time is in microseconds since the simulation started.
 */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "synack/export.h"

#define SYNACK_SIM_NEVER UINT64_MAX

struct synack_sim;

/* A host, as the simulator sees it. deliver() is called for each packet that
 * arrives at the host (bytes valid only during the call). poll() is called
 * after every step with the current time; it may call synack_sim_send() and
 * returns the next time it wants to be polled (SYNACK_SIM_NEVER for none). */
struct synack_sim_host_ops {
    void (*deliver)(void *ctx, const uint8_t *pkt, size_t len, uint64_t now);
    uint64_t (*poll)(void *ctx, uint64_t now);
};

/* Impairments of one direction of a link. Zero means "none" throughout. */
struct synack_sim_link_params {
    uint64_t delay_us;        /* one-way propagation delay */
    uint64_t bandwidth_bps;   /* serialisation rate; 0 = infinite */
    size_t queue_limit;       /* bytes waiting to be serialised; 0 = unbounded */
    double loss;              /* probability a packet is dropped, 0..1 */
    double reorder;           /* probability a packet is held back ... */
    uint64_t reorder_us;      /* ... by up to this much extra delay */
    double duplicate;         /* probability a packet is delivered twice */
    double corrupt;           /* probability one random bit is flipped */
    /* Bursty loss, Gilbert-Elliott: a two-state chain stepped once per
     * packet, good -> bad with probability ge_enter, bad -> good with
     * ge_leave; in the bad state a packet is lost with probability ge_loss
     * (on top of `loss`, which applies in both states). ge_enter = 0 turns
     * the chain off (and then it draws nothing from the PRNG, so links
     * without it keep their random stream). Mean burst: 1/ge_leave packets. */
    double ge_enter, ge_leave, ge_loss;
    /* ECN marking (RFC 3168 5), a step AQM on the rate-limited queue: an
     * ECT(0) or ECT(1) packet that has to wait behind more than ce_threshold
     * bytes (with its own) is marked CE instead — its header's ECN field set
     * to CE and the header checksum mended — and queued as any other;
     * Not-ECT packets are never marked and only the queue_limit drops them.
     * 0: never mark. */
    size_t ce_threshold;
};

/* What happened to a packet entering a link, reported to the tap. */
enum synack_sim_fate {
    SYNACK_SIM_SENT = 0,         /* will be delivered intact */
    SYNACK_SIM_LOST = 1,         /* dropped by the loss rate */
    SYNACK_SIM_QUEUE_DROP = 2,   /* dropped: queue limit exceeded */
    SYNACK_SIM_CORRUPTED = 3,    /* will be delivered with a bit flipped */
    SYNACK_SIM_NO_ROUTE = 4,     /* no link from the sender to its destination */
};

/* Called for every packet a host sends, at send time, with its fate; and
 * once more with SYNACK_SIM_SENT for a duplicate copy (dup = 1). */
typedef void (*synack_sim_tap_fn)(void *ctx, int from_host, int to_host,
                                  const uint8_t *pkt, size_t len, uint64_t now,
                                  enum synack_sim_fate fate, int dup);

SYNACK_API struct synack_sim *synack_sim_create(uint64_t seed);
SYNACK_API void synack_sim_destroy(struct synack_sim *sim);
SYNACK_API uint64_t synack_sim_now(const struct synack_sim *sim);

/* Adds a host owning IPv4 address addr (host byte order). Returns its id
 * (>= 0) or -EINVAL / -ENOMEM. */
SYNACK_API int synack_sim_add_host(struct synack_sim *sim, uint32_t addr,
                        const struct synack_sim_host_ops *ops, void *ctx);
/* Joins two hosts with a link; each direction has its own impairments.
 * Returns the link id or a negative errno. */
SYNACK_API int synack_sim_link(struct synack_sim *sim, int host_a, int host_b,
                    const struct synack_sim_link_params *a_to_b,
                    const struct synack_sim_link_params *b_to_a);
/* Replaces the impairments of the direction of link that leaves from_host,
 * mid-run if need be. Packets already in flight keep the fate they were
 * given; the serialisation state (busy time, waiting bytes) carries over.
 * Returns 0 or -EINVAL (bad link, from_host not on it, bad params). */
SYNACK_API int synack_sim_set_link_params(struct synack_sim *sim, int link, int from_host,
                               const struct synack_sim_link_params *params);

/* Sends an IPv4 packet from a host: the destination address in its header
 * selects the link. The bytes are copied. Returns 0 or a negative errno
 * (-EINVAL for a packet shorter than an IPv4 header). */
SYNACK_API int synack_sim_send(struct synack_sim *sim, int from_host, const uint8_t *pkt, size_t len);

/* Like synack_sim_send, but over the given link (from_host must be on it),
 * whatever the destination address: for a relay whose two sides route whole
 * subnets through one link. */
SYNACK_API int synack_sim_send_on(struct synack_sim *sim, int link, int from_host,
                                  const uint8_t *pkt, size_t len);

SYNACK_API void synack_sim_set_tap(struct synack_sim *sim, synack_sim_tap_fn tap, void *ctx);

/* A packet filter for deterministic, targeted impairments ("drop the
 * client's first SYN", "hold back the second data segment"). It is consulted
 * for every packet synack_sim_send routes to a link, before the random
 * draws (which are made all the same, so a filter never shifts the random
 * stream of later packets). It returns SYNACK_SIM_PASS or SYNACK_SIM_DROP,
 * and may add *extra_delay_us (0 on entry) to a passed packet's arrival. A
 * dropped packet is lost on the wire like a random loss: it uses its
 * transmit slot, the tap sees SYNACK_SIM_LOST, and it counts in lost and
 * filtered. The random impairments still apply to a passed packet. The
 * filter must not call back into the simulator. NULL removes it. */
enum synack_sim_verdict { SYNACK_SIM_PASS = 0, SYNACK_SIM_DROP = 1 };
typedef enum synack_sim_verdict (*synack_sim_filter_fn)(void *ctx, int from_host, int to_host,
                                                        const uint8_t *pkt, size_t len, uint64_t now,
                                                        uint64_t *extra_delay_us);
SYNACK_API void synack_sim_set_filter(struct synack_sim *sim, synack_sim_filter_fn filter, void *ctx);

/* Polls every host once at the current time (do this after changing a
 * host's state from outside, e.g. after an application call). */
SYNACK_API void synack_sim_poll_hosts(struct synack_sim *sim);

/* Time of the next event: a packet arrival or a host's poll deadline. */
SYNACK_API uint64_t synack_sim_next_event(const struct synack_sim *sim);

/* Advances the clock to the next event (never past limit), delivers every
 * packet due by then, then polls all hosts. Returns the new time, or
 * SYNACK_SIM_NEVER when nothing is scheduled at or before limit (the clock
 * then stays where it was). */
SYNACK_API uint64_t synack_sim_step(struct synack_sim *sim, uint64_t limit);

/* Runs every event due at or before t, then sets the clock to t (never
 * backwards): for a driver whose clock is a real one (synack relay). */
SYNACK_API void synack_sim_advance(struct synack_sim *sim, uint64_t t);

/* A stack secret (ISN and port key) derived from a simulation seed and a
 * host address: reproducible runs, different keys per host. */
SYNACK_API void synack_sim_derive_secret(uint64_t seed, uint32_t addr, uint8_t secret[16]);

/* Counters over the whole run. */
struct synack_sim_stats {
    uint64_t sent, delivered, lost, queue_drops, corrupted, duplicated, reordered, no_route;
    uint64_t filtered; /* dropped by the filter (also counted in lost) */
    uint64_t ce_marked; /* ECT packets marked CE by ce_threshold */
};
SYNACK_API void synack_sim_get_stats(const struct synack_sim *sim, struct synack_sim_stats *out);

#endif
