/*
 * http.h — the little HTTP/1.1 that `synack serve --http` and `synack get`
 * speak: request and response heads, chunked bodies, file names for paths.
 *
 * Owns: parsing of message heads (RFC 9112 sections 3, 4 and 5: start line,
 * header fields, Content-Length, Transfer-Encoding: chunked, Connection),
 * the chunked-body decoder, mapping a request target to a file under the
 * served directory, media types. Must not touch: sockets, the stack, the
 * event loop (serve.c and client.c move the bytes).
 *
 * Every parser works on a buffer that may hold a partial head: it returns 0
 * ("need more"), the length of the head when it is complete, or -1 when the
 * head is malformed.
 */
#ifndef SYNACK_TOOLS_HTTP_H
#define SYNACK_TOOLS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 8192

struct http_request {
    char method[16];
    char target[2048];      /* as sent */
    int minor;              /* HTTP/1.<minor> */
    bool keep_alive;        /* after this request (version default + Connection) */
    bool has_length;
    uint64_t content_length; /* a request body, skipped */
    bool chunked;           /* a chunked request body: not supported (400) */
};

/* Returns the head's length (> 0), 0 if incomplete, -1 if malformed,
 * HTTP_HEAD_TOO_LARGE when HTTP_MAX_HEAD bytes hold no complete head (431). */
#define HTTP_HEAD_TOO_LARGE (-2)
long http_parse_request(const char *buf, size_t len, struct http_request *req);

struct http_response {
    int status;
    int minor;
    bool keep_alive;
    bool has_length;
    uint64_t content_length;
    bool chunked;
};
long http_parse_response(const char *buf, size_t len, struct http_response *resp);

/* The decoder of a chunked body (RFC 9112 7.1): feed it bytes, it tells how
 * many of them are payload. */
struct http_chunked {
    int state;          /* internal */
    uint64_t left;      /* payload bytes left in the current chunk */
    bool done;          /* the last chunk and the trailer were read */
    bool error;
};
/* Consumes from in[0..len): payload bytes are copied to out (which has room
 * for len bytes) and counted in *nout. Returns the bytes consumed (it stops
 * after the end of the body), or -1 on a malformed body. */
long http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, uint8_t *out, size_t *nout);

/* Maps a request target to a path under root (percent-decoded, query
 * dropped, no ".." segment). Returns 0 or -1 (400: bad target). */
int http_target_to_path(const char *root, const char *target, char *out, size_t cap);
/* The media type for a file name, by extension. */
const char *http_media_type(const char *path);
/* The reason phrase of a status code. */
const char *http_reason(int status);
/* An IMF-fixdate for now (RFC 9110 5.6.7), 29 characters + NUL. */
void http_date(char out[40]);

#endif
