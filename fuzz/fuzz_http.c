/*
 * fuzz_http.c — libFuzzer target for the HTTP/1.1 of `synack serve --http`
 * and `synack get`: request and response heads, the chunked-body decoder,
 * and the mapping of a request target to a file name.
 *
 * Checked beyond "no crash": a head's length never exceeds the input; the
 * chunked decoder never reports more payload than it consumed; a target
 * that maps to a path gives one under the root with no ".." segment.
 *
 *   build-fuzz/fuzz/fuzz_http -max_total_time=300 fuzz/corpus/http
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/srv/www"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    /* First byte: which parser; the rest: its input (an exact-size copy so
     * ASan sees any read past the end). */
    uint8_t which = data[0] % 4;
    size--;
    char *in = malloc(size ? size : 1);
    if (!in) return 0;
    memcpy(in, data + 1, size);
    switch (which) {
    case 0: {
        struct http_request rq;
        long h = http_parse_request(in, size, &rq);
        if (h > (long)size) __builtin_trap();
        if (h > 0 && (!memchr(rq.method, 0, sizeof rq.method) || !memchr(rq.target, 0, sizeof rq.target)))
            __builtin_trap();
        break;
    }
    case 1: {
        struct http_response rs;
        long h = http_parse_response(in, size, &rs);
        if (h > (long)size) __builtin_trap();
        break;
    }
    case 2: {
        struct http_chunked c;
        memset(&c, 0, sizeof c);
        uint8_t *out = malloc(size ? size : 1);
        if (!out) break;
        /* Fed in pieces of varying size, as the network would. */
        size_t off = 0, piece = 1;
        while (off < size && !c.done && !c.error) {
            size_t n = size - off < piece ? size - off : piece;
            size_t nout = 0;
            long used = http_chunked_feed(&c, (const uint8_t *)in + off, n, out, &nout);
            if (used < 0) break;
            if ((size_t)used > n || nout > (size_t)used) __builtin_trap();
            off += (size_t)used;
            if (used == 0 && !c.done) break;
            piece = piece * 3 % 17 + 1;
        }
        free(out);
        break;
    }
    default: {
        char *target = malloc(size + 1);
        if (!target) break;
        memcpy(target, in, size);
        target[size] = '\0';
        char path[4096];
        if (http_target_to_path(ROOT, target, path, sizeof path) == 0) {
            if (strncmp(path, ROOT, strlen(ROOT)) != 0) __builtin_trap();
            const char *rest = path + strlen(ROOT);
            if (*rest && *rest != '/') __builtin_trap();
            if (strstr(rest, "/../") || (strlen(rest) >= 3 && !strcmp(rest + strlen(rest) - 3, "/..")))
                __builtin_trap();
        }
        http_media_type(target);
        free(target);
        break;
    }
    }
    free(in);
    return 0;
}
