/*
 * bytebuf.h — send and receive storage: byte queues made of fixed-size
 * chunks taken from a stack-wide pool on first use and given back as soon
 * as they are empty.
 *
 * Owns: struct chunk_pool (a free list of CHUNK_BYTES chunks, shared by all
 * connections of one stack) and struct bytebuf (one connection's send or
 * receive bytes: a chain of chunks). An idle connection, or one that has
 * not finished its handshake, holds no chunk at all; memory follows the
 * bytes actually queued, as Linux charges and reclaims socket memory. Steady
 * traffic recycles chunks through the pool's free list, so nothing is
 * malloc'd per segment. Must not touch: sequence numbers (callers map them
 * to offsets), connections, windows.
 *
 * Offsets count from the oldest byte (the head). len bytes are "held"
 * (queued to send, or readable). Bytes may also be written past len without
 * growing len (write_at): the receive side parks out-of-order data there;
 * end is the highest offset ever written (end >= len), and the chain covers
 * [0, end). cap bounds end: no write reaches past cap.
 *
 * Copying calls (push, write_at, read_at) are built on the span calls
 * (peek, reserve + commit), which expose the chunks themselves so that a
 * zero-copy API can read from or write into the storage in place. A span
 * never crosses a chunk boundary; callers loop.
 */
#ifndef SYNACK_TCP_BYTEBUF_H
#define SYNACK_TCP_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_BYTES 4096u        /* payload bytes per chunk (power of two) */

struct chunk {
    struct chunk *next;
    uint8_t data[CHUNK_BYTES];
};

struct chunk_pool {
    struct chunk *free_list;
    size_t nfree;                /* chunks on free_list */
    size_t in_use;               /* chunks held by buffers */
    size_t peak;                 /* highest in_use so far */
    size_t recent_peak;          /* highest in_use since the last chunk_pool_trim */
    uint64_t mallocs;            /* chunks ever taken from the system */
    size_t limit;                /* the stack-wide budget: chunks in use at most (0: none) */
    uint64_t refused;            /* chunks refused because of limit */
};

void chunk_pool_init(struct chunk_pool *p);
/* Frees the free list. Every buffer must have been released first. */
void chunk_pool_fini(struct chunk_pool *p);

/* Free chunks always kept for reuse: a floor plus a quarter of those in
 * use. Above it, a freed chunk is kept only while the pool holds no more
 * than the period's peak (recent_peak), so traffic that swings between
 * full and empty buffers recycles its chunks instead of calling malloc and
 * free for them on every swing. chunk_pool_trim, called periodically by
 * the stack, gives back what the last period did not need. */
#define CHUNK_POOL_FLOOR 64u
static inline size_t chunk_pool_floor(const struct chunk_pool *p)
{
    return CHUNK_POOL_FLOOR + p->in_use / 4;
}
/* Free chunks above the floor (given back by the next trims if unused). */
static inline size_t chunk_pool_excess(const struct chunk_pool *p)
{
    size_t floor = chunk_pool_floor(p);
    return p->nfree > floor ? p->nfree - floor : 0;
}
/* Ends a period: frees the free chunks beyond both the floor and what the
 * period's peak needed, then starts the next period at today's use. A burst
 * thus holds its memory for at most two periods. Returns the chunks freed. */
size_t chunk_pool_trim(struct chunk_pool *p);

/* Where the chunks are: kept apart from struct bytebuf so that a buffer
 * that never held a byte costs only its 24 bytes (a connection keeps its
 * chains in its transfer block, taken with the first byte). */
struct bytebuf_chain {
    struct chunk *head, *tail;   /* the chain; NULL when end == 0 */
    struct chunk *cur;           /* cursor: a chunk of the chain ... */
    uint32_t cur_idx;            /* ... and its index (head is 0) */
    uint32_t nchunks;            /* chunks in the chain (it may reach past end) */
    uint16_t head_off;           /* where offset 0 lies in head */
};

struct bytebuf {
    struct bytebuf_chain *ch;    /* NULL until attached: then nothing can be written */
    uint32_t len;                /* bytes held, offsets [0, len) */
    uint32_t end;                /* bytes written, len <= end <= cap */
    uint32_t cap;                /* limit on end */
};

/* Empty, no chunk, no chain yet; cap bytes at most. */
static inline void bytebuf_init(struct bytebuf *b, uint32_t cap)
{
    *b = (struct bytebuf){.cap = cap};
}
/* Gives b the chain it will keep its chunks in (empty; b must be empty). */
static inline void bytebuf_attach(struct bytebuf *b, struct bytebuf_chain *ch)
{
    *ch = (struct bytebuf_chain){0};
    b->ch = ch;
}
/* Gives every chunk back to the pool; len and end become 0 (cap and the
 * chain stay). */
void bytebuf_release(struct bytebuf *b, struct chunk_pool *p);
static inline uint32_t bytebuf_space(const struct bytebuf *b) { return b->cap - b->len; }
/* Chunks held. */
static inline uint32_t bytebuf_chunks(const struct bytebuf *b) { return b->ch ? b->ch->nchunks : 0; }

/* ---- spans (no copy) ---- */
/* Bytes from off (off < end): returns where they are and sets *n to how
 * many are contiguous there (at most end - off). */
const uint8_t *bytebuf_peek(struct bytebuf *b, uint32_t off, uint32_t *n);
/* Room at offset off (off < cap), chained on demand: returns where to write
 * and sets *n to the contiguous bytes there (at most cap - off), or NULL
 * when the pool cannot supply a chunk or b has no chain. Nothing counts as written until
 * bytebuf_wrote. */
uint8_t *bytebuf_reserve(struct bytebuf *b, struct chunk_pool *p, uint32_t off, uint32_t *n);
/* Bytes [off, off + n) were written (extends end). */
static inline void bytebuf_wrote(struct bytebuf *b, uint32_t off, uint32_t n)
{
    if (off + n > b->end) b->end = off + n;
}
/* The next n bytes past len are held now (len + n <= end). */
static inline void bytebuf_commit(struct bytebuf *b, uint32_t n) { b->len += n; }
/* Drops n held bytes from the head (n <= len); chunks wholly passed go back
 * to the pool, and all of them once nothing is written any more. */
void bytebuf_drop(struct bytebuf *b, struct chunk_pool *p, uint32_t n);

/* ---- copies ---- */
/* Appends up to n bytes at len; returns how many fitted (fewer than asked
 * when cap is reached or the pool is exhausted). */
uint32_t bytebuf_push(struct bytebuf *b, struct chunk_pool *p, const void *src, uint32_t n);
/* Writes n bytes at off (off + n <= cap), len unchanged. Returns the bytes
 * written: fewer than n only when the pool is exhausted. */
uint32_t bytebuf_write_at(struct bytebuf *b, struct chunk_pool *p, uint32_t off, const void *src,
                          uint32_t n);
/* Copies n bytes to off (off + n <= cap) as write_at does, adding their
 * Internet checksum partial sum to *sum in the same pass, but does not count
 * them as written: bytebuf_wrote does that once the caller has checked the
 * sum (until then end does not move, and bytes past end mean nothing).
 * Returns the bytes copied: fewer than n only when the pool is exhausted. */
uint32_t bytebuf_stage_csum(struct bytebuf *b, struct chunk_pool *p, uint32_t off, const void *src,
                            uint32_t n, uint64_t *sum);
/* Copies n bytes starting off (off + n <= end). */
void bytebuf_read_at(struct bytebuf *b, uint32_t off, void *dst, uint32_t n);
/* The same, computing the Internet checksum's partial sum of the n bytes in
 * the same pass (wire_csum_copy): the one copy of outgoing data. */
uint32_t bytebuf_read_at_csum(struct bytebuf *b, uint32_t off, void *dst, uint32_t n);

#endif
