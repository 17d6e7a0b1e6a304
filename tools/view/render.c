/*
 * render.c — the ladder model, its recorder and the text ladder (see
 * render.h). The SVG drawing is in svg.c, the HTML page in html.c.
 *
 * Map: model (render_new/free, event array growth); recorder
 * (render_record_*); shared labels (render_seg_label, render_marks_text);
 * the text ladder (render_text), which follows `synack lab`'s layout column
 * for column so that `synack trace` and `synack lab` read the same.
 */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

/* Width of the middle column, as in lab.c. */
#define MID_WIDTH 62

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

struct render_ladder *render_new(const char *title, const char *left, const char *right)
{
    struct render_ladder *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    copy_str(rl->title, sizeof rl->title, title);
    copy_str(rl->side_name[0], sizeof rl->side_name[0], left);
    copy_str(rl->side_name[1], sizeof rl->side_name[1], right);
    return rl;
}

void render_free(struct render_ladder *rl)
{
    if (!rl) return;
    free(rl->intro);
    free(rl->text_ladder);
    free(rl->ev);
    free(rl->samples);
    free(rl);
}

void render_set_intro(struct render_ladder *rl, const char *text)
{
    free(rl->intro);
    rl->intro = NULL;
    if (!text) return;
    size_t n = strlen(text);
    rl->intro = malloc(n + 1);
    if (rl->intro) memcpy(rl->intro, text, n + 1);
}

static struct render_event *grow(struct render_ladder *rl)
{
    if (rl->nev == rl->cap) {
        size_t ncap = rl->cap ? rl->cap * 2 : 4; /* small first: a capture may hold 100k short connections */
        struct render_event *n = realloc(rl->ev, ncap * sizeof *n);
        if (!n) return NULL;
        rl->ev = n;
        rl->cap = ncap;
    }
    return &rl->ev[rl->nev++];
}

/* ---- recorder --------------------------------------------------------------- */

int render_record_segment(struct render_ladder *rl, const struct render_seg *seg)
{
    struct render_event *e = grow(rl);
    if (!e) return -ENOMEM;
    memset(e, 0, sizeof *e);
    e->kind = RENDER_EV_SEG;
    e->u.seg = *seg;
    if (seg->side != 0) e->u.seg.side = 1;
    if ((seg->flags & TCP_SYN) && !rl->have_isn[e->u.seg.side]) {
        rl->have_isn[e->u.seg.side] = true;
        rl->isn[e->u.seg.side] = seg->seq;
    }
    return (int)(rl->nev - 1);
}

void render_options_text(const struct tcp_options *o, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (o->has_mss) n += (size_t)snprintf(buf + n, cap - n, " mss=%u", o->mss);
    if (n < cap && o->has_wscale) n += (size_t)snprintf(buf + n, cap - n, " ws=%u", o->wscale);
    if (n < cap && o->sack_permitted) n += (size_t)snprintf(buf + n, cap - n, " sackOK");
    if (n < cap && o->has_timestamp) n += (size_t)snprintf(buf + n, cap - n, " ts=%" PRIu32, o->ts_val);
}

void render_seg_options(struct render_seg *s, const struct tcp_options *o)
{
    render_options_text(o, s->opts, sizeof s->opts);
    s->nsack = o->sack_count > TCP_MAX_SACK_BLOCKS ? TCP_MAX_SACK_BLOCKS : o->sack_count;
    for (unsigned i = 0; i < s->nsack; i++) {
        s->sack[i][0] = o->sack[i].left;
        s->sack[i][1] = o->sack[i].right;
    }
}

int render_record_ipv4(struct render_ladder *rl, int side, uint64_t t_us, uint64_t arrive_us,
                       const uint8_t *pkt, size_t len, bool lost, bool corrupted)
{
    struct ipv4_repr ip;
    struct tcp_repr tcp;
    if (ipv4_parse(&ip, pkt, len) != 0 || ip.protocol != IPV4_PROTO_TCP) return 1;
    if (tcp_parse_nocsum(&tcp, pkt + ip.header_len, ip.payload_len) != 0) return 1;
    side = side ? 1 : 0;
    struct render_seg s;
    memset(&s, 0, sizeof s);
    s.t_us = t_us;
    s.arrive_us = arrive_us; /* when lost: when it would have arrived */
    s.side = side;
    s.flags = tcp.flags;
    s.seq = tcp.seq;
    s.ack = tcp.ack;
    s.len = (uint32_t)tcp.payload_len;
    s.win_raw = tcp.window;
    /* RFC 7323: the window is scaled once both SYNs carried the option;
     * never the SYN's own window. */
    if ((tcp.flags & TCP_SYN) && !rl->syn_seen[side]) {
        rl->syn_seen[side] = true;
        rl->wscale[side] = tcp.opt.has_wscale ? (tcp.opt.wscale > 14 ? 14 : tcp.opt.wscale) : -1;
    }
    s.win = tcp.window;
    if (!(tcp.flags & TCP_SYN) && rl->syn_seen[0] && rl->syn_seen[1] && rl->wscale[0] >= 0 && rl->wscale[1] >= 0)
        s.win = (uint32_t)tcp.window << rl->wscale[side];
    render_seg_options(&s, &tcp.opt);
    s.marks = analysis_segment(&rl->an, side, &tcp, s.win, t_us, &s.dup_num);
    if (lost) s.marks |= RENDER_M_LOST;
    if (corrupted) s.marks |= RENDER_M_CORRUPTED;
    if (tcp.flags & TCP_RST) s.marks |= RENDER_M_RESET;
    int rc = render_record_segment(rl, &s);
    return rc < 0 ? rc : 0;
}

static void fill_state(struct render_event *e, int side, uint64_t t_us, const char *from, const char *to)
{
    memset(e, 0, sizeof *e);
    e->kind = RENDER_EV_STATE;
    e->u.st.t_us = t_us;
    e->u.st.side = side ? 1 : 0;
    copy_str(e->u.st.from, sizeof e->u.st.from, from);
    copy_str(e->u.st.to, sizeof e->u.st.to, to);
}

int render_record_state(struct render_ladder *rl, int side, uint64_t t_us, const char *from, const char *to)
{
    struct render_event *e = grow(rl);
    if (!e) return -ENOMEM;
    fill_state(e, side, t_us, from, to);
    return 0;
}

int render_insert_state(struct render_ladder *rl, size_t at, int side, uint64_t t_us, const char *from,
                        const char *to)
{
    if (at > rl->nev) at = rl->nev;
    if (!grow(rl)) return -ENOMEM;
    memmove(&rl->ev[at + 1], &rl->ev[at], (rl->nev - 1 - at) * sizeof rl->ev[0]);
    fill_state(&rl->ev[at], side, t_us, from, to);
    return 0;
}

int render_record_sample(struct render_ladder *rl, const struct render_sample *s)
{
    if (rl->nsamples == rl->samples_cap) {
        size_t ncap = rl->samples_cap ? rl->samples_cap * 2 : 64;
        struct render_sample *n = realloc(rl->samples, ncap * sizeof *n);
        if (!n) return -ENOMEM;
        rl->samples = n;
        rl->samples_cap = ncap;
    }
    rl->samples[rl->nsamples++] = *s;
    return 0;
}

/* ---- labels --------------------------------------------------------------------- */

uint32_t render_rel_seq(const struct render_ladder *rl, const struct render_seg *s)
{
    if (rl->absolute || !rl->have_isn[s->side]) return s->seq;
    return s->seq - rl->isn[s->side];
}

uint32_t render_rel_ack(const struct render_ladder *rl, const struct render_seg *s)
{
    if (!(s->flags & TCP_ACK)) return rl->absolute ? s->ack : 0;
    if (rl->absolute || !rl->have_isn[1 - s->side]) return s->ack;
    return s->ack - rl->isn[1 - s->side];
}

void render_seg_label(const struct render_ladder *rl, const struct render_seg *s, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s seq=%" PRIu32 " ack=%" PRIu32 " len=%" PRIu32 " win=%" PRIu32 "%s",
                     tcp_flags_str(s->flags), render_rel_seq(rl, s), render_rel_ack(rl, s), s->len, s->win, s->opts);
    /* SACK blocks name the data sender's bytes: the peer's sequence space */
    uint32_t base = rl->absolute || !rl->have_isn[1 - s->side] ? 0 : rl->isn[1 - s->side];
    for (unsigned i = 0; i < s->nsack && n >= 0 && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, " sack=%" PRIu32 "-%" PRIu32, s->sack[i][0] - base, s->sack[i][1] - base);
}

void render_marks_text(const struct render_seg *s, char *buf, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *text;
    } names[] = {
        {RENDER_M_PORTS_REUSED, "port numbers reused"},
        {RENDER_M_PREV_NOT_CAPTURED, "previous segment not captured"},
        {RENDER_M_FAST_RETRANS, "fast retransmission"},
        {RENDER_M_SPURIOUS, "spurious retransmission"},
        {RENDER_M_RETRANS, "retransmission"},
        {RENDER_M_OUT_OF_ORDER, "out-of-order"},
        {RENDER_M_KEEPALIVE, "keep-alive"},
        {RENDER_M_KEEPALIVE_ACK, "keep-alive ack"},
        {RENDER_M_ZERO_WINDOW_PROBE, "zero window probe"},
        {RENDER_M_ZERO_WINDOW_PROBE_ACK, "zero window probe ack"},
        {RENDER_M_ZERO_WINDOW, "zero window"},
        {RENDER_M_WINDOW_FULL, "window full"},
        {RENDER_M_WINDOW_UPDATE, "window update"},
        {RENDER_M_DUP_ACK, "dup ack"},
        {RENDER_M_ACKED_UNSEEN, "ACKs a segment not captured"},
        {RENDER_M_RESET, "reset"},
        {RENDER_M_LOST, "lost"},
        {RENDER_M_CORRUPTED, "corrupted"},
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < cap; i++) {
        if (!(s->marks & names[i].bit)) continue;
        /* the fast and spurious kinds already say "retransmission" */
        if (names[i].bit == RENDER_M_RETRANS && (s->marks & (RENDER_M_FAST_RETRANS | RENDER_M_SPURIOUS))) continue;
        if (names[i].bit == RENDER_M_DUP_ACK)
            n += (size_t)snprintf(buf + n, cap - n, "  (dup ack #%" PRIu32 ")", s->dup_num);
        else
            n += (size_t)snprintf(buf + n, cap - n, "  (%s)", names[i].text);
    }
}

/* ---- the text ladder --------------------------------------------------------------- */

static void text_time(FILE *out, uint64_t t) { fprintf(out, "%10.3f  ", (double)t / 1000.0); }

void render_text(const struct render_ladder *rl, FILE *out)
{
    fprintf(out, "%10s  %-24s %*s%s\n", "time (ms)", rl->side_name[0], MID_WIDTH - 20, "", rl->side_name[1]);
    for (size_t i = 0; i < rl->nev; i++) {
        const struct render_event *e = &rl->ev[i];
        if (e->kind == RENDER_EV_STATE) {
            char text[48];
            snprintf(text, sizeof text, "%s -> %s", e->u.st.from, e->u.st.to);
            text_time(out, e->u.st.t_us);
            if (e->u.st.side == 0) fprintf(out, "%s\n", text);
            else fprintf(out, "%-24s %*s%s\n", "", MID_WIDTH - 20, "", text);
            continue;
        }
        const struct render_seg *s = &e->u.seg;
        char body[256], marks[256];
        render_seg_label(rl, s, body, sizeof body);
        /* lost and corrupted are said by the lab's own wording */
        struct render_seg m = *s;
        m.marks &= ~(uint32_t)(RENDER_M_LOST | RENDER_M_CORRUPTED | RENDER_M_RESET);
        render_marks_text(&m, marks, sizeof marks);
        bool gone = (s->marks & RENDER_M_LOST) != 0;
        int pad = MID_WIDTH - 8 - (int)strlen(body);
        if (pad < 2) pad = 2;
        char dashes[MID_WIDTH + 1];
        memset(dashes, '-', sizeof dashes - 1);
        dashes[pad > MID_WIDTH ? MID_WIDTH : pad] = '\0';
        text_time(out, s->t_us);
        if (s->side == 0) fprintf(out, "       --- %s %s%s", body, dashes, gone ? "-X" : "->");
        else fprintf(out, "       %s%s %s ---", gone ? "X-" : "<-", dashes, body);
        fprintf(out, "%s%s%s\n", marks, gone ? "  (lost)" : "", (s->marks & RENDER_M_CORRUPTED) ? "  (corrupted)" : "");
    }
}
