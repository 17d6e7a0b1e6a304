/*
 * test_checksum.c — the Internet checksum's versions (scalar, SSE2, AVX2,
 * each alone and fused with a copy) fuzz-compared with a byte-at-a-time
 * RFC 1071 reference: random lengths, source and destination alignments,
 * initial sums and chaining; all-0xFF buffers past the vector loops' flush
 * points (the worst case for lost carries); the copy's bytes and the bytes
 * around its destination. Versions this CPU does not offer are reported,
 * not silently passed.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "synack/wire.h"

/* RFC 1071, the obvious way: big-endian 16-bit words, an odd last byte
 * padded with zero, end-around carry. */
static uint16_t reference(uint32_t init, const uint8_t *p, size_t len)
{
    uint64_t acc = init;
    for (size_t i = 0; i + 1 < len; i += 2) acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1) acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
    return (uint16_t)~acc;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const names[] = {"scalar", "sse2", "avx2"};

static void fuzz_one_impl(const char *name)
{
    enum { MAX = 20000, PAD = 64 };
    static uint8_t src[MAX + PAD], dst[MAX + 2 * PAD];
    int bad = 0;
    for (int iter = 0; iter < 4000 && bad < 5; iter++) {
        size_t len = (size_t)(next() % (iter < 2000 ? 200 : MAX));
        size_t sa = (size_t)(next() % PAD), da = (size_t)(next() % PAD);
        uint32_t init = (uint32_t)(next() % 0x3FFFF);
        for (size_t i = 0; i < len + sa; i++) src[i] = (uint8_t)next();
        if (iter % 7 == 0) memset(src + sa, 0xFF, len);
        uint16_t want = reference(init, src + sa, len);
        uint16_t got = wire_csum_finish(wire_csum_add(init, src + sa, len));
        if (got != want) {
            HARNESS_FAIL("%s add: len %zu align %zu init %u: %04x, expected %04x", name, len, sa, init, got, want);
            bad++;
        }
        memset(dst, 0xA5, sizeof dst);
        got = wire_csum_finish(wire_csum_copy(init, dst + PAD + da, src + sa, len));
        if (got != want) {
            HARNESS_FAIL("%s copy: len %zu align %zu/%zu: %04x, expected %04x", name, len, sa, da, got, want);
            bad++;
        }
        if (memcmp(dst + PAD + da, src + sa, len) != 0) {
            HARNESS_FAIL("%s copy: len %zu: the bytes differ", name, len);
            bad++;
        }
        for (size_t i = 0; i < PAD + da; i++)
            if (dst[i] != 0xA5) {
                HARNESS_FAIL("%s copy: wrote before its destination", name);
                bad++;
                break;
            }
        for (size_t i = PAD + da + len; i < sizeof dst; i++)
            if (dst[i] != 0xA5) {
                HARNESS_FAIL("%s copy: wrote past its destination (len %zu)", name, len);
                bad++;
                break;
            }
        /* Chained: an even-length first part, then the rest. */
        size_t cut = len ? (size_t)(next() % (len + 1)) & ~(size_t)1 : 0;
        uint32_t s = wire_csum_add(init, src + sa, cut);
        s = wire_csum_copy(s, dst + PAD + da, src + sa + cut, len - cut);
        if (wire_csum_finish(s) != want) {
            HARNESS_FAIL("%s chained at %zu of %zu: %04x, expected %04x", name, cut, len, wire_csum_finish(s), want);
            bad++;
        }
        harness_checks += 5;
    }
}

static void fuzz_against_reference(void)
{
    int ran = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (wire_csum_set_impl(names[k]) != 0) {
            printf("note: this CPU does not offer %s: not tested here\n", names[k]);
            continue;
        }
        CHECK_STR(wire_csum_impl_name(), names[k]);
        fuzz_one_impl(names[k]);
        ran++;
    }
    CHECK(ran >= 1);
#if defined(__x86_64__)
    CHECK(ran == 3 || !__builtin_cpu_supports("avx2")); /* x86-64 always has SSE2 */
#endif
    CHECK_EQ(wire_csum_set_impl("nonsense"), -1);
}

/* Past the flush points (32768 vector steps: 512 KiB for SSE2, 2 MiB for
 * AVX2), all bytes 0xFF: every lane at its maximum. */
static void big_all_ones(void)
{
    size_t len = 5u << 20;
    uint8_t *a = malloc(len + 1), *b = malloc(len + 1);
    REQUIRE(a && b);
    memset(a, 0xFF, len + 1);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (wire_csum_set_impl(names[k]) != 0) continue;
        for (size_t off = 0; off < 2; off++) {
            uint16_t want = reference(0, a + off, len - off);
            CHECK_EQ(wire_csum_finish(wire_csum_add(0, a + off, len - off)), want);
            CHECK_EQ(wire_csum_finish(wire_csum_copy(0, b + off, a + off, len - off)), want);
        }
        CHECK(memcmp(a, b + 1, len - 1) == 0);
    }
    free(a);
    free(b);
}

/* The vector versions copy and sum a head apart until the destination (or,
 * summing only, the source) is aligned to their width, then byte-swap the
 * rest's sum when that head is odd: every residue of both addresses modulo
 * 64, odd and even lengths about the vector widths and a chunk's. */
static void every_alignment(void)
{
    enum { PAD = 64, MAXLEN = 4200 };
    static const size_t lens[] = {64, 65, 95, 96, 127, 128, 129, 1448, 1449, 4095, 4096, 4097, MAXLEN};
    static uint8_t src[MAXLEN + PAD], dst[MAXLEN + 2 * PAD + 64];
    uint8_t *dbase = dst + (64 - ((uintptr_t)dst & 63)); /* a 64-byte boundary */
    for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)next();
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (wire_csum_set_impl(names[k]) != 0) continue;
        int bad = 0;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0] && bad < 5; li++)
            for (size_t sa = 0; sa < PAD && bad < 5; sa++)
                for (size_t da = 0; da < PAD && bad < 5; da += (sa % 8 == 0 ? 1 : 13)) {
                    size_t len = lens[li];
                    uint16_t want = reference(0x1234, src + sa, len);
                    uint16_t got = wire_csum_finish(wire_csum_add(0x1234, src + sa, len));
                    if (got != want) {
                        HARNESS_FAIL("%s add: len %zu source at %zu mod 64: %04x, expected %04x", names[k], len,
                                     ((uintptr_t)(src + sa)) & 63, got, want);
                        bad++;
                    }
                    memset(dbase, 0xA5, MAXLEN + PAD + 2);
                    got = wire_csum_finish(wire_csum_copy(0x1234, dbase + 1 + da, src + sa, len));
                    if (got != want || memcmp(dbase + 1 + da, src + sa, len) != 0 || dbase[da] != 0xA5 ||
                        dbase[1 + da + len] != 0xA5) {
                        HARNESS_FAIL("%s copy: len %zu source %zu, destination %zu mod 64: %04x, expected %04x",
                                     names[k], len, ((uintptr_t)(src + sa)) & 63, (size_t)((1 + da) & 63), got, want);
                        bad++;
                    }
                    harness_checks += 2;
                }
    }
}

TEST_MAIN(TEST(fuzz_against_reference), TEST(big_all_ones), TEST(every_alignment))
