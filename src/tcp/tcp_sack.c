/*
 * tcp_sack.c — the SACK scoreboard (see tcp_sack.h).
 */
#include "tcp/tcp_sack.h"

#include <string.h>

#include "tcp/seq.h"

static void remove_at(struct sack_board *b, unsigned i)
{
    b->sacked -= b->r[i].end - b->r[i].start;
    memmove(&b->r[i], &b->r[i + 1], (b->count - i - 1) * sizeof b->r[0]);
    b->count--;
}

uint32_t sack_board_add(struct sack_board *b, uint32_t una, uint32_t max, uint32_t start, uint32_t end,
                        uint64_t now)
{
    if (seq_lt(start, una)) start = una;
    if (seq_gt(end, max)) end = max;
    if (!seq_lt(start, end)) return 0;
    uint32_t before = b->sacked;
    /* First range that ends at or after start (touching ranges merge). */
    unsigned i = 0;
    while (i < b->count && seq_lt(b->r[i].end, start)) i++;
    if (i < b->count && seq_leq(b->r[i].start, end)) {
        /* Overlaps or touches r[i]: grow it, then swallow what follows. */
        struct sack_range *r = &b->r[i];
        b->sacked -= r->end - r->start;
        if (seq_lt(start, r->start)) r->start = start;
        if (seq_gt(end, r->end)) r->end = end;
        while (i + 1 < b->count && seq_leq(b->r[i + 1].start, r->end)) {
            if (seq_gt(b->r[i + 1].end, r->end)) r->end = b->r[i + 1].end;
            if (b->r[i + 1].when < r->when) r->when = b->r[i + 1].when;
            remove_at(b, i + 1);
        }
        b->sacked += r->end - r->start;
    } else {
        if (b->count == SACK_BOARD_MAX) {
            /* Full: the highest range gives way to a lower one (lower holes
             * matter first); a new range above them all is not kept. */
            if (i == b->count) return 0;
            remove_at(b, b->count - 1);
        }
        memmove(&b->r[i + 1], &b->r[i], (b->count - i) * sizeof b->r[0]);
        b->r[i] = (struct sack_range){start, end, now};
        b->count++;
        b->sacked += end - start;
    }
    return b->sacked > before ? b->sacked - before : 0;
}

void sack_board_advance(struct sack_board *b, uint32_t una)
{
    unsigned drop = 0;
    while (drop < b->count && seq_leq(b->r[drop].end, una)) {
        b->sacked -= b->r[drop].end - b->r[drop].start;
        drop++;
    }
    if (drop) {
        memmove(&b->r[0], &b->r[drop], (b->count - drop) * sizeof b->r[0]);
        b->count = (uint8_t)(b->count - drop);
    }
    if (b->count && seq_lt(b->r[0].start, una)) {
        b->sacked -= una - b->r[0].start;
        b->r[0].start = una;
    }
    if (seq_lt(b->high_rxt, una)) b->high_rxt = una;
    if (seq_lt(b->lost_end, una)) b->lost_end = una;
}

uint32_t sack_board_next_hole(const struct sack_board *b, uint32_t seq, uint32_t limit, uint32_t *run_end)
{
    for (unsigned i = 0; i < b->count; i++) {
        if (seq_leq(b->r[i].end, seq)) continue;
        if (seq_lt(seq, b->r[i].start)) {
            *run_end = seq_lt(b->r[i].start, limit) ? b->r[i].start : limit;
            return seq;
        }
        seq = b->r[i].end; /* inside a range: skip it */
    }
    *run_end = limit;
    return seq;
}

uint32_t sack_board_unsacked_in(const struct sack_board *b, uint32_t from, uint32_t to)
{
    if (!seq_lt(from, to)) return 0;
    uint32_t n = to - from;
    for (unsigned i = 0; i < b->count; i++) {
        uint32_t s = seq_max(b->r[i].start, from), e = seq_min(b->r[i].end, to);
        if (seq_lt(s, e)) n -= e - s;
    }
    return n;
}
