import Foundation
import SwitchCore
import TapestryModel
import Testing

/// One MAC table hammered from several threads at once, as the datapath threads of one bridge do:
/// two learners moving the same entries between ports, a churner adding entries that an ager
/// removes again (each removal shifts buckets under the readers), and a reader looking entries up
/// without a lock. Every lookup returns an old or a new value, never a torn or foreign one; an
/// entry that is never aged is never missing; the counters match what the threads were told.
@Suite("MAC table under concurrent learning, lookup, moves and aging")
struct ConcurrentTableTests {
    /// Keys learned before the threads start and kept fresh: moved between ports 1-4 all the time.
    static let stable = 256
    /// Keys the churner learns with an old time (stale at once) and the ager removes.
    static let churn = 512
    static let statics = 16
    static let rounds = 400
    static let freshTime: Int64 = 1_000_000

    static func mac(_ group: UInt64, _ n: Int) -> MACAddress { MACAddress(rawValue: 0x0200_0000_0000 | group << 24 | UInt64(n)) }
    /// Each port's entries carry remote port*10 + 7: a value with a remote of another port is torn.
    static func remote(_ port: UInt32) -> UInt32 { port &* 10 &+ 7 }

    /// What one thread saw and did (each thread writes only its own).
    final class Tally: @unchecked Sendable {
        var added = 0, moved = 0, evicted = 0, aged = 0, staticHits = 0, lookups = 0
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < 10 { problems.append(text) } }
    }

    /// Starts every body on its own thread at once and waits for all of them (pthread-based, so
    /// ThreadSanitizer sees the hand-over).
    static func runTogether(_ bodies: [@Sendable () -> Void]) {
        let done = NSCondition()
        nonisolated(unsafe) var finished = 0
        nonisolated(unsafe) var started = 0
        for body in bodies {
            let t = Thread {
                done.lock(); started += 1; done.broadcast()
                while started < bodies.count { done.wait() }
                done.unlock()
                body()
                done.lock(); finished += 1; done.broadcast(); done.unlock()
            }
            t.start()
        }
        done.lock()
        while finished < bodies.count { done.wait() }
        done.unlock()
    }

    @Test func learnersMoversAgerAndReaderNeverLoseOrTearEntries() {
        let table = MACLearningTable(capacity: 4096, agingMillis: 1000)
        let events = MACEventLog(capacity: 1 << 16)
        table.events = events
        for n in 0..<Self.statics { table.addStatic(Self.mac(9, n), vlan: 10, port: 9, remote: Self.remote(9)) }
        for n in 0..<Self.stable {
            #expect(table.learn(Self.mac(1, n), vlan: 10, port: 1, remote: Self.remote(1), now: Self.freshTime) == .added)
        }
        let learners = [Tally(), Tally()]
        let churner = Tally(), ager = Tally(), reader = Tally()
        let stop = NSLock()
        nonisolated(unsafe) var learnersDone = 0

        // Learner k moves every stable key to port 2k+1 or 2k+2 in turn (so both learners move the
        // same keys back and forth), and learns on the static keys too (which must not move).
        func learner(_ k: Int) -> @Sendable () -> Void {
            let tally = learners[k]
            return {
                for r in 0..<Self.rounds {
                    let port = UInt32(2 * k + 1 + r % 2)
                    // Times rise by thread and round; a thread's time may lag the other's.
                    let now = Self.freshTime + Int64(r)
                    for n in 0..<Self.stable {
                        switch table.learn(Self.mac(1, n), vlan: 10, port: port, remote: Self.remote(port), now: now) {
                        case .added: tally.added += 1
                        case .moved: tally.moved += 1
                        case .evicted: tally.evicted += 1
                        case .staticEntry: tally.problem("stable key \(n) reported static")
                        case .refreshed, .ignored: break
                        }
                    }
                    if table.learn(Self.mac(9, r % Self.statics), vlan: 10, port: port, now: now) == .staticEntry {
                        tally.staticHits += 1
                    }
                }
                stop.lock(); learnersDone += 1; stop.unlock()
            }
        }
        // The churner learns keys at time 0 (older than the aging time at freshTime), the ager
        // expires them at freshTime: entries come and go and buckets shift, until the learners end.
        let churnBody: @Sendable () -> Void = {
            var r = 0
            while true {
                stop.lock(); let end = learnersDone == 2; stop.unlock()
                if end { break }
                for n in 0..<Self.churn {
                    switch table.learn(Self.mac(5, n), vlan: 10, port: 5, remote: Self.remote(5), now: Int64(r % 2)) {
                    case .added: churner.added += 1
                    case .evicted: churner.evicted += 1
                    case .moved: churner.moved += 1
                    default: break
                    }
                }
                r += 1
            }
        }
        let agerBody: @Sendable () -> Void = {
            while true {
                stop.lock(); let end = learnersDone == 2; stop.unlock()
                if end { break }
                ager.aged += table.expire(now: Self.freshTime)
            }
        }
        let readerBody: @Sendable () -> Void = {
            var n = 0
            while true {
                stop.lock(); let end = learnersDone == 2; stop.unlock()
                if end { break }
                for _ in 0..<1000 {
                    n += 1
                    reader.lookups += 1
                    let s = n % Self.stable
                    if let (port, remote) = table.lookupWithRemote(Self.mac(1, s), vlan: 10) {
                        if !(1...4).contains(port) || remote != Self.remote(port) {
                            reader.problem("stable key \(s): port \(port) remote \(remote)")
                        }
                    } else {
                        reader.problem("stable key \(s) missing")
                    }
                    if let (port, remote) = table.lookupWithRemote(Self.mac(9, n % Self.statics), vlan: 10),
                       port == 9, remote == Self.remote(9) {} else { reader.problem("static key \(n % Self.statics) wrong or missing") }
                    if let (port, remote) = table.lookupWithRemote(Self.mac(5, n % Self.churn), vlan: 10),
                       port != 5 || remote != Self.remote(5) {
                        reader.problem("churned key \(n % Self.churn): port \(port) remote \(remote)")
                    }
                    if table.lookup(Self.mac(7, n), vlan: 10) != nil { reader.problem("a key never learned was found") }
                }
            }
        }
        Self.runTogether([learner(0), learner(1), churnBody, agerBody, readerBody])

        for t in learners + [churner, reader] { #expect(t.problems.isEmpty, "\(t.problems)") }
        #expect(reader.lookups > 0)
        // Nothing lost: every stable key once, on a port the learners used; statics untouched.
        let entries = table.entries()
        let stableEntries = entries.filter { $0.mac.rawValue >> 24 & 0xFF == 1 }
        #expect(stableEntries.count == Self.stable)
        #expect(Set(stableEntries.map(\.mac)).count == Self.stable)
        #expect(stableEntries.allSatisfy { (1...4).contains($0.port) && $0.remote == Self.remote($0.port) && !$0.isStatic })
        #expect(entries.filter(\.isStatic).count == Self.statics)
        #expect(entries.filter(\.isStatic).allSatisfy { $0.port == 9 })
        #expect(learners.allSatisfy { $0.staticHits == Self.rounds })
        // The counters add up exactly to what the threads were told.
        let moves = learners.map(\.moved).reduce(0, +) + churner.moved
        let adds = Self.stable + learners.map(\.added).reduce(0, +) + churner.added
        let learnedEntries = entries.filter { !$0.isStatic }.count
        #expect(table.evictedTotal == 0)
        #expect(churner.evicted + learners.map(\.evicted).reduce(0, +) == 0)
        #expect(table.movedTotal == UInt64(moves))
        #expect(moves > 0)
        #expect(table.learnedTotal == UInt64(adds))
        #expect(table.agedTotal == UInt64(ager.aged))
        #expect(table.agedTotal > 0, "the ager removed nothing: no bucket shifted under the reader")
        #expect(table.learnedCount == learnedEntries)
        #expect(Int(table.learnedTotal) == learnedEntries + Int(table.agedTotal))
        // The event log recorded every learn, move and age once.
        #expect(events.nextSequence == UInt64(adds + moves) + table.agedTotal)
    }

    /// A reader racing a writer that keeps removing and re-adding the keys around it (so its key's
    /// bucket shifts back and forth) always finds its key, with its one value.
    @Test func lookupsNeverMissAKeyWhoseNeighboursAreRemoved() {
        let table = MACLearningTable(capacity: 64, agingMillis: 1000)
        // A small table: 64 + 256 slots, 1024 buckets; 40 neighbours crowd the probe chains.
        let target = Self.mac(3, 0)
        table.addStatic(target, vlan: 20, port: 4, remote: Self.remote(4))
        let stop = NSLock()
        nonisolated(unsafe) var writerDone = false
        let reader = Tally()
        let writer: @Sendable () -> Void = {
            for r in 0..<2_000 {
                for n in 1...40 { table.learn(Self.mac(3, n), vlan: 20, port: 1, remote: Self.remote(1), now: Int64(r)) }
                _ = table.flush(port: 1)
            }
            stop.lock(); writerDone = true; stop.unlock()
        }
        let readerBody: @Sendable () -> Void = {
            while true {
                stop.lock(); let end = writerDone; stop.unlock()
                if end { break }
                for _ in 0..<1000 {
                    reader.lookups += 1
                    guard let (port, remote) = table.lookupWithRemote(target, vlan: 20) else { reader.problem("target missing"); continue }
                    if port != 4 || remote != Self.remote(4) { reader.problem("target: port \(port) remote \(remote)") }
                }
            }
        }
        Self.runTogether([writer, readerBody])
        #expect(reader.problems.isEmpty, "\(reader.problems)")
        #expect(reader.lookups > 0)
        #expect(table.learnedCount == 0)
        #expect(table.learnedTotal == 2_000 * 40)
    }
}
