/*
 * slotmap.c — the lowest free slot (see slotmap.h).
 */
#include "util/slotmap.h"

#include <errno.h>
#include <stdlib.h>

int slotmap_init(struct slotmap *m, uint32_t capacity)
{
    *m = (struct slotmap){0};
    if (capacity == 0 || capacity > SLOTMAP_MAX) return -EINVAL;
    uint64_t bits = capacity;
    for (int l = 0; l < SLOTMAP_LEVELS; l++) {
        uint64_t words = (bits + 63) / 64;
        m->level[l] = calloc(words, sizeof(uint64_t));
        if (!m->level[l]) {
            slotmap_fini(m);
            return -ENOMEM;
        }
        bits = words;
    }
    m->capacity = capacity;
    return 0;
}

void slotmap_fini(struct slotmap *m)
{
    for (int l = 0; l < SLOTMAP_LEVELS; l++) free(m->level[l]);
    *m = (struct slotmap){0};
}

void slotmap_set_free(struct slotmap *m, uint32_t slot)
{
    uint64_t i = slot;
    for (int l = 0; l < SLOTMAP_LEVELS; l++) {
        uint64_t *w = &m->level[l][i / 64];
        bool was_empty = *w == 0;
        *w |= 1ull << (i % 64);
        if (!was_empty) return; /* the levels above already say so */
        i /= 64;
    }
}

void slotmap_set_used(struct slotmap *m, uint32_t slot)
{
    uint64_t i = slot;
    for (int l = 0; l < SLOTMAP_LEVELS; l++) {
        uint64_t *w = &m->level[l][i / 64];
        *w &= ~(1ull << (i % 64));
        if (*w != 0) return; /* the word still has a free slot */
        i /= 64;
    }
}

int64_t slotmap_lowest_free(const struct slotmap *m)
{
    if (!m->capacity || m->level[SLOTMAP_LEVELS - 1][0] == 0) return -1;
    uint64_t i = 0;
    for (int l = SLOTMAP_LEVELS - 1; l >= 0; l--) i = i * 64 + (uint64_t)__builtin_ctzll(m->level[l][i]);
    return (int64_t)i;
}
