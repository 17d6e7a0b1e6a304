/*
 * pcapread.h — reading packet captures: classic pcap and pcapng.
 *
 * Owns: the file formats (pcap in both byte orders with microsecond or
 * nanosecond timestamps; pcapng sections, interfaces and their timestamp
 * resolution, enhanced/simple/obsolete packet blocks) and the link layers
 * synack understands — raw IPv4 (LINKTYPE_RAW 101, DLT_RAW 12 and 14,
 * LINKTYPE_IPV4 228), Ethernet (1, with 802.1Q/802.1ad tags), BSD loopback
 * (0), Linux cooked capture v1 (113) and v2 (276). Must not touch: the
 * IPv4/TCP headers inside (the wire layer parses those).
 *
 * Two sources: a byte buffer the caller owns (pcapread_init: tests, the
 * fuzzer) or a file read as a stream (pcapread_open: `synack trace`), which
 * holds one record at a time, never the whole capture. A file is read by
 * libpcap when synack was built with it (pcap_next_ex), else — or with
 * SYNACK_PCAP_READER=builtin — by synack's own reader, the same code as the
 * buffer source with a refilled window.
 *
 * Guarantees: the reader never reads outside its buffer or window. A
 * malformed or truncated capture makes pcapread_next() return -1 with a
 * message that names the file offset of the fault (pcapread_error());
 * nothing the input says can make it crash, loop forever or allocate
 * without bound: a record is at most 256 KiB of frame, a pcapng block at
 * most 16 MiB (fuzzed by fuzz/fuzz_trace.c, both sources).
 *
 * Map: pcapread_init (a buffer), pcapread_open/pcapread_open_stream (a
 * file), pcapread_next (one record), pcapread_close, pcapread_error,
 * pcapread_load (a whole file into memory, for tests).
 */
#ifndef SYNACK_TOOLS_PCAPREAD_H
#define SYNACK_TOOLS_PCAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPREAD_MAX_IFACES 64
/* A pcapng block longer than this is a corrupt length field, not data. */
#define PCAPREAD_MAX_BLOCK (16u * 1024u * 1024u)

enum pcapread_format { PCAPREAD_PCAP = 1, PCAPREAD_PCAPNG = 2 };

/* Who reads a file: PCAPREAD_AUTO is libpcap when built in, unless the
 * environment says SYNACK_PCAP_READER=builtin. */
enum pcapread_reader { PCAPREAD_AUTO = 0, PCAPREAD_BUILTIN = 1, PCAPREAD_LIBPCAP = 2 };

struct pcapread_iface {
    uint32_t linktype;
    bool ts_pow2;     /* if_tsresol: units of 2^-ts_exp s (else 10^-ts_exp s) */
    uint8_t ts_exp;
    int64_t ts_offset_s; /* if_tsoffset */
};

struct pcapread {
    const uint8_t *data;   /* the buffer, or the stream's window */
    size_t len, off;       /* bytes in it; where the next record starts */
    uint64_t base;         /* file offset of data[0] (stream) */
    FILE *file;            /* the stream (builtin reader), else NULL */
    uint8_t *window;       /* owned: the stream's window */
    size_t window_cap;
    bool eof;
    enum pcapread_reader reader; /* of a file: who reads it */
    void *pcap;            /* libpcap's pcap_t */
    uint64_t pcap_off;     /* libpcap, classic pcap: offset of the next record */
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
    uint64_t offset;      /* file offset of the record (its header); UINT64_MAX when
                           * not known (libpcap reading pcapng) */
    uint32_t linktype;
    uint32_t caplen, origlen;
    const uint8_t *frame;
    const uint8_t *ip;
    size_t ip_len;
    const char *why;      /* when ip == NULL */
};

/* Detects the format from the first bytes of a buffer the caller owns.
 * Returns 0, or -1 with an error. */
int pcapread_init(struct pcapread *r, const uint8_t *data, size_t len);
/* Opens a capture file to be read as a stream. Returns 0; a negative errno
 * for the file (-EISDIR, -ENOENT, ...; -EILSEQ when its first 4 bytes are no
 * capture's magic number, checked before anything else is read); or -EINVAL
 * for a malformed file header (pcapread_error() says what). Either way
 * pcapread_close() is to be called. */
int pcapread_open(struct pcapread *r, const char *path, enum pcapread_reader reader);
/* The same on an open stream (taken over: pcapread_close closes it);
 * window is the builtin reader's initial window in bytes (0: 64 KiB; tests
 * and the fuzzer use tiny ones so every record crosses a refill). */
int pcapread_open_stream(struct pcapread *r, FILE *f, enum pcapread_reader reader, size_t window);
void pcapread_close(struct pcapread *r);
/* Whether libpcap is built in; the name of the reader of an open file. */
bool pcapread_have_libpcap(void);
const char *pcapread_reader_name(const struct pcapread *r);
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
