@testable import Datapath
import Testing

@Suite("DelayLine: frames held until their release time")
struct DelayLineTests {
    func frame(_ n: Int, fill: UInt8) -> [UInt8] { [UInt8](repeating: fill, count: n) }

    @Test func framesLeaveInOrderWhenDue() {
        let line = DelayLine(byteCapacity: 200_000)
        for i in 0..<10 {
            let ok = frame(1000 + i, fill: UInt8(i)).withUnsafeBytes { line.enqueue($0, releaseAt: Int64(i) * 10) }
            #expect(ok)
        }
        #expect(line.nextRelease == 0)
        var out: [[UInt8]] = []
        line.releaseDue(now: 45) { b, _ in out.append(Array(b)) }
        #expect(out.map(\.count) == [1000, 1001, 1002, 1003, 1004])
        #expect(out.enumerated().allSatisfy { i, f in f.allSatisfy { $0 == UInt8(i) } })
        #expect(line.nextRelease == 50)
        line.releaseDue(now: 1000) { b, _ in out.append(Array(b)) }
        #expect(out.count == 10 && line.isEmpty)
    }

    @Test func refusesWhatDoesNotFitAndWrapsAround() {
        let line = DelayLine(byteCapacity: 70_000)  // capacity is at least one GSO frame
        var accepted = 0
        for i in 0..<100 where frame(1500, fill: UInt8(i)).withUnsafeBytes({ line.enqueue($0, releaseAt: Int64(i)) }) {
            accepted += 1
        }
        #expect(accepted == line.byteCapacity / 1500)
        // Drain half, then keep filling: the ring wraps and contents stay intact.
        var seen: [UInt8] = []
        line.releaseDue(now: Int64(accepted / 2 - 1)) { b, _ in seen.append(b[0]) }
        #expect(seen.count == accepted / 2)
        for i in 100..<130 {
            _ = frame(1500, fill: UInt8(i)).withUnsafeBytes { line.enqueue($0, releaseAt: Int64(i)) }
        }
        var rest: [[UInt8]] = []
        line.releaseDue(now: 10_000) { b, _ in rest.append(Array(b)) }
        #expect(rest.allSatisfy { f in f.count == 1500 && f.allSatisfy { $0 == f[0] } })
        let firsts = rest.map { $0[0] }
        #expect(firsts == firsts.sorted())
        #expect(line.isEmpty)
    }

    @Test func prefixAndTagTravelWithTheFrame() {
        let line = DelayLine(byteCapacity: 100_000)
        let prefix: [UInt8] = [9, 9, 9]
        let ok = prefix.withUnsafeBytes { p in frame(5, fill: 7).withUnsafeBytes { line.enqueue(prefix: p, $0, releaseAt: 1, tag: 42) } }
        #expect(ok)
        var got: ([UInt8], UInt32) = ([], 0)
        line.releaseDue(now: 1) { b, t in got = (Array(b), t) }
        #expect(got.0 == [9, 9, 9, 7, 7, 7, 7, 7] && got.1 == 42)
    }

    @Test func removeAllEmptiesTheLine() {
        let line = DelayLine(byteCapacity: 100_000)
        for _ in 0..<5 { _ = frame(100, fill: 1).withUnsafeBytes { line.enqueue($0, releaseAt: 99) } }
        #expect(line.removeAll() == 5)
        #expect(line.isEmpty && line.nextRelease == nil)
    }
}
