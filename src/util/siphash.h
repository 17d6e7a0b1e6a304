/*
 * siphash.h — SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit PRF.
 *
 * util layer: below every other module; depends on nothing but libc.
 * Owns: nothing but the function. Used for RFC 6528 ISNs, RFC 6056 port
 * selection and the connection-table hash, all keyed by the stack's secret.
 */
#ifndef SYNACK_UTIL_SIPHASH_H
#define SYNACK_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
