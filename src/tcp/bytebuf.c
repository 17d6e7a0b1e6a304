/*
 * bytebuf.c — chunked send/receive storage and its pool (see bytebuf.h).
 */
#include "tcp/bytebuf.h"

#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

/* ---- pool ------------------------------------------------------------------ */

void chunk_pool_init(struct chunk_pool *p) { memset(p, 0, sizeof *p); }

void chunk_pool_fini(struct chunk_pool *p)
{
    while (p->free_list) {
        struct chunk *c = p->free_list;
        p->free_list = c->next;
        free(c);
    }
    p->nfree = 0;
}

static struct chunk *chunk_get(struct chunk_pool *p)
{
    if (p->limit && p->in_use >= p->limit) { /* over budget: the caller copes (takes fewer bytes) */
        p->refused++;
        return NULL;
    }
    struct chunk *c = p->free_list;
    if (c) {
        p->free_list = c->next;
        p->nfree--;
    }
    else if (!(c = malloc(sizeof *c)))
        return NULL;
    else
        p->mallocs++;
    c->next = NULL;
    if (++p->in_use > p->recent_peak) {
        p->recent_peak = p->in_use;
        if (p->in_use > p->peak) p->peak = p->in_use;
    }
    return c;
}

/* A freed chunk is kept below the floor, or while the pool holds less
 * than the period's peak (see chunk_pool_floor); otherwise it goes back
 * to the system. */
static void chunk_put(struct chunk_pool *p, struct chunk *c)
{
    p->in_use--;
    if (p->nfree < chunk_pool_floor(p) || p->in_use + p->nfree < p->recent_peak) {
        c->next = p->free_list;
        p->free_list = c;
        p->nfree++;
    }
    else
        free(c);
}

size_t chunk_pool_trim(struct chunk_pool *p)
{
    size_t keep = chunk_pool_floor(p);
    if (p->recent_peak > p->in_use && p->recent_peak - p->in_use > keep) keep = p->recent_peak - p->in_use;
    size_t freed = 0;
    while (p->nfree > keep) {
        struct chunk *c = p->free_list;
        p->free_list = c->next;
        p->nfree--;
        free(c);
        freed++;
    }
    p->recent_peak = p->in_use;
    return freed;
}

/* ---- buffers --------------------------------------------------------------- */

void bytebuf_release(struct bytebuf *b, struct chunk_pool *p)
{
    struct bytebuf_chain *h = b->ch;
    if (h) {
        while (h->head) {
            struct chunk *c = h->head;
            h->head = c->next;
            chunk_put(p, c);
        }
        *h = (struct bytebuf_chain){0};
    }
    b->len = b->end = 0;
}

/* The chain's chunk number idx (it exists). Sequential reading (sending new
 * data, reading from the head) costs O(1) through the cursor; a jump back
 * (a retransmission) walks from the head. */
static struct chunk *chunk_at(struct bytebuf_chain *h, uint32_t idx)
{
    struct chunk *c = h->head;
    uint32_t i = 0;
    if (h->cur && h->cur_idx <= idx) {
        c = h->cur;
        i = h->cur_idx;
    }
    for (; i < idx; i++) c = c->next;
    h->cur = c;
    h->cur_idx = idx;
    return c;
}

const uint8_t *bytebuf_peek(struct bytebuf *b, uint32_t off, uint32_t *n)
{
    uint32_t pos = b->ch->head_off + off; /* bytes were written: there is a chain */
    struct chunk *c = chunk_at(b->ch, pos / CHUNK_BYTES);
    uint32_t in = pos % CHUNK_BYTES;
    uint32_t room = CHUNK_BYTES - in;
    *n = b->end - off < room ? b->end - off : room;
    return c->data + in;
}

uint8_t *bytebuf_reserve(struct bytebuf *b, struct chunk_pool *p, uint32_t off, uint32_t *n)
{
    struct bytebuf_chain *h = b->ch;
    if (!h) return NULL;
    uint32_t pos = h->head_off + off;
    uint32_t idx = pos / CHUNK_BYTES;
    while (h->nchunks <= idx) { /* chain up to the chunk holding off */
        struct chunk *c = chunk_get(p);
        if (!c) return NULL;
        if (h->head) h->tail->next = c;
        else h->head = c;
        h->tail = c;
        h->nchunks++;
    }
    /* Appending uses the tail and leaves the cursor to the reader. */
    struct chunk *c = idx == h->nchunks - 1 ? h->tail : chunk_at(h, idx);
    uint32_t in = pos % CHUNK_BYTES;
    uint32_t room = CHUNK_BYTES - in;
    *n = b->cap - off < room ? b->cap - off : room;
    return c->data + in;
}

void bytebuf_drop(struct bytebuf *b, struct chunk_pool *p, uint32_t n)
{
    if (n > b->len) n = b->len;
    b->len -= n;
    b->end -= n;
    if (b->end == 0) { /* nothing written any more: every chunk goes back */
        bytebuf_release(b, p);
        return;
    }
    struct bytebuf_chain *h = b->ch; /* bytes remain written: there is a chain */
    uint32_t pos = h->head_off + n;
    while (pos >= CHUNK_BYTES) { /* head chunks wholly passed */
        struct chunk *c = h->head;
        h->head = c->next;
        chunk_put(p, c);
        h->nchunks--;
        pos -= CHUNK_BYTES;
        if (h->cur) {
            if (h->cur_idx == 0) h->cur = NULL;
            else h->cur_idx--;
        }
    }
    h->head_off = (uint16_t)pos;
}

/* The partial sum of a piece that starts done bytes into the summed run. */
static uint32_t piece_sum(uint32_t part, uint32_t done)
{
    if (done & 1) {
        /* This piece starts at an odd offset of the run: its bytes sit in
         * the other half of each 16-bit word (RFC 1071 2(B)). */
        while (part >> 16) part = (part & 0xFFFFu) + (part >> 16);
        part = ((part >> 8) | (part << 8)) & 0xFFFFu;
    }
    return part;
}

/* Copies n bytes to off, adding their partial sum to *sum when sum is not
 * NULL; returns the bytes copied (the pool may run dry). */
static uint32_t copy_in(struct bytebuf *b, struct chunk_pool *p, uint32_t off, const uint8_t *src, uint32_t n,
                        uint64_t *sum)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t room;
        uint8_t *dst = bytebuf_reserve(b, p, off + done, &room);
        if (!dst) break;
        uint32_t k = n - done < room ? n - done : room;
        if (sum)
            *sum += piece_sum(wire_csum_copy(0, dst, src + done, k), done);
        else
            memcpy(dst, src + done, k);
        done += k;
    }
    return done;
}

uint32_t bytebuf_write_at(struct bytebuf *b, struct chunk_pool *p, uint32_t off, const void *src,
                          uint32_t n)
{
    uint32_t done = copy_in(b, p, off, src, n, NULL);
    if (done) bytebuf_wrote(b, off, done);
    return done;
}

uint32_t bytebuf_push(struct bytebuf *b, struct chunk_pool *p, const void *src, uint32_t n)
{
    if (n > bytebuf_space(b)) n = bytebuf_space(b);
    uint32_t done = bytebuf_write_at(b, p, b->len, src, n);
    bytebuf_commit(b, done);
    return done;
}

void bytebuf_read_at(struct bytebuf *b, uint32_t off, void *dst, uint32_t n)
{
    uint8_t *d = dst;
    while (n) {
        uint32_t room;
        const uint8_t *src = bytebuf_peek(b, off, &room);
        uint32_t k = n < room ? n : room;
        memcpy(d, src, k);
        d += k;
        off += k;
        n -= k;
    }
}

uint32_t bytebuf_read_at_csum(struct bytebuf *b, uint32_t off, void *dst, uint32_t n)
{
    uint8_t *d = dst;
    uint64_t sum = 0;
    uint32_t done = 0;
    while (done < n) {
        uint32_t room;
        const uint8_t *src = bytebuf_peek(b, off + done, &room);
        uint32_t k = n - done < room ? n - done : room;
        sum += piece_sum(wire_csum_copy(0, d + done, src, k), done);
        done += k;
    }
    while (sum >> 32) sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    return (uint32_t)sum;
}

uint32_t bytebuf_stage_csum(struct bytebuf *b, struct chunk_pool *p, uint32_t off, const void *src,
                            uint32_t n, uint64_t *sum)
{
    return copy_in(b, p, off, src, n, sum);
}
