/*
 * pcapread.c — classic pcap and pcapng readers (see pcapread.h).
 *
 * Map: byte-order helpers; the stream's window (refill); link layers
 * (pcapread_link_ipv4); classic pcap (pcap_header, pcap_record); pcapng
 * (block walking, SHB, IDB and its options, EPB/SPB/PB); libpcap
 * (libpcap_next); pcapread_init/open/next/close/load.
 *
 * Every length read from the file is checked against what is left of the
 * buffer before it is used, and every error names the offset of the header
 * that was wrong — "truncated record at offset 1234" is something a user can
 * check with a hex dump.
 *
 * A stream is read through a window: before a record is parsed, refill()
 * moves what is left of the window to its start and reads until the
 * record's header, then the whole record, is in it (or the file ends: then
 * the checks below see a short buffer exactly as for a cut file in memory).
 * The window grows only to the largest record, which the limits bound.
 * Offsets inside the window are buffer indexes; r->base turns them into
 * file offsets for the messages.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char */
#include "pcapread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef SYNACK_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

/* A frame larger than this is not a packet but a corrupt length field. */
#define PCAPREAD_MAX_FRAME (256u * 1024u)

static int fail(struct pcapread *r, size_t off, const char *fmt, ...)
{
    char what[150];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    uint64_t at = r->base + off;
    snprintf(r->err, sizeof r->err, "%s at offset %" PRIu64 " (0x%" PRIx64 ")", what, at, at);
    return -1;
}

/* Makes at least want bytes from r->off available in a stream's window, or
 * all that is left of the file. Returns 0, or -1 on a read error. A buffer
 * source has everything already. Moves the window: buffer indexes taken
 * before the call are stale after it (re-read r->off). */
static int refill(struct pcapread *r, size_t want)
{
    if (!r->file || r->len - r->off >= want || r->eof) return 0;
    if (r->off > 0) {
        memmove(r->window, r->window + r->off, r->len - r->off);
        r->base += r->off;
        r->len -= r->off;
        r->off = 0;
    }
    if (want > r->window_cap) {
        size_t ncap = r->window_cap * 2 > want ? r->window_cap * 2 : want;
        uint8_t *n = realloc(r->window, ncap);
        if (!n) return fail(r, 0, "out of memory for a %zu-byte record", want);
        r->window = n;
        r->window_cap = ncap;
    }
    r->data = r->window;
    while (r->len < want && !r->eof) {
        size_t got = fread(r->window + r->len, 1, r->window_cap - r->len, r->file);
        r->len += got;
        if (got == 0) {
            if (ferror(r->file)) return fail(r, r->len, "read error (%s)", strerror(errno));
            r->eof = true;
        }
    }
    return 0;
}

const char *pcapread_error(const struct pcapread *r) { return r->err[0] ? r->err : "no error"; }

static uint16_t get16(const struct pcapread *r, const uint8_t *p)
{
    return r->swapped ? (uint16_t)((p[0] << 8) | p[1]) : (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const struct pcapread *r, const uint8_t *p)
{
    if (r->swapped) return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)((p[0] << 8) | p[1]); }

/* ---- link layers ---------------------------------------------------------- */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

static const uint8_t *raw_ipv4(const uint8_t *p, size_t len, size_t *ip_len, const char **why)
{
    if (len < 1) {
        *why = "empty frame";
        return NULL;
    }
    if ((p[0] >> 4) != 4) {
        *why = (p[0] >> 4) == 6 ? "IPv6" : "not IP";
        return NULL;
    }
    *ip_len = len;
    return p;
}

static const uint8_t *ethertype_ipv4(uint32_t type, const uint8_t *p, size_t len, size_t *ip_len,
                                      const char **why)
{
    if (type != ETHERTYPE_IPV4) {
        *why = type == 0x86dd ? "IPv6" : type == 0x0806 ? "ARP" : "not IPv4";
        return NULL;
    }
    return raw_ipv4(p, len, ip_len, why);
}

const uint8_t *pcapread_link_ipv4(uint32_t linktype, const uint8_t *f, size_t len, size_t *ip_len,
                                  const char **why)
{
    *why = NULL;
    *ip_len = 0;
    switch (linktype) {
    case 101: /* LINKTYPE_RAW */
    case 12:  /* DLT_RAW on most systems */
    case 14:  /* DLT_RAW on OpenBSD */
    case 228: /* LINKTYPE_IPV4 */
        return raw_ipv4(f, len, ip_len, why);
    case 0: { /* BSD loopback: 4-byte address family in the host's order */
        if (len < 4) break;
        uint32_t fam_le = (uint32_t)f[0] | ((uint32_t)f[1] << 8) | ((uint32_t)f[2] << 16) | ((uint32_t)f[3] << 24);
        uint32_t fam_be = ((uint32_t)f[0] << 24) | ((uint32_t)f[1] << 16) | ((uint32_t)f[2] << 8) | f[3];
        if (fam_le != 2 && fam_be != 2) {
            *why = "not IPv4";
            return NULL;
        }
        return raw_ipv4(f + 4, len - 4, ip_len, why);
    }
    case 1: { /* Ethernet, possibly with VLAN tags */
        if (len < 14) break;
        size_t off = 12;
        uint32_t type = be16(f + off);
        while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && off + 6 <= len) {
            off += 4;
            type = be16(f + off);
        }
        if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) break;
        off += 2;
        return ethertype_ipv4(type, f + off, len - off, ip_len, why);
    }
    case 113: /* Linux cooked v1: protocol at 14, header 16 bytes */
        if (len < 16) break;
        return ethertype_ipv4(be16(f + 14), f + 16, len - 16, ip_len, why);
    case 276: /* Linux cooked v2: protocol at 0, header 20 bytes */
        if (len < 20) break;
        return ethertype_ipv4(be16(f), f + 20, len - 20, ip_len, why);
    default:
        *why = "unsupported link type";
        return NULL;
    }
    *why = "frame shorter than its link header";
    return NULL;
}

static void fill_ip(struct pcapread_packet *out)
{
    out->ip = pcapread_link_ipv4(out->linktype, out->frame, out->caplen, &out->ip_len, &out->why);
}

/* ---- classic pcap ----------------------------------------------------------- */

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_BOM 0x1a2b3c4du

static int pcap_header(struct pcapread *r)
{
    if (refill(r, 24) != 0) return -1;
    if (r->len < 24) return fail(r, 0, "truncated pcap file header (%zu of 24 bytes)", r->len);
    uint32_t le = (uint32_t)r->data[0] | ((uint32_t)r->data[1] << 8) | ((uint32_t)r->data[2] << 16) |
                  ((uint32_t)r->data[3] << 24);
    uint32_t be = ((uint32_t)r->data[0] << 24) | ((uint32_t)r->data[1] << 16) | ((uint32_t)r->data[2] << 8) |
                  r->data[3];
    r->swapped = !(le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS);
    uint32_t magic = r->swapped ? be : le;
    r->nanos = magic == PCAP_MAGIC_NS;
    uint32_t major = get16(r, r->data + 4);
    if (major != 2) return fail(r, 4, "unsupported pcap version %" PRIu32, major);
    /* The upper bits of the link-type field carry the FCS length. */
    r->linktype = get32(r, r->data + 20) & 0x0fffffffu;
    r->off = 24;
    return 0;
}

static int pcap_record(struct pcapread *r, struct pcapread_packet *out)
{
    if (refill(r, 16) != 0) return -1;
    size_t off = r->off;
    if (off == r->len) return 0;
    if (r->len - off < 16)
        return fail(r, off, "truncated pcap record header (%zu of 16 bytes)", r->len - off);
    const uint8_t *h = r->data + off;
    uint32_t sec = get32(r, h), frac = get32(r, h + 4), caplen = get32(r, h + 8), origlen = get32(r, h + 12);
    if (caplen > PCAPREAD_MAX_FRAME)
        return fail(r, off, "pcap record claims %" PRIu32 " captured bytes (more than %u)", caplen,
                    PCAPREAD_MAX_FRAME);
    if (refill(r, 16 + (size_t)caplen) != 0) return -1;
    off = r->off;
    h = r->data + off;
    if (caplen > r->len - off - 16)
        return fail(r, off, "truncated pcap record: %" PRIu32 " bytes captured, %zu left in the file", caplen,
                    r->len - off - 16);
    if (frac >= (r->nanos ? 1000000000u : 1000000u))
        return fail(r, off, "pcap record timestamp fraction %" PRIu32 " out of range", frac);
    memset(out, 0, sizeof *out);
    out->t_ns = (uint64_t)sec * 1000000000u + (r->nanos ? frac : (uint64_t)frac * 1000u);
    out->has_time = true;
    out->offset = r->base + off;
    out->linktype = r->linktype;
    out->caplen = caplen;
    out->origlen = origlen;
    out->frame = h + 16;
    fill_ip(out);
    r->off = off + 16 + caplen;
    return 1;
}

/* ---- pcapng ---------------------------------------------------------------- */

/* Converts a timestamp in interface units to nanoseconds. */
static uint64_t iface_ns(const struct pcapread_iface *ifc, uint64_t ts)
{
    uint64_t ns;
    if (ifc->ts_pow2) {
        long double x = (long double)ts * 1e9L / (long double)(1ull << (ifc->ts_exp > 63 ? 63 : ifc->ts_exp));
        ns = x < 1.8e19L ? (uint64_t)x : UINT64_MAX;
    } else if (ifc->ts_exp <= 9) {
        uint64_t mul = 1;
        for (int i = ifc->ts_exp; i < 9; i++) mul *= 10;
        ns = ts * mul;
    } else {
        uint64_t div = 1;
        for (int i = 9; i < ifc->ts_exp && i < 28; i++) div = div > UINT64_MAX / 10 ? div : div * 10;
        ns = ts / div;
    }
    return ns + (uint64_t)ifc->ts_offset_s * 1000000000u;
}

/* Walks the options of an IDB: if_tsresol (9), if_tsoffset (14). */
static int idb_options(struct pcapread *r, struct pcapread_iface *ifc, const uint8_t *p, size_t len,
                       size_t base)
{
    size_t o = 0;
    while (o + 4 <= len) {
        uint32_t code = get16(r, p + o), olen = get16(r, p + o + 2);
        if (code == 0) return 0; /* opt_endofopt */
        size_t padded = ((size_t)olen + 3u) & ~(size_t)3u;
        if (padded > len - o - 4) return fail(r, base + o, "pcapng option runs past its block");
        const uint8_t *v = p + o + 4;
        if (code == 9 && olen >= 1) {
            ifc->ts_pow2 = (v[0] & 0x80) != 0;
            ifc->ts_exp = v[0] & 0x7f;
            if ((!ifc->ts_pow2 && ifc->ts_exp > 19) || (ifc->ts_pow2 && ifc->ts_exp > 63))
                return fail(r, base + o, "pcapng if_tsresol %u out of range", v[0]);
        } else if (code == 14 && olen >= 8) {
            uint64_t lo = get32(r, v), hi = get32(r, v + 4);
            uint64_t x = r->swapped ? (lo << 32 | hi) : (hi << 32 | lo);
            ifc->ts_offset_s = (int64_t)x;
            if (ifc->ts_offset_s < 0 || ifc->ts_offset_s > (int64_t)1 << 33)
                return fail(r, base + o, "pcapng if_tsoffset out of range");
        }
        o += 4 + padded;
    }
    return 0;
}

/* Reads an SHB at r->off: sets the byte order. Returns 0 or -1. */
static int shb(struct pcapread *r, size_t off)
{
    if (r->len - off < 28) return fail(r, off, "truncated pcapng section header block");
    const uint8_t *b = r->data + off;
    uint32_t bom_le = (uint32_t)b[8] | ((uint32_t)b[9] << 8) | ((uint32_t)b[10] << 16) | ((uint32_t)b[11] << 24);
    uint32_t bom_be = ((uint32_t)b[8] << 24) | ((uint32_t)b[9] << 16) | ((uint32_t)b[10] << 8) | b[11];
    if (bom_le == PCAPNG_BOM) r->swapped = false;
    else if (bom_be == PCAPNG_BOM) r->swapped = true;
    else return fail(r, off + 8, "pcapng section header with a bad byte-order magic");
    uint32_t major = get16(r, b + 12);
    if (major != 1) return fail(r, off + 12, "unsupported pcapng version %" PRIu32, major);
    r->nifaces = 0; /* interfaces are numbered per section */
    return 0;
}

static int pcapng_next(struct pcapread *r, struct pcapread_packet *out)
{
    for (;;) {
        if (refill(r, 28) != 0) return -1; /* a block header, or a whole SHB's fixed part */
        size_t off = r->off;
        if (off == r->len) return 0;
        if (r->len - off < 12) return fail(r, off, "truncated pcapng block header (%zu bytes left)", r->len - off);
        const uint8_t *b = r->data + off;
        uint32_t type = get32(r, b);
        if (type == PCAPNG_SHB && shb(r, off) != 0) return -1;
        uint32_t blen = get32(r, b + 4);
        if (blen < 12 || (blen & 3u)) return fail(r, off, "pcapng block with invalid length %" PRIu32, blen);
        if (blen > PCAPREAD_MAX_BLOCK)
            return fail(r, off, "pcapng block of %" PRIu32 " bytes (more than %u MiB)", blen, PCAPREAD_MAX_BLOCK >> 20);
        if (refill(r, blen) != 0) return -1;
        off = r->off;
        b = r->data + off;
        if (blen > r->len - off)
            return fail(r, off, "truncated pcapng block: length %" PRIu32 ", %zu bytes left", blen, r->len - off);
        if (get32(r, b + blen - 4) != blen)
            return fail(r, off + blen - 4, "pcapng block's trailing length does not match its header");
        const uint8_t *body = b + 8;
        size_t body_len = blen - 12;
        r->off = off + blen;
        if (type == 1) { /* interface description */
            if (body_len < 8) return fail(r, off, "truncated pcapng interface description block");
            if (r->nifaces >= PCAPREAD_MAX_IFACES)
                return fail(r, off, "more than %d interfaces in one pcapng section", PCAPREAD_MAX_IFACES);
            struct pcapread_iface *ifc = &r->ifaces[r->nifaces];
            memset(ifc, 0, sizeof *ifc);
            ifc->linktype = get16(r, body);
            ifc->ts_exp = 6;
            if (idb_options(r, ifc, body + 8, body_len - 8, off + 16) != 0) return -1;
            r->nifaces++;
            continue;
        }
        if (type != 6 && type != 3 && type != 2) continue; /* other blocks are skipped */
        memset(out, 0, sizeof *out);
        out->offset = r->base + off;
        uint32_t iface = 0, caplen, origlen;
        const uint8_t *data;
        uint64_t ts = 0;
        if (type == 6 || type == 2) { /* enhanced / obsolete packet block */
            if (body_len < 20) return fail(r, off, "truncated pcapng packet block");
            iface = type == 6 ? get32(r, body) : get16(r, body);
            ts = ((uint64_t)get32(r, body + 4) << 32) | get32(r, body + 8);
            caplen = get32(r, body + 12);
            origlen = get32(r, body + 16);
            data = body + 20;
            if (caplen > body_len - 20)
                return fail(r, off, "pcapng packet block: %" PRIu32 " captured bytes do not fit its %" PRIu32
                            "-byte block", caplen, blen);
            out->has_time = true;
        } else { /* simple packet block: the rest of the block, no timestamp */
            if (body_len < 4) return fail(r, off, "truncated pcapng simple packet block");
            origlen = get32(r, body);
            data = body + 4;
            caplen = origlen < body_len - 4 ? origlen : (uint32_t)(body_len - 4);
        }
        if (iface >= (uint32_t)r->nifaces)
            return fail(r, off, "pcapng packet block names interface %" PRIu32 " of %d", iface, r->nifaces);
        const struct pcapread_iface *ifc = &r->ifaces[iface];
        out->t_ns = out->has_time ? iface_ns(ifc, ts) : 0;
        out->linktype = ifc->linktype;
        out->caplen = caplen;
        out->origlen = origlen;
        out->frame = data;
        fill_ip(out);
        return 1;
    }
}

/* ---- entry points ------------------------------------------------------------ */

static bool capture_magic(const uint8_t *m)
{
    uint32_t le = (uint32_t)m[0] | ((uint32_t)m[1] << 8) | ((uint32_t)m[2] << 16) | ((uint32_t)m[3] << 24);
    uint32_t be = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
    return le == PCAPNG_SHB || le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS || be == PCAP_MAGIC_US ||
           be == PCAP_MAGIC_NS;
}

/* Detects the format from the first bytes and reads the file header. */
static int detect(struct pcapread *r)
{
    if (refill(r, 28) != 0) return -1;
    const uint8_t *data = r->data;
    if (r->len < 4) return fail(r, 0, "not a capture: %zu bytes", r->len);
    uint32_t le = (uint32_t)data[0] | ((uint32_t)data[1] << 8) | ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 24);
    uint32_t be = ((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) | ((uint32_t)data[2] << 8) | data[3];
    if (le == PCAPNG_SHB) {
        r->format = PCAPREAD_PCAPNG;
        return shb(r, 0);
    }
    if (capture_magic(data)) {
        r->format = PCAPREAD_PCAP;
        return pcap_header(r);
    }
    return fail(r, 0, "not a pcap or pcapng file (magic 0x%08" PRIx32 ")", be);
}

int pcapread_init(struct pcapread *r, const uint8_t *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    r->reader = PCAPREAD_BUILTIN;
    return detect(r);
}

bool pcapread_have_libpcap(void)
{
#ifdef SYNACK_HAVE_LIBPCAP
    return true;
#else
    return false;
#endif
}

const char *pcapread_reader_name(const struct pcapread *r)
{
    return r->reader == PCAPREAD_LIBPCAP ? "libpcap" : "builtin";
}

/* ---- libpcap ------------------------------------------------------------------ */

#ifdef SYNACK_HAVE_LIBPCAP
/* Hands the stream (positioned at its start) to libpcap. */
static int libpcap_open(struct pcapread *r, FILE *f)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fclose(f);
        /* libpcap's message, cut to fit (its buffer is larger than ours) */
        snprintf(r->err, sizeof r->err, "%.*s (libpcap)", (int)sizeof r->err - 16, errbuf);
        return -EINVAL;
    }
    r->pcap = p;
    r->pcap_off = 24;
    return 0;
}

static int libpcap_next(struct pcapread *r, struct pcapread_packet *out)
{
    pcap_t *p = r->pcap;
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(p, &h, &d);
    if (rc == PCAP_ERROR_BREAK) return 0;
    if (rc != 1) {
        /* A classic pcap record's start is known; of pcapng, where libpcap stopped. */
        long at = r->format == PCAPREAD_PCAP ? (long)r->pcap_off : ftell(pcap_file(p));
        snprintf(r->err, sizeof r->err, "%s (libpcap), record %" PRIu64 " at offset %ld", pcap_geterr(p),
                 r->records + 1, at);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->t_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec; /* nanosecond precision */
    out->has_time = true;
    /* Classic pcap records follow each other: the offset is exact. libpcap
     * does not say where a pcapng block started. */
    out->offset = r->format == PCAPREAD_PCAP ? r->pcap_off : UINT64_MAX;
    r->pcap_off += 16 + (uint64_t)h->caplen;
    out->linktype = (uint32_t)pcap_datalink(p);
    out->caplen = h->caplen;
    out->origlen = h->len;
    out->frame = d;
    fill_ip(out);
    return 1;
}
#endif

/* ---- files ------------------------------------------------------------------- */

/* The magic number first: a directory, or a file that is not a capture (or
 * /dev/zero), is refused after at most 4 bytes. Returns 0 with the 4 bytes,
 * or a negative errno with f closed. */
static int read_magic(FILE *f, uint8_t magic[4])
{
    struct stat st;
    int e = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) e = -EISDIR;
    else if (fread(magic, 1, 4, f) < 4 || !capture_magic(magic)) e = ferror(f) ? -EIO : -EILSEQ;
    if (e) fclose(f);
    return e;
}

int pcapread_open_stream(struct pcapread *r, FILE *f, enum pcapread_reader reader, size_t window)
{
    memset(r, 0, sizeof *r);
    uint8_t magic[4];
    int e = read_magic(f, magic);
    if (e) return e;
    if (reader == PCAPREAD_AUTO) {
        const char *env = getenv("SYNACK_PCAP_READER");
        reader = env && !strcmp(env, "builtin") ? PCAPREAD_BUILTIN : PCAPREAD_LIBPCAP;
    }
    if (!pcapread_have_libpcap()) reader = PCAPREAD_BUILTIN;
    r->format = magic[0] == 0x0a && magic[1] == 0x0d ? PCAPREAD_PCAPNG : PCAPREAD_PCAP;
#ifdef SYNACK_HAVE_LIBPCAP
    /* libpcap reads the magic number itself; a stream that cannot go back
     * (a pipe) stays with the builtin reader. */
    if (reader == PCAPREAD_LIBPCAP && fseek(f, 0, SEEK_SET) == 0) {
        r->reader = PCAPREAD_LIBPCAP;
        return libpcap_open(r, f);
    }
#endif
    r->reader = PCAPREAD_BUILTIN;
    r->file = f;
    r->window_cap = window >= sizeof magic ? window : 65536;
    r->window = malloc(r->window_cap);
    if (!r->window) return -ENOMEM;
    memcpy(r->window, magic, sizeof magic);
    r->data = r->window;
    r->len = sizeof magic;
    return detect(r) == 0 ? 0 : -EINVAL;
}

int pcapread_open(struct pcapread *r, const char *path, enum pcapread_reader reader)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    return pcapread_open_stream(r, f, reader, 0);
}

void pcapread_close(struct pcapread *r)
{
#ifdef SYNACK_HAVE_LIBPCAP
    if (r->pcap) pcap_close(r->pcap); /* closes the stream too */
#endif
    if (r->file) fclose(r->file);
    free(r->window);
    r->pcap = NULL;
    r->file = NULL;
    r->window = NULL;
    r->data = NULL;
    r->len = r->off = 0;
}

int pcapread_next(struct pcapread *r, struct pcapread_packet *out)
{
    if (r->err[0]) return -1;
    int rc;
#ifdef SYNACK_HAVE_LIBPCAP
    if (r->pcap) rc = libpcap_next(r, out);
    else
#endif
        rc = r->format == PCAPREAD_PCAPNG ? pcapng_next(r, out) : pcap_record(r, out);
    if (rc == 1) r->records++;
    return rc;
}

int pcapread_load(const char *path, size_t max, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    uint8_t magic[4];
    int e = read_magic(f, magic);
    if (e) return e;
    size_t have = sizeof magic;
    size_t cap = 65536, n = have;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    memcpy(buf, magic, have);
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                free(buf);
                fclose(f);
                return -EFBIG;
            }
            size_t ncap = cap * 2 > max ? max : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return 0;
}
