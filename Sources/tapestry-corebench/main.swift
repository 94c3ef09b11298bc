// In-process micro benchmark of the switching core: frames per second through
// parse + classify VLAN + learn + look up + egress decision, with a warm table of 1,000 MACs.
// Not a test; `Tools/bench` runs it in release beside the end-to-end figures.

import Foundation
import SwitchCore
import TapestryModel

let macCount = 1000
let frameCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000_000

// A bridge like a small host: 8 access ports on VLAN 10 and 20, one trunk.
var ports: [PortConfig] = (0..<8).map { PortConfig(name: "vm\($0)", type: .tap, vlan: VLANID($0 < 4 ? 10 : 20)) }
ports.append(PortConfig(name: "trunk0", type: .tap, trunk: try! VLANSet.parse("10,20"), native: VLANID(1)))
let config = BridgeConfig(name: "br0", ports: ports)
let ids = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, UInt32($0)) })
let engine = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids))

func mac(_ n: Int) -> [UInt8] { [0x52, 0x54, 0x00, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }

// Frames between the 1,000 MACs spread over the VLAN 10 access ports: every destination is known.
let frameSet = 4096
var frames = [UInt8](repeating: 0, count: frameSet * 64)
var inSlots = [Int](repeating: 0, count: frameSet)
for i in 0..<frameSet {
    let src = i % macCount, dst = (i * 7 + 3) % macCount
    let f = mac(dst) + mac(src) + [0x08, 0x00] + [UInt8](repeating: 0, count: 50)
    frames.replaceSubrange(i * 64..<(i + 1) * 64, with: f)
    inSlots[i] = src % 4
}
// Warm up: learn every MAC on its port.
frames.withUnsafeBytes { raw in
    for i in 0..<frameSet {
        _ = engine.decide(UnsafeRawBufferPointer(rebasing: raw[i * 64..<(i + 1) * 64]), inSlot: inSlots[i], now: 0)
    }
}

var outputs = 0, drops = 0
let start = DispatchTime.now().uptimeNanoseconds
frames.withUnsafeBytes { raw in
    for n in 0..<frameCount {
        let i = n & (frameSet - 1)
        let d = engine.decide(UnsafeRawBufferPointer(rebasing: raw[i * 64..<(i + 1) * 64]), inSlot: inSlots[i], now: Int64(n >> 20))
        switch d.action {
        case .unicast: if engine.edit(for: d, to: d.outSlot) == .none { outputs &+= 1 }
        case .flood: outputs &+= 1
        case .drop: drops &+= 1
        }
    }
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let rate = Double(frameCount) / seconds
print(String(format: "core: %d frames in %.3f s = %.1f Mframes/s on one core (1k MACs, %d forwarded, %d dropped, table %d entries)",
             frameCount, seconds, rate / 1e6, outputs, drops, engine.table.learnedCount))
