/*
 * test_pattern.c — the byte stream of `synack bulk` and `serve --source`
 * (loop_pattern_fill): byte i of the stream is i mod 251 for any offset and
 * length, including copies longer than the fill's internal chunk and offsets
 * beyond 4 GB, so a receiver's --verify reads the same stream the sender made.
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "loop.h"

static int same_as_definition(const uint8_t *buf, size_t n, uint64_t offset)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != (uint8_t)((offset + i) % 251)) return 0;
    return 1;
}

static void every_offset_and_length(void)
{
    uint8_t buf[600];
    for (uint64_t off = 0; off < 600; off += 7)
        for (size_t n = 0; n <= sizeof buf; n += 13) {
            memset(buf, 0xEE, sizeof buf);
            loop_pattern_fill(buf, n, off);
            CHECK(same_as_definition(buf, n, off));
            if (n < sizeof buf) CHECK_EQ(buf[n], 0xEE); /* nothing written past n */
        }
}

static void long_fills_and_far_offsets(void)
{
    size_t n = 200000; /* several of the fill's chunks */
    uint8_t *buf = malloc(n);
    REQUIRE(buf != NULL);
    const uint64_t offs[] = {0, 250, 251, 16383, 16384, 5000000000ull, UINT64_MAX - n};
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
        loop_pattern_fill(buf, n, offs[k]);
        CHECK(same_as_definition(buf, n, offs[k]));
    }
    /* two fills back to back make the same bytes as one */
    uint8_t *two = malloc(n);
    REQUIRE(two != NULL);
    loop_pattern_fill(two, 77777, 123);
    loop_pattern_fill(two + 77777, n - 77777, 123 + 77777);
    loop_pattern_fill(buf, n, 123);
    CHECK(memcmp(buf, two, n) == 0);
    free(two);
    free(buf);
}

TEST_MAIN(TEST(every_offset_and_length), TEST(long_fills_and_far_offsets))
