import ControlProtocol
import Foundation
import TapestryModel
import TestSupport

/// The configuration part of `show` (what must survive a restart or a refused command),
/// without run-time details such as ifindexes, MAC counts or link state.
struct ConfigView: Equatable, CustomStringConvertible {
    struct Bridge: Equatable {
        var name: String
        var mode: BridgeMode
        var macAging: Int
        var macTableSize: Int
        var ports: [PortConfig]
        var staticMACs: [StaticMAC]
    }
    var generation: Int
    var bridges: [Bridge]

    init(_ show: ShowResult) {
        generation = show.generation
        bridges = show.bridges.map {
            Bridge(name: $0.name, mode: $0.mode, macAging: $0.macAging, macTableSize: $0.macTableSize,
                   ports: $0.ports.map(\.config), staticMACs: $0.staticMACs)
        }
    }

    var description: String {
        "generation \(generation): " + bridges.map { b in
            "\(b.name)(\(b.mode.rawValue)) [" + b.ports.map { "\($0.name):\($0.type.rawValue):\($0.vlanSummary)\($0.isolated ? ":isolated" : "")" }
                .joined(separator: ", ") + "]"
        }.joined(separator: "; ")
    }
}

extension NetnsWorld.Daemon {
    /// `show --format json`, reduced to its configuration.
    func configView() throws -> ConfigView { ConfigView(try json(ShowResult.self, "show")) }

    /// One port's counters.
    func counters(_ bridge: String, _ port: String) throws -> PortCountersSnapshot {
        let s = try json(StatsResult.self, "stats", bridge, port)
        guard let p = s.ports.first(where: { $0.port == port }) else { throw TestWorldError("no stats for \(port): \(s)") }
        return p
    }
}

extension NetnsWorld {
    /// Adds a tap port `name` on `bridge` moved into a new VM namespace `name`, gives it `address` (CIDR)
    /// and returns the namespace. `extra` are further add-port options (`--vlan 10`, `--isolated`).
    func tapVM(_ d: Daemon, _ bridge: String, _ name: String, address: String?, _ extra: [String] = []) throws -> String {
        let vm = namespace(name)
        let add = d.cli(["add-port", bridge, name, "--type", "tap", "--netns", vm] + extra)
        guard add.ok else { throw TestWorldError("add-port \(name) failed: \(add)\nlog:\n\(d.log.suffix(2000))") }
        if let address {
            let r = exec(vm, "ip addr add \(address) dev \(name) && ip link set \(name) up")
            guard r.ok else { throw TestWorldError("address on \(name) failed: \(r)") }
        }
        return vm
    }
}
