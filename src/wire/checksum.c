/*
 * checksum.c — the Internet checksum (RFC 1071) and the TCP pseudo-header.
 *
 * Owns: wire_csum_add, wire_csum_copy, wire_csum_finish, wire_csum_pseudo,
 * the scalar reference (wire_csum_add_scalar) and the vector versions (SSE2,
 * AVX2 on x86-64), one of which is chosen at run time from what the CPU
 * offers (wire_csum_impl_name says which; SYNACK_CSUM=scalar|sse2|avx2 in the
 * environment forces one, for tests and benchmarks). Pure functions over
 * caller-given bytes; the only state is that choice, made once.
 *
 * The sum is the one's-complement sum of big-endian 16-bit words. Partial
 * sums are carried in a uint32_t that may hold unfolded carries; they can be
 * chained through wire_csum_add as long as every chunk but the last has an
 * even length (an odd last byte is padded with a zero low byte, RFC 1071).
 */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_X86 1
#include <immintrin.h>
#endif

/* The data is summed as native-order 32-bit words into a 64-bit
 * accumulator (no carry is lost below 16 GiB), folded to 16 bits, and
 * byte-swapped on little-endian machines: RFC 1071 2(B), the one's-
 * complement sum is independent of byte order up to that final swap. */
/* Folds a 64-bit accumulator of native-order words into the caller's
 * partial sum (big-endian one's-complement, unfolded). */
static uint32_t fold_native(uint32_t sum, uint64_t acc)
{
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

/* The tail (< 16 bytes) as native words into acc. */
static uint64_t tail_native(uint64_t acc, const uint8_t *p, size_t len)
{
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
    return acc;
}

uint32_t wire_csum_add_scalar(uint32_t sum, const void *data, size_t len)
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
    return fold_native(sum, tail_native(acc, p, len));
}

uint32_t wire_csum_copy_scalar(uint32_t sum, void *dst, const void *src, size_t len)
{
    memcpy(dst, src, len);
    return wire_csum_add_scalar(sum, dst, len);
}

#ifdef CSUM_X86
/* The vector loops keep, per 32-bit lane, the sum of the lane's low and
 * high native 16-bit halves in two 32-bit accumulators; each step adds at
 * most 0xFFFF, so they are emptied into 64-bit lanes every 32768 steps. */
#define CSUM_FLUSH_STEPS 32768

__attribute__((target("sse2"))) static uint64_t hsum_sse2(__m128i lo, __m128i hi, __m128i wide)
{
    __m128i z = _mm_setzero_si128();
    wide = _mm_add_epi64(wide, _mm_unpacklo_epi32(lo, z));
    wide = _mm_add_epi64(wide, _mm_unpackhi_epi32(lo, z));
    wide = _mm_add_epi64(wide, _mm_unpacklo_epi32(hi, z));
    wide = _mm_add_epi64(wide, _mm_unpackhi_epi32(hi, z));
    uint64_t w[2];
    _mm_storeu_si128((__m128i *)w, wide);
    return w[0] + w[1];
}

/* Sums (and copies when dst) len bytes as native words; the tail too. */
static inline __attribute__((always_inline, target("sse2"))) uint64_t sse2_native(uint8_t *d, const uint8_t *p, size_t len)
{
    const __m128i mask = _mm_set1_epi32(0xFFFF);
    uint64_t acc = 0;
    while (len >= 16) {
        __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
        __m128i lo2 = _mm_setzero_si128(), hi2 = _mm_setzero_si128();
        size_t steps = len / 16;
        if (steps > CSUM_FLUSH_STEPS) steps = CSUM_FLUSH_STEPS;
        size_t i = 0;
        for (; i + 2 <= steps; i += 2) { /* two independent chains */
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
            if (d) {
                _mm_storeu_si128((__m128i *)(void *)d, v);
                _mm_storeu_si128((__m128i *)(void *)(d + 16), w);
                d += 32;
            }
            lo = _mm_add_epi32(lo, _mm_and_si128(v, mask));
            hi = _mm_add_epi32(hi, _mm_srli_epi32(v, 16));
            lo2 = _mm_add_epi32(lo2, _mm_and_si128(w, mask));
            hi2 = _mm_add_epi32(hi2, _mm_srli_epi32(w, 16));
            p += 32;
        }
        if (i < steps) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            if (d) {
                _mm_storeu_si128((__m128i *)(void *)d, v);
                d += 16;
            }
            lo = _mm_add_epi32(lo, _mm_and_si128(v, mask));
            hi = _mm_add_epi32(hi, _mm_srli_epi32(v, 16));
            p += 16;
        }
        len -= steps * 16;
        acc += hsum_sse2(lo, hi, _mm_setzero_si128()) + hsum_sse2(lo2, hi2, _mm_setzero_si128());
    }
    if (d && len) memcpy(d, p, len);
    return tail_native(acc, p, len);
}

/* The vector loops run with their stores aligned (the loads when only
 * summing): the first bytes up to the destination's next multiple of the
 * vector width are summed and copied apart, as memcpy aligns its stores. A
 * store or load that straddles two cache lines costs about two; an
 * unaligned 32-byte loop meets one every other step (the receive and send
 * buffers' chunks start 8 bytes into a line, a packet's payload 52), which
 * held the fused copy at ~36 GB/s against memcpy's ~43 in L2 on this
 * machine; aligned it runs at memcpy's speed (bench/bench_csum.c). When
 * the head is odd, the rest's bytes sit in the other half of each 16-bit
 * word of the run: its folded sum is byte-swapped (RFC 1071 2(B)) before
 * it is added to the head's. */
static uint64_t swap_folded(uint64_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xFFFFu) + (acc >> 16);
    return ((acc >> 8) | (acc << 8)) & 0xFFFFu;
}

static inline __attribute__((always_inline)) uint32_t csum_aligned(uint32_t sum, void *dst, const void *data, size_t len, size_t width,
                             uint64_t (*body)(uint8_t *, const uint8_t *, size_t))
{
    const uint8_t *p = data;
    uint8_t *d = dst;
    size_t k = (size_t)(-(uintptr_t)(d ? (const void *)d : data)) & (width - 1);
    if (k > len) k = len;
    uint64_t head = 0;
    if (k) {
        if (d) {
            memcpy(d, p, k);
            d += k;
        }
        head = tail_native(0, p, k);
        p += k;
        len -= k;
    }
    uint64_t rest = body(d, p, len);
    if (k & 1) rest = swap_folded(rest);
    return fold_native(sum, head + rest);
}

__attribute__((target("sse2"))) static uint32_t csum_sse2(uint32_t sum, void *dst, const void *data, size_t len)
{
    return csum_aligned(sum, dst, data, len, 16, sse2_native);
}

static inline __attribute__((always_inline, target("avx2"))) uint64_t avx2_native(uint8_t *d, const uint8_t *p, size_t len)
{
    const __m256i mask = _mm256_set1_epi32(0xFFFF);
    uint64_t acc = 0;
    while (len >= 64) {
        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
        __m256i lo2 = _mm256_setzero_si256(), hi2 = _mm256_setzero_si256();
        size_t steps = len / 64;
        if (steps > CSUM_FLUSH_STEPS) steps = CSUM_FLUSH_STEPS;
        for (size_t i = 0; i < steps; i++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
            __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
            if (d) {
                _mm256_storeu_si256((__m256i *)(void *)d, v);
                _mm256_storeu_si256((__m256i *)(void *)(d + 32), w);
                d += 64;
            }
            lo = _mm256_add_epi32(lo, _mm256_and_si256(v, mask));
            hi = _mm256_add_epi32(hi, _mm256_srli_epi32(v, 16));
            lo2 = _mm256_add_epi32(lo2, _mm256_and_si256(w, mask));
            hi2 = _mm256_add_epi32(hi2, _mm256_srli_epi32(w, 16));
            p += 64;
        }
        len -= steps * 64;
        __m256i z = _mm256_setzero_si256(), wide = z;
        /* Each 32-bit lane holds at most 2 * 32768 * 0xFFFF: widen before adding. */
        wide = _mm256_add_epi64(wide, _mm256_unpacklo_epi32(lo, z));
        wide = _mm256_add_epi64(wide, _mm256_unpackhi_epi32(lo, z));
        wide = _mm256_add_epi64(wide, _mm256_unpacklo_epi32(hi, z));
        wide = _mm256_add_epi64(wide, _mm256_unpackhi_epi32(hi, z));
        wide = _mm256_add_epi64(wide, _mm256_unpacklo_epi32(lo2, z));
        wide = _mm256_add_epi64(wide, _mm256_unpackhi_epi32(lo2, z));
        wide = _mm256_add_epi64(wide, _mm256_unpacklo_epi32(hi2, z));
        wide = _mm256_add_epi64(wide, _mm256_unpackhi_epi32(hi2, z));
        uint64_t w4[4];
        _mm256_storeu_si256((__m256i *)(void *)w4, wide);
        acc += w4[0] + w4[1] + w4[2] + w4[3];
    }
    /* Under 64 bytes left: the SSE2 loop (AVX2 CPUs have SSE2). */
    return acc + sse2_native(d, p, len);
}

__attribute__((target("avx2"))) static uint32_t csum_avx2(uint32_t sum, void *dst, const void *data, size_t len)
{
    return csum_aligned(sum, dst, data, len, 32, avx2_native);
}

static uint32_t add_sse2(uint32_t sum, const void *data, size_t len) { return csum_sse2(sum, NULL, data, len); }
static uint32_t copy_sse2(uint32_t sum, void *dst, const void *src, size_t len) { return csum_sse2(sum, dst, src, len); }
static uint32_t add_avx2(uint32_t sum, const void *data, size_t len) { return csum_avx2(sum, NULL, data, len); }
static uint32_t copy_avx2(uint32_t sum, void *dst, const void *src, size_t len) { return csum_avx2(sum, dst, src, len); }
#endif

/* ---- the run-time choice ---- */

struct csum_impl {
    const char *name;
    uint32_t (*add)(uint32_t, const void *, size_t);
    uint32_t (*copy)(uint32_t, void *, const void *, size_t);
};

static const struct csum_impl impls[] = {
    {"scalar", wire_csum_add_scalar, wire_csum_copy_scalar},
#ifdef CSUM_X86
    {"sse2", add_sse2, copy_sse2},
    {"avx2", add_avx2, copy_avx2},
#endif
};

static bool impl_usable(const struct csum_impl *m)
{
#ifdef CSUM_X86
    if (!strcmp(m->name, "avx2")) return __builtin_cpu_supports("avx2");
    if (!strcmp(m->name, "sse2")) return __builtin_cpu_supports("sse2");
#endif
    return !strcmp(m->name, "scalar");
}

static const struct csum_impl *chosen;

static const struct csum_impl *choose(void)
{
    const struct csum_impl *best = &impls[0];
#ifdef CSUM_X86
    __builtin_cpu_init();
#endif
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
        if (impl_usable(&impls[i])) best = &impls[i];
    const char *force = getenv("SYNACK_CSUM");
    if (force)
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
            if (!strcmp(force, impls[i].name) && impl_usable(&impls[i])) best = &impls[i];
    return best;
}

/* A benign race: every thread computes the same choice. */
static inline const struct csum_impl *impl(void)
{
    const struct csum_impl *m = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!m) {
        m = choose();
        __atomic_store_n(&chosen, m, __ATOMIC_RELEASE);
    }
    return m;
}

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    if (len < 64) return wire_csum_add_scalar(sum, data, len);
    return impl()->add(sum, data, len);
}

uint32_t wire_csum_copy(uint32_t sum, void *dst, const void *src, size_t len)
{
    if (len < 64) return wire_csum_copy_scalar(sum, dst, src, len);
    return impl()->copy(sum, dst, src, len);
}

const char *wire_csum_impl_name(void)
{
    return impl()->name;
}

int wire_csum_set_impl(const char *name)
{
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
        if (!strcmp(name, impls[i].name)) {
            if (!impl_usable(&impls[i])) return -1;
            __atomic_store_n(&chosen, &impls[i], __ATOMIC_RELEASE);
            return 0;
        }
    return -1;
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
