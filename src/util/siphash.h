/*
 * siphash.h — SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit PRF, and
 * its faster SipHash-1-3 variant (one compression round, three final ones).
 *
 * util layer: below every other module; depends on nothing but libc.
 * Owns: nothing but the function. Used for RFC 6528 ISNs, RFC 6056 port
 * selection (SipHash-2-4: their outputs reach the wire), and the connection
 * and TIME_WAIT tables' hash (SipHash-1-3, as Rust's and Python's hash
 * tables use it: keyed, so flooding cannot aim at one chain), all keyed by
 * the stack's secret.
 */
#ifndef SYNACK_UTIL_SIPHASH_H
#define SYNACK_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);

#endif
