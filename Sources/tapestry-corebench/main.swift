// In-process micro benchmark of the switching core: frames per second through the decision
// pipeline (parse + classify VLAN + learn + look up + egress edit, outputs listed per frame),
// in batches of 32 frames of one port as the datapath hands them over, with a warm table of
// 1,000 MACs. Not a test; `Tools/bench` runs it in release beside the end-to-end figures.

import Foundation
import SwitchCore
import TapestryModel

let macCount = 1000
let batchSize = 32
let frameCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000_000

// A bridge like a small host: 8 access ports on VLAN 10 and 20, one trunk.
var ports: [PortConfig] = (0..<8).map { PortConfig(name: "vm\($0)", type: .tap, vlan: VLANID($0 < 4 ? 10 : 20)) }
ports.append(PortConfig(name: "trunk0", type: .tap, trunk: try! VLANSet.parse("10,20"), native: VLANID(1)))
let config = BridgeConfig(name: "br0", ports: ports)
let ids = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, UInt32($0)) })
let engine = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids))

func mac(_ n: Int) -> [UInt8] { [0x52, 0x54, 0x00, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }

// Frames between the 1,000 MACs spread over the VLAN 10 access ports (MAC m lives on port m % 4):
// batch k comes from port k % 4; every destination is known and on another port.
let frameSet = 4096
let batchCount = frameSet / batchSize
var frames = [UInt8](repeating: 0, count: frameSet * 64)
for i in 0..<frameSet {
    let port = (i / batchSize) % 4
    let c = (i / batchSize / 4) * batchSize + i % batchSize  // the frame's number among its port's frames
    let src = (c % (macCount / 4)) * 4 + port
    let dst = ((c * 7 + 1) % (macCount / 4)) * 4 + (port + 1 + c % 3) % 4
    let f = mac(dst) + mac(src) + [0x08, 0x00] + [UInt8](repeating: 0, count: 50)
    frames.replaceSubrange(i * 64..<(i + 1) * 64, with: f)
}
let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: frames.count, alignment: 64)
raw.copyMemory(from: UnsafeRawBufferPointer(start: frames, count: frames.count))
let batch = FrameBatch(capacity: batchSize)

@MainActor @inline(__always)
func decide(batch k: Int, now: Int64) {
    batch.removeAll()
    for j in 0..<batchSize {
        let i = k * batchSize + j
        batch.append(UnsafeRawBufferPointer(rebasing: raw[i * 64..<(i + 1) * 64]))
    }
    engine.decide(batch, inSlot: k % 4, now: now)
}

// Warm up: learn every MAC on its port.
for k in 0..<batchCount { decide(batch: k, now: 0) }

var outputs = 0, drops = 0
let start = DispatchTime.now().uptimeNanoseconds
var done = 0
while done < frameCount {
    let k = (done / batchSize) % batchCount
    decide(batch: k, now: Int64(done >> 20))
    // Walk the results as the datapath does.
    for i in 0..<batch.count {
        if batch.decision(i).action == .drop { drops &+= 1; continue }
        for o in batch.outputs(i) where o.kind == .forward && o.edit == .none { outputs &+= 1 }
    }
    done += batchSize
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let rate = Double(done) / seconds
print(String(format: "core: %d frames in %.3f s = %.1f Mframes/s on one core (batches of %d, 1k MACs, %d forwarded, %d dropped, table %d entries)",
             done, seconds, rate / 1e6, batchSize, outputs, drops, engine.table.learnedCount))
