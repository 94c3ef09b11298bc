// C shims for what Swift cannot import: TUN ioctls, epoll/eventfd, setns, AF_PACKET with
// auxdata and vnet headers, recvmmsg and scatter-gather sends. Every symbol is prefixed tp_.
// Functions return a value >= 0 on success and -errno on failure.
#ifndef TAPESTRY_SHIMS_H
#define TAPESTRY_SHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/// Size of struct virtio_net_hdr as taps and AF_PACKET (PACKET_VNET_HDR) use it.
#define TP_VNET_HDR_LEN 10

// MARK: - taps

/// Opens /dev/net/tun (in the calling thread's network namespace) and attaches to or creates
/// tap `name` with IFF_TAP|IFF_NO_PI, plus IFF_VNET_HDR when vnet_hdr is set. Non-blocking, close-on-exec.
int tp_tap_open(const char *name, int vnet_hdr);
/// Like tp_tap_open (with IFF_VNET_HDR), adding IFF_MULTI_QUEUE when multi_queue is set: each call
/// attaches one more queue (fd) to the same tap; the kernel spreads the netdev's transmit by flow.
int tp_tap_open_queue(const char *name, int multi_queue);
/// TUNSETPERSIST: a persistent tap outlives the fd (survives a crash of the daemon).
int tp_tap_set_persist(int fd, int persist);
/// TUNSETOFFLOAD with TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6|TUN_F_TSO_ECN (or 0 to turn off).
int tp_tap_enable_offloads(int fd, int on);

// MARK: - namespaces

/// An fd of the calling thread's network namespace.
int tp_netns_self(void);
/// setns(fd, CLONE_NEWNET) for the calling thread.
int tp_netns_enter(int fd);
/// unshare(CLONE_NEWNET): the calling thread moves to a new, empty network namespace.
int tp_netns_unshare(void);

// MARK: - epoll and eventfd

int tp_epoll_create(void);
int tp_epoll_add(int epfd, int fd, uint64_t data);
int tp_epoll_del(int epfd, int fd);
/// Waits up to timeout_ms; writes each ready event's data into out (at most max). EINTR gives 0.
int tp_epoll_wait(int epfd, uint64_t *out, int max, int timeout_ms);
int tp_eventfd_create(void);
int tp_eventfd_signal(int fd);
int tp_eventfd_drain(int fd);
/// Whether fds a and b of this process are the same open file (kcmp KCMP_FILE): 1 yes, 0 no,
/// -errno when the kernel cannot tell (no kcmp). Tests ask it of an fd they handed over.
int tp_same_open_file(int a, int b);

// MARK: - AF_PACKET

/// An AF_PACKET raw socket bound to ifindex, promiscuous, with PACKET_AUXDATA, PACKET_VNET_HDR,
/// PACKET_IGNORE_OUTGOING; non-blocking, close-on-exec.
int tp_packet_open(int ifindex);

/// Joins fd (already bound) to a PACKET_FANOUT group spreading frames by flow hash (PACKET_FANOUT_HASH),
/// ignoring outgoing frames as the group's sockets do (PACKET_FANOUT_FLAG_IGNORE_OUTGOING).
/// group < 0: asks the kernel for a fresh unique id. Returns the group id or -errno.
int tp_packet_join_fanout(int fd, int group);
/// PACKET_QDISC_BYPASS: sends go straight to the driver (no qdisc), as Open vSwitch's AF_PACKET does.
int tp_packet_bypass_qdisc(int fd);
/// The duplex netdev `name` (in the calling thread's namespace) reports (SIOCETHTOOL/ETHTOOL_GSET):
/// 0 half, 1 full, 255 unknown, or -errno.
int tp_netdev_duplex(const char *name);
/// Whether netdev `ifindex` (in fd's namespace) is administratively up and has carrier now (SIOCGIFFLAGS,
/// ETHTOOL_GLINK): 1 yes, 0 no, -errno. Unlike a netlink notification, which the kernel may hold back up to a
/// second (linkwatch sends non-urgent link events at most once a second), this reads the carrier as it is.
int tp_netdev_running(int fd, int ifindex);
/// Whether netdev `ifindex` segments TCP itself (`ethtool -k`'s tx-tcp-segmentation and tx-tcp6-segmentation
/// both active), asked with SIOCETHTOOL (feature names, then ETHTOOL_GFEATURES) on socket fd: 1 yes, 0 no, -errno.
int tp_netdev_has_tso(int fd, int ifindex);

/// One receive slot for tp_packet_recv_batch.
typedef struct {
    void *buf;          // where the vnet header + frame is written
    uint32_t cap;       // bytes available at buf
    uint32_t len;       // out: bytes received (vnet header included)
    uint16_t vlan_tci;  // out: the tag the kernel stripped, if vlan_valid
    uint16_t vlan_tpid; // out
    uint8_t vlan_valid; // out: 1 when the frame arrived tagged and the kernel moved the tag to metadata
} tp_rx_slot;

/// recvmmsg up to n frames without blocking; returns how many (0 when none) or -errno.
int tp_packet_recv_batch(int fd, tp_rx_slot *slots, int n);

// MARK: - UDP (VXLAN underlay)

/// A UDP socket bound to local_ip:port (host order; 0 = any), non-blocking, close-on-exec,
/// don't-fragment (oversized sends fail with EMSGSIZE), large buffers.
int tp_udp_open(uint32_t local_ip, uint16_t port);
/// Like tp_udp_open with SO_REUSEPORT set before bind: several sockets (one per datapath thread) share
/// local_ip:port and the kernel spreads datagrams among them by a hash of the 4-tuple.
int tp_udp_open_shared(uint32_t local_ip, uint16_t port);
/// Turns on UDP_GRO: the kernel may hand several datagrams of one flow over in one read (see gro_size).
int tp_udp_enable_gro(int fd);
/// The IPv6 forms: an AF_INET6 socket (IPV6_V6ONLY, so it never collides with an IPv4 tunnel on the
/// same port) bound to the 16-byte local address (network order; all zero: any), don't-fragment
/// (IPV6_PMTUDISC_DO). The kernel computes the UDP checksum, as IPv6 requires (RFC 8200; Linux vxlan's
/// default, udp6zerocsumtx off), and drops datagrams with a zero checksum (udp6zerocsumrx off).
int tp_udp6_open(const uint8_t *local_ip, uint16_t port);
int tp_udp6_open_shared(const uint8_t *local_ip, uint16_t port);

/// One receive slot for tp_udp_recv_batch.
typedef struct {
    void *buf;
    uint32_t cap;
    uint32_t len;      // out
    uint32_t src_ip;   // out, host order
    uint16_t src_port; // out, host order
    uint16_t gro_size; // out: with UDP_GRO, the size of each datagram coalesced into buf (0: one datagram)
    uint8_t is_ipv6;   // out: the sender is IPv6 (then src_ip is 0 and src_ip6 holds its address)
    uint8_t src_ip6[16]; // out: an IPv6 sender's address (network order)
} tp_udp_slot;

/// recvmmsg up to n datagrams without blocking; returns how many or -errno.
int tp_udp_recv_batch(int fd, tp_udp_slot *slots, int n);

/// Sends len bytes to dst_ip:dst_port (host order). When seg > 0 and len > seg, the kernel splits
/// the buffer into datagrams of seg bytes (UDP_SEGMENT). Returns bytes sent or -errno.
ssize_t tp_udp_send(int fd, uint32_t dst_ip, uint16_t dst_port, const void *buf, size_t len, uint16_t seg);

/// The IPv6 form of tp_udp_send: dst_ip is 16 bytes, network order.
ssize_t tp_udp6_send(int fd, const uint8_t *dst_ip, uint16_t dst_port, const void *buf, size_t len, uint16_t seg);

/// The path MTU the kernel would use towards dst_ip (host order), or -errno.
int tp_path_mtu(uint32_t dst_ip);
/// The path MTU towards an IPv6 address (16 bytes, network order), or -errno.
int tp_path_mtu6(const uint8_t *dst_ip);

// MARK: - sending with a tag edit

/// Edits applied while sending (no copy): 0 none, 1 push tag, 2 pop tag, 3 replace tag.
enum { TP_EDIT_NONE = 0, TP_EDIT_PUSH = 1, TP_EDIT_POP = 2, TP_EDIT_RETAG = 3 };

/// Sends one frame to fd (a tap or a bound AF_PACKET socket) as `vnet header + frame` with the
/// tag edit applied through writev. When vnet is NULL no header is sent. The vnet header's
/// csum_start is adjusted when the edit changes the length. Returns bytes written or -errno.
ssize_t tp_send_frame(int fd, const uint8_t *vnet, const uint8_t *frame, size_t len, int edit, uint16_t tci);

/// One frame of a transmit batch (see tp_send_batch).
typedef struct {
    const uint8_t *vnet;  // its virtio-net header (NULL: none is sent)
    const uint8_t *frame; // the Ethernet frame
    uint32_t len;
    int32_t edit;         // TP_EDIT_*
    uint16_t tci;
    uint16_t pad;
    uint32_t remote;      // for tunnel ports: the TunnelRemoteKey of the one remote VTEP to send to (IPv4: its address; 0: all of the port's remotes)
    int32_t result;       // out: bytes written or -errno
} tp_tx_slot;

/// Sends n frames to fd with their tag edits: one sendmmsg when fd is a socket (is_socket, e.g. a bound
/// AF_PACKET socket), else one writev per frame (a tap). Never blocks. Returns how many were sent;
/// each slot's result says what happened to it.
int tp_send_batch(int fd, tp_tx_slot *slots, int n, int is_socket);

/// Like tp_send_frame, but with `prefix` (plen bytes, sent as is) in place of a vnet header,
/// and never blocking (MSG_DONTWAIT). For capture copies to a datagram socket.
ssize_t tp_send_prefixed(int fd, const void *prefix, size_t plen, const uint8_t *frame, size_t len, int edit, uint16_t tci);

/// A non-blocking AF_UNIX datagram socket connected to path (a capture reader), or -errno.
int tp_unix_dgram_connect(const char *path);

/// CLOCK_REALTIME as seconds and microseconds (pcap timestamps).
void tp_realtime(uint32_t *sec, uint32_t *usec);

/// read(2) returning -errno.
ssize_t tp_read(int fd, void *buf, size_t cap);

// MARK: - counters (one writer, many readers)

static inline void tp_counter_add(uint64_t *p, uint64_t v) {
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}
/// An atomic add, for counters that several threads write.
static inline void tp_counter_add_shared(uint64_t *p, uint64_t v) { __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
static inline uint64_t tp_counter_load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

// MARK: - misc

/// accept4 with SOCK_CLOEXEC; returns the fd or -errno.
int tp_accept(int fd);
/// The uid of a Unix socket's peer (SO_PEERCRED), or -errno.
long tp_peer_uid(int fd);

uint64_t tp_monotonic_ms(void);
/// The number of online CPUs (at least 1).
int tp_online_cpus(void);
uint64_t tp_monotonic_us(void);
int tp_set_thread_name(const char *name);

// MARK: - vhost-user (unix socket messages with fds; shared-memory ordering)

/// recvmsg on a stream socket: up to len bytes into buf and up to max_fds SCM_RIGHTS fds into fds
/// (close-on-exec; *nfds set). Blocks. Returns bytes read (0 at end of stream) or -errno.
/// Fds beyond max_fds are closed; a truncated control message gives -EMSGSIZE (its fds closed).
ssize_t tp_recv_fds(int sock, void *buf, size_t len, int *fds, int max_fds, int *nfds);
/// Reads exactly len bytes (blocking); -EPIPE when the peer closes first.
ssize_t tp_recv_all(int sock, void *buf, size_t len);
/// Sends all len bytes (MSG_NOSIGNAL), blocking. Returns len or -errno.
ssize_t tp_send_all(int sock, const void *buf, size_t len);
/// A blocking AF_UNIX stream socket connected to path (close-on-exec), or -errno.
int tp_unix_stream_connect(const char *path);
/// mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); NULL on failure (errno in *err).
void *tp_mmap_shared(int fd, size_t len, int *err);
/// Waits until fd is readable or wake_fd (an eventfd) is signalled, up to timeout_ms (-1: forever).
/// Returns 1 when fd is readable, 2 when woken, 0 on timeout, -errno on failure.
int tp_wait_readable(int fd, int wake_fd, int timeout_ms);

static inline uint16_t tp_load_acquire_u16(const void *p) { return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE); }
static inline void tp_store_release_u16(void *p, uint16_t v) { __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE); }
static inline void tp_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/// Prefetch hints (never fault, whatever the address): the line of p into the cache for reading, or
/// for writing (x86 PREFETCHW: the line is fetched owned, so the store that follows does not wait
/// for another core to give it up; a NOP on CPUs without it).
static inline void tp_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
static inline void tp_prefetch_write(const void *p) {
#if defined(__x86_64__)
    __asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

// MARK: - probes (tapestry doctor)

/// TUNGETFEATURES on a fresh /dev/net/tun fd: the IFF_* flags the driver supports
/// (IFF_VNET_HDR 0x4000, IFF_MULTI_QUEUE 0x0100, IFF_TAP 0x0002).
int tp_tun_features(unsigned int *features);

#endif
