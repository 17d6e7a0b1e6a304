/*
 * reasm.h — IPv4 reassembly (RFC 791, RFC 815) of fragments addressed to us.
 *
 * Owns: struct reasm — the fragment queues, one per datagram in progress,
 * keyed by (source, destination, protocol, identification) in a keyed hash;
 * their payload bytes, in 2 KB blocks from a small pool of its own; the
 * memory bounds (all queues together: ipfrag_high_thresh, evicting the
 * oldest queues down to ipfrag_low_thresh; one source's queues:
 * ipfrag_src_thresh, evicting that source's oldest); the lifetime of a
 * queue (ipfrag_time, counted from its first fragment as Linux does, kept
 * in one FIFO list: no timer per queue, no walk per poll); and the counters
 * of all this. Must not touch: what a finished datagram means (the IP layer
 * dispatches it), sending anything (reasm_expire hands back what the ICMP
 * time-exceeded message must quote; ip.c sends it).
 *
 * Rules (Linux's, net/ipv4/ip_fragment.c and inet_fragment.c since the
 * FragmentSmack fixes, restated):
 *   - a fragment lying wholly inside bytes already received (a duplicate) is
 *     dropped and the queue kept; any other overlap drops the whole datagram;
 *   - a non-last fragment is cut to a multiple of 8 bytes; one left empty,
 *     an empty last fragment, a last fragment ending before bytes already
 *     received or at a different end than an earlier last fragment, and a
 *     fragment past a known end drop the whole datagram;
 *   - a datagram that would exceed 65535 bytes is dropped (ping of death).
 * synack's own additions: a fragment with DF and MF both set is refused; a
 * datagram held in more than REASM_MAX_RUNS separate pieces is dropped; a
 * per-source bound.
 */
#ifndef SYNACK_IP_REASM_H
#define SYNACK_IP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"
#include "synack/wire.h"

#define REASM_BLOCK 2048u                   /* payload bytes per block */
#define REASM_NBLOCKS (65536u / REASM_BLOCK)
#define REASM_MAX_RUNS 64u                  /* separate pieces of one datagram */
#define REASM_MAX_PAYLOAD (65535u - IPV4_HDR_MIN)
#define REASM_QUOTE_MAX 548u                /* ICMP quote: 576 - 20 - 8 (RFC 1812 4.3.2.3) */

/* A run of contiguous bytes received: [start, end). A run grows only at the
 * top of the datagram (as Linux's fragment runs): a fragment that fills a
 * hole is a run of its own. */
struct reasm_run {
    uint16_t start, end;
};

struct reasm_src;

struct reasm_queue {
    struct reasm_queue *hash_next;
    struct reasm_queue *older, *newer;         /* all queues, oldest first */
    struct reasm_queue *src_older, *src_newer; /* this source's queues */
    struct reasm_src *src;
    uint64_t born;                             /* first fragment's arrival (us) */
    uint32_t saddr, daddr;
    uint16_t ident;
    uint8_t proto;
    uint8_t flags;                             /* REASM_Q_FIRST_IN | REASM_Q_LAST_IN */
    uint8_t hdr_len;                           /* of the first fragment's header */
    uint8_t nruns;
    uint8_t ecn_seen;                          /* 1 << each fragment's ECN field */
    uint32_t len;                              /* payload end: exact once the last fragment came */
    uint32_t got;                              /* payload bytes held (no overlaps: no double count) */
    size_t mem;                                /* bytes charged to this queue */
    struct reasm_run runs[REASM_MAX_RUNS];     /* sorted by start */
    uint8_t *blk[REASM_NBLOCKS];               /* payload, by offset / REASM_BLOCK */
    uint8_t hdr[IPV4_HDR_MAX];                 /* the first fragment's header */
};
#define REASM_Q_FIRST_IN 1u
#define REASM_Q_LAST_IN 2u

struct reasm_src {
    struct reasm_src *hash_next;
    struct reasm_queue *oldest, *newest;       /* its queues */
    uint32_t addr;
    size_t mem;
};

struct reasm {
    const struct synack_tunables *tunables;    /* ipfrag_* */
    struct synack_counters *ctr;
    uint8_t key[16];                           /* hash key (the stack's secret) */
    struct reasm_queue **qbuckets;
    uint32_t nqbuckets, nqueues;
    struct reasm_src **sbuckets;
    uint32_t nsbuckets, nsrcs;
    struct reasm_queue *oldest, *newest;       /* FIFO of all queues: expiry order */
    size_t mem;                                /* bytes charged, all queues */
    size_t peak_mem;                           /* the most ever charged (tests) */
    void *spare_blocks;                        /* freed blocks kept for reuse */
    unsigned nspare_blocks;
    struct reasm_queue *spare_queues;
    unsigned nspare_queues;
    uint8_t *assembly;                         /* 65535 bytes: the datagram just completed */
};

/* What reasm_input did with a fragment. */
enum reasm_result {
    REASM_HELD,      /* kept: the datagram is not complete yet */
    REASM_COMPLETE,  /* the datagram is complete: *out, *out_len (valid until the next call) */
    REASM_DROPPED,   /* dropped and counted (the fragment, or its whole datagram) */
};

/* What an expired queue leaves behind: the ICMP time-exceeded message's
 * quote (the first fragment's header and the first payload bytes), when the
 * first fragment was received (quote_len > 0). */
struct reasm_expired {
    uint32_t saddr, daddr;
    size_t quote_len;
    uint8_t quote[IPV4_HDR_MAX + REASM_QUOTE_MAX];
};

void reasm_init(struct reasm *r, const struct synack_tunables *t, struct synack_counters *ctr,
                const uint8_t key[16]);
void reasm_fini(struct reasm *r);
/* A fragment (ipv4_is_fragment(ip)) addressed to us; pkt is the whole packet
 * ipv4_parse accepted. now in microseconds, never going backwards. */
enum reasm_result reasm_input(struct reasm *r, const struct ipv4_repr *ip, const uint8_t *pkt, uint64_t now,
                              const uint8_t **out, size_t *out_len);
/* Ends one queue whose ipfrag_time is over (oldest first); false when none
 * is due. Call until false. */
bool reasm_expire(struct reasm *r, uint64_t now, struct reasm_expired *out);
/* When the oldest queue expires (TIMER_NEVER-like UINT64_MAX when none). */
uint64_t reasm_next_deadline(const struct reasm *r);

#endif
