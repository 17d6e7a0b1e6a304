/*
 * script_ast.h — internal to `synack script`: the tokens and the parsed form
 * of a packetdrill script.
 *
 * Owns: token kinds (script_lex.c makes them), the event list and its parts
 * (script_parse.c makes them, script_run.c plays them), and the arena every
 * node lives in (freed at once with the script). Times are microseconds of
 * script time (0 = the script's start). Must not touch: the stack.
 */
#ifndef SYNACK_TOOLS_SCRIPT_AST_H
#define SYNACK_TOOLS_SCRIPT_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena ---------------------------------------------------------------- */
struct sc_arena {
    void **blocks;
    size_t n, cap;
};
/* Zeroed memory that lives until sc_arena_free; NULL only when out of memory. */
void *sc_alloc(struct sc_arena *a, size_t size);
char *sc_strndup(struct sc_arena *a, const char *s, size_t n);
void sc_arena_free(struct sc_arena *a);

/* ---- tokens --------------------------------------------------------------- */
enum sc_tok_kind {
    TK_EOF,
    TK_INT,      /* decimal or 0x hex; .num */
    TK_FLOAT,    /* d.d or .d; .num is microseconds (for times) */
    TK_WORD,     /* [A-Za-z_][A-Za-z0-9_]* */
    TK_STRING,   /* "..." with C escapes; .text */
    TK_BACKQ,    /* `shell command`; .text */
    TK_CODE,     /* %{ python }%; .text */
    TK_OPTION,   /* --name or --name=value at the head of a script; .text */
    TK_ELLIPSIS, /* ... */
    TK_PUNCT,    /* any other single character; .c */
};

struct sc_token {
    enum sc_tok_kind kind;
    int line;
    int64_t num;
    char c;
    const char *text; /* arena string for WORD/STRING/BACKQ/CODE/OPTION */
};

/* Splits text into tokens. Returns 0, or -1 with err set to "line N: ...". */
int sc_lex(struct sc_arena *a, const char *text, size_t len, struct sc_token **out,
           size_t *count, char *err, size_t errlen);

/* ---- expressions (system call arguments) ---------------------------------- */
enum sx_kind {
    SX_ELLIPSIS, /* ... : anything / let the runner choose */
    SX_INT,      /* .num */
    SX_WORD,     /* .str: a symbol (SOL_SOCKET, POLLIN, ...) */
    SX_STRING,   /* .str */
    SX_OR,       /* .lhs | .rhs */
    SX_ASSIGN,   /* .str = .rhs (struct field) */
    SX_LIST,     /* [ items ] */
    SX_BRACE,    /* { items } */
    SX_CALL,     /* .str ( items ), e.g. htons(8080) */
};

struct sx {
    enum sx_kind kind;
    int line;
    int64_t num;
    const char *str;
    struct sx *lhs, *rhs;
    struct sx **items;
    int n;
};

/* ---- events --------------------------------------------------------------- */
enum sc_time_kind {
    ST_ABS,       /* 0.100 */
    ST_REL,       /* +0.100 */
    ST_ANY,       /* * (outbound packets only) */
    ST_ABS_RANGE, /* 0.1~0.2 (outbound packets only) */
    ST_REL_RANGE, /* +0.1~+0.2 (outbound packets only) */
};

enum sc_event_kind { EV_PACKET, EV_SYSCALL, EV_SHELL, EV_CODE };

#define SC_MAX_OPTS 40
#define SC_MAX_SACK 4
#define SC_MAX_FRAGS 16

struct sc_tcp_opt {
    uint8_t kind;          /* TCP_OPT_* of wire.h */
    uint32_t a, b;         /* mss / wscale: a; timestamps: a = val, b = ecr */
    uint8_t nsack;
    uint32_t sack[SC_MAX_SACK][2];
};

/* How an IP ECN field given in a packet line is used: none given (inbound:
 * Not-ECT; outbound: not compared), that codepoint, either ECT one. */
enum { SC_ECN_NONE, SC_ECN_EXACT, SC_ECN_ECT01 };

struct sc_packet {
    bool outbound;
    uint8_t ecn_check;      /* SC_ECN_* */
    uint8_t ecn;            /* IP_ECN_* of wire.h, with SC_ECN_EXACT */
    uint8_t flags;          /* TCP_* flag bits of wire.h */
    uint32_t seq;           /* script numbering (see script_run.c) */
    uint32_t len;
    bool has_ack, has_win, has_urg;
    uint32_t ack;
    uint16_t win, urg;
    bool any_opts;          /* <...> */
    /* An ICMP error instead of a TCP segment (inbound only): type and code,
     * the next-hop MTU of "frag_needed", and the quoted TCP segment of
     * synack's (seq numbered as synack's outbound segments; none given: 0). */
    bool icmp;
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_mtu;
    uint32_t icmp_seq, icmp_len;
    int nopts;
    struct sc_tcp_opt opts[SC_MAX_OPTS];
    /* synack's own: `ipfrag [id N] A:B,...` sends the inbound segment as IPv4
     * fragments, bytes [A, B) of the IP payload each, in the order given */
    int nfrags;
    bool has_frag_id;
    uint16_t frag_id;
    struct { uint16_t start, end; } frags[SC_MAX_FRAGS];
};

#define SC_MAX_ARGS 8

struct sc_syscall {
    const char *name;
    struct sx *args[SC_MAX_ARGS];
    int nargs;
    bool result_any;        /* = ... */
    int64_t result;
    const char *errno_name; /* NULL when the script names none */
    bool has_end;           /* t...end form: a blocking call and its return time */
    int64_t end;
    bool end_rel;           /* ...+t : relative to the call's start */
};

struct sc_event {
    int line;
    enum sc_event_kind kind;
    enum sc_time_kind tk;
    int64_t t, t_end;       /* t_end for ranges */
    struct sc_packet pkt;
    struct sc_syscall sys;
    const char *text;       /* shell command or code */
    struct sc_event *next;
};

struct sc_script {
    const char *path;
    const char *text;        /* the script's bytes (for quoting lines) */
    size_t text_len;
    struct sc_arena arena;
    struct sc_event *events;
    bool has_tolerance;
    int64_t tolerance_usecs;
    const char *skip;        /* non-NULL: needs something synack lacks */
    int skip_line;
    char err[512];           /* parse error, "path:line: message" */
    /* Header options that were recognised but ignored, for the log. */
    const char *ignored[16];
    int nignored;
};

/* Parses text into s (s->path set by the caller). Returns 0; -1 with s->err
 * set on a syntax error. A construct synack cannot play sets s->skip (and
 * parsing stops there: the script will be reported SKIP). */
int sc_parse(struct sc_script *s, const char *text, size_t len);

/* Plays a parsed script. Returns an enum script_result. */
struct script_options;
int sc_run(struct sc_script *s, const struct script_options *o, FILE *out);

#endif
