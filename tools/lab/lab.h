/*
 * lab.h — `synack lab`: connections played in the simulated network, shown
 * as a ladder of segments and state changes.
 *
 * Owns: lab options, running a scenario (the default one: a client
 * connects, sends a short request, the server answers, the client closes
 * first, then the server; the others are in scenarios.h), the ladder and
 * the segment log it is drawn from, the byte-exact check of what was
 * delivered, the counters and TCP_INFO summary. Must not touch: stack
 * internals (public API only).
 */
#ifndef SYNACK_TOOLS_LAB_H
#define SYNACK_TOOLS_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

struct lab_options {
    uint64_t seed;         /* --seed N */
    double loss;           /* --loss P: each direction */
    double reorder;        /* --reorder P: held back by up to 2*delay */
    double duplicate;      /* --duplicate P */
    double corrupt;        /* --corrupt P: one bit flipped (the checksum catches it) */
    uint32_t delay_ms;     /* --delay MS: one-way */
    /* A bottleneck, each direction (set by a scenario): rate (0: none), its
     * drop-tail queue and the ECN marking threshold (bytes, 0: none). */
    uint64_t rate_bps;
    uint32_t queue_bytes, ce_bytes;
    uint64_t bytes;        /* --bytes N: size of the server's answer */
    bool absolute;         /* --absolute: raw sequence numbers */
    const char *pcap;      /* --pcap FILE */
    uint32_t msl_ms;       /* --msl MS */
    uint64_t limit_s;      /* --time-limit S: virtual seconds before giving up */
    bool quiet;            /* --quiet: no ladder, summary only */
    const char *set[16];   /* --set name=value: stack tunables (both hosts) */
    int nset;
    bool tso;              /* --tso: the stacks send super-segments (TCP segmentation
                            * offload), which each host's link cuts into segments */
    const char *scenario;  /* --scenario NAME (scenarios.h); NULL: the default, told
                            * without the explanation and the counters */
};

void lab_options_default(struct lab_options *o);

/* What a run observed, for the caller (and the tests) to check. */
#define LAB_MAX_STATES 32
#define LAB_MAX_SEGS 512

/* One segment as the ladder showed it (the first LAB_MAX_SEGS of a run). */
struct lab_seg {
    uint64_t t_us;      /* sent */
    int side;           /* sender: 0 client, 1 server */
    int conn;           /* 0 for the first connection of the run, 1 for the next, ... */
    uint16_t cport;     /* the client's port */
    uint8_t flags;      /* TCP_SYN | TCP_ACK | ... (wire.h) */
    uint32_t seq, ack;  /* relative to the connection's ISNs */
    uint32_t len, win;  /* payload bytes; window in bytes (scaled) */
    uint8_t nsack;      /* SACK blocks carried */
    bool lost;          /* dropped by the network (random loss, queue or the scenario) */
    bool retrans;       /* repeats sequence space already sent */
    bool injected;      /* forged by the scenario's attacker */
    uint32_t held_us;   /* held back by the scenario (delivered this much later) */
    uint32_t raw_seq;   /* the sequence number on the wire (a SYN's: the ISN) */
    uint16_t mss;       /* MSS option, 0 when absent */
    int8_t wscale;      /* window-scale option, -1 when absent */
    bool ts, sack_perm; /* timestamps and SACK-permitted options present */
    uint8_t ecn;        /* the IP ECN field as delivered (IP_ECN_*: ECT(0), CE, ...) */
};

struct lab_result {
    bool completed;                 /* both sides reached CLOSED, data verified */
    bool data_ok;                   /* every byte that arrived is the right byte, in order */
    bool data_complete;             /* and all of them arrived */
    uint64_t request_bytes, response_bytes, response_received;
    uint64_t end_time_us;
    int client_error, server_error; /* negative errno seen by either app, 0 none */
    enum synack_tcp_state client_states[LAB_MAX_STATES], server_states[LAB_MAX_STATES];
    int nclient_states, nserver_states;
    uint64_t segments, lost, retransmissions;
    char failure[256];              /* what did not complete, when !completed */
    /* Added by the scenarios: */
    struct lab_seg segs[LAB_MAX_SEGS];
    int nsegs;
    struct synack_counters counters[2];   /* client, server: at the end of the run */
    uint64_t supers;                      /* super-segments the stacks sent (--tso) */
    struct synack_tcp_info client_info;   /* the client's, just before it closed */
    bool have_client_info;
    int expected_client_error, expected_server_error; /* what the scenario expects */
    int nconns;                           /* client connections made (each asks and is answered) */
    /* What the applications' blocking calls and socket calls did: */
    int timeouts[2];                      /* calls ended by SO_RCVTIMEO/SO_SNDTIMEO (-EAGAIN): client, server */
    uint64_t block_from_us[2], timeout_at_us[2]; /* the first such call: when it began, when it gave up */
    uint64_t close_called_us, close_returned_us; /* the server's lingering close (SO_LINGER {1, t}) */
    bool close_drained;                   /* it returned because everything was acknowledged */
    uint64_t bind_refused_us;             /* the restarted server's bind() saw EADDRINUSE then */
    uint64_t rebound_us;                  /* ... and bound with SO_REUSEADDR then */
    int forged_syns;                      /* SYNs sent by a SYN flood */
};

/* Plays o->scenario (NULL: the default, handshake); writes the ladder to
 * out (NULL: nothing). -ENOENT for an unknown scenario.
 * Returns 0 when it completed byte-exact, 1 otherwise, negative errno for
 * a setup error (e.g. the pcap file cannot be created). */
int lab_run(const struct lab_options *o, FILE *out, struct lab_result *res);

/* The `synack lab` subcommand: parses argv, runs, prints. Exit code. */
int lab_main(int argc, char **argv);

#endif
