/*
 * pcap.c — the classic libpcap file writer behind include/synack/pcap.h.
 *
 * Owns: the FILE it opens, the 24-byte file header (magic 0xa1b2c3d4,
 * version 2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_RAW = 101) and
 * the 16-byte record headers. Must not touch: packet bytes (written as
 * given, truncated only to the snap length) or any clock (the caller gives
 * every timestamp).
 *
 * Two writers, one format. With libpcap (found at build time:
 * SYNACK_HAVE_LIBPCAP) files are written by pcap_dump_open/pcap_dump on a
 * pcap_open_dead(DLT_RAW) handle; the hand-written writer below is the
 * fallback for builds without libpcap, and SYNACK_PCAP_WRITER=builtin in the
 * environment selects it at run time (tests compare the two byte for byte).
 *
 * Byte order: the hand-written writer puts every header field little-endian,
 * whatever the host, so the same run gives byte-identical files on every
 * machine; libpcap writes the host's order (identical on little-endian
 * hosts). Readers detect the order from the magic number.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SYNACK_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

#include "synack/pcap.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define FILE_VERSION_MAJOR 2u
#define FILE_VERSION_MINOR 4u
#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_RAW 101u

struct synack_pcap {
    FILE *f;                /* the hand-written writer's file (NULL with libpcap) */
#ifdef SYNACK_HAVE_LIBPCAP
    pcap_t *dead;
    pcap_dumper_t *dumper;
#endif
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
#ifdef SYNACK_HAVE_LIBPCAP
    const char *which = getenv("SYNACK_PCAP_WRITER");
    if (!which || strcmp(which, "builtin") != 0) {
        p->f = NULL;
        p->dead = pcap_open_dead(DLT_RAW, (int)PCAP_SNAPLEN);
        if (!p->dead) {
            e = -ENOMEM;
            goto fail;
        }
        errno = 0;
        p->dumper = pcap_dump_open(p->dead, path);
        if (!p->dumper) {
            e = errno ? -errno : -EIO;
            pcap_close(p->dead);
            goto fail;
        }
        if (err) *err = 0;
        return p;
    }
    p->dead = NULL;
    p->dumper = NULL;
#endif
    errno = 0;
    p->f = fopen(path, "wb");
    if (!p->f) {
        e = stdio_error();
        goto fail;
    }
    uint8_t h[24];
    put32le(h + 0, PCAP_MAGIC);
    put16le(h + 4, FILE_VERSION_MAJOR);
    put16le(h + 6, FILE_VERSION_MINOR);
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
#ifdef SYNACK_HAVE_LIBPCAP
    if (p->dumper) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)sec;
        h.ts.tv_usec = (suseconds_t)(t_us % 1000000u);
        h.caplen = incl;
        h.len = (uint32_t)len;
        pcap_dump((u_char *)p->dumper, &h, pkt);
        return ferror(pcap_dump_file(p->dumper)) ? -EIO : 0;
    }
#endif
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
#ifdef SYNACK_HAVE_LIBPCAP
    if (p->dumper) {
        errno = 0;
        if (pcap_dump_flush(p->dumper) != 0 || ferror(pcap_dump_file(p->dumper))) e = errno ? -errno : -EIO;
        pcap_dump_close(p->dumper);
        pcap_close(p->dead);
        free(p);
        return e;
    }
#endif
    errno = 0;
    if (fflush(p->f) != 0) e = stdio_error();
    errno = 0;
    if (fclose(p->f) != 0 && e == 0) e = stdio_error();
    free(p);
    return e;
}
