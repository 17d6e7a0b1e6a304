/*
 * tw_table.c — the TIME_WAIT table (see tw_table.h).
 */
#include "stack/tw_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/siphash.h"

#define CHUNK (1u << TW_CHUNK_SHIFT)
#define MIGRATE_PER_OP 4u

static uint32_t tw_hash(const struct tw_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint8_t k[12];
    memcpy(k, &laddr, 4);
    memcpy(k + 4, &raddr, 4);
    memcpy(k + 8, &lport, 2);
    memcpy(k + 10, &rport, 2);
    return (uint32_t)siphash13(t->key, k, sizeof k);
}

static uint32_t rec_hash(const struct tw_table *t, const struct tw_rec *r)
{
    return tw_hash(t, r->laddr, r->lport, r->raddr, r->rport);
}

int tw_table_init(struct tw_table *t, const uint8_t key[16])
{
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, 16);
    t->free_head = t->fifo_head = t->fifo_tail = TW_NIL;
    t->nbuckets = 64;
    t->bucket = malloc(t->nbuckets * sizeof *t->bucket);
    if (!t->bucket) return -ENOMEM;
    memset(t->bucket, 0xff, t->nbuckets * sizeof *t->bucket);
    return 0;
}

void tw_table_fini(struct tw_table *t)
{
    for (uint32_t c = 0; c < t->nchunks; c++) free(t->chunk[c]);
    free(t->chunk);
    free(t->bucket);
    free(t->old);
    memset(t, 0, sizeof *t);
}

/* The chain head that holds (or would hold) hash h: in the old buckets
 * while that bucket has not moved yet, else in the new ones. */
static uint32_t *chain_of(struct tw_table *t, uint32_t h)
{
    if (t->old) {
        uint32_t ob = h & (t->old_nbuckets - 1);
        if (ob >= t->migrated) return &t->old[ob];
    }
    return &t->bucket[h & (t->nbuckets - 1)];
}

/* Moves a few old buckets into the new array; frees the old one at the end. */
static void migrate_some(struct tw_table *t)
{
    for (unsigned n = 0; t->old && n < MIGRATE_PER_OP; n++) {
        uint32_t i = t->old[t->migrated];
        while (i != TW_NIL) {
            struct tw_rec *r = tw_at(t, i);
            uint32_t next = r->hash_next;
            uint32_t *head = &t->bucket[rec_hash(t, r) & (t->nbuckets - 1)];
            r->hash_next = *head;
            *head = i;
            t->work++;
            i = next;
        }
        if (++t->migrated == t->old_nbuckets) {
            free(t->old);
            t->old = NULL;
        }
    }
}

static void maybe_grow(struct tw_table *t)
{
    if (t->old || t->live < t->nbuckets || t->nbuckets >= (1u << 31)) return;
    uint32_t n = t->nbuckets * 2;
    uint32_t *nb = malloc((size_t)n * sizeof *nb);
    if (!nb) return; /* keep the old array: longer chains, still correct */
    memset(nb, 0xff, (size_t)n * sizeof *nb);
    t->old = t->bucket;
    t->old_nbuckets = t->nbuckets;
    t->migrated = 0;
    t->bucket = nb;
    t->nbuckets = n;
}

uint32_t tw_lookup(struct tw_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    /* A record is always in chain_of(its hash): inserted there, and moved
     * with its whole old bucket. */
    for (uint32_t i = *chain_of(t, tw_hash(t, laddr, lport, raddr, rport)); i != TW_NIL;) {
        const struct tw_rec *r = tw_at(t, i);
        t->work++;
        if (r->laddr == laddr && r->lport == lport && r->raddr == raddr && r->rport == rport) return i;
        i = r->hash_next;
    }
    return TW_NIL;
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
    uint32_t i = alloc_rec(t);
    if (i == TW_NIL) return TW_NIL;
    maybe_grow(t);
    migrate_some(t);
    struct tw_rec *r = tw_at(t, i);
    memset(r, 0, sizeof *r);
    r->laddr = laddr;
    r->raddr = raddr;
    r->lport = lport;
    r->rport = rport;
    r->expiry_lo = (uint32_t)expiry;
    r->expiry_hi = (uint32_t)(expiry >> 32);
    r->flags = TW_F_LIVE;
    uint32_t *head = chain_of(t, tw_hash(t, laddr, lport, raddr, rport));
    r->hash_next = *head;
    *head = i;
    t->live++;
    fifo_append(t, i);
    return i;
}

/* The link that points at live record i in its chain. */
static uint32_t *link_to(struct tw_table *t, uint32_t i)
{
    uint32_t *p = chain_of(t, rec_hash(t, tw_at(t, i)));
    while (*p != i) {
        t->work++;
        p = &tw_at(t, *p)->hash_next;
    }
    return p;
}

void tw_remove(struct tw_table *t, uint32_t i)
{
    struct tw_rec *r = tw_at(t, i);
    if (!(r->flags & TW_F_LIVE)) return;
    *link_to(t, i) = r->hash_next;
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
    *link_to(t, i) = j; /* j takes i's place in the chain */
    r->flags &= (uint8_t)~TW_F_LIVE;
    fifo_append(t, j);
    return j;
}

static void free_head(struct tw_table *t)
{
    uint32_t i = t->fifo_head;
    struct tw_rec *r = tw_at(t, i);
    t->fifo_head = r->fifo_next;
    if (t->fifo_head == TW_NIL) t->fifo_tail = TW_NIL;
    r->fifo_next = t->free_head;
    t->free_head = i;
    t->held--;
}

uint32_t tw_oldest(struct tw_table *t)
{
    while (t->fifo_head != TW_NIL && !(tw_at(t, t->fifo_head)->flags & TW_F_LIVE)) free_head(t);
    return t->fifo_head;
}

void tw_pop_oldest(struct tw_table *t, struct tw_rec *out)
{
    uint32_t i = t->fifo_head;
    tw_remove(t, i);
    *out = *tw_at(t, i);
    free_head(t);
}

uint64_t tw_table_bytes(const struct tw_table *t)
{
    return (uint64_t)t->nchunks * CHUNK * sizeof(struct tw_rec) + (uint64_t)t->nchunks * sizeof(void *) +
           (uint64_t)t->nbuckets * 4 + (t->old ? (uint64_t)t->old_nbuckets * 4 : 0);
}
