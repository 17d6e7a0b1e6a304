/*
 * sim.c — the simulated network behind include/synack/sim.h.
 *
 * Owns: the virtual clock, the hosts and links tables, the event heap of
 * packets in flight, the packet buffer pool, the per-direction serialisation
 * queues, the seeded PRNG and the run counters. Must not touch: packet
 * contents (except the one bit a "corrupt" impairment flips, and the ECN
 * field and header checksum that ECN marking rewrites), any TCP or IP
 * state, any real clock, or any global state (everything lives in the sim
 * object, so two sims never disturb each other).
 *
 * Map:
 *   prng_*      xoshiro256** seeded through splitmix64
 *   pool_*      packet buffers: a free list, reused across the whole run
 *   heap_*      binary min-heap of arrivals ordered by (time, seq)
 *   backlog_*   per-direction FIFO of packets waiting to be serialised
 *   synack_sim_* the public API (create, add_host, link, send, step, ...)
 *
 * The life of a packet in synack_sim_send():
 *   1. route: the IPv4 destination selects a link out of the sender
 *      (none: tap NO_ROUTE, count, drop).
 *   1b. filter: the optional filter callback gives its verdict (pass, drop,
 *      hold back by some extra delay), acted on below.
 *   2. draw: exactly PRNG_DRAWS_PER_PACKET numbers, always, in a fixed order
 *      (loss, reorder?, reorder amount, duplicate?, corrupt?, which bit), so
 *      one packet's fate never shifts the random stream of the next one;
 *      two more (step the chain, lost in the bad state?) on a direction with
 *      Gilbert-Elliott bursty loss.
 *   3. queue: if the link is still busy serialising, the packet must wait;
 *      if the bytes already waiting plus this packet exceed queue_limit it
 *      is tail-dropped (tap QUEUE_DROP). A packet that finds the link idle
 *      starts at once and never counts against the limit.
 *   3b. mark: an ECT packet that must wait behind more than ce_threshold
 *      bytes (with its own) is marked CE (delivered copies carry the mark;
 *      the tap sees it).
 *   4. serialise: it occupies the link from max(now, busy_until) for
 *      ceil(bits * 1e6 / bandwidth_bps) microseconds.
 *   5. loss: a lost packet is lost on the wire, *after* serialisation — it
 *      still consumed its transmit slot, like a frame destroyed in flight.
 *   6. arrival = end of serialisation + delay_us (+ a reorder extra drawn
 *      uniformly from 1..reorder_us when the packet is held back).
 *   7. corrupt: one uniformly chosen bit of the delivered copy is flipped.
 *   8. duplicate: a second, intact copy arrives at the same time, directly
 *      after the first (scheduled next, so FIFO order puts it right behind);
 *      it takes no extra serialisation slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/sim.h"

#define SIM_MAX_PACKET 65535u
#define IPV4_MIN_HEADER 20u
#define PRNG_DRAWS_PER_PACKET 6

/* ---- PRNG: xoshiro256** (Blackman & Vigna), state seeded by splitmix64 ---- */

struct prng {
    uint64_t s[4];
};

static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void prng_seed(struct prng *r, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, so the xoshiro
     * state is never the forbidden all-zero state. */
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64_next(&seed);
}

static uint64_t prng_next(struct prng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* A double uniform in [0, 1): the top 53 bits, scaled by 2^-53. */
static double prng_double(struct prng *r)
{
    return (double)(prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- packets, pool and heap ---- */

struct sim_pkt {
    struct sim_pkt *next_free; /* free-list link while pooled */
    uint8_t *data;
    size_t cap;                /* bytes allocated at data (grows, never shrinks) */
    size_t len;
    int to_host;
};

struct sim_event {
    uint64_t time;
    uint64_t seq; /* insertion order: ties at equal time run FIFO */
    struct sim_pkt *pkt;
};

/* One entry per packet waiting for serialisation on one direction. */
struct backlog_entry {
    uint64_t start; /* when its serialisation begins (> the time it was queued) */
    size_t len;
};

/* One direction of a link: its impairments and serialisation state. */
struct sim_dir {
    struct synack_sim_link_params p;
    uint64_t busy_until;         /* serialisation of the last packet ends here */
    struct backlog_entry *q;     /* ring buffer of waiting packets */
    size_t q_cap, q_head, q_count;
    size_t q_bytes;              /* sum of len over the waiting packets */
    int ge_bad;                  /* Gilbert-Elliott chain: in the bad state */
};

struct sim_link {
    int host[2];
    struct sim_dir dir[2]; /* dir[0]: host[0] -> host[1]; dir[1]: reverse */
};

struct sim_host {
    uint32_t addr;
    struct synack_sim_host_ops ops;
    void *ctx;
    uint64_t deadline; /* what poll() last returned */
};

struct synack_sim {
    uint64_t now;
    struct prng rng;

    struct sim_host *hosts;
    int n_hosts, cap_hosts;
    struct sim_link *links;
    int n_links, cap_links;

    struct sim_event *heap;
    size_t heap_len, heap_cap;
    uint64_t next_seq;

    struct sim_pkt *free_pkts;

    synack_sim_tap_fn tap;
    void *tap_ctx;
    synack_sim_filter_fn filter;
    void *filter_ctx;

    struct synack_sim_stats stats;
};

static int event_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static int heap_push(struct synack_sim *sim, uint64_t time, struct sim_pkt *pkt)
{
    if (sim->heap_len == sim->heap_cap) {
        size_t ncap = sim->heap_cap ? sim->heap_cap * 2 : 64;
        struct sim_event *n = realloc(sim->heap, ncap * sizeof *n);
        if (!n) return -ENOMEM;
        sim->heap = n;
        sim->heap_cap = ncap;
    }
    struct sim_event ev = {time, sim->next_seq++, pkt};
    size_t i = sim->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!event_before(&ev, &sim->heap[parent])) break;
        sim->heap[i] = sim->heap[parent];
        i = parent;
    }
    sim->heap[i] = ev;
    return 0;
}

static struct sim_event heap_pop(struct synack_sim *sim)
{
    struct sim_event top = sim->heap[0];
    struct sim_event last = sim->heap[--sim->heap_len];
    size_t n = sim->heap_len, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && event_before(&sim->heap[child + 1], &sim->heap[child])) child++;
        if (!event_before(&sim->heap[child], &last)) break;
        sim->heap[i] = sim->heap[child];
        i = child;
    }
    if (n > 0) sim->heap[i] = last;
    return top;
}

/* Takes a buffer of at least len bytes from the pool (allocating only when
 * the pool is empty or its head buffer is too small) and copies pkt in. */
static struct sim_pkt *pool_get(struct synack_sim *sim, const uint8_t *bytes, size_t len)
{
    struct sim_pkt *p = sim->free_pkts;
    if (p) {
        sim->free_pkts = p->next_free;
    } else {
        p = calloc(1, sizeof *p);
        if (!p) return NULL;
    }
    if (p->cap < len) {
        /* Grow to at least 2 KiB so MTU-sized packets rarely regrow. */
        size_t ncap = len < 2048 ? 2048 : len;
        uint8_t *d = realloc(p->data, ncap);
        if (!d) {
            p->next_free = sim->free_pkts;
            sim->free_pkts = p;
            return NULL;
        }
        p->data = d;
        p->cap = ncap;
    }
    memcpy(p->data, bytes, len);
    p->len = len;
    p->next_free = NULL;
    return p;
}

static void pool_put(struct synack_sim *sim, struct sim_pkt *p)
{
    p->next_free = sim->free_pkts;
    sim->free_pkts = p;
}

/* ---- serialisation backlog (ring buffer per direction) ---- */

/* Forgets the waiting packets whose serialisation has begun by now. */
static void backlog_advance(struct sim_dir *d, uint64_t now)
{
    while (d->q_count > 0 && d->q[d->q_head].start <= now) {
        d->q_bytes -= d->q[d->q_head].len;
        d->q_head = (d->q_head + 1) % d->q_cap;
        d->q_count--;
    }
}

static int backlog_push(struct sim_dir *d, uint64_t start, size_t len)
{
    if (d->q_count == d->q_cap) {
        size_t ncap = d->q_cap ? d->q_cap * 2 : 16;
        struct backlog_entry *n = malloc(ncap * sizeof *n);
        if (!n) return -ENOMEM;
        for (size_t i = 0; i < d->q_count; i++) n[i] = d->q[(d->q_head + i) % d->q_cap];
        free(d->q);
        d->q = n;
        d->q_cap = ncap;
        d->q_head = 0;
    }
    d->q[(d->q_head + d->q_count) % d->q_cap] = (struct backlog_entry){start, len};
    d->q_count++;
    d->q_bytes += len;
    return 0;
}

/* Transmit time of len bytes at bps, rounded up to whole microseconds. */
static uint64_t tx_time_us(size_t len, uint64_t bps)
{
    if (bps == 0) return 0;
    uint64_t num = (uint64_t)len * 8u * 1000000u; /* <= 5.3e11: no overflow */
    return num / bps + (num % bps != 0);
}

/* ---- public API ---- */

struct synack_sim *synack_sim_create(uint64_t seed)
{
    struct synack_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return NULL;
    prng_seed(&sim->rng, seed);
    return sim;
}

void synack_sim_destroy(struct synack_sim *sim)
{
    if (!sim) return;
    for (size_t i = 0; i < sim->heap_len; i++) pool_put(sim, sim->heap[i].pkt);
    while (sim->free_pkts) {
        struct sim_pkt *p = sim->free_pkts;
        sim->free_pkts = p->next_free;
        free(p->data);
        free(p);
    }
    for (int i = 0; i < sim->n_links; i++) {
        free(sim->links[i].dir[0].q);
        free(sim->links[i].dir[1].q);
    }
    free(sim->heap);
    free(sim->links);
    free(sim->hosts);
    free(sim);
}

uint64_t synack_sim_now(const struct synack_sim *sim)
{
    return sim->now;
}

int synack_sim_add_host(struct synack_sim *sim, uint32_t addr,
                        const struct synack_sim_host_ops *ops, void *ctx)
{
    if (!sim || !ops || !ops->deliver || !ops->poll) return -EINVAL;
    for (int i = 0; i < sim->n_hosts; i++)
        if (sim->hosts[i].addr == addr) return -EINVAL; /* addresses route: keep unique */
    if (sim->n_hosts == sim->cap_hosts) {
        int ncap = sim->cap_hosts ? sim->cap_hosts * 2 : 8;
        struct sim_host *n = realloc(sim->hosts, (size_t)ncap * sizeof *n);
        if (!n) return -ENOMEM;
        sim->hosts = n;
        sim->cap_hosts = ncap;
    }
    /* A new host is polled on the next step (its deadline is "now"), so it
     * gets its first chance to send without an explicit poll_hosts(). */
    sim->hosts[sim->n_hosts] = (struct sim_host){addr, *ops, ctx, sim->now};
    return sim->n_hosts++;
}

static int params_valid(const struct synack_sim_link_params *p)
{
    /* Written so NaN fails every test. */
    return p->loss >= 0.0 && p->loss <= 1.0 && p->ge_enter >= 0.0 && p->ge_enter <= 1.0 &&
           p->ge_leave >= 0.0 && p->ge_leave <= 1.0 && p->ge_loss >= 0.0 && p->ge_loss <= 1.0 &&
           p->reorder >= 0.0 && p->reorder <= 1.0 &&
           p->duplicate >= 0.0 && p->duplicate <= 1.0 && p->corrupt >= 0.0 && p->corrupt <= 1.0;
}

int synack_sim_link(struct synack_sim *sim, int host_a, int host_b,
                    const struct synack_sim_link_params *a_to_b,
                    const struct synack_sim_link_params *b_to_a)
{
    static const struct synack_sim_link_params none;
    if (!sim || host_a < 0 || host_b < 0 || host_a >= sim->n_hosts || host_b >= sim->n_hosts ||
        host_a == host_b)
        return -EINVAL;
    if (!a_to_b) a_to_b = &none;
    if (!b_to_a) b_to_a = &none;
    if (!params_valid(a_to_b) || !params_valid(b_to_a)) return -EINVAL;
    if (sim->n_links == sim->cap_links) {
        int ncap = sim->cap_links ? sim->cap_links * 2 : 8;
        struct sim_link *n = realloc(sim->links, (size_t)ncap * sizeof *n);
        if (!n) return -ENOMEM;
        sim->links = n;
        sim->cap_links = ncap;
    }
    struct sim_link *l = &sim->links[sim->n_links];
    memset(l, 0, sizeof *l);
    l->host[0] = host_a;
    l->host[1] = host_b;
    l->dir[0].p = *a_to_b;
    l->dir[1].p = *b_to_a;
    return sim->n_links++;
}

int synack_sim_set_link_params(struct synack_sim *sim, int link, int from_host,
                               const struct synack_sim_link_params *params)
{
    if (!sim || !params || link < 0 || link >= sim->n_links || !params_valid(params))
        return -EINVAL;
    struct sim_link *l = &sim->links[link];
    if (from_host != l->host[0] && from_host != l->host[1]) return -EINVAL;
    l->dir[from_host == l->host[0] ? 0 : 1].p = *params;
    return 0;
}

void synack_sim_set_tap(struct synack_sim *sim, synack_sim_tap_fn tap, void *ctx)
{
    sim->tap = tap;
    sim->tap_ctx = ctx;
}

void synack_sim_set_filter(struct synack_sim *sim, synack_sim_filter_fn filter, void *ctx)
{
    sim->filter = filter;
    sim->filter_ctx = ctx;
}

static void tap(struct synack_sim *sim, int from, int to, const uint8_t *pkt, size_t len,
                enum synack_sim_fate fate, int dup)
{
    if (sim->tap) sim->tap(sim->tap_ctx, from, to, pkt, len, sim->now, fate, dup);
}

/* Finds the link direction out of from_host towards the host owning dst.
 * When several links qualify the lowest link id wins. */
static struct sim_dir *route(struct synack_sim *sim, int from_host, uint32_t dst, int *to_host)
{
    for (int i = 0; i < sim->n_links; i++) {
        struct sim_link *l = &sim->links[i];
        for (int side = 0; side < 2; side++) {
            int other = l->host[1 - side];
            if (l->host[side] == from_host && sim->hosts[other].addr == dst) {
                *to_host = other;
                return &l->dir[side];
            }
        }
    }
    return NULL;
}

static int send_dir(struct synack_sim *sim, struct sim_dir *d, int from_host, int to,
                    const uint8_t *pkt, size_t len);

int synack_sim_send(struct synack_sim *sim, int from_host, const uint8_t *pkt, size_t len)
{
    if (!sim || !pkt || from_host < 0 || from_host >= sim->n_hosts || len < IPV4_MIN_HEADER)
        return -EINVAL;
    if (len > SIM_MAX_PACKET) return -EMSGSIZE;
    sim->stats.sent++;

    /* 1. route */
    uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 |
                   (uint32_t)pkt[18] << 8 | (uint32_t)pkt[19];
    int to = -1;
    struct sim_dir *d = route(sim, from_host, dst, &to);
    if (!d) {
        sim->stats.no_route++;
        tap(sim, from_host, -1, pkt, len, SYNACK_SIM_NO_ROUTE, 0);
        return 0;
    }

    return send_dir(sim, d, from_host, to, pkt, len);
}

int synack_sim_send_on(struct synack_sim *sim, int link, int from_host, const uint8_t *pkt, size_t len)
{
    if (!sim || !pkt || link < 0 || link >= sim->n_links || len < IPV4_MIN_HEADER) return -EINVAL;
    struct sim_link *l = &sim->links[link];
    if (from_host != l->host[0] && from_host != l->host[1]) return -EINVAL;
    if (len > SIM_MAX_PACKET) return -EMSGSIZE;
    sim->stats.sent++;
    int side = from_host == l->host[0] ? 0 : 1;
    return send_dir(sim, &l->dir[side], from_host, l->host[1 - side], pkt, len);
}

/* Whether an IPv4 packet's ECN field is ECT(0) or ECT(1) (RFC 3168 5). */
static int is_ect(const uint8_t *pkt, size_t len)
{
    return len >= IPV4_MIN_HEADER && (pkt[0] >> 4) == 4 && ((pkt[1] & 3u) == 1u || (pkt[1] & 3u) == 2u);
}

/* Sets the ECN field to CE and mends the header checksum. */
static void mark_ce(uint8_t *pkt, size_t len)
{
    size_t hl = (size_t)(pkt[0] & 0x0f) * 4u;
    if (hl < IPV4_MIN_HEADER || hl > len) return;
    pkt[1] |= 3u;
    pkt[10] = pkt[11] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < hl; i += 2) sum += (uint32_t)pkt[i] << 8 | pkt[i + 1];
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    sum = ~sum & 0xffffu;
    pkt[10] = (uint8_t)(sum >> 8);
    pkt[11] = (uint8_t)sum;
}

/* Steps 1b to 8 of the life of a packet, on the chosen direction. */
static int send_dir(struct synack_sim *sim, struct sim_dir *d, int from_host, int to,
                    const uint8_t *pkt, size_t len)
{
    /* 1b. the filter, if any: its verdict is acted on at step 5 */
    enum synack_sim_verdict verdict = SYNACK_SIM_PASS;
    uint64_t filter_delay = 0;
    if (sim->filter) verdict = sim->filter(sim->filter_ctx, from_host, to, pkt, len, sim->now, &filter_delay);

    /* 2. draw, always all of them and always in this order */
    double u_loss = prng_double(&sim->rng);
    double u_reorder = prng_double(&sim->rng);
    double u_reorder_amount = prng_double(&sim->rng);
    double u_dup = prng_double(&sim->rng);
    double u_corrupt = prng_double(&sim->rng);
    double u_bit = prng_double(&sim->rng);
    /* 2b. the Gilbert-Elliott chain, only on links that have one */
    int ge_lost = 0;
    if (d->p.ge_enter > 0.0) {
        double u_step = prng_double(&sim->rng), u_ge = prng_double(&sim->rng);
        d->ge_bad = d->ge_bad ? !(u_step < d->p.ge_leave) : u_step < d->p.ge_enter;
        ge_lost = d->ge_bad && u_ge < d->p.ge_loss;
    }

    /* 3. queue limit (tail drop), only for packets that would have to wait */
    const struct synack_sim_link_params *p = &d->p;
    backlog_advance(d, sim->now);
    uint64_t start = d->busy_until > sim->now ? d->busy_until : sim->now;
    if (start > sim->now && p->queue_limit != 0 && d->q_bytes + len > p->queue_limit) {
        sim->stats.queue_drops++;
        tap(sim, from_host, to, pkt, len, SYNACK_SIM_QUEUE_DROP, 0);
        return 0;
    }

    /* 3b. ECN marking, only for packets that wait (as the drop above) */
    int ce = start > sim->now && p->ce_threshold != 0 && d->q_bytes + len > p->ce_threshold && is_ect(pkt, len);

    /* 4. serialise */
    if (start > sim->now && backlog_push(d, start, len) < 0) return -ENOMEM;
    d->busy_until = start + tx_time_us(len, p->bandwidth_bps);

    /* 5. loss, after the packet used its transmit slot */
    if (verdict == SYNACK_SIM_DROP || u_loss < p->loss || ge_lost) {
        sim->stats.lost++;
        if (verdict == SYNACK_SIM_DROP) sim->stats.filtered++;
        tap(sim, from_host, to, pkt, len, SYNACK_SIM_LOST, 0);
        return 0;
    }

    /* 6. arrival time, perhaps held back */
    uint64_t arrival = d->busy_until + p->delay_us + filter_delay;
    int held = filter_delay != 0;
    if (p->reorder_us > 0 && u_reorder < p->reorder) {
        uint64_t extra = 1 + (uint64_t)(u_reorder_amount * (double)p->reorder_us);
        if (extra > p->reorder_us) extra = p->reorder_us; /* double rounding near 2^53 */
        arrival += extra;
        held = 1;
    }
    if (held) sim->stats.reordered++;

    struct sim_pkt *first = pool_get(sim, pkt, len);
    if (!first) return -ENOMEM;
    first->to_host = to;
    if (ce) {
        mark_ce(first->data, len);
        sim->stats.ce_marked++;
    }
    struct sim_pkt *second = NULL;
    if (u_dup < p->duplicate) {
        second = pool_get(sim, pkt, len);
        if (!second) {
            pool_put(sim, first);
            return -ENOMEM;
        }
        second->to_host = to;
        if (ce) mark_ce(second->data, len);
    }

    /* 7. corrupt the first copy */
    enum synack_sim_fate fate = SYNACK_SIM_SENT;
    if (u_corrupt < p->corrupt) {
        uint64_t nbits = (uint64_t)len * 8u;
        uint64_t bit = (uint64_t)(u_bit * (double)nbits);
        if (bit >= nbits) bit = nbits - 1;
        first->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        sim->stats.corrupted++;
        fate = SYNACK_SIM_CORRUPTED;
    }

    if (heap_push(sim, arrival, first) < 0) {
        pool_put(sim, first);
        if (second) pool_put(sim, second);
        return -ENOMEM;
    }
    /* The tap sees the bytes as they will arrive (a capture shows the flip). */
    tap(sim, from_host, to, first->data, len, fate, 0);

    /* 8. duplicate: scheduled next, so it arrives right behind the first */
    if (second) {
        if (heap_push(sim, arrival, second) < 0) {
            pool_put(sim, second);
            return -ENOMEM;
        }
        sim->stats.duplicated++;
        tap(sim, from_host, to, second->data, len, SYNACK_SIM_SENT, 1);
    }
    return 0;
}

void synack_sim_poll_hosts(struct synack_sim *sim)
{
    /* Index each time: a host's poll may add hosts (and move the array). */
    for (int i = 0; i < sim->n_hosts; i++) {
        uint64_t dl = sim->hosts[i].ops.poll(sim->hosts[i].ctx, sim->now);
        sim->hosts[i].deadline = dl;
    }
}

uint64_t synack_sim_next_event(const struct synack_sim *sim)
{
    uint64_t t = sim->heap_len ? sim->heap[0].time : SYNACK_SIM_NEVER;
    for (int i = 0; i < sim->n_hosts; i++)
        if (sim->hosts[i].deadline < t) t = sim->hosts[i].deadline;
    /* A deadline already in the past means "poll again now". */
    if (t != SYNACK_SIM_NEVER && t < sim->now) t = sim->now;
    return t;
}

uint64_t synack_sim_step(struct synack_sim *sim, uint64_t limit)
{
    uint64_t t = synack_sim_next_event(sim);
    if (t == SYNACK_SIM_NEVER || t > limit) return SYNACK_SIM_NEVER;
    if (t > sim->now) sim->now = t;

    /* Deliver everything due, in (time, seq) order. A packet a host sends
     * from inside deliver() with zero delay is due now and is delivered in
     * this same loop. The buffer returns to the pool only after the call. */
    while (sim->heap_len > 0 && sim->heap[0].time <= sim->now) {
        struct sim_event ev = heap_pop(sim);
        struct sim_host *h = &sim->hosts[ev.pkt->to_host];
        sim->stats.delivered++;
        h->ops.deliver(h->ctx, ev.pkt->data, ev.pkt->len, sim->now);
        pool_put(sim, ev.pkt);
    }
    synack_sim_poll_hosts(sim);
    return sim->now;
}

void synack_sim_advance(struct synack_sim *sim, uint64_t t)
{
    while (sim->heap_len > 0 && sim->heap[0].time <= t) {
        if (sim->heap[0].time > sim->now) sim->now = sim->heap[0].time;
        struct sim_event ev = heap_pop(sim);
        struct sim_host *h = &sim->hosts[ev.pkt->to_host];
        sim->stats.delivered++;
        h->ops.deliver(h->ctx, ev.pkt->data, ev.pkt->len, sim->now);
        pool_put(sim, ev.pkt);
    }
    if (t > sim->now) sim->now = t;
}

void synack_sim_get_stats(const struct synack_sim *sim, struct synack_sim_stats *out)
{
    *out = sim->stats;
}

void synack_sim_derive_secret(uint64_t seed, uint32_t addr, uint8_t secret[16])
{
    uint64_t x = seed ^ ((uint64_t)addr << 20);
    uint64_t k0 = splitmix64_next(&x), k1 = splitmix64_next(&x);
    memcpy(secret, &k0, 8);
    memcpy(secret + 8, &k1, 8);
}
