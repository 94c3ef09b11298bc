import CNetlink
import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Watches the links of several network namespaces live (`ip monitor link`) and reports every
/// namespace's links whenever one of them changes.
///
/// One dedicated thread owns everything: per watched namespace a libnl socket subscribed to
/// RTNLGRP_LINK and a query socket, both opened inside that namespace (through `setns` on a
/// short-lived thread — a netlink socket stays in the namespace it was created in). The thread
/// polls all subscription sockets and an eventfd; a notification is read only as a wake-up, then
/// the namespace's links are dumped whole (`ip link show`), so a lost notification (ENOBUFS) loses
/// nothing. A namespace that does not exist yet is retried once a second, and one that was deleted
/// and made again under the same name (a VM restarted) is noticed by its inode and watched anew.
public final class LinkMonitor: @unchecked Sendable {
    /// Called on the monitor's thread with a namespace (nil: the daemon's own), all of its links,
    /// and when they were read (microseconds on the monotonic clock).
    public typealias Handler = @Sendable (_ netns: String?, _ links: [LinkInfo], _ readAt: UInt64) -> Void

    private let handler: Handler
    private let wakefd: Int32
    /// Namespaces asked for (nil: the daemon's own), and whether to stop; shared with the thread.
    private let wanted = LockedBox<Set<String?>>([])
    private let stopping = LockedBox(false)
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the thread; nothing is watched until `watch(_:)`.
    public init(handler: @escaping Handler) throws(SystemError) {
        self.handler = handler
        wakefd = tp_eventfd_create()
        guard wakefd >= 0 else { throw SystemError("create link monitor", cause: "no eventfd") }
        let t = Thread { [self] in run() }
        t.name = "tapestry-links"
        t.stackSize = 1 << 20
        t.start()
    }

    /// Watches exactly these namespaces from now on; each newly watched one is reported at once.
    public func watch(_ namespaces: Set<String?>) {
        wanted.set(namespaces)
        _ = tp_eventfd_signal(wakefd)
    }

    /// Stops the thread and closes its sockets (waits up to a second).
    public func stop() {
        guard !stopping.get() else { return }
        stopping.set(true)
        _ = tp_eventfd_signal(wakefd)
        _ = stopped.wait(timeout: .now() + 1)
    }

    // MARK: - the thread

    /// The two sockets of one namespace. Owned by the monitor thread only.
    private final class Watch: @unchecked Sendable {
        let netns: String?
        let inode: UInt64
        let subscription: OpaquePointer
        let query: Netlink
        var fd: Int32 { nl_socket_get_fd(subscription) }

        init(netns: String?, inode: UInt64) throws(SystemError) {
            guard let s = nl_socket_alloc() else { throw SystemError("open link monitor socket", cause: "out of memory") }
            nl_socket_disable_seq_check(s)
            var r = nl_connect(s, Int32(NETLINK_ROUTE))
            if r >= 0 { r = nl_socket_add_membership(s, Int32(RTNLGRP_LINK.rawValue)) }
            if r >= 0 { r = nl_socket_set_nonblocking(s) }
            if r < 0 {
                nl_socket_free(s)
                throw Netlink.error("subscribe to link changes\(netns.map { " in namespace \($0)" } ?? "")", r)
            }
            _ = nl_socket_set_buffer_size(s, 1 << 20, 0)
            do { query = try Netlink() } catch {
                nl_socket_free(s)
                throw error
            }
            self.netns = netns; self.inode = inode; subscription = s
        }

        deinit { nl_socket_free(subscription) }

        /// Reads all pending notifications (they only say "something changed").
        func drain() {
            var buffer = [UInt8](repeating: 0, count: 16384)
            let fd = self.fd
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 { continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == ENOBUFS { continue }  // overflowed: the dump that follows covers it
                return
            }
        }
    }

    /// The identity of a namespace (its nsfs inode), nil when it does not exist.
    private static func inode(of netns: String?) -> UInt64? {
        let path = netns.map { NetworkNamespace.directory + "/" + $0 } ?? "/proc/self/ns/net"
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    private static func open(_ netns: String?) -> Watch? {
        guard let inode = inode(of: netns) else { return nil }
        if netns == nil { return try? Watch(netns: nil, inode: inode) }
        return try? NetworkNamespace.run(in: netns) { () throws -> Watch in try Watch(netns: netns, inode: inode) }
    }

    private func report(_ w: Watch) {
        let at = tp_monotonic_us()
        guard let links = try? w.query.links() else { return }
        handler(w.netns, links, at)
    }

    private func run() {
        var watches: [String?: Watch] = [:]
        var lastCheck: UInt64 = 0
        while !stopping.get() {
            let now = tp_monotonic_us()
            // Follow the wanted set; once a second, re-check that each namespace is still the same one.
            let want = wanted.get()
            let recheck = now - lastCheck >= 1_000_000
            if recheck { lastCheck = now }
            for ns in watches.keys where !want.contains(ns) { watches[ns] = nil }
            for ns in want {
                if let w = watches[ns] {
                    guard recheck, LinkMonitor.inode(of: ns) != w.inode else { continue }
                    watches[ns] = nil  // gone, or replaced by a namespace of the same name
                    handler(ns, [], now)
                }
                guard watches[ns] == nil, recheck || !lastWanted.contains(ns) else { continue }
                if let w = LinkMonitor.open(ns) {
                    watches[ns] = w
                    report(w)
                }
            }
            lastWanted = want
            var fds = [pollfd(fd: wakefd, events: Int16(POLLIN), revents: 0)]
            let list = Array(watches.values)
            fds += list.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), 250)
            if n <= 0 { continue }
            if fds[0].revents != 0 { _ = tp_eventfd_drain(wakefd) }
            for (i, w) in list.enumerated() where fds[i + 1].revents != 0 {
                w.drain()
                report(w)
            }
        }
        watches.removeAll()
        close(wakefd)
        stopped.signal()
    }

    /// The wanted set as of the previous turn (a namespace new in it is opened at once).
    private var lastWanted: Set<String?> = []
}

extension LinkMonitor {
    /// Microseconds on the monotonic clock (the clock of `Handler`'s `readAt`).
    public static func now() -> UInt64 { tp_monotonic_us() }
}
