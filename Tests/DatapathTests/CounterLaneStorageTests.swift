@testable import Datapath
import Testing

@Suite("Counter lanes: no two threads' lanes share a cache line")
struct CounterLaneStorageTests {
    /// The lane addresses as integers: each on a 128-byte boundary, each a whole number of
    /// 128-byte blocks after the one before (so neither a line nor an adjacent-line pair is shared).
    private func checkLanes(_ bases: [Int], stride: Int) {
        for b in bases { #expect(b % CounterLaneStorage.alignment == 0, "lane at \(b) is not 128-byte aligned") }
        for (a, b) in zip(bases, bases.dropFirst()) { #expect(b - a == stride * 8 && (b - a) % 128 == 0) }
    }

    @Test func portCounterLanesStartOnTheirOwnBlocks() {
        for lanes in [2, 3, 5] {
            let c = PortCounters(lanes: lanes)
            checkLanes((0..<lanes).map { Int(bitPattern: c.lane($0).base) }, stride: PortCounters.stride)
            #expect(PortCounters.stride >= PortCounters.size)
        }
    }

    @Test func vhostQueueLanesStartOnTheirOwnBlocks() {
        for pairs in [1, 4, 9] {
            let c = VhostUserQueueCounters(lanes: 3, queuePairs: pairs)
            checkLanes((0..<3).map { Int(bitPattern: c.lane($0).base) }, stride: c.stride)
            #expect(c.stride >= pairs * VhostUserQueueCounters.fields)
        }
    }

    @Test func lanesStayApartAndSumExactly() {
        let c = PortCounters(lanes: 2)
        for _ in 0..<1000 { c.lane(0).received(bytes: 60); c.lane(1).received(bytes: 100) }
        c.lane(1).dropped(.noOutput)
        #expect(c.rxPackets == 2000 && c.rxBytes == 160_000 && c.drops(.noOutput) == 1)
    }
}
