/*
 * trace.h — `synack trace`: TCP connections read back from a capture.
 *
 * Owns: splitting a capture's TCP segments into connections (by 4-tuple; a
 * new SYN after a close starts a new one), inferring the state each end
 * must be in as seen at the capture point, and marking what Wireshark's TCP
 * analysis marks (retransmissions, duplicate ACKs, out-of-order segments,
 * zero windows, window updates, keep-alives, resets, ...). Each connection
 * becomes a render_ladder, printed in `synack lab`'s text format and drawn
 * by svg.c/html.c. Must not touch: the capture formats (pcapread.c) or the
 * IPv4/TCP codecs (wire/).
 *
 * The state inference reads the segments as both ends' inputs and outputs:
 * a side's own SYN, FIN or RST changes its state before the segment's line,
 * what it receives changes it after. A capture taken at one end sees that
 * end's view exactly; the other end's is the earliest it could have been.
 */
#ifndef SYNACK_TOOLS_TRACE_H
#define SYNACK_TOOLS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "pcapread.h"
#include "render.h"
#include "synack/synack.h"

/* One direction of a connection: what the state inference keeps. */
struct trace_flow {
    bool have_isn;            /* a SYN was seen from this side */
    uint32_t isn;
    int wscale;               /* from its SYN; -1 when not sent or not seen */
    bool fin_sent;
    uint32_t fin_seq;         /* sequence number the FIN occupies */
    bool fin_delivered;       /* the peer has taken the FIN in */
    bool fin_acked;
};

struct trace_conn {
    int id;                          /* 1, 2, ... in order of first packet */
    uint32_t addr[2];                /* side 0: the client (it sent the first SYN) */
    uint16_t port[2];
    struct trace_flow f[2];
    struct analysis an;              /* the marks (analysis.h) */
    enum synack_tcp_state state[2];  /* inferred, as seen at the capture point */
    bool listen_pending[2];          /* got a SYN while CLOSED: LISTEN if it answers */
    size_t listen_at[2];             /* event index to put "LISTEN -> SYN_RCVD" at */
    uint64_t listen_t[2];
    bool reset, closed;
    bool syn_seen;
    uint64_t t0_ns, last_ns;
    uint64_t initial_rtt_us;         /* SYN to the ACK of the SYN|ACK; 0 unknown */
    uint64_t syn_t_us;
    uint32_t segments;
    uint32_t mark_count[32];         /* by bit of enum render_mark */
    uint32_t lines_dropped;          /* segments past TRACE_MAX_LINES: analysed, not drawn */
    struct render_ladder *rl;
    struct trace_conn *hash_next;    /* same bucket of struct trace's table, newer first */
};

/* At most this many connections are read from one capture (each keeps its
 * ladder in memory); beyond it trace_read stops with a message saying so. */
#define TRACE_MAX_CONNS 100000
#define TRACE_HASH_BUCKETS 65536u
/* At most this many segments are kept as ladder lines (136 bytes each);
 * later ones are still analysed (states, marks, counts) and the output says
 * how many were not drawn. With the connection cap this bounds memory
 * whatever the capture's size: the file itself is read as a stream. */
#define TRACE_MAX_LINES 1000000

struct trace {
    struct trace_conn **conns;
    size_t nconns, cap;
    struct trace_conn **hash;        /* TRACE_HASH_BUCKETS chains by 4-tuple (either direction) */
    uint64_t packets, tcp_segments, skipped;
    uint64_t lines_kept, lines_dropped;
    bool absolute;
    bool over_cap;                   /* stopped at TRACE_MAX_CONNS */
    const char *reader;              /* of a file: "libpcap" or "builtin" */
};

/* Reads a pcap or pcapng capture held in memory. Returns 0, or -1 with a
 * message in err (it names the file offset for a malformed capture). */
int trace_read(struct trace *t, const uint8_t *data, size_t len, bool absolute, char *err, size_t errcap);
/* The same from a file read as a stream (see pcapread_open); trace_free
 * is to be called either way. */
int trace_read_file(struct trace *t, const char *path, enum pcapread_reader reader, bool absolute, char *err,
                    size_t errcap);
/* ... from an open stream, taken over (window: see pcapread_open_stream). */
int trace_read_stream(struct trace *t, FILE *f, enum pcapread_reader reader, size_t window, bool absolute,
                      char *err, size_t errcap);
void trace_free(struct trace *t);
/* Prints every connection's ladder, final states and marks. */
void trace_print(const struct trace *t, FILE *out);
/* How many segments of the connection carry the mark (enum render_mark);
 * RENDER_M_RETRANS counts the plain ones, not the fast or spurious. */
uint32_t trace_marks(const struct trace_conn *c, uint32_t mark);

/* The `synack trace` subcommand. Exit code. */
int trace_main(int argc, char **argv);

#endif
