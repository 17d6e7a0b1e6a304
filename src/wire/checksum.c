/*
 * checksum.c — the Internet checksum (RFC 1071) and the TCP pseudo-header.
 *
 * Owns: wire_csum_add, wire_csum_finish, wire_csum_pseudo. Pure functions
 * over caller-given bytes; no state.
 *
 * The sum is the one's-complement sum of big-endian 16-bit words. Partial
 * sums are carried in a uint32_t that may hold unfolded carries; they can be
 * chained through wire_csum_add as long as every chunk but the last has an
 * even length (an odd last byte is padded with a zero low byte, RFC 1071).
 */
#include "wire/wire.h"

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    size_t i = 0;

    /* 64-bit accumulator: no carry is lost whatever len is, and folding
     * once at the end is exact because end-around carry is associative. */
    for (; i + 1 < len; i += 2)
        acc += (uint32_t)wire_get16(p + i);
    if (i < len)
        acc += (uint32_t)p[i] << 8;
    while (acc >> 32)
        acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return (uint32_t)acc;
}

uint16_t wire_csum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFFu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t acc = 0;
    acc += src >> 16;
    acc += src & 0xFFFFu;
    acc += dst >> 16;
    acc += dst & 0xFFFFu;
    acc += proto;          /* zero byte, then protocol */
    acc += len;
    return (uint32_t)acc;  /* at most 6 * 0xFFFF: no overflow */
}
