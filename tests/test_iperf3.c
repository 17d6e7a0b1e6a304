/*
 * test_iperf3.c — the parameter reader of `synack serve --iperf3`: what the
 * iperf3 client sends (3.x's object, with -R, -n, -k, -P, -l), and hostile
 * objects (truncated at every length, bad numbers, deep nesting), which
 * must be refused with a reason, never read past their end.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "iperf3.h"

static const char client_312[] =
    "{\"tcp\":true,\"omit\":0,\"time\":1,\"num\":0,\"blockcount\":0,\"parallel\":2,\"len\":1000,"
    "\"pacing_timer\":1000,\"client_version\":\"3.12\"}";

static void defaults_and_timed(void)
{
    struct iperf3_params p;
    const char *why = "unset";
    REQUIRE(iperf3_parse_params(client_312, strlen(client_312), &p, &why) == 0);
    CHECK(why == NULL);
    CHECK(p.tcp);
    CHECK(!p.udp && !p.reverse && !p.bidirectional);
    CHECK(p.time_s == 1.0);
    CHECK_EQ(p.parallel, 2);
    CHECK_EQ(p.len, 1000);
    CHECK_EQ(p.bytes, 0);
    /* the NUL a C client may send after the object is accepted */
    REQUIRE(iperf3_parse_params(client_312, sizeof client_312, &p, &why) == 0);
}

static void reverse_bytes_blocks(void)
{
    const char *j = "{ \"tcp\" : true, \"time\":10, \"num\": 3145728, \"reverse\":true, \"len\":131072,"
                    " \"extra\": {\"a\":[1,2,{\"b\":\"x\\\"y\"}]}, \"udp\":false }";
    struct iperf3_params p;
    const char *why;
    REQUIRE(iperf3_parse_params(j, strlen(j), &p, &why) == 0);
    CHECK(p.reverse);
    CHECK_EQ(p.bytes, 3145728);
    CHECK(p.time_s == 0); /* -n ends the test, not time */
    CHECK_EQ(p.len, 131072);
    const char *k = "{\"tcp\":true,\"blockcount\":100,\"time\":10}";
    REQUIRE(iperf3_parse_params(k, strlen(k), &p, &why) == 0);
    CHECK_EQ(p.blocks, 100);
    CHECK(p.time_s == 0);
}

static void hostile(void)
{
    struct iperf3_params p;
    const char *why;
    /* every truncation of a valid object is refused */
    for (size_t n = 0; n + 1 < strlen(client_312); n++) {
        char *cut = malloc(n ? n : 1); /* exactly n bytes: ASan sees any over-read */
        memcpy(cut, client_312, n);
        CHECK(iperf3_parse_params(cut, n, &p, &why) == -1);
        CHECK(why != NULL);
        free(cut);
    }
    static const char *const bad[] = {
        "[]", "{\"tcp\":true,}", "{\"time\":-1}", "{\"time\":1e400}", "{\"parallel\":\"x\"}",
        "{\"len\":12abc}", "{\"tcp\" true}", "{\"tcp\":true} trailing", "{tcp:true}", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(iperf3_parse_params(bad[i], strlen(bad[i]), &p, &why) == -1);
        CHECK(why != NULL);
    }
    /* nesting deeper than the reader goes */
    char deep[200] = "{\"a\":";
    size_t n = strlen(deep);
    for (int i = 0; i < 40; i++) deep[n++] = '[';
    for (int i = 0; i < 40; i++) deep[n++] = ']';
    deep[n++] = '}';
    CHECK(iperf3_parse_params(deep, n, &p, &why) == -1);
}

TEST_MAIN(TEST(defaults_and_timed), TEST(reverse_bytes_blocks), TEST(hostile))
