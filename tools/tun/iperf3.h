/*
 * iperf3.h — the server side of iperf3's protocol, on synack sockets, so
 * that the stock `iperf3 -c` client measures synack (`synack serve --iperf3`).
 *
 * Owns: one test at a time (its control connection, its data streams, the
 * parameters and results exchanged as JSON), the connections still sending
 * their cookie, and the byte counts reported to the client. Must not touch:
 * the listener and accept() (serve.c hands every accepted connection over),
 * the event loop, the core.
 *
 * The protocol, as the iperf3 client speaks it (all of it over TCP):
 *   - every connection opens with the client's 37-byte cookie (36 characters
 *     and a NUL); the first one is the control connection;
 *   - the server drives the test with one-byte states on the control
 *     connection: PARAM_EXCHANGE (9), CREATE_STREAMS (10), TEST_START (1),
 *     TEST_RUNNING (2), EXCHANGE_RESULTS (13), DISPLAY_RESULTS (14); the
 *     client sends TEST_END (4), IPERF_DONE (16) or CLIENT_TERMINATE (12);
 *     ACCESS_DENIED (-1) refuses a second client, SERVER_ERROR (-2) followed
 *     by two 32-bit big-endian numbers (iperf3's error code, errno) refuses a
 *     test it cannot run;
 *   - parameters and results are JSON objects, each preceded by its length
 *     as a 32-bit big-endian number; the client sends its results first;
 *   - data connections carry bytes only (their content is not checked);
 *     streams are numbered 1, 3, 4, 5, ... in the order they connect.
 */
#ifndef SYNACK_TOOLS_IPERF3_H
#define SYNACK_TOOLS_IPERF3_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

struct iperf3_server;
/* What the servers of one test share when several threads, each with its
 * own stack, serve it (serve --threads): the client's control connection
 * lands on one of them, its data streams on any. The server holding the
 * control connection drives the test; the others run the streams that
 * landed on their stacks and publish their byte counts. Set up under a
 * mutex (cookies, joining streams); the data path reads atomics only. */
struct iperf3_shared;

/* A shared state for up to `members` servers; NULL when out of memory. */
struct iperf3_shared *iperf3_shared_new(unsigned members);
/* After every server using it is freed. */
void iperf3_shared_free(struct iperf3_shared *sh);

/* log: where one line per test goes (NULL: nowhere). */
struct iperf3_server *iperf3_server_new(synack_stack *stack, FILE *log);
/* One of several servers sharing sh (at most the members given to it):
 * wake(wake_ctx) is called from other threads when this server has work
 * (a stream joined, the test started or ended). */
struct iperf3_server *iperf3_server_new_shared(synack_stack *stack, FILE *log, struct iperf3_shared *sh,
                                               void (*wake)(void *), void *wake_ctx);
/* Takes ownership of an accepted connection on the iperf3 port. */
void iperf3_server_adopt(struct iperf3_server *s, int sd, uint64_t now);
/* Moves what can move without blocking. Returns the time it wants to run
 * again at the latest (UINT64_MAX: only when a packet arrives). */
uint64_t iperf3_server_step(struct iperf3_server *s, uint64_t now);
/* Connections it holds (control, streams, cookies being read). */
size_t iperf3_server_connections(const struct iperf3_server *s);
/* Tests completed so far. */
uint64_t iperf3_server_tests(const struct iperf3_server *s);
/* Closes everything (graceful: FIN, else RST) and frees. */
void iperf3_server_free(struct iperf3_server *s, bool graceful);

/* ---- exposed for the unit tests ---- */
struct iperf3_params {
    bool tcp, udp, sctp, reverse, bidirectional, server_output;
    double time_s;           /* -t (0 with -n or -k) */
    uint64_t bytes;          /* -n ("num") */
    uint64_t blocks;         /* -k ("blockcount") */
    unsigned parallel;       /* -P */
    uint32_t len;            /* -l: block size */
    unsigned omit_s;         /* -O */
};
/* Parses the client's parameter object. Returns 0, or -1 with *why set when
 * it is not JSON we understand or a value is out of range. */
int iperf3_parse_params(const char *json, size_t len, struct iperf3_params *p, const char **why);

#endif
