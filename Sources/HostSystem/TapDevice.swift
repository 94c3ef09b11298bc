import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// Tap devices Tapestry owns: created (or re-attached after a crash) through /dev/net/tun with
/// virtio-net headers and offloads, marked with an alias so that Tapestry only ever deletes its own.
public enum TapDevice {
    /// The alias prefix that marks a netdev as Tapestry's.
    public static let aliasPrefix = "tapestry:"

    /// An open tap: the fds (one per queue) the datapath reads and writes, and the netdev as the kernel sees it.
    public struct Handle: Sendable {
        public let fds: [Int32]
        public let link: LinkInfo
        public var fd: Int32 { fds[0] }
    }

    /// Opens tap `name` in namespace `netns` (nil: the daemon's own), creating it when absent, with
    /// `queues` queues (IFF_MULTI_QUEUE, one fd each). A tap a previous version made single-queue
    /// is re-attached with its one queue. The netdev is made persistent, given `mtu`/`mac` when set,
    /// marked `tapestry:<bridge>` and brought up (`up`: false leaves it down, nil as it is). Refuses a netdev
    /// of that name that Tapestry did not create.
    public static func open(name: String, netns: String?, bridge: String, mtu: Int?, mac: [UInt8]?, queues: Int = 1,
                            up: Bool? = true) throws -> Handle {
        try NetworkNamespace.run(in: netns) { () throws -> Handle in
            let nl = try Netlink()
            let place = netns.map { " in namespace \($0)" } ?? ""
            if let existing = try nl.link(named: name), !(existing.alias ?? "").hasPrefix(aliasPrefix) {
                throw SystemError("create tap \(name)\(place)", cause: "a netdev with that name exists and was not created by tapestry")
            }
            var fds: [Int32] = []
            do {
                // ip tuntap add dev NAME mode tap multi_queue vnet_hdr (one attach per queue)
                let first = tp_tap_open_queue(name, 1)
                if first == -EINVAL {
                    // A single-queue tap left by an earlier version: attach it as it is.
                    fds.append(try shimCall("open tap \(name)\(place)") { tp_tap_open(name, 1) })
                } else {
                    fds.append(try shimCall("open tap \(name)\(place)") { first })
                    for q in 1..<max(queues, 1) {
                        fds.append(try shimCall("open queue \(q) of tap \(name)\(place)") { tp_tap_open_queue(name, 1) })
                    }
                }
                try shimCall("make tap \(name) persistent") { tp_tap_set_persist(fds[0], 1) }
                try shimCall("enable offloads on tap \(name)") { tp_tap_enable_offloads(fds[0], 1) }
                try nl.change(name, up: up, mtu: mtu, mac: mac, alias: aliasPrefix + bridge)
                guard let link = try nl.link(named: name) else {
                    throw SystemError("open tap \(name)\(place)", cause: "the netdev vanished")
                }
                return Handle(fds: fds, link: link)
            } catch {
                for fd in fds { close(fd) }
                throw error
            }
        }
    }

    /// Deletes tap `name` in `netns` if it is Tapestry's; a missing netdev or namespace is not an error.
    public static func remove(name: String, netns: String?) throws {
        if let netns, !NetworkNamespace.exists(netns) { return }
        try NetworkNamespace.run(in: netns) { () throws -> Void in
            let nl = try Netlink()
            guard let link = try nl.link(named: name), (link.alias ?? "").hasPrefix(aliasPrefix) else { return }
            try nl.delete(name)
        }
    }

    /// Whether tap `name` in `netns` exists and is Tapestry's.
    public static func isOurs(name: String, netns: String?) -> Bool {
        if let netns, !NetworkNamespace.exists(netns) { return false }
        return (try? NetworkNamespace.run(in: netns) { () throws -> Bool in
            let link = try Netlink().link(named: name)
            return (link?.alias ?? "").hasPrefix(aliasPrefix)
        }) ?? false
    }
}

/// Existing netdevs attached as system ports through AF_PACKET. Tapestry brings them up and
/// never creates, renames or deletes them; closing the sockets detaches (promiscuity is dropped).
public enum SystemInterface {
    public struct Handle: Sendable {
        /// One socket per datapath thread, joined in one PACKET_FANOUT (hash) group when several.
        public let fds: [Int32]
        public let link: LinkInfo
        public var fd: Int32 { fds[0] }
    }

    /// Opens `sockets` AF_PACKET sockets on `name` (a fanout group when more than one). They bypass the
    /// qdisc (PACKET_QDISC_BYPASS) only when the netdev segments TCP itself: on the bypass path the
    /// kernel drops a GSO frame it would have to segment in software (ENOBUFS), while the qdisc path
    /// segments it — a veth with `ethtool -K … tx off` (as a userspace switch reading the other end
    /// needs: it takes frames with unfinished checksums or oversized as they come) is one such netdev.
    public static func attach(name: String, sockets: Int = 1) throws -> Handle {
        let nl = try Netlink()
        guard var link = try nl.link(named: name) else {
            throw SystemError("attach \(name)", cause: "no such network device")
        }
        if !link.isUp {
            try nl.change(name, up: true)
            link.isUp = true
        }
        var fds: [Int32] = []
        do {
            var group: Int32 = -1
            for _ in 0..<max(sockets, 1) {
                let fd = try shimCall("open packet socket on \(name)") { tp_packet_open(link.ifindex) }
                fds.append(fd)
                if tp_netdev_has_tso(fd, link.ifindex) != 0 { _ = tp_packet_bypass_qdisc(fd) }
                if sockets > 1 {
                    let g = group
                    group = try shimCall("join packet fanout group on \(name)") { tp_packet_join_fanout(fd, g) }
                }
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        return Handle(fds: fds, link: link)
    }
}
