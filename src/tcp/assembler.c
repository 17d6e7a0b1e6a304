/*
 * assembler.c — out-of-order range bookkeeping (see assembler.h).
 */
#include "tcp/assembler.h"

#include <stdlib.h>
#include <string.h>

#include "tcp/seq.h"

unsigned asm_limit(uint32_t buf, uint32_t mss)
{
    uint32_t n = mss ? buf / (2u * mss) : 0;
    if (n < ASM_MIN_RANGES) n = ASM_MIN_RANGES;
    return n > ASM_MAX_RANGES ? ASM_MAX_RANGES : n;
}

/* The first range that ends at or after seq (binary search). */
static unsigned first_ending_at_or_after(const struct assembler *a, uint32_t seq)
{
    unsigned lo = 0, hi = a->count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (seq_lt(a->r[mid].end, seq)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Whether [start, end) touches or overlaps a kept range. */
static bool touches(const struct assembler *a, uint32_t start, uint32_t end)
{
    unsigned i = first_ending_at_or_after(a, start);
    return i < a->count && seq_leq(a->r[i].start, end);
}

bool asm_can_add(const struct assembler *a, uint32_t start, uint32_t end, unsigned limit)
{
    if (!seq_lt(start, end)) return true;
    return a->count < (limit > ASM_MAX_RANGES ? ASM_MAX_RANGES : limit) || touches(a, start, end);
}

bool asm_add(struct assembler *a, uint32_t start, uint32_t end, unsigned limit)
{
    if (!seq_lt(start, end)) return true;
    if (limit > ASM_MAX_RANGES) limit = ASM_MAX_RANGES;
    /* Ranges i..j-1 overlap or touch [start, end). */
    unsigned i = first_ending_at_or_after(a, start), j = i;
    while (j < a->count && seq_leq(a->r[j].start, end)) j++;
    if (i == j) { /* a new, separate range at index i */
        if (a->count >= limit) return false;
        if (a->count == a->cap) {
            unsigned cap = a->cap ? 2u * a->cap : ASM_MIN_RANGES;
            if (cap > limit) cap = limit;
            struct asm_range *r = realloc(a->r, cap * sizeof *r);
            if (!r) return false;
            a->r = r;
            a->cap = (uint16_t)cap;
        }
        memmove(&a->r[i + 1], &a->r[i], (a->count - i) * sizeof a->r[0]);
        a->r[i] = (struct asm_range){start, end};
        a->count++;
        return true;
    }
    uint32_t ns = seq_min(start, a->r[i].start);
    uint32_t ne = seq_max(end, a->r[j - 1].end);
    a->r[i].start = ns;
    a->r[i].end = ne;
    memmove(&a->r[i + 1], &a->r[j], (a->count - j) * sizeof a->r[0]);
    a->count = (uint16_t)(a->count - (j - i - 1));
    return true;
}

uint32_t asm_take(struct assembler *a, uint32_t rcv_nxt)
{
    if (a->count == 0 || seq_gt(a->r[0].start, rcv_nxt)) return rcv_nxt;
    uint32_t end = seq_max(a->r[0].end, rcv_nxt);
    memmove(&a->r[0], &a->r[1], (a->count - 1) * sizeof a->r[0]);
    a->count--;
    return end;
}

void asm_free(struct assembler *a)
{
    free(a->r);
    a->r = NULL;
    a->count = a->cap = 0;
}
