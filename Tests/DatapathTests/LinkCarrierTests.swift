import Glibc
import HostSystem
import Testing

/// `LinkCarrier.isRunning` reads a netdev's admin state and carrier through ioctls on any socket of
/// the namespace (the bonds thread uses it every 50 ms). The down case (a veth whose peer went
/// down) is covered by the bond integration tests; here the plumbing: the loopback device of the
/// test's own namespace is up with carrier, an ifindex that names no netdev gives nil.
@Suite("Link carrier read at once")
struct LinkCarrierTests {
    @Test func loopbackIsRunningAndAMissingIndexIsUnknown() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0, "socket: errno \(errno)")
        defer { close(fd) }
        let lo = Int32(if_nametoindex("lo"))
        try #require(lo > 0, "no loopback device in this namespace")
        #expect(LinkCarrier.isRunning(socket: fd, ifindex: lo) == true)
        // The highest ifindex in use plus one names nothing.
        var highest: Int32 = lo
        if let list = if_nameindex() {
            defer { if_freenameindex(list) }
            var p = list
            while p.pointee.if_index != 0 { highest = max(highest, Int32(p.pointee.if_index)); p += 1 }
        }
        #expect(LinkCarrier.isRunning(socket: fd, ifindex: highest + 1) == nil)
        // A closed descriptor cannot ask: unknown, not "down".
        #expect(LinkCarrier.isRunning(socket: -1, ifindex: lo) == nil)
    }
}
