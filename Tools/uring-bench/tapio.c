// Measures what io_uring buys for tap I/O against the plain loop the datapath uses
// (one writev per frame out, read(2) until EAGAIN in). Run by Tools/uring-bench/run (inside a
// network namespace it creates). Prints ns per frame for each way; frames are 64 bytes with a
// virtio-net header, as the datapath's.
//
//   write: N frames written into tap A (the kernel receives and drops them: foreign destination MAC)
//          (a) writev per frame   (b) io_uring, 32 IORING_OP_WRITEV per io_uring_submit_and_wait
//   read:  a packet socket on netdev A queues frames for the tap fd (txqueuelen 4096), then
//          (a) read(2) until EAGAIN   (b) io_uring with 32 reads kept armed (re-armed on completion)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define FRAME 64

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int tap_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { perror("open /dev/net/tun"); exit(1); }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(1); }
    return fd;
}

static uint8_t frame[FRAME];
static struct virtio_net_hdr vh;

static double write_plain(int fd, int n) {
    struct iovec iov[2] = { { &vh, sizeof vh }, { frame, FRAME } };
    uint64_t t = now_ns();
    for (int i = 0; i < n; i++) if (writev(fd, iov, 2) < 0) { perror("writev"); exit(1); }
    return (double)(now_ns() - t) / n;
}

static double write_uring(struct io_uring *ring, int fd, int n) {
    struct iovec iov[BATCH][2];
    for (int k = 0; k < BATCH; k++) {
        iov[k][0].iov_base = &vh; iov[k][0].iov_len = sizeof vh;
        iov[k][1].iov_base = frame; iov[k][1].iov_len = FRAME;
    }
    uint64_t t = now_ns();
    for (int done = 0; done < n; done += BATCH) {
        for (int k = 0; k < BATCH; k++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
            io_uring_prep_writev(sqe, fd, iov[k], 2, 0);
        }
        io_uring_submit_and_wait(ring, BATCH);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            if (cqe->res < 0) { fprintf(stderr, "uring write: %s\n", strerror(-cqe->res)); exit(1); }
            seen++;
        }
        io_uring_cq_advance(ring, seen);
    }
    return (double)(now_ns() - t) / n;
}

// Queues `count` frames for the tap fd to read: sent out of netdev `ifindex` through a packet socket.
static void fill(int ps, int ifindex, int count) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    for (int i = 0; i < count; i++) {
        if (sendto(ps, frame, FRAME, 0, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("sendto"); exit(1); }
    }
}

static uint8_t bufs[BATCH][2048];

static double read_plain(int fd, int ps, int ifindex, int rounds, int per) {
    uint64_t total = 0; long frames = 0;
    for (int r = 0; r < rounds; r++) {
        fill(ps, ifindex, per);
        uint64_t t = now_ns();
        for (;;) {
            ssize_t got = read(fd, bufs[0], sizeof bufs[0]);
            if (got < 0) break;
            frames++;
        }
        total += now_ns() - t;
    }
    return frames ? (double)total / frames : 0;
}

// io_uring's way of reading: BATCH reads stay armed; each completion is re-armed at once.
static double read_uring(struct io_uring *ring, int fd, int ps, int ifindex, int rounds, int per) {
    static int armed = 0;
    if (!armed) {
        for (int k = 0; k < BATCH; k++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
            io_uring_prep_read(sqe, fd, bufs[k], sizeof bufs[k], 0);
            io_uring_sqe_set_data64(sqe, (uint64_t)k);
        }
        io_uring_submit(ring);
        armed = 1;
    }
    uint64_t total = 0; long frames = 0;
    for (int r = 0; r < rounds; r++) {
        fill(ps, ifindex, per);
        uint64_t t = now_ns();
        int got = 0;
        while (got < per) {
            io_uring_submit_and_wait(ring, 1);
            struct io_uring_cqe *cqe;
            unsigned head, seen = 0;
            io_uring_for_each_cqe(ring, head, cqe) {
                int k = (int)io_uring_cqe_get_data64(cqe);
                if (cqe->res > 0) { frames++; got++; }
                struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
                io_uring_prep_read(sqe, fd, bufs[k], sizeof bufs[k], 0);
                io_uring_sqe_set_data64(sqe, (uint64_t)k);
                seen++;
            }
            io_uring_cq_advance(ring, seen);
        }
        total += now_ns() - t;
    }
    return frames ? (double)total / frames : 0;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    memset(frame, 0, sizeof frame);
    memcpy(frame, "\x02\x00\x00\x00\x00\x99\x02\x00\x00\x00\x00\x01\x88\xb5", 14);
    int fd = tap_open("tpuring0");
    system("ip link set tpuring0 txqueuelen 4096 up");
    int ifindex = (int)if_nametoindex("tpuring0");
    int ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (ps < 0) { perror("packet socket"); return 1; }
    struct io_uring ring;
    int e = io_uring_queue_init(256, &ring, 0);
    if (e < 0) { fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-e)); return 1; }
    // Drain anything the kernel queued while the netdev came up.
    while (read(fd, bufs[0], sizeof bufs[0]) > 0) {}
    printf("way\twrite_ns_per_frame\tread_ns_per_frame\n");
    for (int rep = 0; rep < 3; rep++) {
        double wp = write_plain(fd, n), wu = write_uring(&ring, fd, n);
        double rp = read_plain(fd, ps, ifindex, n / 2048, 2048);
        double ru = rep == 2 ? read_uring(&ring, fd, ps, ifindex, n / 2048, 2048) : 0;  // arms reads for good: last
        printf("plain\t%.0f\t%.0f\n", wp, rp);
        printf("io_uring\t%.0f\t%.0f\n", wu, ru);
        fflush(stdout);
    }
    io_uring_queue_exit(&ring);
    return 0;
}
