import CTapestryShims
import SwitchCore
import TapestryModel
#if canImport(Glibc)
import Glibc
#endif

/// The UDP sockets of one VXLAN endpoint (local address, UDP port), shared by every vxlan port
/// that uses it: one receive socket per datapath thread bound to the VXLAN port with SO_REUSEPORT
/// (the kernel spreads datagrams by 4-tuple hash, and the sender varies the source port per inner
/// flow, so a flow stays on one thread), and a few sockets bound to ephemeral ports for sending,
/// picked by a hash of the inner flow so that the outer source port varies per flow as Linux's
/// vxlan does (the underlay can spread flows).
///
/// As a `FrameSource` it decapsulates: each frame it hands over has the VNI as `key` and the
/// sending VTEP's `TunnelRemoteKey` as `remote`; the datapath routes it to the vxlan port of that VNI.
/// The sockets are AF_INET or AF_INET6 after the family of `local` (IPv6: IPV6_V6ONLY, so an IPv4
/// and an IPv6 tunnel can share a UDP port); UDP_GRO and UDP_SEGMENT work for both.
public final class VXLANTunnel: FrameSource, @unchecked Sendable {
    public static let senderCount = 8
    /// recvmmsg reads at most this many datagrams (each may hold up to 64 coalesced by UDP_GRO).
    static let readsPerBatch = 8

    /// The address the sockets are bound to (the unspecified address of a family: any).
    public let local: IPAddress
    public let port: UInt16
    public let receiveFDs: [Int32]
    public let sendFDs: [Int32]
    /// Drops that belong to no port (bad header, unknown VNI), one lane per thread.
    public let counters: PortCounters
    /// Per queue: the recvmmsg slots (only thread `queue` touches its own; hence @unchecked).
    private let slots: [UnsafeMutablePointer<tp_udp_slot>]

    /// `queues`: one receive socket per datapath thread.
    public init(local: IPAddress, port: UInt16, queues: Int = 1) throws(DatapathError) {
        var local6 = VXLANBinding.IPv6Bytes(local)
        func open(shared: Bool, port: UInt16) -> Int32 {
            if local.family == .ipv4 {
                return shared ? tp_udp_open_shared(local.ipv4Value, port) : tp_udp_open(local.ipv4Value, port)
            }
            return withUnsafeBytes(of: &local6) { b in
                let p = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
                return shared ? tp_udp6_open_shared(p, port) : tp_udp6_open(p, port)
            }
        }
        var rx: [Int32] = []
        for _ in 0..<max(queues, 1) {
            let fd = open(shared: true, port: port)
            guard fd >= 0 else {
                for f in rx { Glibc.close(f) }
                throw DatapathError("could not listen on UDP port \(port) for VXLAN: \(String(cString: strerror(-fd)))")
            }
            // Receive offload: a burst of one flow arrives in one read and is merged back into one super-frame.
            _ = tp_udp_enable_gro(fd)
            rx.append(fd)
        }
        var tx: [Int32] = []
        for _ in 0..<VXLANTunnel.senderCount {
            let fd = open(shared: false, port: 0)
            if fd >= 0 { tx.append(fd) }
        }
        if tx.isEmpty { tx = [rx[0]] }
        self.local = local; self.port = port; receiveFDs = rx; sendFDs = tx
        counters = PortCounters(lanes: rx.count)
        slots = rx.map { _ in UnsafeMutablePointer<tp_udp_slot>.allocate(capacity: VXLANTunnel.readsPerBatch) }
    }

    deinit { for s in slots { s.deallocate() } }

    /// Closes the sockets; only after the datapath dropped every port using them.
    public func close() {
        for fd in Set(sendFDs + receiveFDs) { Glibc.close(fd) }
    }

    public var queueCount: Int { receiveFDs.count }
    public func receiveFD(queue: Int) -> Int32 { queue < receiveFDs.count ? receiveFDs[queue] : -1 }

    /// Reads up to `readsPerBatch` datagrams into the last buffers of the batch. A read the kernel
    /// coalesced (UDP_GRO) becomes one TCP super-frame in place when its datagrams merge exactly;
    /// otherwise each of its datagrams is copied out, with room for its virtio-net header, into
    /// the batch's first buffers (packed). Every frame gets a zeroed (or merged) virtio-net header.
    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int {
        let h = VXLANEncapsulator.headerLength
        let vnetLength = Int(TP_VNET_HDR_LEN)
        let reads = min(VXLANTunnel.readsPerBatch, batch.bufferCount / 2)
        let firstRead = batch.bufferCount - reads
        // The datagram lands so that the inner frame starts right after room for a vnet header.
        let offset = ReceiveBatch.headroom + vnetLength - h
        let udp = slots[queue]
        for k in 0..<reads {
            udp[k].buf = batch.buffer(firstRead + k) + offset
            udp[k].cap = UInt32(batch.bufferSize - offset)
        }
        let got = Int(tp_udp_recv_batch(receiveFDs[queue], udp, Int32(reads)))
        var n = 0
        // Split datagrams are copied into buffers [0, firstRead), packed.
        var arena = batch.buffer(0)
        let arenaEnd = batch.buffer(firstRead)
        for k in 0..<max(got, 0) {
            let d = batch.buffer(firstRead + k) + offset
            let total = Int(udp[k].len)
            let stride = udp[k].gro_size > 0 ? Int(udp[k].gro_size) : total
            let src = udp[k].is_ipv6 == 0 ? udp[k].src_ip : VXLANTunnel.ipv6Key(udp[k].src_ip6)
            if stride < total {
                let count = (total + stride - 1) / stride
                if let merged = TCPCoalescer.merge(d, count: count, stride: stride, lastLength: total - (count - 1) * stride, h: h) {
                    guard n < batch.capacity else { break }
                    batch.data[n] = d + h - vnetLength
                    batch.length[n] = vnetLength + merged.length
                    batch.key[n] = merged.vni; batch.remote[n] = src
                    n += 1
                    continue
                }
            }
            if stride >= total {
                // One datagram: in place.
                guard total >= h, d.load(as: UInt8.self) & 0x08 != 0 else { counters.dropped(.vxlanBadHeader); continue }
                guard n < batch.capacity else { break }
                batch.key[n] = VXLANTunnel.vni(d); batch.remote[n] = src
                // The virtio-net header goes over the VXLAN header (read above) and 2 bytes of headroom.
                let vnet = d + h - vnetLength
                vnet.initializeMemory(as: UInt8.self, repeating: 0, count: vnetLength)
                PartialChecksum.markIfUnfinished(vnet: vnet, frame: d + h, length: total - h)
                batch.data[n] = vnet
                batch.length[n] = vnetLength + total - h
                n += 1
                continue
            }
            // Several datagrams that do not merge: each copied out behind its own virtio-net header.
            var off = 0
            while off < total {
                let len = min(stride, total - off)
                let p = d + off
                off += len
                // RFC 7348: the I flag must be set; the other flag bits and reserved fields are ignored.
                guard len >= h, p.load(as: UInt8.self) & 0x08 != 0 else { counters.dropped(.vxlanBadHeader); continue }
                let need = (vnetLength + len - h + 63) & ~63
                guard n < batch.capacity, arena + need <= arenaEnd else { counters.dropped(.txError); continue }
                let vnet = arena
                arena += need
                vnet.initializeMemory(as: UInt8.self, repeating: 0, count: vnetLength)
                (vnet + vnetLength).copyMemory(from: p + h, byteCount: len - h)
                PartialChecksum.markIfUnfinished(vnet: vnet, frame: vnet + vnetLength, length: len - h)
                batch.data[n] = vnet
                batch.length[n] = vnetLength + len - h
                batch.key[n] = VXLANTunnel.vni(p); batch.remote[n] = src
                n += 1
            }
        }
        return n
    }

    /// The remote key of an IPv6 sender (network-order bytes); never interns an unknown sender.
    static func ipv6Key(_ a: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                              UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> UInt32 {
        withUnsafeBytes(of: a) { b in
            TunnelRemoteKey.existingKey(ipv6High: UInt64(bigEndian: b.loadUnaligned(as: UInt64.self)),
                                        low: UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }

    @inline(__always)
    static func vni(_ p: UnsafeRawPointer) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8
    }
}
