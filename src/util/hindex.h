/*
 * hindex.h — an open-addressed hash index whose lookups read one cache
 * line, not a chain of objects: for tables of a million connections.
 *
 * Each slot is 64 bits: the low 32 bits of the key's hash and a nonzero
 * 32-bit value of the caller's (an index). A key's home is the first slot
 * of a cache line (eight slots, the arrays are line-aligned), and a lookup
 * probes linearly from there, so it reads one line unless that line is
 * full: just under half full, a lookup of an absent key goes on into the
 * next line about 6 times in 100 (tests/test_stack_work.c), where a probe
 * from any slot of a line would do so about once in six lookups. It calls the caller's match() only
 * when the 32 hash bits agree (one false match in four billion), so an
 * absent key costs no dereference of any object: a chained table reads
 * every object on the chain.
 *
 * The array is at most half full. Deletion shifts the rest of the cluster
 * back (no tombstones, so churn never degrades probes). Growth is
 * incremental: a twice larger array takes over and each insertion moves
 * HINDEX_MIGRATE old slots into it (their hash bits say where, no key is
 * read), so no operation rehashes the whole table; lookups meanwhile look
 * in the new array, then in the old one. Arrays of 4 MiB or more are asked
 * for in huge pages, so a probe does not miss the TLB as well as the cache.
 *
 * util layer: depends on nothing but libc. Owns: the slot arrays. The
 * caller owns the keys and their keyed hash, and tells a key from another
 * with the same 32 hash bits (match()).
 */
#ifndef SYNACK_UTIL_HINDEX_H
#define SYNACK_UTIL_HINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HINDEX_NONE 0u         /* "not found": values are nonzero */
#define HINDEX_MIGRATE 8u      /* old slots moved per insertion while growing */

struct hindex {
    uint64_t *slot;             /* 0: empty, else hash << 32 | value */
    uint32_t mask;              /* slots - 1 (a power of two minus one) */
    uint32_t live;              /* entries in both arrays */
    uint64_t *old;              /* while growing: the previous array */
    uint32_t old_mask, migrated; /* old slots below migrated have moved */
    void *ctx;                  /* for match() */
    uint64_t work;              /* slots probed and moved (debug) */
};

int hindex_init(struct hindex *x, void *ctx); /* 0 or -ENOMEM */
void hindex_fini(struct hindex *x);

/* The value whose key matches (match(ctx, value, key) true) among the
 * entries filed under hash h, or HINDEX_NONE. */
uint32_t hindex_find(struct hindex *x, uint32_t h, bool (*match)(void *ctx, uint32_t value, const void *key),
                     const void *key);
/* Is any entry filed under hash h? (No key is read: an entry with another
 * key and the same 32 hash bits answers yes.) */
bool hindex_has_hash(struct hindex *x, uint32_t h);
/* Files value (nonzero) under h; the caller knows its key is not there yet.
 * 0, or -ENOMEM when the index must grow and cannot. */
int hindex_insert(struct hindex *x, uint32_t h, uint32_t value);
/* Takes the entry (h, value) out; false if it was not there. */
bool hindex_remove(struct hindex *x, uint32_t h, uint32_t value);
/* The entry (h, value) now holds new_value (nonzero), in place; false if
 * it was not there. */
bool hindex_replace(struct hindex *x, uint32_t h, uint32_t value, uint32_t new_value);
/* Every value, for teardown: *pos starts at 0; false at the end. */
bool hindex_next(const struct hindex *x, uint64_t *pos, uint32_t *value);
/* Bytes of slot arrays held. */
size_t hindex_bytes(const struct hindex *x);

/* Asks the CPU to fetch the line where a probe for hash h starts (in both
 * arrays while growing), without waiting for it: called a few operations
 * ahead of a lookup, the lookup then finds the line in the cache. In a
 * large index that line is otherwise a miss to memory. A hint only: the
 * index may change meanwhile. */
#define HINDEX_LINE 8u          /* slots per cache line */
static inline uint32_t hindex_home(uint32_t h, uint32_t mask) { return h & mask & ~(HINDEX_LINE - 1); }

static inline void hindex_prefetch(const struct hindex *x, uint32_t h)
{
    __builtin_prefetch(&x->slot[hindex_home(h, x->mask)]);
    if (x->old) __builtin_prefetch(&x->old[hindex_home(h, x->old_mask)]);
}

#endif
