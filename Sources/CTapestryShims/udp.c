#include "CTapestryShims.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

int tp_udp_enable_gro(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0 ? -errno : 0;
}

static int udp_open(int family, uint32_t local_ip, const uint8_t *local_ip6, uint16_t port, int reuseport) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    int size = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    socklen_t salen;
    if (family == AF_INET6) {
        int pmtu = IPV6_PMTUDISC_DO;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof pmtu);
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        memcpy(&sin6.sin6_addr, local_ip6, 16);
        sa = (struct sockaddr *)&sin6;
        salen = sizeof sin6;
    } else {
        int pmtu = IP_PMTUDISC_DO;
        (void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr.s_addr = htonl(local_ip);
        sa = (struct sockaddr *)&sin;
        salen = sizeof sin;
    }
    if (bind(fd, sa, salen) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int tp_udp_open(uint32_t local_ip, uint16_t port) { return udp_open(AF_INET, local_ip, NULL, port, 0); }
int tp_udp_open_shared(uint32_t local_ip, uint16_t port) { return udp_open(AF_INET, local_ip, NULL, port, 1); }
int tp_udp6_open(const uint8_t *local_ip, uint16_t port) { return udp_open(AF_INET6, 0, local_ip, port, 0); }
int tp_udp6_open_shared(const uint8_t *local_ip, uint16_t port) { return udp_open(AF_INET6, 0, local_ip, port, 1); }

#define TP_MAX_BATCH 64

int tp_udp_recv_batch(int fd, tp_udp_slot *slots, int n) {
    if (n > TP_MAX_BATCH) n = TP_MAX_BATCH;
    struct mmsghdr msgs[TP_MAX_BATCH];
    struct iovec iovs[TP_MAX_BATCH];
    // Room for either family's sender address.
    struct sockaddr_in6 addrs[TP_MAX_BATCH];
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctrl[TP_MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)n);
    for (int i = 0; i < n; i++) {
        iovs[i].iov_base = slots[i].buf;
        iovs[i].iov_len = slots[i].cap;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
        msgs[i].msg_hdr.msg_control = ctrl[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i].buf;
    }
    int got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
    if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
    for (int i = 0; i < got; i++) {
        slots[i].len = msgs[i].msg_len;
        if (addrs[i].sin6_family == AF_INET6) {
            slots[i].is_ipv6 = 1;
            slots[i].src_ip = 0;
            memcpy(slots[i].src_ip6, &addrs[i].sin6_addr, 16);
            slots[i].src_port = ntohs(addrs[i].sin6_port);
        } else {
            const struct sockaddr_in *a4 = (const struct sockaddr_in *)&addrs[i];
            slots[i].is_ipv6 = 0;
            slots[i].src_ip = ntohl(a4->sin_addr.s_addr);
            slots[i].src_port = ntohs(a4->sin_port);
        }
        slots[i].gro_size = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
                int size;
                memcpy(&size, CMSG_DATA(c), sizeof size);
                slots[i].gro_size = (uint16_t)size;
            }
        }
    }
    return got;
}

static ssize_t udp_send(int fd, void *name, socklen_t namelen, const void *buf, size_t len, uint16_t seg) {
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(uint16_t))]; struct cmsghdr align; } ctrl;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = name;
    msg.msg_namelen = namelen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (seg > 0 && len > seg) {
        memset(&ctrl, 0, sizeof ctrl);
        msg.msg_control = ctrl.buf;
        msg.msg_controllen = sizeof ctrl.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
    }
    ssize_t w = sendmsg(fd, &msg, 0);
    return w < 0 ? -errno : w;
}

ssize_t tp_udp_send(int fd, uint32_t dst_ip, uint16_t dst_port, const void *buf, size_t len, uint16_t seg) {
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(dst_port);
    sin.sin_addr.s_addr = htonl(dst_ip);
    return udp_send(fd, &sin, sizeof sin, buf, len, seg);
}

ssize_t tp_udp6_send(int fd, const uint8_t *dst_ip, uint16_t dst_port, const void *buf, size_t len, uint16_t seg) {
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(dst_port);
    memcpy(&sin6.sin6_addr, dst_ip, 16);
    return udp_send(fd, &sin6, sizeof sin6, buf, len, seg);
}

int tp_path_mtu(uint32_t dst_ip) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(4789);
    sin.sin_addr.s_addr = htonl(dst_ip);
    int mtu = 0;
    socklen_t len = sizeof mtu;
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    close(fd);
    return mtu;
}

int tp_path_mtu6(const uint8_t *dst_ip) {
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(4789);
    memcpy(&sin6.sin6_addr, dst_ip, 16);
    int mtu = 0;
    socklen_t len = sizeof mtu;
    if (connect(fd, (struct sockaddr *)&sin6, sizeof sin6) < 0 || getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    close(fd);
    return mtu;
}
