#include "CTapestryShims.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

/* Opens /dev/net/tun and attaches to (or creates) tap `name` with `flags` (besides IFF_TAP|IFF_NO_PI). */
static int tap_open(const char *name, short flags) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | flags;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int tp_tap_open(const char *name, int vnet_hdr) {
    return tap_open(name, vnet_hdr ? IFF_VNET_HDR : 0);
}

int tp_tap_open_queue(const char *name, int multi_queue) {
    return tap_open(name, IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0));
}

int tp_tap_set_persist(int fd, int persist) {
    return ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0 ? -errno : 0;
}

int tp_tap_enable_offloads(int fd, int on) {
    unsigned flags = on ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) : 0;
    return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}
