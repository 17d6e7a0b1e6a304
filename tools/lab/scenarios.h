/*
 * scenarios.h — the scenarios of `synack lab --scenario NAME`.
 *
 * Owns: the scenario table (name, title, the explanation a reader sees
 * first, default options, the applications' behaviour, the impairment plan,
 * the expected state sequences and the check of the key segments), the two
 * applications (client and server, small state machines driven by
 * world_run through scen_turn), the simulator filter that carries out the
 * impairment plan (targeted drops and hold-backs), and the forged packets
 * of an off-path attacker. Must not touch: the ladder, the options parser,
 * the summary (tools/lab.c owns them), stack internals (public API only).
 */
#ifndef SYNACK_TOOLS_SCENARIOS_H
#define SYNACK_TOOLS_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab.h"
#include "synack/synack.h"
#include "world.h"

#define SCEN_CLIENT_ADDR 0x0a000001u /* 10.0.0.1 */
#define SCEN_SERVER_ADDR 0x0a000002u /* 10.0.0.2 */
#define SCEN_SERVER_PORT 80
#define SCEN_REQUEST "GET / HTTP/1.0\r\n\r\n"
#define SCEN_ANSWER "Hello, Client!"
#define SCEN_MAX_CONNS 4

/* ---- the applications' behaviour ------------------------------------------ */

enum scen_client_close {
    SCEN_CLOSE_AFTER_ANSWER = 0, /* close once the whole answer is in (or at an early EOF) */
    SCEN_CLOSE_AFTER_EOF,        /* read until the server's FIN, then close */
    SCEN_CLOSE_NEVER,            /* keep reading until an error ends the connection */
};

struct scen_client {
    int nconns;                  /* connections to make (0 means 1) */
    uint32_t conn_gap_ms;        /* connection i starts i*gap after the first ... */
    bool sequential;             /* ... after connection i-1 is CLOSED at the client */
    uint16_t lport;              /* bind this local port (with SO_REUSEADDR); 0: ephemeral */
    uint16_t dport;              /* port to connect to (0: 80) */
    uint32_t request_delay_ms;   /* wait after ESTABLISHED before sending the request */
    uint32_t write_size;         /* the request in writes of this many bytes (0: one write) */
    uint32_t write_gap_ms;       /* between those writes */
    bool nodelay;                /* TCP_NODELAY */
    uint32_t rcvbuf;             /* SO_RCVBUF (0: the stack's default) */
    uint32_t read_at_ms;         /* do not read before this virtual time */
    bool no_read;                /* never read: close with the answer unread */
    enum scen_client_close close;
    bool shutdown_after_request; /* shutdown(SHUT_WR) once the request is sent */
    uint32_t close_delay_ms;     /* wait this long once it is time to close */
    uint32_t close_at_ms;        /* and close no earlier than this virtual time */
    bool linger_abort;           /* SO_LINGER {1, 0}: close sends RST */
    bool keepalive;              /* SO_KEEPALIVE (times from the tunables) */
    uint32_t rcvtimeo_ms;        /* its recv() blocks, with SO_RCVTIMEO this long (0: no timeout) */
};

enum scen_server_close {
    SCEN_SCLOSE_AFTER_EOF = 0,   /* read until the client's FIN, then close */
    SCEN_SCLOSE_AFTER_ANSWER,    /* close as soon as the answer is queued */
};

struct scen_server {
    int backlog;                 /* listen() backlog (0: 8) */
    uint32_t accept_at_ms;       /* do not accept before this virtual time */
    bool active_open;            /* no listener: connect to the client's lport (simultaneous open) */
    bool answer_after_eof;       /* read the request and the client's FIN, then answer */
    uint32_t think_ms;           /* between reading the request and answering */
    bool quickack_off;           /* TCP_QUICKACK 0: delayed ACKs from the start */
    enum scen_server_close close;
    uint32_t close_delay_ms;     /* wait this long once it is time to close */
    uint32_t close_at_ms;        /* and close no earlier than this virtual time */
    bool keepalive;
    uint32_t sndtimeo_ms;        /* its send() blocks, with SO_SNDTIMEO this long (0: no timeout) */
    uint32_t linger_s;           /* close() with SO_LINGER {1, linger_s} on a blocking socket */
    bool restart;                /* once the first connection is closed, close the listener and listen
                                  * again on port 80: bind() without SO_REUSEADDR, then with it */
};

/* ---- the impairment plan ---------------------------------------------------- */

enum scen_match {
    SCEN_M_ANY = 0,
    SCEN_M_SYN,         /* SYN without ACK */
    SCEN_M_SYNACK,      /* SYN|ACK */
    SCEN_M_PURE_ACK,    /* ACK only, no payload (the handshake's third segment first) */
    SCEN_M_DATA,        /* payload > 0 */
    SCEN_M_FIN,         /* FIN set */
    SCEN_M_ACK_OF_FIN,  /* a pure ACK that acknowledges the peer's FIN */
    SCEN_M_RST,
};

struct scen_rule {
    int side;            /* sender: 0 client, 1 server, -1 either */
    bool active;         /* false: an unused slot */
    enum scen_match match;
    unsigned nth;        /* act on the nth match (1-based); 0: on every match */
    uint32_t hold_ms;    /* 0: drop it; otherwise deliver it this much later (reordering) */
    uint32_t from_ms;    /* only from this virtual time on */
};

enum scen_inject_kind {
    SCEN_INJ_NONE = 0,
    SCEN_INJ_RST_IN_WINDOW,  /* one RST forged as the client's, in the server's window */
    SCEN_INJ_SYN_FLOOD,      /* count SYNs to port 80 from spoofed addresses (10.0.9.1, ...) */
};

#define SCEN_FLOOD_NET 0x0a000900u /* 10.0.9.0/24: the spoofed sources (no host answers there) */

struct scen_inject {
    enum scen_inject_kind kind;
    uint32_t at_ms;      /* when the attacker sends */
    int count;           /* SYN flood: how many SYNs */
};

/* ---- expectations (tests/test_scenarios.c) ---------------------------------- */

#define SCEN_MAX_EXPECT 24
struct scen_expect {
    enum synack_tcp_state client[SCEN_MAX_EXPECT], server[SCEN_MAX_EXPECT];
    int nclient, nserver;
    int client_error, server_error; /* negative errno the apps must see (0: none) */
    bool no_data;                   /* the answer need not arrive complete */
};

/* The key segments: returns true when the run shows them; otherwise false
 * with a reason in why. Run with the scenario's default options. */
typedef bool (*scen_check_fn)(const struct lab_result *r, char *why, size_t cap);

struct scenario {
    const char *name;
    const char *title;        /* one line */
    const char *explanation;  /* a few sentences; paragraphs split by "\n\n" */
    /* default options (the command line overrides them) */
    uint32_t delay_ms;        /* 0: 10 */
    uint64_t bytes;           /* 0: 14 ("Hello, Client!") */
    uint32_t msl_ms;          /* 0: 30000 */
    uint64_t limit_s;         /* 0: 3600 */
    const char *set[4];       /* tunables, "name=value" */
    uint32_t rate_mbit;       /* a bottleneck each way (0: none) ... */
    uint32_t queue_bytes;     /* ... its drop-tail queue ... */
    uint32_t ce_bytes;        /* ... and its ECN marking threshold (RFC 3168) */
    struct scen_client client;
    struct scen_server server;
    struct scen_rule rules[3];
    struct scen_inject inject;
    struct scen_expect expect;
    scen_check_fn check;
};

extern const struct scenario scenarios[];
extern const size_t scenario_count;

/* NULL when there is no scenario of that name. */
const struct scenario *scenario_find(const char *name);
/* The default scenario (handshake), used by plain `synack lab`. */
const struct scenario *scenario_default(void);
/* Puts the scenario's defaults into o (before the command line is applied). */
void scenario_apply_defaults(const struct scenario *sc, struct lab_options *o);
/* `synack lab --list`. */
void scenario_list(FILE *out);
/* Prints the explanation wrapped to width columns. */
void scenario_explain(const struct scenario *sc, FILE *out, int width);

/* ---- a run (used by tools/lab.c) ---------------------------------------------- */

struct scen_capp {                /* one client connection */
    int sd, phase;
    uint64_t start_us, wait_us;   /* wait_us: a timer of the current phase (0 none) */
    uint64_t req_sent, ans_recv;
    uint64_t block_until;         /* a blocking call with a timeout: when it gives up (0: none) */
};

struct scen_sapp {                /* one server connection */
    int sd, phase;
    uint64_t wait_us;
    uint64_t req_recv, ans_sent;
    uint8_t req_buf[64];
    uint64_t block_until;         /* a blocking send or close: when it gives up (0: none) */
};

struct scen_run {
    const struct scenario *sc;
    const struct lab_options *opt;
    struct lab_result *res;
    struct world *w;
    int client_host, server_host;
    void (*listen_line)(void *ctx, uint64_t now); /* prints "CLOSED -> LISTEN" */
    void *line_ctx;
    /* applications */
    int nconns;
    struct scen_capp c[SCEN_MAX_CONNS];
    int cstarted;                 /* client connections started so far */
    uint64_t next_start_us;       /* when the next one may start */
    struct scen_sapp s[SCEN_MAX_CONNS];
    int naccepted, lsd, server_phase;
    bool restarted;               /* scen_server.restart done */
    int live[2];                  /* connections not CLOSED, per side (from the state hook) */
    uint64_t wake_us;             /* the earliest timer the applications wait for */
    /* the filter and the attacker */
    unsigned rule_hits[3];
    bool fin_seen[2];
    uint32_t fin_end[2];          /* sequence number after each side's last FIN */
    bool have_last[2];
    struct { uint16_t sport, dport; uint32_t seq_end, ack; } last[2];
    bool injected, injecting;
    uint64_t held_us;             /* extra delay the filter gave the packet being sent */
};

/* Prepares r (zeroed by the caller) and installs the filter and the clock
 * for the applications' timers. Returns 0 or a negative errno. */
int scen_setup(struct scen_run *r, const struct scenario *sc, const struct lab_options *o, struct lab_result *res,
               struct world *w, int client_host, int server_host);
/* The applications' turn: true when they are done (lab.c also waits for
 * every connection to reach CLOSED). */
bool scen_turn(struct scen_run *r);
/* A connected socket of side (0 client, 1 server) for TCP_INFO samples, -1 none. */
int scen_socket(const struct scen_run *r, int side);
/* A state change seen by the state hook (keeps live[] and the sequencing). */
void scen_on_state(struct scen_run *r, int side, enum synack_tcp_state from, enum synack_tcp_state to);
/* Byte i of the server's answer. */
uint8_t scen_answer_byte(uint64_t i);

#endif
