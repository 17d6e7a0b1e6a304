/*
 * fuzz_trace.c — libFuzzer target for `synack trace`'s capture reader:
 * pcap/pcapng parsing, link layers, connection tracking, analysis and the
 * text and SVG renderers. Any input must give either a trace or an error
 * naming an offset; crashes, leaks and undefined behaviour are bugs. Half
 * of the inputs are read as a stream through a window of 4 to 32 bytes (the
 * file reader's refills), the others from memory.
 *
 *   build-fuzz/fuzz/fuzz_trace -max_total_time=180 tests/vectors/trace
 */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapread.h"
#include "render.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    struct trace t;
    char err[256];
    int rc;
    FILE *f = (size & 2) && size ? fmemopen((void *)data, size, "rb") : NULL;
    if (f) {
        rc = trace_read_stream(&t, f, PCAPREAD_BUILTIN, 4 + size % 29, size & 1, err, sizeof err);
        /* a file is refused on its first 4 bytes before any offset applies */
        if (rc && size >= 4 && !strstr(err, "offset") && !strstr(err, "memory") && !strstr(err, "not a pcap"))
            __builtin_trap();
    } else {
        rc = trace_read(&t, data, size, size & 1, err, sizeof err);
        if (rc && !strstr(err, "offset") && !strstr(err, "memory")) __builtin_trap();
    }
    if (rc == 0 && sink) {
        trace_print(&t, sink);
        for (size_t i = 0; i < t.nconns && i < 2; i++) {
            render_svg_ladder(t.conns[i]->rl, sink);
            render_svg_timeseq(t.conns[i]->rl, 0, sink);
        }
    }
    trace_free(&t);
    return 0;
}
