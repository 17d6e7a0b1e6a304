/*
 * assembler.h — out-of-order bookkeeping for the receive side.
 *
 * Owns: a small fixed array of received-but-not-yet-contiguous sequence
 * ranges beyond RCV.NXT. The bytes themselves live in the receive ring; this
 * only remembers which ones are there. Bounded by ASM_MAX_RANGES: a segment
 * that would need one more range is refused (the sender retransmits it), so
 * a peer cannot make it grow (HOSTILE-INPUTS H-60). Every operation is
 * O(ASM_MAX_RANGES). Must not touch: the ring, the connection.
 */
#ifndef SYNACK_TCP_ASSEMBLER_H
#define SYNACK_TCP_ASSEMBLER_H

#include <stdbool.h>
#include <stdint.h>

#define ASM_MAX_RANGES 8

struct assembler {
    uint8_t count;
    struct { uint32_t start, end; } r[ASM_MAX_RANGES]; /* sorted, disjoint, non-adjacent */
};

static inline void asm_clear(struct assembler *a) { a->count = 0; }
/* Records [start, end). Returns false (and records nothing) when it would
 * need more than ASM_MAX_RANGES ranges. */
bool asm_add(struct assembler *a, uint32_t start, uint32_t end);
/* If a range begins at or before rcv_nxt, removes it and returns its end
 * (the new RCV.NXT); otherwise returns rcv_nxt. */
uint32_t asm_take(struct assembler *a, uint32_t rcv_nxt);
/* Whether asm_add(a, start, end) would succeed (changes nothing). */
bool asm_can_add(const struct assembler *a, uint32_t start, uint32_t end);

#endif
