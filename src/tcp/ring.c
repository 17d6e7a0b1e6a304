/*
 * ring.c — the byte ring behind send and receive buffers (see ring.h).
 */
#include "tcp/ring.h"

#include "synack/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, uint32_t cap)
{
    r->buf = malloc(cap ? cap : 1);
    r->cap = cap;
    r->head = 0;
    r->len = 0;
    return r->buf ? 0 : -ENOMEM;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = r->head = 0;
}

void ring_write_at(struct ring *r, uint32_t off, const void *src, uint32_t n)
{
    if (n == 0) return;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

void ring_read_at(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(dst, r->buf + pos, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
}

uint32_t ring_read_at_csum(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (n == 0) return 0;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    uint32_t sum = wire_csum_copy(0, dst, r->buf + pos, first);
    if (n > first) {
        uint32_t rest = wire_csum_copy(0, (uint8_t *)dst + first, r->buf, n - first);
        if (first & 1) {
            /* The rest starts at an odd offset of the segment: its bytes
             * sit in the other half of each 16-bit word (RFC 1071 2(B)). */
            while (rest >> 16) rest = (rest & 0xFFFFu) + (rest >> 16);
            rest = ((rest >> 8) | (rest << 8)) & 0xFFFFu;
        }
        uint64_t t = (uint64_t)sum + rest;
        sum = (uint32_t)((t & 0xFFFFFFFFu) + (t >> 32));
    }
    return sum;
}

uint32_t ring_push(struct ring *r, const void *src, uint32_t n)
{
    if (n > ring_space(r)) n = ring_space(r);
    ring_write_at(r, r->len, src, n);
    r->len += n;
    return n;
}

void ring_drop(struct ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->head = r->cap ? (uint32_t)(((uint64_t)r->head + n) % r->cap) : 0;
    r->len -= n; /* head is never reset: parked bytes past len keep their place */
}
