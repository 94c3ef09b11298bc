#include "CTapestryShims.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

int tp_packet_open(int ifindex) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -errno;
    int one = 1, size = 4 << 20;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

#define TP_MAX_BATCH 64

int tp_packet_recv_batch(int fd, tp_rx_slot *slots, int n) {
    if (n > TP_MAX_BATCH) n = TP_MAX_BATCH;
    struct mmsghdr msgs[TP_MAX_BATCH];
    struct iovec iovs[TP_MAX_BATCH];
    union { char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))]; struct cmsghdr align; } ctrl[TP_MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)n);
    for (int i = 0; i < n; i++) {
        iovs[i].iov_base = slots[i].buf;
        iovs[i].iov_len = slots[i].cap;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctrl[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i].buf;
    }
    int got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
    if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
    for (int i = 0; i < got; i++) {
        slots[i].len = msgs[i].msg_len;
        slots[i].vlan_valid = 0;
        slots[i].vlan_tci = 0;
        slots[i].vlan_tpid = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
            if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
            struct tpacket_auxdata aux;
            memcpy(&aux, CMSG_DATA(c), sizeof aux);
            if (aux.tp_vlan_tci != 0 || (aux.tp_status & TP_STATUS_VLAN_VALID)) {
                slots[i].vlan_valid = 1;
                slots[i].vlan_tci = aux.tp_vlan_tci;
                slots[i].vlan_tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
            }
        }
    }
    return got;
}

#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif
#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

int tp_packet_join_fanout(int fd, int group) {
    // The group's hook replaces the socket's: PACKET_IGNORE_OUTGOING must be said again as a fanout flag,
    // or every frame sent through the qdisc comes back to the group as received.
    int flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
    int arg = group < 0 ? (flags | PACKET_FANOUT_FLAG_UNIQUEID) << 16 : (group & 0xffff) | (flags << 16);
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) return -errno;
    if (group >= 0) return group & 0xffff;
    int got = 0;
    socklen_t len = sizeof got;
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &got, &len) < 0) return -errno;
    return got & 0xffff;
}

int tp_packet_bypass_qdisc(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0 ? -errno : 0;
}

/// One ethtool request on netdev `name` through socket fd.
static int ethtool_request(int fd, const char *name, void *data) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_data = (char *)data;
    return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

int tp_netdev_has_tso(int fd, int ifindex) {
    char name[IFNAMSIZ];
    if (if_indextoname((unsigned)ifindex, name) == NULL) return -errno;
    // The feature names (ETH_SS_FEATURES) say which bits are tx-tcp-segmentation and tx-tcp6-segmentation
    // (the legacy ETHTOOL_GTSO answers "on" when any TSO bit is, e.g. a newer kernel's AccECN one).
    struct { struct ethtool_sset_info info; uint32_t count; } sset;
    memset(&sset, 0, sizeof sset);
    sset.info.cmd = ETHTOOL_GSSET_INFO;
    sset.info.sset_mask = 1ULL << ETH_SS_FEATURES;
    int r = ethtool_request(fd, name, &sset);
    if (r < 0) return r;
    uint32_t n = sset.info.sset_mask ? sset.count : 0;
    if (n == 0 || n > 4096) return -EOPNOTSUPP;
    struct ethtool_gstrings *strings = calloc(1, sizeof *strings + (size_t)n * ETH_GSTRING_LEN);
    uint32_t blocks = (n + 31) / 32;
    struct ethtool_gfeatures *features = calloc(1, sizeof *features + blocks * sizeof(struct ethtool_get_features_block));
    if (!strings || !features) { free(strings); free(features); return -ENOMEM; }
    strings->cmd = ETHTOOL_GSTRINGS;
    strings->string_set = ETH_SS_FEATURES;
    strings->len = n;
    features->cmd = ETHTOOL_GFEATURES;
    features->size = blocks;
    r = ethtool_request(fd, name, strings);
    if (r == 0) r = ethtool_request(fd, name, features);
    int found = 0, active = 1;
    for (uint32_t i = 0; r == 0 && i < n && i < blocks * 32; i++) {
        const char *s = (const char *)strings->data + (size_t)i * ETH_GSTRING_LEN;
        if (strncmp(s, "tx-tcp-segmentation", ETH_GSTRING_LEN) != 0 && strncmp(s, "tx-tcp6-segmentation", ETH_GSTRING_LEN) != 0) continue;
        found++;
        if (!(features->features[i / 32].active & (1U << (i % 32)))) active = 0;
    }
    free(strings);
    free(features);
    if (r < 0) return r;
    return found ? active : -EOPNOTSUPP;
}

int tp_netdev_duplex(const char *name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct ethtool_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.cmd = ETHTOOL_GSET;
    int r = ethtool_request(fd, name, &cmd);
    close(fd);
    return r < 0 ? r : cmd.duplex;
}

int tp_netdev_running(int fd, int ifindex) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_ifindex = ifindex;
    if (ioctl(fd, SIOCGIFNAME, &ifr) < 0) return -errno;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) return -errno;
    unsigned flags = (unsigned)(unsigned short)ifr.ifr_flags;
    // IFF_LOWER_UP (0x10000) does not fit ifr_flags' short: SIOCGIFFLAGS gives IFF_RUNNING, which follows
    // the operational state (set by linkwatch, as late as the notification); the carrier bit itself is asked for
    // with ETHTOOL_GLINK (netif_carrier_ok, at once).
    if (!(flags & IFF_UP)) return 0;
    struct ethtool_value link;
    memset(&link, 0, sizeof link);
    link.cmd = ETHTOOL_GLINK;
    int r = ethtool_request(fd, ifr.ifr_name, &link);
    return r < 0 ? r : (link.data ? 1 : 0);
}

/// Fills iov with `vnet header + frame` with the tag edit applied (no copy); returns the iovec count.
/// hdr is where the adjusted virtio-net header is kept; tag holds the 4 tag bytes.
static int edit_iov(struct iovec *iov, struct virtio_net_hdr *hdr, uint8_t tag[4],
                    const uint8_t *vnet, const uint8_t *frame, size_t len, int edit, uint16_t tci) {
    int n = 0;
    tag[0] = 0x81; tag[1] = 0x00; tag[2] = (uint8_t)(tci >> 8); tag[3] = (uint8_t)(tci & 0xff);
    if (vnet) {
        memcpy(hdr, vnet, sizeof *hdr);
        if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            if (edit == TP_EDIT_PUSH) hdr->csum_start += 4;
            else if (edit == TP_EDIT_POP && hdr->csum_start >= 4) hdr->csum_start -= 4;
        }
        iov[n].iov_base = hdr; iov[n].iov_len = sizeof *hdr; n++;
    }
    if (edit == TP_EDIT_NONE || len < 12 || (edit != TP_EDIT_PUSH && len < 16)) {
        iov[n].iov_base = (void *)frame; iov[n].iov_len = len; n++;
    } else {
        iov[n].iov_base = (void *)frame; iov[n].iov_len = 12; n++;
        if (edit != TP_EDIT_POP) { iov[n].iov_base = tag; iov[n].iov_len = 4; n++; }
        size_t skip = edit == TP_EDIT_PUSH ? 12 : 16;
        iov[n].iov_base = (void *)(frame + skip); iov[n].iov_len = len - skip; n++;
    }
    return n;
}

ssize_t tp_send_frame(int fd, const uint8_t *vnet, const uint8_t *frame, size_t len, int edit, uint16_t tci) {
    struct iovec iov[4];
    struct virtio_net_hdr hdr;
    uint8_t tag[4];
    int n = edit_iov(iov, &hdr, tag, vnet, frame, len, edit, tci);
    ssize_t w = writev(fd, iov, n);
    return w < 0 ? -errno : w;
}

#define TP_TX_BATCH 64

int tp_send_batch(int fd, tp_tx_slot *slots, int n, int is_socket) {
    int sent = 0;
    if (!is_socket) {
        for (int i = 0; i < n; i++) {
            ssize_t w = tp_send_frame(fd, slots[i].vnet, slots[i].frame, slots[i].len, slots[i].edit, slots[i].tci);
            slots[i].result = (int32_t)w;
            if (w >= 0) sent++;
        }
        return sent;
    }
    struct mmsghdr msgs[TP_TX_BATCH];
    struct iovec iovs[TP_TX_BATCH][4];
    struct virtio_net_hdr hdrs[TP_TX_BATCH];
    uint8_t tags[TP_TX_BATCH][4];
    int first = 0;
    while (first < n) {
        int count = n - first < TP_TX_BATCH ? n - first : TP_TX_BATCH;
        memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
        for (int i = 0; i < count; i++) {
            tp_tx_slot *s = &slots[first + i];
            msgs[i].msg_hdr.msg_iov = iovs[i];
            msgs[i].msg_hdr.msg_iovlen = (size_t)edit_iov(iovs[i], &hdrs[i], tags[i], s->vnet, s->frame, s->len, s->edit, s->tci);
        }
        int done = 0;
        while (done < count) {
            int r = sendmmsg(fd, msgs + done, (unsigned)(count - done), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r < 0) {
                if (errno == EINTR) continue;
                slots[first + done].result = -errno;  // this one failed; go on with the rest
                done++;
                continue;
            }
            for (int i = 0; i < r; i++) { slots[first + done + i].result = (int32_t)msgs[done + i].msg_len; sent++; }
            done += r;
        }
        first += count;
    }
    return sent;
}

ssize_t tp_send_prefixed(int fd, const void *prefix, size_t plen, const uint8_t *frame, size_t len, int edit, uint16_t tci) {
    struct iovec iov[4];
    int n = 0;
    uint8_t tag[4] = { 0x81, 0x00, (uint8_t)(tci >> 8), (uint8_t)(tci & 0xff) };
    iov[n].iov_base = (void *)prefix; iov[n].iov_len = plen; n++;
    if (edit == TP_EDIT_NONE || len < 12 || (edit != TP_EDIT_PUSH && len < 16)) {
        iov[n].iov_base = (void *)frame; iov[n].iov_len = len; n++;
    } else {
        iov[n].iov_base = (void *)frame; iov[n].iov_len = 12; n++;
        if (edit != TP_EDIT_POP) { iov[n].iov_base = tag; iov[n].iov_len = 4; n++; }
        size_t skip = edit == TP_EDIT_PUSH ? 12 : 16;
        iov[n].iov_base = (void *)(frame + skip); iov[n].iov_len = len - skip; n++;
    }
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)n;
    ssize_t w = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    return w < 0 ? -errno : w;
}

int tp_unix_dgram_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) { close(fd); return -ENAMETOOLONG; }
    strcpy(sun.sun_path, path);
    int size = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) { int e = errno; close(fd); return -e; }
    return fd;
}

void tp_realtime(uint32_t *sec, uint32_t *usec) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *sec = (uint32_t)ts.tv_sec;
    *usec = (uint32_t)(ts.tv_nsec / 1000);
}
