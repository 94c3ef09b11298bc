import CTapestryShims

/// One end of a patch pair (`--type patch --peer PORT`), joining two bridges inside the datapath
/// as Open vSwitch's patch ports do: a frame sent into one end is received by the other end's
/// bridge, on the same thread, right after the batch it came from.
///
/// A send copies the frame (its tag edit applied, virtio-net header kept) into the thread's
/// loopback batch; the datapath then runs that batch through the peer's bridge. Nothing to poll.
/// Frames that bounce between bridges more than `DatapathWorker.maxPatchHops` times are dropped.
public final class PatchBackend: PortBackend {
    /// The name of the port at the other end.
    public let peer: String
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]
    public init(peer: String) { self.peer = peer }

    public var queueCount: Int { 0 }
    public func receiveFD(queue: Int) -> Int32 { -1 }
    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int { 0 }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        let lb = context.loopback
        let vnetLength = Int(TP_VNET_HDR_LEN)
        for i in 0..<count {
            let s = frames[i]
            let k = context.loopbackCount
            guard let f = s.frame, k < lb.bufferCount, Int(s.len) + 4 + vnetLength <= lb.bufferSize - ReceiveBatch.headroom else {
                counters.dropped(.txError)
                continue
            }
            let vnet = lb.buffer(k) + ReceiveBatch.headroom
            if let v = s.vnet { vnet.copyMemory(from: v, byteCount: vnetLength) } else {
                vnet.initializeMemory(as: UInt8.self, repeating: 0, count: vnetLength)
            }
            let out = vnet + vnetLength
            let len = Int(s.len)
            var outLen = len
            switch s.edit {
            case Int32(TP_EDIT_PUSH) where len >= 12:
                out.copyMemory(from: f, byteCount: 12)
                (out + 12).storeBytes(of: UInt16(0x8100).bigEndian, as: UInt16.self)
                (out + 14).storeBytes(of: s.tci.bigEndian, as: UInt16.self)
                (out + 16).copyMemory(from: f + 12, byteCount: len - 12)
                outLen = len + 4
                VirtioNetHeader.shiftChecksumStart(vnet, by: 4)
            case Int32(TP_EDIT_POP) where len >= 16:
                out.copyMemory(from: f, byteCount: 12)
                (out + 12).copyMemory(from: f + 16, byteCount: len - 16)
                outLen = len - 4
                VirtioNetHeader.shiftChecksumStart(vnet, by: -4)
            case Int32(TP_EDIT_RETAG) where len >= 16:
                out.copyMemory(from: f, byteCount: len)
                (out + 14).storeBytes(of: s.tci.bigEndian, as: UInt16.self)
            default:
                out.copyMemory(from: f, byteCount: len)
            }
            lb.data[k] = vnet
            lb.length[k] = vnetLength + outLen
            lb.key[k] = 0
            lb.remote[k] = 0
            context.loopbackPort[k] = context.port
            context.loopbackCount = k + 1
            counters.sent(bytes: outLen)
        }
    }
}
