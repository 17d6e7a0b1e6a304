/*
 * timer_wheel.h — a hierarchical timing wheel with per-level occupancy
 * bitmaps (Varghese & Lauck scheme 7, laid out like Linux's
 * kernel/time/timer.c but cascading, so that nothing fires late either).
 *
 * Owns: intrusive timer nodes filed by their deadline (microseconds). Level
 * L has 64 slots of 64^L microseconds; a node sits at the level of the
 * highest base-64 digit in which its deadline differs from the wheel's
 * clock, in the slot of that digit. When the clock reaches a slot of a level
 * above 0, its nodes move down (each node moves at most once per level, so
 * the cost is O(1) amortised per node); a slot of level 0 holds nodes of one
 * exact deadline. A bitmap per level and one of non-empty levels answer
 * "what is next" with a few count-trailing-zeros, whatever the number of
 * pending nodes. Arm and cancel are O(1); the wheel never allocates.
 *
 * Timing: a node never fires before its deadline, and never after it
 * either (no slack). The next-deadline query may answer earlier than the
 * earliest deadline (the moment a far slot must move down), never later.
 *
 * Must not touch: what a timer means — expiry hands the node back. This is
 * a util module: it depends on nothing but the C library.
 */
#ifndef SYNACK_UTIL_TIMER_WHEEL_H
#define SYNACK_UTIL_TIMER_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_LEVEL_BITS 6u
#define TIMER_LEVEL_SLOTS (1u << TIMER_LEVEL_BITS)
#define TIMER_LEVELS 11u                /* 11 * 6 bits cover 64-bit deadlines */
#define TIMER_NEVER UINT64_MAX

struct timer_node {
    struct timer_node *next;            /* slot list */
    struct timer_node **pprev;          /* what points at this node; NULL: not filed */
    uint64_t deadline;                  /* TIMER_NEVER when not filed */
};

struct timer_wheel {
    uint64_t clock;                             /* every node due before this has fired */
    uint64_t occupied[TIMER_LEVELS];            /* bit s: slot s of the level is not empty */
    uint32_t levels;                            /* bit L: level L is not empty */
    unsigned count;                             /* nodes filed */
    uint64_t work;                              /* node moves and firings so far (debug) */
    struct timer_node *slot[TIMER_LEVELS][TIMER_LEVEL_SLOTS]; /* list heads */
};

void timer_wheel_init(struct timer_wheel *w, uint64_t now);
static inline void timer_node_init(struct timer_node *n)
{
    n->next = 0;
    n->pprev = 0;
    n->deadline = TIMER_NEVER;
}
static inline bool timer_pending(const struct timer_node *n) { return n->pprev != 0; }
/* Files (or re-files) n to fire at deadline; TIMER_NEVER cancels. A
 * deadline already past fires at the next timer_expire. */
void timer_set(struct timer_wheel *w, struct timer_node *n, uint64_t deadline);
void timer_cancel(struct timer_wheel *w, struct timer_node *n);
/* Removes and returns one node whose deadline <= now, or NULL when none is
 * left. Call until NULL; nodes re-filed meanwhile are seen if due. The
 * cost is the nodes fired plus the nodes moved down, never the time that
 * passed nor the nodes left pending. now must not go backwards. */
struct timer_node *timer_expire(struct timer_wheel *w, uint64_t now);
/* When timer_expire next has work: the earliest deadline, or earlier (when
 * a far slot must move down first); TIMER_NEVER when the wheel is empty.
 * O(1): it reads two bitmaps. */
uint64_t timer_next_deadline(const struct timer_wheel *w);

#endif
