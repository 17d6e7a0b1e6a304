/*
 * assembler.h — out-of-order bookkeeping for the receive side.
 *
 * Owns: the sorted list of received-but-not-yet-contiguous sequence ranges
 * beyond RCV.NXT. The bytes themselves live in the receive ring; this only
 * remembers which ones are there. The list grows by doubling up to a limit
 * the caller passes (one range per two full segments of the receive
 * buffer: what a sender losing every other segment creates, as a burst of
 * drop-tail losses at the end of slow start does), at least ASM_MIN_RANGES
 * and at most ASM_MAX_RANGES. A segment that would need one more range
 * is refused (the sender retransmits it), so a peer cannot make it grow
 * past that (docs/HOSTILE.md H-60). Positions are found by binary search;
 * an insertion or a merge moves the list's tail once. Must not touch: the
 * ring, the connection.
 */
#ifndef SYNACK_TCP_ASSEMBLER_H
#define SYNACK_TCP_ASSEMBLER_H

#include <stdbool.h>
#include <stdint.h>

#define ASM_MIN_RANGES 8
#define ASM_MAX_RANGES 4096

struct asm_range {
    uint32_t start, end;
};

struct assembler {
    uint16_t count, cap;
    struct asm_range *r; /* cap entries: sorted, disjoint, non-adjacent */
};

/* The most ranges for a receive buffer of `buf` bytes and segments of
 * `mss` bytes. */
unsigned asm_limit(uint32_t buf, uint32_t mss);
/* Forgets every range (keeps the storage). */
static inline void asm_clear(struct assembler *a) { a->count = 0; }
/* Records [start, end). Returns false (and records nothing) when it would
 * need more than `limit` ranges (or no memory was left to grow). */
bool asm_add(struct assembler *a, uint32_t start, uint32_t end, unsigned limit);
/* If a range begins at or before rcv_nxt, removes it and returns its end
 * (the new RCV.NXT); otherwise returns rcv_nxt. */
uint32_t asm_take(struct assembler *a, uint32_t rcv_nxt);
/* Whether asm_add(a, start, end, limit) would succeed for want of ranges
 * (changes nothing). */
bool asm_can_add(const struct assembler *a, uint32_t start, uint32_t end, unsigned limit);
/* Frees the storage. */
void asm_free(struct assembler *a);

#endif
