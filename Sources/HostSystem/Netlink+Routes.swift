import CNetlink
import TapestryModel
#if canImport(Glibc)
import Glibc
#endif

/// Static routes (libnl `rtnl_route_*`) in the main table.
extension Netlink {
    /// `ip route replace DEST via GATEWAY dev NAME [metric N] proto static`.
    public func addRoute(_ route: IPRoute, dev name: String) throws(SystemError) {
        let what = "add route \(route) dev \(name)"
        guard let link = try self.link(named: name) else { throw SystemError(what, cause: "no such network device") }
        let r = try Netlink.routeObject(route, ifindex: link.ifindex, what: what)
        defer { rtnl_route_put(r) }
        let c = rtnl_route_add(sock, r, NLM_F_REPLACE)
        if c < 0 { throw Netlink.error(what, c) }
    }

    /// `ip route del DEST via GATEWAY dev NAME [metric N]`. A missing route or device is not an error.
    public func deleteRoute(_ route: IPRoute, dev name: String) throws(SystemError) {
        let what = "delete route \(route) dev \(name)"
        guard let link = try self.link(named: name) else { return }
        let r = try Netlink.routeObject(route, ifindex: link.ifindex, what: what)
        defer { rtnl_route_put(r) }
        let c = rtnl_route_delete(sock, r, 0)
        if c < 0 && c != -NLE_OBJ_NOTFOUND && c != -NLE_NODEV && c != -NLE_NOADDR { throw Netlink.error(what, c) }
    }

    /// The routes of the main table that leave through `name` via a gateway (`ip route show dev NAME`).
    public func routes(dev name: String) throws(SystemError) -> [IPRoute] {
        guard let link = try self.link(named: name) else { return [] }
        var cache: OpaquePointer? = nil
        let r = rtnl_route_alloc_cache(sock, Int32(AF_UNSPEC), 0, &cache)
        guard r >= 0, let cache else { throw Netlink.error("list routes", r) }
        defer { nl_cache_free(cache) }
        var out: [IPRoute] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            obj = nl_cache_get_next(o)
            guard rtnl_route_get_table(o) == UInt32(RT_TABLE_MAIN.rawValue), rtnl_route_get_nnexthops(o) == 1,
                  let nh = rtnl_route_nexthop_n(o, 0), rtnl_route_nh_get_ifindex(nh) == link.ifindex,
                  let gw = rtnl_route_nh_get_gateway(nh).flatMap(Netlink.address),
                  let dst = rtnl_route_get_dst(o), let dstAddress = Netlink.address(dst) else { continue }
            let prefix = Int(nl_addr_get_prefixlen(dst))
            let metric = rtnl_route_get_priority(o)
            out.append(IPRoute(destination: IPNetwork(address: dstAddress, prefix: prefix), gateway: gw, metric: metric == 0 ? nil : metric))
        }
        return out
    }

    static func routeObject(_ route: IPRoute, ifindex: Int32, what: String) throws(SystemError) -> OpaquePointer {
        guard let r = rtnl_route_alloc() else { throw SystemError(what, cause: "out of memory") }
        let family = route.destination.family == .ipv4 ? AF_INET : AF_INET6
        do throws(SystemError) {
            let dst = try nlAddress(route.destination.address, prefix: route.destination.prefix, what: what)
            defer { nl_addr_put(dst) }
            let gw = try nlAddress(route.gateway, prefix: nil, what: what)
            defer { nl_addr_put(gw) }
            rtnl_route_set_family(r, UInt8(family))
            rtnl_route_set_table(r, UInt32(RT_TABLE_MAIN.rawValue))
            rtnl_route_set_protocol(r, UInt8(RTPROT_STATIC))
            rtnl_route_set_scope(r, UInt8(RT_SCOPE_UNIVERSE.rawValue))
            rtnl_route_set_type(r, UInt8(RTN_UNICAST))
            if let m = route.metric { rtnl_route_set_priority(r, m) }
            let s = rtnl_route_set_dst(r, dst)
            if s < 0 { throw Netlink.error(what, s) }
            guard let nh = rtnl_route_nh_alloc() else { throw SystemError(what, cause: "out of memory") }
            rtnl_route_nh_set_ifindex(nh, ifindex)
            rtnl_route_nh_set_gateway(nh, gw)
            rtnl_route_add_nexthop(r, nh)
        } catch {
            rtnl_route_put(r)
            throw error
        }
        return r
    }

    /// A libnl address object for `address` (with `prefix`, else the full width); the caller puts it.
    static func nlAddress(_ address: IPAddress, prefix: Int?, what: String) throws(SystemError) -> OpaquePointer {
        var out: OpaquePointer? = nil
        let text = address.description + (prefix.map { "/\($0)" } ?? "")
        let family = address.family == .ipv4 ? AF_INET : AF_INET6
        let p = nl_addr_parse(text, Int32(family), &out)
        guard p >= 0, let out else { throw Netlink.error(what, p) }
        return out
    }

    /// The IP address in a libnl address object.
    static func address(_ a: OpaquePointer) -> IPAddress? {
        guard let bytes = nl_addr_get_binary_addr(a) else { return nil }
        let len = Int(nl_addr_get_len(a))
        let p = bytes.assumingMemoryBound(to: UInt8.self)
        let octets = (0..<len).map { p[$0] }
        switch len {
        case 4: return IPAddress(ipv4: octets.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let hi = octets[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = octets[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return IPAddress(ipv6High: hi, low: lo)
        default: return nil
        }
    }
}
