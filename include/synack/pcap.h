/*
 * synack/pcap.h — writing packet captures (classic libpcap format).
 *
 * Owns: the pcap file header and per-packet records, link type
 * LINKTYPE_RAW (101: each record is a bare IPv4 packet), microsecond
 * timestamps given by the caller (virtual or real). Must not touch: packet
 * contents (written as given) or any clock.
 */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "synack/export.h"

struct synack_pcap;

/* Creates (truncates) path and writes the file header. On failure returns
 * NULL and stores a negative errno in *err (if err is not NULL). */
SYNACK_API struct synack_pcap *synack_pcap_open(const char *path, int *err);
/* Appends one packet with timestamp t_us (microseconds since the epoch the
 * caller chooses). Returns 0 or a negative errno. */
SYNACK_API int synack_pcap_write(struct synack_pcap *p, const uint8_t *pkt, size_t len, uint64_t t_us);
/* Flushes and closes; returns 0 or a negative errno from the final write. */
SYNACK_API int synack_pcap_close(struct synack_pcap *p);

#endif
