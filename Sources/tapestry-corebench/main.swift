// In-process micro benchmark of the switching core: frames per second through the decision
// pipeline (parse + classify VLAN + learn + look up + egress edit, outputs listed per frame),
// in batches of 32 frames of one port as the datapath hands them over, with a warm table of
// 1,000 MACs. Not a test; `Tools/bench` runs it in release beside the end-to-end figures.
//
//   tapestry-corebench [FRAMES] [--threads N]
//
// Always measures one thread first (the first output line, which Tools/bench parses). With
// `--threads N` (N ≥ 2) it then runs N threads at once on the same bridge and its one shared MAC
// table, as N datapath threads on N queues do: thread t decides batches t, t+N, t+2N, … (with 2
// threads, thread 0 the frames of ports 0 and 2, thread 1 those of ports 1 and 3: each learns its
// ports' sources and looks up destinations the other learned), FRAMES frames each; it prints their
// sum per second and the ratio to one thread.

import Foundation
import Synchronization
import SwitchCore
import TapestryModel

var args = Array(CommandLine.arguments.dropFirst())
var threadCount = 1
if let i = args.firstIndex(of: "--threads") {
    guard i + 1 < args.count, let n = Int(args[i + 1]), (1...4).contains(n) else {
        FileHandle.standardError.write("tapestry-corebench: --threads needs a number 1-4 (the bridge has 4 busy ports)\n".data(using: .utf8)!)
        exit(2)
    }
    threadCount = n
    args.removeSubrange(i...(i + 1))
}
guard args.count <= 1, let frameCount = args.first.map({ Int($0) }) ?? 20_000_000, frameCount > 0 else {
    FileHandle.standardError.write("usage: tapestry-corebench [FRAMES] [--threads N]\n".data(using: .utf8)!)
    exit(2)
}

/// The bridge, its frames and the clock shared by the benchmark threads (read-only but for the
/// engine, whose decisions are safe from several threads at once).
final class Workload: @unchecked Sendable {
    static let macCount = 1000
    static let batchSize = 32
    static let frameSet = 4096
    static let busyPorts = 4
    let engine: BridgeEngine
    let raw: UnsafeMutableRawBufferPointer
    var batchCount: Int { Workload.frameSet / Workload.batchSize }

    init() {
        // A bridge like a small host: 8 access ports on VLAN 10 and 20, one trunk.
        var ports: [PortConfig] = (0..<8).map { PortConfig(name: "vm\($0)", type: .tap, vlan: VLANID($0 < 4 ? 10 : 20)) }
        let trunk = (try? VLANSet.parse("10,20")) ?? VLANSet()
        ports.append(PortConfig(name: "trunk0", type: .tap, trunk: trunk, native: VLANID(1)))
        let config = BridgeConfig(name: "br0", ports: ports)
        let ids = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, UInt32($0)) })
        engine = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids))

        func mac(_ n: Int) -> [UInt8] { [0x52, 0x54, 0x00, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }
        // Frames between the 1,000 MACs spread over the VLAN 10 access ports (MAC m lives on port m % 4):
        // batch k comes from port k % 4; every destination is known and on another port.
        let n = Workload.frameSet, b = Workload.batchSize, m = Workload.macCount
        var frames = [UInt8](repeating: 0, count: n * 64)
        for i in 0..<n {
            let port = (i / b) % 4
            let c = (i / b / 4) * b + i % b  // the frame's number among its port's frames
            let src = (c % (m / 4)) * 4 + port
            let dst = ((c * 7 + 1) % (m / 4)) * 4 + (port + 1 + c % 3) % 4
            let f = mac(dst) + mac(src) + [0x08, 0x00] + [UInt8](repeating: 0, count: 50)
            frames.replaceSubrange(i * 64..<(i + 1) * 64, with: f)
        }
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: frames.count, alignment: 64)
        frames.withUnsafeBytes { raw.copyMemory(from: $0) }
    }

    @inline(__always)
    func decide(_ batch: FrameBatch, batch k: Int, now: Int64) {
        batch.removeAll()
        for j in 0..<Workload.batchSize {
            let i = k * Workload.batchSize + j
            batch.append(UnsafeRawBufferPointer(rebasing: raw[i * 64..<(i + 1) * 64]))
        }
        engine.decide(batch, inSlot: k % Workload.busyPorts, now: now)
    }

    /// Decides `frames` frames of the batches k with k % `of` == `slice` (walking the results as
    /// the datapath does); returns the frames forwarded unedited and the drops.
    func run(slice: Int, of: Int, frames: Int) -> (outputs: Int, drops: Int) {
        let batch = FrameBatch(capacity: Workload.batchSize)
        var outputs = 0, drops = 0, done = 0, k = slice
        while done < frames {
            decide(batch, batch: k, now: Int64(done >> 20))
            for i in 0..<batch.count {
                if batch.decision(i).action == .drop { drops &+= 1; continue }
                for o in batch.outputs(i) where o.kind == .forward && o.edit == .none { outputs &+= 1 }
            }
            done += Workload.batchSize
            k += of
            if k >= batchCount { k = slice }
        }
        return (outputs, drops)
    }
}

/// Counts the benchmark threads in and out: they start together, and the clock stops when the last one ends.
final class StartLine: Sendable {
    let waiting = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let outputs = Atomic<Int>(0)
    let drops = Atomic<Int>(0)
}

let work = Workload()
// Warm up: learn every MAC on its port.
let warm = FrameBatch(capacity: Workload.batchSize)
for k in 0..<work.batchCount { work.decide(warm, batch: k, now: 0) }

let start = DispatchTime.now().uptimeNanoseconds
let one = work.run(slice: 0, of: 1, frames: frameCount)
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let rate = Double(frameCount) / seconds
print(String(format: "core: %d frames in %.3f s = %.1f Mframes/s on one core (batches of %d, 1k MACs, %d forwarded, %d dropped, table %d entries)",
             frameCount, seconds, rate / 1e6, Workload.batchSize, one.outputs, one.drops, work.engine.table.learnedCount))

if threadCount > 1 {
    let line = StartLine()
    let n = threadCount
    for t in 0..<n {
        let thread = Thread {
            line.waiting.add(1, ordering: .acquiringAndReleasing)
            while line.waiting.load(ordering: .acquiring) < n {}
            let r = work.run(slice: t, of: n, frames: frameCount)
            line.outputs.add(r.outputs, ordering: .relaxed)
            line.drops.add(r.drops, ordering: .relaxed)
            line.finished.add(1, ordering: .acquiringAndReleasing)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    while line.waiting.load(ordering: .acquiring) < n { usleep(50) }
    let t0 = DispatchTime.now().uptimeNanoseconds
    while line.finished.load(ordering: .acquiring) < n { usleep(100) }
    let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let total = frameCount * n
    let multi = Double(total) / s
    print(String(format: "core on %d threads: %d frames in %.3f s = %.1f Mframes/s (one shared MAC table, %d forwarded, %d dropped, table %d entries); %.2fx one thread",
                 n, total, s, multi / 1e6, line.outputs.load(ordering: .relaxed), line.drops.load(ordering: .relaxed),
                 work.engine.table.learnedCount, multi / rate))
}
