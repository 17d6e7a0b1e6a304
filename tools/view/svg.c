/*
 * svg.c — drawing a render_ladder as SVG (see render.h).
 *
 * Map: layout of the ladder's vertical axis (ladder_layout: segments,
 * arrivals and state changes become rows; time between them becomes a gap
 * that grows with the logarithm of the elapsed time, so a 10 ms flight and
 * a 60 s TIME_WAIT both fit); the ladder (render_svg_ladder); the graphs
 * (axes, render_svg_timeseq, render_svg_samples); render_write_svg.
 *
 * Everything is plain SVG 1.1 with inline attributes: no scripts, no
 * external fonts or style sheets, so a file opens anywhere offline.
 */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h> /* NAN and isnan only: the tools link without libm */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

#define LAD_W 980
#define LAD_XT 84     /* time labels end here */
#define LAD_XL 270    /* left time line */
#define LAD_XR 800    /* right time line */
#define LAD_TOP 64
#define LAD_LABEL_CHARS 76 /* longer labels are squeezed into the space between the lines */
/* A long run is folded: its first FOLD_HEAD and last FOLD_TAIL events are
 * drawn, the middle is one row that says what was left out (the
 * time-sequence graph and the text ladder still hold everything). */
#define FOLD_HEAD 120
#define FOLD_TAIL 60

void render_xml_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t') fputc(*s, out);
            break;
        }
    }
}

/* ---- small numerics (no libm) ---------------------------------------------------- */

static double m_sqrt(double x)
{
    if (!(x > 0)) return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++) r = 0.5 * (r + x / r);
    return r;
}

/* log10 of x >= 1: decades by division, the rest by the atanh series of ln. */
static double m_log10(double x)
{
    if (!(x > 1)) return 0;
    int k = 0;
    while (x >= 10 && k < 400) {
        x /= 10;
        k++;
    }
    double y = (x - 1) / (x + 1), y2 = y * y, term = y, sum = 0;
    for (int n = 1; n < 80; n += 2) {
        sum += term / n;
        term *= y2;
    }
    return k + 2 * sum / 2.302585092994046;
}

static double m_floor(double x)
{
    if (x > 9e15 || x < -9e15) return x;
    double t = (double)(long long)x;
    return t > x ? t - 1 : t;
}

static double m_ceil(double x) { return -m_floor(-x); }

/* ---- layout ---------------------------------------------------------------------- */

enum item_kind { IT_ARRIVE = 0, IT_STATE = 1, IT_SEND = 2, IT_FOLD = 3 };

struct item {
    enum item_kind kind;
    size_t ev;      /* index into rl->ev */
    uint64_t t;
    double y;
};

struct layout {
    struct item *it;
    size_t n;
    double *send_y, *arrive_y; /* per event index; NAN when none */
    double height;
    size_t fold_from, fold_to; /* events [fold_from, fold_to) are folded; equal: none */
};

static int cmp_arrival(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->ev < y->ev ? -1 : x->ev > y->ev;
}

static double gap_for(uint64_t dt_us)
{
    if (dt_us == 0) return 0;
    double g = 4.0 + 9.0 * m_log10(1.0 + (double)dt_us / 1000.0);
    return g > 46.0 ? 46.0 : g;
}

static void layout_free(struct layout *L)
{
    free(L->it);
    free(L->send_y);
    free(L->arrive_y);
}

/* Appends the events [from, to) and their arrivals to L->it: events in
 * recording order (it is time order), an arrival before the first event at
 * or after its time; arrivals left at the end follow the last event. */
static int merge_group(const struct render_ladder *rl, struct layout *L, size_t from, size_t to)
{
    size_t narr = 0;
    for (size_t i = from; i < to; i++)
        if (rl->ev[i].kind == RENDER_EV_SEG && rl->ev[i].u.seg.arrive_us != RENDER_UNKNOWN) narr++;
    struct item *arr = calloc(narr + 1, sizeof *arr);
    if (!arr) return -ENOMEM;
    size_t k = 0;
    for (size_t i = from; i < to; i++) {
        const struct render_event *e = &rl->ev[i];
        /* a lost segment keeps the row it would have arrived at: its arrow
         * then has the same slope as the others and stops part way */
        if (e->kind == RENDER_EV_SEG && e->u.seg.arrive_us != RENDER_UNKNOWN)
            arr[k++] = (struct item){IT_ARRIVE, i, e->u.seg.arrive_us, 0};
    }
    qsort(arr, narr, sizeof *arr, cmp_arrival);
    size_t a = 0;
    for (size_t i = from; i < to; i++) {
        const struct render_event *e = &rl->ev[i];
        uint64_t t = e->kind == RENDER_EV_SEG ? e->u.seg.t_us : e->u.st.t_us;
        while (a < narr && arr[a].t <= t) L->it[L->n++] = arr[a++];
        L->it[L->n++] = (struct item){e->kind == RENDER_EV_SEG ? IT_SEND : IT_STATE, i, t, 0};
    }
    while (a < narr) L->it[L->n++] = arr[a++];
    free(arr);
    return 0;
}

static uint64_t event_time(const struct render_event *e) { return e->kind == RENDER_EV_SEG ? e->u.seg.t_us : e->u.st.t_us; }

static int ladder_layout(const struct render_ladder *rl, struct layout *L)
{
    memset(L, 0, sizeof *L);
    size_t nev = rl->nev;
    if (nev > FOLD_HEAD + FOLD_TAIL + 20) {
        L->fold_from = FOLD_HEAD;
        L->fold_to = nev - FOLD_TAIL;
    }
    L->it = calloc(2 * nev + 2, sizeof *L->it);
    L->send_y = calloc(nev + 1, sizeof *L->send_y);
    L->arrive_y = calloc(nev + 1, sizeof *L->arrive_y);
    if (!L->it || !L->send_y || !L->arrive_y) {
        layout_free(L);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nev; i++) L->send_y[i] = L->arrive_y[i] = NAN;
    int rc;
    if (L->fold_to > L->fold_from) {
        rc = merge_group(rl, L, 0, L->fold_from);
        if (rc == 0) {
            L->it[L->n++] = (struct item){IT_FOLD, L->fold_from, event_time(&rl->ev[L->fold_to]), 0};
            rc = merge_group(rl, L, L->fold_to, nev);
        }
    } else {
        rc = merge_group(rl, L, 0, nev);
    }
    if (rc != 0) {
        layout_free(L);
        return rc;
    }

    double y = LAD_TOP;
    uint64_t prev_t = L->n ? L->it[0].t : 0;
    enum item_kind prev_kind = IT_SEND;
    for (size_t i = 0; i < L->n; i++) {
        struct item *it = &L->it[i];
        uint64_t dt = it->t > prev_t ? it->t - prev_t : 0;
        if (it->kind == IT_FOLD || prev_kind == IT_FOLD) dt = 0;
        y += gap_for(dt);
        if (i > 0) {
            /* room for the previous row's text, and for the next arrow's
             * label (written above the arrow's start): two sends are at
             * least 22 px apart, so their labels never meet */
            if (it->kind == IT_ARRIVE) y += prev_kind == IT_ARRIVE ? 20 : 4;
            else if (it->kind == IT_STATE) y += 18;
            else if (it->kind == IT_FOLD) y += 34;
            else y += prev_kind == IT_SEND ? 22 : prev_kind == IT_FOLD ? 40 : 18;
        }
        it->y = y;
        if (it->kind == IT_SEND) L->send_y[it->ev] = y;
        else if (it->kind == IT_ARRIVE) L->arrive_y[it->ev] = y;
        prev_t = it->t;
        prev_kind = it->kind;
    }
    L->height = y + 48;
    return 0;
}

/* ---- the ladder ----------------------------------------------------------------------- */

static const char *seg_color(const struct render_seg *s)
{
    if (s->marks & RENDER_M_LOST) return "#c62828";
    if (s->flags & TCP_RST) return "#b71c1c";
    if (s->marks & (RENDER_M_ANY_RETRANS | RENDER_M_OUT_OF_ORDER)) return "#e65100";
    if (s->flags & TCP_SYN) return "#6a1b9a";
    if (s->flags & TCP_FIN) return "#00695c";
    if (s->len > 0) return "#1f4e9a";
    return "#555555";
}

static void arrow_head(FILE *out, double x1, double y1, double x2, double y2, const char *color)
{
    double dx = x2 - x1, dy = y2 - y1, d = m_sqrt(dx * dx + dy * dy);
    if (d < 1) return;
    dx /= d;
    dy /= d;
    double bx = x2 - 10 * dx, by = y2 - 10 * dy;
    fprintf(out, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>\n", x2, y2, bx - 4 * dy,
            by + 4 * dx, bx + 4 * dy, by - 4 * dx, color);
}

static void fmt_time(uint64_t t_us, char *buf, size_t cap) { snprintf(buf, cap, "%.3f", (double)t_us / 1000.0); }

/* The row that stands for the folded middle of a long run. */
static void fold_row(const struct render_ladder *rl, const struct layout *L, double y, FILE *out)
{
    size_t segs = 0;
    for (size_t i = L->fold_from; i < L->fold_to; i++) segs += rl->ev[i].kind == RENDER_EV_SEG;
    uint64_t t0 = event_time(&rl->ev[L->fold_from]), t1 = event_time(&rl->ev[L->fold_to - 1]);
    fprintf(out,
            "<rect class=\"fold\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"30\" fill=\"#f3f3f3\" "
            "stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
            LAD_XT + 6, y - 15, LAD_W - LAD_XT - 16);
    fprintf(out,
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\" font-style=\"italic\">&#8942; %zu "
            "segments folded (%.3f ms to %.3f ms): the time-sequence graph and the text ladder show them all "
            "&#8942;</text>\n",
            (LAD_XL + LAD_XR) / 2, y + 4, segs, (double)t0 / 1000.0, (double)t1 / 1000.0);
}

/* The ladder; at_y >= 0 places it inside an enclosing SVG (a file with
 * several connections, one under the other). */
static void svg_ladder_at(const struct render_ladder *rl, FILE *out, double at_y)
{
    struct layout L;
    if (ladder_layout(rl, &L) != 0) {
        fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"30\"><text x=\"4\" "
                     "y=\"20\">out of memory</text></svg>\n");
        return;
    }
    char place[48] = "";
    if (at_y >= 0) snprintf(place, sizeof place, " x=\"0\" y=\"%.0f\"", at_y);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"%s width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
            "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"11\" role=\"img\">\n",
            place, LAD_W, L.height, LAD_W, L.height);
    fprintf(out, "<title>");
    render_xml_escape(out, rl->title);
    fprintf(out, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    /* headings and time lines */
    fprintf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"end\" fill=\"#444\">time (ms)</text>\n", LAD_XT);
    for (int side = 0; side < 2; side++) {
        int x = side ? LAD_XR : LAD_XL;
        fprintf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">", x);
        render_xml_escape(out, rl->side_name[side]);
        fprintf(out, "</text>\n<line x1=\"%d\" y1=\"34\" x2=\"%d\" y2=\"%.0f\" stroke=\"#222\" stroke-width=\"2\"/>\n",
                x, x, L.height - 20);
    }
    /* time breaks: a long quiet stretch gets a note across both lines */
    for (size_t i = 1; i < L.n; i++) {
        if (L.it[i].kind == IT_ARRIVE || L.it[i].kind == IT_FOLD || L.it[i - 1].kind == IT_FOLD) continue;
        if (L.it[i].t < L.it[i - 1].t || L.it[i].t - L.it[i - 1].t < 1000000u) continue;
        double y = (L.it[i].y + L.it[i - 1].y) / 2 + 4;
        fprintf(out,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#777\" font-style=\"italic\">"
                "&#8942; %.1f s later &#8942;</text>\n",
                (LAD_XL + LAD_XR) / 2, y, (double)(L.it[i].t - L.it[i - 1].t) / 1e6);
    }
    char last_time[32] = "";
    double last_time_y = -100;
    for (size_t i = 0; i < L.n; i++) {
        const struct item *it = &L.it[i];
        if (it->kind == IT_ARRIVE) continue;
        if (it->kind == IT_FOLD) {
            fold_row(rl, &L, it->y, out);
            continue;
        }
        const struct render_event *e = &rl->ev[it->ev];
        char tbuf[32];
        fmt_time(it->t, tbuf, sizeof tbuf);
        if (strcmp(tbuf, last_time) != 0 || it->y - last_time_y > 40) {
            fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%s</text>\n", LAD_XT,
                    it->y + 4, tbuf);
            snprintf(last_time, sizeof last_time, "%s", tbuf);
            last_time_y = it->y;
        }
        if (it->kind == IT_STATE) {
            const struct render_state *st = &e->u.st;
            int x = st->side ? LAD_XR : LAD_XL;
            fprintf(out, "<circle cx=\"%d\" cy=\"%.1f\" r=\"4\" fill=\"#fbc02d\" stroke=\"#222\"/>\n", x, it->y);
            fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"%s\"><tspan fill=\"#777\">", st->side ? x + 10 : x - 10,
                    it->y + 4, st->side ? "start" : "end");
            render_xml_escape(out, st->from);
            fprintf(out, " &#8594; </tspan><tspan font-weight=\"bold\">");
            render_xml_escape(out, st->to);
            fprintf(out, "</tspan></text>\n");
            continue;
        }
        const struct render_seg *s = &e->u.seg;
        double x1 = s->side ? LAD_XR : LAD_XL, x2 = s->side ? LAD_XL : LAD_XR;
        double y1 = it->y, y2 = isnan(L.arrive_y[it->ev]) ? y1 + 16 : L.arrive_y[it->ev];
        bool lost = (s->marks & RENDER_M_LOST) != 0;
        const char *color = seg_color(s);
        double ex = x2, ey = y2;
        if (lost) {
            ex = x1 + (x2 - x1) * 0.55;
            ey = y1 + (y2 - y1) * 0.55;
        }
        bool dashed = (s->marks & (RENDER_M_ANY_RETRANS | RENDER_M_OUT_OF_ORDER)) != 0;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.6\"%s/>\n",
                x1, y1, ex, ey, color, dashed ? " stroke-dasharray=\"6 3\"" : "");
        if (lost) {
            fprintf(out,
                    "<path d=\"M%.1f,%.1f l10,10 m0,-10 l-10,10\" stroke=\"#c62828\" stroke-width=\"3\" fill=\"none\"/>\n",
                    ex - 5, ey - 5);
        } else {
            arrow_head(out, x1, y1, ex, ey, color);
        }
        /* The label is written level, just above the arrow's start, from
         * the sender's line towards the peer: rows of sends are at least
         * 22 px apart, so labels of a burst never overlap (a label on the
         * middle of the arrow would meet the labels of crossing arrows). */
        char label[256], marks[256];
        render_seg_label(rl, s, label, sizeof label);
        render_marks_text(s, marks, sizeof marks);
        /* a very long label is squeezed to stay between the lines */
        size_t chars = strlen(label) + strlen(marks);
        char squeeze[64] = "";
        if (chars > LAD_LABEL_CHARS)
            snprintf(squeeze, sizeof squeeze, " textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\"",
                     LAD_XR - LAD_XL - 24);
        fprintf(out,
                "<text class=\"seg\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\" stroke=\"#ffffff\" "
                "stroke-width=\"3\" paint-order=\"stroke\"%s>",
                s->side ? x1 - 8 : x1 + 8, y1 - 4, s->side ? "end" : "start", color, squeeze);
        render_xml_escape(out, label);
        if (marks[0]) {
            fprintf(out, "<tspan font-weight=\"bold\">");
            render_xml_escape(out, marks + 1);
            fprintf(out, "</tspan>");
        }
        fprintf(out, "</text>\n");
    }
    fprintf(out, "</svg>\n");
    layout_free(&L);
}

/* ---- graphs ----------------------------------------------------------------------------- */

#define G_W 900
#define G_H 320
#define G_L 80
#define G_R 20
#define G_T 36
#define G_B 60

struct axes {
    double x0, x1, y0, y1; /* data ranges */
};

static double gx(const struct axes *a, double x)
{
    double r = a->x1 > a->x0 ? (x - a->x0) / (a->x1 - a->x0) : 0.5;
    return G_L + r * (G_W - G_L - G_R);
}

static double gy(const struct axes *a, double y)
{
    double r = a->y1 > a->y0 ? (y - a->y0) / (a->y1 - a->y0) : 0.0;
    if (r > 1.02) r = 1.02;
    return G_H - G_B - r * (G_H - G_T - G_B);
}

static double nice_step(double range)
{
    if (!(range > 0)) return 1;
    double raw = range / 6.0, p = 1;
    while (p * 10 <= raw) p *= 10;
    while (p > raw) p /= 10;
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void graph_open(FILE *out, const char *title, const struct axes *a, const char *xlabel, const char *ylabel)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\" role=\"img\">\n"
            "<title>",
            G_W, G_H, G_W, G_H);
    render_xml_escape(out, title);
    fprintf(out, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    fprintf(out, "<text x=\"%d\" y=\"20\" font-size=\"13\" font-weight=\"bold\">", G_L);
    render_xml_escape(out, title);
    fprintf(out, "</text>\n");
    double xs = nice_step(a->x1 - a->x0), ys = nice_step(a->y1 - a->y0);
    for (int k = 0; k < 40; k++) {
        double v = (m_ceil(a->x0 / xs) + k) * xs;
        if (v > a->x1 + xs * 1e-9) break;
        double x = gx(a, v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n", x, G_T, x, G_H - G_B);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">%g</text>\n", x, G_H - G_B + 14,
                v);
    }
    for (int k = 0; k < 40; k++) {
        double v = (m_ceil(a->y0 / ys) + k) * ys;
        if (v > a->y1 + ys * 1e-9) break;
        double y = gy(a, v);
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", G_L, y, G_W - G_R, y);
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%g</text>\n", G_L - 6, y + 4, v);
    }
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#222\">%s</text>\n"
            "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" fill=\"#222\" transform=\"rotate(-90 14 %d)\">%s</text>\n",
            G_L, G_T, G_W - G_L - G_R, G_H - G_T - G_B, (G_L + G_W - G_R) / 2, G_H - G_B + 30, xlabel, (G_T + G_H - G_B) / 2,
            (G_T + G_H - G_B) / 2, ylabel);
}

/* Legend entries go in a row under the x axis; *x is where the next starts. */
static void legend(FILE *out, int *x, const char *color, const char *text, bool dashed)
{
    int y = G_H - 8;
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"%s/>\n", *x, y - 4,
            *x + 22, y - 4, color, dashed ? " stroke-dasharray=\"4 3\"" : "");
    fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#222\">%s</text>\n", *x + 28, y, text);
    *x += 28 + (int)strlen(text) * 6 + 22;
}

static void empty_graph(FILE *out, const char *title, const char *note)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"empty\" width=\"%d\" height=\"70\" viewBox=\"0 0 %d 70\" "
            "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n<title>",
            G_W, G_W);
    render_xml_escape(out, title);
    fprintf(out, "</title>\n<rect x=\"1\" y=\"1\" width=\"%d\" height=\"68\" fill=\"#fafafa\" stroke=\"#bbb\" "
                 "stroke-dasharray=\"4 3\"/>\n<text x=\"14\" y=\"28\" font-weight=\"bold\">",
            G_W - 2);
    render_xml_escape(out, title);
    fprintf(out, "</text>\n<text x=\"14\" y=\"50\" fill=\"#555\">");
    render_xml_escape(out, note);
    fprintf(out, "</text>\n</svg>\n");
}

/* Sequence numbers relative to side's ISN, as a double (wraps taken care of
 * by the 32-bit subtraction). */
static double rel_to(const struct render_ladder *rl, int side, uint32_t v)
{
    return rl->have_isn[side] ? (double)(uint32_t)(v - rl->isn[side]) : (double)v;
}

void render_svg_timeseq(const struct render_ladder *rl, int side, FILE *out)
{
    char title[200];
    snprintf(title, sizeof title, "Time-sequence graph: data sent by the %s", rl->side_name[side]);
    struct axes a = {0, 0, 0, 0};
    bool first = true, any_data = false;
    double data_hi = 0, ack_hi = 0, win_hi = 0;
    for (size_t i = 0; i < rl->nev; i++) {
        const struct render_event *e = &rl->ev[i];
        if (e->kind != RENDER_EV_SEG) continue;
        const struct render_seg *s = &e->u.seg;
        double t = (double)s->t_us / 1000.0;
        if (first) a.x0 = a.x1 = t, first = false;
        if (t < a.x0) a.x0 = t;
        if (t > a.x1) a.x1 = t;
        if (s->side == side) {
            double hi = rel_to(rl, side, s->seq) + s->len + ((s->flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
            if (s->len > 0) any_data = true;
            if (hi > data_hi) data_hi = hi;
        } else if (s->flags & TCP_ACK) {
            double ack = rel_to(rl, side, s->ack);
            if (ack > ack_hi) ack_hi = ack;
            if (ack + s->win > win_hi) win_hi = ack + s->win;
        }
    }
    if (!any_data) {
        empty_graph(out, title, "no data sent in this direction");
        return;
    }
    double hi = data_hi > ack_hi ? data_hi : ack_hi;
    bool show_win = win_hi <= hi * 2.5 + 8;
    a.y0 = 0;
    a.y1 = (show_win && win_hi > hi ? win_hi : hi) * 1.08 + 1;
    if (a.x1 <= a.x0) a.x1 = a.x0 + 1;
    graph_open(out, title, &a, "time (ms)", rl->absolute ? "sequence number (from the ISN)" : "relative sequence number");
    /* the peer's ACKs and window edge, as step lines */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !show_win) break;
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"",
                pass ? "#b8860b" : "#2e7d32", pass ? " stroke-dasharray=\"5 3\"" : "");
        bool started = false;
        double prev = 0;
        for (size_t i = 0; i < rl->nev; i++) {
            const struct render_event *e = &rl->ev[i];
            if (e->kind != RENDER_EV_SEG || e->u.seg.side == side || !(e->u.seg.flags & TCP_ACK)) continue;
            const struct render_seg *s = &e->u.seg;
            double v = rel_to(rl, side, s->ack) + (pass ? s->win : 0);
            double x = gx(&a, (double)s->t_us / 1000.0);
            if (started) fprintf(out, "%.1f,%.1f ", x, gy(&a, prev));
            fprintf(out, "%.1f,%.1f ", x, gy(&a, v));
            prev = v;
            started = true;
        }
        if (started) fprintf(out, "%.1f,%.1f", gx(&a, a.x1), gy(&a, prev));
        fprintf(out, "\"/>\n");
    }
    /* the segments: a bar from seq to seq+len */
    for (size_t i = 0; i < rl->nev; i++) {
        const struct render_event *e = &rl->ev[i];
        if (e->kind != RENDER_EV_SEG || e->u.seg.side != side) continue;
        const struct render_seg *s = &e->u.seg;
        uint32_t span = s->len + ((s->flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
        if (span == 0) continue;
        double lo = rel_to(rl, side, s->seq), x = gx(&a, (double)s->t_us / 1000.0);
        double y0 = gy(&a, lo), y1 = gy(&a, lo + span);
        if (y0 - y1 < 3) y1 = y0 - 3;
        bool re = (s->marks & (RENDER_M_ANY_RETRANS | RENDER_M_OUT_OF_ORDER)) != 0;
        const char *c = (s->marks & RENDER_M_LOST) ? "#9e9e9e" : re ? "#c62828" : "#1f4e9a";
        fprintf(out,
                "<path d=\"M%.1f,%.1f V%.1f M%.1f,%.1f h6 M%.1f,%.1f h6\" stroke=\"%s\" stroke-width=\"1.6\" "
                "fill=\"none\"/>\n",
                x, y0, y1, x - 3, y0, x - 3, y1, c);
        if (s->marks & RENDER_M_LOST)
            fprintf(out, "<path d=\"M%.1f,%.1f l8,8 m0,-8 l-8,8\" stroke=\"#c62828\" stroke-width=\"2\"/>\n", x - 4,
                    y1 - 10);
    }
    int lx = G_L;
    legend(out, &lx, "#1f4e9a", "segment (seq..seq+len)", false);
    legend(out, &lx, "#c62828", "retransmitted", false);
    legend(out, &lx, "#9e9e9e", "lost (X)", false);
    legend(out, &lx, "#2e7d32", "ACKed by the peer", false);
    if (show_win) legend(out, &lx, "#b8860b", "peer's window edge", true);
    else
        fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#b8860b\">window edge off the scale (up to %.0f)</text>\n", lx,
                G_H - 8, win_hi);
    fprintf(out, "</svg>\n");
}

void render_svg_samples(const struct render_ladder *rl, int side, bool rtt, FILE *out)
{
    char title[200];
    snprintf(title, sizeof title, "%s of the %s", rtt ? "SRTT and RTO (ms)" : "cwnd and ssthresh (bytes)",
             rl->side_name[side]);
    struct axes a = {0, 0, 0, 0};
    size_t n = 0;
    for (size_t i = 0; i < rl->nsamples; i++) {
        const struct render_sample *s = &rl->samples[i];
        if (s->side != side) continue;
        double t = (double)s->t_us / 1000.0;
        double v1 = rtt ? s->srtt_us / 1000.0 : s->cwnd, v2 = rtt ? s->rto_us / 1000.0 : s->ssthresh;
        if (!rtt && s->ssthresh >= 0x7fffffffu) v2 = 0; /* "infinite" ssthresh is not drawn */
        if (n == 0) a.x0 = a.x1 = t;
        if (t < a.x0) a.x0 = t;
        if (t > a.x1) a.x1 = t;
        if (v1 > a.y1) a.y1 = v1;
        if (v2 > a.y1) a.y1 = v2;
        n++;
    }
    if (n == 0) {
        empty_graph(out, title, rl->samples_note[0] ? rl->samples_note : "not recorded");
        return;
    }
    if (a.x1 <= a.x0) a.x1 = a.x0 + 1;
    a.y1 = a.y1 * 1.1 + 1;
    graph_open(out, title, &a, "time (ms)", rtt ? "milliseconds" : "bytes");
    for (int pass = 0; pass < 2; pass++) {
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
                pass ? "#c62828" : "#1f4e9a", pass ? " stroke-dasharray=\"5 3\"" : "");
        bool started = false;
        double prev = 0;
        for (size_t i = 0; i < rl->nsamples; i++) {
            const struct render_sample *s = &rl->samples[i];
            if (s->side != side) continue;
            double v = rtt ? (pass ? s->rto_us : s->srtt_us) / 1000.0 : (pass ? s->ssthresh : s->cwnd);
            if (!rtt && pass && s->ssthresh >= 0x7fffffffu) continue;
            double x = gx(&a, (double)s->t_us / 1000.0);
            if (started) fprintf(out, "%.1f,%.1f ", x, gy(&a, prev));
            fprintf(out, "%.1f,%.1f ", x, gy(&a, v));
            prev = v;
            started = true;
        }
        fprintf(out, "\"/>\n");
    }
    int lx = G_L;
    legend(out, &lx, "#1f4e9a", rtt ? "SRTT" : "cwnd", false);
    legend(out, &lx, "#c62828", rtt ? "RTO" : "ssthresh", true);
    fprintf(out, "</svg>\n");
}

void render_svg_ladder(const struct render_ladder *rl, FILE *out) { svg_ladder_at(rl, out, -1); }

static double ladder_height(const struct render_ladder *rl)
{
    struct layout L;
    if (ladder_layout(rl, &L) != 0) return 30;
    double h = L.height;
    layout_free(&L);
    return h;
}

int render_write_svg(const struct render_ladder *rl, const char *path)
{
    struct render_ladder *one[1] = {(struct render_ladder *)rl};
    return render_write_svgs(one, 1, path);
}

int render_write_svgs(struct render_ladder *const *rls, size_t n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (n == 1) {
        render_svg_ladder(rls[0], f);
    } else {
        /* one ladder per connection, each with its own pair of lines and a
         * heading, one under the other */
        double total = 0;
        for (size_t i = 0; i < n; i++) total += 28 + ladder_height(rls[i]);
        fprintf(f,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
                "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n<rect width=\"100%%\" "
                "height=\"100%%\" fill=\"#ffffff\"/>\n",
                LAD_W, total, LAD_W, total);
        double y = 0;
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "<text x=\"8\" y=\"%.0f\" font-size=\"15\" font-weight=\"bold\">", y + 20);
            render_xml_escape(f, rls[i]->title);
            fprintf(f, "</text>\n");
            svg_ladder_at(rls[i], f, y + 28);
            y += 28 + ladder_height(rls[i]);
        }
        fprintf(f, "</svg>\n");
    }
    int err = ferror(f) ? -EIO : 0;
    if (fclose(f) != 0 && !err) err = -errno;
    return err;
}
