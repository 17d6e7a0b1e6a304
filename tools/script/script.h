/*
 * script.h — `synack script`: packetdrill-syntax test scripts run against a
 * fresh synack stack on a virtual clock.
 *
 * Owns: the public entry points of the script runner (one file, or the
 * subcommand with many files) and their options. The script language, what
 * is supported and how synack's defaults compare with Linux's are described
 * in docs/SCRIPTS.md. Map of the implementation:
 *   script_ast.h    the parsed form of a script (events, packets, calls)
 *   script_lex.c    the tokenizer (numbers, words, strings, `shell`, %{ }%)
 *   script_parse.c  tokens -> events, with file:line errors and SKIP reasons
 *   script_run.c    the runner: virtual clock, injection, matching, calls
 *   script.c        script_run_file, script_main (the subcommand)
 * Must not touch: stack internals (public API and the wire codecs only).
 */
#ifndef SYNACK_TOOLS_SCRIPT_H
#define SYNACK_TOOLS_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Results of one script. */
enum script_result {
    SCRIPT_PASS = 0,
    SCRIPT_FAIL = 1,
    SCRIPT_SKIP = 2,
};

struct script_options {
    int64_t tolerance_usecs; /* --tolerance_usecs N (packetdrill's default 4000) */
    bool verbose;            /* --verbose: print each event as it runs */
    bool unchecked_tail;     /* --unchecked-tail: segments sent after the last outbound
                              * line fail nothing, as packetdrill (which never reads
                              * them); for Linux's own scripts */
};

void script_options_default(struct script_options *o);

/* Runs one script against a fresh stack and prints its verdict to out:
 * "PASS file", "FAIL file:line: ..." with what was expected and what synack
 * did, or "SKIP file: reason". Returns an enum script_result. */
int script_run_file(const char *path, const struct script_options *o, FILE *out);

/* `synack script [--tolerance_usecs N] [--verbose] [--unchecked-tail] FILE.pkt ...`: runs each
 * file, then prints "N passed, N failed[, N skipped]". Exit status 0 when
 * nothing failed (77 when every script was skipped), 1 on a failure, 2 on
 * bad usage. argv[0] is "script". */
int script_main(int argc, char **argv);

#endif
