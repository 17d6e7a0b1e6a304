/*
 * pcap.c — the classic libpcap file writer behind include/synack/pcap.h.
 *
 * Owns: the FILE it opens, the 24-byte file header (magic 0xa1b2c3d4,
 * version 2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_RAW = 101) and
 * the 16-byte record headers. Must not touch: packet bytes (written as
 * given, truncated only to the snap length) or any clock (the caller gives
 * every timestamp).
 *
 * Byte order: every header field is written little-endian, whatever the
 * host, so the same run gives byte-identical files on every machine (readers
 * detect the order from the magic number).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "synack/pcap.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2u
#define PCAP_VERSION_MINOR 4u
#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_RAW 101u

struct synack_pcap {
    FILE *f;
};

static void put16le(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

/* errno after a failed stdio call, never 0 (stdio need not set it). */
static int stdio_error(void)
{
    return errno ? -errno : -EIO;
}

static int write_all(FILE *f, const void *buf, size_t len)
{
    if (len == 0) return 0;
    errno = 0;
    if (fwrite(buf, 1, len, f) != len) return stdio_error();
    return 0;
}

struct synack_pcap *synack_pcap_open(const char *path, int *err)
{
    int e = 0;
    struct synack_pcap *p = NULL;
    if (!path) {
        e = -EINVAL;
        goto fail;
    }
    p = malloc(sizeof *p);
    if (!p) {
        e = -ENOMEM;
        goto fail;
    }
    errno = 0;
    p->f = fopen(path, "wb");
    if (!p->f) {
        e = stdio_error();
        goto fail;
    }
    uint8_t h[24];
    put32le(h + 0, PCAP_MAGIC);
    put16le(h + 4, PCAP_VERSION_MAJOR);
    put16le(h + 6, PCAP_VERSION_MINOR);
    put32le(h + 8, 0);  /* thiszone: timestamps are UTC */
    put32le(h + 12, 0); /* sigfigs */
    put32le(h + 16, PCAP_SNAPLEN);
    put32le(h + 20, PCAP_LINKTYPE_RAW);
    e = write_all(p->f, h, sizeof h);
    if (e < 0) {
        fclose(p->f);
        goto fail;
    }
    if (err) *err = 0;
    return p;

fail:
    free(p);
    if (err) *err = e;
    return NULL;
}

int synack_pcap_write(struct synack_pcap *p, const uint8_t *pkt, size_t len, uint64_t t_us)
{
    if (!p || (!pkt && len > 0) || len > UINT32_MAX) return -EINVAL;
    uint64_t sec = t_us / 1000000u;
    if (sec > UINT32_MAX) return -ERANGE; /* classic pcap seconds are 32-bit */
    uint32_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
    uint8_t r[16];
    put32le(r + 0, (uint32_t)sec);
    put32le(r + 4, (uint32_t)(t_us % 1000000u));
    put32le(r + 8, incl);          /* bytes stored in the file */
    put32le(r + 12, (uint32_t)len); /* bytes the packet really had */
    int e = write_all(p->f, r, sizeof r);
    if (e == 0) e = write_all(p->f, pkt, incl);
    return e;
}

int synack_pcap_close(struct synack_pcap *p)
{
    if (!p) return -EINVAL;
    int e = 0;
    errno = 0;
    if (fflush(p->f) != 0) e = stdio_error();
    errno = 0;
    if (fclose(p->f) != 0 && e == 0) e = stdio_error();
    free(p);
    return e;
}
