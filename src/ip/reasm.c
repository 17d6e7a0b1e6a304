/*
 * reasm.c — IPv4 reassembly: fragment queues, their memory bounds and
 * lifetimes (see reasm.h for the rules and what this module must not touch).
 *
 * Memory: a queue costs its struct (charged as sizeof(struct reasm_queue)),
 * each 2 KB block of payload it holds, and its source's record while the
 * source has queues. Blocks and queue structs come from spare lists first
 * and go back to them (at most REASM_SPARE_BLOCKS / REASM_SPARE_QUEUES kept),
 * so steady traffic allocates nothing per fragment. The charge never passes
 * ipfrag_high_thresh: a fragment that would pass it first evicts the oldest
 * queues until ipfrag_low_thresh leaves room; one that would pass its
 * source's ipfrag_src_thresh evicts that source's oldest queues.
 */
#include <stdlib.h>
#include <string.h>

#include "ip/reasm.h"
#include "util/siphash.h"

#define REASM_SPARE_BLOCKS 64u
#define REASM_SPARE_QUEUES 16u
#define REASM_MIN_BUCKETS 64u

static uint64_t timeout_us(const struct reasm *r) { return (uint64_t)r->tunables->ipfrag_time * 1000000u; }

/* ---- hashing ---------------------------------------------------------------- */

static uint32_t queue_hash(const struct reasm *r, uint32_t saddr, uint32_t daddr, uint16_t ident, uint8_t proto)
{
    uint8_t k[11];
    memcpy(k, &saddr, 4);
    memcpy(k + 4, &daddr, 4);
    memcpy(k + 8, &ident, 2);
    k[10] = proto;
    return (uint32_t)siphash13(r->key, k, sizeof k);
}

static uint32_t src_hash(const struct reasm *r, uint32_t saddr)
{
    return (uint32_t)siphash13(r->key, &saddr, sizeof saddr);
}

/* Doubles the queue table when it holds more queues than buckets (it never
 * shrinks: its size follows the most queues ever held, which the memory
 * bound limits). On allocation failure the old table stays. */
static void queue_table_grow(struct reasm *r)
{
    uint32_t n = r->nqbuckets * 2u;
    struct reasm_queue **b = calloc(n, sizeof *b);
    if (!b) return;
    for (uint32_t i = 0; i < r->nqbuckets; i++) {
        struct reasm_queue *q = r->qbuckets[i];
        while (q) {
            struct reasm_queue *next = q->hash_next;
            uint32_t h = queue_hash(r, q->saddr, q->daddr, q->ident, q->proto) & (n - 1);
            q->hash_next = b[h];
            b[h] = q;
            q = next;
        }
    }
    free(r->qbuckets);
    r->qbuckets = b;
    r->nqbuckets = n;
}

static void src_table_grow(struct reasm *r)
{
    uint32_t n = r->nsbuckets * 2u;
    struct reasm_src **b = calloc(n, sizeof *b);
    if (!b) return;
    for (uint32_t i = 0; i < r->nsbuckets; i++) {
        struct reasm_src *s = r->sbuckets[i];
        while (s) {
            struct reasm_src *next = s->hash_next;
            uint32_t h = src_hash(r, s->addr) & (n - 1);
            s->hash_next = b[h];
            b[h] = s;
            s = next;
        }
    }
    free(r->sbuckets);
    r->sbuckets = b;
    r->nsbuckets = n;
}

void reasm_init(struct reasm *r, const struct synack_tunables *t, struct synack_counters *ctr, const uint8_t key[16])
{
    memset(r, 0, sizeof *r);
    r->tunables = t;
    r->ctr = ctr;
    memcpy(r->key, key, sizeof r->key);
    r->key[0] ^= 0xa5; /* not the ISN's or the ident's key */
}

static void free_spares(struct reasm *r)
{
    while (r->spare_blocks) {
        void *b = r->spare_blocks;
        memcpy(&r->spare_blocks, b, sizeof(void *));
        free(b);
    }
    r->nspare_blocks = 0;
    while (r->spare_queues) {
        struct reasm_queue *q = r->spare_queues;
        r->spare_queues = q->hash_next;
        free(q);
    }
    r->nspare_queues = 0;
}

/* ---- blocks and queues ---------------------------------------------------------- */

static uint8_t *block_take(struct reasm *r)
{
    if (r->spare_blocks) {
        uint8_t *b = r->spare_blocks;
        memcpy(&r->spare_blocks, b, sizeof(void *));
        r->nspare_blocks--;
        return b;
    }
    return malloc(REASM_BLOCK);
}

static void block_give(struct reasm *r, uint8_t *b)
{
    if (r->nspare_blocks >= REASM_SPARE_BLOCKS) {
        free(b);
        return;
    }
    memcpy(b, &r->spare_blocks, sizeof(void *));
    r->spare_blocks = b;
    r->nspare_blocks++;
}

static void charge(struct reasm *r, struct reasm_queue *q, size_t n)
{
    q->mem += n;
    q->src->mem += n;
    r->mem += n;
    if (r->mem > r->peak_mem) r->peak_mem = r->mem;
}

/* Takes q out of every list and gives its memory back. */
static void queue_free(struct reasm *r, struct reasm_queue *q)
{
    uint32_t h = queue_hash(r, q->saddr, q->daddr, q->ident, q->proto) & (r->nqbuckets - 1);
    struct reasm_queue **pp = &r->qbuckets[h];
    while (*pp != q) pp = &(*pp)->hash_next;
    *pp = q->hash_next;
    r->nqueues--;

    if (q->older) q->older->newer = q->newer;
    else r->oldest = q->newer;
    if (q->newer) q->newer->older = q->older;
    else r->newest = q->older;

    struct reasm_src *s = q->src;
    if (q->src_older) q->src_older->src_newer = q->src_newer;
    else s->oldest = q->src_newer;
    if (q->src_newer) q->src_newer->src_older = q->src_older;
    else s->newest = q->src_older;

    for (unsigned i = 0; i < REASM_NBLOCKS; i++)
        if (q->blk[i]) block_give(r, q->blk[i]);
    s->mem -= q->mem;
    r->mem -= q->mem;

    if (!s->oldest) { /* the source's last queue: its record goes too */
        uint32_t sh = src_hash(r, s->addr) & (r->nsbuckets - 1);
        struct reasm_src **sp = &r->sbuckets[sh];
        while (*sp != s) sp = &(*sp)->hash_next;
        *sp = s->hash_next;
        r->nsrcs--;
        r->mem -= sizeof *s;
        free(s);
    }
    if (r->nspare_queues < REASM_SPARE_QUEUES) {
        q->hash_next = r->spare_queues;
        r->spare_queues = q;
        r->nspare_queues++;
    } else {
        free(q);
    }
}

/* The whole datagram is dropped (counted in ReasmFails). */
static void queue_kill(struct reasm *r, struct reasm_queue *q)
{
    r->ctr->reasm_fails++;
    queue_free(r, q);
}

static struct reasm_queue *queue_find(struct reasm *r, const struct ipv4_repr *ip)
{
    if (!r->nqbuckets) return NULL;
    uint32_t h = queue_hash(r, ip->src, ip->dst, ip->ident, ip->protocol) & (r->nqbuckets - 1);
    for (struct reasm_queue *q = r->qbuckets[h]; q; q = q->hash_next)
        if (q->saddr == ip->src && q->daddr == ip->dst && q->ident == ip->ident && q->proto == ip->protocol)
            return q;
    return NULL;
}

static struct reasm_src *src_get(struct reasm *r, uint32_t addr)
{
    uint32_t h = src_hash(r, addr) & (r->nsbuckets - 1);
    for (struct reasm_src *s = r->sbuckets[h]; s; s = s->hash_next)
        if (s->addr == addr) return s;
    struct reasm_src *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->addr = addr;
    s->hash_next = r->sbuckets[h];
    r->sbuckets[h] = s;
    r->nsrcs++;
    r->mem += sizeof *s;
    if (r->mem > r->peak_mem) r->peak_mem = r->mem;
    if (r->nsrcs > r->nsbuckets) src_table_grow(r);
    return s;
}

/* Room for need more bytes of q's; q itself is never evicted here. First
 * the source's bound (its other queues go, oldest first), then the
 * stack-wide one: past ipfrag_high_thresh the oldest queues go until
 * ipfrag_low_thresh leaves room. False: no room even so. */
static bool make_room(struct reasm *r, struct reasm_queue *q, size_t need)
{
    const struct synack_tunables *t = r->tunables;
    struct reasm_src *s = q->src;
    while (s->mem + need > t->ipfrag_src_thresh) {
        struct reasm_queue *o = s->oldest == q ? q->src_newer : s->oldest;
        if (!o) break;
        r->ctr->reasm_src_evicted++;
        queue_kill(r, o);
    }
    if (s->mem + need > t->ipfrag_src_thresh) {
        r->ctr->reasm_src_evicted++;
        return false;
    }
    if (r->mem + need > t->ipfrag_high_thresh) {
        while (r->mem + need > t->ipfrag_low_thresh) {
            struct reasm_queue *o = r->oldest == q ? q->newer : r->oldest;
            if (!o) break;
            r->ctr->reasm_evicted++;
            queue_kill(r, o);
        }
        if (r->mem + need > t->ipfrag_high_thresh) {
            r->ctr->reasm_evicted++;
            return false;
        }
    }
    return true;
}

static struct reasm_queue *queue_new(struct reasm *r, const struct ipv4_repr *ip, uint64_t now)
{
    const struct synack_tunables *t = r->tunables;
    size_t need = sizeof(struct reasm_queue) + sizeof(struct reasm_src);
    if (need > t->ipfrag_high_thresh || need > t->ipfrag_src_thresh) return NULL;
    if (!r->qbuckets) {
        r->qbuckets = calloc(REASM_MIN_BUCKETS, sizeof *r->qbuckets);
        r->sbuckets = calloc(REASM_MIN_BUCKETS, sizeof *r->sbuckets);
        if (!r->qbuckets || !r->sbuckets) {
            free(r->qbuckets);
            free(r->sbuckets);
            r->qbuckets = NULL;
            r->sbuckets = NULL;
            return NULL;
        }
        r->nqbuckets = r->nsbuckets = REASM_MIN_BUCKETS;
    }
    /* Stack-wide room first (a new queue is the newest: it is never the one
     * evicted), then the source's once its record exists. */
    if (r->mem + need > t->ipfrag_high_thresh) {
        while (r->mem + need > t->ipfrag_low_thresh && r->oldest) {
            r->ctr->reasm_evicted++;
            queue_kill(r, r->oldest);
        }
    }
    struct reasm_queue *q = r->spare_queues;
    if (q) {
        r->spare_queues = q->hash_next;
        r->nspare_queues--;
    } else {
        q = malloc(sizeof *q);
        if (!q) return NULL;
    }
    struct reasm_src *s = src_get(r, ip->src);
    if (!s) {
        free(q);
        return NULL;
    }
    memset(q, 0, sizeof *q);
    q->saddr = ip->src;
    q->daddr = ip->dst;
    q->ident = ip->ident;
    q->proto = ip->protocol;
    q->born = now;
    q->src = s;
    uint32_t h = queue_hash(r, ip->src, ip->dst, ip->ident, ip->protocol) & (r->nqbuckets - 1);
    q->hash_next = r->qbuckets[h];
    r->qbuckets[h] = q;
    r->nqueues++;
    q->older = r->newest;
    if (r->newest) r->newest->newer = q;
    else r->oldest = q;
    r->newest = q;
    q->src_older = s->newest;
    if (s->newest) s->newest->src_newer = q;
    else s->oldest = q;
    s->newest = q;
    charge(r, q, sizeof *q);
    /* The source's bound: its older queues make room for this one. */
    while (s->mem > t->ipfrag_src_thresh && s->oldest != q) {
        r->ctr->reasm_src_evicted++;
        queue_kill(r, s->oldest);
    }
    if (r->nqueues > r->nqbuckets) queue_table_grow(r);
    return q;
}

/* ---- runs ------------------------------------------------------------------------- */

enum place { PLACE_EXTEND, PLACE_NEW, PLACE_DUP, PLACE_OVERLAP };

/* Where [off, end) goes among q's runs (Linux's rules: only the top run
 * grows; a piece wholly inside a run is a duplicate; any other overlap is
 * an overlap). *at: the index of the new run. */
static enum place place_fragment(const struct reasm_queue *q, uint32_t off, uint32_t end, unsigned *at)
{
    if (q->nruns == 0) {
        *at = 0;
        return PLACE_NEW;
    }
    const struct reasm_run *top = &q->runs[q->nruns - 1];
    if (end > top->end) {
        if (off < top->end) return off >= top->start && end <= top->end ? PLACE_DUP : PLACE_OVERLAP;
        *at = q->nruns;
        return off == top->end ? PLACE_EXTEND : PLACE_NEW;
    }
    for (unsigned i = 0; i < q->nruns; i++) {
        const struct reasm_run *run = &q->runs[i];
        if (end <= run->start) {
            *at = i;
            return PLACE_NEW;
        }
        if (off >= run->end) continue;
        return off >= run->start && end <= run->end ? PLACE_DUP : PLACE_OVERLAP;
    }
    *at = q->nruns; /* not reached: end <= top->end means some run stops it */
    return PLACE_NEW;
}

/* Copies the completed datagram into r->assembly: the first fragment's
 * header with total length, flags and offset rewritten, then the payload. */
static size_t assemble(struct reasm *r, const struct reasm_queue *q)
{
    uint8_t *a = r->assembly;
    memcpy(a, q->hdr, q->hdr_len);
    if (q->ecn_seen & (1u << IP_ECN_CE)) a[1] |= IP_ECN_CE; /* a mark on any fragment marks the datagram */
    size_t total = (size_t)q->hdr_len + q->len;
    wire_put16(a + 2, (uint16_t)total);
    wire_put16(a + 6, 0);
    wire_put16(a + 10, 0);
    wire_put16(a + 10, wire_csum_finish(wire_csum_add(0, a, q->hdr_len)));
    for (uint32_t off = 0; off < q->len; off += REASM_BLOCK) {
        uint32_t n = q->len - off < REASM_BLOCK ? q->len - off : REASM_BLOCK;
        memcpy(a + q->hdr_len + off, q->blk[off / REASM_BLOCK], n);
    }
    return total;
}

enum reasm_result reasm_input(struct reasm *r, const struct ipv4_repr *ip, const uint8_t *pkt, uint64_t now,
                              const uint8_t **out, size_t *out_len)
{
    const struct synack_tunables *t = r->tunables;
    struct synack_counters *c = r->ctr;
    c->reasm_reqds++;
    bool mf = (ip->flags & IPV4_FLAG_MF) != 0;
    uint32_t off = (uint32_t)ip->frag_offset * 8u;
    uint32_t end = off + ip->payload_len;
    if (mf) end = off + (ip->payload_len & ~7u); /* a non-last fragment is a multiple of 8 */
    struct reasm_queue *q = queue_find(r, ip);

    if (t->ipfrag_high_thresh == 0) { /* reassembly turned off */
        c->reasm_fails++;
        goto drop;
    }
    if (mf && (ip->flags & IPV4_FLAG_DF)) { /* "don't fragment" on a fragment */
        c->reasm_bad++;
        c->reasm_fails++;
        goto drop;
    }
    if (end > REASM_MAX_PAYLOAD) { /* more than 65535 bytes: ping of death */
        c->reasm_oversize++;
        if (q) queue_kill(r, q);
        else c->reasm_fails++;
        goto drop;
    }
    if (end == off) { /* nothing in it (or under 8 bytes and not last) */
        c->reasm_bad++;
        if (q) queue_kill(r, q);
        else c->reasm_fails++;
        goto drop;
    }
    if (q) {
        bool corrupt = mf ? (q->flags & REASM_Q_LAST_IN) && end > q->len
                          : end < q->len || ((q->flags & REASM_Q_LAST_IN) && end != q->len);
        if (corrupt) { /* past the known end, or two different ends */
            c->reasm_bad++;
            queue_kill(r, q);
            goto drop;
        }
    }
    if (!q) {
        q = queue_new(r, ip, now);
        if (!q) {
            c->reasm_fails++;
            goto drop;
        }
    }
    unsigned at = 0;
    enum place p = place_fragment(q, off, end, &at);
    if (p == PLACE_DUP) {
        c->reasm_dups++;
        goto drop;
    }
    if (p == PLACE_OVERLAP) {
        c->reasm_overlaps++;
        queue_kill(r, q);
        goto drop;
    }
    if (p == PLACE_NEW && q->nruns == REASM_MAX_RUNS) {
        c->reasm_too_many++;
        queue_kill(r, q);
        goto drop;
    }
    /* Memory for the blocks this piece needs and q lacks. */
    size_t need = 0;
    for (uint32_t b = off / REASM_BLOCK; b <= (end - 1) / REASM_BLOCK; b++)
        if (!q->blk[b]) need += REASM_BLOCK;
    if (need && !make_room(r, q, need)) {
        queue_kill(r, q);
        goto drop;
    }
    for (uint32_t b = off / REASM_BLOCK; b <= (end - 1) / REASM_BLOCK; b++) {
        if (q->blk[b]) continue;
        q->blk[b] = block_take(r);
        if (!q->blk[b]) {
            queue_kill(r, q);
            goto drop;
        }
        charge(r, q, REASM_BLOCK);
    }
    const uint8_t *data = pkt + ip->header_len;
    for (uint32_t o = off; o < end;) {
        uint32_t in_blk = o % REASM_BLOCK;
        uint32_t n = REASM_BLOCK - in_blk;
        if (n > end - o) n = end - o;
        memcpy(q->blk[o / REASM_BLOCK] + in_blk, data + (o - off), n);
        o += n;
    }
    if (p == PLACE_EXTEND) {
        q->runs[q->nruns - 1].end = (uint16_t)end;
    } else {
        memmove(&q->runs[at + 1], &q->runs[at], (q->nruns - at) * sizeof q->runs[0]);
        q->runs[at] = (struct reasm_run){(uint16_t)off, (uint16_t)end};
        q->nruns++;
    }
    q->got += end - off;
    q->ecn_seen |= (uint8_t)(1u << (ip->tos & IP_ECN_MASK));
    if (off == 0) {
        q->flags |= REASM_Q_FIRST_IN;
        q->hdr_len = (uint8_t)ip->header_len;
        memcpy(q->hdr, pkt, ip->header_len);
    }
    if (!mf) q->flags |= REASM_Q_LAST_IN;
    if (end > q->len) q->len = end;
    if (!(q->flags & REASM_Q_LAST_IN) || q->got != q->len) return REASM_HELD;

    /* Complete: every byte of [0, len) is here exactly once. */
    if ((size_t)q->hdr_len + q->len > 65535u) {
        c->reasm_oversize++;
        queue_kill(r, q);
        c->in_fragments++;
        return REASM_DROPPED;
    }
    /* ECN (RFC 3168 5.3, as Linux's ip_frag_ecn): fragments that are all
     * ECT or CE make a CE datagram if any was marked; Not-ECT mixed with
     * ECT or CE is a broken path: the datagram is dropped. */
    if ((q->ecn_seen & (1u << IP_ECN_NOT_ECT)) && (q->ecn_seen & ~(1u << IP_ECN_NOT_ECT))) {
        c->reasm_bad++;
        queue_kill(r, q);
        c->in_fragments++;
        return REASM_DROPPED;
    }
    if (!r->assembly) r->assembly = malloc(65535u);
    if (!r->assembly) {
        queue_kill(r, q);
        c->in_fragments++;
        return REASM_DROPPED;
    }
    *out_len = assemble(r, q);
    *out = r->assembly;
    queue_free(r, q);
    c->reasm_oks++;
    return REASM_COMPLETE;

drop:
    c->in_fragments++;
    return REASM_DROPPED;
}

bool reasm_expire(struct reasm *r, uint64_t now, struct reasm_expired *e)
{
    struct reasm_queue *q = r->oldest;
    if (!q || now < q->born + timeout_us(r)) return false;
    e->saddr = q->saddr;
    e->daddr = q->daddr;
    e->quote_len = 0;
    if ((q->flags & REASM_Q_FIRST_IN) && q->nruns && q->runs[0].start == 0) {
        size_t n = q->runs[0].end;
        if (n > REASM_QUOTE_MAX - q->hdr_len) n = REASM_QUOTE_MAX - q->hdr_len;
        memcpy(e->quote, q->hdr, q->hdr_len);
        /* the quote is the datagram as it began: total length and offset as sent */
        for (size_t o = 0; o < n;) {
            size_t k = REASM_BLOCK - o % REASM_BLOCK;
            if (k > n - o) k = n - o;
            memcpy(e->quote + q->hdr_len + o, q->blk[o / REASM_BLOCK] + o % REASM_BLOCK, k);
            o += k;
        }
        e->quote_len = q->hdr_len + n;
    }
    r->ctr->reasm_timeouts++;
    queue_kill(r, q);
    return true;
}

uint64_t reasm_next_deadline(const struct reasm *r)
{
    return r->oldest ? r->oldest->born + timeout_us(r) : UINT64_MAX;
}

void reasm_fini(struct reasm *r)
{
    while (r->oldest) queue_free(r, r->oldest);
    free_spares(r);
    free(r->qbuckets);
    free(r->sbuckets);
    free(r->assembly);
    memset(r, 0, sizeof *r);
}
