import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// Tap devices Tapestry owns: created (or re-attached after a crash) through /dev/net/tun with
/// virtio-net headers and offloads, marked with an alias so that Tapestry only ever deletes its own.
public enum TapDevice {
    /// The alias prefix that marks a netdev as Tapestry's.
    public static let aliasPrefix = "tapestry:"

    /// An open tap: the fd the datapath reads and writes, and the netdev as the kernel sees it.
    public struct Handle: Sendable {
        public let fd: Int32
        public let link: LinkInfo
    }

    /// Opens tap `name` in namespace `netns` (nil: the daemon's own), creating it when absent.
    /// The netdev is made persistent, given `mtu`/`mac` when set, marked `tapestry:<bridge>` and brought up.
    /// Refuses a netdev of that name that Tapestry did not create.
    public static func open(name: String, netns: String?, bridge: String, mtu: Int?, mac: [UInt8]?) throws -> Handle {
        try NetworkNamespace.run(in: netns) { () throws -> Handle in
            let nl = try Netlink()
            let place = netns.map { " in namespace \($0)" } ?? ""
            if let existing = try nl.link(named: name), !(existing.alias ?? "").hasPrefix(aliasPrefix) {
                throw SystemError("create tap \(name)\(place)", cause: "a netdev with that name exists and was not created by tapestry")
            }
            let fd = try shimCall("open tap \(name)\(place)") { tp_tap_open(name, 1) }
            do {
                try shimCall("make tap \(name) persistent") { tp_tap_set_persist(fd, 1) }
                try shimCall("enable offloads on tap \(name)") { tp_tap_enable_offloads(fd, 1) }
                try nl.change(name, up: true, mtu: mtu, mac: mac, alias: aliasPrefix + bridge)
                guard let link = try nl.link(named: name) else {
                    throw SystemError("open tap \(name)\(place)", cause: "the netdev vanished")
                }
                return Handle(fd: fd, link: link)
            } catch {
                close(fd)
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
/// never creates, renames or deletes them; closing the socket detaches (promiscuity is dropped).
public enum SystemInterface {
    public struct Handle: Sendable {
        public let fd: Int32
        public let link: LinkInfo
    }

    public static func attach(name: String) throws -> Handle {
        let nl = try Netlink()
        guard var link = try nl.link(named: name) else {
            throw SystemError("attach \(name)", cause: "no such network device")
        }
        if !link.isUp {
            try nl.change(name, up: true)
            link.isUp = true
        }
        let fd = try shimCall("open packet socket on \(name)") { tp_packet_open(link.ifindex) }
        return Handle(fd: fd, link: link)
    }
}
