/*
 * fuzz_stack.c — libFuzzer target for the whole input path of a stack:
 * IPv4, ICMP and TCP parsing, demultiplexing, the listener (SYN queue,
 * cookies), and segment processing in every state a connection reaches.
 *
 * The stack under test (10.0.0.1) listens on port 80 and has one active
 * connection from port 4000 to 10.0.0.2:7 in SYN_SENT. The input is a sequence of records:
 *   [1 byte: time step in ms] [1 byte: fix-up flags] [2 bytes: length] [bytes]
 * Each record is one packet. With flag bit 0 the IPv4 and TCP checksums are
 * recomputed (so mutations reach the TCP state machine instead of stopping
 * at the checksum); bit 1 forces the addresses to peer -> us; bit 2 makes
 * the application read, write and sometimes close. After every packet the
 * stack is polled at the advanced time, so timers fire too.
 * Anything ASan or UBSan reports, or a stack that keeps asking to be
 * polled at the same instant forever, is a finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    (void)pkt;
    (void)len;
}

static uint32_t fixed_isn(void *ctx, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp, uint64_t now)
{
    (void)ctx;
    (void)la;
    (void)lp;
    (void)ra;
    (void)rp;
    (void)now;
    return 1000;
}

static void fix_checksums(uint8_t *p, size_t len)
{
    if (len < 20 || (p[0] >> 4) != 4) return;
    size_t ihl = (size_t)(p[0] & 15) * 4;
    if (ihl < 20 || ihl > len) return;
    p[10] = p[11] = 0;
    wire_put16(p + 10, wire_csum_finish(wire_csum_add(0, p, ihl)));
    size_t tot = wire_get16(p + 2);
    if (tot > len || tot < ihl) tot = len;
    size_t tl = tot - ihl;
    if (p[9] == IPV4_PROTO_TCP && tl >= 20) {
        uint8_t *t = p + ihl;
        t[16] = t[17] = 0;
        uint32_t sum = wire_csum_pseudo(wire_get32(p + 12), wire_get32(p + 16), IPV4_PROTO_TCP, (uint16_t)tl);
        wire_put16(t + 16, wire_csum_finish(wire_csum_add(sum, t, tl)));
    } else if (p[9] == IPV4_PROTO_ICMP && tl >= 4) {
        uint8_t *t = p + ihl;
        t[2] = t[3] = 0;
        wire_put16(t + 2, wire_csum_finish(wire_csum_add(0, t, tl)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = 0x0a000001u;
    cfg.output = discard;
    cfg.isn_hook = fixed_isn;
    cfg.tunables.max_syn_backlog = 4; /* reach the SYN-cookie path quickly */
    cfg.tunables.rcvbuf = 4096;
    cfg.tunables.sndbuf = 4096;
    synack_stack *st;
    if (synack_stack_create(&st, &cfg) != 0) return 0;
    int l = synack_socket(st);
    synack_bind(st, l, &(struct synack_endpoint){0, 80});
    synack_listen(st, l, 2);
    int c = synack_socket(st);
    synack_bind(st, c, &(struct synack_endpoint){0, 4000}); /* a port the corpus knows */
    synack_connect(st, c, &(struct synack_endpoint){0x0a000002u, 7});
    uint64_t now = 1000;
    synack_stack_poll(st, now);
    int accepted[8];
    int naccepted = 0;
    uint8_t *pkt = malloc(65536);
    static uint8_t buf[8192];
    while (size >= 4 && pkt) {
        now += (uint64_t)data[0] * 1000u;
        uint8_t flags = data[1];
        size_t len = wire_get16(data + 2);
        data += 4;
        size -= 4;
        if (len > size) len = size;
        memcpy(pkt, data, len);
        data += len;
        size -= len;
        if ((flags & 2) && len >= 20) {
            wire_put32(pkt + 12, 0x0a000002u);
            wire_put32(pkt + 16, 0x0a000001u);
        }
        if (flags & 1) fix_checksums(pkt, len);
        /* Exactly-sized copy, so ASan sees any read past the packet. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) break;
        memcpy(exact, pkt, len);
        synack_stack_input(st, exact, len, now);
        free(exact);
        if (flags & 4) {
            int sd = synack_accept(st, l, NULL);
            if (sd >= 0 && naccepted < 8) accepted[naccepted++] = sd;
            else if (sd >= 0) synack_close(st, sd);
            for (int i = 0; i < naccepted; i++) {
                synack_recv(st, accepted[i], buf, sizeof buf);
                synack_send(st, accepted[i], buf, (size_t)(flags >> 3) * 100u);
            }
            synack_recv(st, c, buf, sizeof buf);
            synack_send(st, c, buf, 500);
            if ((flags & 0xc0) == 0xc0 && naccepted) synack_close(st, accepted[--naccepted]);
        }
        /* Poll until the stack asks for a later time (bounded: a stack that
         * keeps asking for "now" would spin). */
        for (int spin = 0; spin < 64; spin++) {
            uint64_t next = synack_stack_poll(st, now);
            if (next > now) break;
            if (spin == 63) abort(); /* livelock: the stack never settles */
        }
    }
    /* Let every timer run out: connections must end, nothing may spin. */
    for (int i = 0; i < 10000; i++) {
        uint64_t next = synack_stack_poll(st, now);
        if (next == SYNACK_NEVER) break;
        now = next > now ? next : now + 1000;
    }
    free(pkt);
    synack_stack_destroy(st);
    return 0;
}
