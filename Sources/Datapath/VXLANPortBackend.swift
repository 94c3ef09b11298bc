import CTapestryShims
import SwitchCore

/// A vxlan port: sends encapsulate to its binding's remotes (software TSO/checksum first, UDP GSO
/// sends); it receives nothing of its own: its tunnel's sockets deliver frames with its VNI.
public final class VXLANPortBackend: PortBackend {
    public let binding: VXLANBinding
    public let offloads: PortOffloads = [.vnetHeader, .udpGSO]
    public init(binding: VXLANBinding) { self.binding = binding }

    public var queueCount: Int { 0 }
    public func receiveFD(queue: Int) -> Int32 { -1 }
    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int { 0 }

    public func accepts(remote: UInt32) -> Bool { binding.accepted.contains(remote) }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        for i in 0..<count {
            let s = frames[i]
            guard let vnet = s.vnet, let f = s.frame else { continue }
            context.encapsulator.send(binding, vnet: UnsafeRawPointer(vnet), frame: UnsafeRawBufferPointer(start: f, count: Int(s.len)),
                                      edit: EgressEdit(shim: s.edit, tci: s.tci), remote: s.remote, counters: counters)
        }
    }
}
