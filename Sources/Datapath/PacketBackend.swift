import CTapestryShims

/// A system port: an existing netdev (a veth, a NIC, QEMU's own tap) read and written through
/// AF_PACKET sockets with virtio-net headers (PACKET_VNET_HDR) and PACKET_QDISC_BYPASS.
///
/// One socket per datapath thread, all in one PACKET_FANOUT group (hash): the kernel hands each
/// flow to one socket, so each thread reads its own flows in order. Receives are one recvmmsg
/// per batch; a tag the kernel moved to metadata (PACKET_AUXDATA) is put back into the bytes, in
/// the headroom. Sends are one sendmmsg per batch. The daemon owns the sockets.
public final class PacketBackend: PortBackend, @unchecked Sendable {
    public let fds: [Int32]
    public var queueCount: Int { fds.count }
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]
    /// Per queue: the receive slots of recvmmsg (only thread `queue` touches its own; hence @unchecked).
    private let slots: [UnsafeMutablePointer<tp_rx_slot>]
    static let vnetLength = Int(TP_VNET_HDR_LEN)

    public init(fds: [Int32]) {
        precondition(!fds.isEmpty, "a system port has at least one socket")
        self.fds = fds
        slots = fds.map { _ in UnsafeMutablePointer<tp_rx_slot>.allocate(capacity: 64) }
    }

    deinit { for s in slots { s.deallocate() } }

    public func receiveFD(queue: Int) -> Int32 { queue < fds.count ? fds[queue] : -1 }

    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int {
        receive(queue: queue, into: batch, from: 0)
    }

    /// Reads frames of `queue` into `batch` from index `first` on (a bond reads its members one after another).
    func receive(queue: Int, into batch: ReceiveBatch, from first: Int) -> Int {
        let rx = slots[queue]
        let n = min(batch.bufferCount - first, 64)
        guard n > 0 else { return 0 }
        for j in 0..<n {
            rx[j].buf = batch.data[first + j]
            rx[j].cap = UInt32(batch.room(first + j))
        }
        let got = Int(tp_packet_recv_batch(fds[queue], rx, Int32(n)))
        let vnetLength = PacketBackend.vnetLength
        for j in 0..<max(got, 0) {
            let k = first + j
            var length = Int(rx[j].len)
            if rx[j].vlan_valid != 0 && length >= vnetLength + 12 {
                // The kernel took the 802.1Q tag off into metadata: put it back after the MACs.
                let moved = vnetLength + 12
                let vnet = batch.data[k] - 4
                vnet.copyMemory(from: batch.data[k], byteCount: moved)
                let tag = vnet + moved
                let tpid = rx[j].vlan_tpid, tci = rx[j].vlan_tci
                tag.storeBytes(of: tpid.bigEndian, as: UInt16.self)
                (tag + 2).storeBytes(of: tci.bigEndian, as: UInt16.self)
                VirtioNetHeader.shiftChecksumStart(vnet, by: 4)
                batch.data[k] = vnet
                length += 4
            }
            batch.length[k] = length
        }
        return max(got, 0)
    }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        _ = tp_send_batch(fds[context.queue % fds.count], frames, Int32(count), 1)
        countResults(frames, count: count, counters: counters)
    }
}
