/*
 * script_code.h — the `%{ ... }%` blocks of packetdrill scripts, as far as
 * synack can honour them: a small evaluator for the Python subset Linux's
 * own scripts use to check TCP_INFO.
 *
 * Owns: the statements `assert EXPR[, MESSAGE]`, `NAME = EXPR`, `NAME += EXPR`,
 * `NAME -= EXPR` and `print(EXPR)`, separated by `;` or new lines; integer
 * expressions (+ - * / // %, comparisons, chained comparisons, and/or/not,
 * parentheses); string messages with the `'...%d...' % value` form; the
 * tcpi_* fields with the meanings of Linux's struct tcp_info (counts in
 * segments, times in microseconds, Linux's state and ca_state numbers); the
 * names TCP_CA_Open..TCP_CA_Loss (as packetdrill defines them). Variables keep
 * their values from block to block within one script.
 * Must not touch: the stack, the clock or the script's events (the runner
 * passes a snapshot of TCP_INFO in).
 */
#ifndef SYNACK_TOOLS_SCRIPT_CODE_H
#define SYNACK_TOOLS_SCRIPT_CODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

#define SC_CODE_MAX_VARS 32

struct sc_code_vars {
    unsigned n;
    struct {
        char name[32];
        int64_t value;
    } v[SC_CODE_MAX_VARS];
};

enum sc_code_result {
    SC_CODE_OK,          /* every assertion held */
    SC_CODE_FAILED,      /* an assertion failed: msg says which and why */
    SC_CODE_UNSUPPORTED, /* something outside the subset: msg says what */
};

/* Runs one block. info is the TCP_INFO of the socket under test, or NULL
 * when there is none (then any tcpi_* name is unsupported). print() output
 * goes to out when it is not NULL. */
enum sc_code_result sc_code_run(struct sc_code_vars *vars, const char *text,
                                const struct synack_tcp_info *info, FILE *out,
                                char *msg, size_t msg_len);

/* A tcpi_* field as Linux reports it. False when synack does not have it. */
bool sc_code_tcpi(const struct synack_tcp_info *info, const char *name, int64_t *value);

#endif
