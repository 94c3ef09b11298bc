/// The spanning tree's part of `/metrics`.
extension SpanningTreeRunner {
    enum Metric {
        static let portState = ("tapestry_stp_port_state", "Spanning tree state of the port: 0 discarding, 1 learning, 2 forwarding.")
        static let portRole = ("tapestry_stp_port_role", "1 for the port's spanning tree role (label role).")
        static let bpdusReceived = ("tapestry_stp_bpdus_received_total", "BPDUs received on the port (RST, config, TCN).")
        static let bpdusSent = ("tapestry_stp_bpdus_sent_total", "BPDUs sent out of the port.")
        static let badBPDUs = ("tapestry_stp_bad_bpdus_total", "BPDUs ignored as malformed (truncated, wrong version, absurd timers).")
        static let topologyChanges = ("tapestry_stp_topology_changes_total", "Topology changes the bridge saw.")
        static let isRoot = ("tapestry_stp_root_bridge", "1 when this bridge is the root of its spanning tree.")
    }

    /// Calls `gauge` and `counter` with each spanning tree sample.
    func samples(gauge: ((String, String), [(String, String)], Double) -> Void,
                 counter: ((String, String), [(String, String)], UInt64) -> Void) {
        for (bridge, inst) in instances.sorted(by: { $0.key < $1.key }) {
            let t = inst.tree
            gauge(Metric.isRoot, [("bridge", bridge)], t.isRoot ? 1 : 0)
            counter(Metric.topologyChanges, [("bridge", bridge)], t.topologyChanges)
            for p in t.ports {
                let labels = [("bridge", bridge), ("port", p.name)]
                let state = p.isEnabled ? p.state : .discarding
                gauge(Metric.portState, labels, state == .forwarding ? 2 : (state == .learning ? 1 : 0))
                gauge(Metric.portRole, labels + [("role", p.role.rawValue)], 1)
                let c = p.counters
                counter(Metric.bpdusReceived, labels, c.rxRST + c.rxConfig + c.rxTCN)
                counter(Metric.bpdusSent, labels, c.txRST + c.txConfig + c.txTCN)
                counter(Metric.badBPDUs, labels, c.rxBad)
            }
        }
    }
}
