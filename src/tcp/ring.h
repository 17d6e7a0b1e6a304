/*
 * ring.h — fixed-capacity byte ring used for send and receive buffers.
 *
 * Owns: one contiguous allocation made when a connection is created, and
 * byte copies in and out of it (wrapping). Must not touch: sequence numbers;
 * callers map sequence numbers to offsets. Offsets are counted from the
 * oldest byte (the head). Bytes past len may be written (write_at) without
 * growing len: the receive side parks out-of-order data there.
 */
#ifndef SYNACK_TCP_RING_H
#define SYNACK_TCP_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    uint8_t *buf;
    uint32_t cap;   /* bytes allocated */
    uint32_t head;  /* index of the oldest byte */
    uint32_t len;   /* bytes held, head .. head+len-1 */
};

int ring_init(struct ring *r, uint32_t cap);   /* 0 or -ENOMEM */
void ring_free(struct ring *r);
static inline uint32_t ring_space(const struct ring *r) { return r->cap - r->len; }
/* Appends up to n bytes; returns how many fitted. */
uint32_t ring_push(struct ring *r, const void *src, uint32_t n);
/* Copies n bytes starting off bytes past the head (off + n <= cap). */
void ring_read_at(const struct ring *r, uint32_t off, void *dst, uint32_t n);
/* The same, computing the Internet checksum's partial sum of the n bytes
 * in the same pass (wire_csum_copy): the one copy of outgoing data. */
uint32_t ring_read_at_csum(const struct ring *r, uint32_t off, void *dst, uint32_t n);
/* Writes n bytes at off past the head (off + n <= cap), len unchanged. */
void ring_write_at(struct ring *r, uint32_t off, const void *src, uint32_t n);
/* Drops n bytes from the head (n <= len). */
void ring_drop(struct ring *r, uint32_t n);

#endif
