/*
 * script.c — `synack script FILE.pkt ...` and script_run_file (see script.h).
 *
 * Owns: the command line (--tolerance_usecs, --verbose), reading a script
 * file (bounded size), parse-then-run for one file with its verdict line,
 * and the closing "N passed, N failed[, N skipped]" summary. Must not
 * touch: grammar (script_parse.c) or running (script_run.c).
 */
#include "script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "script_ast.h"

#define SCRIPT_MAX_BYTES (4u << 20)

void script_options_default(struct script_options *o)
{
    memset(o, 0, sizeof *o);
    o->tolerance_usecs = 4000; /* packetdrill's default */
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(SCRIPT_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, SCRIPT_MAX_BYTES + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad || n > SCRIPT_MAX_BYTES) {
        free(buf);
        snprintf(err, errlen, bad ? "read error" : "larger than %u bytes", SCRIPT_MAX_BYTES);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int script_run_file(const char *path, const struct script_options *o, FILE *out)
{
    struct script_options defaults;
    if (!o) {
        script_options_default(&defaults);
        o = &defaults;
    }
    char err[256];
    size_t len = 0;
    char *text = read_file(path, &len, err, sizeof err);
    if (!text) {
        fprintf(out, "FAIL %s: cannot read: %s\n", path, err);
        return SCRIPT_FAIL;
    }
    struct sc_script s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.text = text;
    s.text_len = len;
    int result;
    if (sc_parse(&s, text, len) != 0) {
        fprintf(out, "FAIL %s\n", s.err[0] ? s.err : "syntax error");
        result = SCRIPT_FAIL;
    } else if (s.skip) {
        fprintf(out, "SKIP %s:%d: %s\n", path, s.skip_line, s.skip);
        result = SCRIPT_SKIP;
    } else {
        result = sc_run(&s, o, out);
    }
    sc_arena_free(&s.arena);
    free(text);
    return result;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack script [--tolerance_usecs N] [--verbose] [--unchecked-tail] FILE.pkt [FILE.pkt ...]\n\n"
            "Runs packetdrill-syntax scripts against a fresh synack stack on a virtual clock\n"
            "(synack is 192.168.0.1, the script's peer 192.0.2.1) and prints PASS, FAIL (with\n"
            "the line, what was expected and what synack did) or SKIP per script.\n\n"
            "  --tolerance_usecs N  timing tolerance for outbound segments (default 4000)\n"
            "  --verbose            print each event as it runs\n"
            "  --unchecked-tail     segments sent after the last outbound line fail nothing\n"
            "                       (packetdrill never reads them; for Linux's own scripts)\n\n"
            "Exit status: 0 nothing failed, 1 a script failed, 77 every script skipped,\n"
            "2 bad usage. The format is described in docs/SCRIPTS.md.\n");
}

int script_main(int argc, char **argv)
{
    struct script_options o;
    script_options_default(&o);
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o.verbose = true;
        } else if (!strcmp(a, "--unchecked-tail")) {
            o.unchecked_tail = true;
        } else if (!strncmp(a, "--tolerance_usecs", 17)) {
            const char *v = a[17] == '=' ? a + 18 : (a[17] == '\0' && i + 1 < argc) ? argv[++i] : NULL;
            char *end;
            long long n = v ? strtoll(v, &end, 10) : -1;
            if (!v || *end || n < 0) {
                fprintf(stderr, "synack script: --tolerance_usecs needs a number of microseconds\n");
                return 2;
            }
            o.tolerance_usecs = n;
        } else if (!strcmp(a, "--")) {
            first = i + 1;
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "synack script: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (int i = first; i < argc; i++) {
        int r = script_run_file(argv[i], &o, stdout);
        if (r == SCRIPT_PASS) passed++;
        else if (r == SCRIPT_SKIP) skipped++;
        else failed++;
        fflush(stdout);
    }
    printf("%d passed, %d failed", passed, failed);
    if (skipped) printf(", %d skipped", skipped);
    printf("\n");
    if (failed) return 1;
    if (skipped && !passed) return 77;
    return 0;
}
