import Foundation
import Prometheus
import SwitchCore
import TapestryModel
import VhostUser

/// The Prometheus exposition of `tapestryd --metrics`: one registry filled at each scrape from the
/// live counters, rendered by swift-prometheus in the text format (version 0.0.4).
extension ObservabilityService {
    /// The metric families, by name and help text.
    enum Metric {
        static let rxPackets = ("tapestry_port_rx_packets_total", "Frames received on the port.")
        static let rxBytes = ("tapestry_port_rx_bytes_total", "Bytes received on the port.")
        static let txPackets = ("tapestry_port_tx_packets_total", "Frames sent out of the port.")
        static let txBytes = ("tapestry_port_tx_bytes_total", "Bytes sent out of the port.")
        static let drops = ("tapestry_port_drops_total", "Frames dropped on the port, by reason.")
        static let portUp = ("tapestry_port_up", "1 when the port is realized and its link is up with carrier, else 0.")
        static let linkChanges = ("tapestry_port_link_changes_total", "Link up/down transitions of the port's netdev.")
        static let macEntries = ("tapestry_bridge_mac_entries", "MAC table entries (learned and static).")
        static let macCapacity = ("tapestry_bridge_mac_capacity", "The MAC table's size bound.")
        static let macLearned = ("tapestry_bridge_mac_learned_total", "MAC addresses learned.")
        static let macMoved = ("tapestry_bridge_mac_moved_total", "MAC addresses that moved to another port.")
        static let macAged = ("tapestry_bridge_mac_aged_total", "MAC addresses aged out.")
        static let macEvicted = ("tapestry_bridge_mac_evicted_total", "MAC addresses evicted because the table was full.")
        static let arpAnswered = ("tapestry_port_arp_answered_total", "ARP requests and IPv6 neighbour solicitations from the port the bridge answered itself (ARP suppression).")
        static let arpMalformed = ("tapestry_bridge_arp_malformed_total", "ARP frames on ports with ARP suppression that were malformed (switched, not snooped nor answered).")
        static let arpSnooped = ("tapestry_bridge_arp_snooped", "IPv4 and IPv6 bindings snooped from ARP and neighbour discovery on ports with ARP suppression.")
        static let networkActive = ("tapestry_network_active", "1 when the libvirt-style network is started.")
        static let helperUp = ("tapestry_network_helper_up", "1 when the network's helper (dnsmasq, radvd) runs.")
        static let helperRestarts = ("tapestry_network_helper_restarts_total", "Restarts of the network's helper after it died.")
        static let generation = ("tapestry_config_generation", "The desired state's generation.")
        static let captures = ("tapestry_capture_sessions", "Live capture sessions.")
        static let vhostConnected = ("tapestry_vhost_user_connected", "1 when the vhost-user port's peer (QEMU, DPDK) is connected.")
        static let vhostQueues = ("tapestry_vhost_user_queues", "The guest's queues the datapath serves, by direction (receive: to the guest).")
        static let vhostConnections = ("tapestry_vhost_user_connections_total", "Connections of the vhost-user port's peer since the port was made.")
        static let vhostQueueRxPackets = ("tapestry_vhost_user_queue_rx_packets_total", "Frames taken from the guest's transmit queue of the queue pair.")
        static let vhostQueueRxBytes = ("tapestry_vhost_user_queue_rx_bytes_total", "Bytes taken from the guest's transmit queue of the queue pair.")
        static let vhostQueueTxPackets = ("tapestry_vhost_user_queue_tx_packets_total", "Frames given to the guest's receive queue of the queue pair.")
        static let vhostQueueTxBytes = ("tapestry_vhost_user_queue_tx_bytes_total", "Bytes given to the guest's receive queue of the queue pair.")
    }

    /// The text a scrape of `/metrics` returns.
    func metricsExposition() -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func counter(_ m: (String, String), _ labels: [(String, String)], _ value: UInt64) {
            registry.makeCounter(name: m.0, labels: labels, help: m.1).increment(by: Int64(clamping: value))
        }
        func gauge(_ m: (String, String), _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(name: m.0, labels: labels, help: m.1).set(value)
        }
        let helpers = networks.helperStatus()  // the networks' lock first, released before the bridges' lock
        bridges.read { state, reconciler in
            gauge(Metric.generation, [], Double(state.generation))
            for b in state.bridges {
                for p in b.ports {
                    let labels = [("bridge", b.name), ("port", p.name)]
                    let realized = reconciler.ports[p.name]
                    if let vhost = realized?.vhost?.status {
                        // A vhost-user port is up while its peer is connected (the guest's ring errors are drops by reason).
                        gauge(Metric.portUp, labels, vhost.connected ? 1 : 0)
                        gauge(Metric.vhostConnected, labels, vhost.connected ? 1 : 0)
                        gauge(Metric.vhostQueues, labels + [("direction", "receive")], Double(vhost.receiveQueues))
                        gauge(Metric.vhostQueues, labels + [("direction", "transmit")], Double(vhost.transmitQueues))
                        counter(Metric.vhostConnections, labels, UInt64(vhost.connections))
                        for q in realized?.vhostQueueStats ?? [] {
                            let queueLabels = labels + [("queue", String(q.queue))]
                            counter(Metric.vhostQueueRxPackets, queueLabels, q.rxPackets)
                            counter(Metric.vhostQueueRxBytes, queueLabels, q.rxBytes)
                            counter(Metric.vhostQueueTxPackets, queueLabels, q.txPackets)
                            counter(Metric.vhostQueueTxBytes, queueLabels, q.txBytes)
                        }
                    } else {
                        gauge(Metric.portUp, labels, realized.map { rp in (rp.bond.map { $0.controller.enabled.contains(true) } ?? (rp.link.isRunning || !p.type.hasNetdev)) ? 1 : 0 } ?? 0)
                    }
                    counter(Metric.linkChanges, labels, reconciler.linkChanges[p.name] ?? 0)
                    guard let c = reconciler.counters(of: p.name) else { continue }
                    counter(Metric.rxPackets, labels, c.rxPackets)
                    counter(Metric.rxBytes, labels, c.rxBytes)
                    counter(Metric.txPackets, labels, c.txPackets)
                    counter(Metric.txBytes, labels, c.txBytes)
                    counter(Metric.arpAnswered, labels, c.arpAnswered)
                    for reason in DropReason.allCases {
                        counter(Metric.drops, labels + [("reason", reason.name)], c.drops(reason))
                    }
                }
            }
            reconciler.spanningTree.samples(gauge: gauge, counter: counter)
            reconciler.bondSamples(gauge: gauge, counter: counter)
            let bridges = state.bridges.map(\.name)
            let tables = datapath.perform { access -> [(String, Int, Int, UInt64, UInt64, UInt64, UInt64, (UInt64, Int))] in
                bridges.compactMap { name in
                    guard let e = access.engine(name) else { return nil }
                    let t = e.table
                    return (name, t.learnedCount + t.staticCount, t.capacity, t.learnedTotal, t.movedTotal, t.agedTotal,
                            t.evictedTotal, (e.arpMalformed, e.arpSnoop.count))
                }
            }
            for (name, entries, capacity, learned, moved, aged, evicted, arp) in tables {
                let labels = [("bridge", name)]
                gauge(Metric.macEntries, labels, Double(entries))
                gauge(Metric.macCapacity, labels, Double(capacity))
                counter(Metric.macLearned, labels, learned)
                counter(Metric.macMoved, labels, moved)
                counter(Metric.macAged, labels, aged)
                counter(Metric.macEvicted, labels, evicted)
                counter(Metric.arpMalformed, labels, arp.0)
                gauge(Metric.arpSnooped, labels, Double(arp.1))
            }
            gauge(Metric.captures, [], Double(datapath.perform { $0.captures.filter { !$0.isClosed }.count }))
            for r in state.networks {
                let labels = [("network", r.name)]
                gauge(Metric.networkActive, labels, r.active ? 1 : 0)
                for h in helpers[r.name] ?? [] {
                    let helperLabels = labels + [("helper", h.helper)]
                    gauge(Metric.helperUp, helperLabels, h.up ? 1 : 0)
                    counter(Metric.helperRestarts, helperLabels, UInt64(max(0, h.restarts)))
                }
            }
        }
        return registry.emitToBuffer()
    }
}
