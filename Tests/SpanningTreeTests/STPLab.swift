import SpanningTree

/// Bridges wired port to port in memory with one manual clock: frames a bridge sends come out at
/// the linked port of the other bridge right away; `run(for:)` moves time in 50 ms steps.
final class STPLab {
    var bridges: [SpanningTree] = []
    /// (bridge, port) → (bridge, port)
    var links: [Pair: Pair] = [:]
    var down: Set<Pair> = []
    var now: Int64 = 0
    var flushes: [Pair] = []
    var events: [String] = []

    struct Pair: Hashable { let bridge: Int; let port: Int }

    @discardableResult
    func bridge(_ last: UInt8, _ settings: STPBridgeSettings = STPBridgeSettings(), ports: Int) -> Int {
        let b = SpanningTree(address: [2, 0, 0, 0, 0, last], settings: settings, now: now)
        for p in 0..<ports { b.addPort("p\(p)", settings: STPPortSettings()) }
        bridges.append(b)
        return bridges.count - 1
    }

    func link(_ a: Int, _ pa: Int, _ b: Int, _ pb: Int) {
        links[Pair(bridge: a, port: pa)] = Pair(bridge: b, port: pb)
        links[Pair(bridge: b, port: pb)] = Pair(bridge: a, port: pa)
    }

    /// Takes a link down on both ends (as the link monitor would report it).
    func cut(_ a: Int, _ pa: Int) {
        guard let other = links[Pair(bridge: a, port: pa)] else { return }
        down.insert(Pair(bridge: a, port: pa)); down.insert(other)
        bridges[a].setLink(port: pa, up: false)
        bridges[other.bridge].setLink(port: other.port, up: false)
        deliver()
    }

    func deliver() {
        for _ in 0..<1000 {
            var moved = false
            for (i, b) in bridges.enumerated() {
                let out = b.takeOutput()
                flushes += out.flushes.map { Pair(bridge: i, port: $0) }
                events += out.events.map { "b\(i) \($0.kind) \($0.detail)" }
                for (port, frame) in out.frames {
                    let from = Pair(bridge: i, port: port)
                    guard !down.contains(from), let to = links[from] else { continue }
                    moved = true
                    frame.withUnsafeBytes { bridges[to.bridge].receive(port: to.port, frame: $0) }
                }
            }
            if !moved { return }
        }
    }

    func run(for ms: Int64) {
        let end = now + ms
        deliver()
        while now < end {
            now += 50
            for b in bridges { b.advance(to: now) }
            deliver()
        }
    }

    func state(_ b: Int, _ p: Int) -> STPPortState { bridges[b].ports[p].state }
    func role(_ b: Int, _ p: Int) -> STPPortRole { bridges[b].ports[p].role }

    /// Ports (over all bridges) linked to another bridge that are not forwarding.
    var blockedLinkPorts: [Pair] {
        links.keys.filter { bridges[$0.bridge].ports[$0.port].state != .forwarding }.sorted { ($0.bridge, $0.port) < ($1.bridge, $1.port) }
    }
}
