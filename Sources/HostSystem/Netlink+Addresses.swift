import CNetlink
import TapestryModel
#if canImport(Glibc)
import Glibc
#endif

/// Interface addresses (libnl `rtnl_addr_*`).
extension Netlink {
    /// `ip addr add ADDRESS/PREFIX dev NAME [nodad]`. An address that is already there is not an error.
    /// `noDAD` skips IPv6 duplicate address detection so the address is usable at once.
    public func addAddress(_ cidr: String, to name: String, noDAD: Bool = false) throws(SystemError) {
        let what = "add address \(cidr) to \(name)"
        guard let link = try self.link(named: name) else { throw SystemError(what, cause: "no such network device") }
        var local: OpaquePointer? = nil
        let p = nl_addr_parse(cidr, Int32(AF_UNSPEC), &local)
        guard p >= 0, let local else { throw Netlink.error(what, p) }
        defer { nl_addr_put(local) }
        guard let addr = rtnl_addr_alloc() else { throw SystemError(what, cause: "out of memory") }
        defer { rtnl_addr_put(addr) }
        rtnl_addr_set_ifindex(addr, link.ifindex)
        let prefix = nl_addr_get_prefixlen(local)
        let s = rtnl_addr_set_local(addr, local)
        if s < 0 { throw Netlink.error(what, s) }
        rtnl_addr_set_prefixlen(addr, Int32(prefix))
        if noDAD { rtnl_addr_set_flags(addr, UInt32(IFA_F_NODAD)) }
        let r = rtnl_addr_add(sock, addr, 0)
        if r < 0 && r != -NLE_EXIST { throw Netlink.error(what, r) }
    }

    /// `ip addr add` of a typed address; IPv6 addresses skip duplicate address detection.
    public func addAddress(_ address: IPNetwork, to name: String) throws(SystemError) {
        try addAddress(address.description, to: name, noDAD: address.family == .ipv6)
    }

    /// `ip addr del` of a typed address.
    public func deleteAddress(_ address: IPNetwork, from name: String) throws(SystemError) {
        try deleteAddress(address.description, from: name)
    }

    /// `ip addr show dev NAME`: the addresses on a link (both families), empty when there is no such link.
    public func addresses(on name: String) throws(SystemError) -> [IPNetwork] {
        guard let link = try self.link(named: name) else { return [] }
        var cache: OpaquePointer? = nil
        let r = rtnl_addr_alloc_cache(sock, &cache)
        guard r >= 0, let cache else { throw Netlink.error("list addresses", r) }
        defer { nl_cache_free(cache) }
        var out: [IPNetwork] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            obj = nl_cache_get_next(o)
            guard rtnl_addr_get_ifindex(o) == link.ifindex, let local = rtnl_addr_get_local(o),
                  let a = Netlink.address(local) else { continue }
            out.append(IPNetwork(address: a, prefix: Int(rtnl_addr_get_prefixlen(o))))
        }
        return out
    }

    /// `ip addr del ADDRESS/PREFIX dev NAME`. A missing address or device is not an error.
    public func deleteAddress(_ cidr: String, from name: String) throws(SystemError) {
        let what = "delete address \(cidr) from \(name)"
        guard let link = try self.link(named: name) else { return }
        var local: OpaquePointer? = nil
        let p = nl_addr_parse(cidr, Int32(AF_UNSPEC), &local)
        guard p >= 0, let local else { throw Netlink.error(what, p) }
        defer { nl_addr_put(local) }
        guard let addr = rtnl_addr_alloc() else { throw SystemError(what, cause: "out of memory") }
        defer { rtnl_addr_put(addr) }
        rtnl_addr_set_ifindex(addr, link.ifindex)
        let prefix = nl_addr_get_prefixlen(local)
        _ = rtnl_addr_set_local(addr, local)
        rtnl_addr_set_prefixlen(addr, Int32(prefix))
        let r = rtnl_addr_delete(sock, addr, 0)
        if r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NOADDR && r != -NLE_NODEV { throw Netlink.error(what, r) }
    }
}
