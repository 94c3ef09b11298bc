import CNetlink
import TapestryModel
#if canImport(Glibc)
import Glibc
#endif

/// Making links (libnl `rtnl_link_*`): veth pairs across namespaces, bridges, enslaving.
extension Netlink {
    /// `ip link add NAME netns A type veth peer name PEER netns B`: both ends made directly in their
    /// namespaces (given as open namespace fds), never in this one.
    public func createVeth(_ name: String, namespaceFD: Int32, peer: String, peerNamespaceFD: Int32) throws(SystemError) {
        let what = "create veth \(name) ↔ \(peer)"
        guard let link = rtnl_link_veth_alloc() else { throw SystemError(what, cause: "out of memory") }
        defer { rtnl_link_veth_release(link) }
        guard let other = rtnl_link_veth_get_peer(link) else { throw SystemError(what, cause: "no peer") }
        defer { rtnl_link_put(other) }
        rtnl_link_set_name(link, name)
        rtnl_link_set_ns_fd(link, namespaceFD)
        rtnl_link_set_name(other, peer)
        rtnl_link_set_ns_fd(other, peerNamespaceFD)
        let r = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        if r < 0 { throw Netlink.error(what, r) }
    }

    /// `ip link add NAME type bridge` in this namespace.
    public func createBridge(_ name: String) throws(SystemError) {
        let what = "create bridge \(name)"
        guard let link = rtnl_link_alloc() else { throw SystemError(what, cause: "out of memory") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let t = rtnl_link_set_type(link, "bridge")
        if t < 0 { throw Netlink.error(what, t) }
        let r = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        if r < 0 { throw Netlink.error(what, r) }
    }

    /// `ip link set NAME master BRIDGE`.
    public func setMaster(_ name: String, _ master: String) throws(SystemError) {
        let what = "attach \(name) to \(master)"
        guard let m = try link(named: master) else { throw SystemError(what, cause: "no such bridge") }
        var orig: OpaquePointer? = nil
        let g = rtnl_link_get_kernel(sock, 0, name, &orig)
        guard g >= 0, let orig else { throw Netlink.error(what, g < 0 ? g : -NLE_OBJ_NOTFOUND) }
        defer { rtnl_link_put(orig) }
        guard let change = rtnl_link_alloc() else { throw SystemError(what, cause: "out of memory") }
        defer { rtnl_link_put(change) }
        rtnl_link_set_master(change, m.ifindex)
        let r = rtnl_link_change(sock, orig, change, 0)
        if r < 0 { throw Netlink.error(what, r) }
    }

    /// The gateway of this namespace's IPv4 default route (`ip -4 route show default`).
    public func defaultGatewayIPv4() throws(SystemError) -> IPAddress? {
        var cache: OpaquePointer? = nil
        let r = rtnl_route_alloc_cache(sock, Int32(AF_INET), 0, &cache)
        guard r >= 0, let cache else { throw Netlink.error("list routes", r) }
        defer { nl_cache_free(cache) }
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            obj = nl_cache_get_next(o)
            guard rtnl_route_get_table(o) == UInt32(RT_TABLE_MAIN.rawValue), let dst = rtnl_route_get_dst(o),
                  nl_addr_get_prefixlen(dst) == 0, rtnl_route_get_nnexthops(o) >= 1, let nh = rtnl_route_nexthop_n(o, 0),
                  let gw = rtnl_route_nh_get_gateway(nh).flatMap(Netlink.address) else { continue }
            return gw
        }
        return nil
    }
}
