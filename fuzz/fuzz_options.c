/*
 * fuzz_options.c — libFuzzer target for the command-line values every
 * synack command parses: --set NAME=VALUE (tunables), the TUN commands'
 * shared options (--tun, --addr A/PREFIX, --gateway, --impair SPEC, --set,
 * ...), ports and HOST:PORT, IPv4 literals. The input is split at NUL bytes
 * into an argv. A bad value must be refused with a message on stderr (run
 * with -close_fd_mask=2 to silence it), never crash or exit.
 *
 *   build-fuzz/fuzz/fuzz_options -max_total_time=300 fuzz/corpus/options
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "synack/synack.h"
#include "tunables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *buf = malloc(size + 1);
    char *argv[66];
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    int argc = 0;
    argv[argc++] = "synack";
    for (size_t i = 0; i <= size && argc < 65;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    struct loop_options o;
    loop_options_default(&o);
    for (int i = 1; i < argc;) {
        int r = loop_parse_option(&o, argc, argv, &i, "fuzz");
        if (r < 0) break;
        if (r == 0) i++;
    }
    for (int i = 1; i < argc; i++) {
        struct synack_config cfg;
        synack_config_init(&cfg);
        tunables_set(&cfg.tunables, argv[i], NULL);
        uint16_t port;
        loop_parse_port(argv[i], "fuzz", "port", &port);
        struct synack_endpoint ep;
        loop_parse_hostport(argv[i], "fuzz", &ep);
        uint32_t addr;
        synack_parse_ipv4(argv[i], &addr);
    }
    free(buf);
    return 0;
}
