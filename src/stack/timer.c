/*
 * timer.c — the hashed timing wheel (see timer.h).
 */
#include "stack/timer.h"

#include <stddef.h>

static unsigned slot_of(uint64_t tick) { return (unsigned)(tick & (TIMER_SLOTS - 1)); }

static void bitmap_set(struct timer_wheel *w, unsigned s) { w->bitmap[s / 64] |= 1ull << (s % 64); }
static void bitmap_clear(struct timer_wheel *w, unsigned s) { w->bitmap[s / 64] &= ~(1ull << (s % 64)); }

void timer_wheel_init(struct timer_wheel *w, uint64_t now)
{
    for (unsigned i = 0; i < TIMER_SLOTS; i++) w->slot[i].next = w->slot[i].prev = &w->slot[i];
    for (unsigned i = 0; i < TIMER_SLOTS / 64; i++) w->bitmap[i] = 0;
    w->cur_tick = now / TIMER_TICK_US;
    w->count = 0;
}

void timer_cancel(struct timer_wheel *w, struct timer_node *n)
{
    if (!timer_pending(n)) return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    /* Only the sentinel can be both neighbours: the slot is now empty. */
    if (n->prev == n->next) bitmap_clear(w, (unsigned)(n->prev - w->slot));
    n->next = n->prev = NULL;
    n->deadline = TIMER_NEVER;
    w->count--;
}

void timer_set(struct timer_wheel *w, struct timer_node *n, uint64_t deadline)
{
    timer_cancel(w, n);
    if (deadline == TIMER_NEVER) return;
    uint64_t tick = deadline / TIMER_TICK_US;
    if (tick < w->cur_tick) tick = w->cur_tick;
    unsigned s = slot_of(tick);
    struct timer_node *head = &w->slot[s];
    n->deadline = deadline;
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
    bitmap_set(w, s);
    w->count++;
}

struct timer_node *timer_expire(struct timer_wheel *w, uint64_t now)
{
    if (w->count == 0) {
        w->cur_tick = now / TIMER_TICK_US;
        return NULL;
    }
    uint64_t target = now / TIMER_TICK_US;
    /* A jump of a whole turn or more: visiting the last turn's ticks visits
     * every slot once, and due nodes of older rounds fire from there. */
    if (target >= w->cur_tick + TIMER_SLOTS) w->cur_tick = target - TIMER_SLOTS + 1;
    for (;;) {
        struct timer_node *head = &w->slot[slot_of(w->cur_tick)];
        for (struct timer_node *n = head->next; n != head; n = n->next) {
            if (n->deadline <= now) {
                timer_cancel(w, n);
                return n;
            }
        }
        if (w->cur_tick >= target) return NULL;
        w->cur_tick++;
    }
}

uint64_t timer_next_deadline(const struct timer_wheel *w)
{
    if (w->count == 0) return TIMER_NEVER;
    unsigned start = slot_of(w->cur_tick);
    for (unsigned i = 0; i < TIMER_SLOTS; i++) {
        unsigned s = (start + i) & (TIMER_SLOTS - 1);
        if (!(w->bitmap[s / 64] & (1ull << (s % 64)))) continue;
        uint64_t tick = w->cur_tick + i;
        uint64_t best = TIMER_NEVER;
        const struct timer_node *head = &w->slot[s];
        for (const struct timer_node *n = head->next; n != head; n = n->next) {
            uint64_t nt = n->deadline / TIMER_TICK_US;
            if (nt < tick) nt = tick; /* filed late: due in this slot */
            if (nt == tick && n->deadline < best) best = n->deadline;
        }
        if (best != TIMER_NEVER) return best < w->cur_tick * TIMER_TICK_US ? w->cur_tick * TIMER_TICK_US : best;
    }
    return (w->cur_tick + TIMER_SLOTS) * TIMER_TICK_US;
}
