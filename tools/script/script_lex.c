/*
 * script_lex.c — the tokenizer of `synack script`, and the arena the parsed
 * script lives in.
 *
 * Owns: turning a script's bytes into tokens with line numbers (see
 * script_ast.h for the kinds). Comments are // to end of line and C-style
 * blocks. Every read is bounded by the length given: a script need not be
 * NUL-terminated and a malformed one (unterminated string, `command`, %{
 * block or comment, a number too large) is an error naming its line, never a
 * read past the end. Must not touch: grammar (script_parse.c).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_ast.h"

/* ---- arena ---------------------------------------------------------------- */

void *sc_alloc(struct sc_arena *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **b = realloc(a->blocks, cap * sizeof *b);
        if (!b) return NULL;
        a->blocks = b;
        a->cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p) return NULL;
    a->blocks[a->n++] = p;
    return p;
}

char *sc_strndup(struct sc_arena *a, const char *s, size_t n)
{
    char *p = sc_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sc_arena_free(struct sc_arena *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

/* ---- tokenizer ------------------------------------------------------------ */

struct lexer {
    struct sc_arena *a;
    const char *p, *end;
    int line;
    struct sc_token *toks;
    size_t n, cap;
    char *err;
    size_t errlen;
};

static int lex_error(struct lexer *lx, int line, const char *fmt, ...)
{
    int k = snprintf(lx->err, lx->errlen, "line %d: ", line);
    if (k < 0 || (size_t)k >= lx->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->err + k, lx->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static struct sc_token *push(struct lexer *lx, enum sc_tok_kind kind, int line)
{
    if (lx->n == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 256;
        struct sc_token *t = realloc(lx->toks, cap * sizeof *t);
        if (!t) return NULL;
        lx->toks = t;
        lx->cap = cap;
    }
    struct sc_token *t = &lx->toks[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->line = line;
    return t;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Text between an opening and a closing delimiter (which may be two bytes),
 * counting lines. Returns 0 and the content, or -1 when unterminated. */
static int delimited(struct lexer *lx, const char *close, size_t closelen, const char **text)
{
    const char *start = lx->p;
    while ((size_t)(lx->end - lx->p) >= closelen) {
        if (memcmp(lx->p, close, closelen) == 0) {
            *text = sc_strndup(lx->a, start, (size_t)(lx->p - start));
            lx->p += closelen;
            return *text ? 0 : -1;
        }
        if (*lx->p == '\n') lx->line++;
        lx->p++;
    }
    return -1;
}

static int lex_number(struct lexer *lx)
{
    int line = lx->line;
    const char *p = lx->p;
    if (p + 1 < lx->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        uint64_t v = 0;
        int digits = 0;
        while (p < lx->end && is_hex(*p)) {
            if (++digits > 16) return lex_error(lx, line, "hex number too long");
            char c = *p++;
            v = v * 16 + (uint64_t)(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        if (digits == 0) return lex_error(lx, line, "0x without hex digits");
        if (v > INT64_MAX) return lex_error(lx, line, "number too large");
        struct sc_token *t = push(lx, TK_INT, line);
        if (!t) return -1;
        t->num = (int64_t)v;
        lx->p = p;
        return 0;
    }
    int64_t ip = 0;
    int digits = 0;
    while (p < lx->end && is_digit(*p)) {
        if (++digits > 18) return lex_error(lx, line, "number too large");
        ip = ip * 10 + (*p++ - '0');
    }
    /* A fraction only when '.' is followed by a digit: "0...0.2" is 0, ..., 0.2. */
    if (p + 1 < lx->end && *p == '.' && is_digit(p[1])) {
        p++;
        int64_t frac = 0;
        int fd = 0;
        while (p < lx->end && is_digit(*p)) {
            if (fd < 6) {
                frac = frac * 10 + (*p - '0');
                fd++;
            }
            p++;
        }
        while (fd < 6) {
            frac *= 10;
            fd++;
        }
        if (ip > INT64_MAX / 1000000 - 1) return lex_error(lx, line, "time too large");
        struct sc_token *t = push(lx, TK_FLOAT, line);
        if (!t) return -1;
        t->num = ip * 1000000 + frac;
        lx->p = p;
        return 0;
    }
    struct sc_token *t = push(lx, TK_INT, line);
    if (!t) return -1;
    t->num = ip;
    lx->p = p;
    return 0;
}

int sc_lex(struct sc_arena *a, const char *text, size_t len, struct sc_token **out,
           size_t *count, char *err, size_t errlen)
{
    struct lexer lx = {.a = a, .p = text, .end = text + len, .line = 1, .err = err, .errlen = errlen};
    int rc = 0;
    while (lx.p < lx.end && rc == 0) {
        char c = *lx.p;
        int line = lx.line;
        size_t left = (size_t)(lx.end - lx.p);
        if (c == '\n') {
            lx.line++;
            lx.p++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx.p++;
        } else if (left >= 2 && c == '/' && lx.p[1] == '/') {
            while (lx.p < lx.end && *lx.p != '\n') lx.p++;
        } else if (left >= 2 && c == '/' && lx.p[1] == '*') {
            const char *ignored;
            lx.p += 2;
            if (delimited(&lx, "*/", 2, &ignored)) rc = lex_error(&lx, line, "unterminated /* comment");
        } else if (left >= 2 && c == '%' && lx.p[1] == '{') {
            struct sc_token *t = push(&lx, TK_CODE, line);
            lx.p += 2;
            if (!t || delimited(&lx, "}%", 2, &t->text)) rc = lex_error(&lx, line, "unterminated %%{ block");
        } else if (c == '`') {
            struct sc_token *t = push(&lx, TK_BACKQ, line);
            lx.p++;
            if (!t || delimited(&lx, "`", 1, &t->text)) rc = lex_error(&lx, line, "unterminated `command`");
        } else if (c == '"') {
            /* C string with the common escapes; the content is kept decoded. */
            lx.p++;
            char *buf = sc_alloc(a, left);
            size_t n = 0;
            bool closed = false;
            while (buf && lx.p < lx.end) {
                char ch = *lx.p++;
                if (ch == '"') {
                    closed = true;
                    break;
                }
                if (ch == '\n') break;
                if (ch == '\\' && lx.p < lx.end) {
                    char e = *lx.p++;
                    ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
                }
                buf[n++] = ch;
            }
            if (!buf || !closed) {
                rc = lex_error(&lx, line, "unterminated string");
            } else {
                struct sc_token *t = push(&lx, TK_STRING, line);
                if (!t) rc = -1;
                else t->text = buf;
            }
        } else if (left >= 3 && c == '-' && lx.p[1] == '-' && is_alpha(lx.p[2])) {
            const char *s = lx.p;
            while (lx.p < lx.end && *lx.p != ' ' && *lx.p != '\t' && *lx.p != '\n' && *lx.p != '\r') lx.p++;
            struct sc_token *t = push(&lx, TK_OPTION, line);
            if (!t || !(t->text = sc_strndup(a, s, (size_t)(lx.p - s)))) rc = -1;
        } else if (left >= 3 && c == '.' && lx.p[1] == '.' && lx.p[2] == '.') {
            if (!push(&lx, TK_ELLIPSIS, line)) rc = -1;
            lx.p += 3;
        } else if (is_digit(c) || (left >= 2 && c == '.' && is_digit(lx.p[1]))) {
            rc = lex_number(&lx);
        } else if (is_alpha(c)) {
            const char *s = lx.p;
            while (lx.p < lx.end && (is_alpha(*lx.p) || is_digit(*lx.p))) lx.p++;
            struct sc_token *t = push(&lx, TK_WORD, line);
            if (!t || !(t->text = sc_strndup(a, s, (size_t)(lx.p - s)))) rc = -1;
        } else {
            struct sc_token *t = push(&lx, TK_PUNCT, line);
            if (!t) rc = -1;
            else t->c = c;
            lx.p++;
        }
    }
    if (rc == 0 && !push(&lx, TK_EOF, lx.line)) rc = -1;
    if (rc != 0) {
        if (!err[0]) snprintf(err, errlen, "out of memory");
        free(lx.toks);
        return -1;
    }
    /* The token array joins the arena so it is freed with the script. */
    struct sc_token *kept = sc_alloc(a, lx.n * sizeof *kept);
    if (!kept) {
        free(lx.toks);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(kept, lx.toks, lx.n * sizeof *kept);
    free(lx.toks);
    *out = kept;
    *count = lx.n;
    return 0;
}
