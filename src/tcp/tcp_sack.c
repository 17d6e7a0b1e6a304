/*
 * tcp_sack.c — the SACK scoreboard (see tcp_sack.h).
 */
#include "tcp/tcp_sack.h"

#include <stdlib.h>
#include <string.h>

#include "tcp/seq.h"

#define SACK_BOARD_FIRST 16 /* ranges allocated at first */

unsigned sack_board_limit(uint32_t flight, uint32_t mss)
{
    uint32_t segs = mss ? flight / mss + 1u : flight;
    uint32_t n = segs / 2u + 1u;
    if (n < SACK_BOARD_MIN) n = SACK_BOARD_MIN;
    return n > SACK_BOARD_MAX ? SACK_BOARD_MAX : n;
}

/* The first range whose end is at or past seq (past it when `strict`), by
 * binary search; *steps counts the probes. */
static unsigned first_ending_after(const struct sack_board *b, uint32_t seq, bool strict, unsigned *steps)
{
    unsigned lo = 0, hi = b->count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        bool before = strict ? seq_leq(b->r[mid].end, seq) : seq_lt(b->r[mid].end, seq);
        if (before) lo = mid + 1;
        else hi = mid;
        if (steps) ++*steps;
    }
    return lo;
}

static bool grow(struct sack_board *b, unsigned limit)
{
    if (b->cap >= limit) return false;
    unsigned cap = b->cap ? 2u * b->cap : SACK_BOARD_FIRST;
    if (cap > limit) cap = limit;
    struct sack_range *r = realloc(b->r, cap * sizeof *r);
    if (!r) return false;
    b->r = r;
    b->cap = (uint16_t)cap;
    return true;
}

uint32_t sack_board_add(struct sack_board *b, uint32_t una, uint32_t max, uint32_t start, uint32_t end,
                        unsigned limit, unsigned *work)
{
    if (seq_lt(start, una)) start = una;
    if (seq_gt(end, max)) end = max;
    if (!seq_lt(start, end)) return 0;
    uint32_t before = b->sacked;
    unsigned steps = 1;
    /* Ranges i..j-1 overlap or touch [start, end) (touching ranges merge). */
    unsigned i = first_ending_after(b, start, false, &steps), j = i;
    while (j < b->count && seq_leq(b->r[j].start, end)) {
        b->sacked -= b->r[j].end - b->r[j].start;
        j++;
    }
    steps += j - i;
    if (j > i) {
        struct sack_range *r = &b->r[i];
        r->start = seq_min(start, r->start);
        r->end = seq_max(end, b->r[j - 1].end);
        b->sacked += r->end - r->start;
        memmove(&b->r[i + 1], &b->r[j], (b->count - j) * sizeof b->r[0]);
        steps += b->count - j;
        b->count = (uint16_t)(b->count - (j - i - 1));
    } else {
        if (b->count == b->cap && !grow(b, limit)) {
            /* Full: the highest range gives way to a lower one (lower holes
             * matter first); a new range above them all is not kept. */
            if (i == b->count) {
                if (work) *work += steps;
                return 0;
            }
            b->count--;
            b->sacked -= b->r[b->count].end - b->r[b->count].start;
        }
        memmove(&b->r[i + 1], &b->r[i], (b->count - i) * sizeof b->r[0]);
        steps += b->count - i;
        b->r[i] = (struct sack_range){start, end};
        b->count++;
        b->sacked += end - start;
    }
    if (work) *work += steps;
    return b->sacked > before ? b->sacked - before : 0;
}

void sack_board_advance(struct sack_board *b, uint32_t una)
{
    unsigned drop = first_ending_after(b, una, true, NULL);
    for (unsigned k = 0; k < drop; k++) b->sacked -= b->r[k].end - b->r[k].start;
    if (drop) {
        memmove(&b->r[0], &b->r[drop], (b->count - drop) * sizeof b->r[0]);
        b->count = (uint16_t)(b->count - drop);
    }
    if (b->count && seq_lt(b->r[0].start, una)) {
        b->sacked -= una - b->r[0].start;
        b->r[0].start = una;
    }
    unsigned gone = 0;
    while (gone < b->rxt_count && seq_leq(b->rxt[gone].end, una)) gone++;
    if (gone) {
        memmove(&b->rxt[0], &b->rxt[gone], (b->rxt_count - gone) * sizeof b->rxt[0]);
        b->rxt_count = (uint8_t)(b->rxt_count - gone);
    }
    if (b->rxt_count && seq_lt(b->rxt[0].start, una)) b->rxt[0].start = una;
    if (seq_lt(b->high_rxt, una)) b->high_rxt = una;
    if (seq_lt(b->lost_end, una)) b->lost_end = una;
}

uint32_t sack_board_next_hole(const struct sack_board *b, uint32_t seq, uint32_t limit, uint32_t *run_end)
{
    unsigned i = first_ending_after(b, seq, true, NULL);
    if (i < b->count && !seq_lt(seq, b->r[i].start)) {
        /* Inside a range: the hole starts at its end (the next range starts
         * strictly later: touching ranges were merged). */
        seq = b->r[i].end;
        i++;
    }
    *run_end = i < b->count && seq_lt(b->r[i].start, limit) ? b->r[i].start : limit;
    return seq;
}

uint32_t sack_board_unsacked_in(const struct sack_board *b, uint32_t from, uint32_t to)
{
    if (!seq_lt(from, to)) return 0;
    uint32_t n = to - from;
    for (unsigned i = first_ending_after(b, from, true, NULL); i < b->count && seq_lt(b->r[i].start, to); i++) {
        uint32_t s = seq_max(b->r[i].start, from), e = seq_min(b->r[i].end, to);
        if (seq_lt(s, e)) n -= e - s;
    }
    return n;
}

void sack_board_free(struct sack_board *b)
{
    free(b->r);
    b->r = NULL;
    b->count = b->cap = 0;
    b->sacked = 0;
}
