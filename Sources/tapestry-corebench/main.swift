// In-process micro benchmark of the switching core: frames per second through the decision
// pipeline (parse + classify VLAN + port security + learn + look up + egress edit, outputs listed
// per frame), in batches of 32 frames of one port as the datapath hands them over, with a warm
// table of 1,000 MACs. Not a test; `Tools/bench` runs it in release beside the end-to-end figures.
//
//   tapestry-corebench [FRAMES] [--threads N] [--runs N]
//
// Always measures one thread first (the first output line, which Tools/bench parses). With
// `--threads N` (N ≥ 2) it then runs N threads at once on the same bridge and its one shared MAC
// table, as N datapath threads on N queues of the same ports do: every port's frames are spread
// over the N queues by a hash of the flow (source and destination MAC), as RSS, a multi-queue
// tap's flow steering or PACKET_FANOUT_HASH spread them; thread t receives queue t of every port,
// into its own buffers and its own batch. So both threads learn (refresh) the same source MACs
// and look up the same destinations, as real threads on multi-queue ports do. FRAMES frames each;
// it prints their sum per second (from the first thread's start to the last one's end, each taken
// by the thread itself; the main thread sleeps meanwhile and takes no core from them) and the
// ratio to one thread.
//
// With `--runs N` (N ≥ 2) every frame of a port comes N times in a row (a flow's burst: runs of
// identical headers within a batch, as in a single-flow benchmark); the default, 1, has none:
// consecutive frames of a port differ in source or destination.
//
// Time is virtual and deterministic: a thread's clock advances one millisecond per 20,000 frames
// it decided (the 20 Mframes/s target), continuing from run to run, so MAC entries are refreshed
// as often as a datapath at that rate refreshes them, and instruction counts (callgrind) do not
// depend on how fast the machine is.

import Foundation
import Synchronization
import SwitchCore
import TapestryModel

/// The value of option `name` (`--name N`, both removed from `args`), nil when it is absent; exits
/// with status 2 when N is not a number in `range`.
func intOption(_ name: String, in range: ClosedRange<Int>, from args: inout [String]) -> Int? {
    guard let i = args.firstIndex(of: name) else { return nil }
    guard i + 1 < args.count, let n = Int(args[i + 1]), range.contains(n) else {
        FileHandle.standardError.write("tapestry-corebench: \(name) needs a number \(range.lowerBound)-\(range.upperBound)\n".data(using: .utf8)!)
        exit(2)
    }
    args.removeSubrange(i...(i + 1))
    return n
}

var args = Array(CommandLine.arguments.dropFirst())
let threadCount = intOption("--threads", in: 1...8, from: &args) ?? 1
let runLength = intOption("--runs", in: 1...32, from: &args) ?? 1
guard args.count <= 1, let frameCount = args.first.map({ Int($0) }) ?? 20_000_000, frameCount > 0 else {
    FileHandle.standardError.write("usage: tapestry-corebench [FRAMES] [--threads N] [--runs N]\n".data(using: .utf8)!)
    exit(2)
}

/// The bridge and the frames every port sends (shared, read-only but for the engine, whose
/// decisions are safe from several threads at once).
final class Workload: @unchecked Sendable {
    static let macCount = 1000
    static let batchSize = 32
    static let framesPerPort = 1024
    static let busyPorts = 4
    /// Frames a thread decides per virtual millisecond.
    static let framesPerMilli = 20_000
    let engine: BridgeEngine
    /// Per port, its frames' (source, destination) MAC numbers.
    let flows: [[(src: Int, dst: Int)]]

    init() {
        // A bridge like a small host: 8 access ports on VLAN 10 and 20, one trunk.
        var ports: [PortConfig] = (0..<8).map { PortConfig(name: "vm\($0)", type: .tap, vlan: VLANID($0 < 4 ? 10 : 20)) }
        let trunk = (try? VLANSet.parse("10,20")) ?? VLANSet()
        ports.append(PortConfig(name: "trunk0", type: .tap, trunk: trunk, native: VLANID(1)))
        let config = BridgeConfig(name: "br0", ports: ports)
        let ids = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, UInt32($0)) })
        engine = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids))
        // Traffic between the 1,000 MACs spread over the VLAN 10 access ports (MAC m lives on port
        // m % 4): frame c of port p comes from one of the port's 250 MACs and goes to a known MAC on
        // another port; each source talks to 4 destinations (4 flows).
        let m = Workload.macCount / Workload.busyPorts
        flows = (0..<Workload.busyPorts).map { p in
            (0..<Workload.framesPerPort).map { c in
                (src: (c % m) * 4 + p, dst: ((c * 7 + 1) % m) * 4 + (p + 1 + c % 3) % 4)
            }
        }
    }

    static func mac(_ n: Int) -> [UInt8] { [0x52, 0x54, 0x00, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }

    /// The queue of `of` a flow lands in (a hash of both MACs, as RSS / fanout hash).
    static func queue(src: Int, dst: Int, of n: Int) -> Int {
        var h = UInt64(src) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(dst) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(h % UInt64(n))
    }
}

/// What one thread receives: queue `queue` of `queues` of every busy port, in its own buffer, cut
/// into batches of one port (ports taking turns), and its own batch.
final class Receiver: @unchecked Sendable {
    let work: Workload
    let raw: UnsafeMutableRawBufferPointer
    /// Per batch: its port's slot and its first frame's index in `raw`.
    let batches: [(slot: Int, first: Int)]
    let batch = FrameBatch(capacity: Workload.batchSize)

    init(_ work: Workload, queue: Int, of queues: Int, runs: Int) {
        self.work = work
        let b = Workload.batchSize
        // Per port the frames of this queue (each `runs` times in a row), in whole batches.
        let perPort: [[(src: Int, dst: Int)]] = work.flows.map { frames in
            let mine = frames.filter { Workload.queue(src: $0.src, dst: $0.dst, of: queues) == queue }
                .flatMap { repeatElement($0, count: runs) }
            return Array(mine.prefix(mine.count / b * b))
        }
        var bytes: [UInt8] = []
        var batches: [(slot: Int, first: Int)] = []
        let rounds = perPort.map { $0.count / b }.max() ?? 0
        for r in 0..<rounds {
            for (p, frames) in perPort.enumerated() where r * b < frames.count {
                batches.append((slot: p, first: bytes.count / 64))
                for f in frames[(r * b)..<((r + 1) * b)] {
                    bytes += Workload.mac(f.dst) + Workload.mac(f.src) + [0x08, 0x00] + [UInt8](repeating: 0, count: 50)
                }
            }
        }
        self.batches = batches
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 64), alignment: 64)
        bytes.withUnsafeBytes { raw.copyMemory(from: $0) }
    }

    deinit { raw.deallocate() }

    /// The number of frames this queue receives per round of its batches.
    var framesPerRound: Int { batches.count * Workload.batchSize }

    @inline(__always)
    func decide(batch k: Int, now: Int64) {
        batch.removeAll()
        let (slot, first) = batches[k]
        for j in 0..<Workload.batchSize {
            let i = first + j
            batch.append(UnsafeRawBufferPointer(rebasing: raw[i * 64..<(i + 1) * 64]))
        }
        work.engine.decide(batch, inSlot: slot, now: now)
    }

    /// Decides `frames` frames, its clock starting at `start` ms (walking the results as the
    /// datapath does); returns the frames forwarded unedited, the drops and the clock at the end.
    func run(frames: Int, start: Int64) -> (outputs: Int, drops: Int, end: Int64) {
        var outputs = 0, drops = 0, done = 0, k = 0
        var now = start
        while done < frames {
            decide(batch: k, now: now)
            for i in 0..<batch.count {
                if batch.decision(i).action == .drop { drops &+= 1; continue }
                for o in batch.outputs(i) where o.kind == .forward && o.edit == .none { outputs &+= 1 }
            }
            done += Workload.batchSize
            now = start + Int64(done / Workload.framesPerMilli)
            k += 1
            if k == batches.count { k = 0 }
        }
        return (outputs, drops, now)
    }
}

/// The calling thread's CPU time in nanoseconds (what it ran, not what it waited for a core).
@Sendable func threadCPUNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Counts the benchmark threads in and out: they start together (spinning on `waiting`, no
/// sleep), each takes the monotonic clock when it starts and ends, and the main thread blocks on
/// `done` until the last one has ended — it does not poll, so it takes no core from them.
final class StartLine: Sendable {
    let waiting = Atomic<Int>(0)
    let outputs = Atomic<Int>(0)
    let drops = Atomic<Int>(0)
    let cpuNanos = Atomic<Int>(0)
    /// The earliest start and latest end (uptime nanoseconds) of the threads. (Int: Swift 6.3's
    /// `Atomic<UInt64>.min` compares as signed and keeps `UInt64.max`.)
    let firstStart = Atomic<Int>(.max)
    let lastEnd = Atomic<Int>(0)
    let done = DispatchSemaphore(value: 0)
}

let work = Workload()
let single = Receiver(work, queue: 0, of: 1, runs: runLength)
// Warm up at time 0: learn every MAC on its port.
for k in 0..<single.batches.count { single.decide(batch: k, now: 0) }

let start = DispatchTime.now().uptimeNanoseconds
let cpu0 = threadCPUNanos()
let one = single.run(frames: frameCount, start: 1)
let oneCPU = Double(threadCPUNanos() - cpu0) / 1e9
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let rate = Double(frameCount) / seconds
// Frames per CPU-second as well: on a shared machine the wall clock also counts the time the
// thread waited for a core; CPU time does not (a cache line bounced between threads still counts).
print(String(format: "core: %d frames in %.3f s = %.1f Mframes/s on one core (batches of %d, 1k MACs, %d forwarded, %d dropped, table %d entries; CPU: %.1f Mframes per CPU-second)",
             frameCount, seconds, rate / 1e6, Workload.batchSize, one.outputs, one.drops, work.engine.table.learnedCount,
             Double(frameCount) / oneCPU / 1e6) + (runLength > 1 ? " (every frame \(runLength) times in a row)" : ""))

if threadCount > 1 {
    let line = StartLine()
    let n = threadCount, runs = runLength
    let clock = one.end + 1
    for t in 0..<n {
        let thread = Thread {
            // Each thread builds its own receive buffer and batch (its own memory, as a datapath thread's).
            let rx = Receiver(work, queue: t, of: n, runs: runs)
            line.waiting.add(1, ordering: .acquiringAndReleasing)
            while line.waiting.load(ordering: .acquiring) < n {}
            let w0 = Int(DispatchTime.now().uptimeNanoseconds)
            let c0 = threadCPUNanos()
            let r = rx.run(frames: frameCount, start: clock)
            let cpu = Int(threadCPUNanos() - c0)
            let w1 = Int(DispatchTime.now().uptimeNanoseconds)
            line.firstStart.min(w0, ordering: .relaxed)
            line.lastEnd.max(w1, ordering: .relaxed)
            line.cpuNanos.add(cpu, ordering: .relaxed)
            line.outputs.add(r.outputs, ordering: .relaxed)
            line.drops.add(r.drops, ordering: .relaxed)
            line.done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<n { line.done.wait() }
    let s = Double(line.lastEnd.load(ordering: .relaxed) - line.firstStart.load(ordering: .relaxed)) / 1e9
    let total = frameCount * n
    let multi = Double(total) / s
    let perCPU = Double(total) / (Double(line.cpuNanos.load(ordering: .relaxed)) / 1e9)
    print(String(format: "core on %d threads: %d frames in %.3f s = %.1f Mframes/s (one shared MAC table, flows hashed over %d queues per port, %d forwarded, %d dropped, table %d entries); %.2fx one thread; CPU: %.1f Mframes per CPU-second, %.2fx one thread's",
                 n, total, s, multi / 1e6, n, line.outputs.load(ordering: .relaxed), line.drops.load(ordering: .relaxed),
                 work.engine.table.learnedCount, multi / rate, perCPU / 1e6, perCPU * oneCPU / Double(frameCount)))
}
