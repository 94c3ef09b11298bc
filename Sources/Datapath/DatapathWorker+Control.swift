import CTapestryShims

/// Frames the control plane sends itself (BPDUs), written while the datapath threads are stopped.
extension DatapathAccess {
    /// Sends a control-plane frame (a BPDU, from its Ethernet header) out of one port as it is;
    /// false when there is no such port, it cannot carry it (a vxlan or patch port) or the write failed.
    /// Counted on the port's lane of thread 0 (stopped meanwhile).
    @discardableResult
    public func sendControlFrame(bridge: String, port: String, frame: [UInt8]) -> Bool {
        guard let b = state.config.bridges.first(where: { $0.forwarding.bridge == bridge }),
              let p = b.ports.first(where: { $0.name == port }) else { return false }
        if p.backend is VXLANPortBackend || p.backend is PatchBackend { return false }
        let vnet = [UInt8](repeating: 0, count: Int(TP_VNET_HDR_LEN))
        let lane = p.counters.lane(0)
        let before = p.counters.txPackets
        vnet.withUnsafeBufferPointer { v in
            frame.withUnsafeBufferPointer { f in
                var slot = tp_tx_slot(vnet: v.baseAddress, frame: f.baseAddress, len: UInt32(f.count), edit: Int32(TP_EDIT_NONE),
                                      tci: 0, pad: 0, remote: 0, result: 0)
                withUnsafeMutablePointer(to: &slot) { s in
                    p.backend.send(s, count: 1, context: datapath.controlContext, counters: lane)
                }
            }
        }
        return p.counters.txPackets > before
    }
}
