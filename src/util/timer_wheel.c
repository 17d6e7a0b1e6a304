/*
 * timer_wheel.c — the hierarchical timing wheel (see timer_wheel.h).
 *
 * Invariant: a node at level L > 0 has the same base-64 digits above L as
 * the clock and a greater digit L; a node at level 0 has the same digits
 * above 0 and a digit 0 not below the clock's. So a lower level always
 * holds earlier deadlines than a higher one, and the first occupied slot of
 * the lowest occupied level is the next thing to do.
 */
#include "util/timer_wheel.h"

#include <stddef.h>

static unsigned digit(uint64_t t, unsigned level)
{
    return (unsigned)(t >> (level * TIMER_LEVEL_BITS)) & (TIMER_LEVEL_SLOTS - 1);
}

void timer_wheel_init(struct timer_wheel *w, uint64_t now)
{
    w->clock = now;
    w->levels = 0;
    w->count = 0;
    w->work = 0;
    for (unsigned l = 0; l < TIMER_LEVELS; l++) {
        w->occupied[l] = 0;
        for (unsigned s = 0; s < TIMER_LEVEL_SLOTS; s++) w->slot[l][s] = NULL;
    }
}

/* Links n into the wheel by its deadline, relative to the clock. */
static void file_node(struct timer_wheel *w, struct timer_node *n)
{
    uint64_t t = n->deadline < w->clock ? w->clock : n->deadline;
    uint64_t diff = t ^ w->clock;
    unsigned level = diff < TIMER_LEVEL_SLOTS ? 0 : (unsigned)(63 - __builtin_clzll(diff)) / TIMER_LEVEL_BITS;
    unsigned s = digit(t, level);
    struct timer_node **head = &w->slot[level][s];
    n->next = *head;
    n->pprev = head;
    if (*head) (*head)->pprev = &n->next;
    *head = n;
    w->occupied[level] |= 1ull << s;
    w->levels |= 1u << level;
}

/* A node records no level or slot (8 bytes less per connection): when it
 * is the first of its slot, pprev points into w->slot and says which. */
static void unlink_node(struct timer_wheel *w, struct timer_node *n)
{
    *n->pprev = n->next;
    if (n->next) n->next->pprev = n->pprev;
    uintptr_t at = (uintptr_t)n->pprev, first = (uintptr_t)&w->slot[0][0];
    if (!*n->pprev && at >= first && at < first + sizeof w->slot) {
        size_t i = (at - first) / sizeof w->slot[0][0];
        unsigned level = (unsigned)(i / TIMER_LEVEL_SLOTS), s = (unsigned)(i % TIMER_LEVEL_SLOTS);
        w->occupied[level] &= ~(1ull << s);
        if (!w->occupied[level]) w->levels &= ~(1u << level);
    }
    n->next = NULL;
    n->pprev = NULL;
}

void timer_cancel(struct timer_wheel *w, struct timer_node *n)
{
    if (!timer_pending(n)) return;
    unlink_node(w, n);
    n->deadline = TIMER_NEVER;
    w->count--;
}

void timer_set(struct timer_wheel *w, struct timer_node *n, uint64_t deadline)
{
    timer_cancel(w, n);
    if (deadline == TIMER_NEVER) return;
    n->deadline = deadline;
    file_node(w, n);
    w->count++;
}

/* The next event: the lowest occupied level's first slot. Its time is the
 * clock with that digit set to the slot and every lower digit zero. */
static bool next_event(const struct timer_wheel *w, unsigned *level, unsigned *s, uint64_t *at)
{
    if (!w->levels) return false;
    unsigned l = (unsigned)__builtin_ctz(w->levels);
    unsigned slot = (unsigned)__builtin_ctzll(w->occupied[l]);
    unsigned shift = l * TIMER_LEVEL_BITS;
    uint64_t above = shift + TIMER_LEVEL_BITS >= 64 ? 0 : w->clock >> (shift + TIMER_LEVEL_BITS) << (shift + TIMER_LEVEL_BITS);
    *level = l;
    *s = slot;
    *at = above | ((uint64_t)slot << shift);
    if (*at < w->clock) *at = w->clock; /* level 0, slot of the clock itself */
    return true;
}

struct timer_node *timer_expire(struct timer_wheel *w, uint64_t now)
{
    for (;;) {
        unsigned level, s;
        uint64_t at;
        if (!next_event(w, &level, &s, &at) || at > now) {
            if (now > w->clock) w->clock = now;
            return NULL;
        }
        w->clock = at;
        struct timer_node **head = &w->slot[level][s];
        if (level == 0) {
            struct timer_node *n = *head;
            unlink_node(w, n);
            n->deadline = TIMER_NEVER;
            w->count--;
            w->work++;
            return n;
        }
        /* Move the slot's nodes down: each lands at a lower level. */
        struct timer_node *n = *head;
        *head = NULL;
        w->occupied[level] &= ~(1ull << s);
        if (!w->occupied[level]) w->levels &= ~(1u << level);
        while (n) {
            struct timer_node *next = n->next;
            file_node(w, n);
            w->work++;
            n = next;
        }
    }
}

uint64_t timer_next_deadline(const struct timer_wheel *w)
{
    unsigned level, s;
    uint64_t at;
    /* At level 0 this is the exact deadline of the slot's nodes (or the
     * clock, for nodes filed late); above it, when the slot moves down. */
    return next_event(w, &level, &s, &at) ? at : TIMER_NEVER;
}
