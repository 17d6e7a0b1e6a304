/*
 * render.h — the ladder model and its renderers (text, SVG, HTML).
 *
 * Owns: one connection's story as a list of events — segments (sent at t by
 * one side, arriving at t' or lost, with flags, seq, ack, length, window,
 * options and analysis marks) and state changes (side, from, to, t) — plus
 * time series (cwnd, ssthresh, SRTT, RTO) when the stack can report them;
 * and drawing it: the text ladder of `synack lab` / `synack trace`
 * (render_text), an SVG ladder (svg.c) and a self-contained HTML page with
 * the ladder and the graphs (html.c). Must not touch: stacks, the simulator,
 * captures — the lab and the trace reader feed the model through the
 * render_record_* calls.
 *
 * Side 0 is the left time line (the client, the side that opened), side 1
 * the right one. Times are microseconds from any origin (the lab's virtual
 * clock, a capture's first packet); they only need to be non-decreasing in
 * recording order for each kind of event.
 */
#ifndef SYNACK_TOOLS_RENDER_H
#define SYNACK_TOOLS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "synack/wire.h"

#define RENDER_UNKNOWN UINT64_MAX

/* Analysis marks on a segment (Wireshark's TCP analysis names, plus what
 * the simulator knows). */
enum render_mark {
    RENDER_M_LOST = 1u << 0,          /* dropped by the network (lab) */
    RENDER_M_CORRUPTED = 1u << 1,     /* delivered with a bit flipped (lab) */
    RENDER_M_RETRANS = 1u << 2,       /* repeats sequence space already sent */
    RENDER_M_FAST_RETRANS = 1u << 3,  /* ... after >= 2 duplicate ACKs */
    RENDER_M_SPURIOUS = 1u << 4,      /* ... of data already ACKed */
    RENDER_M_OUT_OF_ORDER = 1u << 5,  /* ... too soon after the last one to be a retransmission */
    RENDER_M_DUP_ACK = 1u << 6,       /* dup_num says which */
    RENDER_M_ZERO_WINDOW = 1u << 7,
    RENDER_M_ZERO_WINDOW_PROBE = 1u << 8,
    RENDER_M_ZERO_WINDOW_PROBE_ACK = 1u << 9,
    RENDER_M_WINDOW_UPDATE = 1u << 10,
    RENDER_M_WINDOW_FULL = 1u << 11,
    RENDER_M_KEEPALIVE = 1u << 12,
    RENDER_M_KEEPALIVE_ACK = 1u << 13,
    RENDER_M_RESET = 1u << 14,
    RENDER_M_PREV_NOT_CAPTURED = 1u << 15, /* a gap: earlier segment not seen */
    RENDER_M_ACKED_UNSEEN = 1u << 16,      /* ACKs data the capture never saw */
    RENDER_M_PORTS_REUSED = 1u << 17,      /* a new SYN on a closed 4-tuple */
};
#define RENDER_M_ANY_RETRANS (RENDER_M_RETRANS | RENDER_M_FAST_RETRANS | RENDER_M_SPURIOUS)

struct render_seg {
    uint64_t t_us;          /* sent (lab) or seen at the capture point (trace) */
    uint64_t arrive_us;     /* RENDER_UNKNOWN when not known */
    int side;               /* sender: 0 left, 1 right */
    uint8_t flags;          /* TCP_SYN | TCP_ACK | ... (wire.h) */
    uint32_t seq, ack;      /* raw 32-bit numbers */
    uint32_t len;           /* payload bytes */
    uint16_t win_raw;       /* the header's field (what the labels show, as the lab does) */
    uint32_t win;           /* in bytes, window scale applied when known */
    uint32_t marks;         /* enum render_mark */
    uint32_t dup_num;       /* RENDER_M_DUP_ACK: 1 for the first duplicate */
    char opts[72];          /* " mss=1460 ws=7 sackOK ts=..." (no SACK blocks) */
    uint8_t nsack;          /* SACK blocks, raw: shown relative to the peer's ISN */
    uint32_t sack[TCP_MAX_SACK_BLOCKS][2];
};

struct render_state {
    uint64_t t_us;
    int side;
    char from[16], to[16];
};

struct render_sample {
    uint64_t t_us;
    int side;
    uint32_t cwnd, ssthresh; /* bytes */
    uint32_t srtt_us, rto_us;
};

enum render_kind { RENDER_EV_SEG, RENDER_EV_STATE };

struct render_event {
    enum render_kind kind;
    union {
        struct render_seg seg;
        struct render_state st;
    } u;
};

struct render_ladder {
    char title[160];
    char side_name[2][64];   /* "client 10.0.0.1", "server 10.0.0.2:80" */
    char *intro;             /* plain text, paragraphs split by blank lines (may be NULL) */
    char *text_ladder;       /* when set, the HTML page shows this text instead of render_text's */
    char samples_note[200];  /* why there are no samples, shown in the page */
    bool absolute;           /* show raw sequence numbers */
    bool have_isn[2];
    uint32_t isn[2];
    /* recorder state for render_record_ipv4 */
    bool syn_seen[2];
    int wscale[2];
    struct analysis an;      /* the marks, as `synack trace` makes them */
    struct render_event *ev;
    size_t nev, cap;
    struct render_sample *samples;
    size_t nsamples, samples_cap;
};

struct render_ladder *render_new(const char *title, const char *left, const char *right);
void render_free(struct render_ladder *rl);
void render_set_intro(struct render_ladder *rl, const char *text);

/* ---- the recorder ---------------------------------------------------------- */

/* Appends a segment as given (marks included). Returns its index or -ENOMEM. */
int render_record_segment(struct render_ladder *rl, const struct render_seg *seg);
/* Parses an IPv4/TCP packet (checksum not verified) sent by side at t_us and
 * records it; learns ISNs from SYNs and marks it with the analysis `synack
 * trace` uses (analysis.h: retransmission, dup ack, zero window, ...), so
 * feed each connection its own ladder. lost and corrupted come from the
 * simulator. Non-TCP packets are ignored (returns 1). */
int render_record_ipv4(struct render_ladder *rl, int side, uint64_t t_us, uint64_t arrive_us,
                       const uint8_t *pkt, size_t len, bool lost, bool corrupted);
int render_record_state(struct render_ladder *rl, int side, uint64_t t_us, const char *from, const char *to);
/* Inserts a state change before event index at (used when a state is only
 * known once a later segment shows it). */
int render_insert_state(struct render_ladder *rl, size_t at, int side, uint64_t t_us, const char *from,
                        const char *to);
int render_record_sample(struct render_ladder *rl, const struct render_sample *s);

/* ---- helpers the renderers share ------------------------------------------ */

/* seq and ack as displayed: relative to the ISNs unless rl->absolute. */
uint32_t render_rel_seq(const struct render_ladder *rl, const struct render_seg *s);
uint32_t render_rel_ack(const struct render_ladder *rl, const struct render_seg *s);
/* "SYN|ACK seq=0 ack=1 len=0 win=65535 mss=1460", "ACK seq=1 ack=1449 len=0
 * win=65536 sack=2897-4345": the window as the receiver reads it (scaled
 * once both SYNs offered scaling), SACK blocks as ranges of the data
 * sender's sequence numbers (relative unless rl->absolute). */
void render_seg_label(const struct render_ladder *rl, const struct render_seg *s, char *buf, size_t cap);
/* "  (retransmission)  (dup ack #2)" — empty string when no mark */
void render_marks_text(const struct render_seg *s, char *buf, size_t cap);

/* ---- output ------------------------------------------------------------------ */

/* The text ladder, in `synack lab`'s format (header line included). */
void render_text(const struct render_ladder *rl, FILE *out);
/* The ladder as one SVG element (no XML prolog), for a file or a page. */
void render_svg_ladder(const struct render_ladder *rl, FILE *out);
/* The time-sequence graph of data sent by side (tcptrace's "Stevens"
 * graph): segments as bars, the peer's ACKs and its receive window edge. */
void render_svg_timeseq(const struct render_ladder *rl, int side, FILE *out);
/* cwnd/ssthresh (bytes) or SRTT/RTO (ms) of side over time, or a note. */
void render_svg_samples(const struct render_ladder *rl, int side, bool rtt, FILE *out);
/* Standalone files. Return 0 or a negative errno. */
int render_write_svg(const struct render_ladder *rl, const char *path);
/* Several connections in one file: one ladder (one pair of lines) each. */
int render_write_svgs(struct render_ladder *const *rls, size_t n, const char *path);
int render_write_html(struct render_ladder *const *rls, size_t n, const char *page_title, const char *intro,
                      const char *path);
/* `synack lab --svg FILE --html FILE`: writes the recorded ladders, one per
 * connection (either path may be NULL), with the scenario and its result in
 * the page (told under the first ladder). */
struct lab_options;
struct lab_result;
int render_lab_pictures(struct render_ladder *const *rls, size_t n, const struct lab_options *o,
                        const struct lab_result *res, const char *svg, const char *html);
/* Writes s with &, <, >, " escaped. */
void render_xml_escape(FILE *out, const char *s);

/* A segment's options as short text (" mss=1460 ws=7 sackOK ts=N"), the
 * labels of the pictures and of `synack trace`; SACK blocks are not in it. */
void render_options_text(const struct tcp_options *o, char *buf, size_t cap);
/* Fills s->opts and s->sack/nsack from the parsed options. */
void render_seg_options(struct render_seg *s, const struct tcp_options *o);

#endif
