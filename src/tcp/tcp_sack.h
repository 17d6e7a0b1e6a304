/*
 * tcp_sack.h — the sender's SACK scoreboard (RFC 6675 section 3) and the
 * state of one SACK-based recovery episode.
 *
 * Owns: the ranges the peer has SACKed above SND.UNA, kept sorted and
 * disjoint in a small array with a hard cap (SACK_BOARD_MAX): memory per
 * connection is bounded whatever the peer sends, and every operation costs
 * at most O(SACK_BOARD_MAX) per SACK block, so an ACK costs O(4 x cap) even
 * with thousands of segments in flight or thousands of tiny holes
 * (docs/HOSTILE.md H-40, H-61: SACK panic and slowness). When the array is full a
 * new range is dropped or replaces the highest one: forgetting a SACK is
 * always safe (the data is sent again at worst), inventing one never
 * happens. The board is allocated when the first SACK block arrives and
 * freed when recovery is over and it is empty (rarely-used state costs
 * nothing on a clean path). Must not touch: the send buffer, timers, cwnd.
 */
#ifndef SYNACK_TCP_SACK_H
#define SYNACK_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define SACK_BOARD_MAX 32

struct sack_range {
    uint32_t start, end;   /* [start, end), sequence numbers */
    uint64_t when;         /* when the peer first SACKed (part of) it */
};

struct sack_board {
    uint8_t count;
    uint32_t sacked;       /* bytes in the ranges */
    struct sack_range r[SACK_BOARD_MAX];
    /* One recovery episode (RFC 6675; PRR's counts are in tcp_xfer, shared
     * with ECN's CWR state). */
    uint32_t high_rxt;     /* HighRxt: unSACKed bytes below it were resent */
    uint32_t lost_end;     /* unSACKed bytes below it are deemed lost */
};

/* Records [start, end) as SACKed, clipped to [una, max). Returns the bytes
 * newly SACKed (DeliveredData's SACK part). */
uint32_t sack_board_add(struct sack_board *b, uint32_t una, uint32_t max, uint32_t start, uint32_t end,
                        uint64_t now);
/* SND.UNA moved to una: forget what lies below it. */
void sack_board_advance(struct sack_board *b, uint32_t una);
/* The first byte at or after seq that is not SACKed; *run_end receives
 * where that unSACKed run ends (the next range's start, or UINT32 max
 * distance: `limit`). */
uint32_t sack_board_next_hole(const struct sack_board *b, uint32_t seq, uint32_t limit, uint32_t *run_end);
/* UnSACKed bytes in [from, to). */
uint32_t sack_board_unsacked_in(const struct sack_board *b, uint32_t from, uint32_t to);

#endif
