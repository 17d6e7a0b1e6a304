/*
 * ip.h — IPv4 in and out, and the ICMP the host answers itself (src/ip).
 *
 * Owns: struct ip_layer — validating arriving packets, handing fragments
 * to reassembly (reasm.h) and dispatching the datagrams it completes, the
 * IPv4 ident counter, wrapping TCP segments in IPv4, ICMP echo replies
 * (fragmented when larger than the MTU), ICMP time exceeded when a
 * reassembly times out, decoding the quote of an ICMP error. Must not
 * touch: the stack, connections or
 * sockets. It sits beside tcp, above wire: what it needs from the layer
 * above (deliver a segment, report an ICMP error, send a packet) it calls
 * through struct ip_upcalls, which the stack fills.
 */
#ifndef SYNACK_IP_IP_H
#define SYNACK_IP_IP_H

#include <stddef.h>
#include <stdint.h>

#include "ip/reasm.h"
#include "synack/synack.h"
#include "synack/wire.h"

/* What the IP layer asks of the layer above it. ctx is passed back. */
struct ip_upcalls {
    void *ctx;
    /* A TCP segment addressed to us, valid but for its checksum when
     * csum_partial is not NULL: then the payload's sum is still to be added
     * to *csum_partial and checked (tcp_parse_defer_csum), so that the layer
     * above can do it while it copies the payload. */
    void (*tcp_input)(void *ctx, const struct ipv4_repr *ip, const struct tcp_repr *seg,
                      const uint32_t *csum_partial);
    /* An ICMP error (destination unreachable, time exceeded) quoting a TCP
     * segment we sent from src:sport to dst:dport with sequence number seq.
     * Returns true when a connection took it (it is then counted). */
    bool (*tcp_icmp_error)(void *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                           uint8_t type, uint8_t code, uint16_t next_hop_mtu, uint32_t seq);
    /* Sends one finished IPv4 packet (the stack may defer it). gso_size 0:
     * one segment of at most the MTU; else a TCP super-segment of segments
     * of gso_size payload bytes (synack_config.tso_max). */
    void (*send)(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size);
};

struct ip_layer {
    const struct synack_config *cfg;        /* addr, mtu, checksum_offload */
    const struct synack_tunables *tunables; /* ttl of our own replies */
    struct synack_counters *ctr;
    uint8_t *out_buf;                       /* the packet being built: cfg->mtu bytes, or
                                             * tso_max for a super-segment */
    uint32_t tso_max;                       /* super-segments' largest size; 0: no TSO */
    uint32_t ident;                         /* next IPv4 identification */
    struct ip_upcalls up;
    struct reasm reasm;                     /* fragments of datagrams in progress */
};

/* Sets up reassembly (after the fields above are filled); ip_fini frees it. */
void ip_init(struct ip_layer *ip, const uint8_t key[16]);
void ip_fini(struct ip_layer *ip);
/* Validates an arriving packet; fragments go to reassembly; TCP segments go
 * up, ICMP is answered or reported up, everything else is counted and
 * dropped. now: microseconds (reassembly's clock). */
void ip_input(struct ip_layer *ip, const uint8_t *pkt, size_t len, uint64_t now);
/* Ends the reassemblies whose time is over (ICMP time exceeded for those
 * whose first fragment came). */
void ip_expire(struct ip_layer *ip, uint64_t now);
/* When ip_expire next has work (UINT64_MAX: never). */
static inline uint64_t ip_next_deadline(const struct ip_layer *ip) { return reasm_next_deadline(&ip->reasm); }
/* Wraps a TCP segment in IPv4 (DF set) and sends it. The payload may
 * already be in place in out_buf (see ip_payload_at). */
void ip_output_tcp(struct ip_layer *ip, uint32_t src, uint32_t dst, uint8_t ttl,
                   const struct tcp_repr *seg);
/* The same for a payload already in place whose partial sum is known
 * (summed: computed while it was copied there), with the given TOS byte
 * (its ECN field: ECT(0) on an ECN connection's new data). gso_size > 0:
 * the segment is a super-segment of up to tso_max bytes to be cut into
 * segments of gso_size payload bytes by the link. */
void ip_output_tcp_summed(struct ip_layer *ip, uint32_t src, uint32_t dst, uint8_t ttl, uint8_t tos,
                          const struct tcp_repr *seg, bool summed, uint32_t payload_sum, uint16_t gso_size);
/* Where a TCP payload behind a header of tcp_header_len bytes goes in the
 * packet ip_output_tcp builds (so data is copied once). */
static inline uint8_t *ip_payload_at(struct ip_layer *ip, size_t tcp_header_len)
{
    return ip->out_buf + IPV4_HDR_MIN + tcp_header_len;
}

#endif
