/*
 * timer.h — a hashed timing wheel (Varghese & Lauck, scheme 6).
 *
 * Owns: intrusive timer nodes, filed by deadline into 1 ms slots. Insert and
 * cancel are O(1); advancing costs one visit per elapsed slot (at most one
 * full turn) plus the nodes in the visited slots; finding the next deadline
 * scans a bitmap of non-empty slots. Nodes are embedded in their owners (a
 * connection has one), so the wheel never allocates. Must not touch: what a
 * timer means — expiry hands the node back to the caller.
 *
 * Deadlines are exact microseconds: a node never fires before its deadline.
 */
#ifndef SYNACK_STACK_TIMER_H
#define SYNACK_STACK_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_SLOTS 1024u            /* power of two */
#define TIMER_TICK_US 1000u
#define TIMER_NEVER UINT64_MAX

struct timer_node {
    struct timer_node *next, *prev;
    uint64_t deadline;               /* TIMER_NEVER when not filed */
};

struct timer_wheel {
    struct timer_node slot[TIMER_SLOTS];   /* list heads (sentinels) */
    uint64_t bitmap[TIMER_SLOTS / 64];     /* bit set: slot not empty */
    uint64_t cur_tick;                     /* slots before this were emptied */
    unsigned count;
};

void timer_wheel_init(struct timer_wheel *w, uint64_t now);
static inline void timer_node_init(struct timer_node *n)
{
    n->next = n->prev = 0;
    n->deadline = TIMER_NEVER;
}
static inline bool timer_pending(const struct timer_node *n) { return n->next != 0; }
/* Files (or re-files) n to fire at deadline; TIMER_NEVER cancels. */
void timer_set(struct timer_wheel *w, struct timer_node *n, uint64_t deadline);
void timer_cancel(struct timer_wheel *w, struct timer_node *n);
/* Removes and returns one node whose deadline <= now, or NULL when none is
 * left. Call until NULL; nodes re-filed meanwhile are seen if due. */
struct timer_node *timer_expire(struct timer_wheel *w, uint64_t now);
/* Earliest deadline, or a conservative earlier time (a slot boundary at most
 * one turn ahead) when the earliest lies beyond a full turn; TIMER_NEVER
 * when the wheel is empty. */
uint64_t timer_next_deadline(const struct timer_wheel *w);

#endif
