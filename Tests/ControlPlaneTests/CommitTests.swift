import ControlProtocol
import Foundation
import TapestryModel
import Testing
@testable import TapestryDaemon

/// The one change path: every change that changes something is one new generation, whoever asks.
@Suite struct CommitTests {
    private func op<P: Encodable>(_ method: String, _ params: P) throws -> TransactionOperation {
        TransactionOperation(method: method, params: try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(params)))
    }

    @Test func editsAndTransactionsBumpOnce() throws {
        try withDaemon { (d: Daemon) throws in
            #expect(try d.generation() == 0)
            #expect(try d.call(Methods.AddBridge.self, AddBridgeParams(bridge: BridgeConfig(name: "br0"), mayExist: false)).error == nil)
            #expect(try d.generation() == 1)
            // A no-op is no new generation.
            #expect(try d.call(Methods.AddBridge.self, AddBridgeParams(bridge: BridgeConfig(name: "br0"), mayExist: true)).error == nil)
            #expect(try d.generation() == 1)
            // A transaction is one change.
            let ops = try [
                op("add-br", AddBridgeParams(bridge: BridgeConfig(name: "br1"), mayExist: false)),
                op("add-br", AddBridgeParams(bridge: BridgeConfig(name: "br2"), mayExist: false)),
                op("set-br", SetBridgeParams(bridge: "br1", mode: .hub, macAging: nil, macTableSize: nil)),
            ]
            #expect(try d.call(Methods.Transaction.self, TransactionParams(operations: ops)).error == nil)
            #expect(try d.generation() == 2)
            // A refused transaction changes nothing.
            let bad = try [op("del-br", DeleteBridgeParams(bridge: "br1", ifExists: false)), op("del-br", DeleteBridgeParams(bridge: "nope", ifExists: false))]
            let refused = try d.call(Methods.Transaction.self, TransactionParams(operations: bad))
            #expect(refused.error?.message.contains("nope") == true)
            #expect(try d.generation() == 2)
            #expect(try d.call(Methods.Show.self, ShowParams()).result?.bridges.map(\.name) == ["br0", "br1", "br2"])
        }
    }

    @Test func networkChangesBumpTheGeneration() throws {
        try withDaemon { (d: Daemon) throws in
            let xml = "<network><name>n1</name><bridge name='n1br'/><ip address='192.168.90.1' prefix='24'/></network>"
            #expect(try d.call(Methods.NetDefine.self, NetworkXMLParams(xml: xml)).error == nil)
            #expect(try d.generation() == 1)
            #expect(try d.call(Methods.NetAutostart.self, NetworkAutostartParams(network: "n1", enable: true)).error == nil)
            #expect(try d.generation() == 2)
            #expect(try d.call(Methods.NetAutostart.self, NetworkAutostartParams(network: "n1", enable: true)).error == nil)
            #expect(try d.generation() == 2)
            #expect(try d.call(Methods.NetUndefine.self, NetworkParams(network: "n1")).error == nil)
            #expect(try d.generation() == 3)
        }
    }

    @Test func unknownAndMalformedRequestsAreErrors() throws {
        try withDaemon { (d: Daemon) throws in
            let unknown = String(decoding: d.dispatcher.respond(to: Data(#"{"jsonrpc":"2.0","id":1,"method":"nope","params":{}}"#.utf8)), as: UTF8.self)
            #expect(unknown.contains("-32601") && unknown.contains("unknown method 'nope'"))
            let bad = String(decoding: d.dispatcher.respond(to: Data(#"{"jsonrpc":"2.0","id":2,"method":"add-br","params":{"x":1}}"#.utf8)), as: UTF8.self)
            #expect(bad.contains("-32602") && bad.contains("invalid params for add-br"))
            let chained = String(decoding: d.dispatcher.respond(to: Data(#"{"jsonrpc":"2.0","id":3,"method":"transaction","params":{"operations":[{"method":"show","params":{}}]}}"#.utf8)), as: UTF8.self)
            #expect(chained.contains("show cannot be part of a transaction"))
            #expect(try d.generation() == 0)
        }
    }
}
