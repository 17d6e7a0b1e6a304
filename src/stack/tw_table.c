/*
 * tw_table.c — the TIME_WAIT table (see tw_table.h).
 */
#include "stack/tw_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/siphash.h"

#define CHUNK (1u << TW_CHUNK_SHIFT)

uint32_t tw_tuple_hash(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint8_t k[12];
    memcpy(k, &laddr, 4);
    memcpy(k + 4, &raddr, 4);
    memcpy(k + 8, &lport, 2);
    memcpy(k + 10, &rport, 2);
    return (uint32_t)siphash13(key, k, sizeof k);
}

static uint32_t rec_hash(const struct tw_table *t, const struct tw_rec *r)
{
    return tw_tuple_hash(t->key, t->laddr, r->lport, r->raddr, r->rport);
}

/* The index's values are record indices + 1 (its values are nonzero). */
struct tw_key {
    uint32_t raddr;
    uint16_t lport, rport;
};

static bool rec_matches(void *ctx, uint32_t value, const void *key)
{
    const struct tw_rec *r = tw_at(ctx, value - 1);
    const struct tw_key *k = key;
    return r->raddr == k->raddr && r->lport == k->lport && r->rport == k->rport;
}

int tw_table_init(struct tw_table *t, const uint8_t key[16], uint32_t laddr)
{
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, 16);
    t->laddr = laddr;
    t->free_head = t->fifo_head = t->fifo_tail = TW_NIL;
    return hindex_init(&t->index, t);
}

void tw_table_fini(struct tw_table *t)
{
    for (uint32_t c = 0; c < t->nchunks; c++) free(t->chunk[c]);
    free(t->chunk);
    hindex_fini(&t->index);
    memset(t, 0, sizeof *t);
}

uint32_t tw_lookup(struct tw_table *t, uint32_t h, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    if (laddr != t->laddr || t->live == 0) return TW_NIL;
    struct tw_key k = {raddr, lport, rport};
    uint32_t v = hindex_find(&t->index, h, rec_matches, &k);
    return v == HINDEX_NONE ? TW_NIL : v - 1;
}

static uint32_t alloc_rec(struct tw_table *t)
{
    if (t->free_head != TW_NIL) {
        uint32_t i = t->free_head;
        t->free_head = tw_at(t, i)->fifo_next;
        return i;
    }
    if (t->fresh == TW_NIL - 1) return TW_NIL;
    if ((t->fresh & (CHUNK - 1)) == 0 && (t->fresh >> TW_CHUNK_SHIFT) == t->nchunks) {
        struct tw_rec **nc = realloc(t->chunk, (size_t)(t->nchunks + 1) * sizeof *nc);
        if (!nc) return TW_NIL;
        t->chunk = nc;
        nc[t->nchunks] = malloc((size_t)CHUNK * sizeof(struct tw_rec));
        if (!nc[t->nchunks]) return TW_NIL;
        t->nchunks++;
    }
    return t->fresh++;
}

static void free_rec(struct tw_table *t, uint32_t i)
{
    tw_at(t, i)->fifo_next = t->free_head;
    t->free_head = i;
}

static void fifo_append(struct tw_table *t, uint32_t i)
{
    tw_at(t, i)->fifo_next = TW_NIL;
    if (t->fifo_tail != TW_NIL) tw_at(t, t->fifo_tail)->fifo_next = i;
    else t->fifo_head = i;
    t->fifo_tail = i;
    t->held++;
}

uint32_t tw_insert(struct tw_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                   uint64_t expiry)
{
    if (laddr != t->laddr) return TW_NIL;
    uint32_t i = alloc_rec(t);
    if (i == TW_NIL) return TW_NIL;
    struct tw_rec *r = tw_at(t, i);
    memset(r, 0, sizeof *r);
    r->raddr = raddr;
    r->lport = lport;
    r->rport = rport;
    if (hindex_insert(&t->index, rec_hash(t, r), i + 1) != 0) {
        free_rec(t, i);
        return TW_NIL;
    }
    r->expiry_lo = (uint32_t)expiry;
    r->expiry_hi = (uint32_t)(expiry >> 32);
    r->flags = TW_F_LIVE;
    t->live++;
    fifo_append(t, i);
    return i;
}

void tw_remove(struct tw_table *t, uint32_t i)
{
    struct tw_rec *r = tw_at(t, i);
    if (!(r->flags & TW_F_LIVE)) return;
    hindex_remove(&t->index, rec_hash(t, r), i + 1);
    r->flags &= (uint8_t)~TW_F_LIVE;
    t->live--;
}

uint32_t tw_requeue(struct tw_table *t, uint32_t i, uint64_t expiry)
{
    uint32_t j = alloc_rec(t);
    if (j == TW_NIL) { /* no memory: keep its place (it expires a little early of the restart) */
        return i;
    }
    struct tw_rec *r = tw_at(t, i), *n = tw_at(t, j);
    *n = *r;
    n->expiry_lo = (uint32_t)expiry;
    n->expiry_hi = (uint32_t)(expiry >> 32);
    hindex_replace(&t->index, rec_hash(t, r), i + 1, j + 1); /* j takes i's place in the index */
    r->flags &= (uint8_t)~TW_F_LIVE;
    fifo_append(t, j);
    return j;
}

#define AHEAD 8u /* entries of ahead_hash */

/* Hashes and prefetches the records behind the head until AHEAD are (or
 * the FIFO ends). Removed records are hashed too: they hold a ring place. */
static void fill_ahead(struct tw_table *t)
{
    if (t->ahead_n == 0) t->ahead_next = t->fifo_head;
    while (t->ahead_n < AHEAD && t->ahead_next != TW_NIL) {
        const struct tw_rec *r = tw_at(t, t->ahead_next);
        uint32_t h = rec_hash(t, r);
        if (r->flags & TW_F_LIVE) hindex_prefetch(&t->index, h);
        t->ahead_hash[(t->ahead_first + t->ahead_n++) % AHEAD] = h;
        t->ahead_next = r->fifo_next;
    }
}

static void free_head(struct tw_table *t)
{
    uint32_t i = t->fifo_head;
    t->fifo_head = tw_at(t, i)->fifo_next;
    if (t->fifo_head == TW_NIL) t->fifo_tail = TW_NIL;
    free_rec(t, i);
    t->held--;
    if (t->ahead_n) { /* the head's ring place goes */
        t->ahead_first = (t->ahead_first + 1) % AHEAD;
        t->ahead_n--;
    }
}

uint32_t tw_oldest(struct tw_table *t)
{
    while (t->fifo_head != TW_NIL && !(tw_at(t, t->fifo_head)->flags & TW_F_LIVE)) free_head(t);
    return t->fifo_head;
}

void tw_pop_oldest(struct tw_table *t, struct tw_rec *out)
{
    uint32_t i = t->fifo_head;
    fill_ahead(t);
    struct tw_rec *r = tw_at(t, i);
    if (r->flags & TW_F_LIVE) { /* tw_remove, with the hash kept for it */
        if (!hindex_remove(&t->index, t->ahead_hash[t->ahead_first], i + 1)) {
            t->ahead_wrong++;
            hindex_remove(&t->index, rec_hash(t, r), i + 1);
        }
        r->flags &= (uint8_t)~TW_F_LIVE;
        t->live--;
    }
    *out = *r;
    free_head(t);
}

uint64_t tw_table_bytes(const struct tw_table *t)
{
    return (uint64_t)t->nchunks * CHUNK * sizeof(struct tw_rec) + (uint64_t)t->nchunks * sizeof(void *) +
           hindex_bytes(&t->index);
}
