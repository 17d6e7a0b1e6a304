/*
 * html.c — one self-contained page: the explanation, each connection's
 * ladder and its graphs (see render.h).
 *
 * The page is XHTML-compatible HTML5 (every element closed, text escaped)
 * so that xmllint can check it as XML, with inline SVG and an inline style
 * sheet: nothing is fetched from the network, no script runs.
 *
 * Map: paragraphs (plain text with blank lines -> <p>); the ladder's text
 * form captured through open_memstream; render_write_html.
 */
#include "render.h"
#include "scenarios.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "synack/wire.h"

static void paragraphs(FILE *out, const char *text)
{
    if (!text || !*text) return;
    fputs("<p>", out);
    for (const char *p = text; *p; p++) {
        if (p[0] == '\n' && p[1] == '\n') {
            fputs("</p>\n<p>", out);
            while (p[1] == '\n') p++;
            continue;
        }
        char c[2] = {*p, 0};
        render_xml_escape(out, c);
    }
    fputs("</p>\n", out);
}

static const char *how_to_read =
    "How to read the ladder: time runs down. The left line is the client (the side that opened the "
    "connection), the right line the server. Each arrow is one TCP segment, labelled with its flags, its "
    "sequence number (seq), the acknowledgment number (ack), the payload length (len) and the advertised "
    "receive window (win), then the options it carries. Sequence numbers are relative to each side's "
    "initial sequence number, as Wireshark shows them, unless the page says they are absolute. The SYN and "
    "the FIN each take one sequence number.\n\n"
    "Each end's state is written beside its line where it changes (old state, arrow, new state in bold). A "
    "segment the network lost ends in a red cross. Retransmissions and out-of-order segments are drawn "
    "dashed in orange; the marks in bold after a label are those of Wireshark's TCP analysis (dup ack, "
    "zero window, window update, keep-alive, reset, ...). A long quiet stretch, such as TIME_WAIT's "
    "2\xc3\x97MSL, is shortened and labelled with how long it lasted.\n\n"
    "The time-sequence graph (the \xe2\x80\x9cStevens\xe2\x80\x9d graph of tcptrace and Wireshark) plots "
    "the data one side sends: each segment is a vertical bar from its first to its last sequence number, "
    "at the time it was sent. The green step line is what the peer has acknowledged, the dashed gold line "
    "the edge of the peer's receive window (ACK + window): the sender may not send above it. A steady "
    "staircase is a healthy transfer; bars below the ACK line or repeated bars are retransmissions; a flat "
    "gap is the sender waiting.";

static void text_ladder(FILE *out, const struct render_ladder *rl)
{
    char *buf = NULL;
    size_t len = 0;
    const char *text = rl->text_ladder;
    FILE *m = NULL;
    if (!text) {
        m = open_memstream(&buf, &len);
        if (!m) return;
        render_text(rl, m);
        fclose(m);
        text = buf;
    }
    fputs("<details><summary>The same ladder as text</summary>\n<pre>", out);
    render_xml_escape(out, text ? text : "");
    fputs("</pre></details>\n", out);
    free(buf);
}

static bool has_data(const struct render_ladder *rl, int side)
{
    for (size_t i = 0; i < rl->nev; i++)
        if (rl->ev[i].kind == RENDER_EV_SEG && rl->ev[i].u.seg.side == side && rl->ev[i].u.seg.len > 0) return true;
    return false;
}

static bool has_samples(const struct render_ladder *rl, int side)
{
    for (size_t i = 0; i < rl->nsamples; i++)
        if (rl->samples[i].side == side) return true;
    return false;
}

int render_write_html(struct render_ladder *const *rls, size_t n, const char *page_title, const char *intro,
                      const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) return -errno;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<title>",
          out);
    render_xml_escape(out, page_title);
    fputs("</title>\n<style>\n"
          "body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1000px;"
          " color: #222; background: #fff; line-height: 1.45; }\n"
          "h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ccc; }\n"
          "h3 { font-size: 15px; margin-top: 22px; }\n"
          "svg { display: block; margin: 8px 0; max-width: 100%; height: auto; border: 1px solid #e4e4e4; }\n"
          "pre { font-size: 11px; background: #f7f7f7; padding: 8px; overflow-x: auto; }\n"
          "p.note { color: #555; font-size: 13px; }\n"
          "details.about { color: #333; font-size: 14px; margin-bottom: 8px; }\n"
          "</style>\n</head>\n<body>\n<h1>",
          out);
    render_xml_escape(out, page_title);
    fputs("</h1>\n", out);
    /* The ladder comes first; what the page is and how to read it is one
     * click away, each connection's story right under its ladder. */
    fputs("<details class=\"about\"><summary>About this page and how to read the pictures</summary>\n", out);
    paragraphs(out, intro);
    paragraphs(out, how_to_read);
    fputs("</details>\n", out);
    if (n == 0) fputs("<p><strong>No TCP connection to show.</strong></p>\n", out);
    for (size_t i = 0; i < n; i++) {
        const struct render_ladder *rl = rls[i];
        fprintf(out, "<h2 id=\"conn%zu\">", i + 1);
        render_xml_escape(out, rl->title);
        fputs("</h2>\n", out);
        render_svg_ladder(rl, out);
        if (rl->intro) {
            fputs("<h3>What happens here</h3>\n", out);
            paragraphs(out, rl->intro);
        }
        text_ladder(out, rl);
        fputs("<h3>Time-sequence graphs</h3>\n", out);
        bool any = false;
        for (int side = 0; side < 2; side++) {
            if (!has_data(rl, side)) continue;
            render_svg_timeseq(rl, side, out);
            any = true;
        }
        if (!any) fputs("<p class=\"note\">No data was sent in either direction.</p>\n", out);
        /* Only the sides the stack reported on get graphs: an empty frame
         * says nothing a sentence cannot. */
        fputs("<h3>Congestion window, slow-start threshold, smoothed RTT and RTO</h3>\n", out);
        bool sampled = false;
        for (int side = 0; side < 2; side++) {
            if (!has_samples(rl, side)) continue;
            render_svg_samples(rl, side, false, out);
            render_svg_samples(rl, side, true, out);
            sampled = true;
        }
        if (!sampled) {
            fputs("<p class=\"note\">", out);
            render_xml_escape(out, rl->samples_note[0] ? rl->samples_note : "Not recorded.");
            fputs("</p>\n", out);
        } else {
            for (int side = 0; side < 2; side++) {
                if (has_samples(rl, side)) continue;
                fputs("<p class=\"note\">The ", out);
                render_xml_escape(out, rl->side_name[side]);
                fputs(" had no connection to report on.</p>\n", out);
            }
        }
    }
    fputs("<p class=\"note\">Made by synack. This page is self-contained: it needs no network access.</p>\n"
          "</body>\n</html>\n",
          out);
    int err = ferror(out) ? -EIO : 0;
    if (fclose(out) != 0 && !err) err = -errno;
    return err;
}

/* ---- `synack lab --svg/--html` ------------------------------------------------------ */

int render_lab_pictures(struct render_ladder *const *rls, size_t n, const struct lab_options *o,
                        const struct lab_result *res, const char *svg, const char *html)
{
    if (n == 0) return -EINVAL;
    struct render_ladder *rl = rls[0];
    /* The scenario's own explanation when one is played; the default
     * scenario's story otherwise. */
    const struct scenario *sc = o->scenario ? scenario_find(o->scenario) : NULL;
    char story[2400];
    if (sc)
        snprintf(story, sizeof story, "Scenario %s: %s. %s", sc->name, sc->title, sc->explanation);
    else
        snprintf(story, sizeof story,
                 "The client (10.0.0.1) connects to the server (10.0.0.2:80) and sends an 18-byte request; the "
                 "server answers %" PRIu64 " bytes; the client closes first, then the server.",
                 o->bytes);
    char result[400];
    snprintf(result, sizeof result,
             "Result: %" PRIu64 " segments, %" PRIu64 " lost in the network, %" PRIu64 " retransmissions; %s.",
             res->segments, res->lost, res->retransmissions,
             res->completed ? "completed byte-exact, both sides reached CLOSED"
                            : (res->failure[0] ? res->failure : "did not complete"));
    char told[3000];
    snprintf(told, sizeof told, "%s\n\n%s", story, result);
    render_set_intro(rl, told);
    char intro[1200];
    snprintf(intro, sizeof intro,
             "synack lab: two synack stacks in the simulated network. One-way delay %u ms; loss %g, "
             "reorder %g, duplicate %g, corrupt %g (each way); seed %" PRIu64 "; 2\xc3\x97MSL %u ms. Times are "
             "virtual milliseconds. A segment's arrow starts when it is sent and ends one delay later, when it "
             "arrives.",
             o->delay_ms, o->loss, o->reorder, o->duplicate, o->corrupt, o->seed, 2 * o->msl_ms);
    int err = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rls[i]->absolute) rls[i]->absolute = o->absolute;
        if (!rls[i]->samples_note[0])
            snprintf(rls[i]->samples_note, sizeof rls[i]->samples_note,
                     "not recorded: the stack reported no congestion window or RTO for this connection");
    }
    if (svg) err = render_write_svgs(rls, n, svg);
    if (html && !err) err = render_write_html(rls, n,
                                            n == 1 ? "synack lab: a TCP connection, segment by segment"
                                                   : "synack lab: TCP connections, segment by segment",
                                            intro, html);
    return err;
}
