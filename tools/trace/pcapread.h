/*
 * pcapread.h — reading packet captures: classic pcap and pcapng.
 *
 * Owns: the file formats (pcap in both byte orders with microsecond or
 * nanosecond timestamps; pcapng sections, interfaces and their timestamp
 * resolution, enhanced/simple/obsolete packet blocks) and the link layers
 * synack understands — raw IPv4 (LINKTYPE_RAW 101, DLT_RAW 12 and 14,
 * LINKTYPE_IPV4 228), Ethernet (1, with 802.1Q/802.1ad tags), BSD loopback
 * (0), Linux cooked capture v1 (113) and v2 (276). Must not touch: the
 * IPv4/TCP headers inside (the wire layer parses those) or any file I/O
 * beyond pcapread_load().
 *
 * Guarantees: the reader works on a byte buffer the caller owns and never
 * reads outside it. A malformed or truncated capture makes pcapread_next()
 * return -1 with a message that names the file offset of the fault
 * (pcapread_error()); nothing the input says can make it crash, loop
 * forever or allocate without bound (fuzzed by fuzz/fuzz_trace.c).
 *
 * Map: pcapread_init (detect the format), pcapread_next (one record),
 * pcapread_load (read a whole file), pcapread_error.
 */
#ifndef SYNACK_TOOLS_PCAPREAD_H
#define SYNACK_TOOLS_PCAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPREAD_MAX_IFACES 64

enum pcapread_format { PCAPREAD_PCAP = 1, PCAPREAD_PCAPNG = 2 };

struct pcapread_iface {
    uint32_t linktype;
    bool ts_pow2;     /* if_tsresol: units of 2^-ts_exp s (else 10^-ts_exp s) */
    uint8_t ts_exp;
    int64_t ts_offset_s; /* if_tsoffset */
};

struct pcapread {
    const uint8_t *data;
    size_t len, off;
    enum pcapread_format format;
    bool swapped;        /* file byte order differs from little-endian reading */
    bool nanos;          /* pcap: nanosecond timestamps */
    uint32_t linktype;   /* pcap: the file's link type */
    struct pcapread_iface ifaces[PCAPREAD_MAX_IFACES];
    int nifaces;
    uint64_t records;    /* records returned so far */
    char err[200];
};

/* One record. ip/ip_len is the IPv4 packet inside the frame, or NULL when the
 * frame carries something else (IPv6, ARP, ...) or a link type synack does
 * not read; why says which, for the caller's count of skipped frames. */
struct pcapread_packet {
    uint64_t t_ns;        /* timestamp, nanoseconds since the epoch */
    bool has_time;        /* false for pcapng simple packet blocks */
    size_t offset;        /* file offset of the record (its header) */
    uint32_t linktype;
    uint32_t caplen, origlen;
    const uint8_t *frame;
    const uint8_t *ip;
    size_t ip_len;
    const char *why;      /* when ip == NULL */
};

/* Detects the format from the first bytes. Returns 0, or -1 with an error. */
int pcapread_init(struct pcapread *r, const uint8_t *data, size_t len);
/* Returns 1 with the next record, 0 at the end, -1 on a malformed capture
 * (then pcapread_error() says what and at which offset; call no more). */
int pcapread_next(struct pcapread *r, struct pcapread_packet *out);
const char *pcapread_error(const struct pcapread *r);

/* Reads a whole file (at most max bytes) into a malloc'd buffer. Returns 0
 * or a negative errno: -EFBIG when larger than max, -EISDIR for a
 * directory, -EILSEQ when the first 4 bytes are no capture's magic number
 * (checked before anything else is read). */
int pcapread_load(const char *path, size_t max, uint8_t **data, size_t *len);

/* Finds the IPv4 packet inside a link-layer frame; exposed for tests. */
const uint8_t *pcapread_link_ipv4(uint32_t linktype, const uint8_t *frame, size_t len, size_t *ip_len,
                                  const char **why);

#endif
