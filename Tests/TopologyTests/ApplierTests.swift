import ControlProtocol
import Foundation
import TapestryModel
import Testing
@testable import Topology

/// `TopologyApplier` against a fake machine: apply makes exactly the plan, a second apply finds
/// nothing, a failure half way undoes everything done so far in reverse order, destroy leaves nothing.
@Suite("Topology apply and rollback")
struct ApplierTests {
    static func demo(_ host: FakeTopologyHost, file: String = "demo.yaml") throws -> TopologyApplier {
        let topology = try TopologyParser.load(path: topologiesDirectory + "/" + file)
        let model = LabModel(file: topology, options: LabOptions(labsDirectory: "/labs", defaultSocket: "/run/t.sock"))
        return TopologyApplier(model: model, file: file, host: host)
    }

    /// What the fake machine holds, for comparing before and after.
    static func snapshot(_ h: FakeTopologyHost) -> String {
        let ns = h.links.keys.sorted().map { "\($0): \(h.links[$0]!.sorted()) \(h.addressTable[$0]?.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } ?? [])" }
        return (ns + h.daemons.keys.sorted()).joined(separator: "\n")
    }

    @Test("apply makes as many changes as plan shows; a second apply has nothing to do")
    func applyCountEqualsPlan() throws {
        let host = FakeTopologyHost()
        let applier = try Self.demo(host)
        let plan = try applier.plan()
        #expect(plan.count > 20)
        var reported: [String] = []
        let made = try applier.apply { reported.append($0.description) }
        #expect(made == plan.count, "plan:\n\(plan.map(\.description).joined(separator: "\n"))\napplied:\n\(reported.joined(separator: "\n"))")
        #expect(Set(reported) == Set(plan.map(\.description)))
        #expect(host.links["demo-host"]?.isSuperset(of: ["gw10", "gw20", "nat0", "wan0"]) == true, "\(host.links)")
        #expect(host.addressTable["demo-host"]?["wan0"] == ["198.51.100.1/24"])
        #expect(host.addressTable["demo-vm1"]?["vm1"] == ["10.10.0.11/24"])
        #expect(host.gateways["demo-vm1"] == IPv4Address("10.10.0.1"))
        #expect(host.forwardingOn == ["demo-host"])
        let again = try Self.demo(host)
        #expect(try again.plan().isEmpty)
        #expect(try again.apply() == 0)
    }

    @Test("a failure in the middle undoes everything done so far, newest first")
    func failureRollsBackInReverse() throws {
        let host = FakeTopologyHost()
        let before = Self.snapshot(host)
        host.failOn = "rpc add-port vm4"
        let applier = try Self.demo(host)
        #expect(throws: TopologyHostError.self) { try applier.apply() }
        let failed = try #require(host.log.firstIndex { $0.hasPrefix("FAILED ") }, "\(host.log)")
        let done = host.log[..<failed].filter { !$0.hasPrefix("link up") }
        let undone = host.log[(failed + 1)...].filter { !$0.hasPrefix("link up") }
        #expect(done.contains("rpc add-port vm1") && done.contains("netns add demo-host"), "the failure came in the middle")
        // Each undo is the inverse of a change made, in reverse order of the changes.
        let inverse: (String) -> String? = { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            switch (parts[0], parts[1]) {
            case ("netns", "add"): return "netns del \(parts[2])"
            case ("daemon", "start"): return "daemon stop \(parts[2].split(separator: "@").last.map(String.init) ?? "")"
            case ("rpc", "add-br"): return "rpc del-br \(parts[2])"
            case ("rpc", "add-port"): return "rpc del-port \(parts[2])"
            case ("rpc", "net-start"): return "rpc net-destroy \(parts[2])"
            default: return nil
            }
        }
        let expected = done.compactMap(inverse).reversed()
        let undoneKinds = undone.filter { line in ["netns del", "daemon stop", "rpc del-br", "rpc del-port", "rpc net-destroy"].contains { line.hasPrefix($0) } }
        #expect(Array(undoneKinds) == Array(expected), "done:\n\(done.joined(separator: "\n"))\nundone:\n\(undone.joined(separator: "\n"))")
        #expect(Self.snapshot(host) == before, "the machine is back as it was")
        #expect(host.pids.isEmpty)
    }

    @Test("a failure of the very first change leaves nothing to undo")
    func firstChangeFails() throws {
        let host = FakeTopologyHost()
        host.failOn = "netns add"
        let applier = try Self.demo(host)
        do {
            try applier.apply()
            Issue.record("apply should fail")
        } catch {
            #expect(error.description.contains("namespace") && !error.description.contains("rolled back"), "\(error)")
        }
        #expect(host.links.isEmpty)
    }

    @Test("the error names the failed change and how many were rolled back")
    func errorWording() throws {
        let host = FakeTopologyHost()
        host.failOn = "daemon start"
        let applier = try Self.demo(host)
        do {
            try applier.apply()
            Issue.record("apply should fail")
        } catch {
            let n = host.log.filter { $0.hasPrefix("netns add") }.count
            #expect(error.description.contains("tapestryd of host host") && error.description.contains("rolled back \(n) changes"), "\(error)")
        }
    }

    @Test("destroy after apply leaves nothing behind")
    func destroyLeavesNothing() throws {
        let host = FakeTopologyHost()
        try Self.demo(host).apply()
        #expect(!host.links.isEmpty)
        let n = try Self.demo(host).destroy()
        #expect(n > 0)
        #expect(host.links.isEmpty && host.daemons.isEmpty && host.records.isEmpty, "\(host.links) \(host.daemons.keys)")
    }

    @Test("a changed network of a running lab is changed live, not replaced")
    func changedNetworkIsLive() throws {
        let host = FakeTopologyHost()
        let applier = try Self.demo(host)
        try applier.apply()
        let text = try String(contentsOfFile: topologiesDirectory + "/demo.yaml", encoding: .utf8)
            .replacingOccurrences(of: "range: 192.168.150.100-192.168.150.199", with: "range: 192.168.150.100-192.168.150.150")
        let model = LabModel(file: try TopologyParser.parse(text, path: "demo.yaml"), options: LabOptions(labsDirectory: "/labs", defaultSocket: "/run/t.sock"))
        let next = TopologyApplier(model: model, file: "demo.yaml", host: host)
        let plan = try next.plan()
        #expect(plan.map(\.action) == [.modify], "\(plan.map(\.description))")
        guard case .changeNetwork(_, _, let xml)? = plan.first?.step else {
            Issue.record("expected a live network change, got \(plan)")
            return
        }
        #expect(xml.contains("192.168.150.150"))
        host.log.removeAll()
        #expect(try next.apply() == 1)
        #expect(host.log == ["rpc net-define demonat --live"], "\(host.log)")
        #expect(try TopologyApplier(model: model, file: "demo.yaml", host: host).plan().isEmpty)
    }

    @Test("a network whose bridge is renamed is replaced, not changed live")
    func renamedBridgeReplaces() throws {
        let host = FakeTopologyHost()
        try Self.demo(host).apply()
        let text = try String(contentsOfFile: topologiesDirectory + "/demo.yaml", encoding: .utf8)
            .replacingOccurrences(of: "bridge: nat0", with: "bridge: nat1")
        let model = LabModel(file: try TopologyParser.parse(text, path: "demo.yaml"), options: LabOptions(labsDirectory: "/labs", defaultSocket: "/run/t.sock"))
        let plan = try TopologyApplier(model: model, file: "demo.yaml", host: host).plan()
        let network = plan.filter { if case .network = $0.object { return true } else { return false } }
        #expect(network.map(\.action) == [.delete, .create], "\(plan.map(\.description))")
    }
}
