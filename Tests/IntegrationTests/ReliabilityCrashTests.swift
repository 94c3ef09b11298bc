import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// Crash safety: `kill -9` of tapestryd at seeded random moments, also while a change is in flight.
/// After every restart the stored and served configuration equals the last acknowledged state (or that
/// plus the change in flight), the host matches it, and no temp file is left behind.
///
/// `TAPESTRY_CRASH_SEED` and `TAPESTRY_CRASH_CHANGES` change the run (Tools/crash-soak loops over seeds).
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ReliabilityCrashTests {
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476C_E5E9_B5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    }

    /// The configuration part of a bridge, comparable between the model, config.json and `show`.
    struct BridgeView: Equatable, CustomStringConvertible {
        var name: String, mode: BridgeMode, macAging: Int, macTableSize: Int, ports: [PortConfig], staticMACs: [StaticMAC]
        var description: String {
            "\(name)[" + ports.map { "\($0.name):\($0.type.rawValue):\($0.netns.map { String($0.suffix(3)) } ?? "-"):\($0.vlanSummary)\($0.isolated ? ":iso" : "")" }
                .joined(separator: ",") + "]"
        }
    }

    static func view(_ s: DesiredState) -> [BridgeView] {
        s.bridges.map { BridgeView(name: $0.name, mode: $0.mode, macAging: $0.macAging, macTableSize: $0.macTableSize,
                                   ports: $0.ports, staticMACs: $0.staticMACs) }.sorted { $0.name < $1.name }
    }

    static func view(_ s: ShowResult) -> [BridgeView] {
        s.bridges.map { BridgeView(name: $0.name, mode: $0.mode, macAging: $0.macAging, macTableSize: $0.macTableSize,
                                   ports: $0.ports.map(\.config), staticMACs: $0.staticMACs) }.sorted { $0.name < $1.name }
    }

    /// One change: the CLI arguments and the same edit applied to the model.
    struct Change: CustomStringConvertible {
        var args: [String]
        var apply: (DesiredState) throws -> DesiredState
        var description: String { args.joined(separator: " ") }
    }

    static let bridgeNames = ["br0", "br1", "br2"]
    static let portNames = (0..<12).map { "p\($0)" }
    static let vlanChoices: [[String]] = [[], ["--vlan", "10"], ["--vlan", "20"], ["--trunk", "10,20"], ["--trunk", "30-32"], ["--isolated"]]

    static func randomChange(_ rng: inout RNG, _ s: DesiredState, vms: [String]) -> Change {
        let ports = s.bridges.flatMap { b in b.ports.map { (b.name, $0) } }
        let freeBridges = bridgeNames.filter { s.bridge(named: $0) == nil }
        let freePorts = portNames.filter { s.bridge(holdingPort: $0) == nil }
        let r = rng.below(100)
        if (s.bridges.isEmpty || r < 10), let b = freeBridges.first.map({ _ in rng.pick(freeBridges) }) {
            return Change(args: ["add-br", b, "--no-local-port"]) { try $0.addingBridge(BridgeConfig(name: b)) }
        }
        if r < 16, s.bridges.count > 1 {
            let b = rng.pick(s.bridges).name
            return Change(args: ["del-br", b]) { try $0.removingBridge(b) }
        }
        if (r < 55 || ports.isEmpty), !freePorts.isEmpty, !s.bridges.isEmpty {
            let b = rng.pick(s.bridges).name
            let p = rng.pick(freePorts)
            let vlan = rng.pick(vlanChoices)
            let tap = rng.below(100) < 60
            let ns = tap ? rng.pick(vms) : nil
            var config = PortConfig(name: p, type: tap ? .tap : .internal, netns: ns)
            switch vlan.first {
            case "--vlan": config.vlan = VLANID(Int(vlan[1])!)
            case "--trunk": config.trunk = try! VLANSet.parse(vlan[1])
            case "--isolated": config.isolated = true
            default: break
            }
            let final = config
            return Change(args: ["add-port", b, p, "--type", tap ? "tap" : "internal"] + (ns.map { ["--netns", $0] } ?? []) + vlan) {
                try $0.addingPort(final, to: b)
            }
        }
        if let (b, port) = ports.isEmpty ? nil : rng.pick(ports) {
            let p = port.name
            if r < 72 { return Change(args: ["del-port", b, p]) { try $0.removingPort(p, from: b) } }
            switch rng.below(5) {
            case 0:
                let v = rng.pick([10, 20, 30])
                return Change(args: ["set-port", b, p, "--vlan", "\(v)"]) {
                    try $0.updatingPort(p, on: b) { c in c.vlan = VLANID(v); c.trunk = nil; c.native = nil; c.nativeMode = nil }
                }
            case 1:
                let t = rng.pick(["10,20", "20-22", "all"])
                return Change(args: ["set-port", b, p, "--trunk", t]) {
                    try $0.updatingPort(p, on: b) { c in c.vlan = nil; c.trunk = try! VLANSet.parse(t) }
                }
            case 2:
                return Change(args: ["set-port", b, p, "--no-vlan"]) {
                    try $0.updatingPort(p, on: b) { c in c.vlan = nil; c.trunk = nil; c.native = nil; c.nativeMode = nil }
                }
            case 3: return Change(args: ["set-port", b, p, "--isolated"]) { try $0.updatingPort(p, on: b) { c in c.isolated = true } }
            default: return Change(args: ["set-port", b, p, "--no-isolated"]) { try $0.updatingPort(p, on: b) { c in c.isolated = false } }
            }
        }
        let b = rng.pick(freeBridges.isEmpty ? bridgeNames : freeBridges)
        return Change(args: ["add-br", b, "--may-exist"]) { try $0.addingBridge(BridgeConfig(name: b), mayExist: true) }
    }

    /// Links per namespace (names only), read in one shell call.
    static func links(_ world: NetnsWorld, _ namespaces: [String]) -> [String: Set<String>] {
        let script = namespaces.map { "echo \"== \($0)\"; ip -n \($0) -o link show" }.joined(separator: "; ")
        var result: [String: Set<String>] = [:]
        var current = ""
        for line in Shell.run(script).stdout.split(separator: "\n") {
            if line.hasPrefix("== ") { current = String(line.dropFirst(3)); result[current] = []; continue }
            let parts = line.split(separator: ":", maxSplits: 2)
            guard parts.count >= 2 else { continue }
            let name = parts[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            result[current, default: []].insert(name)
        }
        return result
    }

    /// Everything that must hold after a restart; returns the problems found.
    static func verifyHost(_ world: NetnsWorld, _ d: NetnsWorld.Daemon, host: String, vms: [String], model: DesiredState) -> [String] {
        var problems: [String] = []
        let stateDir = d.directory + "/state"
        // config.json parses and holds the model.
        if let data = FileManager.default.contents(atPath: stateDir + "/config.json") {
            do {
                let stored = try JSONDecoder().decode(DesiredState.self, from: data)
                if view(stored) != view(model) || stored.generation != model.generation {
                    problems.append("config.json (gen \(stored.generation)) \(view(stored)) != model (gen \(model.generation)) \(view(model))")
                }
            } catch { problems.append("config.json does not parse: \(error)") }
        } else if !model.bridges.isEmpty {
            problems.append("config.json missing")
        }
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []).filter { $0.contains(".tmp.") }
        if !leftovers.isEmpty { problems.append("temp files left in the state dir: \(leftovers)") }
        // The host: each port's netdev where it belongs, no netdev of a port that is gone.
        let seen = links(world, [host] + vms)
        var expected: [String: String] = [:]
        for b in model.bridges { for p in b.ports { expected[p.name] = p.netns ?? host } }
        for name in portNames {
            let holders = seen.filter { $0.value.contains(name) }.map(\.key).sorted()
            if let ns = expected[name] {
                if holders != [ns] { problems.append("port \(name) should be in \(ns), netdev found in \(holders)") }
            } else if !holders.isEmpty {
                problems.append("deleted port \(name) still has a netdev in \(holders)")
            }
        }
        return problems
    }

    @Test(.timeLimit(.minutes(5)))
    func twoHundredChangesWithKill9AtRandomMoments() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = env["TAPESTRY_CRASH_SEED"].flatMap { UInt64($0) } ?? 0xC0FFEE
        let total = env["TAPESTRY_CRASH_CHANGES"].flatMap { Int($0) } ?? 200
        var rng = RNG(state: seed)
        let world = NetnsWorld("crash")
        defer { world.close() }
        let host = world.namespace("host")
        let vms = (0..<4).map { world.namespace("vm\($0)") }
        let d = try world.startDaemon(in: host)
        let bin = NetnsWorld.binDirectory
        var model = DesiredState()
        var acked = 0, restarts = 0, inFlightKills = 0, inFlightApplied = 0, refused = 0
        let started = Date()

        func restartAndVerify(inFlight: Change?, step: Int) throws {
            try d.start()
            restarts += 1
            let show = try d.json(ShowResult.self, "show")
            let served = (generation: show.generation, bridges: Self.view(show))
            var candidates = [model]
            if let inFlight, let next = try? inFlight.apply(model) { candidates.append(next) }
            guard let match = candidates.firstIndex(where: { Self.view($0) == served.bridges && $0.generation == served.generation }) else {
                Issue.record("""
                    step \(step) (seed \(seed)): after restart show (gen \(served.generation)) = \(served.bridges)
                    expected (gen \(model.generation)) \(Self.view(model))\(candidates.count > 1 ? "\nor (gen \(candidates[1].generation)) \(Self.view(candidates[1]))" : "")
                    in flight: \(inFlight.map(\.description) ?? "-")
                    """)
                throw TestWorldError("state diverged at step \(step)")
            }
            if match == 1 { inFlightApplied += 1 }
            model = candidates[match]
            let problems = Self.verifyHost(world, d, host: host, vms: vms, model: model)
            if !problems.isEmpty {
                Issue.record("step \(step) (seed \(seed)) after restart:\n\(problems.joined(separator: "\n"))\nlog:\n\(d.log.suffix(3000))")
                throw TestWorldError("host diverged at step \(step)")
            }
        }

        for step in 0..<total {
            let change = Self.randomChange(&rng, model, vms: vms)
            let r = rng.below(100)
            if r < 4 {
                // A crash between changes.
                d.kill9()
                try restartAndVerify(inFlight: nil, step: step)
            }
            if r >= 4 && r < 18 {
                // A crash while this change is in flight: start the CLI, wait a few ms, kill -9.
                inFlightKills += 1
                let status = "\(world.tempDirectory)/cli-\(step).status"
                let cmd = "ip netns exec \(host) \(bin)/tapestry --socket \(d.socket) "
                    + change.args.map(Shell.quote).joined(separator: " ")
                Shell.run("( \(cmd) >/dev/null 2>&1; echo $? > \(status) ) >/dev/null 2>&1 &")
                usleep(UInt32(rng.below(40_000)))
                d.kill9()
                var code: Int32? = nil
                for _ in 0..<400 {
                    if let t = try? String(contentsOfFile: status, encoding: .utf8), let c = Int32(t.trimmingCharacters(in: .whitespacesAndNewlines)) {
                        code = c; break
                    }
                    usleep(25_000)
                }
                guard let code else { Issue.record("CLI of step \(step) never finished"); return }
                if code == 0 {
                    // Acknowledged before the crash: it must be there after the restart.
                    model = try change.apply(model)
                    acked += 1
                    try restartAndVerify(inFlight: nil, step: step)
                } else {
                    try restartAndVerify(inFlight: change, step: step)
                }
                continue
            }
            let out = d.cli(change.args)
            let next = Result { try change.apply(model) }
            switch next {
            case .success(let s):
                guard out.ok else {
                    Issue.record("step \(step): \(change) refused but the model accepts it: \(out)\nlog:\n\(d.log.suffix(2000))")
                    return
                }
                model = s
                acked += 1
            case .failure:
                refused += 1
                #expect(!out.ok, "step \(step): \(change) accepted but the model refuses it")
            }
            if step % 20 == 19 {
                let show = try d.json(ShowResult.self, "show")
                #expect(Self.view(show) == Self.view(model) && show.generation == model.generation,
                        "step \(step): show \(Self.view(show)) != model \(Self.view(model))")
            }
        }
        d.kill9()
        try restartAndVerify(inFlight: nil, step: total)
        let seconds = Date().timeIntervalSince(started)
        print("crash-safety: seed \(seed): \(total) changes (\(acked) acknowledged, \(refused) refused), \(restarts) kill -9 + restart "
              + "(\(inFlightKills) with a change in flight, \(inFlightApplied) of those applied), \(String(format: "%.1f", seconds)) s; "
              + "final: \(Self.view(model))")
        #expect(restarts >= 20, "too few crashes to prove much: \(restarts)")
    }
}
