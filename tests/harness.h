/*
 * harness.h — the tiny test harness every tests/test_*.c uses.
 *
 * Owns: assertion macros that print both operands and the line, a test
 * registry, and the process exit code. Must not touch: synack internals.
 * A failed CHECK records the failure and continues the test; REQUIRE returns
 * from the current test function. main() comes from TEST_MAIN().
 */
#ifndef SYNACK_TEST_HARNESS_H
#define SYNACK_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_failures;
static int harness_checks;
static const char *harness_current = "";

#define HARNESS_FAIL(...)                                                        \
    do {                                                                         \
        harness_failures++;                                                      \
        fprintf(stderr, "FAIL %s (%s:%d): ", harness_current, __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                                            \
        fprintf(stderr, "\n");                                                   \
    } while (0)

#define CHECK(cond)                                                              \
    do {                                                                         \
        harness_checks++;                                                        \
        if (!(cond)) HARNESS_FAIL("%s", #cond);                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                           \
    do {                                                                         \
        long long va_ = (long long)(a), vb_ = (long long)(b);                    \
        harness_checks++;                                                        \
        if (va_ != vb_) HARNESS_FAIL("%s == %s: got %lld, expected %lld", #a, #b, va_, vb_); \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *sa_ = (a), *sb_ = (b);                                       \
        harness_checks++;                                                        \
        if (strcmp(sa_, sb_) != 0) HARNESS_FAIL("%s == %s: got \"%s\", expected \"%s\"", #a, #b, sa_, sb_); \
    } while (0)

#define CHECK_MEM(a, b, n)                                                       \
    do {                                                                         \
        harness_checks++;                                                        \
        if (memcmp((a), (b), (n)) != 0) HARNESS_FAIL("%s and %s differ in %zu bytes", #a, #b, (size_t)(n)); \
    } while (0)

#define REQUIRE(cond)                                                            \
    do {                                                                         \
        harness_checks++;                                                        \
        if (!(cond)) { HARNESS_FAIL("required: %s", #cond); return; }            \
    } while (0)

typedef void (*harness_fn)(void);
struct harness_case { const char *name; harness_fn fn; };

#define TEST_MAIN(...)                                                           \
    int main(int argc, char **argv)                                              \
    {                                                                            \
        static const struct harness_case cases[] = {__VA_ARGS__};                \
        size_t n = sizeof cases / sizeof cases[0];                               \
        for (size_t i = 0; i < n; i++) {                                         \
            if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;       \
            int before = harness_failures;                                       \
            harness_current = cases[i].name;                                     \
            cases[i].fn();                                                       \
            printf("%s %s\n", harness_failures == before ? "ok  " : "FAIL", cases[i].name); \
        }                                                                        \
        printf("%d checks, %d failures\n", harness_checks, harness_failures);    \
        return harness_failures ? 1 : 0;                                         \
    }
#define TEST(fn) {#fn, fn}

#endif
