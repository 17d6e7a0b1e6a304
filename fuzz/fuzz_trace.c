/*
 * fuzz_trace.c — libFuzzer target for `synack trace`'s capture reader:
 * pcap/pcapng parsing, link layers, connection tracking, analysis and the
 * text and SVG renderers. Any input must give either a trace or an error
 * naming an offset; crashes, leaks and undefined behaviour are bugs.
 *
 *   build-fuzz/fuzz/fuzz_trace -max_total_time=180 tests/vectors/trace
 */
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
    if (trace_read(&t, data, size, size & 1, err, sizeof err) != 0) {
        if (!strstr(err, "offset") && !strstr(err, "memory")) __builtin_trap();
    } else if (sink) {
        trace_print(&t, sink);
        for (size_t i = 0; i < t.nconns && i < 2; i++) {
            render_svg_ladder(t.conns[i]->rl, sink);
            render_svg_timeseq(t.conns[i]->rl, 0, sink);
        }
    }
    trace_free(&t);
    return 0;
}
