import ControlProtocol
import Foundation
import TapestryModel
import Testing

/// Result types carry MACs, VLANs and addresses as model types now; on the wire they are what
/// they were (strings and numbers), so old clients and scripts read them unchanged.
@Suite struct WireFormatTests {
    private func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    @Test func fdbEntryWireFormatIsUnchanged() throws {
        let old = #"{"age":3,"isStatic":false,"mac":"52:54:00:00:00:01","port":"vx0","remote":"10.0.0.2","vlan":10}"#
        let entry = try JSONDecoder().decode(FDBEntry.self, from: Data(old.utf8))
        #expect(entry.mac == MACAddress("52:54:00:00:00:01") && entry.vlan == VLANID(10) && entry.remote == IPAddress("10.0.0.2"))
        #expect(try json(entry) == old)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FDBEntry.self, from: Data(old.replacingOccurrences(of: "52:54", with: "zz:54").utf8))
        }
    }

    @Test func traceAndPortStatusWireFormatIsUnchanged() throws {
        let trace = TraceResult(steps: ["s"], action: "flood", dropReason: nil, vlan: VLANID(20),
                                outputs: [.init(port: "vx0", tagging: "tagged 20", vni: 42, remotes: [IPAddress("10.0.0.3")].compactMap { $0 })],
                                mirroredTo: [])
        #expect(try json(trace) == #"{"action":"flood","mirroredTo":[],"outputs":[{"port":"vx0","remotes":["10.0.0.3"],"tagging":"tagged 20","vni":42}],"steps":["s"],"vlan":20}"#)
        let status = PortStatus(config: PortConfig(name: "vm1", type: .tap), state: "up", ifindex: 7, mac: MACAddress("02:00:00:00:00:07"))
        #expect(try json(status).contains(#""mac":"02:00:00:00:00:07""#))
    }
}
