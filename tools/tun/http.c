/*
 * http.c — HTTP/1.1 message heads, chunked bodies, paths (see http.h).
 *
 * Map: head_end() finds the empty line; next_line() walks the head;
 * header() handles the fields both sides care about; the request and
 * response parsers; the chunked decoder; target -> path; media types.
 *
 * Leniency, as real servers and clients: a bare LF ends a line as CRLF does
 * (RFC 9112 2.2); field names are case-insensitive; leading and trailing
 * whitespace of field values is ignored.
 */
#define _GNU_SOURCE
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Length of the head including its empty line, or 0 if not complete. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n') continue;
        if (i + 1 < len && buf[i + 1] == '\n') return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}

/* The line starting at *pos (without its CR LF); advances *pos. */
static bool next_line(const char *buf, size_t end, size_t *pos, const char **line, size_t *llen)
{
    if (*pos >= end) return false;
    const char *p = buf + *pos;
    const char *nl = memchr(p, '\n', end - *pos);
    if (!nl) return false;
    size_t n = (size_t)(nl - p);
    *pos += n + 1;
    if (n && p[n - 1] == '\r') n--;
    *line = p;
    *llen = n;
    return true;
}

static bool token_has(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++) {
        if (strncasecmp(v + i, tok, tl) == 0 && (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
            (i + tl == n || v[i + tl] == ',' || v[i + tl] == ' '))
            return true;
    }
    return false;
}

struct fields {
    bool conn_close, conn_keep_alive, has_length, chunked, bad;
    uint64_t length;
};

static void header(const char *line, size_t n, struct fields *f)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line) {
        f->bad = true;
        return;
    }
    size_t nl = (size_t)(colon - line);
    if (line[nl - 1] == ' ' || line[nl - 1] == '\t') { /* no space before the colon (RFC 9112 5.1) */
        f->bad = true;
        return;
    }
    const char *v = colon + 1, *e = line + n;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t vl = (size_t)(e - v);
    if (nl == 10 && !strncasecmp(line, "connection", 10)) {
        if (token_has(v, vl, "close")) f->conn_close = true;
        if (token_has(v, vl, "keep-alive")) f->conn_keep_alive = true;
    } else if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
        uint64_t x = 0;
        if (vl == 0 || vl > 19) f->bad = true;
        for (size_t i = 0; i < vl; i++) {
            if (!isdigit((unsigned char)v[i])) {
                f->bad = true;
                break;
            }
            x = x * 10 + (uint64_t)(v[i] - '0');
        }
        if (f->has_length && f->length != x) f->bad = true;
        f->has_length = true;
        f->length = x;
    } else if (nl == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
        if (token_has(v, vl, "chunked")) f->chunked = true;
    }
}

static bool parse_version(const char *p, size_t n, int *minor)
{
    if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7])) return false;
    *minor = p[7] - '0';
    return true;
}

long http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    memset(req, 0, sizeof *req);
    size_t end = head_end(buf, len);
    if (!end) return len >= HTTP_MAX_HEAD ? HTTP_HEAD_TOO_LARGE : 0;
    size_t pos = 0;
    const char *line;
    size_t n;
    /* RFC 9112 2.2: ignore empty lines before the request line. */
    do {
        if (!next_line(buf, end, &pos, &line, &n)) return -1;
    } while (n == 0 && pos < end);
    const char *sp1 = memchr(line, ' ', n);
    if (!sp1) return -1;
    const char *rest = sp1 + 1;
    const char *sp2 = memchr(rest, ' ', (size_t)(line + n - rest));
    if (!sp2) return -1;
    size_t ml = (size_t)(sp1 - line), tl = (size_t)(sp2 - rest);
    if (ml == 0 || ml >= sizeof req->method || tl == 0 || tl >= sizeof req->target) return -1;
    memcpy(req->method, line, ml);
    memcpy(req->target, rest, tl);
    if (!parse_version(sp2 + 1, (size_t)(line + n - sp2 - 1), &req->minor)) return -1;
    struct fields f = {0};
    while (next_line(buf, end, &pos, &line, &n) && n) header(line, n, &f);
    if (f.bad) return -1;
    req->keep_alive = req->minor >= 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
    req->has_length = f.has_length;
    req->content_length = f.length;
    req->chunked = f.chunked;
    return (long)end;
}

long http_parse_response(const char *buf, size_t len, struct http_response *resp)
{
    memset(resp, 0, sizeof *resp);
    size_t end = head_end(buf, len);
    if (!end) return len >= HTTP_MAX_HEAD * 4 ? -1 : 0;
    size_t pos = 0;
    const char *line;
    size_t n;
    if (!next_line(buf, end, &pos, &line, &n) || n < 12) return -1;
    if (!parse_version(line, 8, &resp->minor) || line[8] != ' ') return -1;
    if (!isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) || !isdigit((unsigned char)line[11]))
        return -1;
    resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    struct fields f = {0};
    while (next_line(buf, end, &pos, &line, &n) && n) header(line, n, &f);
    if (f.bad) return -1;
    resp->keep_alive = resp->minor >= 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
    resp->chunked = f.chunked;
    resp->has_length = f.has_length && !f.chunked;
    resp->content_length = f.length;
    return (long)end;
}

/* ---- chunked bodies (RFC 9112 7.1) ---------------------------------------- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LINE };

long http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, uint8_t *out, size_t *nout)
{
    size_t i = 0;
    *nout = 0;
    int digits = 0;
    while (i < len && !c->done) {
        uint8_t b = in[i];
        switch (c->state) {
        case CH_SIZE:
            if (isxdigit(b)) {
                if (c->left >> 56) goto bad;
                c->left = c->left * 16 + (uint64_t)(isdigit(b) ? b - '0' : (tolower(b) - 'a' + 10));
                digits++;
            } else if (b == ';' || b == ' ' || b == '\t') {
                c->state = CH_EXT;
            } else if (b == '\r') {
                c->state = CH_SIZE_LF;
            } else if (b == '\n') {
                c->state = c->left ? CH_DATA : CH_TRAILER;
            } else {
                goto bad;
            }
            i++;
            break;
        case CH_EXT:
            if (b == '\n') c->state = c->left ? CH_DATA : CH_TRAILER;
            i++;
            break;
        case CH_SIZE_LF:
            if (b != '\n') goto bad;
            c->state = c->left ? CH_DATA : CH_TRAILER;
            i++;
            break;
        case CH_DATA: {
            size_t take = len - i;
            if (take > c->left) take = (size_t)c->left;
            memcpy(out + *nout, in + i, take);
            *nout += take;
            i += take;
            c->left -= take;
            if (!c->left) c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (b == '\r') c->state = CH_DATA_LF;
            else if (b == '\n') c->state = CH_SIZE;
            else goto bad;
            i++;
            break;
        case CH_DATA_LF:
            if (b != '\n') goto bad;
            c->state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER: /* at the start of a trailer line: an empty one ends the body */
            if (b == '\r') {
                i++;
            } else if (b == '\n') {
                c->done = true;
                i++;
            } else {
                c->state = CH_TRAILER_LINE;
            }
            break;
        case CH_TRAILER_LINE:
            if (b == '\n') c->state = CH_TRAILER;
            i++;
            break;
        }
    }
    (void)digits;
    return (long)i;
bad:
    c->error = true;
    return -1;
}

/* ---- paths ------------------------------------------------------------------ */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int http_target_to_path(const char *root, const char *target, char *out, size_t cap)
{
    const char *t = target;
    /* absolute-form (RFC 9112 3.2.2): drop scheme and authority */
    if (!strncasecmp(t, "http://", 7)) {
        t = strchr(t + 7, '/');
        if (!t) t = "/";
    }
    if (*t != '/') return -1;
    char path[2048];
    size_t n = 0;
    for (; *t && *t != '?' && *t != '#'; t++) {
        int ch = (unsigned char)*t;
        if (ch == '%') {
            int hi = hexval(t[1]), lo = hi < 0 ? -1 : hexval(t[2]);
            if (lo < 0) return -1;
            ch = hi * 16 + lo;
            t += 2;
        }
        if (ch == 0 || n + 1 >= sizeof path) return -1;
        path[n++] = (char)ch;
    }
    path[n] = '\0';
    /* No segment may be "..": the path stays under root. */
    for (const char *s = path; *s;) {
        while (*s == '/') s++;
        const char *e = strchr(s, '/');
        size_t sl = e ? (size_t)(e - s) : strlen(s);
        if (sl == 2 && s[0] == '.' && s[1] == '.') return -1;
        s += sl;
    }
    int w = snprintf(out, cap, "%s%s", root, path);
    return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}

const char *http_media_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
        {".js", "text/javascript"},            {".json", "application/json"},
        {".png", "image/png"},                 {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},               {".gif", "image/gif"},
        {".svg", "image/svg+xml"},             {".ico", "image/x-icon"},
        {".pdf", "application/pdf"},           {".md", "text/markdown; charset=utf-8"},
        {".c", "text/plain; charset=utf-8"},   {".h", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

void http_date(char out[40])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
