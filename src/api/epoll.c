/*
 * epoll.c — the epoll-shaped readiness API of synack/epoll.h on the core.
 *
 * Owns: epoll instances (a dense interest array plus an index from socket
 * descriptor to slot), the level/edge/oneshot reporting rules, and the
 * per-stack list of instances that synack_close notifies. Must not touch:
 * connection state; readiness comes from synack_poll and synack_getinfo,
 * the same answers any caller gets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/epoll_internal.h"
#include "stack/stack.h"

#define KNOWN_EVENTS (SYNACK_EPOLLIN | SYNACK_EPOLLOUT | SYNACK_EPOLLERR | SYNACK_EPOLLHUP | \
                      SYNACK_EPOLLRDHUP | SYNACK_EPOLLONESHOT | SYNACK_EPOLLET)
#define ALWAYS (SYNACK_EPOLLERR | SYNACK_EPOLLHUP)

struct ep_item {
    int sd;
    uint32_t events;        /* what the caller asked for, with ET/ONESHOT */
    uint64_t data;
    uint32_t level;         /* the conditions true at the last look (ET) */
    uint64_t rx_seen;       /* bytes received at the last IN report (ET) */
    bool disabled;          /* ONESHOT fired */
};

struct synack_epoll {
    synack_stack *stack;
    struct synack_epoll *next;      /* the stack's list */
    struct ep_item *items;
    int n, cap;
    int *slot;                      /* sd -> index in items + 1 (0: absent) */
    int nslot;
    int cursor;                     /* where the next wait starts looking */
    struct synack_pollfd *pfds;     /* epoll_waitset's storage (cap entries) */
};

int synack_epoll_create(synack_stack *stack, synack_epoll **out)
{
    synack_epoll *ep = calloc(1, sizeof *ep);
    if (!ep) return -ENOMEM;
    ep->stack = stack;
    ep->next = stack->epolls;
    stack->epolls = ep;
    *out = ep;
    return 0;
}

void synack_epoll_destroy(synack_epoll *ep)
{
    if (!ep) return;
    for (synack_epoll **p = &ep->stack->epolls; *p; p = &(*p)->next) {
        if (*p == ep) {
            *p = ep->next;
            break;
        }
    }
    free(ep->items);
    free(ep->slot);
    free(ep->pfds);
    free(ep);
}

static int slot_of(const synack_epoll *ep, int sd)
{
    return sd >= 0 && sd < ep->nslot ? ep->slot[sd] - 1 : -1;
}

static void remove_at(synack_epoll *ep, int i)
{
    ep->slot[ep->items[i].sd] = 0;
    ep->n--;
    if (i != ep->n) {
        ep->items[i] = ep->items[ep->n];
        ep->slot[ep->items[i].sd] = i + 1;
    }
    if (ep->cursor >= ep->n) ep->cursor = 0;
}

static int add(synack_epoll *ep, int sd, const struct synack_epoll_event *ev)
{
    if (sd >= ep->nslot) {
        int n = ep->nslot ? ep->nslot : 16;
        while (n <= sd) n *= 2;
        int *grown = realloc(ep->slot, (size_t)n * sizeof *grown);
        if (!grown) return -ENOMEM;
        memset(grown + ep->nslot, 0, (size_t)(n - ep->nslot) * sizeof *grown);
        ep->slot = grown, ep->nslot = n;
    }
    if (ep->n == ep->cap) {
        int n = ep->cap ? ep->cap * 2 : 16;
        struct ep_item *items = realloc(ep->items, (size_t)n * sizeof *items);
        if (!items) return -ENOMEM;
        ep->items = items;
        struct synack_pollfd *pfds = realloc(ep->pfds, (size_t)n * sizeof *pfds);
        if (!pfds) return -ENOMEM;
        ep->pfds = pfds;
        ep->cap = n;
    }
    ep->items[ep->n] = (struct ep_item){.sd = sd, .events = ev->events, .data = ev->data};
    ep->slot[sd] = ++ep->n;
    return 0;
}

int synack_epoll_ctl(synack_epoll *ep, int op, int sd, const struct synack_epoll_event *ev)
{
    if (op != SYNACK_EPOLL_CTL_ADD && op != SYNACK_EPOLL_CTL_MOD && op != SYNACK_EPOLL_CTL_DEL) return -EINVAL;
    enum synack_tcp_state st;
    if (synack_getstate(ep->stack, sd, &st) != 0) return -EBADF;
    if (op != SYNACK_EPOLL_CTL_DEL && !ev) return -EFAULT;
    if (ev && op != SYNACK_EPOLL_CTL_DEL && (ev->events & ~KNOWN_EVENTS)) return -EINVAL;
    int i = slot_of(ep, sd);
    switch (op) {
    case SYNACK_EPOLL_CTL_ADD:
        return i >= 0 ? -EEXIST : add(ep, sd, ev);
    case SYNACK_EPOLL_CTL_MOD:
        if (i < 0) return -ENOENT;
        /* As Linux: a MOD re-arms, and the new mask is looked at afresh. */
        ep->items[i] = (struct ep_item){.sd = sd, .events = ev->events, .data = ev->data};
        return 0;
    default:
        if (i < 0) return -ENOENT;
        remove_at(ep, i);
        return 0;
    }
}

void epoll_forget_sd(synack_stack *stack, int sd)
{
    for (synack_epoll *ep = stack->epolls; ep; ep = ep->next) {
        int i = slot_of(ep, sd);
        if (i >= 0) remove_at(ep, i);
    }
}

/* The conditions true now for an item: poll's answer, and RDHUP. */
static uint32_t level_of(synack_epoll *ep, const struct ep_item *it, uint64_t *rx)
{
    struct synack_pollfd p = {it->sd, SYNACK_POLLIN | SYNACK_POLLOUT, 0};
    synack_poll(ep->stack, &p, 1);
    uint32_t lv = (uint32_t)(p.revents & (SYNACK_POLLIN | SYNACK_POLLOUT | SYNACK_POLLERR | SYNACK_POLLHUP));
    struct synack_tcp_info ti;
    *rx = 0;
    if (synack_getinfo(ep->stack, it->sd, &ti) == 0) {
        *rx = ti.bytes_received;
        if (ti.state == SYNACK_CLOSE_WAIT || ti.state == SYNACK_LAST_ACK || ti.state == SYNACK_CLOSING ||
            ti.state == SYNACK_TIME_WAIT || (ti.state == SYNACK_CLOSED && (lv & SYNACK_EPOLLIN)))
            lv |= SYNACK_EPOLLRDHUP;
    }
    return lv;
}

/* What item i reports now (0: nothing); updates its edge state. */
static uint32_t report(synack_epoll *ep, struct ep_item *it)
{
    if (it->disabled) return 0;
    uint64_t rx;
    uint32_t want = (it->events & ~(SYNACK_EPOLLET | SYNACK_EPOLLONESHOT)) | ALWAYS;
    uint32_t lv = level_of(ep, it, &rx) & want;
    uint32_t out = lv;
    if (it->events & SYNACK_EPOLLET) {
        out = lv & ~it->level;
        if ((lv & SYNACK_EPOLLIN) && rx != it->rx_seen) out |= SYNACK_EPOLLIN;
        /* Linux reports the whole current mask with the edge that fired. */
        if (out) out = lv;
        it->level = lv;
        if (out & SYNACK_EPOLLIN) it->rx_seen = rx;
    }
    if (out && (it->events & SYNACK_EPOLLONESHOT)) it->disabled = true;
    return out;
}

int synack_epoll_wait(synack_epoll *ep, struct synack_epoll_event *events, int max)
{
    if (max < 1) return -EINVAL;
    int got = 0, n = ep->n, start = ep->cursor;
    for (int k = 0; k < n && got < max; k++) {
        int i = (start + k) % n;
        uint32_t out = report(ep, &ep->items[i]);
        if (!out) continue;
        events[got].events = out;
        events[got].data = ep->items[i].data;
        got++;
        ep->cursor = (i + 1) % n;
    }
    return got;
}

void epoll_waitset(synack_epoll *ep, struct synack_pollfd **fds, size_t *n, bool *tick)
{
    size_t k = 0;
    *tick = false;
    for (int i = 0; i < ep->n; i++) {
        const struct ep_item *it = &ep->items[i];
        if (it->disabled) continue;
        short ev = 0;
        uint32_t want = it->events;
        if (want & SYNACK_EPOLLIN) ev |= SYNACK_POLLIN;
        if (want & SYNACK_EPOLLOUT) ev |= SYNACK_POLLOUT;
        if (want & SYNACK_EPOLLRDHUP) ev |= SYNACK_POLLIN; /* a FIN makes the socket readable */
        if (want & SYNACK_EPOLLET) {
            /* Conditions already true cannot wake us; an IN at its level
             * reports again only on new data, which poll does not show. */
            if ((it->level & SYNACK_EPOLLIN) && (want & SYNACK_EPOLLIN)) *tick = true;
            ev &= (short)~it->level;
            /* ERR and HUP wake any poll: once reported they stay out. */
            if (it->level & (SYNACK_EPOLLERR | SYNACK_EPOLLHUP)) continue;
        }
        ep->pfds[k++] = (struct synack_pollfd){it->sd, ev, 0};
    }
    *fds = ep->pfds;
    *n = k;
}
