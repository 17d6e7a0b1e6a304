/*
 * assembler.c — out-of-order range bookkeeping (see assembler.h).
 */
#include "tcp/assembler.h"

#include <string.h>

#include "tcp/seq.h"

bool asm_add(struct assembler *a, uint32_t start, uint32_t end)
{
    if (!seq_lt(start, end)) return true;
    /* Find the first range that ends at or after start (it may merge). */
    unsigned i = 0;
    while (i < a->count && seq_lt(a->r[i].end, start)) i++;
    /* Ranges i..j-1 overlap or touch [start, end). */
    unsigned j = i;
    while (j < a->count && seq_leq(a->r[j].start, end)) j++;
    if (i == j) { /* a new, separate range at index i */
        if (a->count == ASM_MAX_RANGES) return false;
        memmove(&a->r[i + 1], &a->r[i], (a->count - i) * sizeof a->r[0]);
        a->r[i].start = start;
        a->r[i].end = end;
        a->count++;
        return true;
    }
    uint32_t ns = seq_min(start, a->r[i].start);
    uint32_t ne = seq_max(end, a->r[j - 1].end);
    a->r[i].start = ns;
    a->r[i].end = ne;
    memmove(&a->r[i + 1], &a->r[j], (a->count - j) * sizeof a->r[0]);
    a->count = (uint8_t)(a->count - (j - i - 1));
    return true;
}

bool asm_can_add(const struct assembler *a, uint32_t start, uint32_t end)
{
    if (a->count < ASM_MAX_RANGES || !seq_lt(start, end)) return true;
    for (unsigned i = 0; i < a->count; i++) /* it must touch or overlap one */
        if (seq_leq(a->r[i].start, end) && seq_leq(start, a->r[i].end)) return true;
    return false;
}

uint32_t asm_take(struct assembler *a, uint32_t rcv_nxt)
{
    if (a->count == 0 || seq_gt(a->r[0].start, rcv_nxt)) return rcv_nxt;
    uint32_t end = seq_max(a->r[0].end, rcv_nxt);
    memmove(&a->r[0], &a->r[1], (a->count - 1) * sizeof a->r[0]);
    a->count--;
    return end;
}
