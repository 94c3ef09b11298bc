// tapestry-fuzz: a seeded frame fuzzer over SwitchCore (parse + decide + egress edit).
//
//   tapestry-fuzz [--frames N] [--seed S] [--quiet] [--known KIND]...
//
// --known KIND: violations of KIND are a known, reported bug: printed, but not fatal; a known KIND
// that no longer occurs is fatal (so that the list is kept honest once the bug is fixed).
// Generated and mutated frames go through the decision pipeline of a learning bridge (and a hub) with access, trunk,
// isolated ports, a mirror and two captures; every decision and output is checked against independent invariants. Exit status 0 when no
// invariant broke, 1 when one did (the first violations are printed with the frame in hex).
// The engine is TestSupport's FrameFuzzer, the same code the unit test FuzzFrameTests runs.
import SwitchCore
import TestSupport
import TapestryModel

#if canImport(Glibc)
import Glibc
#endif



func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

var total = 10_000_000
var seed: UInt64 = 0x7A9E_5747
var quiet = false
var known: Set<String> = []
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--frames": total = Int(args.next() ?? "") ?? total
    case "--seed": seed = UInt64(args.next() ?? "") ?? seed
    case "--quiet": quiet = true
    case "--known": if let k = args.next() { known.insert(k) }
    case "-h", "--help":
        print("usage: tapestry-fuzz [--frames N] [--seed S] [--quiet] [--known KIND]...")
        exit(0)
    default:
        print("tapestry-fuzz: unknown argument '\(a)'")
        exit(2)
    }
}

let fuzzer = FrameFuzzer(seed: seed)
let start = monotonicSeconds()
let chunk = 1_000_000
var done = 0
while done < total {
    let n = min(chunk, total - done)
    fuzzer.run(n)
    done += n
    if !quiet {
        let t = monotonicSeconds() - start
        print("  \(done) frames, \(Int(Double(done) / t)) frames/s, \(fuzzer.totalViolations) violations")
    }
}
let elapsed = monotonicSeconds() - start
print("tapestry-fuzz: seed \(seed): \(fuzzer.frames) frames in \(Double(Int(elapsed * 100)) / 100) s = \(Int(Double(fuzzer.frames) / elapsed)) frames/s")
print("  unicast \(fuzzer.unicasts), flood \(fuzzer.floods) (no output: \(fuzzer.floodsWithNoOutput)), deliveries checked \(fuzzer.deliveries), "
      + "mirror copies \(fuzzer.mirrorCopiesChecked), capture copies \(fuzzer.captureCopiesChecked)")
print("  drops by reason:")
for (name, n) in fuzzer.dropsByName { print("    \(name + String(repeating: " ", count: max(1, 24 - name.count)))\(n)") }
print("  informational: inner tag exposed on access ports \(fuzzer.innerTagExposedOnAccess), "
      + "VID-tagged double tags from trunks popped onto native-untagged trunks \(fuzzer.doubleTagFromTrunk)")
let unexpected = fuzzer.violationCounts.filter { !known.contains($0.key) }
let fixed = known.filter { fuzzer.violationCounts[$0, default: 0] == 0 }
if fuzzer.totalViolations == 0 { print("  invariants: all held") }
if !fuzzer.violationCounts.isEmpty {
    print("  INVARIANT VIOLATIONS: \(fuzzer.totalViolations)")
    for (k, n) in fuzzer.violationCounts.sorted(by: { $0.key < $1.key }) {
        print("    \(k): \(n)\(known.contains(k) ? "  (KNOWN BUG, reported; not fatal)" : "")")
    }
    print("  first violations:")
    for v in fuzzer.violations { print("    \(v)") }
}
for k in fixed.sorted() { print("  known issue '\(k)' no longer occurs: drop it from --known") }
exit(unexpected.isEmpty && fixed.isEmpty ? 0 : 1)
