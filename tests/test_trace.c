/*
 * test_trace.c — `synack trace` and the capture reader: kernel captures
 * (tests/vectors/trace/, made by make_trace_captures.sh in a private network
 * namespace), synack's own lab captures, and malformed captures.
 *
 * Owns: checks of the inferred states (as seen at the capture point), the
 * analysis marks (counts cross-checked with tshark's TCP analysis when the
 * vectors were made), the link types and file formats, and that every
 * truncation of a capture is an error naming an offset, never a crash.
 * Files are read as streams by both readers (libpcap's and synack's own,
 * through windows as small as 4 bytes), which must agree with the in-memory
 * reading byte for byte; a capture larger than the ladder budget is read in
 * bounded memory.
 */
#define _GNU_SOURCE /* fopencookie, fmemopen */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lab.h"
#include "pcapread.h"
#include "render.h"
#include "trace.h"

#define VEC SYNACK_TEST_VECTORS "/trace/"

static uint8_t *load(const char *name, size_t *len)
{
    uint8_t *d = NULL;
    int rc = pcapread_load(name, 1u << 24, &d, len);
    if (rc) fprintf(stderr, "cannot read %s: %s\n", name, strerror(-rc));
    return d;
}

/* Reads a vector; returns 0 and fills t, or -1. */
static int read_vec(const char *name, struct trace *t)
{
    size_t len;
    uint8_t *d = load(name, &len);
    if (!d) return -1;
    char err[256];
    int rc = trace_read(t, d, len, false, err, sizeof err);
    if (rc) fprintf(stderr, "%s: %s\n", name, err);
    free(d);
    return rc;
}

#define STATE_IS(c, side, st) CHECK_STR(synack_state_name((c)->state[side]), synack_state_name(st))

/* The four connections of kernel_basic, whatever the file format. */
static void check_basic(const char *name)
{
    struct trace t;
    REQUIRE(read_vec(name, &t) == 0);
    CHECK_EQ(t.nconns, 4);
    CHECK_EQ(t.skipped, 0);
    if (t.nconns == 4) {
        struct trace_conn **c = t.conns;
        /* 1: the client closed first: TIME_WAIT; the server went through LAST_ACK */
        STATE_IS(c[0], 0, SYNACK_TIME_WAIT);
        STATE_IS(c[0], 1, SYNACK_CLOSED);
        CHECK_EQ(c[0]->segments, 10);
        CHECK_EQ(c[0]->port[1], 5000);
        CHECK_EQ(c[0]->addr[0], 0x0a4d0101);
        /* 2: RST|ACK from a closed port */
        STATE_IS(c[1], 0, SYNACK_CLOSED);
        CHECK_EQ(trace_marks(c[1], RENDER_M_RESET), 1);
        CHECK_EQ(c[1]->segments, 2);
        /* 3: the server closed first */
        STATE_IS(c[2], 0, SYNACK_CLOSED);
        STATE_IS(c[2], 1, SYNACK_TIME_WAIT);
        /* 4: same 4-tuple again, then an abortive close */
        CHECK_EQ(c[3]->port[0], 40000);
        CHECK_EQ(c[2]->port[0], 40000);
        CHECK_EQ(trace_marks(c[3], RENDER_M_PORTS_REUSED), 1);
        CHECK_EQ(trace_marks(c[3], RENDER_M_RESET), 1);
        STATE_IS(c[3], 0, SYNACK_CLOSED);
        STATE_IS(c[3], 1, SYNACK_CLOSED);
        for (int i = 0; i < 4; i++) CHECK_EQ(trace_marks(c[i], RENDER_M_RETRANS), 0);
        /* The ladder text shows the sequence the tutorial teaches. */
        char *buf = NULL;
        size_t blen = 0;
        FILE *m = open_memstream(&buf, &blen);
        REQUIRE(m != NULL);
        render_text(c[0]->rl, m);
        fclose(m);
        CHECK(strstr(buf, "CLOSED -> SYN_SENT") != NULL);
        CHECK(strstr(buf, "LISTEN -> SYN_RCVD") != NULL);
        CHECK(strstr(buf, "--- SYN seq=0 ack=0 len=0 win=64240 mss=1460 ws=10 sackOK") != NULL);
        CHECK(strstr(buf, "<--- SYN|ACK seq=0 ack=1 len=0") != NULL);
        CHECK(strstr(buf, "--- PSH|ACK seq=1 ack=1 len=18") != NULL);
        CHECK(strstr(buf, "FIN_WAIT_2 -> TIME_WAIT") != NULL);
        CHECK(strstr(buf, "CLOSE_WAIT -> LAST_ACK") != NULL);
        CHECK(strstr(buf, "LAST_ACK -> CLOSED") != NULL);
        free(buf);
    }
    trace_free(&t);
}

static void kernel_basic_pcap(void) { check_basic(VEC "kernel_basic.pcap"); }
static void kernel_basic_pcapng(void) { check_basic(VEC "kernel_basic.pcapng"); }
static void kernel_basic_ns_big_endian(void) { check_basic(VEC "kernel_basic_ns_be.pcap"); }
static void kernel_sll(void) { check_basic(VEC "kernel_sll.pcap"); }
static void kernel_sll2(void) { check_basic(VEC "kernel_sll2.pcap"); }

/* The same capture in four encodings gives the same timestamps (to the
 * microsecond; the big-endian copy adds 123 ns to each). */
static void formats_agree(void)
{
    const char *names[] = {VEC "kernel_basic.pcap", VEC "kernel_basic.pcapng", VEC "kernel_basic_ns_be.pcap"};
    uint64_t first[3] = {0};
    size_t count[3] = {0};
    for (int i = 0; i < 3; i++) {
        size_t len;
        uint8_t *d = load(names[i], &len);
        REQUIRE(d != NULL);
        struct pcapread r;
        struct pcapread_packet p;
        REQUIRE(pcapread_init(&r, d, len) == 0);
        while (pcapread_next(&r, &p) == 1) {
            if (count[i]++ == 0) first[i] = p.t_ns;
            CHECK(p.ip != NULL);
            CHECK_EQ(p.linktype, 1);
        }
        CHECK(r.err[0] == '\0');
        free(d);
    }
    CHECK_EQ(count[0], count[1]);
    CHECK_EQ(count[0], count[2]);
    CHECK_EQ(first[0], first[1]);
    CHECK_EQ(first[0] + 123, first[2]);
    CHECK(first[0] % 1000 == 0);
}

static void kernel_zero_window(void)
{
    struct trace t;
    REQUIRE(read_vec(VEC "kernel_zerowin.pcap", &t) == 0);
    REQUIRE(t.nconns == 1);
    struct trace_conn *c = t.conns[0];
    /* tshark: 3 ZeroWindow, 2 Window Update, 27 Window Full, 2 Keep-Alive
     * (Linux's zero window probes look like keep-alives) */
    CHECK_EQ(trace_marks(c, RENDER_M_ZERO_WINDOW), 3);
    CHECK_EQ(trace_marks(c, RENDER_M_WINDOW_UPDATE), 2);
    CHECK_EQ(trace_marks(c, RENDER_M_WINDOW_FULL), 27);
    CHECK_EQ(trace_marks(c, RENDER_M_KEEPALIVE), 2);
    CHECK_EQ(trace_marks(c, RENDER_M_RETRANS), 0);
    CHECK_EQ(trace_marks(c, RENDER_M_DUP_ACK), 0);
    /* the capture was cut at 128 bytes: every segment still counts */
    CHECK_EQ(t.skipped, 0);
    STATE_IS(c, 0, SYNACK_TIME_WAIT);
    STATE_IS(c, 1, SYNACK_CLOSED);
    trace_free(&t);
}

static void kernel_keepalive(void)
{
    struct trace t;
    REQUIRE(read_vec(VEC "kernel_keepalive.pcap", &t) == 0);
    REQUIRE(t.nconns == 1);
    CHECK_EQ(trace_marks(t.conns[0], RENDER_M_KEEPALIVE), 2);
    CHECK_EQ(trace_marks(t.conns[0], RENDER_M_KEEPALIVE_ACK), 2);
    CHECK_EQ(trace_marks(t.conns[0], RENDER_M_DUP_ACK), 0);
    STATE_IS(t.conns[0], 0, SYNACK_TIME_WAIT);
    trace_free(&t);
}

static void kernel_loss(void)
{
    struct trace t;
    REQUIRE(read_vec(VEC "kernel_loss.pcap", &t) == 0);
    REQUIRE(t.nconns == 2);
    /* 1: SYNs nobody answers */
    CHECK_EQ(trace_marks(t.conns[0], RENDER_M_RETRANS), 1);
    STATE_IS(t.conns[0], 0, SYNACK_SYN_SENT);
    /* 2: one segment lost, four dup ACKs, a fast retransmission, then RST */
    struct trace_conn *c = t.conns[1];
    CHECK_EQ(trace_marks(c, RENDER_M_DUP_ACK), 4);
    CHECK_EQ(trace_marks(c, RENDER_M_FAST_RETRANS), 1);
    CHECK_EQ(trace_marks(c, RENDER_M_RETRANS), 0);
    CHECK_EQ(trace_marks(c, RENDER_M_RESET), 1);
    STATE_IS(c, 0, SYNACK_CLOSED);
    STATE_IS(c, 1, SYNACK_CLOSED);
    /* the dup ACKs are numbered */
    uint32_t last_dup = 0;
    for (size_t i = 0; i < c->rl->nev; i++)
        if (c->rl->ev[i].kind == RENDER_EV_SEG && (c->rl->ev[i].u.seg.marks & RENDER_M_DUP_ACK))
            last_dup = c->rl->ev[i].u.seg.dup_num;
    CHECK_EQ(last_dup, 4);
    trace_free(&t);
}

/* synack's own capture (LINKTYPE_RAW), read back. */
static void lab_capture(void)
{
    char path[] = "/tmp/synack-test-trace-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    struct lab_options o;
    lab_options_default(&o);
    o.pcap = path;
    struct lab_result res;
    CHECK_EQ(lab_run(&o, NULL, &res), 0);
    struct trace t;
    CHECK_EQ(read_vec(path, &t), 0);
    CHECK_EQ(t.nconns, 1);
    if (t.nconns == 1) {
        CHECK_EQ(t.conns[0]->segments, res.segments);
        /* the capture ends before TIME_WAIT does */
        STATE_IS(t.conns[0], 0, SYNACK_TIME_WAIT);
        STATE_IS(t.conns[0], 1, SYNACK_CLOSED);
        CHECK_EQ(t.conns[0]->addr[0], 0x0a000001);
        CHECK_EQ(t.conns[0]->port[1], 80);
    }
    trace_free(&t);
    /* A lossy run: the retransmissions are marked. */
    o.loss = 0.2;
    o.seed = 7;
    o.bytes = 50000;
    CHECK_EQ(lab_run(&o, NULL, &res), 0);
    CHECK_EQ(read_vec(path, &t), 0);
    if (t.nconns == 1) {
        uint32_t re = trace_marks(t.conns[0], RENDER_M_RETRANS) + trace_marks(t.conns[0], RENDER_M_OUT_OF_ORDER) +
                      trace_marks(t.conns[0], RENDER_M_FAST_RETRANS) + trace_marks(t.conns[0], RENDER_M_SPURIOUS);
        CHECK(re > 0);
        CHECK(re <= res.retransmissions);
        STATE_IS(t.conns[0], 0, SYNACK_TIME_WAIT);
    }
    trace_free(&t);
    unlink(path);
}

/* Every prefix of a capture reads without a crash; a cut record is an error
 * that names an offset. */
static void truncations(void)
{
    const char *names[] = {VEC "kernel_basic.pcap", VEC "kernel_basic.pcapng", VEC "kernel_sll2.pcap"};
    for (int k = 0; k < 3; k++) {
        size_t len;
        uint8_t *d = load(names[k], &len);
        REQUIRE(d != NULL);
        int errors = 0;
        for (size_t n = 0; n < len; n++) {
            uint8_t *cut = malloc(n ? n : 1);
            memcpy(cut, d, n);
            struct trace t;
            char err[256] = "";
            if (trace_read(&t, cut, n, false, err, sizeof err) != 0) {
                errors++;
                if (!strstr(err, "offset")) HARNESS_FAIL("%s cut at %zu: error without an offset: %s", names[k], n, err);
            }
            trace_free(&t);
            free(cut);
        }
        CHECK(errors > 0);
        free(d);
    }
}

static void malformed(void)
{
    struct trace t;
    char err[256];
    static const uint8_t junk[] = "this is not a capture";
    CHECK_EQ(trace_read(&t, junk, sizeof junk, false, err, sizeof err), -1);
    CHECK(strstr(err, "not a pcap") != NULL);
    trace_free(&t);
    /* pcap header, then a record claiming 1 GB */
    uint8_t big[40] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0};
    big[24 + 8] = 0;
    big[24 + 11] = 0x40;
    CHECK_EQ(trace_read(&t, big, sizeof big, false, err, sizeof err), -1);
    CHECK(strstr(err, "offset 24") != NULL);
    trace_free(&t);
    /* pcapng: a block whose trailing length disagrees */
    size_t len;
    uint8_t *d = load(VEC "kernel_basic.pcapng", &len);
    REQUIRE(d != NULL);
    uint32_t shb_len = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
    REQUIRE(shb_len < len);
    d[shb_len - 4] ^= 4;
    CHECK_EQ(trace_read(&t, d, len, false, err, sizeof err), -1);
    CHECK(strstr(err, "trailing length") != NULL);
    trace_free(&t);
    free(d);
}

/* A capture with more connections than synack trace reads: the lookup is
 * hashed (101,000 connections take well under a second, not minutes) and
 * the refusal names the cap, not "out of memory". */
static void connection_cap(void)
{
    const size_t n = TRACE_MAX_CONNS + 1, rec = 16 + 40;
    size_t len = 24 + n * rec;
    uint8_t *d = calloc(1, len);
    REQUIRE(d != NULL);
    static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0xff, 0xff, 0, 0, 101, 0, 0, 0};
    memcpy(d, hdr, sizeof hdr);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = d + 24 + i * rec, *ip = r + 16, *tcp = ip + 20;
        r[8] = r[12] = 40; /* caplen, origlen */
        ip[0] = 0x45;
        ip[3] = 40;
        ip[8] = 64;
        ip[9] = 6;
        ip[12] = 10, ip[13] = (uint8_t)(i >> 16), ip[14] = (uint8_t)(i >> 8), ip[15] = (uint8_t)i;
        ip[16] = 10, ip[19] = 1;
        uint32_t sum = 0;
        for (int k = 0; k < 20; k += 2) sum += (uint32_t)ip[k] << 8 | ip[k + 1];
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
        tcp[0] = 0x9c, tcp[1] = 0x40; /* port 40000 */
        tcp[3] = 80;
        tcp[12] = 5 << 4;
        tcp[13] = 0x02; /* SYN */
        tcp[14] = 0xff, tcp[15] = 0xff;
    }
    struct trace t;
    char err[256];
    CHECK_EQ(trace_read(&t, d, len, false, err, sizeof err), -1);
    CHECK(strstr(err, "at most 100000") != NULL);
    CHECK(strstr(err, "memory") == NULL);
    CHECK_EQ(t.nconns, TRACE_MAX_CONNS);
    trace_free(&t);
    free(d);
}

/* The link layers by themselves. */
static void link_layers(void)
{
    uint8_t ip[20] = {0x45, 0, 0, 20};
    uint8_t f[64];
    size_t n;
    const char *why;
    CHECK(pcapread_link_ipv4(101, ip, 20, &n, &why) == ip);
    CHECK(pcapread_link_ipv4(12, ip, 20, &n, &why) == ip);
    CHECK(pcapread_link_ipv4(14, ip, 20, &n, &why) == ip);
    memset(f, 0, sizeof f);
    f[12] = 0x81, f[13] = 0x00, f[16] = 0x08, f[17] = 0x00; /* one VLAN tag */
    memcpy(f + 18, ip, 20);
    CHECK(pcapread_link_ipv4(1, f, 38, &n, &why) == f + 18);
    CHECK_EQ(n, 20);
    f[16] = 0x86, f[17] = 0xdd;
    CHECK(pcapread_link_ipv4(1, f, 38, &n, &why) == NULL);
    CHECK_STR(why, "IPv6");
    CHECK(pcapread_link_ipv4(113, f, 10, &n, &why) == NULL);
    CHECK(pcapread_link_ipv4(147, f, 38, &n, &why) == NULL);
    CHECK_STR(why, "unsupported link type");
}

/* The pictures are produced and hold what they should. */
static void pictures(void)
{
    struct trace t;
    REQUIRE(read_vec(VEC "kernel_loss.pcap", &t) == 0);
    char *buf = NULL;
    size_t blen = 0;
    FILE *m = open_memstream(&buf, &blen);
    REQUIRE(m != NULL);
    render_svg_ladder(t.conns[1]->rl, m);
    render_svg_timeseq(t.conns[1]->rl, 0, m);
    render_svg_samples(t.conns[1]->rl, 0, false, m);
    fclose(m);
    CHECK(strstr(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    CHECK(strstr(buf, "fast retransmission") != NULL);
    CHECK(strstr(buf, "dup ack #4") != NULL);
    CHECK(strstr(buf, "FIN_WAIT") == NULL); /* this one ends in RST */
    CHECK(strstr(buf, "ESTABLISHED") != NULL);
    CHECK(strstr(buf, "Time-sequence graph") != NULL);
    CHECK(strstr(buf, "not recorded") != NULL);
    free(buf);
    trace_free(&t);
}


/* ---- streams: both readers, tiny windows, bounded memory ------------------ */

/* trace_print of a trace, as a malloc'd string. */
static char *printed(const struct trace *t)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    trace_print(t, f);
    fclose(f);
    return buf;
}

/* Reads bytes through a stream with the given reader and window. */
static int read_stream(const uint8_t *d, size_t len, enum pcapread_reader reader, size_t window, struct trace *t,
                       char *err, size_t errcap)
{
    FILE *f = fmemopen((void *)d, len, "rb");
    if (!f) {
        snprintf(err, errcap, "fmemopen: %s", strerror(errno));
        memset(t, 0, sizeof *t);
        return -2;
    }
    return trace_read_stream(t, f, reader, window, false, err, errcap);
}

static bool ci(void)
{
    const char *c = getenv("CI");
    return c && !strcmp(c, "true");
}

/* Every vector read as a stream — builtin with windows from 4 bytes up, and
 * libpcap — prints exactly what the in-memory reading prints. */
static void streams_agree(void)
{
    const char *names[] = {"kernel_basic.pcap", "kernel_basic.pcapng", "kernel_basic_ns_be.pcap", "kernel_sll.pcap",
                           "kernel_sll2.pcap", "kernel_zerowin.pcap", "kernel_keepalive.pcap", "kernel_loss.pcap"};
    static const size_t windows[] = {4, 5, 13, 64, 0};
    if (!pcapread_have_libpcap()) {
        if (ci()) HARNESS_FAIL("synack was built without libpcap: its reader is not tested (CI installs libpcap-dev)");
        else fprintf(stderr, "note: built without libpcap: only the builtin reader is checked\n");
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, VEC "%s", names[k]);
        size_t len;
        uint8_t *d = load(path, &len);
        REQUIRE(d != NULL);
        struct trace ref, t;
        char err[256];
        REQUIRE(trace_read(&ref, d, len, false, err, sizeof err) == 0);
        char *want = printed(&ref);
        REQUIRE(want != NULL);
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
            int rc = read_stream(d, len, PCAPREAD_BUILTIN, windows[w], &t, err, sizeof err);
            if (rc != 0) HARNESS_FAIL("%s, window %zu: %s", names[k], windows[w], err);
            CHECK_STR(t.reader, "builtin");
            char *got = rc == 0 ? printed(&t) : NULL;
            if (rc == 0 && (!got || strcmp(got, want)))
                HARNESS_FAIL("%s: the stream through a %zu-byte window reads differently", names[k], windows[w]);
            free(got);
            trace_free(&t);
        }
        if (pcapread_have_libpcap()) {
            int rc = read_stream(d, len, PCAPREAD_LIBPCAP, 0, &t, err, sizeof err);
            if (rc != 0) HARNESS_FAIL("%s through libpcap: %s", names[k], err);
            CHECK_STR(t.reader, "libpcap");
            char *got = rc == 0 ? printed(&t) : NULL;
            if (rc == 0 && (!got || strcmp(got, want))) HARNESS_FAIL("%s: libpcap reads it differently", names[k]);
            free(got);
            trace_free(&t);
        }
        free(want);
        trace_free(&ref);
        free(d);
    }
}

/* Every prefix of a capture read as a stream through a 7-byte window gives
 * exactly the in-memory reading's result and error (offsets are file
 * offsets, not window indexes); through libpcap it is an error too
 * whenever the builtin reader finds one. */
static void stream_truncations(void)
{
    const char *names[] = {VEC "kernel_basic.pcap", VEC "kernel_basic.pcapng"};
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *d = load(names[k], &len);
        REQUIRE(d != NULL);
        int errors = 0;
        for (size_t n = 1; n < len; n++) {
            struct trace ref, t;
            char want[256] = "", err[256] = "";
            int rref = trace_read(&ref, d, n, false, want, sizeof want);
            int rc = read_stream(d, n, PCAPREAD_BUILTIN, 7, &t, err, sizeof err);
            bool magic_ok = n >= 4; /* a shorter file is refused before its header is parsed */
            if (rref != rc) HARNESS_FAIL("%s cut at %zu: in memory %d, stream %d (%s)", names[k], n, rref, rc, err);
            else if (rc != 0 && magic_ok && strcmp(want, err))
                HARNESS_FAIL("%s cut at %zu: '%s' in memory, '%s' streamed", names[k], n, want, err);
            else if (rc == 0 && ref.tcp_segments != t.tcp_segments)
                HARNESS_FAIL("%s cut at %zu: segment counts differ", names[k], n);
            errors += rc != 0;
            trace_free(&t);
            if (pcapread_have_libpcap()) {
                int rl = read_stream(d, n, PCAPREAD_LIBPCAP, 0, &t, err, sizeof err);
                if (rref != 0 && rl == 0) HARNESS_FAIL("%s cut at %zu: libpcap took it", names[k], n);
                if (rl != 0 && magic_ok && !strstr(err, "offset") && !strstr(err, "libpcap"))
                    HARNESS_FAIL("%s cut at %zu: unclear libpcap error: %s", names[k], n, err);
                trace_free(&t);
            }
            trace_free(&ref);
        }
        CHECK(errors > 0);
        free(d);
    }
}

/* A generated capture, produced as it is read (fopencookie): one
 * connection, a SYN, a SYN|ACK and then `segments` one-byte data segments. */
struct gen_capture {
    uint64_t segments, made;
    uint8_t pending[64];
    size_t npending, pos;
    bool header_done;
};

static size_t gen_record(struct gen_capture *g, uint8_t *r)
{
    uint64_t i = g->made++;
    bool syn = i == 0, synack = i == 1;
    size_t plen = syn || synack ? 0 : 1;
    memset(r, 0, 16 + 40 + plen);
    uint32_t ts = (uint32_t)(i / 1000), us = (uint32_t)(i % 1000) * 1000u;
    memcpy(r, &ts, 4);
    memcpy(r + 4, &us, 4);
    r[8] = r[12] = (uint8_t)(40 + plen);
    uint8_t *ip = r + 16, *tcp = ip + 20;
    ip[0] = 0x45, ip[3] = (uint8_t)(40 + plen), ip[8] = 64, ip[9] = 6;
    uint8_t a = synack ? 2 : 1, b = synack ? 1 : 2;
    ip[12] = 10, ip[15] = a, ip[16] = 10, ip[19] = b;
    uint32_t sum = 0;
    for (int k = 0; k < 20; k += 2) sum += (uint32_t)ip[k] << 8 | ip[k + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
    uint16_t sp = synack ? 80 : 40000, dp = synack ? 40000 : 80;
    tcp[0] = (uint8_t)(sp >> 8), tcp[1] = (uint8_t)sp, tcp[2] = (uint8_t)(dp >> 8), tcp[3] = (uint8_t)dp;
    uint32_t seq = synack ? 5000 : syn ? 1000 : 1000 + (uint32_t)(i - 1), ack = synack ? 1001 : syn ? 0 : 5001;
    for (int k = 0; k < 4; k++) tcp[4 + k] = (uint8_t)(seq >> (24 - 8 * k)), tcp[8 + k] = (uint8_t)(ack >> (24 - 8 * k));
    tcp[12] = 5 << 4;
    tcp[13] = syn ? 0x02 : synack ? 0x12 : 0x18;
    tcp[14] = 0xff, tcp[15] = 0xff;
    if (plen) tcp[20] = 'x';
    return 16 + 40 + plen;
}

static ssize_t gen_read(void *cookie, char *buf, size_t size)
{
    struct gen_capture *g = cookie;
    size_t n = 0;
    while (n < size) {
        if (g->pos == g->npending) {
            if (!g->header_done) {
                static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                0xff, 0xff, 0, 0, 101, 0, 0, 0};
                memcpy(g->pending, hdr, sizeof hdr);
                g->npending = sizeof hdr;
                g->header_done = true;
            } else if (g->made < g->segments) {
                g->npending = gen_record(g, g->pending);
            } else {
                break;
            }
            g->pos = 0;
        }
        size_t take = g->npending - g->pos < size - n ? g->npending - g->pos : size - n;
        memcpy(buf + n, g->pending + g->pos, take);
        g->pos += take;
        n += take;
    }
    return (ssize_t)n;
}

/* Keeps the last 4 KB written to it. */
struct tail_sink {
    char buf[4096];
    size_t n;
};

static ssize_t tail_write(void *cookie, const char *buf, size_t size)
{
    struct tail_sink *t = cookie;
    for (size_t i = 0; i < size; i++) {
        if (t->n == sizeof t->buf - 1) {
            memmove(t->buf, t->buf + 2048, t->n - 2048);
            t->n -= 2048;
        }
        t->buf[t->n++] = buf[i];
    }
    t->buf[t->n] = '\0';
    return (ssize_t)size;
}

/* More segments than the ladder budget: the file streams (nothing holds
 * it whole), every segment is analysed and counted, only TRACE_MAX_LINES
 * are kept as ladder lines, and the output says how many were not drawn. */
static void stream_bounded(void)
{
    struct gen_capture g = {.segments = TRACE_MAX_LINES + 5002};
    cookie_io_functions_t io = {.read = gen_read};
    FILE *f = fopencookie(&g, "r", io);
    REQUIRE(f != NULL);
    struct trace t;
    char err[256];
    int rc = trace_read_stream(&t, f, PCAPREAD_BUILTIN, 0, false, err, sizeof err);
    if (rc) HARNESS_FAIL("%s", err);
    CHECK_EQ(t.tcp_segments, g.segments);
    CHECK_EQ(t.nconns, 1);
    CHECK_EQ(t.lines_kept, TRACE_MAX_LINES);
    CHECK_EQ(t.lines_dropped, 5002);
    if (t.nconns == 1) {
        CHECK_EQ(t.conns[0]->segments, g.segments);
        CHECK_EQ(t.conns[0]->lines_dropped, 5002);
        CHECK_STR(synack_state_name(t.conns[0]->state[0]), "ESTABLISHED");
        struct tail_sink sink = {.n = 0};
        cookie_io_functions_t wio = {.write = tail_write};
        FILE *out = fopencookie(&sink, "w", wio);
        REQUIRE(out != NULL);
        trace_print(&t, out);
        fclose(out);
        CHECK(strstr(sink.buf, "(5002 later segments analysed but not drawn: synack trace draws at most 1000000") !=
              NULL);
    }
    trace_free(&t);
}

TEST_MAIN(TEST(kernel_basic_pcap), TEST(kernel_basic_pcapng), TEST(kernel_basic_ns_big_endian), TEST(kernel_sll),
          TEST(kernel_sll2), TEST(formats_agree), TEST(kernel_zero_window), TEST(kernel_keepalive), TEST(kernel_loss),
          TEST(lab_capture), TEST(truncations), TEST(malformed), TEST(link_layers), TEST(pictures), TEST(connection_cap),
          TEST(streams_agree), TEST(stream_truncations), TEST(stream_bounded))
