/*
 * counters.h — the stack's MIB counters printed as `netstat -s` would.
 *
 * Owns: the table of Linux's names (Ip InReceives, Tcp ActiveOpens, TcpExt
 * TCPChallengeACK, ...) for the fields of struct synack_counters, and their
 * compact printing. Used by `synack lab` and `synack serve --stats`.
 */
#ifndef SYNACK_TOOLS_COUNTERS_H
#define SYNACK_TOOLS_COUNTERS_H

#include <stdio.h>

#include "synack/synack.h"

/* Prints the nonzero counters of one host, grouped, under a "who" line. */
void counters_print(FILE *out, const char *who, const struct synack_counters *k);

#endif
