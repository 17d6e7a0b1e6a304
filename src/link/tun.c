/*
 * tun.c — a Linux TUN interface as a link (see include/synack/tun.h).
 *
 * Owns: the /dev/net/tun descriptor, TUNSETIFF, the interface's MTU and up
 * flag (through an AF_INET control socket), batched reads and writes, and
 * the sentences that explain failures. Must not touch: packet contents, the
 * stack, any clock.
 *
 * Map: explain() (errno -> a sentence naming the argument and the fix);
 * iface_*() (ioctls on a control socket); synack_tun_open/close; the batch
 * reads and writes.
 *
 * A TUN read returns exactly one packet and a write takes exactly one; there
 * is no recvmmsg for a character device. "Batch" here means: drain what is
 * waiting in one wake-up (reads until EAGAIN, up to n) and write what the
 * stack produced in one go, so the event loop sleeps once per burst instead
 * of once per packet.
 */
#define _GNU_SOURCE
#include "synack/tun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifdef __linux__
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || !whylen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* What kind of interface is `name`? 0: none, 1: a TUN, 2: a TAP, 3: other,
 * 4: a multi-queue TUN. */
static int iface_kind(const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s", name);
    struct stat st;
    if (stat(path, &st) != 0) return if_nametoindex(name) ? 3 : 0;
    snprintf(path, sizeof path, "/sys/class/net/%s/tun_flags", name);
    FILE *f = fopen(path, "r");
    if (!f) return 3;
    unsigned flags = 0;
    int n = fscanf(f, "%x", &flags);
    fclose(f);
    if (n != 1) return 3;
    return (flags & IFF_TAP) ? 2 : (flags & IFF_MULTI_QUEUE) ? 4 : 1;
}

static int iface_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
}

int synack_tun_refresh_mtu(struct synack_tun *tun)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, tun->name, sizeof ifr.ifr_name);
    int rc = iface_ioctl(SIOCGIFMTU, &ifr);
    if (rc) return rc;
    tun->mtu = (unsigned)ifr.ifr_mtu;
    return 0;
}

/* Brings the interface up if it is down. A process without CAP_NET_ADMIN
 * attached to an interface someone else set up cannot, and need not. */
static int iface_up(const char *name)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int rc = iface_ioctl(SIOCGIFFLAGS, &ifr);
    if (rc) return rc;
    if (ifr.ifr_flags & IFF_UP) return 0;
    ifr.ifr_flags |= IFF_UP;
    return iface_ioctl(SIOCSIFFLAGS, &ifr);
}

/* Attaching gives the interface its carrier, but the kernel activates the
 * transmit queue (dev_activate, from the "linkwatch" work) only later, up to
 * a second later: until then what the kernel sends to the TUN is dropped by
 * the noop qdisc, so our first SYN's SYN+ACK would be lost and cost a 1 s
 * retransmission. The same work sets operstate to "up": wait for it
 * (bounded; a down interface never gets there). */
static void wait_operstate_up(const char *name, unsigned max_ms)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s/operstate", name);
    for (unsigned waited = 0; waited < max_ms; waited += 5) {
        FILE *f = fopen(path, "r");
        if (!f) return;
        char state[32] = "";
        int n = fscanf(f, "%31s", state);
        fclose(f);
        if (n != 1 || !strcmp(state, "up") || !strcmp(state, "unknown")) return;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int synack_tun_open(struct synack_tun *tun, const char *name, enum synack_tun_mode mode,
                    char *why, size_t whylen)
{
    memset(tun, 0, sizeof *tun);
    tun->fd = -1;
    if (why && whylen) why[0] = '\0';
    if (!name || !*name) {
        say(why, whylen, "--tun: an interface name is needed");
        return -EINVAL;
    }
    if (strlen(name) >= SYNACK_TUN_NAME_MAX) {
        say(why, whylen, "--tun %s: interface names have at most 15 characters", name);
        return -ENAMETOOLONG;
    }
    int kind = iface_kind(name);
    if (kind == 0 && !(mode & SYNACK_TUN_CREATE)) {
        say(why, whylen,
            "--tun %s: no such interface (create it with 'ip tuntap add dev %s mode tun', "
            "or pass --create)", name, name);
        return -ENODEV;
    }
    if (kind == 2) {
        say(why, whylen, "--tun %s: is a TAP interface; synack needs a TUN (ip tuntap add dev %s mode tun)",
            name, name);
        return -EINVAL;
    }
    if (kind == 3) {
        say(why, whylen, "--tun %s: exists but is not a TUN interface", name);
        return -EINVAL;
    }

    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM)
            say(why, whylen, "cannot open /dev/net/tun: permission denied; a TUN interface needs "
                             "CAP_NET_ADMIN (run as root, or give the binary the capability)");
        else if (e == ENOENT || e == ENODEV || e == ENXIO)
            say(why, whylen, "cannot open /dev/net/tun: the TUN driver is missing "
                             "(modprobe tun, or mknod /dev/net/tun c 10 200)");
        else
            say(why, whylen, "cannot open /dev/net/tun: %s", strerror(e));
        return -e;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    /* A multi-queue interface takes a single queue too (one thread). */
    short mq = (mode & SYNACK_TUN_MULTI_QUEUE) || kind == 4 ? IFF_MULTI_QUEUE : 0;
    ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | mq | ((mode & SYNACK_TUN_OFFLOAD) ? IFF_VNET_HDR : 0));
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int setiff = ioctl(fd, TUNSETIFF, &ifr);
    if (setiff < 0 && errno == EINVAL && (mode & SYNACK_TUN_OFFLOAD)) { /* no virtio-net header here */
        ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | mq);
        setiff = ioctl(fd, TUNSETIFF, &ifr);
    }
    if (setiff < 0) {
        int e = errno;
        close(fd);
        if (e == EPERM || e == EACCES)
            say(why, whylen, "--tun %s: permission denied; attaching to or creating a TUN interface "
                             "needs CAP_NET_ADMIN (root), unless it was created for this user "
                             "(ip tuntap add dev %s mode tun user NAME)", name, name);
        else if (e == EBUSY)
            say(why, whylen, "--tun %s: busy: another process is attached to it", name);
        else if (e == EINVAL && mq)
            say(why, whylen, "--tun %s: cannot attach a queue: several threads need a multi-queue TUN "
                             "(ip tuntap add dev %s mode tun multi_queue)", name, name);
        else if (e == EINVAL)
            say(why, whylen, "--tun %s: cannot attach (is it a multi-queue TUN? those need --threads)", name);
        else
            say(why, whylen, "--tun %s: TUNSETIFF failed: %s", name, strerror(e));
        return -e;
    }
    tun->fd = fd;
    tun->created = kind == 0;
    tun->vnet = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
    if (tun->vnet) {
        int hsz = (int)sizeof(struct synack_vnet_hdr);
        if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0) {
            int e = errno;
            say(why, whylen, "--tun %s: TUNSETVNETHDRSZ failed: %s", name, strerror(e));
            close(fd);
            tun->fd = -1;
            return -e;
        }
        /* Refused (an old kernel): the header stays, all zeros, no offload. */
        tun->offload = ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) == 0;
    }
    snprintf(tun->name, sizeof tun->name, "%s", ifr.ifr_name);
    int rc = iface_up(tun->name);
    tun->up = rc == 0;
    if (tun->up) wait_operstate_up(tun->name, 2000);
    if (rc && tun->created) {
        say(why, whylen, "--tun %s: created but cannot bring it up: %s", tun->name, strerror(-rc));
        synack_tun_close(tun);
        return rc;
    }
    rc = synack_tun_refresh_mtu(tun);
    if (rc) {
        say(why, whylen, "--tun %s: cannot read its MTU: %s", tun->name, strerror(-rc));
        synack_tun_close(tun);
        return rc;
    }
    return 0;
}

void synack_tun_close(struct synack_tun *tun)
{
    if (tun->fd >= 0) close(tun->fd);
    tun->fd = -1;
}

int synack_tun_read_batch(struct synack_tun *tun, uint8_t *const *bufs, size_t cap,
                          size_t *lens, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(tun->fd, bufs[got], cap);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return got ? (int)got : -errno;
        }
        lens[got++] = (size_t)r;
    }
    return (int)got;
}

int synack_tun_write_batch(struct synack_tun *tun, const uint8_t *const *pkts,
                           const size_t *lens, size_t n)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        ssize_t w;
        do w = write(tun->fd, pkts[i], lens[i]);
        while (w < 0 && errno == EINTR);
        if (w < 0) {
            /* The kernel's queue is full or the interface went down: the
             * packet is lost, as on a wire; TCP retransmits. */
            if (errno == EAGAIN || errno == ENOBUFS || errno == EIO) continue;
            if (done == 0) return -errno;
            continue;
        }
        done++;
    }
    return (int)done;
}

#else /* !__linux__ */

int synack_tun_open(struct synack_tun *tun, const char *name, enum synack_tun_mode mode,
                    char *why, size_t whylen)
{
    (void)name;
    (void)mode;
    memset(tun, 0, sizeof *tun);
    tun->fd = -1;
    if (why && whylen) snprintf(why, whylen, "TUN interfaces are supported on Linux only");
    return -ENOSYS;
}
void synack_tun_close(struct synack_tun *tun) { (void)tun; }
int synack_tun_read_batch(struct synack_tun *tun, uint8_t *const *bufs, size_t cap,
                          size_t *lens, size_t n)
{
    (void)tun, (void)bufs, (void)cap, (void)lens, (void)n;
    return -ENOSYS;
}
int synack_tun_write_batch(struct synack_tun *tun, const uint8_t *const *pkts,
                           const size_t *lens, size_t n)
{
    (void)tun, (void)pkts, (void)lens, (void)n;
    return -ENOSYS;
}
int synack_tun_refresh_mtu(struct synack_tun *tun)
{
    (void)tun;
    return -ENOSYS;
}
#endif
