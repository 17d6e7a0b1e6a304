/*
 * tunables.h — stack-wide tunables by name, for the command line.
 *
 * Owns: the table mapping Linux-style sysctl names (syn_retries,
 * tcp_syn_retries and net.ipv4.tcp_syn_retries all name the same one) to
 * fields of struct synack_tunables, parsing "name=value", and listing them.
 * Must not touch: the stack (callers apply the result with
 * synack_stack_set_tunables, which validates ranges).
 */
#ifndef SYNACK_TOOLS_TUNABLES_H
#define SYNACK_TOOLS_TUNABLES_H

#include <stdio.h>

#include "synack/synack.h"

/* Applies one "name=value" to *t. Returns 0, or -ENOENT for an unknown
 * name, -EINVAL for a value that is not a number in range for the field.
 * A message naming the problem is written to err (may be NULL). */
int tunables_set(struct synack_tunables *t, const char *assignment, FILE *err);
/* Prints every tunable with its current value and meaning. */
void tunables_list(const struct synack_tunables *t, FILE *out);

#endif
