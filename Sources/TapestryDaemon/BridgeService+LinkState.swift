import HostSystem
import TapestryModel

/// Live link state: the link monitor's thread reports every change of the links where ports live;
/// the port reconciler applies it (show, metrics and the datapath follow) and each port going up or
/// down becomes a `port-up` / `port-down` event (`port-reattached` when a system port's netdev came back).
extension BridgeService {
    /// Starts watching the links of the namespaces where the ports' netdevs are.
    func startLinkMonitor() {
        do {
            let monitor = try LinkMonitor { [weak self] netns, links, readAt in
                self?.linkReport(netns: netns, links: links, readAt: readAt)
            }
            locked {
                reconciler.monitor = monitor
                monitor.watch(PortReconciler.linkNamespaces(of: current))
            }
        } catch {
            events.record("link-monitor-error", "\(error)")
        }
    }

    /// Stops the link monitor (before the service lock is taken for shutdown: its thread may wait for it).
    func stopLinkMonitor() {
        let monitor = locked { () -> LinkMonitor? in
            let m = reconciler.monitor
            reconciler.monitor = nil
            return m
        }
        monitor?.stop()
    }

    private func linkReport(netns: String?, links: [LinkInfo], readAt: UInt64) {
        locked {
            guard reconciler.monitor != nil else { return }
            for c in reconciler.applyLinkReport(netns: netns, links: links, readAt: readAt) {
                events.record(c.kind, bridge: c.bridge, port: c.port, c.detail)
            }
            if netns == nil { runBondsNow() }  // a member's carrier moves its traffic at once, not at the next tick
        }
    }
}
