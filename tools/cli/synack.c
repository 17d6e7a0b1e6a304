/*
 * synack.c — the `synack` command: subcommand dispatch.
 *
 * Owns: argv[1] and the top-level usage. Must not touch: anything a
 * subcommand owns (lab.c for `synack lab`).
 */
#include <stdio.h>
#include <string.h>

#ifndef SYNACK_VERSION
#error "SYNACK_VERSION comes from CMake (the project's version)"
#endif

#include "lab.h"
#include "loop.h"
#include "relay.h"
#include "script.h"
#include "trace.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack <command> [options]\n\n"
            "commands:\n"
            "  lab      play a TCP connection in the simulated network and show its ladder\n"
            "  script   run packetdrill-syntax test scripts (FILE.pkt ...) against synack\n"
            "  serve    host echo, discard, chargen, source or HTTP services on a TUN interface\n"
            "  connect  like nc: stdin to a TCP connection over a TUN interface, and back\n"
            "  get      download an http:// URL over a TUN interface\n"
            "  bulk     send or receive N bytes over a TUN interface and report throughput\n"
            "  relay    bridge two TUN interfaces through an impaired link (delay, loss, rate, ...)\n"
            "  trace    read a pcap/pcapng capture: each TCP connection's ladder, states and analysis\n"
            "  help     this text\n"
            "  version  the version (also --version)\n\n"
            "'synack <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("synack %s\n", SYNACK_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "lab")) return lab_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "trace")) return trace_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve")) return serve_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "connect")) return connect_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "get")) return get_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bulk")) return bulk_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "relay")) return relay_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "script")) return script_main(argc - 1, argv + 1);
    fprintf(stderr, "synack: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
