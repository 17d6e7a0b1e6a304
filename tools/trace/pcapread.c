/*
 * pcapread.c — classic pcap and pcapng readers (see pcapread.h).
 *
 * Map: byte-order helpers; link layers (pcapread_link_ipv4); classic pcap
 * (pcap_header, pcap_record); pcapng (block walking, SHB, IDB and its
 * options, EPB/SPB/PB); pcapread_init/next/load.
 *
 * Every length read from the file is checked against what is left of the
 * buffer before it is used, and every error names the offset of the header
 * that was wrong — "truncated record at offset 1234" is something a user can
 * check with a hex dump.
 */
#include "pcapread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A frame larger than this is not a packet but a corrupt length field. */
#define PCAPREAD_MAX_FRAME (256u * 1024u)

static int fail(struct pcapread *r, size_t off, const char *fmt, ...)
{
    char what[150];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof r->err, "%s at offset %zu (0x%zx)", what, off, off);
    return -1;
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
    size_t off = r->off;
    if (off == r->len) return 0;
    if (r->len - off < 16)
        return fail(r, off, "truncated pcap record header (%zu of 16 bytes)", r->len - off);
    const uint8_t *h = r->data + off;
    uint32_t sec = get32(r, h), frac = get32(r, h + 4), caplen = get32(r, h + 8), origlen = get32(r, h + 12);
    if (caplen > PCAPREAD_MAX_FRAME)
        return fail(r, off, "pcap record claims %" PRIu32 " captured bytes (more than %u)", caplen,
                    PCAPREAD_MAX_FRAME);
    if (caplen > r->len - off - 16)
        return fail(r, off, "truncated pcap record: %" PRIu32 " bytes captured, %zu left in the file", caplen,
                    r->len - off - 16);
    if (frac >= (r->nanos ? 1000000000u : 1000000u))
        return fail(r, off, "pcap record timestamp fraction %" PRIu32 " out of range", frac);
    memset(out, 0, sizeof *out);
    out->t_ns = (uint64_t)sec * 1000000000u + (r->nanos ? frac : (uint64_t)frac * 1000u);
    out->has_time = true;
    out->offset = off;
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
        size_t off = r->off;
        if (off == r->len) return 0;
        if (r->len - off < 12) return fail(r, off, "truncated pcapng block header (%zu bytes left)", r->len - off);
        const uint8_t *b = r->data + off;
        uint32_t type = get32(r, b);
        if (type == PCAPNG_SHB && shb(r, off) != 0) return -1;
        uint32_t blen = get32(r, b + 4);
        if (blen < 12 || (blen & 3u)) return fail(r, off, "pcapng block with invalid length %" PRIu32, blen);
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
        out->offset = off;
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

int pcapread_init(struct pcapread *r, const uint8_t *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    if (len < 4) return fail(r, 0, "not a capture: %zu bytes", len);
    uint32_t le = (uint32_t)data[0] | ((uint32_t)data[1] << 8) | ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 24);
    uint32_t be = ((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) | ((uint32_t)data[2] << 8) | data[3];
    if (le == PCAPNG_SHB) {
        r->format = PCAPREAD_PCAPNG;
        return shb(r, 0);
    }
    if (le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS || be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS) {
        r->format = PCAPREAD_PCAP;
        return pcap_header(r);
    }
    return fail(r, 0, "not a pcap or pcapng file (magic 0x%08" PRIx32 ")", be);
}

int pcapread_next(struct pcapread *r, struct pcapread_packet *out)
{
    if (r->err[0]) return -1;
    int rc = r->format == PCAPREAD_PCAPNG ? pcapng_next(r, out) : pcap_record(r, out);
    if (rc == 1) r->records++;
    return rc;
}

int pcapread_load(const char *path, size_t max, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return -EISDIR;
    }
    /* The magic number first: a file that is not a capture (or /dev/zero)
     * is refused after 4 bytes, not after reading up to max. */
    uint8_t magic[4];
    size_t have = fread(magic, 1, sizeof magic, f);
    if (have == sizeof magic) {
        uint32_t le = (uint32_t)magic[0] | ((uint32_t)magic[1] << 8) | ((uint32_t)magic[2] << 16) |
                      ((uint32_t)magic[3] << 24);
        uint32_t be = ((uint32_t)magic[0] << 24) | ((uint32_t)magic[1] << 16) | ((uint32_t)magic[2] << 8) | magic[3];
        if (le != PCAPNG_SHB && le != PCAP_MAGIC_US && le != PCAP_MAGIC_NS && be != PCAP_MAGIC_US &&
            be != PCAP_MAGIC_NS) {
            fclose(f);
            return -EILSEQ;
        }
    }
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
