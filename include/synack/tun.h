/*
 * synack/tun.h — a Linux TUN interface as a link for synack.
 *
 * Owns: the /dev/net/tun file descriptor of one interface (IFF_TUN |
 * IFF_NO_PI: every read and write is one bare IPv4 packet), the interface's
 * name, MTU and up/down flag, and batched reads and writes. Must not touch:
 * packet contents, any clock, the stack (tools/tun/loop.c puts a stack on it).
 *
 * Errors are negative errno values. synack_tun_open() also fills a sentence
 * for a human (what failed and what to do), because "EPERM" alone does not
 * say that CAP_NET_ADMIN is missing, nor "ENODEV" which argument was wrong.
 *
 * Linux only: the functions return -ENOSYS elsewhere.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "synack/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_TUN_NAME_MAX 16 /* IFNAMSIZ, with the terminating NUL */

struct synack_tun {
    int fd;                          /* non-blocking, close-on-exec */
    char name[SYNACK_TUN_NAME_MAX];  /* as the kernel named it */
    unsigned mtu;                    /* from the interface (SIOCGIFMTU) */
    bool created;                    /* we created it: it disappears at close */
    bool up;                         /* IFF_UP (false: down and we could not change that) */
    /* With SYNACK_TUN_OFFLOAD: every read and write starts with a 10-byte
     * virtio-net header (struct synack_vnet_hdr), and, when offload is set,
     * the kernel accepted TUNSETOFFLOAD (checksum, TSO4): it may hand over
     * TCP super-packets of up to 64 KB with a partial checksum, and takes
     * them from us (gso_type TCPV4, gso_size = MSS). */
    bool vnet;
    bool offload;
};

/* The virtio-net header (little-endian on x86; host order as the TUN uses
 * it without TUNSETVNETBE/LE). */
struct synack_vnet_hdr {
    uint8_t flags;          /* SYNACK_VNET_F_* */
    uint8_t gso_type;       /* SYNACK_VNET_GSO_* */
    uint16_t hdr_len;       /* IP + TCP header bytes of a super-packet */
    uint16_t gso_size;      /* payload bytes per segment (the MSS) */
    uint16_t csum_start;    /* where the checksummed part starts (the TCP header) */
    uint16_t csum_offset;   /* where the checksum goes, from csum_start (16 for TCP) */
};
#define SYNACK_VNET_F_NEEDS_CSUM 1 /* the checksum holds only the pseudo-header's sum */
#define SYNACK_VNET_F_DATA_VALID 2 /* the kernel already checked the checksum */
#define SYNACK_VNET_GSO_NONE 0
#define SYNACK_VNET_GSO_TCPV4 1

/* How synack_tun_open() treats a name that does not exist yet. */
enum synack_tun_mode {
    SYNACK_TUN_ATTACH = 0,  /* the interface must exist (ip tuntap add ... mode tun) */
    SYNACK_TUN_CREATE = 1,  /* attach if it exists, otherwise create it */
    /* A flag to OR in: IFF_VNET_HDR and TUNSETOFFLOAD (see vnet, offload
     * above). A kernel refusing either leaves the flag false: plain packets. */
    SYNACK_TUN_OFFLOAD = 2,
    /* A flag to OR in: IFF_MULTI_QUEUE. Each synack_tun_open() of the same
     * name then attaches one more queue of the interface (its own
     * descriptor); the kernel spreads flows over the queues by a hash of
     * the 4-tuple, and sends a flow to the queue that last wrote a packet
     * of it. The interface must have been created multi-queue
     * (ip tuntap add ... multi_queue), or be created here. */
    SYNACK_TUN_MULTI_QUEUE = 4,
};

/* Opens /dev/net/tun and attaches it to interface `name` (or creates it, by
 * mode). The interface is brought up when it is down and we may do so.
 * Returns 0, or a negative errno with a sentence in why[0..whylen) (may be
 * NULL): -EACCES/-EPERM (CAP_NET_ADMIN needed), -ENODEV (no such
 * interface), -EINVAL (exists but is not a TUN in IFF_TUN mode), -EBUSY
 * (another process holds it), -ENAMETOOLONG, ... */
SYNACK_API int synack_tun_open(struct synack_tun *tun, const char *name, enum synack_tun_mode mode,
                    char *why, size_t whylen);
SYNACK_API void synack_tun_close(struct synack_tun *tun);

/* Reads up to n packets without blocking: packet i goes to bufs[i] (cap
 * bytes each) and its length to lens[i]. Returns the count read (0 when none
 * is waiting) or a negative errno. */
SYNACK_API int synack_tun_read_batch(struct synack_tun *tun, uint8_t *const *bufs, size_t cap,
                          size_t *lens, size_t n);
/* Writes n packets; returns how many the kernel took (it may drop some when
 * its queue is full, which TCP repairs), or a negative errno on a hard error
 * before the first one. */
SYNACK_API int synack_tun_write_batch(struct synack_tun *tun, const uint8_t *const *pkts,
                           const size_t *lens, size_t n);

/* Re-reads the MTU (for example after `ip link set dev X mtu N`). */
SYNACK_API int synack_tun_refresh_mtu(struct synack_tun *tun);

#ifdef __cplusplus
}
#endif
#endif
