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
#include <string.h>

#include "synack/wire.h"

/* The data is summed as native-order 32-bit words into a 64-bit
 * accumulator (no carry is lost below 16 GiB), folded to 16 bits, and
 * byte-swapped on little-endian machines: RFC 1071 2(B), the one's-
 * complement sum is independent of byte order up to that final swap. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = 0;
    while (len >= 16) {
        uint32_t w[4];
        memcpy(w, p, sizeof w);
        acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
        p += 16;
        len -= 16;
    }
    while (len >= 4) {
        uint32_t w;
        memcpy(&w, p, sizeof w);
        acc += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t w;
        memcpy(&w, p, sizeof w);
        acc += w;
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd last byte is the high byte of a big-endian word whose
         * low byte is zero (RFC 1071). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        acc += (uint32_t)p[0] << 8;
#else
        acc += p[0];
#endif
    }
    while (acc >> 16)
        acc = (acc & 0xFFFFu) + (acc >> 16);
    uint32_t folded = (uint32_t)acc;
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    folded = ((folded >> 8) | (folded << 8)) & 0xFFFFu;
#endif
    uint64_t total = (uint64_t)sum + folded;
    while (total >> 32)
        total = (total & 0xFFFFFFFFu) + (total >> 32);
    return (uint32_t)total;
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
