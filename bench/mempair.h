/*
 * mempair.h — two synack stacks in one process joined by an in-memory link,
 * for the benchmarks that measure the stack itself (bench_idle,
 * bench_lifecycles). Packets wait in one FIFO per direction until pump()
 * delivers them; the stacks' clock is the wall clock (CLOCK_MONOTONIC), so
 * TIME_WAIT lasts its real 2*MSL.
 *
 * Owns: the link queues, the pump loop and the two clocks (wall, CPU). The caller configures the stacks
 * (pair_new's cfg) and does the socket calls.
 */
#ifndef SYNACK_BENCH_MEMPAIR_H
#define SYNACK_BENCH_MEMPAIR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "synack/synack.h"

#define PAIR_SLOTS 8192
#define PAIR_SLOT_BYTES 1600
#define PAIR_CLIENT_ADDR 0x0a000001u
#define PAIR_SERVER_ADDR 0x0a000002u

static inline uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CPU time this process has used (user + system), microseconds: beside
 * the wall clock, the figure other jobs on the machine disturb least. */
static inline uint64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
           (uint64_t)ru.ru_stime.tv_usec;
}

/* Packets wait back to back (each at a 64-byte boundary), not one
 * PAIR_SLOT_BYTES slot each: a round of 1,000 small segments then takes
 * about 128 KB of the cache and 32 pages instead of 1.6 MB and 400, so the
 * link does not crowd the stacks out of the cache and the TLB (the link is
 * the bench's, not the stack's). A queue is emptied whole (fifo_deliver)
 * and starts again at its beginning. */
struct fifo {
    uint8_t *data;
    uint32_t len[PAIR_SLOTS], off[PAIR_SLOTS];
    unsigned head, count;
    size_t used;               /* bytes of data taken */
};

struct pair {
    synack_stack *a, *b;   /* a: client (10.0.0.1), b: server (10.0.0.2) */
    struct fifo to_a, to_b;
};

static inline void fifo_push(struct fifo *f, const uint8_t *pkt, size_t len)
{
    if (f->count == PAIR_SLOTS || len > PAIR_SLOT_BYTES) {
        fprintf(stderr, "bench: link queue full (a bench bug)\n");
        exit(1);
    }
    if (f->count == 0) f->head = 0, f->used = 0;
    unsigned i = f->head + f->count;
    memcpy(f->data + f->used, pkt, len);
    f->len[i] = (uint32_t)len;
    f->off[i] = (uint32_t)f->used;
    f->used += (len + 63) & ~(size_t)63;
    f->count++;
}

static inline void pair_out_to_b(void *ctx, const uint8_t *pkt, size_t len)
{
    fifo_push(&((struct pair *)ctx)->to_b, pkt, len);
}
static inline void pair_out_to_a(void *ctx, const uint8_t *pkt, size_t len)
{
    fifo_push(&((struct pair *)ctx)->to_a, pkt, len);
}

/* How the link hands packets to a stack: all those waiting in one call of
 * synack_stack_input_batch (as a driver hands over its receive ring), or
 * one synack_stack_input each (--one-by-one in the benchmarks). */
static int pair_one_by_one;

static inline void fifo_deliver(synack_stack *st, struct fifo *f, uint64_t t)
{
    static struct synack_packet batch[PAIR_SLOTS];
    if (!pair_one_by_one) {
        /* The receiving stack's output goes to the other queue: this one
         * does not change meanwhile. */
        unsigned n = f->count;
        for (unsigned k = 0; k < n; k++) {
            unsigned i = f->head + k;
            batch[k] = (struct synack_packet){f->data + f->off[i], f->len[i]};
        }
        synack_stack_input_batch(st, batch, n, t);
        f->head += n;
        f->count -= n;
        return;
    }
    while (f->count) {
        unsigned i = f->head++;
        f->count--;
        synack_stack_input(st, f->data + f->off[i], f->len[i], t);
    }
}

/* Polls both stacks and delivers packets until the link is quiet. */
static inline void pump(struct pair *p)
{
    uint64_t t = now_us();
    synack_stack_poll(p->a, t);
    synack_stack_poll(p->b, t);
    while (p->to_a.count || p->to_b.count) {
        fifo_deliver(p->b, &p->to_b, t);
        fifo_deliver(p->a, &p->to_a, t);
        synack_stack_poll(p->a, t);
        synack_stack_poll(p->b, t);
    }
}

/* Two stacks configured as cfg (addresses, output and secret are set here). */
static inline struct pair *pair_new(struct synack_config cfg)
{
    struct pair *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->to_a.data = malloc((size_t)PAIR_SLOTS * PAIR_SLOT_BYTES);
    p->to_b.data = malloc((size_t)PAIR_SLOTS * PAIR_SLOT_BYTES);
    if (!p->to_a.data || !p->to_b.data) abort();
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(i * 7 + 1);
    cfg.addr = PAIR_CLIENT_ADDR;
    cfg.output = pair_out_to_b;
    cfg.output_ctx = p;
    if (synack_stack_create(&p->a, &cfg) != 0) abort();
    cfg.addr = PAIR_SERVER_ADDR;
    cfg.output = pair_out_to_a;
    if (synack_stack_create(&p->b, &cfg) != 0) abort();
    return p;
}

static inline void pair_free(struct pair *p)
{
    synack_stack_destroy(p->a);
    synack_stack_destroy(p->b);
    free(p->to_a.data);
    free(p->to_b.data);
    free(p);
}

#endif
