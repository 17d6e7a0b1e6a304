/*
 * fuzz_script.c — libFuzzer target for `synack script`: the lexer, the
 * parser and the runner (a fresh stack on the virtual clock per input).
 * Any text must end in PASS, FAIL or SKIP with a message; crashes, leaks,
 * undefined behaviour, unbounded recursion or a run that never ends are
 * bugs. Shell lines are interpreted by the runner (sysctl only), never
 * executed, so inputs cannot reach the machine.
 *
 *   build-fuzz/fuzz/fuzz_script -max_total_time=300 fuzz/corpus/script
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "script_ast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    if (!sink || size > 65536) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct sc_script s;
    memset(&s, 0, sizeof s);
    s.path = "fuzz.pkt";
    s.text = text;
    s.text_len = size;
    if (sc_parse(&s, text, size) != 0) {
        if (!s.err[0]) __builtin_trap(); /* an error must say what */
    } else if (!s.skip) {
        struct script_options o;
        script_options_default(&o);
        sc_run(&s, &o, sink);
    }
    sc_arena_free(&s.arena);
    free(text);
    return 0;
}
