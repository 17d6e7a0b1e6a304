/*
 * bench_csum.c — the Internet checksum's versions against memcpy, on one
 * core: GB/s summing a buffer (in cache: 64 KB; out of cache: 64 MB), and
 * copying while summing, beside memcpy alone; and as the stack copies:
 * 4 KB pieces from 8 bytes into 4,104-byte chunks (a 256 KB send buffer) to
 * 52 bytes into a 64 KB packet (after its headers). Times are the process's
 * CPU time, so that other jobs on a shared machine do not count.
 *
 *   build/bench/bench_csum
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synack/wire.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static volatile uint32_t sink;

int main(void)
{
    static const size_t sizes[] = {65536, 64u << 20, 4096};
    static const char *const names[] = {"scalar", "sse2", "avx2"};
    size_t big = 64u << 20;
    uint8_t *a = malloc(big), *b = malloc(big);
    if (!a || !b) return 1;
    for (size_t i = 0; i < big; i++) a[i] = (uint8_t)(i * 7);
    memset(b, 0, big);
    printf("%-8s %17s %12s %12s %12s\n", "version", "buffer", "sum GB/s", "copy+sum", "memcpy");
    for (size_t s = 0; s < 3; s++) {
        size_t n = sizes[s];
        size_t reps = (2u << 30) / n;
        /* Where the r-th piece comes from and goes to: alternating by one
         * byte for the whole buffers; chunk and packet offsets for pieces. */
#define SRC(r) (s == 2 ? a + 8 + ((r) % 64) * 4104 : a + ((r) & 1))
#define DST(r) (s == 2 ? b + 52 + ((r) % 16) * 4096 : b)
        double t0 = now_s();
        for (size_t r = 0; r < reps; r++) memcpy(DST(r), SRC(r), n);
        double mc = (double)n * (double)reps / (now_s() - t0) / 1e9;
        for (size_t k = 0; k < 3; k++) {
            if (wire_csum_set_impl(names[k]) != 0) {
                printf("%-8s (not offered by this CPU)\n", names[k]);
                continue;
            }
            t0 = now_s();
            uint32_t acc = 0;
            for (size_t r = 0; r < reps; r++) acc += wire_csum_add(0, SRC(r), n);
            double add = (double)n * (double)reps / (now_s() - t0) / 1e9;
            t0 = now_s();
            for (size_t r = 0; r < reps; r++) acc += wire_csum_copy(0, DST(r), SRC(r), n);
            double cp = (double)n * (double)reps / (now_s() - t0) / 1e9;
            sink = acc;
            printf("%-8s %9zuK%s %12.1f %12.1f %12.1f\n", names[k], n >> 10, s == 2 ? " pieces" : "       ", add, cp, mc);
        }
    }
    free(a);
    free(b);
    return 0;
}
