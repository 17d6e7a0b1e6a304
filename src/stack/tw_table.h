/*
 * tw_table.h — the TIME_WAIT table: one small record per 4-tuple waiting
 * out 2*MSL, instead of a whole connection.
 *
 * Owns: the records (an array pool in chunks, addressed by 32-bit index),
 * their index by 4-tuple (util/hindex.h: open addressing, keyed SipHash,
 * grown incrementally; a lookup reads one line of the index, and a record
 * only when its 32 hash bits match) and their FIFO by expiry. Every
 * TIME_WAIT lasts the same 2*MSL, so records expire in the order they were
 * made: one list, no timer each. A stack has one address, so the local
 * address is the table's, not each record's: a record is 48 bytes, and the
 * index (at most half full, doubled when it would be more) 8 to 32 bytes
 * per record: 64 bytes per TIME_WAIT when 1,048,576 (the default max_tw)
 * are held.
 *
 * Must not touch: what a TIME_WAIT does with a segment (the stack does
 * that with the fields kept here), counters, callbacks. Removing a record
 * takes it out of the index at once; its memory is reused when the FIFO
 * reaches it (at most 2*MSL later).
 */
#ifndef SYNACK_STACK_TW_TABLE_H
#define SYNACK_STACK_TW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/hindex.h"

#define TW_NIL UINT32_MAX
#define TW_CHUNK_SHIFT 14u                 /* 16384 records (768 KiB) per chunk */

enum { TW_F_LIVE = 1, TW_F_TS = 2, TW_F_WS = 4 };

/* 4-byte aligned, 48 bytes. The local address is the table's (laddr). */
struct tw_rec {
    uint32_t expiry_lo, expiry_hi;         /* when 2*MSL ends, microseconds */
    uint32_t raddr;
    uint16_t lport, rport;
    uint32_t snd_nxt, rcv_nxt;             /* our FIN is acknowledged: SND.UNA == SND.NXT */
    uint32_t rcv_wnd;                      /* right edge we advertised, less RCV.NXT */
    uint32_t ts_recent;                    /* TS.Recent (valid with TW_F_TS) */
    uint32_t max_snd_wnd;                  /* RFC 5961 5.2's lower bound on ACKs */
    uint32_t last_oow_ms;                  /* last rate-limited ACK, ms (0: never) */
    uint32_t fifo_next;                    /* index; links the free list too */
    uint8_t flags, rcv_wscale, ttl, pad;
};

struct tw_table {
    struct tw_rec **chunk;
    uint32_t nchunks;
    uint32_t fresh;                        /* indices below this were handed out once */
    uint32_t free_head;                    /* reusable records (via fifo_next) */
    uint32_t live;                         /* records in the index */
    uint32_t held;                         /* records in the FIFO (live or removed) */
    uint32_t fifo_head, fifo_tail;
    struct hindex index;                   /* tw_tuple_hash -> record index + 1 */
    uint32_t laddr;                        /* every record's local address */
    uint8_t key[16];
    /* Expiry takes records out of the index oldest first: the index lines
     * of the next TW_AHEAD records behind the FIFO's head are prefetched,
     * their hashes kept in a ring (ahead_hash[ahead_first] is the head's). */
    uint32_t ahead_hash[8];
    uint32_t ahead_first, ahead_n;         /* ring start; records hashed from the head on */
    uint32_t ahead_next;                   /* the first record not hashed yet */
    uint32_t ahead_wrong;                  /* ring hashes that were not the head's (a bug: tests want 0) */
};

/* The keyed hash of a 4-tuple (SipHash-1-3 of laddr, raddr, lport, rport
 * with the 16-byte key): the index files records under it. The stack's
 * connection table uses the same, so one hash serves a segment's lookups
 * in both. */
uint32_t tw_tuple_hash(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);

static inline uint64_t tw_expiry(const struct tw_rec *r) { return (uint64_t)r->expiry_hi << 32 | r->expiry_lo; }
static inline struct tw_rec *tw_at(const struct tw_table *t, uint32_t i)
{
    return &t->chunk[i >> TW_CHUNK_SHIFT][i & ((1u << TW_CHUNK_SHIFT) - 1)];
}

/* 0 or -ENOMEM. key: the hash key; laddr: the stack's address. */
int tw_table_init(struct tw_table *t, const uint8_t key[16], uint32_t laddr);
void tw_table_fini(struct tw_table *t);
/* The live record of the 4-tuple, or TW_NIL. h is tw_tuple_hash of it. */
uint32_t tw_lookup(struct tw_table *t, uint32_t h, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
/* A new live record at the FIFO's tail, key and expiry set, other fields
 * zero; TW_NIL when memory is short or laddr is not the table's. expiry
 * should not be earlier than the tail's (a record never expires early; one
 * filed out of order waits for those before it). */
uint32_t tw_insert(struct tw_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                   uint64_t expiry);
/* Takes record i out of the index (it is no longer found). */
void tw_remove(struct tw_table *t, uint32_t i);
/* Moves record i to the FIFO's tail with a new expiry; returns its new index. */
uint32_t tw_requeue(struct tw_table *t, uint32_t i, uint64_t expiry);
/* The oldest live record, or TW_NIL (reclaims removed ones at the head). */
uint32_t tw_oldest(struct tw_table *t);
/* Unlinks the FIFO head (which must be tw_oldest's answer) and frees it,
 * after copying it to *out. */
void tw_pop_oldest(struct tw_table *t, struct tw_rec *out);
/* Bytes held: records, chunks and index. */
uint64_t tw_table_bytes(const struct tw_table *t);

#endif
