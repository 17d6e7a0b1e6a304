/*
 * analysis.h — Wireshark's TCP analysis of one connection, segment by
 * segment: the marks (retransmission, fast retransmission, spurious,
 * out-of-order, dup ack #n, zero window, window update, window full,
 * keep-alive, previous segment not captured, ...) that the ladders show.
 *
 * Owns: what the analysis keeps per direction (next expected sequence
 * number, last ACK and window, duplicate-ACK count) and the rules. Shared
 * by `synack trace` (segments seen at a capture point) and `synack lab`
 * (segments as the simulator carried them), so both pages mark alike.
 * Must not touch: the ladder model (render.h records what this returns),
 * captures, stacks.
 *
 * The rules, checked in Wireshark's order ("next expected" is the highest
 * seq+len seen from the sender, "last" values are the sender's own
 * previous segment's):
 *   zero window probe  len 1, seq == next expected, peer's window is 0
 *   zero window        window 0, no SYN/FIN/RST
 *   prev. not captured seq > next expected (a gap), no RST
 *   keep-alive         len <= 1, seq == next expected - 1, no SYN/FIN/RST
 *   window update      len 0, window != 0 and changed, seq == next expected,
 *                      ack == last ack, no SYN/FIN/RST
 *   window full        len > 0 and the segment fills the peer's window
 *   keep-alive ack     len 0, window unchanged, seq/ack as last, and the
 *                      peer's last segment was a keep-alive
 *   zero win probe ack len 0, window 0 unchanged, seq/ack as last, and the
 *                      peer's last segment was a zero window probe
 *   dup ack            len 0, window != 0 unchanged, seq == next expected,
 *                      ack == last ack, no SYN/FIN/RST (counted #1, #2, ...)
 *   ACKed unseen       ack beyond anything the peer was seen to send
 *   retransmission     len > 0 or SYN/FIN, seq < next expected, not a
 *                      keep-alive; refined to
 *     fast retrans.    peer sent >= 2 dup acks for exactly this seq, the
 *                      last under 20 ms ago
 *     out-of-order     within the out-of-order threshold (the handshake's
 *                      RTT, else 3 ms) of the highest segment, and not
 *                      ending where it did
 *     spurious         all of it was already ACKed
 */
#ifndef SYNACK_TOOLS_ANALYSIS_H
#define SYNACK_TOOLS_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/wire.h"

struct analysis_flow {
    bool have_next;
    uint32_t nextseq;         /* highest seq + len (+SYN/FIN) seen: next expected */
    uint64_t nextseq_t;       /* when nextseq last advanced */
    bool have_ack;
    uint32_t lastack;         /* last ACK number this side sent */
    uint64_t lastack_t;
    bool have_win;
    uint32_t win;             /* last window this side advertised, scaled */
    uint32_t dupacks;         /* duplicate ACKs in a row */
    uint32_t last_marks;      /* marks of this side's last segment */
};

struct analysis {
    struct analysis_flow f[2];
    uint64_t ooo_us;          /* out-of-order threshold (the handshake's RTT); 0: 3 ms */
};

/* The marks (enum render_mark) of a segment sent by side (0 or 1) at now_us
 * with the window win (bytes, scaled when scaling is in use); *dup_num is
 * set for a dup ack. Updates the flow. */
uint32_t analysis_segment(struct analysis *a, int side, const struct tcp_repr *tcp, uint32_t win, uint64_t now_us,
                          uint32_t *dup_num);

#endif
