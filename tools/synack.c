/*
 * synack.c — the `synack` command: subcommand dispatch.
 *
 * Owns: argv[1] and the top-level usage. Must not touch: anything a
 * subcommand owns (lab.c for `synack lab`).
 */
#include <stdio.h>
#include <string.h>

#include "lab.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack <command> [options]\n\n"
            "commands:\n"
            "  lab      play a TCP connection in the simulated network and show its ladder\n"
            "  help     this text\n\n"
            "'synack <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "lab")) return lab_main(argc - 1, argv + 1);
    fprintf(stderr, "synack: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
