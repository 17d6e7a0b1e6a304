/*
 * hindex.c — the open-addressed hash index (see hindex.h).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include "util/hindex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define EMPTY 0u
/* In the old array only, while it moves: a slot whose entry went (moved or
 * removed). Lookups go on past it; no real entry has value 0. */
#define GONE UINT64_C(0xffffffff00000000)
#define MIN_SLOTS 64u
#define MAX_SLOTS (1u << 31)
#define HUGE_BYTES (4u << 20) /* arrays this large come from mmap, in huge pages when the kernel allows */

static inline uint32_t hash_of(uint64_t e) { return (uint32_t)(e >> 32); }
static inline uint32_t value_of(uint64_t e) { return (uint32_t)e; }

static uint64_t *slots_alloc(uint64_t n)
{
    size_t bytes = (size_t)n * sizeof(uint64_t);
    if (bytes < HUGE_BYTES) {
        /* Line-aligned: a home is the first slot of a line. */
        uint64_t *p = aligned_alloc(HINDEX_LINE * sizeof(uint64_t), bytes);
        if (p) memset(p, 0, bytes);
        return p;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, ordinary pages */
#endif
    return p; /* zeroed by the kernel: all empty */
}

static void slots_free(uint64_t *p, uint64_t n)
{
    if (!p) return;
    size_t bytes = (size_t)n * sizeof(uint64_t);
    if (bytes < HUGE_BYTES) free(p);
    else munmap(p, bytes);
}

int hindex_init(struct hindex *x, void *ctx)
{
    memset(x, 0, sizeof *x);
    x->ctx = ctx;
    x->slot = slots_alloc(MIN_SLOTS);
    if (!x->slot) return -ENOMEM;
    x->mask = MIN_SLOTS - 1;
    return 0;
}

void hindex_fini(struct hindex *x)
{
    slots_free(x->slot, (uint64_t)x->mask + 1);
    if (x->old) slots_free(x->old, (uint64_t)x->old_mask + 1);
    memset(x, 0, sizeof *x);
}

static uint32_t probe(struct hindex *x, const uint64_t *arr, uint32_t mask, uint32_t h,
                      bool (*match)(void *ctx, uint32_t value, const void *key), const void *key)
{
    /* Ends: an array is never more than half full. */
    for (uint32_t i = hindex_home(h, mask);; i = (i + 1) & mask) {
        uint64_t e = arr[i];
        x->work++;
        if (e == EMPTY) return HINDEX_NONE;
        if (hash_of(e) == h && value_of(e) && match(x->ctx, value_of(e), key)) return value_of(e);
    }
}

uint32_t hindex_find(struct hindex *x, uint32_t h, bool (*match)(void *ctx, uint32_t value, const void *key),
                     const void *key)
{
    uint32_t v = probe(x, x->slot, x->mask, h, match, key);
    if (v == HINDEX_NONE && x->old) v = probe(x, x->old, x->old_mask, h, match, key);
    return v;
}

static bool has_hash(struct hindex *x, const uint64_t *arr, uint32_t mask, uint32_t h)
{
    for (uint32_t i = hindex_home(h, mask);; i = (i + 1) & mask) {
        uint64_t e = arr[i];
        x->work++;
        if (e == EMPTY) return false;
        if (hash_of(e) == h && value_of(e)) return true;
    }
}

bool hindex_has_hash(struct hindex *x, uint32_t h)
{
    return has_hash(x, x->slot, x->mask, h) || (x->old && has_hash(x, x->old, x->old_mask, h));
}

/* Puts e in the current array at the first empty slot from its home. */
static void place(struct hindex *x, uint64_t e)
{
    uint32_t i = hindex_home(hash_of(e), x->mask);
    while (x->slot[i] != EMPTY) {
        i = (i + 1) & x->mask;
        x->work++;
    }
    x->slot[i] = e;
}

static void migrate(struct hindex *x, uint32_t n)
{
    for (; x->old && n; n--) {
        uint64_t e = x->old[x->migrated];
        if (e != EMPTY && e != GONE) {
            place(x, e);
            x->old[x->migrated] = GONE; /* lookups in the old array must not find it again */
            x->work++;
        }
        if (x->migrated++ == x->old_mask) {
            slots_free(x->old, (uint64_t)x->old_mask + 1);
            x->old = NULL;
            x->old_mask = x->migrated = 0;
        }
    }
}

int hindex_insert(struct hindex *x, uint32_t h, uint32_t value)
{
    uint64_t slots = (uint64_t)x->mask + 1;
    if (!x->old && (uint64_t)x->live + 1 > slots / 2) {
        /* Half full: a twice larger array takes over. The old one has
         * moved (HINDEX_MIGRATE slots per insertion) after slots/8
         * insertions, long before the new one is half full (slots more). */
        if (slots * 2 > MAX_SLOTS) return -ENOMEM;
        uint64_t *arr = slots_alloc(slots * 2);
        if (!arr) return -ENOMEM;
        x->old = x->slot;
        x->old_mask = x->mask;
        x->migrated = 0;
        x->slot = arr;
        x->mask = (uint32_t)(slots * 2 - 1);
    }
    migrate(x, HINDEX_MIGRATE);
    place(x, (uint64_t)h << 32 | value);
    x->live++;
    return 0;
}

/* Empties slot i of the current array and shifts the rest of its cluster
 * back, so that every entry stays reachable from its home without
 * tombstones (Knuth's algorithm R for linear probing). */
static void delete_at(struct hindex *x, uint32_t i)
{
    uint32_t mask = x->mask;
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        uint64_t e = x->slot[j];
        x->work++;
        if (e == EMPTY) break;
        uint32_t home = hindex_home(hash_of(e), mask);
        /* e may move to i when its home is not cyclically within (i, j]. */
        if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
            x->slot[i] = e;
            i = j;
        }
    }
    x->slot[i] = EMPTY;
}

/* The slot holding entry e (in either array), or NULL. */
static uint64_t *slot_of(struct hindex *x, uint64_t e)
{
    uint32_t h = hash_of(e);
    for (uint32_t i = hindex_home(h, x->mask);; i = (i + 1) & x->mask) {
        x->work++;
        if (x->slot[i] == EMPTY) break;
        if (x->slot[i] == e) return &x->slot[i];
    }
    if (!x->old) return NULL;
    for (uint32_t i = hindex_home(h, x->old_mask);; i = (i + 1) & x->old_mask) {
        x->work++;
        if (x->old[i] == EMPTY) return NULL;
        if (x->old[i] == e) return &x->old[i];
    }
}

bool hindex_remove(struct hindex *x, uint32_t h, uint32_t value)
{
    uint64_t *p = slot_of(x, (uint64_t)h << 32 | value);
    if (!p) return false;
    if (p >= x->slot && p <= x->slot + x->mask) delete_at(x, (uint32_t)(p - x->slot));
    else *p = GONE; /* in the old array: no shifting, slots below migrated must stay put */
    x->live--;
    return true;
}

bool hindex_replace(struct hindex *x, uint32_t h, uint32_t value, uint32_t new_value)
{
    uint64_t *p = slot_of(x, (uint64_t)h << 32 | value);
    if (p) *p = (uint64_t)h << 32 | new_value;
    return p != NULL;
}

bool hindex_next(const struct hindex *x, uint64_t *pos, uint32_t *value)
{
    uint64_t n = (uint64_t)x->mask + 1, on = x->old ? (uint64_t)x->old_mask + 1 : 0;
    for (; *pos < n + on; (*pos)++) {
        uint64_t e = *pos < n ? x->slot[*pos] : x->old[*pos - n];
        if (e != EMPTY && e != GONE) {
            *value = value_of(e);
            (*pos)++;
            return true;
        }
    }
    return false;
}

size_t hindex_bytes(const struct hindex *x)
{
    return ((size_t)x->mask + 1 + (x->old ? (size_t)x->old_mask + 1 : 0)) * sizeof(uint64_t);
}
