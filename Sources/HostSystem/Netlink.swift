import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// What Tapestry reads of a link.
public struct LinkInfo: Sendable, Equatable {
    public var name: String
    public var ifindex: Int32
    public var isUp: Bool
    public var mtu: Int
    public var mac: String?
    public var alias: String?
    /// Whether the lower layer has carrier (IFF_LOWER_UP: a tap with its fd open, a veth whose peer is up).
    public var carrier: Bool
    /// RFC 2863 operational state as `ip link` prints it (`up`, `down`, `lowerlayerdown`, `unknown`, ...).
    public var operState: String

    public init(name: String, ifindex: Int32, isUp: Bool, mtu: Int, mac: String?, alias: String?,
                carrier: Bool = true, operState: String = "unknown") {
        self.name = name; self.ifindex = ifindex; self.isUp = isUp; self.mtu = mtu; self.mac = mac; self.alias = alias
        self.carrier = carrier; self.operState = operState
    }

    /// Whether frames can pass: administratively up and with carrier.
    public var isRunning: Bool { isUp && carrier }
}

/// A route netlink socket (libnl-route-3) in the namespace of the thread that opened it.
/// Each operation names its iproute2 equivalent. One owner at a time; not thread-safe.
public final class Netlink {
    let sock: OpaquePointer

    public init() throws(SystemError) {
        guard let s = nl_socket_alloc() else { throw SystemError("open netlink socket", cause: "out of memory") }
        let r = nl_connect(s, Int32(NETLINK_ROUTE))
        if r < 0 {
            nl_socket_free(s)
            throw Netlink.error("connect netlink socket", r)
        }
        sock = s
    }

    deinit { nl_socket_free(sock) }

    /// IFF_LOWER_UP (linux/if.h; not exported by Glibc's net/if.h).
    static let lowerUp: UInt32 = 0x10000

    static func error(_ what: String, _ code: Int32) -> SystemError {
        SystemError(what, cause: String(cString: nl_geterror(code)), code: 0)
    }

    /// `ip link show NAME`; nil when there is no such link.
    public func link(named name: String) throws(SystemError) -> LinkInfo? {
        var link: OpaquePointer? = nil
        let r = rtnl_link_get_kernel(sock, 0, name, &link)
        if r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV { return nil }
        if r < 0 { throw Netlink.error("read link \(name)", r) }
        guard let link else { return nil }
        defer { rtnl_link_put(link) }
        return Netlink.info(link)
    }

    static func info(_ link: OpaquePointer) -> LinkInfo {
        var mac: String? = nil
        if let a = rtnl_link_get_addr(link), nl_addr_get_len(a) == 6, let bytes = nl_addr_get_binary_addr(a) {
            let p = bytes.assumingMemoryBound(to: UInt8.self)
            mac = (0..<6).map { i in
                let h = String(p[i], radix: 16)
                return h.count == 1 ? "0" + h : h
            }.joined(separator: ":")
        }
        let alias = rtnl_link_get_ifalias(link).map { String(cString: $0) }
        let flags = rtnl_link_get_flags(link)
        var text = [CChar](repeating: 0, count: 32)
        let oper = text.withUnsafeMutableBufferPointer { b -> String in
            guard let p = rtnl_link_operstate2str(rtnl_link_get_operstate(link), b.baseAddress, b.count) else { return "unknown" }
            return String(cString: p)
        }
        return LinkInfo(name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
                        ifindex: rtnl_link_get_ifindex(link),
                        isUp: flags & UInt32(IFF_UP) != 0,
                        mtu: Int(rtnl_link_get_mtu(link)), mac: mac, alias: alias,
                        carrier: flags & Netlink.lowerUp != 0, operState: oper.lowercased())
    }

    /// Changes one link: `ip link set dev NAME [up] [mtu N] [address MAC] [alias TEXT] [netns FD]`.
    public func change(_ name: String, up: Bool? = nil, mtu: Int? = nil, mac: [UInt8]? = nil, alias: String? = nil,
                       netnsFD: Int32? = nil) throws(SystemError) {
        var orig: OpaquePointer? = nil
        let r = rtnl_link_get_kernel(sock, 0, name, &orig)
        guard r >= 0, let orig else { throw Netlink.error("find link \(name)", r < 0 ? r : -NLE_OBJ_NOTFOUND) }
        defer { rtnl_link_put(orig) }
        guard let change = rtnl_link_alloc() else { throw SystemError("change link \(name)", cause: "out of memory") }
        defer { rtnl_link_put(change) }
        if let up {
            if up { rtnl_link_set_flags(change, UInt32(IFF_UP)) } else { rtnl_link_unset_flags(change, UInt32(IFF_UP)) }
        }
        if let mtu { rtnl_link_set_mtu(change, UInt32(mtu)) }
        if let alias { rtnl_link_set_ifalias(change, alias) }
        if let netnsFD { rtnl_link_set_ns_fd(change, netnsFD) }
        var addr: OpaquePointer? = nil
        if let mac {
            addr = mac.withUnsafeBytes { nl_addr_build(Int32(AF_LLC), $0.baseAddress, 6) }
            rtnl_link_set_addr(change, addr)
        }
        defer { if let addr { nl_addr_put(addr) } }
        let c = rtnl_link_change(sock, orig, change, 0)
        if c < 0 { throw Netlink.error("change link \(name)", c) }
    }

    /// `ip link del NAME`.
    public func delete(_ name: String) throws(SystemError) {
        guard let link = rtnl_link_alloc() else { throw SystemError("delete link \(name)", cause: "out of memory") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let r = rtnl_link_delete(sock, link)
        if r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV { throw Netlink.error("delete link \(name)", r) }
    }

    /// `ip link show` — every link of the namespace.
    public func links() throws(SystemError) -> [LinkInfo] {
        var cache: OpaquePointer? = nil
        let r = rtnl_link_alloc_cache(sock, Int32(AF_UNSPEC), &cache)
        guard r >= 0, let cache else { throw Netlink.error("list links", r) }
        defer { nl_cache_free(cache) }
        var result: [LinkInfo] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            result.append(Netlink.info(o))
            obj = nl_cache_get_next(o)
        }
        return result
    }
}
