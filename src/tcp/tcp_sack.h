/*
 * tcp_sack.h — the sender's SACK scoreboard (RFC 6675 section 3) and the
 * state of one SACK-based recovery episode.
 *
 * Owns: the ranges the peer has SACKed above SND.UNA, kept sorted and
 * disjoint in an array that grows by doubling while recovery needs it. The
 * number of ranges is capped by what an honest peer can create: one per
 * two segments in flight (every other segment lost), at least
 * SACK_BOARD_MIN, at most SACK_BOARD_MAX; the caller passes that limit.
 * A window of thousands of segments losing hundreds of them in one burst
 * is thus tracked whole, as Linux's per-segment scoreboard does: a range
 * forgotten would count its data as still in flight (pipe too high,
 * recovery stalled) and send it again for nothing. Lookups are binary
 * searches, a walk visits only the ranges inside the span asked about, and
 * inserting or dropping ranges moves the array's tail once: an ACK costs
 * O(blocks x log ranges) plus array moves, whatever the window, with
 * thousands of tiny holes or a tiny MSS (docs/HOSTILE.md H-40, H-61: SACK
 * panic and slowness). When the cap is reached a new range is dropped or
 * replaces the highest one: forgetting a SACK is always safe (the data is
 * sent again at worst), inventing one never happens. The board is
 * allocated when the first SACK block arrives and freed when recovery is
 * over and it is empty (a clean path pays nothing). Must not touch: the
 * send buffer, timers, cwnd.
 */
#ifndef SYNACK_TCP_SACK_H
#define SYNACK_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define SACK_BOARD_MIN 32    /* ranges always allowed, whatever the flight */
#define SACK_BOARD_MAX 4096  /* ranges never exceeded (32 KB) */
#define SACK_RXT_MARKS 32    /* retransmission stretches timed (RACK), at most */

struct sack_range {
    uint32_t start, end;   /* [start, end), sequence numbers */
};

/* A stretch of retransmitted data: its unSACKed bytes went again between
 * `first` and `time` (microseconds, low 32 bits; one instant unless merged). */
struct sack_rxt {
    uint32_t start, end;   /* [start, end), sequence numbers */
    uint32_t first, time;  /* earliest and latest retransmission in it */
    bool lost;             /* RACK found this retransmission lost; not resent since */
};

struct sack_board {
    uint16_t count, cap;   /* ranges in use, ranges allocated */
    uint32_t sacked;       /* bytes in the ranges */
    struct sack_range *r;  /* cap entries (NULL while cap is 0) */
    /* One recovery episode (RFC 6675; PRR's counts are in tcp_xfer, shared
     * with ECN's CWR state). */
    uint32_t high_rxt;     /* HighRxt: unSACKed bytes below it were resent */
    uint32_t lost_end;     /* unSACKed bytes below it are deemed lost */
    /* When what lies below HighRxt went again (RFC 8985 times every
     * transmission), ordered by sequence number, non-overlapping; the
     * recovery code keeps them (tcp_recovery.c). */
    uint8_t rxt_count;
    struct sack_rxt rxt[SACK_RXT_MARKS];
};

/* The most ranges a board may hold with `flight` bytes outstanding in
 * segments of `mss` bytes. */
unsigned sack_board_limit(uint32_t flight, uint32_t mss);
/* Records [start, end) as SACKed, clipped to [una, max), holding at most
 * `limit` ranges. Returns the bytes newly SACKed (DeliveredData's SACK
 * part). *work receives the entries visited or moved. */
uint32_t sack_board_add(struct sack_board *b, uint32_t una, uint32_t max, uint32_t start, uint32_t end,
                        unsigned limit, unsigned *work);
/* SND.UNA moved to una: forget what lies below it (ranges and
 * retransmission stretches). */
void sack_board_advance(struct sack_board *b, uint32_t una);
/* The first byte at or after seq that is not SACKed; *run_end receives
 * where that unSACKed run ends (the next range's start, or `limit`). */
uint32_t sack_board_next_hole(const struct sack_board *b, uint32_t seq, uint32_t limit, uint32_t *run_end);
/* UnSACKed bytes in [from, to). */
uint32_t sack_board_unsacked_in(const struct sack_board *b, uint32_t from, uint32_t to);
/* Frees the ranges (the board itself is the caller's). */
void sack_board_free(struct sack_board *b);

#endif
