/*
 * hello_sim.c — the tutorial's server and client, unchanged, on a
 * simulated network: two synack hosts joined by a 10 ms link, the server
 * (hello_server.c) on 10.0.0.1 and the client (hello_client.c) on 10.0.0.2,
 * each in its own thread, both blocking in synack_host_* calls.
 *
 * The threads are started with synack_simnet_spawn and synack_simnet_run,
 * so virtual time moves only while both are blocked inside synack: the
 * client cannot connect before the server listens, and every run is the
 * same.
 */
#define HELLO_NO_MAIN
#include "hello_client.c"
#include "hello_server.c"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct hello_env {
    synack_host *server, *client;
    int server_result, client_result;
};

static void *server_thread(void *arg)
{
    struct hello_env *e = arg;
    e->server_result = hello_server(e->server, HELLO_PORT);
    return NULL;
}

static void *client_thread(void *arg)
{
    struct hello_env *e = arg;
    e->client_result = hello_client(e->client, synack_host_addr(e->server), HELLO_PORT);
    return NULL;
}

int main(void)
{
    synack_simnet *net;
    struct hello_env e = {0};
    int err = synack_simnet_create(&net, 1);
    if (!err) err = synack_simnet_add_host(net, synack_ipv4(10, 0, 0, 1), NULL, &e.server);
    if (!err) err = synack_simnet_add_host(net, synack_ipv4(10, 0, 0, 2), NULL, &e.client);
    struct synack_sim_link_params link = {.delay_us = 10000};
    if (!err && synack_simnet_link(net, e.server, e.client, &link, &link) < 0) err = -EINVAL;
    if (err) {
        fprintf(stderr, "hello_sim: setup failed: %s\n", synack_strerror(err));
        return 1;
    }

    if (synack_simnet_spawn(net, server_thread, &e) || synack_simnet_spawn(net, client_thread, &e) ||
        synack_simnet_run(net)) {
        fprintf(stderr, "hello_sim: cannot start threads\n");
        return 1;
    }
    uint64_t done = synack_simnet_now(net);
    int64_t settled = synack_simnet_settle(net, UINT64_MAX - 1);
    fflush(stdout);
    fprintf(stderr, "hello_sim: done at %" PRIu64 " us virtual, all closed at %" PRId64 " us\n",
            done, settled);
    synack_simnet_destroy(net);
    return e.server_result == 0 && e.client_result == 0 ? 0 : 1;
}
