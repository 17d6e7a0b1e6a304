/*
 * lab.h — `synack lab`: connections played in the simulated network, shown
 * as a ladder of segments and state changes.
 *
 * Owns: lab options, the default scenario (a client connects, sends a short
 * request, the server answers, the client closes first, then the server),
 * the event log the ladder is drawn from, and the byte-exact check of what
 * was delivered. Must not touch: stack internals (public API only).
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
    uint64_t bytes;        /* --bytes N: size of the server's answer */
    bool absolute;         /* --absolute: raw sequence numbers */
    const char *pcap;      /* --pcap FILE */
    uint32_t msl_ms;       /* --msl MS */
    uint64_t limit_s;      /* --time-limit S: virtual seconds before giving up */
    bool quiet;            /* --quiet: no ladder, summary only */
    const char *set[16];   /* --set name=value: stack tunables (both hosts) */
    int nset;
};

void lab_options_default(struct lab_options *o);

/* What a run observed, for the caller (and the tests) to check. */
#define LAB_MAX_STATES 16
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
};

/* Plays the default scenario; writes the ladder to out (NULL: nothing).
 * Returns 0 when it completed byte-exact, 1 otherwise, negative errno for
 * a setup error (e.g. the pcap file cannot be created). */
int lab_run(const struct lab_options *o, FILE *out, struct lab_result *res);

/* The `synack lab` subcommand: parses argv, runs, prints. Exit code. */
int lab_main(int argc, char **argv);

#endif
