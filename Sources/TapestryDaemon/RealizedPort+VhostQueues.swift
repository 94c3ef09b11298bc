import ControlProtocol
import Datapath

extension RealizedPort {
    /// For a vhost-user port: the counters of the queue pairs served now and of every lower pair or
    /// pair that carried frames (pair order); nil for other ports.
    var vhostQueueStats: [VhostUserQueueStats]? {
        guard let v = backend as? VhostUserBackend, let endpoint = vhost else { return nil }
        let s = endpoint.status
        let served = s.connected ? max(s.receiveQueues, s.transmitQueues) : 0
        let pairs = v.port.queueCounters.pairs
        let used = pairs.lastIndex { $0.rxPackets > 0 || $0.txPackets > 0 }.map { $0 + 1 } ?? 0
        return pairs.prefix(max(served, used)).map {
            VhostUserQueueStats(queue: $0.pair, rxPackets: $0.rxPackets, rxBytes: $0.rxBytes, txPackets: $0.txPackets, txBytes: $0.txBytes)
        }
    }
}
