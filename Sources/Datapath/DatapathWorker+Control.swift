import CTapestryShims

/// Frames the control plane sends itself (BPDUs), written on the datapath thread.
extension DatapathWorker {
    /// Sends `frame` (from its Ethernet header) out of `port` of `bridge` as it is; false when there
    /// is no such port or it cannot carry it (a vxlan port) or the write failed.
    func sendControl(bridge: String, port: String, frame: [UInt8]) -> Bool {
        guard let b = config.bridges.first(where: { $0.forwarding.bridge == bridge }),
              let p = b.ports.first(where: { $0.name == port }), p.fd >= 0 else { return false }
        if case .vxlan = p.kind { return false }
        let vnet = [UInt8](repeating: 0, count: DatapathWorker.vnetLength)
        let r = vnet.withUnsafeBufferPointer { v in
            frame.withUnsafeBufferPointer { f in
                tp_send_frame(p.fd, v.baseAddress, f.baseAddress, f.count, Int32(TP_EDIT_NONE), 0)
            }
        }
        if r < 0 { p.counters.dropped(.txError); return false }
        p.counters.sent(bytes: frame.count)
        return true
    }
}

extension DatapathAccess {
    /// Sends a control-plane frame (a BPDU) out of one port.
    @discardableResult
    public func sendControlFrame(bridge: String, port: String, frame: [UInt8]) -> Bool {
        worker.sendControl(bridge: bridge, port: port, frame: frame)
    }
}
