/*
 * slotmap.h — the lowest free slot of a table, in O(1): a bitmap of free
 * slots with summary levels above it (a bit per word of the level below:
 * "this word has a free slot"), as a hierarchical timer wheel keeps its
 * occupancy. Finding the lowest free slot reads one word per level (four
 * levels for 16M slots); marking a slot free or used changes at most one
 * word per level.
 *
 * util layer: depends on nothing but libc. Owns: the bitmaps only; the
 * table whose slots they describe is the caller's (the socket table keeps
 * POSIX's rule that a new descriptor is the lowest one free).
 */
#ifndef SYNACK_UTIL_SLOTMAP_H
#define SYNACK_UTIL_SLOTMAP_H

#include <stdbool.h>
#include <stdint.h>

#define SLOTMAP_LEVELS 4
#define SLOTMAP_MAX (1u << 24)  /* 64^4 slots */

struct slotmap {
    uint64_t *level[SLOTMAP_LEVELS]; /* level[0]: one bit per slot, 1 = free */
    uint32_t capacity;               /* slots 0 .. capacity-1 */
};

/* Every slot starts used; 0 or -ENOMEM (or -EINVAL past SLOTMAP_MAX). Memory
 * is capacity/8 bytes plus 1/64 of that, touched only as slots are freed. */
int slotmap_init(struct slotmap *m, uint32_t capacity);
void slotmap_fini(struct slotmap *m);
void slotmap_set_free(struct slotmap *m, uint32_t slot);
void slotmap_set_used(struct slotmap *m, uint32_t slot);
/* The lowest free slot, or -1 when none is free. */
int64_t slotmap_lowest_free(const struct slotmap *m);

#endif
